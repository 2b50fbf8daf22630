//! Changes per principal: each side's principal model ([`crate::principal`]) gives every role,
//! user and group with all its documents; a principal's identity documents are compared as one
//! union (and its trust policies as another), so that moving a statement between files or
//! policies, splitting or merging policies, and renaming resources or files change nothing, and
//! a managed-policy swap shows only what is new to the principal.
//!
//! Principals are paired by identity (scope and the first address `moved {}` blocks lead back
//! to), then, among those left, by content ([`crate::principal::effective::Effective::content_key`]
//! is too costly to compute for every principal of a big tree, so the canonical text of the two
//! unions is used, which is equal for a principal that only moved).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::finding::Finding;
use crate::model::{PolicyDoc, PolicyKind, Suppression, Syntax};
use crate::principal::{Principal, PrincipalKind};
use crate::rules::RuleId;
use crate::source::Span;

use super::delta::{self, Grants, Raw};
use super::side::{Locator, Side, SideFile};
use super::{level_of, Change, Direction, FailOn, Kind};

/// Where a statement of a union comes from.
#[derive(Clone, Copy)]
struct Place<'a> {
    /// The file its spans are in (for an AWS managed policy, the attaching file).
    file: Option<&'a SideFile>,
    /// For an AWS managed policy: its name and the attachment's span.
    managed: Option<(&'a str, Span)>,
    /// Which document of the union.
    part: usize,
}

/// A principal's documents of one kind, compared as one document. The document is built (its
/// statements cloned) only when the principal changed: an unchanged principal costs its
/// fingerprint.
struct Union<'a> {
    side: &'a Side,
    kind: PolicyKind,
    label: String,
    parts: Vec<crate::principal::diffview::Part<'a>>,
    built: std::sync::OnceLock<Built<'a>>,
}

/// The union as one document, each statement with where it comes from.
struct Built<'a> {
    doc: PolicyDoc,
    places: Vec<Place<'a>>,
    /// AWS managed policies among the parts, by name, with the attachment.
    managed: BTreeMap<&'a str, Place<'a>>,
}

impl<'a> Union<'a> {
    fn of(
        side: &'a Side,
        kind: PolicyKind,
        label: &str,
        parts: Vec<crate::principal::diffview::Part<'a>>,
    ) -> Union<'a> {
        Union {
            side,
            kind,
            label: label.to_string(),
            parts,
            built: std::sync::OnceLock::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.parts.iter().all(|p| p.doc.statements.is_empty())
    }

    fn fingerprint(&self) -> String {
        delta::fingerprint_of(
            self.parts.iter().flat_map(|p| p.doc.statements.iter()),
            self.parts.iter().flat_map(|p| p.doc.unresolved.iter()),
        )
    }

    fn built(&self) -> &Built<'a> {
        self.built.get_or_init(|| {
            let mut doc =
                PolicyDoc::new(self.kind, Syntax::Json, Span::default(), self.label.clone());
            let mut places = Vec::new();
            let mut managed = BTreeMap::new();
            for (pi, part) in self.parts.iter().enumerate() {
                let file = part
                    .facts
                    .and_then(|fi| self.side.principals.facts.get(fi))
                    .and_then(|f| self.side.files.get(f.report));
                let place = Place {
                    file,
                    managed: part.managed,
                    part: pi,
                };
                if let Some((name, _)) = part.managed {
                    managed.insert(name, place);
                }
                for stmt in &part.doc.statements {
                    let mut s = stmt.clone();
                    s.index = doc.statements.len();
                    doc.statements.push(s);
                    places.push(place);
                }
                doc.unresolved.extend(part.doc.unresolved.iter().cloned());
            }
            Built {
                doc,
                places,
                managed,
            }
        })
    }

    /// `path:line:col` of a change made in this union.
    fn locate(&self, at: &Locator<'_>, raw: &Raw) -> (String, u32, u32) {
        let built = self.built();
        let place = raw
            .stmt
            .and_then(|i| built.places.get(i))
            .or(built.places.first());
        let Some(place) = place else {
            return (String::new(), 0, 0);
        };
        let Some(file) = place.file else {
            return (String::new(), 0, 0);
        };
        if let Some((_, span)) = place.managed {
            return at.locate(file, span);
        }
        let span = if raw.stmt.is_some() {
            raw.span
        } else {
            built
                .doc
                .statements
                .first()
                .map_or(raw.span, |s| s.head_span())
        };
        at.locate(file, span)
    }
}

