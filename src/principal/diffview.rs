//! What `iamlint diff` reads of the principal model: which documents belong to principals (they
//! are compared per principal, netted across documents) and each principal's documents in order.

use crate::model::{PolicyDoc, PolicyKind};

use super::{is_managed_doc, DocRef, Model, PolicySource, Principal};

/// Whether [`super::Facts::take`] keeps a document for the principal model: a trust policy, an
/// identity policy attached to a principal, or a customer managed policy's own document.
pub fn belongs_to_principals(d: &PolicyDoc) -> bool {
    match d.kind {
        PolicyKind::Trust => true,
        PolicyKind::Identity => d.origin.attached_to.is_some() || is_managed_doc(&d.origin),
        _ => false,
    }
}

/// One document of a principal, with where it is read from.
pub struct Part<'a> {
    pub doc: &'a PolicyDoc,
    pub source: Option<PolicySource>,
    /// The facts (file) whose spans the document's statements are in; for an AWS managed policy,
    /// the attaching file.
    pub facts: Option<usize>,
    /// For an AWS managed policy: its name and the attachment's span (in `facts`).
    pub managed: Option<(&'a str, crate::source::Span)>,
}

impl Model {
    /// The facts (file) a document reference's spans belong to.
    fn facts_of(&self, r: DocRef) -> Option<usize> {
        match r {
            DocRef::Tree { facts, .. } => Some(facts),
            DocRef::Managed(_) => None,
        }
    }

    fn part(
        &self,
        r: DocRef,
        source: Option<PolicySource>,
        at: Option<(usize, crate::source::Span)>,
    ) -> Option<Part<'_>> {
        let doc = self.doc(r)?;
        let managed = match r {
            DocRef::Managed(p) => at.map(|(_, span)| (p.name.as_str(), span)),
            DocRef::Tree { .. } => None,
        };
        Some(Part {
            doc,
            source,
            facts: self.facts_of(r).or(at.map(|(f, _)| f)),
            managed,
        })
    }

    /// The principal's identity documents (inline, customer managed, AWS managed, its groups').
    pub fn identity_parts(&self, p: &Principal) -> Vec<Part<'_>> {
        p.policies
            .iter()
            .filter_map(|l| self.part(l.doc, Some(l.source), l.attached_at))
            .collect()
    }

    /// The principal's trust policies.
    pub fn trust_parts(&self, p: &Principal) -> Vec<Part<'_>> {
        p.trust
            .iter()
            .filter_map(|r| self.part(*r, None, None))
            .collect()
    }

    /// The principal's permissions boundary, when resolved.
    pub fn boundary_part(&self, p: &Principal) -> Option<Part<'_>> {
        let l = p.boundary.as_ref()?;
        self.part(l.doc, Some(l.source), l.attached_at)
    }

    /// Every document the principals of the model read (facts index, document index).
    pub fn linked_docs(&self) -> std::collections::HashSet<(usize, usize)> {
        let mut out = std::collections::HashSet::new();
        for p in &self.principals {
            let refs = p
                .policies
                .iter()
                .map(|l| l.doc)
                .chain(p.trust.iter().copied())
                .chain(p.boundary.iter().map(|l| l.doc));
            for r in refs {
                if let DocRef::Tree { facts, doc } = r {
                    out.insert((facts, doc));
                }
            }
        }
        out
    }
}
