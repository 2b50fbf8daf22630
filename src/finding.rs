//! Findings: what a rule reports, where, and what to do about it.

use std::fmt;
use std::sync::Arc;

use crate::rule_id::RuleId;
use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the rule is. `Low` when the verdict rests on a value that could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Low,
}

/// Whether a fix may be applied without a human looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Same permissions after the edit (dropping a duplicate or redundant action).
    Safe,
    /// Grants less: right for the documented job, may break an undocumented use.
    Unsafe,
    /// Needs a human value (an ARN with `<account-id>`): shown, never applied.
    DisplayOnly,
}

/// A text edit in one file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    /// Edits to apply (non-overlapping). Empty for a suggestion that is only shown.
    pub edits: Vec<Edit>,
    /// A ready-to-paste snippet in the file's own syntax (a replacement policy), if any.
    pub snippet: Option<String>,
}

/// A secondary location with a short note ("on these resources", "attached here").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    /// Shared ([`shared`]): most notes are one of a few texts.
    pub note: Arc<str>,
}

/// A privilege-escalation path a finding reports, as data: its name in `rules/privesc.toml` and
/// its actions, so that readers (`diff`) need not take them back out of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EscalationPath {
    pub name: &'static str,
    pub actions: &'static [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The offending element: an action string, a `Resource` value, a `policy_arn` line.
    pub span: Span,
    /// What is wrong, quoting the value at fault. Shared with the findings of the same text
    /// ([`shared`]): 400,000 statements drawing the same finding hold one message.
    pub message: Arc<str>,
    /// What to do, imperative; shared as the message.
    pub help: Option<Arc<str>>,
    pub related: Vec<Label>,
    /// Boxed: most findings have none, and a run may hold hundreds of thousands of findings.
    pub fix: Option<Box<Fix>>,
    /// Logical path of the element (`aws_iam_policy.ci.policy/Statement[0]/Action[2]`).
    pub logical_path: Option<String>,
    /// Digest of the statement the finding is about (its text without whitespace), set by the
    /// engine ([`crate::lint::run_rules`]): baseline fingerprints tell statements apart by content.
    pub statement: Option<u64>,
    /// Set when a suppression or baseline matched; suppressed findings are kept until output.
    pub suppressed: bool,
    /// The escalation paths a `privilege-escalation` finding reports; empty for other rules
    /// (an empty boxed slice allocates nothing).
    pub escalation: Box<[EscalationPath]>,
}

impl Finding {
    pub fn is_suppressed(&self) -> bool {
        self.suppressed
    }
}

/// Builds a finding; started by a rule's `finding(span, message)` so id and severity are filled in.
#[must_use]
pub struct FindingBuilder {
    finding: Finding,
    /// The texts until [`FindingBuilder::build`] clips and shares them.
    message: String,
    help: Option<String>,
    notes: Vec<String>,
}

/// How many distinct texts a thread keeps to share; past it, new texts are not shared (a run of
/// distinct messages does not grow the table without bound).
const MAX_SHARED_TEXTS: usize = 1 << 16;

thread_local! {
    static TEXTS: std::cell::RefCell<std::collections::HashSet<Arc<str>>> =
        std::cell::RefCell::new(std::collections::HashSet::new());
}

/// `text` as a shared string: the same allocation as an earlier equal text of this thread.
pub fn shared(text: &str) -> Arc<str> {
    TEXTS.with(|texts| {
        let mut texts = texts.borrow_mut();
        if let Some(found) = texts.get(text) {
            return Arc::clone(found);
        }
        let new: Arc<str> = Arc::from(text);
        if texts.len() < MAX_SHARED_TEXTS {
            texts.insert(Arc::clone(&new));
        }
        new
    })
}

impl FindingBuilder {
    pub fn new(rule: RuleId, severity: Severity, span: Span, message: String) -> Self {
        FindingBuilder {
            message,
            help: None,
            notes: Vec::new(),
            finding: Finding {
                rule,
                severity,
                confidence: Confidence::High,
                span,
                message: Arc::from(""),
                help: None,
                related: Vec::new(),
                fix: None,
                logical_path: None,
                statement: None,
                suppressed: false,
                escalation: Box::default(),
            },
        }
    }

    pub fn related(mut self, span: Span, note: impl Into<String>) -> Self {
        if span != self.finding.span {
            self.finding.related.push(Label {
                span,
                note: Arc::from(""),
            });
            self.notes.push(note.into());
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.finding.severity = severity;
        self
    }

    pub fn confidence(mut self, confidence: Confidence) -> Self {
        self.finding.confidence = confidence;
        self
    }

    /// Lowers confidence when `unsure` (the verdict rests on an unknown value).
    pub fn unsure_if(self, unsure: bool) -> Self {
        if unsure {
            self.confidence(Confidence::Low)
        } else {
            self
        }
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.finding.fix = Some(Box::new(fix));
        self
    }

    /// The escalation paths the finding reports, as data ([`EscalationPath`]).
    pub fn escalation(mut self, paths: Vec<EscalationPath>) -> Self {
        self.finding.escalation = paths.into_boxed_slice();
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.finding.logical_path = Some(path.into());
        self
    }

    /// The finding, with values it echoes from the input clipped ([`crate::text::clip_echoed`]):
    /// every output format gets the same bounded text. Its text and labels are trimmed to their
    /// length: a run may hold hundreds of thousands of findings until output, and `format!` and
    /// `Vec` growth leave up to half of each unused (a label list has room for 4 at least).
    pub fn build(mut self) -> Finding {
        fn clip(s: &str) -> Arc<str> {
            shared(&crate::text::clip_echoed(s))
        }
        self.finding.message = clip(&self.message);
        self.finding.help = self.help.as_deref().map(clip);
        for (label, note) in self.finding.related.iter_mut().zip(&self.notes) {
            label.note = clip(note);
        }
        self.finding.related.shrink_to_fit();
        if let Some(path) = self.finding.logical_path.as_mut() {
            path.shrink_to_fit();
        }
        if let Some(fix) = self.finding.fix.as_mut() {
            fix.title.shrink_to_fit();
            fix.edits.shrink_to_fit();
            if let Some(snippet) = fix.snippet.as_mut() {
                snippet.shrink_to_fit();
            }
        }
        self.finding
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    /// Findings of the same text hold one allocation (400,000 statements drawing the same
    /// finding held 400,000 copies of its message, help and notes).
    #[test]
    fn equal_texts_are_shared() {
        let build = |at: usize| {
            FindingBuilder::new(
                RuleId::ResourceStar,
                Severity::Warning,
                Span::new(FileId(0), at, at + 3),
                format!("`{}` grants everything", "*"),
            )
            .help(String::from("scope the resources"))
            .related(Span::new(FileId(0), at + 10, at + 12), "can be scoped")
            .build()
        };
        let (a, b) = (build(0), build(100));
        assert!(Arc::ptr_eq(&a.message, &b.message));
        assert!(Arc::ptr_eq(
            a.help.as_ref().expect("help"),
            b.help.as_ref().expect("help")
        ));
        assert!(Arc::ptr_eq(&a.related[0].note, &b.related[0].note));
        assert_eq!(&*a.message, "`*` grants everything");
        assert_eq!(&*a.related[0].note, "can be scoped");
    }
}
