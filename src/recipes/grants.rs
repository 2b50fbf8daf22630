//! What an AWS managed policy grants, judged from its own embedded document: the actions it
//! allows on `"*"` without conditions (expanded against the catalog), by access level, its service
//! wildcards, `NotAction` and admin statements. Computed once per policy and cached; the expansion
//! is computed only when asked for (an admin or `NotAction` policy's verdict does not need it).

use std::sync::{Arc, OnceLock};

use crate::catalog::{AccessLevels, ActionRef, Catalog, ManagedPolicy};
use crate::memo::Shared;
use crate::model::action::has_wildcard;
use crate::model::Origin;

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
    /// The `Action` (or `NotAction`) lists of the Allow statements, on any resource and under any
    /// condition: what [`Grants::allows`] checks a recipe's actions against. Those on `"*"`
    /// without conditions are what [`Grants::on_star`] expands.
    allow_lists: Vec<AllowList>,
    /// The actions on `"*"` (in memory order: the verdict does not need them sorted by name),
    /// [`Grants::reach`] and [`Grants::levels`], computed once when first asked for: every
    /// attachment of the policy asks for them, and expanding `*` yields every action of the
    /// catalog.
    actions: OnceLock<Vec<ActionRef>>,
    reach: OnceLock<Reach>,
    levels: OnceLock<Vec<(&'static str, usize)>>,
    /// [`Grants::resource_types`], computed once (every attachment's message asks for it).
    resource_types: OnceLock<Vec<String>>,
    /// [`Grants::services`], computed once (every attachment's recipe search asks for it).
    services: OnceLock<Option<Vec<String>>>,
}

/// One Allow statement's action list.
#[derive(Debug)]
struct AllowList {
    /// `NotAction`: every catalog action except those matching `patterns`.
    negated: bool,
    /// Patterns and names as written.
    patterns: Vec<String>,
    /// On `"*"`, without conditions.
    everywhere: bool,
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
    /// Every action allowed on `"*"` without conditions, expanded, sorted by name (for
    /// `iamlint managed`; the verdict itself does not sort).
    pub fn on_star(&self) -> Vec<ActionRef> {
        let mut sorted = self.actions().to_vec();
        sorted.sort_unstable_by(|a, b| {
            (a.service.prefix.as_str(), a.action.name)
                .cmp(&(b.service.prefix.as_str(), b.action.name))
        });
        sorted
    }

    /// How many actions are allowed on `"*"` without conditions.
    pub fn on_star_count(&self) -> usize {
        self.actions().len()
    }

    /// [`Grants::on_star`] in no particular order.
    fn actions(&self) -> &[ActionRef] {
        self.actions
            .get_or_init(|| expand(self.allow_lists.iter().filter(|list| list.everywhere)))
    }

    /// Actions on `"*"` that could have been scoped to resources.
    pub fn scopable_on_star(&self) -> impl Iterator<Item = &ActionRef> {
        self.actions().iter().filter(|a| a.action.is_scopable())
    }

    /// Actions on `"*"` managing permissions.
    pub fn permissions_management(&self) -> Vec<&ActionRef> {
        self.actions()
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
        self.actions()
            .iter()
            .filter(|a| a.service.prefix == "iam" && a.action.access.contains(AccessLevels::WRITE))
            .collect()
    }

    pub fn reach(&self) -> Reach {
        *self.reach.get_or_init(|| self.compute_reach())
    }

