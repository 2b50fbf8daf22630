//! Rules: small, pure checks over the model and the catalog.
//!
//! Each rule lives in `src/rules/<category>/<rule_id>.rs`, is declared once with [`declare_rule!`]
//! (its doc comment is its documentation) and is listed once in `crate::rule_id::with_rules!`,
//! from which [`register_rules!`] below registers its metadata and check. The registry is the
//! single source for `iamlint rules`, `iamlint explain`, SARIF rule metadata and
//! `docs/rules.md`.

#[macro_use]
mod macros;
pub mod docs;

pub mod escalation;
pub mod least_privilege;
pub mod managed;
pub mod meta;
pub mod trust;
pub mod validity;

use std::fmt;

use crate::catalog::Catalog;
use crate::finding::{Finding, Severity};
use crate::model::{FileModel, PolicyDoc, Statement};
use crate::source::SourceMap;

/// Rule families; each is a folder under `src/rules/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Grants broader than the job needs.
    LeastPrivilege,
    /// Policies that are malformed or refer to things that do not exist.
    Validity,
    /// AWS managed policies.
    Managed,
    /// Paths to more privilege.
    Escalation,
    /// Who can assume or reach a resource.
    Trust,
    /// About iamlint's own reading of the input: unresolved values, suppressions.
    Meta,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::LeastPrivilege => "least-privilege",
            Category::Validity => "validity",
            Category::Managed => "managed",
            Category::Escalation => "escalation",
            Category::Trust => "trust",
            Category::Meta => "meta",
        }
    }

    /// Folder name under `src/rules/`.
    pub fn module(self) -> &'static str {
        match self {
            Category::LeastPrivilege => "least_privilege",
            Category::Validity => "validity",
            Category::Managed => "managed",
            Category::Escalation => "escalation",
            Category::Trust => "trust",
            Category::Meta => "meta",
        }
    }
}

/// Whether a rule can offer a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "no",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "always",
        }
    }
}

/// Everything known about a rule without running it.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub fix: FixAvailability,
    /// The doc comment, raw (one leading space per line, as rustdoc leaves it).
    pub raw_doc: &'static str,
    /// Source file of the rule, for the registry tests.
    pub file: &'static str,
}

impl RuleMeta {
    /// The documentation as Markdown.
    pub fn doc(&self) -> String {
        docs::unindent(self.raw_doc)
    }

    /// The doc's first line: one sentence.
    pub fn summary(&self) -> String {
        self.doc()
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Anchor in `docs/rules.md`.
    pub fn docs_url(&self) -> String {
        format!("{}#{}", docs::DOCS_BASE_URL, self.id)
    }
}

/// What a rule sees besides the model.
pub struct Ctx<'a> {
    pub catalog: &'static Catalog,
    /// The whole file's model, for rules that look across documents.
    pub file: &'a FileModel,
    /// The file's text (and the files it referenced), for rules that measure the source itself
    /// (`policy-too-large`).
    pub sources: &'a SourceMap,
}

impl Ctx<'_> {
    /// Path of the linted file; its extension tells the syntax a fix must be written in.
    pub fn path(&self) -> &std::path::Path {
        &self.sources.main().path
    }
}

/// A rule. Override the narrowest hook: most rules only need [`Rule::check_statement`].
pub trait Rule: Send + Sync {
    /// All documents of a file (for rules that reason across policies of one principal).
    fn check_file(&self, file: &FileModel, cx: &Ctx, out: &mut Vec<Finding>) {
        for doc in &file.docs {
            self.check_document(doc, cx, out);
        }
    }

    fn check_document(&self, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        for stmt in &doc.statements {
            self.check_statement(stmt, doc, cx, out);
        }
    }

    fn check_statement(
        &self,
        _stmt: &Statement,
        _doc: &PolicyDoc,
        _cx: &Ctx,
        _out: &mut Vec<Finding>,
    ) {
    }
}

crate::rule_id::with_rules!(register_rules);

pub use crate::rule_id::RuleId;

impl RuleId {
    pub fn id(self) -> &'static str {
        self.meta().id
    }

    /// Starts a finding of this rule at `span` with its default severity, as the rule type's own
    /// `finding` does: for the findings no rule's check makes (`unused-suppression`, made where
    /// the suppressions are applied), so that their maker needs the id, not the rule.
    pub fn finding(
        self,
        span: crate::source::Span,
        message: impl Into<String>,
    ) -> crate::finding::FindingBuilder {
        crate::finding::FindingBuilder::new(self, self.meta().severity, span, message.into())
    }

    /// Parses a rule id as a user writes it (config, comment, CLI).
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Closest rule ids to an unknown one, best first.
    pub fn suggest(id: &str) -> Option<&'static str> {
        RuleId::ALL
            .iter()
            .map(|r| (crate::text::edit_distance(id, r.id()), r.id()))
            .filter(|(d, _)| *d <= 3.max(id.len() / 3))
            .min()
            .map(|(_, id)| id)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What rule files import.
pub mod prelude {
    pub use super::{Category, Ctx, FixAvailability, Rule, RuleId, RuleMeta};
    pub use crate::catalog::{AccessLevels, ActionRef, Catalog};
    pub use crate::finding::{Applicability, Confidence, Edit, Finding, Fix, Severity};
    pub use crate::model::{
        Effect, FileModel, ListField, PolicyDoc, PolicyKind, Scalar, Statement, Syntax,
    };
    pub use crate::source::{Located, Span};
    pub use crate::text::plural;
}
