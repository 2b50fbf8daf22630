//! Memo tables for pure computations that a run repeats. Cheap lookups keyed by text (a tree
//! repeats the same condition keys and ARNs across thousands of statements, module instances above
//! all) go in per-thread [`Table`]s, which take no lock. Costly values worth computing once per run
//! (a managed policy's verdict, what `"*"` matches) go in a [`Shared`] table.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::thread::LocalKey;

use foldhash::HashMap;

/// At most this many keys are kept per table and thread; later keys are computed each time.
pub const MAX_KEYS: usize = 16_384;

/// A thread-local table, declared with `thread_local!` at the call site.
pub type Table<V> = RefCell<HashMap<String, V>>;

/// `compute(key)`, remembered in `table`.
pub fn remembered<V: Clone>(
    table: &'static LocalKey<Table<V>>,
    key: &str,
    compute: impl FnOnce(&str) -> V,
) -> V {
    if let Some(hit) = table.with(|t| t.borrow().get(key).cloned()) {
        return hit;
    }
    let value = compute(key);
    table.with(|t| {
        let mut t = t.borrow_mut();
        if t.len() < MAX_KEYS {
            t.insert(key.to_string(), value.clone());
        }
    });
    value
}

/// A table shared by the threads: each value is computed once, and a thread asking for a value
/// another thread is computing waits for it. At most `max` keys are kept; later keys are computed
/// each time.
pub struct Shared<K, V> {
    cells: LazyLock<Mutex<HashMap<K, Arc<OnceLock<V>>>>>,
    max: usize,
}

impl<K: Hash + Eq, V: Clone> Shared<K, V> {
    pub const fn new(max: usize) -> Self {
        Shared {
            cells: LazyLock::new(|| Mutex::new(HashMap::default())),
            max,
        }
    }

    /// `compute()`, remembered under `key`.
    pub fn get_or_compute<Q>(&self, key: &Q, compute: impl FnOnce() -> V) -> V
    where
        K: Borrow<Q>,
        Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
    {
        match self.cell(key) {
            Some(cell) => cell.get_or_init(compute).clone(),
            None => compute(),
        }
    }

    /// `compute()`, remembered under `key`; `None` (and nothing computed) when the table is full
    /// and does not hold `key`.
    pub fn get_or_compute_if_room<Q>(&self, key: &Q, compute: impl FnOnce() -> V) -> Option<V>
    where
        K: Borrow<Q>,
        Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
    {
        Some(self.cell(key)?.get_or_init(compute).clone())
    }

    /// The cell of `key`, added when there is room.
    fn cell<Q>(&self, key: &Q) -> Option<Arc<OnceLock<V>>>
    where
        K: Borrow<Q>,
        Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
    {
        let mut cells = self.cells.lock().ok()?;
        if let Some(cell) = cells.get(key) {
            return Some(Arc::clone(cell));
        }
        (cells.len() < self.max).then(|| Arc::clone(cells.entry(key.to_owned()).or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static LENGTHS: Table<usize> = RefCell::default();
    }

    #[test]
    fn computes_once_per_key_and_stops_growing_at_the_bound() {
        let mut calls = 0;
        for _ in 0..3 {
            assert_eq!(
                remembered(&LENGTHS, "abc", |k| {
                    calls += 1;
                    k.len()
                }),
                3
            );
        }
        assert_eq!(calls, 1);
        for i in 0..MAX_KEYS + 10 {
            let key = format!("k{i}");
            assert_eq!(remembered(&LENGTHS, &key, str::len), key.len());
        }
        assert_eq!(LENGTHS.with(|t| t.borrow().len()), MAX_KEYS);
    }

    #[test]
    fn shared_computes_once_across_threads_and_stops_growing_at_the_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static TABLE: Shared<String, usize> = Shared::new(2);
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let slow_len = |k: &str| {
            CALLS.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            k.len()
        };
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| assert_eq!(TABLE.get_or_compute("abc", || slow_len("abc")), 3));
            }
        });
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
        assert_eq!(TABLE.get_or_compute("de", || slow_len("de")), 2);
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
        // Full: a third key is computed every time.
        for _ in 0..2 {
            assert_eq!(TABLE.get_or_compute("fghi", || slow_len("fghi")), 4);
        }
        assert_eq!(CALLS.load(Ordering::SeqCst), 4);
        // Without room, nothing is computed for a new key; a kept key is still answered.
        assert_eq!(TABLE.get_or_compute_if_room("jk", || slow_len("jk")), None);
        assert_eq!(
            TABLE.get_or_compute_if_room("abc", || slow_len("abc")),
            Some(3)
        );
        assert_eq!(CALLS.load(Ordering::SeqCst), 4);
    }
}
