//! The escalation paths of `rules/privesc.toml` and the sets of their actions a statement names.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::action::wildcard_match;
use crate::rules::prelude::*;

pub(super) const PRIVESC_TOML: &str = include_str!("../../../../rules/privesc.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Path {
    pub(super) name: String,
    pub(super) actions: Vec<String>,
    pub(super) effect: String,
    pub(super) source: String,
    /// The service `iam:PassRole` hands the role to on this path (`ec2.amazonaws.com`).
    #[serde(default)]
    pub(super) passed_to: Option<String>,
    /// The path also works on the principal itself (`user/${aws:username}`).
    #[serde(default)]
    pub(super) self_target: bool,
    /// The resource types (the catalog's names) through which the path's actions reach what they
    /// take over: `instance` and `managed-instance` for `ssm:SendCommand`, not its `document` or
    /// output `bucket`. Empty: every resource type of the action.
    #[serde(default)]
    pub(super) targets: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct PathFile {
    pub(super) path: Vec<Path>,
}

pub(super) fn paths() -> &'static [Path] {
    static PATHS: OnceLock<Vec<Path>> = OnceLock::new();
    PATHS.get_or_init(|| {
        toml::from_str::<PathFile>(PRIVESC_TOML)
            .expect("embedded privesc.toml: [[path]] tables with name, actions, effect, source")
            .path
    })
}

/// A set of the paths' actions: bit `i` stands for `action_names()[i]`.
pub(super) type ActionSet = u128;

/// The distinct actions of the paths, lower case.
pub(super) fn action_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = paths()
            .iter()
            .flat_map(|p| p.actions.iter().map(|a| a.to_ascii_lowercase()))
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

/// The services of the paths' actions, lower case, each with the range of its actions in
/// [`action_names`] (sorted, so a service's actions are neighbours).
pub(super) fn path_services() -> &'static [(&'static str, std::ops::Range<usize>)] {
    static SERVICES: OnceLock<Vec<(&'static str, std::ops::Range<usize>)>> = OnceLock::new();
    SERVICES.get_or_init(|| {
        let mut services: Vec<(&'static str, std::ops::Range<usize>)> = Vec::new();
        for (i, name) in action_names().iter().enumerate() {
            let service = name.split_once(':').map_or(name.as_str(), |(s, _)| s);
            match services.last_mut() {
                Some((last, range)) if *last == service => range.end = i + 1,
                _ => services.push((service, i..i + 1)),
            }
        }
        services
    })
}

/// Each path's actions, in the order of [`paths`].
pub(super) fn path_sets() -> &'static [ActionSet] {
    static SETS: OnceLock<Vec<ActionSet>> = OnceLock::new();
    SETS.get_or_init(|| {
        paths()
            .iter()
            .map(|p| p.actions.iter().fold(0, |set, a| set | bit(a)))
            .collect()
    })
}

pub(super) fn bit(action: &str) -> ActionSet {
    action_names()
        .iter()
        .position(|n| n.eq_ignore_ascii_case(action))
        .map_or(0, |i| 1 << i)
}

/// The paths' actions a pattern matches. Most patterns name a service no path uses
/// (`s3:GetObject`) and are told apart by their service alone; the others are matched against
/// the actions of their service only.
pub(super) fn matched(pattern: &str) -> ActionSet {
    let names = action_names();
    let range = match pattern.split_once(':') {
        Some((service, _)) if !crate::model::action::has_wildcard(service) => {
            match path_services()
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(service))
            {
                Some((_, range)) => range.clone(),
                None => return 0,
            }
        }
        _ => 0..names.len(),
    };
    range
        .filter(|&i| wildcard_match(pattern, &names[i]))
        .fold(0, |set, i| set | 1 << i)
}

/// The paths' actions a statement's `Action` (or `NotAction`) list names. A `NotAction` list
/// with an unknown entry names none (it might exclude any of them).
pub(super) fn named(stmt: &Statement) -> ActionSet {
    let Some(list) = stmt.action.as_ref() else {
        return 0;
    };
    let set = list.known().fold(0, |set, p| set | matched(p.value));
    match (list.negated, list.has_unknown()) {
        (false, _) => set,
        (true, true) => 0,
        (true, false) => !set,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_sets_hold_every_path_action() {
        assert!(action_names().len() <= ActionSet::BITS as usize);
        for p in paths() {
            for a in &p.actions {
                assert_ne!(bit(a), 0, "{a}");
                assert_eq!(matched(a), bit(a), "{a} matches itself only");
            }
        }
        assert_eq!(matched("*").count_ones() as usize, action_names().len());
        assert_eq!(matched("s3:GetObject"), 0);
        assert_eq!(matched("IAM:passrole"), bit("iam:PassRole"));
        // The shortcuts by service give what matching every action gives.
        for pattern in [
            "*",
            "iam:*",
            "iam:Create*",
            "*:Create*",
            "lambda:*Function*",
            "ec2:RunInstances",
            "ec2*:*",
            "s3:*",
            "sts:AssumeRole",
            "i?m:Put*",
            "glue:Update*",
            "nothing",
        ] {
            let brute = action_names()
                .iter()
                .enumerate()
                .filter(|(_, n)| wildcard_match(pattern, n))
                .fold(0, |set: ActionSet, (i, _)| set | 1 << i);
            assert_eq!(matched(pattern), brute, "{pattern}");
        }
    }

    #[test]
    fn every_path_names_catalog_actions() {
        let catalog = crate::catalog::Catalog::get();
        assert!(paths().len() >= 40);
        for p in paths() {
            assert!(p.source.starts_with("https://"), "{}", p.name);
            for a in &p.actions {
                assert!(catalog.action(a).is_some(), "{}: {a}", p.name);
            }
            // A target that names no resource type of the actions would close the path silently.
            for t in &p.targets {
                assert!(
                    p.actions.iter().any(|a| catalog
                        .action(a)
                        .is_some_and(|found| found.resource_types().any(|r| r.name == t))),
                    "{}: no action of the path acts on `{t}`",
                    p.name
                );
            }
        }
    }
}
