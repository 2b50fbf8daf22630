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
use std::sync::Arc;

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
pub type Access = BTreeMap<&'static str, BTreeMap<&'static str, usize>>;

/// A statement of the model as a map key, by address: the principals of a run share documents
/// (an AWS managed policy is parsed once), so what a statement grants is worked out once.
#[derive(Clone, Copy)]
struct Stmt<'a>(&'a Statement);

impl PartialEq for Stmt<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Stmt<'_> {}

impl std::hash::Hash for Stmt<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state);
    }
}

/// The catalog actions met in a run, numbered as first met, and what each action pattern and
/// each statement of the model `'a` expands to: shared by the principals of a run.
#[derive(Default)]
pub struct Expander<'a> {
    /// Number → action and its access level.
    table: Vec<(ActionRef, &'static str)>,
    /// The address of a catalog action → its number.
    numbers: HashMap<usize, u32>,
    patterns: HashMap<String, ActionSet>,
    every: Option<ActionSet>,
    /// An Allow statement → what its `Action` list grants and a fingerprint of its patterns.
    grants: HashMap<Stmt<'a>, (Arc<ActionSet>, u64)>,
    /// A Deny's or a boundary's statement → the actions it names.
    names: HashMap<Stmt<'a>, ActionSet>,
    access: HashMap<ActionSet, Arc<Access>>,
}

impl<'a> Expander<'a> {
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

    /// Adds to `set` the catalog actions an IAM action pattern matches ([`Catalog::expand`]).
    fn add_pattern(&mut self, pattern: &str, set: &mut ActionSet) {
        if !self.patterns.contains_key(pattern) {
            let mut matched = ActionSet::default();
            for a in Catalog::get().expand(pattern) {
                let n = self.number(a);
                matched.insert(n);
            }
            self.patterns.insert(pattern.to_string(), matched);
        }
        if let Some(matched) = self.patterns.get(pattern) {
            set.union_with(matched);
        }
    }

    fn every(&mut self) -> ActionSet {
        if let Some(all) = &self.every {
            return all.clone();
        }
        let mut all = ActionSet::default();
        self.add_pattern("*", &mut all);
        self.every = Some(all.clone());
        all
    }

    /// What an `Action` (or `NotAction`) list grants: the catalog actions its known patterns
    /// match, or, negated, every other catalog action.
    fn list(&mut self, list: &ListField) -> ActionSet {
        let mut set = ActionSet::default();
        for p in list.known() {
            self.add_pattern(p.value, &mut set);
        }
        if list.negated {
            self.every().minus(&set)
        } else {
            set
        }
    }

    /// What an Allow statement's action list grants, and a fingerprint of its patterns
    /// (lower-cased, sorted), once per statement.
    fn grants(&mut self, stmt: &'a Statement, list: &ListField) -> &(Arc<ActionSet>, u64) {
        if !self.grants.contains_key(&Stmt(stmt)) {
            let set = self.list(list);
            let mut patterns: Vec<String> =
                list.known().map(|p| p.value.to_ascii_lowercase()).collect();
            patterns.sort_unstable();
            patterns.dedup();
            let mut h = Fnv::new();
            h.feed(if list.negated { "not" } else { "" });
            for p in &patterns {
                h.feed(p);
            }
            self.grants.insert(Stmt(stmt), (Arc::new(set), h.0));
        }
        &self.grants[&Stmt(stmt)]
    }

