//! The semantic delta between two versions of a policy: what each allows, expanded through the
//! catalog, compared action by action, resource by resource, principal by principal.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

// A fast hasher: the comparison hashes every action of both sides a few times.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::catalog::{wildcard_match, AccessLevels, ActionRef, Catalog};
use crate::model::{ConditionEntry, ConditionOperator, PolicyDoc, Scalar, Statement};
use crate::source::Span;
use crate::text::{list_some, plural};

use super::{Direction, Kind};

/// At most this many action names per change are kept ([`Raw::actions`]); the count and the
/// counts by access level cover them all. JSON lists as many (`actions_total` has the count).
pub const MAX_KEPT_ACTIONS: usize = 1000;

/// An action of the catalog: service prefix and name, as the catalog spells them.
pub type Act = (&'static str, &'static str);

/// A change before it is located: the side it points into and the span there.
pub struct Raw {
    pub direction: Direction,
    pub kind: Kind,
    /// True: the span is in the head side; false: in the base side.
    pub head: bool,
    pub span: Span,
    pub message: String,
    /// The first [`MAX_KEPT_ACTIONS`] action names, sorted (a change of `AdministratorAccess`
    /// names 20,000: every change kept them all until output).
    pub actions: Vec<String>,
    /// How many actions the change has (counted by level in `access_levels`).
    pub actions_total: usize,
    pub levels: AccessLevels,
    pub access_levels: BTreeMap<&'static str, usize>,
    pub judged: bool,
    /// The statement (its [`Statement::index`]) the change is about, when it is about one: a
    /// principal's union of documents locates it in the file (or attachment) it came from.
    pub stmt: Option<usize>,
    /// Who the change exposes the principal or resource to, when it opens it to others
    /// (`public`, `cross-account`, `unrestricted OIDC`): the top `--fail-on` level.
    pub exposure: Option<&'static str>,
    /// Actions added that the principal's permissions boundary does not allow: reported, not
    /// effective, reaching no `--fail-on` level.
    pub not_effective: bool,
}

impl Raw {
    pub fn new(direction: Direction, kind: Kind, head: bool, span: Span, message: String) -> Raw {
        Raw {
            direction,
            kind,
            head,
            span,
            message,
            actions: Vec::new(),
            actions_total: 0,
            levels: AccessLevels::default(),
            access_levels: BTreeMap::new(),
            judged: true,
            stmt: None,
            exposure: None,
            not_effective: false,
        }
    }

    /// The statement the change is about.
    pub fn at(mut self, stmt: &Statement) -> Raw {
        self.stmt = Some(stmt.index);
        self
    }

    /// Adds the actions (sorted) and their counts by primary access level.
    pub fn with_actions(mut self, actions: &[ActionRef]) -> Raw {
        // In the order of the full names (`ec2-instance-connect:` before `ec2:`), without
        // building them.
        let full = |a: &ActionRef| {
            let (service, name) = key(a);
            service.bytes().chain([b':']).chain(name.bytes())
        };
        let mut sorted: Vec<&ActionRef> = actions.iter().collect();
        sorted.sort_by(|a, b| full(a).cmp(full(b)));
        sorted.dedup_by_key(|a| key(a));
        self.actions_total = sorted.len();
        self.actions = sorted
            .iter()
            .take(MAX_KEPT_ACTIONS)
            .map(|a| a.full_name())
            .collect();
        for a in actions {
            self.levels = self.levels.union(a.action.access);
            *self
                .access_levels
                .entry(a.action.access.primary())
                .or_default() += 1;
        }
        self
    }

    pub fn with_stmt(mut self, index: usize) -> Raw {
        self.stmt = Some(index);
        self
    }

    /// The first `max` action names, quoted, and how many more ([`list_some`] over all of them,
    /// though only the first [`MAX_KEPT_ACTIONS`] are kept).
    pub fn listed(&self, max: usize) -> String {
        let shown = self.actions.len().min(max);
        let rest = self.actions_total.saturating_sub(shown);
        if rest == self.actions.len() - shown {
            return list_some(&self.actions, max);
        }
        format!("{} and {rest} more", list_some(&self.actions[..shown], max))
    }

    pub fn unjudged(mut self) -> Raw {
        self.judged = false;
        self
    }
}

/// The canonical text of a document: statements without their `Sid`, lists sorted, action names
/// lower-cased, statements sorted. Equal texts mean equal permissions.
pub fn fingerprint(doc: &PolicyDoc) -> String {
    fingerprint_of(doc.statements.iter(), doc.unresolved.iter())
}

/// [`fingerprint`] of statements and unresolved parts that several documents hold (a
/// principal's): the same text as the one document holding them all.
pub fn fingerprint_of<'d>(
    statements: impl Iterator<Item = &'d Statement>,
    unresolved: impl Iterator<Item = &'d crate::source::Located<crate::model::Unknown>>,
) -> String {
    let mut statements: Vec<String> = statements.map(statement_text).collect();
    statements.sort();
    statements.dedup();
    let mut out = String::new();
    for u in unresolved {
        out.push_str(&u.value.expr);
        out.push('\u{1}');
    }
    for s in statements {
        out.push_str(&s);
        out.push('\u{2}');
    }
    out
}

