pub mod allow_not_action;
pub mod allow_not_resource;
pub mod resource_star;
pub mod wildcard_action;
