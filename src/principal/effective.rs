//! A principal's effective permissions: the union of what its identity policies allow, minus
//! what they deny without conditions, inside its permissions boundary.
//!
//! They are kept as the statements they come from ([`Entry`]: the action patterns and resource as
//! written, with the set of catalog actions granted there), not as one grant per (action,
//! resource, conditions): a role holding `"*"` on a few resources is tens of thousands of those,
//! and a tree of a few hundred principals millions. Action sets are bits over a numbering of the
//! catalog's actions shared by the principals of a run ([`Expander`]), which also remembers what
//! each pattern expands to, so an AWS managed policy many principals hold is expanded once. The
//! access summary counts over the set; the expanded grants ([`Grant`]) are built only on demand
//! (`iamlint principals --format json --expand`), one principal at a time.
//!
//! A Deny with a condition (or on some resources only) does not take an action out: the grant is
//! kept and marked `may_be_denied`. What could not be resolved (an attached policy or boundary
//! from a variable) is listed in [`Effective::unknown`]: the set is then a lower (policy) or upper
//! (boundary) estimate, never read as empty.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::catalog::{ActionRef, Catalog};
use crate::model::action::wildcard_match;
use crate::model::{ConditionField, Effect, ListField, PolicyDoc, Statement};

use super::{Model, Principal};

/// One (action, resource, conditions) the principal is granted: the expanded form.
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

/// A set of catalog actions: bits over an [`Expander`]'s numbering. No trailing zero word, so
/// equal sets compare and hash equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ActionSet {
    words: Vec<u64>,
}

impl ActionSet {
    fn insert(&mut self, n: u32) {
        let (w, b) = (n as usize / 64, n % 64);
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << b;
    }

    pub fn contains(&self, n: u32) -> bool {
        self.words
            .get(n as usize / 64)
            .is_some_and(|w| w & (1 << (n % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    fn trim(mut self) -> ActionSet {
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
        self
    }

    fn union_with(&mut self, other: &ActionSet) {
        if self.words.len() < other.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    fn and(&self, other: &ActionSet) -> ActionSet {
        ActionSet {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & b)
                .collect(),
        }
        .trim()
    }

    fn minus(&self, other: &ActionSet) -> ActionSet {
        ActionSet {
            words: self
                .words
                .iter()
                .enumerate()
                .map(|(i, a)| a & !other.words.get(i).copied().unwrap_or(0))
                .collect(),
        }
        .trim()
    }

    /// The numbers in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut rest = w;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros();
                rest &= rest - 1;
                Some(i as u32 * 64 + b)
            })
        })
    }
}

/// Service → access level → number of distinct actions.
pub type Access = BTreeMap<String, BTreeMap<&'static str, usize>>;

/// The catalog actions met in a run, numbered as first met, and what each action pattern expands
/// to: shared by the principals of a run.
#[derive(Default)]
pub struct Expander {
    /// Number → action, its service prefix and its access level.
    table: Vec<(ActionRef, &'static str)>,
    /// The address of a catalog action → its number.
    numbers: HashMap<usize, u32>,
    patterns: HashMap<String, ActionSet>,
    every: Option<ActionSet>,
    access: HashMap<ActionSet, Access>,
}

impl Expander {
    fn number(&mut self, a: ActionRef) -> u32 {
        let key = std::ptr::from_ref(a.action) as usize;
        if let Some(&n) = self.numbers.get(&key) {
            return n;
        }
        let n = u32::try_from(self.table.len()).expect("fewer than 2^32 catalog actions");
        self.table.push((a, a.action.access.primary()));
        self.numbers.insert(key, n);
        n
    }

    /// The catalog actions an IAM action pattern matches ([`Catalog::expand`]).
    fn pattern(&mut self, pattern: &str) -> ActionSet {
        if let Some(set) = self.patterns.get(pattern) {
            return set.clone();
        }
        let mut set = ActionSet::default();
        for a in Catalog::get().expand(pattern) {
            let n = self.number(a);
            set.insert(n);
        }
        self.patterns.insert(pattern.to_string(), set.clone());
        set
    }