/// One principal of a side as the diff reads it.
pub struct View<'a> {
    side: &'a Side,
    p: &'a Principal,
    /// Scope and first address: stable across `moved {}` renames.
    id: String,
    identity: Union<'a>,
    trust: Union<'a>,
    /// Its permissions boundary, when resolved: what its identity documents grant is effective
    /// only within it.
    boundary: Option<&'a PolicyDoc>,
    /// Unresolved attachments and boundaries, as written (a new one cannot be judged).
    unresolved: Vec<(String, Option<(usize, Span)>)>,
}

impl<'a> View<'a> {
    /// What `union` grants; for its identity documents, within its permissions boundary.
    fn grants<'u>(&self, union: &'u Union<'a>) -> Grants<'u>
    where
        'a: 'u,
    {
        let grants = Grants::of(&union.built().doc)
            .owned_by(self.side.principals.own_accounts(&self.p.scope));
        match self.boundary {
            Some(boundary) if union.kind == PolicyKind::Identity => {
                grants.within(&Grants::of(boundary))
            }
            _ => grants,
        }
    }

    /// How changes name it: `role aws_iam_role.ci` (in `infra`).
    fn name(&self) -> String {
        let scope = crate::principal::shown_scope(&self.p.scope, &self.side.root);
        let scope = match self.side.rename.as_ref() {
            Some(name) => name.clone(),
            None => scope,
        };
        if scope == "." {
            format!("{} {}", self.p.kind.as_str(), self.p.address)
        } else {
            format!("{} {} ({scope})", self.p.kind.as_str(), self.p.address)
        }
    }

    /// The canonical text of what it is trusted by and granted, for pairing by content.
    fn content(&self) -> String {
        format!(
            "{}\u{3}{}",
            self.trust.fingerprint(),
            self.identity.fingerprint()
        )
    }
}

/// The principals of a side, except those of a folder other folders call as a module (their
/// instances are the callers').
pub fn views(side: &Side) -> Vec<View<'_>> {
    let model = &side.principals;
    model
        .principals
        .iter()
        .filter(|p| !side.called.contains(&p.scope))
        .map(|p| {
            let label = format!("{} `{}`", p.kind.as_str(), p.address);
            let id = match &side.rename {
                Some(name) => format!("{name}#{}", p.moved_from.last().unwrap_or(&p.address)),
                None => p.identity(&side.root),
            };
            View {
                side,
                p,
                id,
                identity: Union::of(side, PolicyKind::Identity, &label, model.identity_parts(p)),
                trust: Union::of(side, PolicyKind::Trust, &label, model.trust_parts(p)),
                boundary: model.boundary_part(p).map(|part| part.doc),
                unresolved: p
                    .unresolved
                    .iter()
                    .filter(|u| u.what != "principal")
                    .map(|u| (format!("{} `{}`", u.what, u.value), u.at))
                    .collect(),
            }
        })
        .collect()
}

/// Pairs head principals with base ones: by identity, then by content among those left.
/// Returns, per head view, the index of its base view.
fn pair(base: &[View<'_>], head: &[View<'_>]) -> Vec<Option<usize>> {
    let by_id: HashMap<&str, usize> = base
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.as_str(), i))
        .collect();
    let mut out: Vec<Option<usize>> = head
        .iter()
        .map(|h| by_id.get(h.id.as_str()).copied())
        .collect();
    let taken: HashSet<usize> = out.iter().flatten().copied().collect();
    // Content of the base principals left, when it names one principal only.
    let mut by_content: HashMap<String, Option<usize>> = HashMap::new();
    for (i, b) in base.iter().enumerate() {
        if taken.contains(&i) || b.p.kind == PrincipalKind::Unknown {
            continue;
        }
        by_content
            .entry(b.content())
            .and_modify(|e| *e = None)
            .or_insert(Some(i));
    }
    let mut head_content: HashMap<String, usize> = HashMap::new();
    for (hi, h) in head.iter().enumerate() {
        if out[hi].is_none() && h.p.kind != PrincipalKind::Unknown {
            *head_content.entry(h.content()).or_default() += 1;
        }
    }
    for (hi, h) in head.iter().enumerate() {
        if out[hi].is_some() || h.p.kind == PrincipalKind::Unknown {
            continue;
        }
        let content = h.content();
        if head_content.get(&content) == Some(&1) {
            if let Some(Some(bi)) = by_content.get(&content) {
                out[hi] = Some(*bi);
            }
        }
    }
    out
}

