use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::action::wildcard_match;
use crate::model::arn::is_broad_resource;
use crate::rules::prelude::*;
use crate::text::list_some;

declare_rule! {
    /// Flags principals granted a known privilege-escalation path on all resources.
    ///
    /// ## What it does
    /// Reads the escalation paths of `rules/privesc.toml` (from Rhino Security Labs' research and
    /// cloudsplaining/pathfinding.cloud, each with its source): single actions such as
    /// `iam:CreatePolicyVersion`, `iam:AttachRolePolicy` or `iam:CreateAccessKey`, and combinations
    /// such as `iam:PassRole` + `lambda:CreateFunction` + `lambda:InvokeFunction`. A path is reported
    /// when every one of its actions is granted *broadly* by the identity policies of one principal:
    /// all documents of the input attached to the same user, group or role are judged together;
    /// a document attached to nothing the input shows is judged alone.
    ///
    /// An action is granted broadly by an Allow statement whose `Action` matches it (or whose
    /// `NotAction` does not), whose `Resource` is `"*"`, `NotResource`, or an ARN naming every
    /// resource of a type (`arn:aws:iam::*:role/*`, `arn:aws:iam::111122223333:user/*`: only
    /// wildcards after the resource type), and whose `Condition` is absent or only uses keys that
    /// do not narrow the target (`aws:SecureTransport`, `aws:RequestedRegion`, `aws:CurrentTime`,
    /// `aws:EpochTime`, `aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`, `aws:UserAgent`,
    /// `aws:TokenIssueTime`). Any other condition (`iam:PassedToService`, `iam:PermissionsBoundary`,
    /// `iam:PolicyARN`, a resource tag) or a narrow ARN (`role/app-*`, `role/service-role/*`) takes the
    /// action out. A Deny on the action with `Resource: "*"` and no condition removes it. Paths
    /// contained in a larger reported path's actions are not repeated; paths sharing the statement
    /// item that grants their first action are reported together.
    ///
    /// ## Why is this bad?
    /// Each path lets the principal give itself more rights than its policy states: attach
    /// `AdministratorAccess` to itself, mint keys for an administrator, or run code under a more
    /// privileged role. A policy with such a path is, in effect, an administrator policy.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
    ///   {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}
    /// ]}
    /// ```
    ///
    /// Use instead: pass only the function's own role, and only to Lambda.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app-function",
    ///    "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
    ///   {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "arn:aws:lambda:us-east-1:111122223333:function:app-*"}
    /// ]}
    /// ```
    ///
    /// ## Known limitations
    /// AWS managed policies attached by ARN are not yet read into the combination; permissions
    /// boundaries, SCPs and resource policies are not considered.
    ///
    /// ## References
    /// - [Rhino Security Labs: AWS IAM privilege escalation methods](https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/)
    /// - [pathfinding.cloud](https://pathfinding.cloud)
    /// - [cloudsplaining privilege-escalation methods](https://github.com/salesforce/cloudsplaining/blob/master/cloudsplaining/shared/constants.py)
    /// - [Granting a user permissions to pass a role](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html)
    pub PrivilegeEscalation {
        id: "privilege-escalation",
        category: Escalation,
        severity: Error,
        fix: None,
    }
}

const PRIVESC_TOML: &str = include_str!("../../../rules/privesc.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Path {
    name: String,
    actions: Vec<String>,
    effect: String,
    source: String,
}

#[derive(Deserialize)]
struct PathFile {
    path: Vec<Path>,
}

fn paths() -> &'static [Path] {
    static PATHS: OnceLock<Vec<Path>> = OnceLock::new();
    PATHS.get_or_init(|| {
        toml::from_str::<PathFile>(PRIVESC_TOML)
            .expect("embedded privesc.toml: [[path]] tables with name, actions, effect, source")
            .path
    })
}

/// A set of the paths' actions: bit `i` stands for `action_names()[i]`.
type ActionSet = u128;

/// The distinct actions of the paths, lower case.
fn action_names() -> &'static [String] {
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
fn path_services() -> &'static [(&'static str, std::ops::Range<usize>)] {
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
fn path_sets() -> &'static [ActionSet] {
    static SETS: OnceLock<Vec<ActionSet>> = OnceLock::new();
    SETS.get_or_init(|| {
        paths()
            .iter()
            .map(|p| p.actions.iter().fold(0, |set, a| set | bit(a)))
            .collect()
    })
}

