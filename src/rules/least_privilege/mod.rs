pub mod allow_not_action;
pub mod allow_not_resource;
pub mod mfa_condition_bypassable;
pub mod resource_star;
pub mod wildcard_action;
