//! Data parallelism: rayon with the `native` feature; without it (WebAssembly, which has no
//! threads), a sequential stand-in with the few rayon methods the engine calls, so that the
//! callers read the same either way (`use crate::par::prelude::*`).

#[cfg(feature = "native")]
pub use rayon::prelude;

#[cfg(not(feature = "native"))]
pub mod prelude {
    /// `par_iter()` on slices (and vectors, by deref): the plain iterator.
    pub trait ParSlice<T> {
        fn par_iter(&self) -> std::slice::Iter<'_, T>;
    }

    impl<T> ParSlice<T> for [T] {
        fn par_iter(&self) -> std::slice::Iter<'_, T> {
            self.iter()
        }
    }

    /// `into_par_iter()`: the plain owning iterator.
    pub trait IntoParIter: IntoIterator + Sized {
        fn into_par_iter(self) -> Self::IntoIter {
            self.into_iter()
        }
    }

    impl<I: IntoIterator> IntoParIter for I {}

    /// rayon's `flat_map_iter`: `flat_map`.
    pub trait FlatMapIter: Iterator + Sized {
        fn flat_map_iter<U, F>(self, f: F) -> std::iter::FlatMap<Self, U, F>
        where
            U: IntoIterator,
            F: FnMut(Self::Item) -> U,
        {
            self.flat_map(f)
        }
    }

    impl<I: Iterator> FlatMapIter for I {}
}