fn bit(action: &str) -> ActionSet {
    action_names()
        .iter()
        .position(|n| n.eq_ignore_ascii_case(action))
        .map_or(0, |i| 1 << i)
}

/// The paths' actions a pattern matches. Most patterns name a service no path uses
/// (`s3:GetObject`) and are told apart by their service alone; the others are matched against
/// the actions of their service only.
fn matched(pattern: &str) -> ActionSet {
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
fn named(stmt: &Statement) -> ActionSet {
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

/// Condition keys that do not narrow who or what an action reaches.
const NON_NARROWING_KEYS: &[&str] = &[
    "aws:SecureTransport",
    "aws:RequestedRegion",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:UserAgent",
    "aws:TokenIssueTime",
];

/// Where an action is granted broadly.
#[derive(Debug, Clone)]
struct Grant {
    /// The `Action` item (or the `NotAction` key) that grants it.
    span: Span,
    /// The item as written.
    text: String,
    path: String,
    unsure: bool,
}

fn narrowing_condition(stmt: &Statement) -> bool {
    stmt.condition.as_ref().is_some_and(|c| {
        c.entries().any(|(_, e)| {
            e.key
                .value
                .as_str()
                .is_none_or(|k| !NON_NARROWING_KEYS.iter().any(|n| n.eq_ignore_ascii_case(k)))
        })
    })
}

/// `Some(unsure)` when the statement's resources are broad.
fn broad_resources(stmt: &Statement) -> Option<bool> {
    let resources = stmt.resource.as_ref()?;
    if resources.negated {
        return Some(false);
    }
    for item in &resources.items {
        match &item.value {
            Scalar::Str(s) if is_broad_resource(s) => return Some(false),
            Scalar::Template(t) if is_broad_resource(&t.with_holes("x")) => return Some(true),
            _ => {}
        }
    }
    None
}

/// A statement that can grant actions broadly: an Allow on broad resources without a narrowing
/// condition, and whether its resources are only possibly broad.
fn broad_allow(stmt: &Statement) -> Option<(&Statement, bool)> {
    if !stmt.allows() || narrowing_condition(stmt) {
        return None;
    }
    Some((stmt, broad_resources(stmt)?))
}

/// The grant of `action` by a statement [`broad_allow`] accepted.
fn grant((stmt, unsure_resource): (&Statement, bool), action: &str) -> Option<Grant> {
    let list = stmt.action.as_ref()?;
    let (span, text, unsure) = if list.negated {
        if list.has_unknown() || list.known().any(|p| wildcard_match(p.value, action)) {
            return None;
        }
        (list.key, "NotAction".to_string(), false)
    } else {
        let item = list.known().find(|p| wildcard_match(p.value, action))?;
        (item.span, item.value.to_string(), false)
    };
    Some(Grant {
        span,
        text,
        path: stmt.path.clone(),
        unsure: unsure || unsure_resource,
    })
}

/// A Deny statement on everything, without conditions.
fn blanket_deny(stmt: &Statement) -> bool {
    stmt.effect() == Some(Effect::Deny)
        && !stmt.has_condition()
        && stmt.resources().is_some_and(ListField::has_star)
}

impl Rule for PrivilegeEscalation {
    fn check_file(&self, file: &FileModel, _cx: &Ctx, out: &mut Vec<Finding>) {
        // Identity documents grouped by principal; unattached documents alone.
        let mut groups: BTreeMap<String, Vec<&PolicyDoc>> = BTreeMap::new();
        for (i, doc) in file.docs.iter().enumerate() {
            if doc.kind != PolicyKind::Identity {
                continue;
            }
            let key = match &doc.origin.attached_to {
                Some(p) => format!("p:{p}"),
                None => format!("d:{i:08}"),
            };
            groups.entry(key).or_default().push(doc);
        }
        for docs in groups.values() {
            check_group(docs, out);
        }
    }
}

/// A path whose actions are all granted, with the grant of each action (in the path's order).
type OpenPath = (&'static Path, Vec<Grant>);

fn check_group(docs: &[&PolicyDoc], out: &mut Vec<Finding>) {
    let statements = || docs.iter().flat_map(|d| d.statements.iter());
    // Each statement is judged once (conditions, resources), not once per action looked up; most
    // groups have no broad Allow at all and are done here.
    let allows: Vec<((&Statement, bool), ActionSet)> = statements()
        .filter_map(broad_allow)
        .map(|a| (a, named(a.0)))
        .filter(|(_, set)| *set != 0)
        .collect();
    if allows.is_empty() {
        return;
    }
    let denied: ActionSet = statements()
        .filter(|s| blanket_deny(s))
        .filter_map(|s| s.actions())
        .flat_map(|a| a.known())
        .fold(0, |set, p| set | matched(p.value));
    let granted: ActionSet = allows.iter().fold(0, |set, (_, s)| set | s) & !denied;
    // By bit: the grant of each action, once looked up.
    let mut grants: Vec<Option<Option<Grant>>> = vec![None; action_names().len()];
    let mut lookup = |action: &str| -> Option<Grant> {
        let bit = bit(action);
        grants[bit.trailing_zeros() as usize]
            .get_or_insert_with(|| {
                allows
                    .iter()
                    .filter(|(_, set)| set & bit != 0)
                    .find_map(|&(s, _)| grant(s, action))
            })
            .clone()
    };
    let mut open: Vec<OpenPath> = Vec::new();
    for (path, needs) in paths().iter().zip(path_sets()) {
        if needs & granted != *needs {
            continue;
        }
        let found: Option<Vec<Grant>> = path.actions.iter().map(|a| lookup(a)).collect();
        if let Some(found) = found {
            open.push((path, found));
        }
    }
    // Drop paths whose actions strictly contain another open path's actions.
    let contains = |big: &Path, small: &Path| {
        big.actions.len() > small.actions.len()
            && small
                .actions
                .iter()
                .all(|a| big.actions.iter().any(|b| b.eq_ignore_ascii_case(a)))
    };
    let kept: Vec<&OpenPath> = open
        .iter()
        .filter(|(p, _)| !open.iter().any(|(q, _)| contains(p, q)))
        .collect();
    // One finding per statement item granting the paths' first action.
    let mut by_item: BTreeMap<(Span, String), Vec<&OpenPath>> = BTreeMap::new();
    for entry in kept {
        let first = &entry.1[0];
        by_item
            .entry((first.span, first.text.clone()))
            .or_default()
            .push(entry);
    }
    for ((span, text), entries) in by_item {
        let (path, grants) = entries[0];
        let names: Vec<String> = entries.iter().map(|(p, _)| p.name.clone()).collect();
        let first = &path.actions[0];
        let grants_first = if text.eq_ignore_ascii_case(first) {
            format!("`{first}` on all resources")
        } else {
            format!("`{text}` grants `{first}` on all resources")
        };
        let message = if entries.len() == 1 {
            let rest: Vec<String> = path.actions[1..].to_vec();
            let what = if rest.is_empty() {
                grants_first
            } else {
                format!("{grants_first}, together with {}", list_some(&rest, 3))
            };
            format!(
                "{what}: a known privilege-escalation path ({}: {})",
                path.name, path.effect
            )
        } else {
            format!(
                "`{text}` opens {} known privilege-escalation paths ({})",
                entries.len(),
                list_some(&names, 3)
            )
        };
        let mut finding = PrivilegeEscalation::finding(span, message)
            .help(format!(
                "scope these actions to the resources this principal manages (not `*` or `role/*`), or add conditions such as `iam:PassedToService` or `iam:PermissionsBoundary`; see {}",
                path.source
            ))
            .unsure_if(entries.iter().any(|(_, g)| g.iter().any(|x| x.unsure)))
            .path(grants[0].path.clone());
        let mut related: Vec<Span> = vec![span];
        for (p, g) in &entries {
            for (action, grant) in p.actions.iter().zip(g.iter()).skip(1) {
                if related.contains(&grant.span) || related.len() > 5 {
                    continue;
                }
                related.push(grant.span);
                finding = finding.related(grant.span, format!("grants `{action}`"));
            }
        }
        out.push(finding.build());
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
        }
    }
}
