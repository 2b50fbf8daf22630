pub mod invalid_policy;
pub mod missing_version;
pub mod unknown_action;
pub mod unknown_service;
pub mod wildcard_matches_nothing;