/// Every change of the principals of the two sides; returns who can assume each head principal
/// with a change (by its name in the changes).
pub fn compare(
    base: &Side,
    head: &Side,
    (base_at, head_at): (&Locator<'_>, &Locator<'_>),
    out: &mut Vec<Change>,
) -> BTreeMap<String, Vec<String>> {
    use rayon::prelude::*;
    let (bv, hv) = (views(base), views(head));
    let pairs = pair(&bv, &hv);
    let paired: HashSet<usize> = pairs.iter().flatten().copied().collect();
    let found: Vec<Vec<Change>> = hv
        .par_iter()
        .zip(pairs.par_iter())
        .map(|(h, b)| {
            let mut changes = Vec::new();
            match b.map(|i| &bv[i]) {
                Some(b) => one(b, h, (base_at, head_at), &mut changes),
                None => whole(h, true, head_at, &mut changes),
            }
            changes
        })
        .collect();
    out.extend(found.into_iter().flatten());
    for (i, b) in bv.iter().enumerate() {
        if !paired.contains(&i) {
            whole(b, false, base_at, out);
        }
    }
    escalations(base, head, &bv, &hv, &pairs, head_at, out);
    let changed: HashSet<&str> = out.iter().map(|c| c.policy.as_str()).collect();
    hv.iter()
        .filter(|v| v.p.kind == PrincipalKind::Role)
        .map(|v| (v.name(), v))
        .filter(|(name, _)| changed.contains(name.as_str()))
        .map(|(name, v)| {
            let own = v.side.principals.own_accounts(&v.p.scope);
            let mut who: Vec<String> = crate::principal::trust::of(&v.trust.built().doc, own)
                .iter()
                .map(crate::principal::trust::Trusted::line)
                .collect();
            who.sort();
            who.dedup();
            (name, who)
        })
        .collect()
}

fn change(view: &View<'_>, union: &Union<'_>, at: &Locator<'_>, raw: Raw) -> Change {
    let (path, line, column) = union.locate(at, &raw);
    Change {
        level: level_of(&raw),
        direction: raw.direction,
        kind: raw.kind,
        policy: view.name(),
        path,
        line,
        column,
        in_head: raw.head,
        message: raw.message,
        actions: raw.actions,
        actions_total: raw.actions_total,
        access_levels: raw.access_levels,
        judged: raw.judged,
        suppressed_by_change: false,
    }
}

/// A principal on one side only.
fn whole(view: &View<'_>, head_side: bool, at: &Locator<'_>, out: &mut Vec<Change>) {
    for (union, what) in [(&view.identity, "policies"), (&view.trust, "trust policy")] {
        if union.is_empty() {
            continue;
        }
        let grants = view.grants(union);
        let mut raw = delta::whole(&grants, head_side, what);
        if !grants.outside.is_empty() {
            raw.message.push_str(&format!(
                " (and {} that the permissions boundary does not allow: not effective)",
                crate::text::plural(grants.outside.len(), "action")
            ));
        }
        out.push(change(view, union, at, raw));
    }
    if head_side {
        for (what, place) in &view.unresolved {
            out.push(unresolved_change(view, what, *place, at));
        }
    }
}

fn unresolved_change(
    view: &View<'_>,
    what: &str,
    place: Option<(usize, Span)>,
    at: &Locator<'_>,
) -> Change {
    let (path, line, column) = place
        .and_then(|(fi, span)| {
            let facts = view.side.principals.facts.get(fi)?;
            let file = view.side.files.get(facts.report)?;
            Some(at.locate(file, span))
        })
        .unwrap_or((String::new(), 0, 0));
    Change {
        level: FailOn::Widening,
        direction: Direction::Widening,
        kind: Kind::ManagedPolicyAttached,
        policy: view.name(),
        path,
        line,
        column,
        in_head: true,
        message: format!(
            "attaches {what}, which cannot be judged (not resolved in the linted files)"
        ),
        actions: Vec::new(),
        actions_total: 0,
        access_levels: BTreeMap::new(),
        judged: false,
        suppressed_by_change: false,
    }
}

