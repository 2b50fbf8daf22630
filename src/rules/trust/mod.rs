pub mod allow_not_principal;
pub mod cross_account_trust;
pub mod oidc_trust_unrestricted;
pub mod public_principal;