    fn every(&mut self) -> ActionSet {
        if let Some(all) = &self.every {
            return all.clone();
        }
        let all = self.pattern("*");
        self.every = Some(all.clone());
        all
    }

    /// What an Allow's `Action` (or `NotAction`) list grants: the catalog actions its known
    /// patterns match, or, negated, every other catalog action.
    fn grants(&mut self, list: &ListField) -> ActionSet {
        let mut set = ActionSet::default();
        for p in list.known() {
            set.union_with(&self.pattern(p.value));
        }
        if list.negated {
            self.every().minus(&set)
        } else {
            set
        }
    }

    /// The catalog actions a statement names (a Deny's, a boundary's): as [`Expander::grants`],
    /// except that a `NotAction` with an unevaluated item names none.
    fn names(&mut self, stmt: &Statement) -> ActionSet {
        match &stmt.action {
            Some(list) if list.negated && list.has_unknown() => ActionSet::default(),
            Some(list) => self.grants(list),
            None => ActionSet::default(),
        }
    }

    /// The catalog's name of a numbered action.
    fn name(&self, n: u32) -> String {
        self.table
            .get(n as usize)
            .map_or_else(String::new, |(a, _)| a.full_name())
    }

    fn level(&self, n: u32) -> &'static str {
        self.table.get(n as usize).map_or("Unknown", |(_, l)| l)
    }

    /// Distinct actions of a set by service, then by access level (most significant level of
    /// each); remembered per set, as principals holding the same policies have the same one.
    pub fn access(&mut self, set: &ActionSet) -> Access {
        if let Some(a) = self.access.get(set) {
            return a.clone();
        }
        // Actions are numbered a service at a time, so runs of one prefix are counted together.
        let mut runs: Vec<(&'static str, Vec<(&'static str, usize)>)> = Vec::new();
        for n in set.iter() {
            let Some((a, level)) = self.table.get(n as usize) else {
                continue;
            };
            let prefix = a.service.prefix.as_str();
            if runs.last().is_none_or(|(p, _)| *p != prefix) {
                runs.push((prefix, Vec::new()));
            }
            if let Some((_, levels)) = runs.last_mut() {
                match levels.iter_mut().find(|(l, _)| l == level) {
                    Some((_, count)) => *count += 1,
                    None => levels.push((level, 1)),
                }
            }
        }
        let mut out = Access::new();
        for (prefix, levels) in runs {
            let by_level = out.entry(prefix.to_string()).or_default();
            for (level, count) in levels {
                *by_level.entry(level).or_default() += count;
            }
        }
        self.access.insert(set.clone(), out.clone());
        out
    }
}

/// One Allow statement of a principal on one of its resources, as written, with what it grants
/// there once denies and the permissions boundary are applied.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The index of its document in the principal's policies.
    pub policy: usize,
    /// The statement's `Action` patterns as written (absent for a `NotAction`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// The statement's `NotAction` patterns as written (absent for an `Action`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_actions: Vec<String>,
    /// A resource pattern as written (`*`, an ARN), or `NotResource: <list>`.
    pub resource: String,
    /// The statement's conditions, one `Operator key=value,value` each; empty: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// How many catalog actions it grants here.
    pub granted: usize,
    /// How many of those a Deny with a condition, or on some resources only, names.
    pub may_be_denied: usize,
    /// Where the boundary lets some of the actions through on narrower resources only: those
    /// resources (`bucket/app-*` of a grant on `*`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub boundary_resources: Vec<String>,
    /// Granted on `resource` itself.
    #[serde(skip)]
    whole: ActionSet,
    /// Granted on a narrower boundary resource only: (resource, actions).
    #[serde(skip)]
    narrowed: Vec<(String, ActionSet)>,
}

