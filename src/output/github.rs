//! GitHub Actions workflow commands, one per finding, so findings show as annotations:
//!
//! ```text
//! ::error file=policy.json,line=4,col=17,endLine=4,endColumn=20,title=wildcard-action::`*` allows ...
//! ::notice title=iamlint::Found 1 finding: 1 error, 0 warnings, 0 infos in 1 file (1 file checked)
//! ```
//!
//! GitHub shows at most 10 error and 10 warning annotations per step (and drops the rest), so
//! past that findings are written as plain log lines, and a closing notice gives the totals.
//!
//! Escaping follows GitHub's toolkit (`@actions/core`): in the message `%`, `\r` and `\n` are
//! percent-encoded; in property values `:` and `,` are too. Input text can therefore never end the
//! command line early and start a command of its own.

use std::io::{self, Write};

use super::{Resolver, Summary};
use crate::finding::Severity;
use crate::lint::Report;
use crate::text::plural;

/// GitHub shows at most this many annotations of each type (error, warning, notice) per step.
pub(crate) const ANNOTATIONS_PER_TYPE: usize = 10;

/// One annotation before it is written: a workflow command, or a plain log line past the cap.
struct Annotation {
    command: &'static str,
    file: String,
    /// `line=..,col=..,endLine=..,endColumn=..` when the location is known.
    region: Option<super::Region>,
    title: String,
    message: String,
}

/// The message, plus one line per related location in another file: an annotation sits in one
/// file, so a finding inside a module would otherwise not say which call brought it there.
fn with_elsewhere(r: &Resolver<'_>, f: &crate::finding::Finding) -> String {
    let mut message = f.message.to_string();
    for label in f.related.iter().filter(|l| l.span.file != f.span.file) {
        let at = r.region(label.span).start;
        message.push_str(&format!(
            "\n{}: {}:{}",
            label.note,
            r.path(label.span.file),
            at.line
        ));
    }
    message
}

/// Writes annotations for the first [`ANNOTATIONS_PER_TYPE`] errors, warnings and notices (one
/// notice slot is kept for the summary), in path order; the rest go to the log as plain lines, and
/// a closing notice gives the counts.
pub(super) fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut shown = [0usize; 3];
    let mut omitted = 0usize;
    for file in &report.files {
        let r = Resolver::new(&file.sources);
        let errors = file.errors.iter().map(|error| {
            let span_file = error.span.map_or(error.file, |s| s.file);
            Annotation {
                command: "error",
                file: r.path(span_file).to_string(),
                region: error.span.map(|s| r.region(s)),
                title: "parse error".into(),
                message: error.message.clone(),
            }
        });
        let findings = file.active().map(|f| Annotation {
            command: match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            },
            file: r.path(f.span.file).to_string(),
            region: Some(r.region(f.span)),
            title: f.rule.id().to_string(),
            message: with_elsewhere(&r, f),
        });
        for a in errors.collect::<Vec<_>>().into_iter().chain(findings) {
            let (slot, cap) = match a.command {
                "error" => (0, ANNOTATIONS_PER_TYPE),
                "warning" => (1, ANNOTATIONS_PER_TYPE),
                _ => (2, ANNOTATIONS_PER_TYPE - 1),
            };
            if shown[slot] < cap {
                shown[slot] += 1;
                write_command(&a, w)?;
            } else {
                omitted += 1;
                write_log_line(&a, w)?;
            }
        }
    }
    write_summary(&Summary::new(report), omitted, w)
}

fn write_command(a: &Annotation, w: &mut dyn Write) -> io::Result<()> {
    write!(w, "::{} file={}", a.command, property(&a.file))?;
    if let Some(region) = a.region {
        write!(
            w,
            ",line={},col={},endLine={},endColumn={}",
            region.start.line, region.start.column, region.end.line, region.end.column
        )?;
    }
    writeln!(w, ",title={}::{}", property(&a.title), message(&a.message))
}

/// A finding past the cap, as plain log lines: the log is not a workflow command, so the text is
/// not escaped like one (no `%0A`): each line of the message is a log line of its own.
fn write_log_line(a: &Annotation, w: &mut dyn Write) -> io::Result<()> {
    let location = match a.region {
        Some(region) => format!("{}:{}:{}", a.file, region.start.line, region.start.column),
        None => a.file.clone(),
    };
    log_text(
        &format!("{}[{}] {location}: {}", a.command, a.title, a.message),
        w,
    )
}

/// Writes text to the log, one line per line, continuation lines indented. A line that the runner
/// would read as a workflow command (starting with `::` after leading spaces) gets a `> ` before
/// it, so it is shown, never run.
fn log_text(text: &str, w: &mut dyn Write) -> io::Result<()> {
    for (i, line) in text
        .split(['\n', '\r'])
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let indent = if i == 0 { "" } else { "  " };
        let guard = if line.trim_start().starts_with("::") {
            "> "
        } else {
            ""
        };
        writeln!(w, "{indent}{guard}{line}")?;
    }
    Ok(())
}

fn write_summary(s: &Summary, omitted: usize, w: &mut dyn Write) -> io::Result<()> {
    let mut text = if s.findings() == 0 && s.parse_errors == 0 {
        format!("No findings ({} checked)", plural(s.files_checked, "file"))
    } else {
        format!(
            "Found {}: {}, {}, {} in {} ({} checked)",
            plural(s.findings(), "finding"),
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info"),
            plural(s.files_with_findings, "file"),
            plural(s.files_checked, "file"),
        )
    };
    if s.parse_errors > 0 {
        text.push_str(&format!(
            "; {} could not be read or parsed",
            plural(s.files_with_errors, "file")
        ));
    }
    if s.suppressed > 0 {
        text.push_str(&format!("; {} suppressed", plural(s.suppressed, "finding")));
    }
    if omitted > 0 {
        text.push_str(&format!(
            "; {omitted} not annotated, as GitHub shows at most {ANNOTATIONS_PER_TYPE} per type: \
             see this step's log, or upload `--format sarif` to code scanning"
        ));
    }
    writeln!(w, "::notice title=iamlint::{}", message(&text))
}

/// Escapes a command's message (`escapeData` in the toolkit: `%`, `\r`, `\n`), and shows every
/// other control character as text (`\x1b`, `\x07`), so no escape sequence reaches the log.
pub(crate) fn message(s: &str) -> String {
    escape(s, false)
}

/// Escapes a property value (`escapeProperty` in the toolkit: also `:` and `,`), controls shown
/// as text as in [`message`].
pub(crate) fn property(s: &str) -> String {
    escape(s, true)
}

/// The one escaping function of this output: workflow-command rules, plus all C0 controls, DEL
/// and C1 controls made visible.
fn escape(s: &str, in_property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if in_property => out.push_str("%3A"),
            ',' if in_property => out.push_str("%2C"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                out.push_str(&crate::text::escape_control(c.encode_utf8(&mut buf)));
            }
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

    #[test]
    fn controls_are_text() {
        assert_eq!(message("a\x1b[31m\x07\tb"), "a\\x1b[31m\\x07\\tb");
        assert_eq!(property("x\x1by:z"), "x\\x1by%3Az");
    }
}
