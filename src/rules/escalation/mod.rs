pub mod pass_role_any;
pub mod privilege_escalation;