/// A principal on both sides.
fn one<'a>(
    b: &View<'a>,
    h: &View<'a>,
    (base_at, head_at): (&Locator<'_>, &Locator<'_>),
    out: &mut Vec<Change>,
) {
    // A boundary changed is a change of what the identity documents grant in effect; compared
    // only when the documents are unchanged (an AWS managed boundary is one document).
    let same_boundary = || match (b.boundary, h.boundary) {
        (None, None) => true,
        (Some(x), Some(y)) => std::ptr::eq(x, y) || delta::fingerprint(x) == delta::fingerprint(y),
        _ => false,
    };
    for (bu, hu) in [(&b.identity, &h.identity), (&b.trust, &h.trust)] {
        if bu.fingerprint() == hu.fingerprint()
            && (bu.kind != PolicyKind::Identity || same_boundary())
        {
            continue;
        }
        let mut raws = Vec::new();
        // Actions added are told apart by the document that brings them.
        let part_of = |head_side: bool, i: usize| {
            let union = if head_side { hu } else { bu };
            union.built().places.get(i).map_or(0, |p| p.part)
        };
        let (gb, gh) = (b.grants(bu), h.grants(hu));
        delta::compare_in(&gb, &gh, &part_of, &mut raws);
        for raw in raws {
            let (union, other, at) = if raw.head {
                (hu, bu, head_at)
            } else {
                (bu, hu, base_at)
            };
            let raw = managed_kind(raw, union, other, &h.name());
            out.push(change(h, union, at, raw));
        }
    }
    let before: HashSet<&str> = b.unresolved.iter().map(|(w, _)| w.as_str()).collect();
    for (what, place) in &h.unresolved {
        if !before.contains(what.as_str()) {
            out.push(unresolved_change(h, what, *place, head_at));
        }
    }
}

/// Actions added by an AWS managed policy the other side did not attach: `managed-policy-attached`
/// (detached for actions removed), with only what is new to the principal.
fn managed_kind(mut raw: Raw, union: &Union<'_>, other: &Union<'_>, who: &str) -> Raw {
    if !matches!(raw.kind, Kind::ActionsAdded | Kind::ActionsRemoved) || raw.not_effective {
        return raw;
    }
    let (built, other) = (union.built(), other.built());
    let Some((name, _)) = raw
        .stmt
        .and_then(|i| built.places.get(i))
        .and_then(|p| p.managed)
    else {
        return raw;
    };
    if other.managed.contains_key(name) {
        return raw;
    }
    let every = built
        .doc
        .statements
        .iter()
        .zip(&built.places)
        .any(|(s, p)| {
            p.managed.is_some_and(|(n, _)| n == name)
                && s.allows()
                && s.action
                    .as_ref()
                    .is_some_and(|a| !a.negated && a.has_star())
                && s.resource
                    .as_ref()
                    .is_some_and(|r| !r.negated && r.has_star())
        });
    let what = if every {
        format!(
            "every action on `*` ({} new to it)",
            crate::text::plural(raw.actions_total, "action")
        )
    } else {
        format!(
            "{} new to it: {}",
            crate::text::plural(raw.actions_total, "action"),
            crate::text::list_some(&raw.actions, 4)
        )
    };
    if raw.head {
        raw.kind = Kind::ManagedPolicyAttached;
        raw.message = format!("attaches `{name}` to {who}: {what}");
    } else {
        raw.kind = Kind::ManagedPolicyDetached;
        raw.message = format!(
            "no longer attaches `{name}`: {} no longer granted: {}",
            crate::text::plural(raw.actions_total, "action"),
            crate::text::list_some(&raw.actions, 4)
        );
    }
    raw
}

/// Whether a suppression comment covers a finding: the whole file, or a label of the finding in
/// the comment's scope (as `check` decides).
fn covers(s: &Suppression, finding: &Finding) -> bool {
    let spans = || std::iter::once(finding.span).chain(finding.related.iter().map(|l| l.span));
    match s.scope {
        None => s.span.file == finding.span.file,
        Some(scope) => spans().any(|span| {
            span.file == scope.file
                && span.start >= scope.start
                && span.start < scope.end.max(scope.start + 1)
        }),
    }
}

fn names_rule(s: &Suppression, rule: RuleId) -> bool {
    s.reason.is_some()
        && s.rules
            .iter()
            .any(|r| RuleId::parse(&r.value) == Some(rule))
}

