//! Joins the tally of calls with the principal model: per principal, granted against used,
//! unused by access level and service, denied, not observable, and the minimal policy; and the
//! renderers (human, JSON, Markdown, SARIF).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::fix::{self, ConditionSpec, HclStyle, PolicySpec, ResourceValue, StatementSpec, Target};
use crate::lint::Report;
use crate::model::action::wildcard_match;
use crate::principal::effective::{self, Grant};
use crate::principal::{DocRef, Model, Principal, PrincipalKind};

use super::events::{self, Mapped};
use super::names::{self, Declared};
use super::read::{last_segment, CallStat, Tally, Who, WhoKind, Window};
use super::{Mapping, PolicyFormat, JSON_VERSION};

pub struct Settings<'a> {
    pub window: &'a Window,
    pub maps: &'a [Mapping],
    pub allow_wildcards: bool,
    pub min_days: u32,
    pub root: &'a Path,
}

/// The whole report (the JSON contract of `docs/usage.md`).
#[derive(Debug, Serialize)]
pub struct Usage {
    pub version: u32,
    pub window: WindowRow,
    pub counts: Counts,
    pub principals: Vec<PrincipalRow>,
    /// Identities of the logs that match no principal of the tree.
    pub outside: Vec<OutsideRow>,
}

#[derive(Debug, Serialize)]
pub struct WindowRow {
    pub since: Option<String>,
    pub until: Option<String>,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    /// Days the window spans (the bounds given, else the first and last event), at least 1.
    pub days: Option<u64>,
    /// Shorter than `--min-days`: rarely used actions may look unused.
    pub short: bool,
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub files: u64,
    pub records: u64,
    pub skipped: u64,
    pub denied: u64,
    pub errors: usize,
}

