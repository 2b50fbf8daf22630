//! What an AWS managed policy grants, judged from its own embedded document: the actions it
//! allows on `"*"` without conditions (expanded against the catalog), by access level, its service
//! wildcards, `NotAction` and admin statements. Computed once per policy and cached.

use std::sync::{Arc, OnceLock};

use crate::catalog::{AccessLevels, ActionRef, Catalog, ManagedPolicy};
use crate::memo::Shared;
use crate::model::action::has_wildcard;
use crate::model::build::policy_from_node;
use crate::model::{Origin, PolicyKind, Syntax};
use crate::source::FileId;

/// The verdict on one managed policy.
#[derive(Debug)]
pub struct Grants {
    pub policy: &'static ManagedPolicy,
    /// `"Action": "*"` on `"*"`, without conditions.
    pub admin: bool,
    /// `NotAction` patterns of Allow statements on `"*"` without conditions.
    pub not_action: Vec<String>,
    /// Whole-service patterns (`ecr:*`) allowed on `"*"` without conditions.
    pub service_wildcards: Vec<String>,
    /// Every action allowed on `"*"` without conditions, expanded, sorted by name.
    pub on_star: Vec<ActionRef>,
    /// The `Action` (or `NotAction`) lists of the Allow statements, on any resource and under any
    /// condition: what [`Grants::allows`] checks a recipe's actions against.
    allow_lists: Vec<AllowList>,
    /// [`Grants::reach`] and [`Grants::levels`], computed with the rest: every attachment of the
    /// policy asks for them, and an admin policy's `on_star` holds every action.
    reach: Reach,
    levels: Vec<(&'static str, usize)>,
    /// [`Grants::resource_types`], computed once (every attachment's message asks for it).
    resource_types: OnceLock<Vec<String>>,
}

/// One Allow statement's action list.
#[derive(Debug)]
struct AllowList {
    /// `NotAction`: every catalog action except those matching `patterns`.
    negated: bool,
    /// Patterns and names as written.
    patterns: Vec<String>,
}

/// How far a policy reaches: decides the severity of `broad-managed-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Nothing scopable on `"*"`.
    Scoped,
    /// A few scopable actions on `"*"`.
    Narrow,
    /// Many scopable actions on `"*"`, or scopable writes.
    Broad,
    /// Permissions management, IAM write, a whole service, `NotAction` or `*`.
    Severe,
}

impl Grants {
    /// Actions on `"*"` that could have been scoped to resources.
    pub fn scopable_on_star(&self) -> impl Iterator<Item = &ActionRef> {
        self.on_star.iter().filter(|a| a.action.is_scopable())
    }

    /// Actions on `"*"` managing permissions.
    pub fn permissions_management(&self) -> Vec<&ActionRef> {
        self.on_star
            .iter()
            .filter(|a| {
                a.action
                    .access
                    .contains(AccessLevels::PERMISSIONS_MANAGEMENT)
            })
            .collect()
    }