/// Where a span lies within another (or holds it): a label in a document, an attachment's ARN
/// in the block a label points at.
fn overlaps(a: Span, b: Span) -> bool {
    a.file == b.file && a.start < b.end.max(b.start + 1) && b.start < a.end.max(a.start + 1)
}

/// What a suppression comment covers, by identity rather than by its text: the documents and
/// attachments in its scope (those holding a label of `finding`, when given), each named by its
/// address (else its logical path) within the side's folder for Terraform (a module's files
/// share resources) or its file otherwise; a file-wide comment covers its file.
fn covered(
    side: &Side,
    file: &SideFile,
    s: &Suppression,
    finding: Option<&Finding>,
) -> HashSet<String> {
    let place = side.rename.clone().unwrap_or_else(|| {
        if file.rel.ends_with(".tf") {
            file.rel.rsplit_once('/').map_or("", |(d, _)| d).to_string()
        } else {
            file.rel.clone()
        }
    });
    let Some(scope) = s.scope else {
        return HashSet::from([format!(
            "{}#file",
            side.rename.as_ref().unwrap_or(&file.rel)
        )]);
    };
    let facts = file.facts.and_then(|fi| side.principals.facts.get(fi));
    let docs = file
        .model
        .docs
        .iter()
        .chain(facts.into_iter().flat_map(|f| f.docs.iter()))
        .map(|d| (d.span, d.origin.address.as_deref().unwrap_or(&d.path)));
    let attachments = facts
        .into_iter()
        .flat_map(|f| f.attachments.iter())
        .map(|a| {
            (
                a.policy_arn.span,
                a.origin.address.as_deref().unwrap_or("attachment"),
            )
        });
    let labels: Vec<Span> = match finding {
        Some(f) => std::iter::once(f.span)
            .chain(f.related.iter().map(|l| l.span))
            .filter(|l| overlaps(*l, scope))
            .collect(),
        None => vec![scope],
    };
    docs.chain(attachments)
        .filter(|(span, _)| overlaps(*span, scope) && labels.iter().any(|l| overlaps(*l, *span)))
        .map(|(_, id)| format!("{place}#{id}"))
        .collect()
}

/// The suppression comments of a side's file (a file with principals keeps them in its facts).
fn comments<'s>(side: &'s Side, file: &'s SideFile) -> &'s [Suppression] {
    match file.facts.and_then(|fi| side.principals.facts.get(fi)) {
        Some(facts) => &facts.suppressions,
        None => &file.model.suppressions,
    }
}

/// How a head-side suppression of a new finding stands: `None` when nothing suppresses it,
/// `Some(false)` when what suppresses it was there on the base side (the base's comment, the
/// base's config), `Some(true)` when this change added it: the finding is shown as "suppressed
/// by this change" and still counted. A comment is the base's when the base had a comment of
/// the rule (with a reason) covering the same document or attachment, by identity
/// ([`covered`]: address within its folder or file), as the head's comment covers the finding;
/// so copying an existing comment onto a new grant, or moving it there, is a new suppression,
/// while a grant added under a comment the base had is not.
pub fn suppression(
    head: &Side,
    base: &Side,
    file: &SideFile,
    sups: &[Suppression],
    finding: &Finding,
    by_config: bool,
) -> Option<bool> {
    let rule = finding.rule;
    let covering: Vec<&Suppression> = sups
        .iter()
        .filter(|s| names_rule(s, rule) && covers(s, finding))
        .collect();
    if !covering.is_empty() {
        let wanted: HashSet<String> = covering
            .iter()
            .flat_map(|s| covered(head, file, s, Some(finding)))
            .collect();
        let had = base.files.iter().any(|bf| {
            comments(base, bf)
                .iter()
                .filter(|s| names_rule(s, rule))
                .any(|s| !covered(base, bf, s, None).is_disjoint(&wanted))
        });
        return Some(!had);
    }
    let path = &file.sources.get(finding.span.file).path;
    let config = |side: &Side, path: &std::path::Path| {
        let ignores = side.paths.for_file(path);
        ignores.rules.contains(&rule) || ignores.entries.iter().any(|e| e.rule == rule)
    };
    if by_config || config(head, path) {
        let rel = crate::diff::side::relative(&head.root, path);
        return Some(!config(base, &base.root.join(rel)));
    }
    None
}