    /// `on_star` counted by primary access level, most powerful first.
    pub fn levels(&self) -> &[(&'static str, usize)] {
        self.levels
            .get_or_init(|| Grants::level_counts(self.actions()))
    }

    fn compute_reach(&self) -> Reach {
        // The first three are known without expanding anything.
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

    /// The service prefixes the policy's Allow statements name (lower case, sorted), on any
    /// resource; `None` when it allows `*` or uses `NotAction`, which reach every service.
    pub fn services(&self) -> Option<Vec<String>> {
        self.services
            .get_or_init(|| self.compute_services())
            .clone()
    }

    /// [`Grants::services`], computed: sorted, then without duplicates (a linear search per
    /// pattern was quadratic in `ReadOnlyAccess`'s thousands of patterns, once per attachment).
    fn compute_services(&self) -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for list in &self.allow_lists {
            if list.negated {
                return None;
            }
            for pattern in &list.patterns {
                let (service, _) = pattern.split_once(':')?;
                if has_wildcard(service) {
                    return None;
                }
                out.push(service.to_ascii_lowercase());
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
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
        let mut counts: Vec<(&'static str, usize)> = AccessLevels::LISTING_ORDER
            .iter()
            .map(|l| (*l, 0))
            .collect();
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
    let mut g = Grants {
        policy,
        admin: false,
        not_action: Vec::new(),
        service_wildcards: Vec::new(),
        allow_lists: Vec::new(),
        actions: OnceLock::new(),
        reach: OnceLock::new(),
        levels: OnceLock::new(),
        resource_types: OnceLock::new(),
        services: OnceLock::new(),
    };
    let Some(doc) = crate::frontend::json::managed_policy_doc(policy, "", Origin::default()) else {
        return g;
    };
    for stmt in doc.statements.iter().filter(|s| s.allows()) {
        let everywhere = stmt
            .resources()
            .is_some_and(|r| r.known().any(|x| x.value == "*"))
            && !stmt.has_condition();
        let (negated, field) = match &stmt.action {
            Some(field) if field.negated => (true, field),
            _ => match stmt.actions() {
                Some(field) => (false, field),
                None => continue,
            },
        };
        let list = AllowList {
            negated,
            patterns: field.known().map(|x| x.value.to_string()).collect(),
            everywhere,
        };
        if everywhere {
            if negated {
                g.not_action.extend(list.patterns.iter().cloned());
            }
            for p in list.patterns.iter().filter(|_| !negated) {
                if p == "*" {
                    g.admin = true;
                }
                if p.ends_with(":*") && !has_wildcard(&p[..p.len() - 2]) {
                    g.service_wildcards.push(p.clone());
                }
            }
        }
        g.allow_lists.push(list);
    }
    g
}

/// Every catalog action the lists allow, once each, in memory order.
fn expand<'a>(lists: impl Iterator<Item = &'a AllowList>) -> Vec<ActionRef> {
    let catalog = Catalog::get();
    let mut on_star: Vec<ActionRef> = Vec::new();
    for list in lists {
        if list.negated {
            let excluded = &list.patterns;
            on_star.extend(
                catalog
                    .expand("*")
                    .into_iter()
                    .filter(|a| !excluded.iter().any(|p| a.matches(p))),
            );
            continue;
        }
        for p in &list.patterns {
            if has_wildcard(p) {
                on_star.extend(catalog.expand(p));
            } else {
                on_star.extend(catalog.action(p));
            }
        }
    }
    // By address, so the copies of one action (from several patterns) are neighbours; a service's
    // actions stay together, as `ActionRef::count_resource_types` prefers.
    on_star.sort_unstable_by_key(|a| std::ptr::from_ref(a.action) as usize);
    on_star.dedup_by(|a, b| std::ptr::eq(a.action, b.action));
    on_star
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`Grants::services`] computes, written plainly.
    fn plain_services(g: &Grants) -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for list in &g.allow_lists {
            if list.negated {
                return None;
            }
            for pattern in &list.patterns {
                let (service, _) = pattern.split_once(':')?;
                if has_wildcard(service) {
                    return None;
                }
                if !out.iter().any(|s| s.eq_ignore_ascii_case(service)) {
                    out.push(service.to_ascii_lowercase());
                }
            }
        }
        out.sort();
        Some(out)
    }

    #[test]
    fn services_are_those_of_the_allow_lists() {
        let catalog = Catalog::get();
        let mut some = 0;
        for name in [
            "ReadOnlyAccess",
            "AdministratorAccess",
            "PowerUserAccess",
            "AmazonS3ReadOnlyAccess",
            "AWSLambdaBasicExecutionRole",
            "ViewOnlyAccess",
        ] {
            let policy = catalog.managed_policy(name).expect(name);
            let g = of(policy);
            let services = g.services();
            assert_eq!(services, plain_services(&g), "{name}");
            assert_eq!(g.services(), services, "{name}: asked again");
            some += usize::from(services.is_some_and(|s| s.len() > 1));
        }
        assert!(some >= 2, "lists of several services were compared");
    }
}