    /// The catalog actions a statement names (a Deny's, a boundary's): as an Allow grants them,
    /// except that a `NotAction` with an unevaluated item names none.
    fn names(&mut self, stmt: &'a Statement) -> &ActionSet {
        if !self.names.contains_key(&Stmt(stmt)) {
            let set = match &stmt.action {
                Some(list) if list.negated && list.has_unknown() => ActionSet::default(),
                Some(list) => self.list(list),
                None => ActionSet::default(),
            };
            self.names.insert(Stmt(stmt), set);
        }
        &self.names[&Stmt(stmt)]
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
    pub fn access(&mut self, set: &ActionSet) -> Arc<Access> {
        if let Some(a) = self.access.get(set) {
            return Arc::clone(a);
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
            let by_level = out.entry(prefix).or_default();
            for (level, count) in levels {
                *by_level.entry(level).or_default() += count;
            }
        }
        let out = Arc::new(out);
        self.access.insert(set.clone(), Arc::clone(&out));
        out
    }
}

/// FNV-1a, 64 bits: stable across runs and platforms.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Feeds a string and a terminating zero byte.
    fn feed(&mut self, s: &str) {
        for b in s.bytes().chain([0u8]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// One Allow statement of a principal on one of its resources, as written, with what it grants
/// there once denies and the permissions boundary are applied.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The index of its document in the principal's policies.
    pub policy: usize,
    /// The statement's `Action` or `NotAction` list, as written.
    pub list: &'a ListField,
    /// A resource pattern as written (`*`, an ARN), or `NotResource: <list>`.
    pub resource: String,
    /// The statement's conditions, one `Operator key=value,value` each; empty: none.
    pub conditions: Vec<String>,
    /// How many catalog actions it grants here.
    pub granted: usize,
    /// How many of those a Deny with a condition, or on some resources only, names.
    pub may_be_denied: usize,
    /// Where the boundary lets some of the actions through on narrower resources only: those
    /// resources (`bucket/app-*` of a grant on `*`).
    pub boundary_resources: Vec<String>,
    /// Granted on `resource` itself (shared with the statement's set when nothing is taken out).
    whole: Arc<ActionSet>,
    /// Granted on a narrower boundary resource only: (resource, actions).
    narrowed: Vec<(String, ActionSet)>,
    /// The fingerprint of the list's patterns.
    patterns: u64,
}

impl Serialize for Entry<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        struct Patterns<'a>(&'a ListField);
        impl Serialize for Patterns<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.known().map(|p| p.value))
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("policy", &self.policy)?;
        let key = if self.list.negated {
            "not_actions"
        } else {
            "actions"
        };
        m.serialize_entry(key, &Patterns(self.list))?;
        m.serialize_entry("resource", &self.resource)?;
        if !self.conditions.is_empty() {
            m.serialize_entry("conditions", &self.conditions)?;
        }
        m.serialize_entry("granted", &self.granted)?;
        m.serialize_entry("may_be_denied", &self.may_be_denied)?;
        if !self.boundary_resources.is_empty() {
            m.serialize_entry("boundary_resources", &self.boundary_resources)?;
        }
        m.end()
    }
}

/// What a principal may do.
#[derive(Debug, Clone, Default)]
pub struct Effective<'a> {
    /// Its Allow statements on each of their resources, in the order of its policies.
    pub entries: Vec<Entry<'a>>,
    /// Every action granted somewhere.
    pub actions: ActionSet,
    /// Actions a Deny with a condition, or on some resources only, names.
    pub may_be_denied: ActionSet,
    /// Why the set may be incomplete: unresolved policies, unknown actions, an unresolved boundary.
    pub unknown: Vec<String>,
}

