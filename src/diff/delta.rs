//! The semantic delta between two versions of a policy: what each allows, expanded through the
//! catalog, compared action by action, resource by resource, principal by principal.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::catalog::{wildcard_match, AccessLevels, ActionRef, Catalog};
use crate::model::{PolicyDoc, Statement};
use crate::source::Span;
use crate::text::{list_some, plural};

use super::{Direction, Kind};

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
    pub actions: Vec<String>,
    pub levels: AccessLevels,
    pub access_levels: BTreeMap<&'static str, usize>,
    pub judged: bool,
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
            levels: AccessLevels::default(),
            access_levels: BTreeMap::new(),
            judged: true,
        }
    }

    /// Adds the actions (sorted) and their counts by primary access level.
    pub fn with_actions(mut self, actions: &[ActionRef]) -> Raw {
        let mut names: Vec<String> = actions.iter().map(ActionRef::full_name).collect();
        names.sort();
        self.actions = names;
        for a in actions {
            self.levels = self.levels.union(a.action.access);
            *self
                .access_levels
                .entry(a.action.access.primary())
                .or_default() += 1;
        }
        self
    }

    pub fn unjudged(mut self) -> Raw {
        self.judged = false;
        self
    }
}

/// The canonical text of a document: statements without their `Sid`, lists sorted, action names
/// lower-cased, statements sorted. Equal texts mean equal permissions.
pub fn fingerprint(doc: &PolicyDoc) -> String {
    let mut statements: Vec<String> = doc.statements.iter().map(statement_text).collect();
    statements.sort();
    statements.dedup();
    let mut out = String::new();
    for u in &doc.unresolved {
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
            let mut values: Vec<String> = entry.values.iter().map(|v| v.value.text()).collect();
            values.sort();
            values.dedup();
            out.insert(format!(
                "{} {}=[{}]",
                op.name.value.text(),
                entry.key.value.text(),
                values.join(",")
            ));
        }
    }
    out
}

/// What one document allows, expanded.
pub struct Grants<'a> {
    pub doc: &'a PolicyDoc,
    /// Allowed actions (an action in any Allow statement), less those a blanket Deny removes.
    pub allowed: HashMap<Act, ActionRef>,
    /// Allow statements with their expanded actions.
    pub allows: Vec<(&'a Statement, Vec<ActionRef>)>,
    /// Unknown action items of Allow statements, as written, with their spans.
    pub unknown_actions: BTreeMap<String, Span>,
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
        for stmt in &doc.statements {
            if !stmt.allows() {
                continue;
            }
            let actions = expand_statement(stmt);
            for a in &actions {
                allowed.insert(key(a), *a);
            }
            if let Some(field) = &stmt.action {
                for item in &field.items {
                    if !item.value.is_known() {
                        unknown_actions
                            .entry(item.value.text())
                            .or_insert(item.span);
                    }
                }
            }
            allows.push((stmt, actions));
        }
        for stmt in doc.statements.iter().filter(|s| blanket_deny(s)) {
            for a in expand_statement(stmt) {
                allowed.remove(&key(&a));
            }
        }
        Grants {
            doc,
            allowed,
            allows,
            unknown_actions,
        }
    }

    /// The span of the first action item granting `act` (for a module argument, where the
    /// caller wrote it), else of its statement, else the document.
    fn span_of(&self, act: Act) -> Span {
        let Some((stmt, _)) = self
            .allows
            .iter()
            .find(|(_, acts)| acts.iter().any(|a| key(a) == act))
        else {
            return self.doc.span;
        };
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

    /// Every allowed action, sorted.
    pub fn sorted(&self) -> Vec<ActionRef> {
        let mut v: Vec<ActionRef> = self.allowed.values().copied().collect();
        v.sort_by_key(key);
        v
    }
}

/// Resource items of a statement as text; none written counts as `*` (trust policies).
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

/// True when the pattern `broad` allows at least what `narrow` names.
fn covers(broad: &str, narrow: &str) -> bool {
    broad == "*" || broad == narrow || wildcard_match(broad, narrow)
}

fn is_broad(resource: &str) -> bool {
    resource == "*" || resource.contains(['*', '?'])
}