    /// IAM actions on `"*"` that write.
    pub fn iam_writes(&self) -> Vec<&ActionRef> {
        self.on_star
            .iter()
            .filter(|a| a.service.prefix == "iam" && a.action.access.contains(AccessLevels::WRITE))
            .collect()
    }

    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// `on_star` counted by primary access level, most powerful first.
    pub fn levels(&self) -> &[(&'static str, usize)] {
        &self.levels
    }

    fn compute_reach(&self) -> Reach {
        if self.admin
            || !self.not_action.is_empty()
            || !self.service_wildcards.is_empty()
            || !self.permissions_management().is_empty()
            || !self.iam_writes().is_empty()
        {
            return Reach::Severe;
        }
        let scopable: Vec<&ActionRef> = self.scopable_on_star().collect();
        if scopable.is_empty() {
            Reach::Scoped
        } else if scopable.len() <= NARROW {
            Reach::Narrow
        } else {
            Reach::Broad
        }
    }

    /// True when the policy allows `action` (case-insensitive), on any resource.
    pub fn allows(&self, action: &str) -> bool {
        let matches = |list: &AllowList| {
            list.patterns
                .iter()
                .any(|p| crate::catalog::wildcard_match(p, action))
        };
        self.allow_lists.iter().any(|list| {
            if list.negated {
                !matches(list) && Catalog::get().action(action).is_some()
            } else {
                matches(list)
            }
        })
    }

    /// Counts by primary access level, most powerful first: `[("Read", 10), ("List", 2)]`.
    fn level_counts(actions: &[ActionRef]) -> Vec<(&'static str, usize)> {
        let order = [
            "Permissions management",
            "Write",
            "Tagging",
            "Read",
            "List",
            "Unknown",
        ];
        let mut counts: Vec<(&'static str, usize)> = order.iter().map(|l| (*l, 0)).collect();
        for a in actions {
            let level = a.action.access.primary();
            if let Some(c) = counts.iter_mut().find(|(l, _)| *l == level) {
                c.1 += 1;
            }
        }
        counts.retain(|(_, n)| *n > 0);
        counts
    }

    /// Resource type names the scopable actions on `"*"` could have been limited to, most used first.
    pub fn resource_types(&self) -> Vec<String> {
        self.resource_types
            .get_or_init(|| self.count_resource_types())
            .clone()
    }

    fn count_resource_types(&self) -> Vec<String> {
        use foldhash::HashMapExt;
        let mut by_name: foldhash::HashMap<&str, usize> = foldhash::HashMap::new();
        for a in self.scopable_on_star() {
            for t in a.resource_types() {
                *by_name.entry(t.name).or_default() += 1;
            }
        }
        let mut counts: Vec<(&str, usize)> = by_name.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        counts.into_iter().map(|(n, _)| n.to_string()).collect()
    }
}

/// At most this many scopable actions on `"*"` is a narrow policy (`info`).
pub const NARROW: usize = 4;

/// The (cached) verdict on a managed policy.
pub fn of(policy: &'static ManagedPolicy) -> Arc<Grants> {
    // Computed once even when two threads ask together: `AdministratorAccess` expands every action.
    static VERDICTS: Shared<&'static str, Arc<Grants>> = Shared::new(usize::MAX);
    VERDICTS.get_or_compute(&policy.name.as_str(), || Arc::new(compute(policy)))
}

fn compute(policy: &'static ManagedPolicy) -> Grants {
    let catalog = Catalog::get();
    let mut g = Grants {
        policy,
        admin: false,
        not_action: Vec::new(),
        service_wildcards: Vec::new(),
        on_star: Vec::new(),
        allow_lists: Vec::new(),
        reach: Reach::Scoped,
        levels: Vec::new(),
        resource_types: OnceLock::new(),
    };
    let Ok(node) = crate::json::parse(policy.document, FileId(0), 0) else {
        return g;
    };
    let doc = policy_from_node(
        &node,
        PolicyKind::Identity,
        Syntax::Json,
        "",
        Origin::default(),
    );
    let mut on_star: Vec<ActionRef> = Vec::new();
    let mut seen: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut push = |list: &mut Vec<ActionRef>, a: ActionRef| {
        if seen.insert(std::ptr::from_ref(a.action) as usize) {
            list.push(a);
        }
    };
    for stmt in doc.statements.iter().filter(|s| s.allows()) {
        let everywhere = stmt
            .resources()
            .is_some_and(|r| r.known().any(|x| x.value == "*"))
            && !stmt.has_condition();
        if let Some(field) = stmt.action.as_ref().filter(|a| a.negated) {
            let excluded: Vec<&str> = field.known().map(|x| x.value).collect();
            if everywhere {
                for a in catalog.expand("*") {
                    if !excluded.iter().any(|p| a.matches(p)) {
                        push(&mut on_star, a);
                    }
                }
                g.not_action.extend(excluded.iter().map(|s| s.to_string()));
            }
            g.allow_lists.push(AllowList {
                negated: true,
                patterns: excluded.iter().map(|s| s.to_string()).collect(),
            });
            continue;
        }
        let Some(actions) = stmt.actions() else {
            continue;
        };
        g.allow_lists.push(AllowList {
            negated: false,
            patterns: actions.known().map(|x| x.value.to_string()).collect(),
        });
        for pattern in actions.known() {
            let p = pattern.value;
            if p == "*" && everywhere {
                g.admin = true;
            }
            if everywhere && p.ends_with(":*") && !has_wildcard(&p[..p.len() - 2]) {
                g.service_wildcards.push(p.to_string());
            }
            if !everywhere {
                continue;
            }
            let matched = if has_wildcard(p) {
                catalog.expand(p)
            } else {
                catalog.action(p).into_iter().collect()
            };
            for a in matched {
                push(&mut on_star, a);
            }
        }
    }
    on_star.sort_by(|a, b| {
        (a.service.prefix.as_str(), a.action.name).cmp(&(b.service.prefix.as_str(), b.action.name))
    });
    g.on_star = on_star;
    g.reach = g.compute_reach();
    g.levels = Grants::level_counts(&g.on_star);
    g
}
