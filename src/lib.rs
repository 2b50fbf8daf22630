//! iamlint: a least-privilege linter for AWS IAM policies.
//!
//! The data flows one way: [`discover`] finds files, [`frontend`] turns each into a
//! [`model::FileModel`], [`rules`] emit [`finding::Finding`]s, [`lint`] applies suppressions and
//! configuration, and [`output`] renders the [`lint::Report`].

pub mod baseline;
pub mod catalog;
pub mod commands;
pub mod config;
#[cfg(feature = "native")]
pub mod diff;
pub mod directive;
pub mod discover;
pub mod escape;
pub mod finding;
pub mod fix;
pub mod frontend;
pub mod json;
pub mod lint;
pub mod memo;
pub mod model;
pub mod output;
pub mod par;
pub mod principal;
pub mod recipes;
pub mod root;
pub mod rule_id;
pub mod rules;
#[cfg(feature = "native")]
pub mod server;
pub mod source;
pub mod suppress;
pub mod text;
pub mod tree;
#[cfg(feature = "native")]
pub mod usage;
pub mod vars;

pub use source::{FileId, Located, ParseError, SourceFile, Span};
