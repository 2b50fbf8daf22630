//! Our own HCL parser, for speed: it builds the same `hcl_edit` syntax tree, with the same spans,
//! as `hcl_edit::parser::parse_body`, about an order of magnitude faster (hcl-edit spends most of
//! its time merging errors of backtracking alternatives, even on valid input).
//!
//! It handles what Terraform files are written with: attributes, blocks, comments, literals,
//! strings with `${...}`, heredocs, collections, traversals and splats, function calls, `for`
//! expressions, operators and conditionals. On anything else (template directives `%{...}`,
//! `\r`, non-ASCII identifiers, limits of nesting) and on any syntax error it gives up, and
//! [`parse_body`] parses the text again with hcl-edit: errors and rare constructs are exactly
//! hcl-edit's. Giving up is always allowed; accepting must agree with hcl-edit, which the
//! differential tests check (`tests.rs`), with one exception: an object key written twice is
//! accepted, the last value winning, as Terraform does (hcl-edit rejects it).
//!
//! What differs from hcl-edit's tree: no decor. Whitespace and comments around nodes (`Decor`),
//! the raw `trailing` text of arrays, objects, calls and heredocs, and the raw text of numbers
//! (`Formatted::as_repr`) are left empty. Nothing in iamlint reads them: values are read from the
//! tree, raw text from the file by span, and comments by `comments.rs` from the text. Printing a
//! node (`Display`) would therefore lose its comments and layout; nothing does.
//!
//! Setting spans needs hcl-edit's `SetSpan`, public only in our fork (`crates/iamlint-hcl-edit`).

mod body;
mod cursor;
mod expr;
mod template;
#[cfg(test)]
mod tests;

use hcl_edit::structure::Body;

/// Parses a body (a `.tf` or `.tfvars` file), as `hcl_edit::parser::parse_body` would.
pub fn parse_body(text: &str) -> Result<Body, hcl_edit::parser::Error> {
    match parse_body_fast(text) {
        Some(body) => Ok(body),
        None => hcl_edit::parser::parse_body(text),
    }
}

/// The fast path alone: `None` where it gives up (unsupported construct or invalid input).
pub(crate) fn parse_body_fast(text: &str) -> Option<Body> {
    // `\r` would need CRLF handling in every place a line ends; Terraform files rarely have it.
    if text.as_bytes().contains(&b'\r') {
        return None;
    }
    body::parse_file(text).ok()
}