/// Every change from `base` to `head` of one policy, widenings and narrowings.
pub fn compare(base: &Grants<'_>, head: &Grants<'_>, out: &mut Vec<Raw>) {
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
            let names: Vec<String> = added.iter().map(ActionRef::full_name).collect();
            let (direction, kind, verb) = if head_side {
                (Direction::Widening, Kind::ActionsAdded, "now allows")
            } else {
                (
                    Direction::Narrowing,
                    Kind::ActionsRemoved,
                    "no longer allows",
                )
            };
            let message = format!(
                "{verb} {}: {}",
                plural(added.len(), "action"),
                list_some(&names, 4)
            );
            out.push(
                Raw::new(
                    direction,
                    kind,
                    head_side,
                    to.span_of(key(&added[0])),
                    message,
                )
                .with_actions(&added),
            );
        }
        for (text, span) in &to.unknown_actions {
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
                .unjudged(),
            );
        }
    }
    // Resources: an action allowed on both sides, on a resource the other side did not allow it on.
    for (from, to, head_side) in [(base, head, true), (head, base, false)] {
        // An unknown resource on the other side may be the very resource: not judged.
        let from_unknown = from
            .allows
            .iter()
            .any(|(s, _)| resources(s).iter().any(|(_, _, known)| !known));
        for (stmt, acts) in &to.allows {
            let still: Vec<&ActionRef> = acts
                .iter()
                .filter(|a| from.allowed.contains_key(&key(a)))
                .collect();
            if still.is_empty() {
                continue;
            }
            for (resource, span, known) in resources(stmt) {
                let mut before: HashSet<Act> = HashSet::new();
                let mut was: BTreeSet<String> = BTreeSet::new();
                for (s, other) in &from.allows {
                    let rs = resources(s);
                    if rs.iter().any(|(r, _, _)| covers(r, &resource)) {
                        before.extend(other.iter().map(key));
                    }
                }
                let widened: Vec<ActionRef> = still
                    .iter()
                    .filter(|a| !before.contains(&key(a)))
                    .map(|a| **a)
                    .collect();
                if widened.is_empty() {
                    continue;
                }
                for (s, other) in &from.allows {
                    if other
                        .iter()
                        .any(|a| widened.iter().any(|w| key(w) == key(a)))
                    {
                        was.extend(resources(s).into_iter().map(|(r, _, _)| r));
                    }
                }
                let was: Vec<String> = was.into_iter().collect();
                let names: Vec<String> = widened.iter().map(ActionRef::full_name).collect();
                let (direction, kind) = if head_side {
                    (Direction::Widening, Kind::ResourceWidened)
                } else {
                    (Direction::Narrowing, Kind::ResourceNarrowed)
                };
                let message = if !known {
                    format!(
                        "{} on `{resource}`, which cannot be judged (unknown value); was on {}",
                        list_some(&names, 3),
                        list_some(&was, 3)
                    )
                } else if head_side {
                    format!(
                        "{} now on {}`{resource}` (was {})",
                        list_some(&names, 3),
                        if is_broad(&resource) {
                            "the wildcard "
                        } else {
                            ""
                        },
                        list_some(&was, 3)
                    )
                } else {
                    format!(
                        "{} no longer on `{resource}` (now {})",
                        list_some(&names, 3),
                        list_some(&was, 3)
                    )
                };
                let mut raw =
                    Raw::new(direction, kind, head_side, span, message).with_actions(&widened);
                if !known || from_unknown {
                    raw = raw.unjudged();
                }
                out.push(raw);
            }
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
                    let mut raw =
                        Raw::new(direction, kind, head_side, v.span, message).with_actions(acts);
                    if !v.value.is_known() {
                        raw = raw.unjudged();
                    }
                    out.push(raw);
                }
            }
        }
    }
    // Conditions of the same statement (same actions, else same Sid).
    for (hs, hacts) in &head.allows {
        let paired = base
            .allows
            .iter()
            .find(|(bs, _)| action_text(bs) == action_text(hs))
            .or_else(|| {
                let sid = hs.sid.as_ref().map(|s| s.value.text())?;
                base.allows
                    .iter()
                    .find(|(bs, _)| bs.sid.as_ref().map(|s| s.value.text()) == Some(sid.clone()))
            });
        let Some((bs, _)) = paired else {
            continue;
        };
        let (before, after) = (condition_entries(bs), condition_entries(hs));
        let removed: Vec<&String> = before.difference(&after).collect();
        let added: Vec<&String> = after.difference(&before).collect();
        if !removed.is_empty() {
            let here = hs
                .condition
                .as_ref()
                .map(|c| c.span)
                .unwrap_or(hs.head_span());
            out.push(
                Raw::new(
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
                .with_actions(hacts),
            );
        }
        if !added.is_empty() {
            let here = hs
                .condition
                .as_ref()
                .map(|c| c.span)
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
                .with_actions(hacts),
            );
        }
    }
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
    for (s, _) in &grants.allows {
        who.extend(principals(s));
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
    let mut raw =
        Raw::new(direction, kind, head_side, grants.doc.span, message).with_actions(&actions);
    if !grants.unknown_actions.is_empty() || !grants.doc.unresolved.is_empty() {
        raw.message.push_str(" (and values that cannot be judged)");
        raw = raw.unjudged();
    }
    raw
}