fn statement_text(stmt: &Statement) -> String {
    let effect = stmt
        .effect
        .as_ref()
        .map(|e| e.value.text())
        .unwrap_or_default();
    let list = |field: Option<&crate::model::ListField>, lower: bool| -> String {
        let Some(field) = field else {
            return "-".to_string();
        };
        let mut items: Vec<String> = field
            .items
            .iter()
            .map(|i| {
                let t = i.value.text();
                if lower {
                    t.to_ascii_lowercase()
                } else {
                    t
                }
            })
            .collect();
        items.sort();
        items.dedup();
        format!(
            "{}{}",
            if field.negated { "!" } else { "" },
            items.join(",")
        )
    };
    format!(
        "{effect}|{}|{}|{}|{}",
        list(stmt.action.as_ref(), true),
        list(stmt.resource.as_ref(), false),
        principal_text(stmt),
        condition_entries(stmt)
            .into_iter()
            .collect::<Vec<_>>()
            .join(";")
    )
}

fn principal_text(stmt: &Statement) -> String {
    match &stmt.principal {
        None => "-".to_string(),
        Some(p) => format!(
            "{}{}",
            if p.negated { "!" } else { "" },
            principals(stmt).into_iter().collect::<Vec<_>>().join(",")
        ),
    }
}

/// `AWS:arn:aws:iam::1:root`, `Service:ec2.amazonaws.com`, `*:*`.
fn principals(stmt: &Statement) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(p) = &stmt.principal {
        for entry in &p.entries {
            for v in &entry.values {
                out.insert(format!("{}:{}", entry.kind.value, v.value.text()));
            }
        }
    }
    out
}

/// `StringEquals aws:SourceAccount=[1,2]`, one per operator and key, values sorted.
fn condition_entries(stmt: &Statement) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(c) = &stmt.condition {
        for (op, entry) in c.entries() {
            out.insert(entry_text(op, entry));
        }
    }
    out
}

/// One entry of [`condition_entries`].
fn entry_text(op: &ConditionOperator, entry: &ConditionEntry) -> String {
    let mut values: Vec<String> = entry.values.iter().map(|v| v.value.text()).collect();
    values.sort();
    values.dedup();
    format!(
        "{} {}=[{}]",
        op.name.value.text(),
        entry.key.value.text(),
        values.join(",")
    )
}

/// The operator and entry of `stmt` whose [`condition_entries`] text is `text`.
fn entry_of<'s>(
    stmt: &'s Statement,
    text: &str,
) -> Option<(&'s ConditionOperator, &'s ConditionEntry)> {
    stmt.condition
        .as_ref()?
        .entries()
        .find(|(op, e)| entry_text(op, e) == text)
}

/// Where in the head statement `hs` a condition entry of the base statement `bs` (its text
/// `removed`) was lost: the head's entry of the same operator and key when only values went,
/// else the head's operator block that lost the key, else the statement itself, now without
/// the operator (never the head's remaining, unchanged condition block).
fn removed_at(bs: &Statement, hs: &Statement, removed: &str) -> Span {
    let Some((bop, bentry)) = entry_of(bs, removed) else {
        return hs.head_span();
    };
    let same = |a: &Scalar, b: &Scalar| a.text().eq_ignore_ascii_case(&b.text());
    let Some(hop) = hs.condition.as_ref().and_then(|c| {
        c.operators
            .iter()
            .find(|op| same(&op.name.value, &bop.name.value))
    }) else {
        return hs.head_span();
    };
    hop.entries
        .iter()
        .find(|e| same(&e.key.value, &bentry.key.value))
        .map_or(hop.name.span, |e| e.key.span)
}

/// What one document allows, expanded.
pub struct Grants<'a> {
    pub doc: &'a PolicyDoc,
    /// Allowed actions (an action in any Allow statement), less those a blanket Deny removes.
    pub allowed: HashMap<Act, ActionRef>,
    /// Allow statements with their expanded actions (statements naming the same actions share
    /// one expansion).
    pub allows: Vec<(&'a Statement, Arc<[ActionRef]>)>,
    /// Unknown action items of Allow statements, as written, with their spans and statements.
    pub unknown_actions: BTreeMap<String, (Span, usize)>,
    /// Actions the Allow statements grant that the permissions boundary does not allow
    /// ([`Grants::within`]): not in [`Grants::allowed`], not effective.
    pub outside: HashMap<Act, ActionRef>,
    /// The accounts known to be the principal's own ([`Grants::owned_by`]): trusting one of them
    /// is no exposure.
    pub own_accounts: &'a [String],
}

fn key(a: &ActionRef) -> Act {
    (a.service.prefix.as_str(), a.action.name)
}

