pub mod invalid_suppression;
pub mod unresolved_reference;
pub mod unused_suppression;
