//! A principal's effective permissions: the union of what its identity policies allow, minus
//! what they deny without conditions, inside its permissions boundary, as the set of
//! (action, resource pattern, conditions) the catalog expands to.
//!
//! A Deny with a condition (or on some resources only) does not take an action out: the grant is
//! kept and marked `may_be_denied`. What could not be resolved (an attached policy or boundary
//! from a variable) is listed in [`Effective::unknown`]: the set is then a lower (policy) or upper
//! (boundary) estimate, never read as empty.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{ActionRef, Catalog};
use crate::model::action::wildcard_match;
use crate::model::{ConditionField, Effect, ListField, PolicyDoc, Statement};

use super::{Model, Principal};

/// One (action, resource, conditions) the principal is granted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Grant {
    /// The catalog's name: `iam:PassRole`.
    pub action: String,
    /// A resource pattern as written (`*`, an ARN), or `NotResource: <list>`.
    pub resource: String,
    /// The statement's conditions, one `Operator key=value,value` each; empty: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// A Deny with a condition, or on some resources only, names this action.
    pub may_be_denied: bool,
    /// The catalog's access level (most significant).
    pub access_level: &'static str,
}

/// What a principal may do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Effective {
    pub grants: Vec<Grant>,
    /// Why the set may be incomplete: unresolved policies, unknown actions, an unresolved boundary.
    pub unknown: Vec<String>,
}

impl Effective {
    /// Distinct actions by service, then by access level (most significant level of each).
    pub fn access(&self) -> BTreeMap<String, BTreeMap<&'static str, usize>> {
        let mut seen: BTreeSet<(&str, &'static str)> = BTreeSet::new();
        for g in &self.grants {
            seen.insert((g.action.as_str(), g.access_level));
        }
        let mut out: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
        for (action, level) in seen {
            let service = action.split_once(':').map_or(action, |(s, _)| s);
            *out.entry(service.to_string())
                .or_default()
                .entry(level)
                .or_default() += 1;
        }
        out
    }

