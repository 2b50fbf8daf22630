//! Rules about AWS managed policies attached to principals.

pub mod broad_managed_policy;
pub mod common;
pub mod unknown_managed_policy;
