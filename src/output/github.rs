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
//! percent-encoded; in property values `:` and `,` are too ([`crate::escape::github_message`],
//! [`crate::escape::github_property`]). Input text can therefore never end the command line early
//! and start a command of its own. Log lines past the cap hold each value escaped as one line of
//! text ([`crate::escape::text`]) and go through [`crate::escape::line`], so nothing a value
//! controls starts or holds a command there either.

use std::io::{self, Write};

use super::{Resolver, Summary};
use crate::escape::{self, github_message, github_property};
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
    /// Related locations in other files: `(note, path, line)`.
    elsewhere: Vec<(String, String, u32)>,
}

impl Annotation {
    /// The lines of the message: the finding's, plus one per related location in another file
    /// (an annotation sits in one file, so a finding inside a module would otherwise not say
    /// which call brought it there). Each holds text from the input, unescaped.
    fn message_lines(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self.message.clone()).chain(
            self.elsewhere
                .iter()
                .map(|(note, path, line)| format!("{note}: {path}:{line}")),
        )
    }
}

/// Related locations of `f` in files other than its own.
fn elsewhere(r: &Resolver<'_>, f: &crate::finding::Finding) -> Vec<(String, String, u32)> {
    f.related
        .iter()
        .filter(|l| l.span.file != f.span.file)
        .map(|label| {
            let at = r.region(label.span).start;
            (
                label.note.to_string(),
                r.path(label.span.file).to_string(),
                at.line,
            )
        })
        .collect()
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
                elsewhere: Vec::new(),
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
            message: f.message.to_string(),
            elsewhere: elsewhere(&r, f),
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
    let mut line = format!("::{} file={}", a.command, github_property(&a.file));
    if let Some(region) = a.region {
        line.push_str(&format!(
            ",line={},col={},endLine={},endColumn={}",
            region.start.line, region.start.column, region.end.line, region.end.column
        ));
    }
    let message: Vec<String> = a.message_lines().collect();
    line.push_str(&format!(
        ",title={}::{}",
        github_property(&a.title),
        github_message(&message.join("\n"))
    ));
    writeln!(w, "{}", escape::command_line(&line))
}

/// A finding past the cap, as plain log lines: `error[rule] path:line:col: message`, then one
/// indented line per related location in another file. The log is not a workflow command, so
/// values are escaped as text (a line break in a value is `\n`), and each line goes through
/// [`escape::line`].
fn write_log_line(a: &Annotation, w: &mut dyn Write) -> io::Result<()> {
    let location = match a.region {
        Some(region) => format!("{}:{}:{}", a.file, region.start.line, region.start.column),
        None => a.file.clone(),
    };
    for (i, text) in a.message_lines().enumerate() {
        let line = if i == 0 {
            format!(
                "{}[{}] {}: {}",
                a.command,
                escape::text(&a.title),
                escape::text(&location),
                escape::text(&text)
            )
        } else {
            format!("  {}", escape::text(&text))
        };
        writeln!(w, "{}", escape::line(&line))?;
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
    let line = format!("::notice title=iamlint::{}", github_message(&text));
    writeln!(w, "{}", escape::command_line(&line))
}
