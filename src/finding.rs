//! Findings: what a rule reports, where, and what to do about it.

use std::fmt;

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
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The offending element: an action string, a `Resource` value, a `policy_arn` line.
    pub span: Span,
    /// What is wrong, quoting the value at fault.
    pub message: String,
    /// What to do, imperative.
    pub help: Option<String>,
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
}

impl FindingBuilder {
    pub fn new(rule: RuleId, severity: Severity, span: Span, message: String) -> Self {
        FindingBuilder {
            finding: Finding {
                rule,
                severity,
                confidence: Confidence::High,
                span,
                message,
                help: None,
                related: Vec::new(),
                fix: None,
                logical_path: None,
                statement: None,
                suppressed: false,
            },
        }
    }

    pub fn related(mut self, span: Span, note: impl Into<String>) -> Self {
        if span != self.finding.span {
            self.finding.related.push(Label {
                span,
                note: note.into(),
            });
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.finding.help = Some(help.into());
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

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.finding.logical_path = Some(path.into());
        self
    }

    /// The finding, with values it echoes from the input clipped ([`crate::text::clip_echoed`]):
    /// every output format gets the same bounded text. Its text and labels are trimmed to their
    /// length: a run may hold hundreds of thousands of findings until output, and `format!` and
    /// `Vec` growth leave up to half of each unused (a label list has room for 4 at least).
    pub fn build(mut self) -> Finding {
        fn clip(s: &mut String) {
            if let std::borrow::Cow::Owned(short) = crate::text::clip_echoed(s) {
                *s = short;
            }
            s.shrink_to_fit();
        }
        clip(&mut self.finding.message);
        if let Some(help) = self.finding.help.as_mut() {
            clip(help);
        }
        for label in &mut self.finding.related {
            clip(&mut label.note);
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