/// What a principal may do.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    /// Its Allow statements, in the order of its policies.
    pub entries: Vec<Entry>,
    /// Every action granted somewhere.
    pub actions: ActionSet,
    /// Actions a Deny with a condition, or on some resources only, names.
    may_be_denied: ActionSet,
    /// Why the set may be incomplete: unresolved policies, unknown actions, an unresolved boundary.
    pub unknown: Vec<String>,
}

impl Effective {
    /// A fingerprint of what the principal is granted and the given trust lines, for pairing one
    /// principal across revisions when its address changed without a `moved {}` block (FNV-1a,
    /// 64 bits, as hex: stable across runs and platforms). Read from the statements as written
    /// (patterns lower-cased and sorted, with what each grants), whatever document holds them.
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
        let sorted = |list: &[String]| {
            let mut l: Vec<String> = list.iter().map(|s| s.to_ascii_lowercase()).collect();
            l.sort_unstable();
            l.dedup();
            l.join(",")
        };
        let mut grants: Vec<String> = self
            .entries
            .iter()
            .map(|e| {
                format!(
                    "{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}",
                    sorted(&e.actions),
                    sorted(&e.not_actions),
                    e.resource,
                    e.conditions.join("\u{2}"),
                    e.granted,
                    e.may_be_denied,
                    e.boundary_resources.join("\u{2}")
                )
            })
            .collect();
        grants.sort_unstable();
        grants.dedup();
        for g in &grants {
            feed(g);
        }
        format!("{h:016x}")
    }

    /// Every (action, resource, conditions) granted, sorted: built from the entries, for
    /// `--expand` and `iamlint usage`.
    pub fn expanded(&self, ex: &Expander) -> Vec<Grant> {
        let mut out: BTreeSet<Grant> = BTreeSet::new();
        for e in &self.entries {
            let grant = |n: u32, resource: &str| Grant {
                action: ex.name(n),
                resource: resource.to_string(),
                conditions: e.conditions.clone(),
                may_be_denied: self.may_be_denied.contains(n),
                access_level: ex.level(n),
            };
            for n in e.whole.iter() {
                out.insert(grant(n, &e.resource));
            }
            for (resource, set) in &e.narrowed {
                for n in set.minus(&e.whole).iter() {
                    out.insert(grant(n, resource));
                }
            }
        }
        out.into_iter().collect()
    }
}

/// The effective permissions of `p`.
pub fn of(model: &Model, p: &Principal, ex: &mut Expander) -> Effective {
    let mut out = Effective::default();
    let docs: Vec<(usize, &PolicyDoc)> = p
        .policies
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, model.doc(l.doc)?)))
        .collect();
    let statements = || docs.iter().flat_map(|(_, d)| d.statements.iter());
    for u in &p.unresolved {
        out.unknown
            .push(format!("{} `{}`: {}", u.what, u.value, u.reason));
    }
    // Actions a Deny takes out (no condition, on every resource), and those it may.
    let mut denied = ActionSet::default();
    for s in statements().filter(|s| s.effect() == Some(Effect::Deny)) {
        let everywhere = s.resources().is_some_and(ListField::has_star);
        let named = ex.names(s);
        if everywhere && !s.has_condition() {
            denied.union_with(&named);
        } else {
            out.may_be_denied.union_with(&named);
        }
    }
    // The boundary's Allow statements with the actions each names.
    let boundary: Option<Vec<(&Statement, ActionSet)>> =
        p.boundary.as_ref().and_then(|l| model.doc(l.doc)).map(|b| {
            b.statements
                .iter()
                .filter(|s| s.allows())
                .map(|s| (s, ex.names(s)))
                .collect()
        });
    for &(policy, doc) in &docs {
        for stmt in doc.statements.iter().filter(|s| s.allows()) {
            let Some(list) = &stmt.action else {
                continue;
            };
            if list.has_unknown() {
                out.unknown.push(format!(
                    "`{}` has actions that could not be evaluated",
                    stmt.path
                ));
            }
            let granted = ex.grants(list).minus(&denied);
            let written: Vec<String> = list.known().map(|p| p.value.to_string()).collect();
            let (actions, not_actions) = if list.negated {
                (Vec::new(), written)
            } else {
                (written, Vec::new())
            };
            let conditions = conditions_of(stmt.condition.as_deref());
            for resource in resources_of(stmt, &mut out.unknown) {
                let (whole, narrowed) = match &boundary {
                    None => (granted.clone(), Vec::new()),
                    Some(b) => within_boundary(b, &granted, &resource),
                };
                let mut all = whole.clone();
                for (_, set) in &narrowed {
                    all.union_with(set);
                }
                let mut boundary_resources: Vec<String> = narrowed
                    .iter()
                    .filter(|(_, set)| !set.minus(&whole).is_empty())
                    .map(|(r, _)| r.clone())
                    .collect();
                boundary_resources.sort();
                boundary_resources.dedup();
                out.actions.union_with(&all);
                out.entries.push(Entry {
                    policy,
                    actions: actions.clone(),
                    not_actions: not_actions.clone(),
                    resource,
                    conditions: conditions.clone(),
                    granted: all.len(),
                    may_be_denied: all.and(&out.may_be_denied).len(),
                    boundary_resources,
                    whole,
                    narrowed,
                });
            }
        }
    }
    out.unknown.sort();
    out.unknown.dedup();
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

