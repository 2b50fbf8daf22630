//! GitHub Actions workflow commands, one per finding, so findings show as annotations:
//!
//! ```text
//! ::error file=policy.json,line=4,col=17,endLine=4,endColumn=20,title=wildcard-action::`*` allows ...
//! ```
//!
//! Escaping follows GitHub's toolkit (`@actions/core`): in the message `%`, `\r` and `\n` are
//! percent-encoded; in property values `:` and `,` are too. Input text can therefore never end the
//! command line early and start a command of its own.

use std::io::{self, Write};

use super::Resolver;
use crate::finding::Severity;
use crate::lint::Report;

pub(super) fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    for file in &report.files {
        let r = Resolver::new(&file.sources);
        for error in &file.errors {
            match error.span {
                Some(span) => {
                    let region = r.region(span);
                    writeln!(
                        w,
                        "::error file={},line={},col={},endLine={},endColumn={},title=parse error::{}",
                        property(r.path(span.file)),
                        region.start.line,
                        region.start.column,
                        region.end.line,
                        region.end.column,
                        message(&error.message),
                    )?;
                }
                None => writeln!(
                    w,
                    "::error file={},title=parse error::{}",
                    property(r.path(error.file)),
                    message(&error.message)
                )?,
            }
        }
        for f in file.active() {
            let region = r.region(f.span);
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            writeln!(
                w,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                property(r.path(f.span.file)),
                region.start.line,
                region.start.column,
                region.end.line,
                region.end.column,
                property(f.rule.id()),
                message(&f.message),
            )?;
        }
    }
    Ok(())
}

/// Escapes a command's message (`escapeData` in the toolkit).
pub(crate) fn message(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value (`escapeProperty` in the toolkit).
pub(crate) fn property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_toolkit() {
        assert_eq!(message("50% a\r\nb:c,d"), "50%25 a%0D%0Ab:c,d");
        assert_eq!(property("50% a\r\nb:c,d"), "50%25 a%0D%0Ab%3Ac%2Cd");
    }
}