/// `privilege-escalation` on each principal (every path, whatever documents it spans): paths
/// of the head that its base principal did not have.
fn escalations(
    base: &Side,
    head: &Side,
    bv: &[View<'_>],
    hv: &[View<'_>],
    pairs: &[Option<usize>],
    head_at: &Locator<'_>,
    out: &mut Vec<Change>,
) {
    use crate::rules::escalation::privilege_escalation::check_principal;
    let paths = |v: &View<'_>| -> Vec<(Finding, Option<usize>)> {
        let model = &v.side.principals;
        let (input, facts_of) = model.escalation_input(v.p, false);
        let mut found = Vec::new();
        check_principal(&input, &mut found);
        found
            .into_iter()
            .map(|(f, places)| {
                let facts = places
                    .first()
                    .and_then(|&m| facts_of.get(m))
                    .map(|&(f, _)| f);
                (f, facts)
            })
            .collect()
    };
    for (hi, h) in hv.iter().enumerate() {
        let found = paths(h);
        if found.is_empty() {
            continue;
        }
        // The paths the base principal reached, by name: a path it reached already (through
        // whatever grant) is not new.
        let before: HashSet<&str> = match pairs[hi] {
            Some(bi) => paths(&bv[bi])
                .iter()
                .flat_map(|(f, _)| f.escalation.iter().map(|p| p.name))
                .collect(),
            None => HashSet::new(),
        };
        for (finding, facts) in found {
            if finding.escalation.iter().all(|p| before.contains(p.name)) {
                continue;
            }
            let Some(facts) = facts.and_then(|fi| head.principals.facts.get(fi)) else {
                continue;
            };
            let Some(file) = head.files.get(facts.report) else {
                continue;
            };
            let suppressed = suppression(head, base, file, &facts.suppressions, &finding, false);
            if suppressed == Some(false) {
                continue;
            }
            out.push(escalation_change(
                h.name(),
                file,
                &finding,
                suppressed == Some(true),
                head_at,
            ));
        }
    }
}

/// An `escalation-added` change from a head-side finding: its path and actions.
pub fn escalation_change(
    policy: String,
    file: &SideFile,
    finding: &Finding,
    suppressed_by_change: bool,
    head_at: &Locator<'_>,
) -> Change {
    let (path, line, column) = head_at.locate(file, finding.span);
    let actions = escalation_actions(finding);
    let mut message = finding.message.to_string();
    if suppressed_by_change {
        message
            .push_str(" (suppressed by this change: counted, as the base had no such suppression)");
    }
    Change {
        direction: Direction::Widening,
        kind: Kind::EscalationAdded,
        policy,
        path,
        line,
        column,
        in_head: true,
        actions_total: actions.len(),
        actions,
        message,
        access_levels: BTreeMap::new(),
        judged: finding.confidence == crate::finding::Confidence::High,
        level: FailOn::Escalation,
        suppressed_by_change,
    }
}

/// The actions of the paths a `privilege-escalation` finding reports, from the finding's data
/// ([`Finding::escalation`]), never from its message's wording.
fn escalation_actions(finding: &Finding) -> Vec<String> {
    let mut out: Vec<String> = finding
        .escalation
        .iter()
        .flat_map(|p| p.actions.iter().cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{EscalationPath, FindingBuilder, Severity};

    /// An `escalation-added` change takes its actions from the finding's data: a message that
    /// quotes other actions (or is reworded to quote none) changes nothing.
    #[test]
    fn escalation_actions_are_the_findings_data_not_its_message() {
        let actions: &'static [String] = Vec::leak(vec![
            "lambda:CreateFunction".to_string(),
            "iam:PassRole".to_string(),
            "lambda:InvokeFunction".to_string(),
        ]);
        let finding = |message: &str| {
            FindingBuilder::new(
                RuleId::PrivilegeEscalation,
                Severity::Error,
                Span::default(),
                message.to_string(),
            )
            .escalation(vec![
                EscalationPath {
                    name: "PassExistingRoleToNewLambdaThenInvoke",
                    actions,
                },
                EscalationPath {
                    name: "Another",
                    actions: &actions[1..2],
                },
            ])
            .build()
        };
        let want = [
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ];
        for message in [
            "`s3:GetObject` on all resources, together with `sqs:SendMessage`",
            "a reworded message that quotes no action",
        ] {
            assert_eq!(escalation_actions(&finding(message)), want, "{message}");
        }
    }
}
