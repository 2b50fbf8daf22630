//! Condition-key lookup: global keys (hand-kept TOML), the catalog's per-service keys, and
//! identity-provider claim keys.

use std::sync::OnceLock;

use serde::Deserialize;

use super::pattern::{has_placeholder, placeholder_match};
use super::store::condition_table;
use super::{ConditionKeyInfo, ConditionType};

const GLOBAL_TOML: &str = include_str!("../../rules/global-condition-keys.toml");

#[derive(Deserialize)]
struct GlobalFile {
    key: Vec<GlobalKey>,
}

#[derive(Deserialize)]
struct GlobalKey {
    key: String,
    #[serde(rename = "type")]
    ty: String,
}

static GLOBALS: OnceLock<Vec<(String, ConditionType)>> = OnceLock::new();

/// The global and cross-service keys of `rules/global-condition-keys.toml`, in file order.
pub(super) fn globals() -> &'static [(String, ConditionType)] {
    GLOBALS.get_or_init(|| {
        let file: GlobalFile = toml::from_str(GLOBAL_TOML).expect(
            "embedded global-condition-keys.toml: a list of [[key]] tables with key and type",
        );
        file.key
            .into_iter()
            .map(|k| (k.key, ConditionType::parse(&k.ty)))
            .collect()
    })
}

/// [`lookup_uncached`], remembered per thread: policies repeat the same few keys, and a miss
/// walks every placeholder pattern.
pub(super) fn lookup(key: &str) -> Option<ConditionKeyInfo> {
    thread_local! {
        static CACHE: crate::memo::Table<Option<ConditionKeyInfo>> = Default::default();
    }
    crate::memo::remembered(&CACHE, key, lookup_uncached)
}

fn lookup_uncached(key: &str) -> Option<ConditionKeyInfo> {
    let global = |(k, ty): &(String, ConditionType)| ConditionKeyInfo {
        key: k.clone(),
        ty: *ty,
        global: true,
    };
    let service = |(k, ty): &(&str, ConditionType)| ConditionKeyInfo {
        key: k.to_string(),
        ty: *ty,
        global: false,
    };
    let globals = globals();
    // Exact keys before patterns, global before per-service.
    if let Some(g) = globals
        .iter()
        .find(|(k, _)| !has_placeholder(k) && k.eq_ignore_ascii_case(key))
    {
        return Some(global(g));
    }
    // Fast path: a key defined by the service of its own prefix (`s3:prefix` in `s3`) needs only
    // that service; the cross-service table below reads every line once.
    if let Some((prefix, _)) = key.split_once(':') {
        let own = super::Catalog::get().service(prefix).and_then(|svc| {
            svc.condition_keys
                .iter()
                .find(|k| !has_placeholder(&k.key) && k.key.eq_ignore_ascii_case(key))
        });
        if let Some(k) = own {
            return Some(ConditionKeyInfo {
                key: k.key.clone(),
                ty: k.ty,
                global: false,
            });
        }
    }
    let table = condition_table();
    if let Some(s) = table.exact.get(&key.to_ascii_lowercase()) {
        return Some(service(s));
    }
    if let Some(g) = globals
        .iter()
        .find(|(k, _)| has_placeholder(k) && placeholder_match(k, key))
    {
        return Some(global(g));
    }
    if let Some(s) = table
        .patterns
        .iter()
        .find(|(k, _)| placeholder_match(k, key))
    {
        return Some(service(s));
    }
    identity_provider_key(key).then(|| ConditionKeyInfo {
        key: key.to_string(),
        ty: ConditionType::String,
        global: false,
    })
}

/// Identity-provider claim keys in trust policies: `<issuer-host>[/<path>]:<claim>`, for example
/// `token.actions.githubusercontent.com:sub`, `app.terraform.io:sub`, `gitlab.com:sub`,
/// `oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud`. IAM creates such a key for any OIDC provider
/// registered in the account, so the catalog (which lists a few well-known issuers under `sts`)
/// cannot list them all. Rule: the part before the first `:` is a hostname of at least two dot-
/// separated labels (letters, digits, `-`, not at a label's ends; the last label starts with a
/// letter), optionally followed by `/` and a non-empty path; the claim after the `:` is non-empty
/// and has no whitespace. Such keys are typed String. Keys whose prefix has no dot (`s3:prefx`) never
/// match this rule, so misspelt service keys still fail the lookup.
pub(super) fn identity_provider_key(key: &str) -> bool {
    let Some((issuer, claim)) = key.split_once(':') else {
        return false;
    };
    if claim.is_empty() || claim.chars().any(char::is_whitespace) {
        return false;
    }
    let (host, path) = match issuer.split_once('/') {
        Some((host, path)) => (host, Some(path)),
        None => (issuer, None),
    };
    if path.is_some_and(|p| p.is_empty() || p.chars().any(char::is_whitespace)) {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_provider_keys() {
        for ok in [
            "token.actions.githubusercontent.com:sub",
            "token.actions.githubusercontent.com:aud",
            "app.terraform.io:sub",
            "gitlab.com:sub",
            "accounts.google.com:aud",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud",
            "oidc.circleci.com/org/1234:oidc.circleci.com/project-id",
        ] {
            assert!(identity_provider_key(ok), "{ok}");
        }
        for bad in [
            "s3:prefix",
            "aws:SourceIp",
            "gitlab.com:",
            "gitlab.com",
            "-bad.com:sub",
            "bad..com:sub",
            "10.0.0.1:sub",
            "gitlab.com/:sub",
            "gitlab.com:a b",
        ] {
            assert!(!identity_provider_key(bad), "{bad}");
        }
    }

    #[test]
    fn global_file_has_the_59_keys() {
        let g = globals();
        assert_eq!(g.len(), 59);
        assert_eq!(g.iter().filter(|(k, _)| k.starts_with("aws:")).count(), 52);
        assert!(g.iter().all(|(_, ty)| *ty != ConditionType::Unknown));
    }
}
