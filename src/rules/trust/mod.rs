pub mod oidc_trust_unrestricted;
pub mod public_principal;
