//! Retired service prefixes (`rules/deprecated-services.toml`): AWS has ended these services and
//! removed them from the Service Authorization Reference.

use std::sync::OnceLock;

use serde::Deserialize;

const RETIRED_TOML: &str = include_str!("../../rules/deprecated-services.toml");

/// A service AWS has retired.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredService {
    /// The prefix as written in actions: `codestar`.
    pub prefix: String,
    pub name: String,
    /// End of support: `YYYY-MM-DD`, or the year when no day is known.
    pub retired: String,
    /// What AWS points to instead, if anything.
    pub replacement: Option<String>,
    /// The page that says so.
    pub source: String,
}

#[derive(Deserialize)]
struct RetiredFile {
    service: Vec<RetiredService>,
}

pub(super) fn all() -> &'static [RetiredService] {
    static ALL: OnceLock<Vec<RetiredService>> = OnceLock::new();
    ALL.get_or_init(|| {
        toml::from_str::<RetiredFile>(RETIRED_TOML)
            .expect("embedded deprecated-services.toml: [[service]] tables with prefix, name, retired, source")
            .service
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_prefixes_are_not_in_the_catalog() {
        for s in all() {
            assert!(
                crate::catalog::Catalog::get().service(&s.prefix).is_none(),
                "{} is still in the catalog",
                s.prefix
            );
            assert!(s.source.starts_with("https://"), "{}", s.prefix);
        }
    }
}
