//! The rule's view of a principal of the principal model: its members, its permissions boundary,
//! and the action sets shared over a run.

use super::check_group;
use super::grants::{blanket_deny, broad_allow, grant};
use super::paths::{named, ActionSet, Path};
use crate::rules::prelude::*;

/// One document of a group judged together: the identity documents of one principal.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub doc: &'a PolicyDoc,
    /// For a policy whose text is not in the linted tree (an AWS managed policy): the span of its
    /// attachment and its name. Every grant it makes is shown there.
    pub attached: Option<(Span, &'a str)>,
    /// Members with the same group were already judged together on their own (one file's
    /// documents of one principal): a path found within one group was reported there.
    pub group: usize,
    /// Position in the member list (set by [`check_principal`]).
    pub index: usize,
}

/// A principal of the principal model ([`crate::principal`]), as this rule reads it.
#[derive(Debug, Clone)]
pub struct PrincipalInput<'a> {
    /// How messages name it: "role `aws_iam_role.ci`".
    pub name: String,
    /// Its identity documents: inline, customer managed, AWS managed, its groups'.
    pub members: Vec<Member<'a>>,
    /// Its permissions boundary: `None` without one, `Some(None)` when it could not be resolved,
    /// `Some(Some(doc))` when its document is known.
    #[allow(clippy::option_option)]
    pub boundary: Option<Option<&'a PolicyDoc>>,
    /// Only report paths no group of its members holds alone (`check`); `false` lists every path
    /// (`iamlint principals`).
    pub only_new: bool,
    /// The paths' actions each statement names, shared by the principals of a run (a policy
    /// attached to many principals is read once).
    pub sets: Option<&'a StatementSets>,
}

/// [`named`] per statement, remembered for a run over principals. Keys are the statements'
/// addresses: valid while the documents they belong to are neither moved nor dropped, which the
/// principal model guarantees for the run it holds this in.
#[derive(Debug, Default)]
pub struct StatementSets(std::sync::RwLock<std::collections::HashMap<usize, ActionSet>>);

impl StatementSets {
    pub(super) fn named(&self, stmt: &Statement) -> ActionSet {
        let key = std::ptr::from_ref(stmt) as usize;
        if let Some(set) = self.0.read().ok().and_then(|m| m.get(&key).copied()) {
            return set;
        }
        let set = named(stmt);
        if let Ok(mut m) = self.0.write() {
            m.insert(key, set);
        }
        set
    }
}

/// Judges a principal's identity documents together, within its permissions boundary. Each
/// finding comes with the member each of its locations is in (the primary first, then each
/// related label), so that spans of several files can be told apart.
pub fn check_principal(principal: &PrincipalInput<'_>, out: &mut Vec<(Finding, Vec<usize>)>) {
    let mut members = principal.members.clone();
    for (i, m) in members.iter_mut().enumerate() {
        m.index = i;
    }
    let (mut findings, mut places) = (Vec::new(), Vec::new());
    check_group(&members, Some(principal), &mut findings, &mut places);
    out.extend(findings.into_iter().zip(places));
}

/// Whether a document can take part in a path: it grants one of the paths' actions broadly, or
/// denies actions on everything. A principal's AWS managed policies that cannot (`ReadOnlyAccess`
/// grants no path action on all resources) are left out of its check, once per policy and run.
pub fn contributes(doc: &PolicyDoc) -> bool {
    doc.statements
        .iter()
        .any(|s| blanket_deny(s) || broad_allow(s).is_some_and(|a| named(a.stmt) != 0))
}

/// What a permissions boundary lets through of the paths' actions, and whether findings are
/// unsure: a boundary that could not be resolved takes nothing out. The boundary's Allow
/// statements are read as the principal's own are, by action and resource: an action passes
/// where a boundary statement grants it broadly itself (see [`boundary_grants`]).
pub(super) fn boundary_limit(boundary: Option<Option<&PolicyDoc>>) -> (ActionSet, bool) {
    match boundary {
        None => (!0, false),
        Some(None) => (!0, true),
        Some(Some(doc)) => {
            let allowed = doc
                .statements
                .iter()
                .filter_map(broad_allow)
                .fold(0, |set, a| set | named(a.stmt));
            (allowed, doc.statements.iter().any(|s| s.effect().is_none()))
        }
    }
}

/// Whether a known boundary lets `action` through on every resource of a type `path` needs: one
/// of its statements grants it as broadly as a path requires (a boundary allowing
/// `iam:PassRole` on `role/app-*` only closes the path, as the same grant in a policy would).
pub(super) fn boundary_grants(
    boundary: Option<Option<&PolicyDoc>>,
    action: &str,
    path: &Path,
) -> bool {
    let Some(Some(doc)) = boundary else {
        return true;
    };
    let member = Member {
        doc,
        attached: None,
        group: usize::MAX,
        index: 0,
    };
    doc.statements
        .iter()
        .filter_map(broad_allow)
        .any(|a| grant(a, action, path, &member).is_some())
}