/// What a permissions boundary lets through of a grant of `actions` on `resource`, matched by
/// action and resource: the actions granted on the resource itself (a boundary Allow naming the
/// action covers it), and, for the others, the narrower boundary resources each is granted on
/// instead (`*` within a boundary on `bucket/app-*` is `bucket/app-*`); an action no boundary
/// statement names, or whose statements' resources do not meet the grant's, is dropped.
fn within_boundary(
    boundary: &[(&Statement, ActionSet)],
    actions: &ActionSet,
    resource: &str,
) -> (ActionSet, Vec<(String, ActionSet)>) {
    let mut whole = ActionSet::default();
    let mut narrowed: Vec<(String, ActionSet)> = Vec::new();
    for (stmt, names) in boundary {
        let here = names.and(actions);
        if here.is_empty() {
            continue;
        }
        match through(stmt, resource) {
            Through::Whole => whole.union_with(&here),
            Through::Narrower(items) => {
                for item in items {
                    narrowed.push((item, here.clone()));
                }
            }
        }
    }
    (whole, narrowed)
}

/// What one boundary Allow statement lets through of a grant on `resource`.
enum Through {
    /// The resource itself.
    Whole,
    /// Only these narrower resources of the boundary (none: nothing).
    Narrower(Vec<String>),
}

/// Whether a boundary statement covers `resource` (an unevaluated boundary resource covers
/// everything; two wildcards that may overlap without either covering the other keep the grant,
/// an upper estimate), else its narrower resources the grant covers.
fn through(stmt: &Statement, resource: &str) -> Through {
    // A `NotResource` grant is as broad as `*` here.
    let broad = resource == "*" || resource.starts_with("NotResource: ");
    let Some(list) = &stmt.resource else {
        return Through::Narrower(Vec::new());
    };
    if list.negated {
        let excluded = list.known().any(|p| {
            !broad
                && wildcard_match(
                    &p.value.to_ascii_lowercase(),
                    &resource.to_ascii_lowercase(),
                )
        });
        return if excluded {
            Through::Narrower(Vec::new())
        } else {
            Through::Whole
        };
    }
    if list.has_unknown() {
        return Through::Whole;
    }
    let mut out = Vec::new();
    for item in list.known() {
        let b = item.value;
        if b == "*"
            || (!broad && wildcard_match(&b.to_ascii_lowercase(), &resource.to_ascii_lowercase()))
        {
            return Through::Whole;
        }
        if broad || wildcard_match(&resource.to_ascii_lowercase(), &b.to_ascii_lowercase()) {
            out.push(b.to_string());
        } else if may_overlap(resource, b) {
            return Through::Whole;
        }
    }
    Through::Narrower(out)
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
