//! iamlint: a least-privilege linter for AWS IAM policies.

pub mod catalog;
pub mod model;
pub mod source;

pub use source::{FileId, Located, SourceFile, Span};

/// Malformed input: where and what. Reported as `path:line:col: message`, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// `None` when the problem is the file as a whole (unreadable, not UTF-8).
    pub span: Option<Span>,
    pub message: String,
}