    /// True when some grant has this access level.
    pub fn has_level(&self, level: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.access_level.eq_ignore_ascii_case(level))
    }

    /// A fingerprint of the granted set and the given trust lines, for pairing one principal
    /// across revisions when its address changed without a `moved {}` block (FNV-1a, 64 bits, as
    /// hex: stable across runs and platforms).
    pub fn content_key(&self, trust: &[String]) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |s: &str| {
            for b in s.bytes().chain([0u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        let mut lines: Vec<&str> = trust.iter().map(String::as_str).collect();
        lines.sort_unstable();
        for t in lines {
            feed(t);
        }
        feed("--");
        for g in &self.grants {
            feed(&g.action);
            feed(&g.resource);
            for c in &g.conditions {
                feed(c);
            }
        }
        format!("{h:016x}")
    }
}

/// The effective permissions of `p`.
pub fn of(model: &Model, p: &Principal) -> Effective {
    of_detail(model, p, true)
}

/// Only what [`Effective::access`] and [`Effective::has_level`] read: one grant per action
/// (resource `*`, no conditions) instead of one per (action, resource, conditions), for the
/// outputs that show access counts only. A principal holding `"*"` on a few resources otherwise
/// builds tens of thousands of grants.
pub fn summary(model: &Model, p: &Principal) -> Effective {
    of_detail(model, p, false)
}

fn of_detail(model: &Model, p: &Principal, detail: bool) -> Effective {
    let catalog = Catalog::get();
    let mut out = Effective::default();
    let docs: Vec<&PolicyDoc> = p.policies.iter().filter_map(|l| model.doc(l.doc)).collect();
    let statements = || docs.iter().flat_map(|d| d.statements.iter());
    let boundary = p.boundary.as_ref().and_then(|l| model.doc(l.doc));
    for u in &p.unresolved {
        out.unknown
            .push(format!("{} `{}`: {}", u.what, u.value, u.reason));
    }
    let mut grants: BTreeSet<Grant> = BTreeSet::new();
    for stmt in statements().filter(|s| s.allows()) {
        let Some(list) = &stmt.action else {
            continue;
        };
        if list.has_unknown() {
            out.unknown.push(format!(
                "`{}` has actions that could not be evaluated",
                stmt.path
            ));
        }
        let actions = expand(catalog, list);
        let resources = resources_of(stmt, &mut out.unknown);
        let conditions = conditions_of(stmt.condition.as_deref());
        for a in actions {
            let name = a.full_name();
            if statements().any(|s| denies(s, &name, true)) {
                continue;
            }
            let may_be_denied = statements().any(|s| denies(s, &name, false));
            if !detail {
                let kept = boundary.is_none_or(|b| {
                    resources
                        .iter()
                        .any(|r| !within_boundary(b, &name, r).is_empty())
                });
                if kept {
                    grants.insert(Grant {
                        action: name.clone(),
                        resource: "*".to_string(),
                        conditions: Vec::new(),
                        may_be_denied,
                        access_level: a.action.access.primary(),
                    });
                }
                continue;
            }
            for r in &resources {
                let within: Vec<String> = match boundary {
                    Some(b) => within_boundary(b, &name, r),
                    None => vec![r.clone()],
                };
                for r in within {
                    grants.insert(Grant {
                        action: name.clone(),
                        resource: r,
                        conditions: conditions.clone(),
                        may_be_denied,
                        access_level: a.action.access.primary(),
                    });
                }
            }
        }
    }
    out.grants = grants.into_iter().collect();
    out.unknown.sort();
    out.unknown.dedup();
    out
}

/// Every catalog action an `Action` (or `NotAction`) list grants.
fn expand(catalog: &Catalog, list: &ListField) -> Vec<ActionRef> {
    if list.negated {
        let excluded: Vec<&str> = list.known().map(|p| p.value).collect();
        return catalog
            .expand("*")
            .into_iter()
            .filter(|a| !excluded.iter().any(|p| a.matches(p)))
            .collect();
    }
    let mut out: Vec<ActionRef> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for p in list.known() {
        for a in catalog.expand(p.value) {
            if seen.insert(a.full_name()) {
                out.push(a);
            }
        }
    }
    out
}

fn resources_of(stmt: &Statement, unknown: &mut Vec<String>) -> Vec<String> {
    let Some(list) = &stmt.resource else {
        return vec!["*".to_string()];
    };
    let items: Vec<String> = list.items.iter().map(|i| i.value.text()).collect();
    if list.has_unknown() {
        unknown.push(format!(
            "`{}` has resources that could not be evaluated",
            stmt.path
        ));
    }
    if list.negated {
        vec![format!("NotResource: {}", items.join(", "))]
    } else {
        items
    }
}

fn conditions_of(c: Option<&ConditionField>) -> Vec<String> {
    let Some(c) = c else {
        return Vec::new();
    };
    c.entries()
        .map(|(op, e)| {
            let values: Vec<String> = e.values.iter().map(|v| v.value.text()).collect();
            format!(
                "{} {}={}",
                op.name.value.text(),
                e.key.value.text(),
                values.join(",")
            )
        })
        .collect()
}

/// Whether `stmt` is a Deny naming `action`: `blanket` asks for one without conditions on every
/// resource (it takes the action out), else for any (the action may be denied).
fn denies(stmt: &Statement, action: &str, blanket: bool) -> bool {
    if stmt.effect() != Some(Effect::Deny) || !names(stmt, action) {
        return false;
    }
    let everywhere = stmt.resources().is_some_and(ListField::has_star);
    if blanket {
        everywhere && !stmt.has_condition()
    } else {
        !everywhere || stmt.has_condition()
    }
}

/// What of a grant of `action` on `resource` a permissions boundary lets through, matched by
/// action and resource: the resource itself where a boundary Allow naming the action covers it,
/// else the narrower boundary resources it covers (`*` within a boundary on `bucket/app-*` is
/// `bucket/app-*`); nothing when no boundary statement names the action or their resources do
/// not meet. Two wildcards that may overlap without either covering the other keep the grant
/// (an upper estimate); an unevaluated boundary resource covers everything.
fn within_boundary(boundary: &PolicyDoc, action: &str, resource: &str) -> Vec<String> {
    // A `NotResource` grant is as broad as `*` here.
    let broad = resource == "*" || resource.starts_with("NotResource: ");
    let mut out: Vec<String> = Vec::new();
    for stmt in boundary.statements.iter().filter(|s| s.allows()) {
        if !names(stmt, action) {
            continue;
        }
        let Some(list) = &stmt.resource else {
            continue;
        };
        if list.negated {
            let excluded = list.known().any(|p| {
                !broad
                    && wildcard_match(
                        &p.value.to_ascii_lowercase(),
                        &resource.to_ascii_lowercase(),
                    )
            });
            if !excluded {
                return vec![resource.to_string()];
            }
            continue;
        }
        if list.has_unknown() {
            return vec![resource.to_string()];
        }
        for item in list.known() {
            let b = item.value;
            if b == "*"
                || (!broad
                    && wildcard_match(&b.to_ascii_lowercase(), &resource.to_ascii_lowercase()))
            {
                return vec![resource.to_string()];
            }
            if broad || wildcard_match(&resource.to_ascii_lowercase(), &b.to_ascii_lowercase()) {
                out.push(b.to_string());
            } else if may_overlap(resource, b) {
                return vec![resource.to_string()];
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether two resource patterns, neither covering the other, may name a common resource: their
/// literal heads (up to the first wildcard) agree as far as both go.
fn may_overlap(a: &str, b: &str) -> bool {
    let head = |s: &str| -> String {
        s.chars()
            .take_while(|c| *c != '*' && *c != '?')
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let (ha, hb) = (head(a), head(b));
    let wild = |s: &str| s.contains(['*', '?']);
    wild(a) && wild(b) && (ha.starts_with(&hb) || hb.starts_with(&ha))
}

fn names(stmt: &Statement, action: &str) -> bool {
    let Some(list) = &stmt.action else {
        return false;
    };
    let hit = list
        .known()
        .any(|p| wildcard_match(&p.value.to_ascii_lowercase(), &action.to_ascii_lowercase()));
    if list.negated {
        !hit && !list.has_unknown()
    } else {
        hit
    }
}