/// The actions a statement's `Action` (or `NotAction`) names.
fn expand_statement(stmt: &Statement) -> Vec<ActionRef> {
    let catalog = Catalog::get();
    let Some(field) = &stmt.action else {
        return Vec::new();
    };
    let mut seen: HashSet<Act> = HashSet::new();
    let mut out = Vec::new();
    if field.negated {
        let patterns: Vec<&str> = field.known().map(|p| p.value).collect();
        for a in catalog.expand("*") {
            if !patterns.iter().any(|p| a.matches(p)) && seen.insert(key(&a)) {
                out.push(a);
            }
        }
    } else {
        for p in field.known() {
            for a in catalog.expand(p.value) {
                if seen.insert(key(&a)) {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// A Deny that applies always and everywhere: no condition, `Resource` `*` (or none).
fn blanket_deny(stmt: &Statement) -> bool {
    stmt.effect.as_ref().and_then(|e| e.value.as_str()) == Some("Deny")
        && !stmt.has_condition()
        && stmt
            .resource
            .as_ref()
            .is_none_or(|r| !r.negated && r.has_star())
}

impl<'a> Grants<'a> {
    pub fn of(doc: &'a PolicyDoc) -> Grants<'a> {
        let mut allowed = HashMap::new();
        let mut allows = Vec::new();
        let mut unknown_actions = BTreeMap::new();
        // Each distinct action list is expanded once: 200 statements on `"Action": "*"` are not
        // 200 walks of the catalog.
        let mut expanded: HashMap<String, Arc<[ActionRef]>> = HashMap::new();
        for stmt in &doc.statements {
            if !stmt.allows() {
                continue;
            }
            let text = action_text(stmt);
            let actions = match expanded.get(&text) {
                Some(actions) => Arc::clone(actions),
                None => {
                    let actions: Arc<[ActionRef]> = expand_statement(stmt).into();
                    for a in actions.iter() {
                        allowed.insert(key(a), *a);
                    }
                    expanded.insert(text, Arc::clone(&actions));
                    actions
                }
            };
            if let Some(field) = &stmt.action {
                for item in &field.items {
                    if !item.value.is_known() {
                        unknown_actions
                            .entry(item.value.text())
                            .or_insert((item.span, stmt.index));
                    }
                }
            }
            allows.push((stmt, actions));
        }
        let mut denied: HashSet<String> = HashSet::new();
        for stmt in doc.statements.iter().filter(|s| blanket_deny(s)) {
            if !denied.insert(action_text(stmt)) {
                continue;
            }
            for a in expand_statement(stmt) {
                allowed.remove(&key(&a));
            }
        }
        Grants {
            doc,
            allowed,
            allows,
            unknown_actions,
            outside: HashMap::new(),
            own_accounts: &[],
        }
    }

    /// The same grants, with the accounts the principal's scope knows as its own (the provider's
    /// `allowed_account_ids`, its `assume_role` account).
    pub fn owned_by(mut self, own: &'a [String]) -> Self {
        self.own_accounts = own;
        self
    }

    /// What is allowed within a permissions boundary: an action the boundary's Allow statements
    /// do not grant (less its blanket Denies) is moved to [`Grants::outside`]. Per action, as the
    /// boundary is read elsewhere in `diff`: its resources and conditions are not compared.
    pub fn within(mut self, boundary: &Grants<'_>) -> Self {
        let (inside, outside) = std::mem::take(&mut self.allowed)
            .into_iter()
            .partition(|(k, _)| boundary.allowed.contains_key(k));
        self.allowed = inside;
        self.outside = outside;
        self
    }

    /// The actions a Deny with a condition, or on some resources only, names: they may be denied.
    fn maybe_denied(&self) -> HashSet<Act> {
        let mut out = HashSet::new();
        let mut seen: HashSet<String> = HashSet::new();
        for stmt in &self.doc.statements {
            if stmt.effect.as_ref().and_then(|e| e.value.as_str()) != Some("Deny")
                || blanket_deny(stmt)
                || !seen.insert(action_text(stmt))
            {
                continue;
            }
            out.extend(expand_statement(stmt).iter().map(key));
        }
        out
    }

    /// For each allowed action, the first Allow statement (index in [`Grants::allows`]) granting it.
    fn first_statements(&self) -> HashMap<Act, usize> {
        let mut out: HashMap<Act, usize> = HashMap::with_capacity(self.allowed.len());
        for (i, (_, acts)) in self.allows.iter().enumerate() {
            for a in acts.iter() {
                out.entry(key(a)).or_insert(i);
            }
        }
        out
    }
    /// Every allowed action, sorted.
    pub fn sorted(&self) -> Vec<ActionRef> {
        let mut v: Vec<ActionRef> = self.allowed.values().copied().collect();
        v.sort_by_key(key);
        v
    }
}

/// Actions the head grants that neither side had, allowed or outside its boundary, and that the
/// head's permissions boundary does not allow: one change per part, reported as not effective.
fn not_effective(
    base: &Grants<'_>,
    head: &Grants<'_>,
    part: &(dyn Fn(bool, usize) -> usize + Sync),
    out: &mut Vec<Raw>,
) {
    let mut outside: Vec<ActionRef> = head
        .outside
        .iter()
        .filter(|(k, _)| !base.allowed.contains_key(*k) && !base.outside.contains_key(*k))
        .map(|(_, a)| *a)
        .collect();
    if outside.is_empty() {
        return;
    }
    outside.sort_by_key(key);
    let first = head.first_statements();
    let mut parts: BTreeMap<usize, (usize, Vec<ActionRef>)> = BTreeMap::new();
    for a in &outside {
        let Some(&i) = first.get(&key(a)) else {
            continue;
        };
        parts
            .entry(part(true, head.allows[i].0.index))
            .or_insert((i, Vec::new()))
            .1
            .push(*a);
    }
    for (_, (i, acts)) in parts {
        let stmt = head.allows[i].0;
        let names: Vec<String> = acts.iter().map(ActionRef::full_name).collect();
        let mut raw = Raw::new(
            Direction::Widening,
            Kind::ActionsAdded,
            true,
            item_span(stmt, key(&acts[0])),
            format!(
                "adds {} that the permissions boundary does not allow (not effective): {}",
                plural(acts.len(), "action"),
                list_some(&names, 4)
            ),
        )
        .with_actions(&acts)
        .at(stmt);
        raw.not_effective = true;
        out.push(raw);
    }
}

/// Resource items of a statement as text; none written counts as `*` (trust policies).
/// The span of the action item of `stmt` granting `act` (for a module argument, where the caller
/// wrote it), else of the statement's head.
fn item_span(stmt: &Statement, act: Act) -> Span {
    stmt.action
        .as_ref()
        .filter(|f| !f.negated)
        .and_then(|f| {
            f.known()
                .find(|p| wildcard_match(p.value, &format!("{}:{}", act.0, act.1)))
                .map(|p| p.span)
        })
        .unwrap_or_else(|| stmt.head_span())
}

fn resources(stmt: &Statement) -> Vec<(String, Span, bool)> {
    match &stmt.resource {
        Some(r) if !r.negated => r
            .items
            .iter()
            .map(|i| (i.value.text(), i.span, i.value.is_known()))
            .collect(),
        _ => vec![("*".to_string(), stmt.span, true)],
    }
}

fn is_broad(resource: &str) -> bool {
    resource == "*" || resource.contains(['*', '?'])
}

/// The work one policy pair's resource comparison may do (set look-ups and wildcard matching
/// steps), about a second: past it, the rest of the side's resources are one change that cannot
/// be judged. Policies of any real size stay far below it: the comparison is indexed, so its
/// work grows with the size of the two sides, not their product, except for contrived wildcards.
pub const MAX_WORK: u64 = 200_000_000;

/// Resource changes of one policy pair listed one by one per direction; the rest are one change
/// (a policy whose every resource changed would otherwise give one change per resource).
pub const MAX_LISTED: usize = 1_000;

/// The Allow statements of one side, indexed for the resource comparison: grouped by the actions
/// they allow, and their resources by text (compared ignoring ASCII case, as matching does), by
/// the literal text before a wildcard, and `*`.
struct ByResource {
    /// The distinct action sets of the Allow statements.
    groups: Vec<HashSet<Act>>,
    /// Each group's resources, sorted.
    group_resources: Vec<BTreeSet<String>>,
    /// What the statements on `*` (or without `Resource`) allow.
    universal: HashSet<Act>,
    /// Lower-cased resource without a wildcard -> groups.
    exact: HashMap<String, Vec<usize>>,
    /// Lower-cased text before the first wildcard of a wildcard resource -> (resource, group).
    wild: HashMap<String, Vec<(String, usize)>>,
    /// The lengths of the keys of `wild`.
    prefix_lengths: BTreeSet<usize>,
    /// Each Allow statement's resources ([`resources`]).
    resources: Vec<Vec<(String, Span, bool)>>,
    /// True when a resource cannot be evaluated.
    any_unknown: bool,
}

impl ByResource {
    fn of(grants: &Grants<'_>) -> ByResource {
        let mut index = ByResource {
            groups: Vec::new(),
            group_resources: Vec::new(),
            universal: HashSet::new(),
            exact: HashMap::new(),
            wild: HashMap::new(),
            prefix_lengths: BTreeSet::new(),
            resources: Vec::new(),
            any_unknown: false,
        };
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for (stmt, acts) in &grants.allows {
            let group = *group_of.entry(action_text(stmt)).or_insert_with(|| {
                index.groups.push(acts.iter().map(key).collect());
                index.group_resources.push(BTreeSet::new());
                index.groups.len() - 1
            });
            let rs = resources(stmt);
            for (text, _, known) in &rs {
                index.any_unknown |= !known;
                index.group_resources[group].insert(text.clone());
                let lower = text.to_ascii_lowercase();
                if text == "*" {
                    index.universal.extend(acts.iter().map(key));
                } else if let Some(at) = lower.find(['*', '?']) {
                    let prefix = lower[..at].to_string();
                    index.prefix_lengths.insert(prefix.len());
                    index
                        .wild
                        .entry(prefix)
                        .or_default()
                        .push((text.clone(), group));
                } else {
                    index.exact.entry(lower).or_default().push(group);
                }
            }
            index.resources.push(rs);
        }
        for groups in index.exact.values_mut() {
            groups.sort_unstable();
            groups.dedup();
        }
        index
    }

    /// The groups with a statement whose resource allows at least what `resource` names (besides
    /// `universal`), or `None` when the work budget runs out.
    fn covering(&self, resource: &str, work: &mut u64) -> Option<Vec<usize>> {
        let lower = resource.to_ascii_lowercase();
        let mut out: Vec<usize> = self.exact.get(&lower).cloned().unwrap_or_default();
        for &length in &self.prefix_lengths {
            let Some(prefix) = lower.get(..length) else {
                continue;
            };
            *work = work.checked_sub(1 + length as u64 / 16)?;
            for (pattern, group) in self.wild.get(prefix).into_iter().flatten() {
                if crate::catalog::wildcard_match_within(pattern, resource, work)? {
                    out.push(*group);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// The groups allowing one of `acts`.
    fn allowing(&self, acts: &HashSet<Act>, work: &mut u64) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            let (small, large) = if group.len() < acts.len() {
                (group, acts)
            } else {
                (acts, group)
            };
            *work = work.checked_sub(small.len() as u64 + 1)?;
            if small.iter().any(|a| large.contains(a)) {
                out.push(g);
            }
        }
        Some(out)
    }

    /// The resources of `groups`, sorted: the first few and how many.
    fn resources_of(&self, groups: &[usize], work: &mut u64) -> Option<Vec<String>> {
        let mut all: BTreeSet<&String> = BTreeSet::new();
        for &g in groups {
            *work = work.checked_sub(self.group_resources[g].len() as u64 + 1)?;
            all.extend(self.group_resources[g].iter());
        }
        Some(all.into_iter().cloned().collect())
    }
}

/// Every change from `base` to `head` of one policy, widenings and narrowings.
pub fn compare(base: &Grants<'_>, head: &Grants<'_>, out: &mut Vec<Raw>) {
    compare_in(base, head, &|_, _| 0, out);
}

/// [`compare`] for a union of documents: actions added (or removed) are one change per part
/// (`part` of the side, true for the head, and the [`Statement::index`] of the first statement
/// granting each), so that what an
/// attached managed policy brings and what an inline statement brings are told apart.
pub fn compare_in(
    base: &Grants<'_>,
    head: &Grants<'_>,
    part: &(dyn Fn(bool, usize) -> usize + Sync),
    out: &mut Vec<Raw>,
) {
    // Actions.
    for (from, to, head_side) in [(base, head, true), (head, base, false)] {
        let mut added: Vec<ActionRef> = to
            .allowed
            .iter()
            .filter(|(k, _)| !from.allowed.contains_key(*k))
            .map(|(_, a)| *a)
            .collect();
        if !added.is_empty() {
            added.sort_by_key(key);
            let first = to.first_statements();
            let maybe_denied = to.maybe_denied();
            // Part -> (first statement, actions), in the order of the parts' first action.
            let mut parts: BTreeMap<usize, (usize, Vec<ActionRef>)> = BTreeMap::new();
            for a in &added {
                let Some(&i) = first.get(&key(a)) else {
                    continue;
                };
                let stmt = to.allows[i].0;
                parts
                    .entry(part(head_side, stmt.index))
                    .or_insert((i, Vec::new()))
                    .1
                    .push(*a);
            }
            for (_, (i, acts)) in parts {
                let stmt = to.allows[i].0;
                let names: Vec<String> = acts.iter().map(ActionRef::full_name).collect();
                let (direction, kind, verb) = if head_side {
                    (Direction::Widening, Kind::ActionsAdded, "now allows")
                } else {
                    (
                        Direction::Narrowing,
                        Kind::ActionsRemoved,
                        "no longer allows",
                    )
                };
                let mut message = format!(
                    "{verb} {}: {}",
                    plural(acts.len(), "action"),
                    list_some(&names, 4)
                );
                let denied = acts.iter().all(|a| maybe_denied.contains(&key(a)));
                if denied {
                    message.push_str(
                        " (a Deny with a condition, or on some resources, may deny them: not judged)",
                    );
                }
                let mut raw = Raw::new(
                    direction,
                    kind,
                    head_side,
                    item_span(stmt, key(&acts[0])),
                    message,
                )
                .with_actions(&acts)
                .at(stmt);
                if denied {
                    raw = raw.unjudged();
                }
                out.push(raw);
            }
        }
        if head_side {
            not_effective(from, to, part, out);
        }
        for (text, (span, index)) in &to.unknown_actions {
            if from.unknown_actions.contains_key(text) {
                continue;
            }
            let (direction, kind, verb) = if head_side {
                (Direction::Widening, Kind::ActionsAdded, "adds")
            } else {
                (Direction::Narrowing, Kind::ActionsRemoved, "removes")
            };
            out.push(
                Raw::new(
                    direction,
                    kind,
                    head_side,
                    *span,
                    format!("{verb} the action `{text}`, which cannot be judged (unknown value)"),
                )
                .unjudged()
                .with_stmt(*index),
            );
        }
    }
    // Resources: an action allowed on both sides, on a resource the other side did not allow it on.
    let mut work = MAX_WORK;
    let (base_index, head_index) = (ByResource::of(base), ByResource::of(head));
    for (from, to, head_side) in [
        (&base_index, (head, &head_index), true),
        (&head_index, (base, &base_index), false),
    ] {
        let (to, to_index) = to;
        let from_allowed = if head_side {
            &base.allowed
        } else {
            &head.allowed
        };
        if resource_changes(from, from_allowed, to, to_index, head_side, &mut work, out).is_none() {
            // The budget ran out: the rest of this side is one change that cannot be judged.
            let (direction, kind) = if head_side {
                (Direction::Widening, Kind::ResourceWidened)
            } else {
                (Direction::Narrowing, Kind::ResourceNarrowed)
            };
            out.push(
                Raw::new(
                    direction,
                    kind,
                    head_side,
                    to.doc.span,
                    "resources not compared past iamlint's bound on the work of one policy (too many or too long wildcards), which cannot be judged".to_string(),
                )
                .unjudged(),
            );
        }
    }
    // Principals of trust and resource policies.
    for (from, to, head_side) in [(base, head, true), (head, base, false)] {
        let before: BTreeSet<String> = from
            .allows
            .iter()
            .flat_map(|(s, _)| principals(s))
            .collect();
        for (stmt, acts) in &to.allows {
            let Some(field) = &stmt.principal else {
                continue;
            };
            if field.negated {
                continue;
            }
            for entry in &field.entries {
                for v in &entry.values {
                    let text = format!("{}:{}", entry.kind.value, v.value.text());
                    if before.contains(&text) {
                        continue;
                    }
                    let shown = if entry.kind.value == "*" || v.value.as_str() == Some("*") {
                        "`*` (anyone)".to_string()
                    } else {
                        format!("{} `{}`", entry.kind.value, v.value.text())
                    };
                    let (direction, kind, verb) = if head_side {
                        (Direction::Widening, Kind::PrincipalAdded, "now trusts")
                    } else {
                        (
                            Direction::Narrowing,
                            Kind::PrincipalRemoved,
                            "no longer trusts",
                        )
                    };
                    let message = format!(
                        "{verb} {shown} for {}",
                        list_some(
                            &acts.iter().map(ActionRef::full_name).collect::<Vec<_>>(),
                            3
                        )
                    );
                    let mut raw = Raw::new(direction, kind, head_side, v.span, message)
                        .with_actions(acts)
                        .at(stmt);
                    if !v.value.is_known() {
                        raw = raw.unjudged();
                    }
                    if head_side {
                        raw.exposure = exposure(&entry.kind.value, &v.value, stmt, to.own_accounts);
                        if let Some(e) = raw.exposure {
                            raw.message.push_str(&format!(" ({e})"));
                        }
                    }
                    out.push(raw);
                }
            }
        }
    }
    deny_changes(base.doc, head.doc, out);
    // Conditions of the same statement (same actions, else same Sid): the first such base
    // statement, found by key.
    let mut by_actions: HashMap<String, &Statement> = HashMap::new();
    let mut by_sid: HashMap<String, &Statement> = HashMap::new();
    for (bs, _) in &base.allows {
        by_actions.entry(action_text(bs)).or_insert(bs);
        if let Some(sid) = &bs.sid {
            by_sid.entry(sid.value.text()).or_insert(bs);
        }
    }
    for (hs, hacts) in &head.allows {
        let paired = by_actions.get(&action_text(hs)).or_else(|| {
            let sid = hs.sid.as_ref().map(|s| s.value.text())?;
            by_sid.get(&sid)
        });
        let Some(bs) = paired else {
            continue;
        };
        let (before, after) = (condition_entries(bs), condition_entries(hs));
        let removed: Vec<&String> = before.difference(&after).collect();
        let added: Vec<&String> = after.difference(&before).collect();
        if !removed.is_empty() {
            let here = removed_at(bs, hs, removed[0]);
            let mut raw = Raw::new(
                Direction::Widening,
                Kind::ConditionRemoved,
                true,
                here,
                format!(
                    "condition {} no longer limits {}",
                    list_some(&removed, 3),
                    list_some(
                        &hacts.iter().map(ActionRef::full_name).collect::<Vec<_>>(),
                        3
                    )
                ),
            )
            .with_actions(hacts)
            .at(hs);
            // A federated identity provider's role whose `sub` is no longer pinned: any
            // identity of the provider (any repository of GitHub) may assume it.
            if oidc_unrestricted(hs) && oidc_pinned(bs) {
                raw.exposure = Some("unrestricted OIDC");
                raw.message
                    .push_str(" (unrestricted OIDC: any identity of the provider may assume it)");
            }
            out.push(raw);
        }
        if !added.is_empty() {
            let here = entry_of(hs, added[0])
                .map(|(_, e)| e.key.span)
                .unwrap_or(hs.head_span());
            out.push(
                Raw::new(
                    Direction::Narrowing,
                    Kind::ConditionAdded,
                    true,
                    here,
                    format!(
                        "condition {} now limits this statement",
                        list_some(&added, 3)
                    ),
                )
                .with_actions(hacts)
                .at(hs),
            );
        }
    }
}

/// Deny statements with a condition (or on some resources) that the base has and the head no
/// longer has, by their canonical text: what they denied may now be allowed, as far as the
/// request decides, so the widening is not judged. (A Deny without condition on `*` is
/// subtracted from the allowed actions: removing it, or giving it a condition, shows as the
/// actions it denied being added, the latter not judged.)
fn deny_changes(base: &PolicyDoc, head: &PolicyDoc, out: &mut Vec<Raw>) {
    let is_deny = |s: &Statement| s.effect.as_ref().and_then(|e| e.value.as_str()) == Some("Deny");
    let after: HashSet<String> = head
        .statements
        .iter()
        .filter(|s| is_deny(s))
        .map(statement_text)
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    for stmt in base
        .statements
        .iter()
        .filter(|s| is_deny(s) && !blanket_deny(s))
    {
        let text = statement_text(stmt);
        if after.contains(&text) || !seen.insert(text) {
            continue;
        }
        let acts = expand_statement(stmt);
        let names: Vec<String> = acts.iter().map(ActionRef::full_name).collect();
        let what = if stmt.has_condition() {
            "conditional Deny"
        } else {
            "Deny on some resources"
        };
        out.push(
            Raw::new(
                Direction::Widening,
                Kind::DenyRemoved,
                false,
                stmt.head_span(),
                format!(
                    "a {what} of {} was removed or changed: not judged (its conditions or resources decided when it applied)",
                    if names.is_empty() {
                        "no known action".to_string()
                    } else {
                        list_some(&names, 3)
                    }
                ),
            )
            .with_actions(&acts)
            .at(stmt)
            .unjudged(),
        );
    }
}

/// Who a newly trusted principal opens the policy to: `*` is public, an account written
/// literally (a 12-digit id, or an ARN with one) is another account as far as iamlint knows, a
/// federated OIDC provider without a condition on its `sub` is any of its identities.
/// A literal account the principal's scope knows as its own is not another account.
fn exposure(
    kind: &str,
    value: &crate::model::Scalar,
    stmt: &Statement,
    own: &[String],
) -> Option<&'static str> {
    let v = value.as_str()?;
    let account = |a: &str| {
        a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) && !own.iter().any(|o| o == a)
    };
    match kind {
        "*" => Some("public"),
        "AWS" if v == "*" => Some("public"),
        "AWS" if account(v) => Some("cross-account"),
        "AWS" => crate::model::arn::parse_arn(v)
            .is_some_and(|a| account(a.account))
            .then_some("cross-account"),
        "Federated" if is_oidc(v) && oidc_unrestricted(stmt) => Some("unrestricted OIDC"),
        _ => None,
    }
}

fn is_oidc(provider: &str) -> bool {
    provider.contains(":oidc-provider/")
        || provider.contains("token.actions.githubusercontent.com")
        || provider == "cognito-identity.amazonaws.com"
        || provider == "accounts.google.com"
}

/// A statement trusting a federated OIDC provider.
fn trusts_oidc(stmt: &Statement) -> bool {
    stmt.principal.as_ref().is_some_and(|p| {
        p.entries.iter().any(|e| {
            e.kind.value == "Federated"
                && e.values
                    .iter()
                    .any(|v| v.value.as_str().is_some_and(is_oidc))
        })
    })
}

/// Whether the statement's conditions name the provider's `sub` (or `amr` for Cognito).
fn oidc_pinned(stmt: &Statement) -> bool {
    stmt.condition.as_ref().is_some_and(|c| {
        c.entries().any(|(_, e)| {
            e.key
                .value
                .text()
                .to_ascii_lowercase()
                .rsplit(':')
                .next()
                .is_some_and(|k| k == "sub" || k == "amr")
        })
    })
}

fn oidc_unrestricted(stmt: &Statement) -> bool {
    trusts_oidc(stmt) && !oidc_pinned(stmt)
}

/// The resource changes of `to` against the side `from` indexes; `None` when the work budget
/// runs out (the changes found so far are kept).
fn resource_changes(
    from: &ByResource,
    from_allowed: &HashMap<Act, ActionRef>,
    to: &Grants<'_>,
    to_index: &ByResource,
    head_side: bool,
    work: &mut u64,
    out: &mut Vec<Raw>,
) -> Option<()> {
    // An unknown resource on the other side may be the very resource: not judged.
    let from_unknown = from.any_unknown;
    let mut covering: HashMap<String, Vec<usize>> = HashMap::new();
    let mut was_of: HashMap<Vec<usize>, Vec<String>> = HashMap::new();
    let mut listed = 0usize;
    // Past MAX_LISTED: how many more, the first few, their actions, where the first is.
    let mut rest: (
        usize,
        Vec<String>,
        HashMap<Act, ActionRef>,
        Option<Span>,
        bool,
    ) = (0, Vec::new(), HashMap::new(), None, false);
    for ((stmt, acts), rs) in to.allows.iter().zip(&to_index.resources) {
        let still: Vec<&ActionRef> = acts
            .iter()
            .filter(|a| from_allowed.contains_key(&key(a)) && !from.universal.contains(&key(a)))
            .collect();
        *work = work.checked_sub(acts.len() as u64)?;
        if still.is_empty() {
            continue;
        }
        for (resource, span, known) in rs {
            let groups = match covering.get(resource) {
                Some(g) => g,
                None => {
                    let g = from.covering(resource, work)?;
                    covering.entry(resource.clone()).or_insert(g)
                }
            };
            *work = work.checked_sub(still.len() as u64 * (groups.len() as u64 + 1))?;
            let widened: Vec<ActionRef> = still
                .iter()
                .filter(|a| !groups.iter().any(|&g| from.groups[g].contains(&key(a))))
                .map(|a| **a)
                .collect();
            if widened.is_empty() {
                continue;
            }
            if listed >= MAX_LISTED {
                rest.0 += 1;
                if rest.1.len() < 3 {
                    rest.1.push(resource.clone());
                }
                rest.2.extend(widened.iter().map(|a| (key(a), *a)));
                rest.3.get_or_insert(*span);
                rest.4 |= !known || from_unknown;
                continue;
            }
            listed += 1;
            let keys: HashSet<Act> = widened.iter().map(key).collect();
            let allowing = from.allowing(&keys, work)?;
            let was = match was_of.get(&allowing) {
                Some(w) => w,
                None => {
                    let w = from.resources_of(&allowing, work)?;
                    was_of.entry(allowing).or_insert(w)
                }
            };
            let (direction, kind) = if head_side {
                (Direction::Widening, Kind::ResourceWidened)
            } else {
                (Direction::Narrowing, Kind::ResourceNarrowed)
            };
            let mut raw = Raw::new(direction, kind, head_side, *span, String::new())
                .with_actions(&widened)
                .at(stmt);
            let listed = raw.listed(3);
            raw.message = if !known {
                format!(
                    "{} on `{resource}`, which cannot be judged (unknown value); was on {}",
                    listed,
                    list_some(was, 3)
                )
            } else if head_side {
                format!(
                    "{} now on {}`{resource}` (was {})",
                    listed,
                    if is_broad(resource) {
                        "the wildcard "
                    } else {
                        ""
                    },
                    list_some(was, 3)
                )
            } else {
                format!(
                    "{} no longer on `{resource}` (now {})",
                    listed,
                    list_some(was, 3)
                )
            };
            if !known || from_unknown {
                raw = raw.unjudged();
            }
            out.push(raw);
        }
    }
    let (more, first, actions, span, unjudged) = rest;
    if let Some(span) = span {
        let (direction, kind, verb) = if head_side {
            (Direction::Widening, Kind::ResourceWidened, "now allowed")
        } else {
            (
                Direction::Narrowing,
                Kind::ResourceNarrowed,
                "no longer allowed",
            )
        };
        let mut actions: Vec<ActionRef> = actions.into_values().collect();
        actions.sort_by_key(key);
        let mut raw = Raw::new(
            direction,
            kind,
            head_side,
            span,
            format!(
                "and {} more resources with actions {verb} on them, past {} listed one by one (among them {})",
                crate::text::thousands(more),
                crate::text::thousands(MAX_LISTED),
                list_some(&first, 3)
            ),
        )
        .with_actions(&actions);
        if unjudged {
            raw = raw.unjudged();
        }
        out.push(raw);
    }
    Some(())
}

fn action_text(stmt: &Statement) -> String {
    let Some(field) = &stmt.action else {
        return String::new();
    };
    let mut items: Vec<String> = field
        .items
        .iter()
        .map(|i| i.value.text().to_ascii_lowercase())
        .collect();
    items.sort();
    items.dedup();
    format!("{}{}", field.negated, items.join(","))
}

/// A whole policy on one side only.
pub fn whole(grants: &Grants<'_>, head_side: bool, what: &str) -> Raw {
    let actions = grants.sorted();
    let (direction, kind) = if head_side {
        (Direction::Widening, Kind::PolicyAdded)
    } else {
        (Direction::Narrowing, Kind::PolicyRemoved)
    };
    let verb = if head_side { "new" } else { "removed" };
    let mut who: BTreeSet<String> = BTreeSet::new();
    let mut exposed = None;
    for (s, _) in &grants.allows {
        who.extend(principals(s));
        if let Some(p) = s.principal.as_ref().filter(|_| head_side) {
            for e in &p.entries {
                for v in &e.values {
                    exposed = exposed
                        .or_else(|| exposure(&e.kind.value, &v.value, s, grants.own_accounts));
                }
            }
        }
    }
    let names: Vec<String> = actions.iter().map(ActionRef::full_name).collect();
    let mut message = format!(
        "{verb} {what} allowing {}",
        if names.is_empty() {
            "no known action".to_string()
        } else {
            format!(
                "{}: {}",
                plural(names.len(), "action"),
                list_some(&names, 4)
            )
        }
    );
    if !who.is_empty() {
        let who: Vec<String> = who.into_iter().collect();
        message.push_str(&format!(" to {}", list_some(&who, 3)));
    }
    if let Some(e) = exposed {
        message.push_str(&format!(" ({e})"));
    }
    let mut raw =
        Raw::new(direction, kind, head_side, grants.doc.span, message).with_actions(&actions);
    raw.exposure = exposed;
    if !grants.unknown_actions.is_empty() || !grants.doc.unresolved.is_empty() {
        raw.message.push_str(" (and values that cannot be judged)");
        raw = raw.unjudged();
    }
    raw
}
