pub(crate) mod common;
pub mod credential_exposure;
pub mod pass_role_any;
pub mod privilege_escalation;
pub mod resource_policy_write;