#[derive(Debug, Serialize)]
pub struct PrincipalRow {
    pub address: String,
    pub kind: &'static str,
    /// Its name in AWS, when the tree writes it literally.
    pub name: Option<String>,
    pub path: String,
    pub line: usize,
    /// How log identities were matched to it: `name`, `name_prefix`, `name_pattern`,
    /// `logical_id`, `map`;
    /// `null` when none was.
    pub matched_by: Option<&'static str>,
    pub granted: Vec<ActionRow>,
    pub used: Vec<UsedRow>,
    pub unused: Vec<ActionRow>,
    pub unused_by_access_level: BTreeMap<&'static str, usize>,
    pub unused_by_service: BTreeMap<String, usize>,
    pub denied: Vec<DeniedRow>,
    pub not_observable: Vec<NotObservableRow>,
    /// Granted actions AWS also checks for a used call (the catalog's dependent actions), kept
    /// in the minimal policy as granted.
    pub dependent: Vec<DependentRow>,
    /// Events of this principal iamlint could not map to an action.
    pub unmapped: Vec<UnmappedRow>,
    /// Used, but granted by nothing the tree resolves (a policy from outside the tree).
    pub used_not_granted: Vec<String>,
    /// Why the granted set may be incomplete.
    pub incomplete: Vec<String>,
    /// The smallest policy allowing what was used and what is not observable; `null` when no
    /// log identity matched.
    pub minimal_policy: Option<serde_json::Value>,
    #[serde(skip)]
    pub spec: Option<PolicySpec>,
    #[serde(skip)]
    pub unused_sites: Vec<UnusedSite>,
    /// Where the minimal policy allows each action (for `--fix`).
    #[serde(skip)]
    pub scopes: BTreeMap<String, Vec<Scope>>,
    /// Its index in the principal model.
    #[serde(skip)]
    pub index: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ActionRow {
    pub action: String,
    pub access_level: &'static str,
}

#[derive(Debug, Serialize)]
pub struct UsedRow {
    pub action: String,
    pub count: u64,
    pub last_used: String,
    /// Resources the calls named; empty: unknown (the granted scope is kept).
    pub resources: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DeniedRow {
    pub action: String,
    pub count: u64,
    pub last: String,
    /// Resources the denied calls named; empty: unknown.
    pub resources: Vec<String>,
    /// The action was also used (allowed) by other calls: the grant covers some resources or
    /// conditions and not those of the denied calls.
    pub also_used: bool,
    /// The principal's policies grant the action: what refused the calls is elsewhere (a
    /// resource policy, a boundary, an SCP) or a condition.
    pub granted: bool,
}

#[derive(Debug, Serialize)]
pub struct DependentRow {
    pub action: String,
    /// The used actions it is a dependent action of.
    pub of: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct NotObservableRow {
    pub action: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct UnmappedRow {
    pub event_source: String,
    pub event_name: String,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct OutsideRow {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub arn: String,
    pub calls: u64,
    pub denied: u64,
    pub last: String,
}

/// A statement granting unused actions, for SARIF.
#[derive(Debug, Clone)]
pub struct UnusedSite {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub actions: Vec<String>,
}

/// What the logs say one principal did.
#[derive(Default)]
struct Seen {
    used: BTreeMap<String, CallStat>,
    denied: BTreeMap<String, CallStat>,
    unmapped: BTreeMap<(String, String), u64>,
    matched_by: Option<&'static str>,
}

pub fn build(
    tally: &Tally,
    report: &Report,
    model: &Model,
    settings: &Settings,
    errors: usize,
    keep: &dyn Fn(&Principal) -> bool,
) -> Usage {
    let table = events::table();
    let principals: Vec<(&Principal, Declared)> = model
        .principals
        .iter()
        .filter(|p| matches!(p.kind, PrincipalKind::Role | PrincipalKind::User) && keep(p))
        .map(|p| (p, names::declared(report, model, p)))
        .collect();
    let mut seen: Vec<Seen> = principals.iter().map(|_| Seen::default()).collect();
    let mut outside: BTreeMap<Who, OutsideRow> = BTreeMap::new();

    // Deterministic order: the tally is a hash map.
    let mut calls: Vec<_> = tally.calls.iter().collect();
    calls.sort_by(|a, b| a.0.cmp(b.0));
    for (key, stat) in calls {
        let targets = match_principals(&key.who, &principals, settings.maps);
        if targets.is_empty() {
            let row = outside
                .entry(key.who.clone())
                .or_insert_with(|| OutsideRow {
                    kind: key.who.kind.as_str(),
                    name: key.who.name.clone(),
                    arn: key.who.arn.clone(),
                    calls: 0,
                    denied: 0,
                    last: String::new(),
                });
            if key.denied {
                row.denied += stat.count;
            } else {
                row.calls += stat.count;
            }
            if stat.last > row.last {
                row.last = stat.last.clone();
            }
            continue;
        }
        // A federated identity's call is the role's `AssumeRoleWith...`: the trust policy's
        // business, not a use of the role's permissions.
        if key.who.kind == WhoKind::Federated {
            for (i, how) in targets {
                seen[i].matched_by.get_or_insert(how);
            }
            continue;
        }
        let mapped = table.map(&key.source, &key.name);
        for (i, how) in targets {
            let s = &mut seen[i];
            s.matched_by.get_or_insert(how);
            match &mapped {
                Mapped::Actions(actions, _) => {
                    for a in actions {
                        let into = if key.denied {
                            &mut s.denied
                        } else {
                            &mut s.used
                        };
                        merge(into.entry(a.clone()).or_default(), stat);
                    }
                }
                Mapped::NoPermission => {}
                Mapped::Unknown => {
                    *s.unmapped
                        .entry((key.source.clone(), key.name.clone()))
                        .or_default() += stat.count;
                }
            }
        }
    }

    let rows = principals
        .iter()
        .zip(seen)
        .map(|((p, declared), s)| {
            let mut row = principal_row(p, declared, s, tally, report, model, settings);
            row.index = model
                .principals
                .iter()
                .position(|q| std::ptr::eq(q, *p))
                .unwrap_or(usize::MAX);
            row
        })
        .collect();

    let (days, short) = window_days(settings.window, tally, settings.min_days);
    Usage {
        version: JSON_VERSION,
        window: WindowRow {
            since: settings.window.since.clone(),
            until: settings.window.until.clone(),
            first_event: tally.first.clone(),
            last_event: tally.last.clone(),
            days,
            short,
        },
        counts: Counts {
            files: tally.files,
            records: tally.records,
            skipped: tally.skipped,
            denied: tally.denied,
            errors,
        },
        principals: rows,
        outside: outside.into_values().collect(),
    }
}

fn merge(into: &mut CallStat, from: &CallStat) {
    into.count += from.count;
    if from.last > into.last {
        into.last = from.last.clone();
    }
    into.unknown_resource |= from.unknown_resource;
    into.resources.extend(from.resources.iter().cloned());
}

/// The principals a log identity is: by `--map` first, else by name.
fn match_principals(
    who: &Who,
    principals: &[(&Principal, Declared)],
    maps: &[Mapping],
) -> Vec<(usize, &'static str)> {
    let wanted = match who.kind {
        WhoKind::Role | WhoKind::Federated => PrincipalKind::Role,
        WhoKind::User => PrincipalKind::User,
        _ => return Vec::new(),
    };
    let mapped: Vec<(usize, &'static str)> = maps
        .iter()
        .filter(|m| {
            m.identity == who.arn || m.identity == who.name || last_segment(&m.identity) == who.name
        })
        .flat_map(|m| {
            principals
                .iter()
                .enumerate()
                .filter(move |(_, (p, _))| p.address == m.address)
                .map(|(i, _)| (i, "map"))
        })
        .collect();
    if !mapped.is_empty() {
        return mapped;
    }
    principals
        .iter()
        .enumerate()
        .filter(|(_, (p, _))| p.kind == wanted)
        .filter_map(|(i, (_, d))| d.matches(&who.name).map(|how| (i, how)))
        .collect()
}

/// Days between two `eventTime`s or bounds (inclusive), from their dates.
fn window_days(window: &Window, tally: &Tally, min_days: u32) -> (Option<u64>, bool) {
    let start = window.since.clone().or_else(|| tally.first.clone());
    let end = window.until.clone().or_else(|| tally.last.clone());
    let days = match (start.as_deref().and_then(day), end.as_deref().and_then(day)) {
        (Some(a), Some(b)) if b >= a => Some(u64::try_from(b - a).unwrap_or(0) + 1),
        _ => None,
    };
    (days, days.is_none_or(|d| d < u64::from(min_days)))
}

/// Days since 1970-01-01 of `YYYY-MM-DD...` (`YYYY-MM` and `YYYY` read as their first day).
fn day(s: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<i64>().ok());
    let y = num(0..4)?;
    let m = num(5..7).unwrap_or(1);
    let d = num(8..10).unwrap_or(1);
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn principal_row(
    p: &Principal,
    declared: &Declared,
    seen: Seen,
    tally: &Tally,
    report: &Report,
    model: &Model,
    settings: &Settings,
) -> PrincipalRow {
    let table = events::table();
    let mut expander = effective::Expander::default();
    let eff = effective::of(model, p, &mut expander);
    let grants = eff.expanded(&expander);
    let mut by_action: BTreeMap<&str, Vec<&Grant>> = BTreeMap::new();
    for g in &grants {
        by_action.entry(g.action.as_str()).or_default().push(g);
    }
    let granted: Vec<ActionRow> = by_action
        .iter()
        .map(|(a, gs)| ActionRow {
            action: (*a).to_string(),
            access_level: gs.first().map_or("", |g| g.access_level),
        })
        .collect();
    let matched = seen.matched_by.is_some();

    // The dependent actions of the used ones that the principal is granted: a call may need them
    // (`iam:PassRole` for `ec2:RunInstances` passing a profile). One it is not granted is left
    // out: its calls succeeded without it.
    let mut dependent_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if matched {
        let catalog = Catalog::get();
        for a in seen.used.keys() {
            for d in catalog.dependent_actions(a) {
                if by_action.contains_key(d) && !seen.used.contains_key(*d) {
                    dependent_of
                        .entry((*d).to_string())
                        .or_default()
                        .insert(a.clone());
                }
            }
        }
    }
    let mut not_observable = Vec::new();
    let mut unused = Vec::new();
    if matched {
        for row in &granted {
            if seen.used.contains_key(&row.action) || dependent_of.contains_key(&row.action) {
                continue;
            }
            match table.data_source(&row.action) {
                Some(source) if !tally.data_sources.contains(source) => {
                    not_observable.push(NotObservableRow {
                        action: row.action.clone(),
                        reason: format!(
                            "a data event: these logs have no data events of `{source}`"
                        ),
                    });
                }
                _ => unused.push(row.clone()),
            }
        }
    }
    let mut unused_by_access_level: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut unused_by_service: BTreeMap<String, usize> = BTreeMap::new();
    for u in &unused {
        *unused_by_access_level.entry(u.access_level).or_default() += 1;
        let service = u.action.split_once(':').map_or("", |(s, _)| s);
        *unused_by_service.entry(service.to_string()).or_default() += 1;
    }

    let used: Vec<UsedRow> = seen
        .used
        .iter()
        .map(|(a, s)| UsedRow {
            action: a.clone(),
            count: s.count,
            last_used: s.last.clone(),
            resources: if s.unknown_resource {
                Vec::new()
            } else {
                s.resources.iter().cloned().collect()
            },
        })
        .collect();
    let used_not_granted = seen
        .used
        .keys()
        .filter(|a| !by_action.contains_key(a.as_str()))
        .cloned()
        .collect();
    let denied = seen
        .denied
        .iter()
        .map(|(a, s)| DeniedRow {
            action: a.clone(),
            count: s.count,
            last: s.last.clone(),
            resources: if s.unknown_resource {
                Vec::new()
            } else {
                s.resources.iter().cloned().collect()
            },
            also_used: seen.used.contains_key(a),
            granted: by_action.contains_key(a.as_str()),
        })
        .collect();
    let unmapped = seen
        .unmapped
        .into_iter()
        .map(|((event_source, event_name), count)| UnmappedRow {
            event_source,
            event_name,
            count,
        })
        .collect();

    let keep: Vec<&str> = not_observable
        .iter()
        .map(|n| n.action.as_str())
        .chain(dependent_of.keys().map(String::as_str))
        .collect();
    let scopes = if matched {
        scopes(&seen.used, &keep, &by_action)
    } else {
        BTreeMap::new()
    };
    let spec = matched.then(|| minimal(p, model, &scopes, settings.allow_wildcards));
    let minimal_policy = spec
        .as_ref()
        .and_then(|s| serde_json::from_str(&fix::json::document(s)).ok());
    let unused_names: BTreeSet<&str> = unused.iter().map(|u| u.action.as_str()).collect();
    let unused_sites = if matched {
        sites(p, model, report, &unused_names)
    } else {
        Vec::new()
    };
    PrincipalRow {
        address: p.address.clone(),
        kind: p.kind.as_str(),
        name: declared.name.clone(),
        path: declared.path.clone(),
        line: declared.line,
        matched_by: seen.matched_by,
        granted,
        used,
        unused,
        unused_by_access_level,
        unused_by_service,
        denied,
        not_observable,
        dependent: dependent_of
            .iter()
            .map(|(action, of)| DependentRow {
                action: action.clone(),
                of: of.iter().cloned().collect(),
            })
            .collect(),
        unmapped,
        used_not_granted,
        incomplete: eff.unknown.clone(),
        minimal_policy,
        spec,
        unused_sites,
        scopes,
        index: usize::MAX,
    }
}

/// Whether an ARN can be a resource of the action: it matches one of the catalog's ARN templates
/// for the action's resource types (`${...}` read as `*`).
fn fits_action(action: &str, arn: &str) -> bool {
    let Some(a) = Catalog::get().action(action) else {
        return false;
    };
    let fits = a.resource_types().any(|rt| {
        rt.arns.iter().any(|template| {
            let mut pattern = String::new();
            let mut rest = *template;
            while let Some(i) = rest.find("${") {
                pattern.push_str(&rest[..i]);
                pattern.push('*');
                rest = rest[i..].find('}').map_or("", |j| &rest[i + j + 1..]);
            }
            pattern.push_str(rest);
            wildcard_match(&pattern, arn)
        })
    });
    fits
}

/// Where the minimal policy allows one action: resources and conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub resources: Vec<String>,
    pub conditions: Vec<String>,
    /// The resources are those the calls named (narrower than, or as, granted).
    pub narrowed: bool,
}

/// Each used action on the resources its calls named (when every call named one that fits the
/// action and lies inside the granted scope), else on the granted resources with their
/// conditions; not-observable actions as granted.
pub fn scopes(
    used: &BTreeMap<String, CallStat>,
    keep: &[&str],
    by_action: &BTreeMap<&str, Vec<&Grant>>,
) -> BTreeMap<String, Vec<Scope>> {
    let granted_scope = |action: &str| -> Vec<Scope> {
        match by_action.get(action) {
            None => vec![Scope {
                resources: vec!["*".to_string()],
                conditions: Vec::new(),
                narrowed: false,
            }],
            Some(gs) => {
                let mut by_cond: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
                for g in gs {
                    let r = if g.resource.starts_with("NotResource:") {
                        "*".to_string()
                    } else {
                        g.resource.clone()
                    };
                    by_cond.entry(g.conditions.clone()).or_default().insert(r);
                }
                by_cond
                    .into_iter()
                    .map(|(c, r)| Scope {
                        resources: r.into_iter().collect(),
                        conditions: c,
                        narrowed: false,
                    })
                    .collect()
            }
        }
    };
    let mut out = BTreeMap::new();
    for (action, stat) in used {
        let granted = granted_scope(action);
        let unconditioned = granted.iter().all(|s| s.conditions.is_empty());
        let granted_resources: Vec<&String> = granted.iter().flat_map(|s| &s.resources).collect();
        let fitting: Vec<&String> = stat
            .resources
            .iter()
            .filter(|arn| fits_action(action, arn))
            .collect();
        let inside: Vec<String> = fitting
            .iter()
            .filter(|arn| granted_resources.iter().any(|g| wildcard_match(g, arn)))
            .map(|a| (*a).clone())
            .collect();
        let narrow = unconditioned
            && !stat.unknown_resource
            && !inside.is_empty()
            && inside.len() == fitting.len();
        let scope = if narrow {
            vec![Scope {
                resources: inside,
                conditions: Vec::new(),
                narrowed: true,
            }]
        } else {
            granted
        };
        out.insert(action.clone(), scope);
    }
    for action in keep {
        out.insert((*action).to_string(), granted_scope(action));
    }
    out
}

/// The minimal policy: the scopes grouped by service, resources and conditions.
fn minimal(
    p: &Principal,
    model: &Model,
    scopes: &BTreeMap<String, Vec<Scope>>,
    allow_wildcards: bool,
) -> PolicySpec {
    type Key = (String, Vec<String>, Vec<String>);
    let mut groups: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    let service = |a: &str| a.split_once(':').map_or(a, |(s, _)| s).to_string();
    for (action, list) in scopes {
        for scope in list {
            groups
                .entry((
                    service(action),
                    scope.resources.clone(),
                    scope.conditions.clone(),
                ))
                .or_default()
                .insert(action.clone());
        }
    }
    let patterns = granted_patterns(p, model);
    let mut statements = Vec::new();
    let mut per_service: BTreeMap<String, usize> = BTreeMap::new();
    for ((svc, resources, conditions), actions) in groups {
        let actions = compress(actions, &patterns, allow_wildcards);
        let n = per_service.entry(svc.clone()).or_default();
        *n += 1;
        let mut sid = crate::fix::camel(&svc.replace('-', "_"));
        sid.retain(|c| c.is_ascii_alphanumeric());
        if *n > 1 {
            sid.push_str(&n.to_string());
        }
        statements.push(StatementSpec {
            sid: format!("Used{sid}"),
            actions,
            resources: resources.into_iter().map(ResourceValue::Arn).collect(),
            conditions: conditions.iter().filter_map(|c| condition(c)).collect(),
        });
    }
    PolicySpec { statements }
}

/// Replaces the actions a written wildcard matches by the wildcard, when every action it matches
/// is in the set (any, with `allow_wildcards`); patterns of one service only.
pub fn compress(
    mut actions: BTreeSet<String>,
    patterns: &[String],
    allow_wildcards: bool,
) -> Vec<String> {
    let catalog = Catalog::get();
    for pattern in patterns {
        if !pattern.contains('*') && !pattern.contains('?') {
            continue;
        }
        let Some((svc, _)) = pattern.split_once(':') else {
            continue;
        };
        if svc.contains('*') || svc.contains('?') {
            continue;
        }
        let matched: BTreeSet<String> = catalog
            .expand(pattern)
            .into_iter()
            .map(|a| a.full_name())
            .collect();
        if matched.len() < 2 {
            continue;
        }
        let covered = if allow_wildcards {
            matched.iter().any(|m| actions.contains(m))
        } else {
            matched.iter().all(|m| actions.contains(m))
        };
        if covered {
            actions.retain(|a| !matched.contains(a));
            actions.insert(pattern.clone());
        }
    }
    actions.into_iter().collect()
}

/// `StringEquals aws:RequestedRegion=us-east-1,eu-west-1` back into a condition.
fn condition(text: &str) -> Option<ConditionSpec> {
    let (test, rest) = text.split_once(' ')?;
    let (key, values) = rest.split_once('=')?;
    Some(ConditionSpec {
        test: test.to_string(),
        key: key.to_string(),
        values: values.split(',').map(str::to_string).collect(),
    })
}

/// The action patterns the principal's Allow statements write (`s3:Get*`, `s3:*`).
pub fn granted_patterns(p: &Principal, model: &Model) -> Vec<String> {
    let mut out = BTreeSet::new();
    for link in &p.policies {
        let Some(doc) = model.doc(link.doc) else {
            continue;
        };
        for stmt in doc.statements.iter().filter(|s| s.allows()) {
            if let Some(list) = stmt.action.as_ref().filter(|l| !l.negated) {
                for a in list.known() {
                    out.insert(a.value.to_string());
                }
            }
        }
    }
    // Longest first: `s3:Get*` before `s3:*`.
    let mut v: Vec<String> = out.into_iter().collect();
    v.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    v
}

/// The statements of the tree that grant some unused action, for SARIF.
fn sites(
    p: &Principal,
    model: &Model,
    report: &Report,
    unused: &BTreeSet<&str>,
) -> Vec<UnusedSite> {
    let catalog = Catalog::get();
    let mut out = Vec::new();
    for link in &p.policies {
        let DocRef::Tree { facts, .. } = link.doc else {
            continue;
        };
        let Some(doc) = model.doc(link.doc) else {
            continue;
        };
        let Some(file) = model
            .facts
            .get(facts)
            .and_then(|f| report.files.get(f.report))
        else {
            continue;
        };
        for stmt in doc.statements.iter().filter(|s| s.allows()) {
            let Some(list) = stmt.action.as_ref().filter(|l| !l.negated) else {
                continue;
            };
            let mut actions: BTreeSet<String> = BTreeSet::new();
            for pattern in list.known() {
                for a in catalog.expand(pattern.value) {
                    let name = a.full_name();
                    if unused.contains(name.as_str()) {
                        actions.insert(name);
                    }
                }
            }
            if actions.is_empty() {
                continue;
            }
            let src = file.sources.get(list.span.file);
            let at = src.position(list.span.start);
            out.push(UnusedSite {
                path: src.display_path(),
                line: at.line,
                column: at.column,
                actions: actions.into_iter().collect(),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Renderers. Values from the logs and the tree go through the escaping layer; the CLI passes
// the whole text through it once more.

fn t(s: &str) -> std::borrow::Cow<'_, str> {
    crate::escape::text(s)
}

fn policy_text(row: &PrincipalRow, format: PolicyFormat) -> Option<String> {
    let spec = row.spec.as_ref()?;
    let name = format!(
        "{}-used",
        row.name
            .as_deref()
            .unwrap_or_else(|| { row.address.rsplit('.').next().unwrap_or("principal") })
    );
    let kind = match row.kind {
        "user" => fix::PrincipalKind::User,
        _ => fix::PrincipalKind::Role,
    };
    Some(match format {
        PolicyFormat::Json => fix::json::document(spec),
        PolicyFormat::Hcl | PolicyFormat::HclDocument => {
            let style = if format == PolicyFormat::Hcl {
                HclStyle::Jsonencode
            } else {
                HclStyle::PolicyDocument
            };
            let principal = row
                .address
                .starts_with("aws_")
                .then(|| (kind, format!("{}.name", row.address)));
            fix::render(spec, &Target::Terraform { style, principal }, &name)
        }
        PolicyFormat::Yaml => fix::render(spec, &Target::CloudFormation { yaml: true }, &name),
    })
}

fn window_line(u: &Usage) -> String {
    let w = &u.window;
    let from = w
        .since
        .as_deref()
        .or(w.first_event.as_deref())
        .unwrap_or("?");
    let to = w
        .until
        .as_deref()
        .or(w.last_event.as_deref())
        .unwrap_or("?");
    let days = w.days.map_or(String::new(), |d| {
        format!(
            " ({})",
            crate::text::plural(usize::try_from(d).unwrap_or(0), "day")
        )
    });
    format!("{} to {}{days}", t(from), t(to))
}

fn short_note(u: &Usage) -> Option<String> {
    u.window.short.then(|| {
        "note: the window is short: actions a job needs rarely (monthly, on failure) may show as unused; review before removing them".to_string()
    })
}

pub fn human(u: &Usage, format: PolicyFormat) -> String {
    let mut out = String::new();
    let c = &u.counts;
    let _ = writeln!(
        out,
        "CloudTrail: {} in {} ({} skipped, {} denied); window {}",
        crate::text::plural(usize::try_from(c.records).unwrap_or(0), "record"),
        crate::text::plural(usize::try_from(c.files).unwrap_or(0), "file"),
        c.skipped,
        c.denied,
        window_line(u),
    );
    if let Some(note) = short_note(u) {
        let _ = writeln!(out, "{note}");
    }
    for row in u.principals.iter().filter(|r| r.matched_by.is_some()) {
        let _ = writeln!(out);
        let name = row
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" ({})", t(n)));
        let _ = writeln!(
            out,
            "{} {}{name}  {}:{}",
            row.kind,
            t(&row.address),
            t(&row.path),
            row.line
        );
        let _ = writeln!(
            out,
            "  granted {}, used {}, unused {}, denied {}, not observable {}",
            row.granted.len(),
            row.used.len(),
            row.unused.len(),
            row.denied.len(),
            row.not_observable.len()
        );
        if !row.used.is_empty() {
            let _ = writeln!(out, "  used:");
            let width = row.used.iter().map(|r| r.action.len()).max().unwrap_or(0);
            for r in &row.used {
                let res = if r.resources.is_empty() {
                    "resource unknown: granted scope kept".to_string()
                } else {
                    r.resources
                        .iter()
                        .map(|x| t(x).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(
                    out,
                    "    {:width$}  {:>6}  last {}  {}",
                    t(&r.action),
                    r.count,
                    t(&r.last_used),
                    res
                );
            }
        }
        if !row.denied.is_empty() {
            let _ = writeln!(out, "  denied (tried and refused):");
            for r in &row.denied {
                let on = if r.resources.is_empty() {
                    "resource unknown".to_string()
                } else {
                    let list: Vec<String> = r.resources.iter().map(|x| t(x).into_owned()).collect();
                    format!("on {}", list.join(", "))
                };
                let also = if r.also_used {
                    "; also used (see above): refused on these calls only"
                } else if r.granted {
                    ": granted, refused by another policy or a condition"
                } else {
                    ": not granted (the principal lacks it)"
                };
                let _ = writeln!(
                    out,
                    "    {}  {}  last {}  {on}{also}",
                    t(&r.action),
                    r.count,
                    t(&r.last)
                );
            }
        }
        if !row.unused.is_empty() {
            let levels: Vec<String> = row
                .unused_by_access_level
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect();
            let services: Vec<String> = row
                .unused_by_service
                .iter()
                .map(|(s, n)| format!("{} {n}", t(s)))
                .collect();
            let _ = writeln!(out, "  unused by access level: {}", levels.join(", "));
            let _ = writeln!(out, "  unused by service: {}", services.join(", "));
        }
        if !row.not_observable.is_empty() {
            let names: Vec<&str> = row
                .not_observable
                .iter()
                .map(|n| n.action.as_str())
                .collect();
            let _ = writeln!(
                out,
                "  not observable (kept in the minimal policy): {}",
                t(&names.join(", "))
            );
        }
        if !row.dependent.is_empty() {
            let _ = writeln!(out, "  dependent (kept in the minimal policy):");
            for d in &row.dependent {
                let _ = writeln!(
                    out,
                    "    {}  dependent of {}",
                    t(&d.action),
                    t(&d.of.join(", "))
                );
            }
        }
        for m in &row.unmapped {
            let _ = writeln!(
                out,
                "  unmapped event: {} {} ({})",
                t(&m.event_source),
                t(&m.event_name),
                m.count
            );
        }
        if !row.used_not_granted.is_empty() {
            let _ = writeln!(
                out,
                "  used but not granted by the tree: {}",
                t(&row.used_not_granted.join(", "))
            );
        }
        for why in &row.incomplete {
            let _ = writeln!(out, "  incomplete: {}", t(why));
        }
        if let Some(policy) = policy_text(row, format) {
            let _ = writeln!(out, "  minimal policy:");
            for line in policy.lines() {
                let _ = writeln!(out, "    {}", t(line));
            }
        }
    }
    let unmatched: Vec<&PrincipalRow> = u
        .principals
        .iter()
        .filter(|r| r.matched_by.is_none())
        .collect();
    if !unmatched.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "principals no log identity matched (not judged):");
        for row in unmatched {
            let name = match &row.name {
                Some(n) => format!("name `{}`", t(n)),
                None => "name not written literally: use --map ARN=ADDRESS".to_string(),
            };
            let _ = writeln!(
                out,
                "  {} {}  {}:{}  ({name})",
                row.kind,
                t(&row.address),
                t(&row.path),
                row.line
            );
        }
    }
    if !u.outside.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "identities not in the tree:");
        for o in &u.outside {
            let _ = writeln!(
                out,
                "  {} {}  {} calls, {} denied, last {}",
                o.kind,
                t(if o.arn.is_empty() { &o.name } else { &o.arn }),
                o.calls,
                o.denied,
                t(&o.last)
            );
        }
    }
    out
}

pub fn json(u: &Usage) -> Result<String, String> {
    serde_json::to_string_pretty(u)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

fn md(s: &str) -> String {
    crate::escape::markdown_code(s, true)
}

pub fn markdown(u: &Usage, format: PolicyFormat) -> String {
    let mut out = String::new();
    let c = &u.counts;
    let _ = writeln!(out, "## iamlint usage\n");
    let _ = writeln!(
        out,
        "{} in {}, window {} ({} skipped, {} denied)\n",
        crate::text::plural(usize::try_from(c.records).unwrap_or(0), "record"),
        crate::text::plural(usize::try_from(c.files).unwrap_or(0), "file"),
        md(&window_line(u)),
        c.skipped,
        c.denied
    );
    if let Some(note) = short_note(u) {
        let _ = writeln!(out, "> {note}\n");
    }
    let _ = writeln!(
        out,
        "| principal | file | granted | used | unused | denied | not observable |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
    for row in &u.principals {
        let judged = row.matched_by.is_some();
        let n = |x: usize| {
            if judged {
                x.to_string()
            } else {
                "–".to_string()
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md(&row.address),
            md(&format!("{}:{}", row.path, row.line)),
            row.granted.len(),
            n(row.used.len()),
            n(row.unused.len()),
            n(row.denied.len()),
            n(row.not_observable.len())
        );
    }
    for row in u.principals.iter().filter(|r| r.matched_by.is_some()) {
        let Some(policy) = policy_text(row, format) else {
            continue;
        };
        let fence = "`".repeat(longest_backtick_run(&policy).max(2) + 1);
        let lang = match format {
            PolicyFormat::Json => "json",
            PolicyFormat::Hcl | PolicyFormat::HclDocument => "hcl",
            PolicyFormat::Yaml => "yaml",
        };
        let _ = writeln!(
            out,
            "\n### {}: minimal policy\n\n{fence}{lang}\n{}{fence}",
            md(&row.address),
            policy
        );
    }
    if !u.outside.is_empty() {
        let _ = writeln!(out, "\n| identity not in the tree | calls | denied |");
        let _ = writeln!(out, "|---|---:|---:|");
        for o in &u.outside {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                md(if o.arn.is_empty() { &o.name } else { &o.arn }),
                o.calls,
                o.denied
            );
        }
    }
    out
}

fn longest_backtick_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// The SARIF rule id of an unused grant (a report of `usage`, not a lint rule).
pub const SARIF_RULE: &str = "unused-grant";

pub fn sarif(u: &Usage) -> Result<String, String> {
    let mut results = Vec::new();
    for row in &u.principals {
        for site in &row.unused_sites {
            let shown: Vec<&str> = site.actions.iter().take(10).map(String::as_str).collect();
            let more = site.actions.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            results.push(serde_json::json!({
                "ruleId": SARIF_RULE,
                "level": "warning",
                "message": { "text": format!(
                    "grants {} that {} `{}` did not use in {}: {}{more}",
                    crate::text::plural(site.actions.len(), "action"),
                    row.kind,
                    row.address,
                    window_line(u),
                    shown.join(", ")
                )},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": site.path },
                        "region": { "startLine": site.line, "startColumn": site.column }
                    },
                    "logicalLocations": [{ "name": row.address }]
                }]
            }));
        }
    }
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "iamlint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/iamlint/iamlint",
                "rules": [{
                    "id": SARIF_RULE,
                    "shortDescription": { "text": "A granted action CloudTrail never saw the principal use" },
                    "helpUri": "https://github.com/iamlint/iamlint/blob/main/docs/usage.md",
                    "defaultConfiguration": { "level": "warning" }
                }]
            }},
            "results": results
        }]
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}
