//! Per-thread memo tables for pure lookups keyed by text: a tree repeats the same condition keys
//! and ARNs across thousands of statements (module instances above all), and each thread keeps
//! its own table, so lookups take no lock.

use std::cell::RefCell;
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
}
