pub mod unresolved_reference;