impl Effective<'_> {
    /// A fingerprint of what the principal is granted and the given trust lines, for pairing one
    /// principal across revisions when its address changed without a `moved {}` block (FNV-1a,
    /// 64 bits, as hex: stable across runs and platforms). Read from the statements as written
    /// (patterns lower-cased and sorted, with what each grants), whatever document holds them.
    pub fn content_key(&self, trust: &[String]) -> String {
        let mut h = Fnv::new();
        let mut lines: Vec<&str> = trust.iter().map(String::as_str).collect();
        lines.sort_unstable();
        for t in lines {
            h.feed(t);
        }
        h.feed("--");
        let mut grants: Vec<String> = self
            .entries
            .iter()
            .map(|e| {
                format!(
                    "{:016x}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}",
                    e.patterns,
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
            h.feed(g);
        }
        format!("{:016x}", h.0)
    }

    /// Every (action, resource, conditions) granted, sorted (`--expand`, `iamlint usage`).
    pub fn expanded(&self, ex: &Expander<'_>) -> Vec<Grant> {
        expand(&self.entries, &self.may_be_denied, ex)
    }
}

/// Every (action, resource, conditions) the entries grant, sorted, built from their action sets.
pub fn expand(entries: &[Entry<'_>], may_be_denied: &ActionSet, ex: &Expander<'_>) -> Vec<Grant> {
    let mut out: BTreeSet<Grant> = BTreeSet::new();
    for e in entries {
        let grant = |n: u32, resource: &str| Grant {
            action: ex.name(n),
            resource: resource.to_string(),
            conditions: e.conditions.clone(),
            may_be_denied: may_be_denied.contains(n),
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

/// The effective permissions of `p`.
pub fn of<'a>(model: &'a Model, p: &Principal, ex: &mut Expander<'a>) -> Effective<'a> {
    let mut out = Effective::default();
    let docs: Vec<(usize, &'a PolicyDoc)> = p
        .policies
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, model.doc(l.doc)?)))
        .collect();
    for u in &p.unresolved {
        out.unknown
            .push(format!("{} `{}`: {}", u.what, u.value, u.reason));
    }
    // Actions a Deny takes out (no condition, on every resource), and those it may.
    let mut denied = ActionSet::default();
    for &(_, d) in &docs {
        for s in d
            .statements
            .iter()
            .filter(|s| s.effect() == Some(Effect::Deny))
        {
            let everywhere = s.resources().is_some_and(ListField::has_star);
            let named = ex.names(s);
            if everywhere && !s.has_condition() {
                denied.union_with(named);
            } else {
                out.may_be_denied.union_with(named);
            }
        }
    }
    // The boundary's Allow statements with the actions each names.
    let boundary: Option<Vec<(&Statement, ActionSet)>> =
        p.boundary.as_ref().and_then(|l| model.doc(l.doc)).map(|b| {
            b.statements
                .iter()
                .filter(|s| s.allows())
                .map(|s| (s, ex.names(s).clone()))
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
            let (set, patterns) = ex.grants(stmt, list);
            let patterns = *patterns;
            let granted = if denied.is_empty() {
                Arc::clone(set)
            } else {
                Arc::new(set.minus(&denied))
            };
            let conditions = conditions_of(stmt.condition.as_deref());
            for resource in resources_of(stmt, &mut out.unknown) {
                let (whole, narrowed) = match &boundary {
                    None => (Arc::clone(&granted), Vec::new()),
                    Some(b) => {
                        let (whole, narrowed) = within_boundary(b, &granted, &resource);
                        (Arc::new(whole), narrowed)
                    }
                };
                let mut all = ActionSet::clone(&whole);
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
                    list,
                    resource,
                    conditions: conditions.clone(),
                    granted: all.len(),
                    may_be_denied: all.and(&out.may_be_denied).len(),
                    boundary_resources,
                    whole,
                    narrowed,
                    patterns,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_sets_are_equal_whatever_their_history() {
        let mut both = ActionSet::default();
        both.insert(3);
        both.insert(130);
        let mut low = ActionSet::default();
        low.insert(3);
        let mut high = ActionSet::default();
        high.insert(130);
        // Taking the high bit out leaves no trailing zero word: equal, and hashed alike.
        assert_eq!(both.minus(&high), low);
        assert_eq!(both.and(&low), low);
        assert!(both.minus(&both).is_empty());
        assert_eq!(both.iter().collect::<Vec<_>>(), [3, 130]);
        assert_eq!(both.len(), 2);
        assert!(both.contains(130) && !both.contains(129) && !low.contains(130));
    }

    #[test]
    fn access_counts_what_the_catalog_expands_to() {
        let mut ex = Expander::default();
        let mut set = ActionSet::default();
        ex.add_pattern("s3:Get*", &mut set);
        ex.add_pattern("s3:*", &mut set);
        ex.add_pattern("sts:GetCallerIdentity", &mut set);
        let s3 = Catalog::get().expand("s3:*");
        assert_eq!(set.len(), s3.len() + 1);
        let access = ex.access(&set);
        let mut want: BTreeMap<&'static str, usize> = BTreeMap::new();
        for a in &s3 {
            *want.entry(a.action.access.primary()).or_default() += 1;
        }
        assert_eq!(access["s3"], want);
        assert_eq!(access["sts"].values().sum::<usize>(), 1);
        // Remembered: the same set gives the same summary, shared.
        assert!(Arc::ptr_eq(&access, &ex.access(&set)));
    }
}
