//! Human output, in the style of ruff and clippy: a header line, the source line with the span
//! underlined, related labels with their own excerpts, help, fix and a summary.
//!
//! ```text
//! policy.json:4:17: error[wildcard-action] `*` allows every action of every service
//!   |
//! 4 |       "Action": "*",
//!   |                 ^^^
//!  --> policy.json:5:19: on these resources
//!   |
//! 5 |       "Resource": "*"
//!   |                   ---
//!   = help: list only the actions this principal calls
//! ```

use std::borrow::Cow;
use std::io::{self, Write};

use super::{ceil_char_boundary, floor_char_boundary, OutputOptions, Resolver, Summary};
use crate::escape;
use crate::finding::{Applicability, Confidence, Finding, Severity};
use crate::lint::{FileReport, Report};
use crate::rules::RuleId;
use crate::source::{ParseError, Span};
use crate::text::plural;

/// Spans over more lines than this show their first lines, `...` and their last line.
const MAX_SPAN_LINES: usize = 4;
/// Lines longer than this (in bytes) are shown as a window around the span.
const LONG_LINE: usize = 200;
/// Bytes of context kept before the span in a long line.
const WINDOW_BEFORE: usize = 60;
/// Bytes kept from the span start in a long line.
const WINDOW_AFTER: usize = 120;
/// Columns a tab takes in an excerpt.
const TAB_WIDTH: usize = 4;

pub(super) fn render(report: &Report, opts: &OutputOptions, w: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { color: opts.color };
    for file in &report.files {
        render_file(file, opts, paint, w)?;
    }
    if !opts.quiet {
        render_summary(&Summary::new(report), paint, w)?;
        if !opts.show_infos {
            render_hidden_infos(report, paint, w)?;
        }
    }
    Ok(())
}

/// Shown in full only with `--show-infos` (or `--quiet`): the values iamlint could not evaluate. On a large
/// repository they outnumber the findings; they stay counted in the summary and listed in JSON
/// and SARIF.
fn hidden(finding: &Finding, opts: &OutputOptions) -> bool {
    // `--quiet` prints no summary, so there they are listed one line each, as before.
    !opts.show_infos
        && !opts.quiet
        && finding.rule == RuleId::UnresolvedReference
        && finding.severity == Severity::Info
}

/// How many causes of hidden infos are listed, most frequent first.
const HIDDEN_CAUSES: usize = 5;

/// The hidden `unresolved-reference` infos, counted per root cause (their message) with the
/// first place each was seen.
fn render_hidden_infos(report: &Report, paint: Paint, w: &mut dyn Write) -> io::Result<()> {
    let mut causes: Vec<(&str, usize, String)> = Vec::new();
    let mut total = 0;
    for file in &report.files {
        let r = Resolver::new(&file.sources);
        for f in file
            .active()
            .filter(|f| f.rule == RuleId::UnresolvedReference && f.severity == Severity::Info)
        {
            total += 1;
            match causes.iter_mut().find(|(m, ..)| *m == &*f.message) {
                Some(c) => c.1 += 1,
                None => {
                    let at = r.position(f.span.file, f.span.start);
                    let place = format!(
                        "{}:{}:{}",
                        sanitize(r.path(f.span.file)),
                        at.line,
                        at.column
                    );
                    causes.push((&*f.message, 1, place));
                }
            }
        }
    }
    if total == 0 {
        return Ok(());
    }
    causes.sort_by_key(|c| std::cmp::Reverse(c.1));
    let line = format!(
        "{} not shown: values iamlint could not evaluate ({}; `--show-infos` shows each)",
        plural(total, "unresolved-reference info"),
        plural(causes.len(), "cause"),
    );
    writeln!(w, "{}", paint.paint(BOLD, &line))?;
    let width = causes.first().map_or(1, |c| c.1.to_string().len());
    for (message, n, place) in causes.iter().take(HIDDEN_CAUSES) {
        writeln!(w, "{n:>width$}  {} (first at {place})", sanitize(message))?;
    }
    if causes.len() > HIDDEN_CAUSES {
        writeln!(
            w,
            "{:>width$}  … and {} more",
            "",
            plural(causes.len() - HIDDEN_CAUSES, "cause")
        )?;
    }
    Ok(())
}

fn render_file(
    file: &FileReport,
    opts: &OutputOptions,
    paint: Paint,
    w: &mut dyn Write,
) -> io::Result<()> {
    let r = Resolver::new(&file.sources);
    for error in &file.errors {
        render_error(&r, error, opts, paint, w)?;
    }
    for finding in file.active().filter(|f| !hidden(f, opts)) {
        render_finding(&r, finding, opts, paint, w)?;
    }
    Ok(())
}

fn render_error(
    r: &Resolver,
    error: &ParseError,
    opts: &OutputOptions,
    paint: Paint,
    w: &mut dyn Write,
) -> io::Result<()> {
    let label = paint.paint(severity_style(Severity::Error), "error");
    let message = sanitize(&error.message);
    let Some(span) = error.span else {
        let path = sanitize(r.path(error.file));
        let path = paint.paint(BOLD, &path);
        writeln!(w, "{path}: {label}: {message}")?;
        if !opts.quiet {
            writeln!(w)?;
        }
        return Ok(());
    };
    let at = r.position(span.file, span.start);
    let path = format!("{}:{}:{}", sanitize(r.path(span.file)), at.line, at.column);
    writeln!(w, "{}: {label}: {message}", paint.paint(BOLD, &path))?;
    if opts.quiet {
        return Ok(());
    }
    let lines = excerpt(r, span);
    let width = gutter_width(lines.iter().map(|l| l.number));
    let mut out = Block { w, paint, width };
    out.gutter()?;
    out.excerpt(&lines, '^', severity_style(Severity::Error))?;
    writeln!(out.w)
}

fn render_finding(
    r: &Resolver,
    finding: &Finding,
    opts: &OutputOptions,
    paint: Paint,
    w: &mut dyn Write,
) -> io::Result<()> {
    let at = r.position(finding.span.file, finding.span.start);
    let path = format!(
        "{}:{}:{}",
        sanitize(r.path(finding.span.file)),
        at.line,
        at.column
    );
    let severity = finding.severity;
    writeln!(
        w,
        "{}: {} {}",
        paint.paint(BOLD, &path),
        paint.paint(
            severity_style(severity),
            &format!("{}[{}]", severity.as_str(), finding.rule.id())
        ),
        paint.paint(BOLD, &sanitize(&finding.message)),
    )?;
    if opts.quiet {
        return Ok(());
    }

    let primary = excerpt(r, finding.span);
    let related: Vec<_> = finding
        .related
        .iter()
        .map(|label| (label, excerpt(r, label.span)))
        .collect();
    let width = gutter_width(
        primary
            .iter()
            .chain(related.iter().flat_map(|(_, lines)| lines.iter()))
            .map(|l| l.number),
    );
    let mut out = Block { w, paint, width };
    out.gutter()?;
    out.excerpt(&primary, '^', severity_style(severity))?;
    for (label, lines) in &related {
        let at = r.position(label.span.file, label.span.start);
        let location = format!(
            "{}:{}:{}",
            sanitize(r.path(label.span.file)),
            at.line,
            at.column
        );
        writeln!(
            out.w,
            "{:width$}{} {}: {}",
            "",
            paint.paint(BLUE, "-->"),
            location,
            sanitize(&label.note),
        )?;
        out.gutter()?;
        out.excerpt(lines, '-', BLUE)?;
    }
    if let Some(help) = &finding.help {
        out.note("help", &sanitize(help))?;
    }
    if let Some(fix) = &finding.fix {
        let applicability = match fix.applicability {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        };
        out.note(&format!("fix ({applicability})"), &sanitize(&fix.title))?;
        if let Some(snippet) = &fix.snippet {
            for line in snippet.lines() {
                let line = display_line(line);
                if line.is_empty() {
                    writeln!(out.w)?;
                } else {
                    writeln!(out.w, "{:width$}     {line}", "")?;
                }
            }
        }
    }
    if finding.confidence == Confidence::Low {
        out.note(
            "note",
            "low confidence: the verdict rests on a value iamlint could not evaluate",
        )?;
    }
    // The rule's documentation, as ruff links each finding's rule.
    out.note("docs", super::docs_url(finding.rule))?;
    writeln!(out.w)
}

fn render_summary(s: &Summary, paint: Paint, w: &mut dyn Write) -> io::Result<()> {
    let total = s.findings();
    if total == 0 && s.parse_errors == 0 {
        let line = format!(
            "All checked: no findings ({} checked)",
            plural(s.files_checked, "file")
        );
        writeln!(w, "{}", paint.paint(GREEN, &line))?;
    } else {
        let rules = s.rules_by_count();
        let count_width = rules.first().map_or(1, |(_, n)| n.to_string().len());
        for (rule, n) in &rules {
            writeln!(w, "{n:>count_width$}  {}", rule.id())?;
        }
        if !rules.is_empty() {
            writeln!(w)?;
        }
        let line = format!(
            "Found {}: {}, {}, {} in {} ({} checked)",
            plural(total, "finding"),
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info"),
            plural(s.files_with_findings, "file"),
            plural(s.files_checked, "file"),
        );
        writeln!(w, "{}", paint.paint(BOLD, &line))?;
        if s.fixable_safe > 0 || s.fixable_unsafe > 0 {
            let mut line = String::new();
            if s.fixable_safe > 0 {
                line.push_str(&format!("{} fixable with `--fix`", s.fixable_safe));
            }
            if s.fixable_unsafe > 0 {
                if !line.is_empty() {
                    line.push_str("; ");
                }
                let more = if s.fixable_safe > 0 {
                    " more"
                } else {
                    " fixable"
                };
                line.push_str(&format!("{}{more} with `--unsafe-fixes`", s.fixable_unsafe));
            }
            line.push_str(" (`--diff` shows the changes)");
            writeln!(w, "{line}")?;
        }
        if s.parse_errors > 0 {
            let line = format!(
                "{} could not be read or parsed ({})",
                plural(s.files_with_errors, "file"),
                plural(s.parse_errors, "error"),
            );
            writeln!(w, "{}", paint.paint(severity_style(Severity::Error), &line))?;
        }
    }
    if s.suppressed > 0 {
        writeln!(w, "{} suppressed", plural(s.suppressed, "finding"))?;
    }
    if !s.skipped.is_empty() {
        let mut parts = Vec::new();
        if s.skipped.symlinks > 0 {
            parts.push(plural(s.skipped.symlinks, "symbolic link"));
        }
        if s.skipped.special > 0 {
            parts.push(plural(s.skipped.special, "special file"));
        }
        writeln!(
            w,
            "skipped {} (never followed or read in a folder scan)",
            parts.join(" and ")
        )?;
    }
    Ok(())
}

/// Writes the framed parts of one finding: gutters, excerpts, `= help:` notes.
struct Block<'w> {
    w: &'w mut dyn Write,
    paint: Paint,
    width: usize,
}

impl Block<'_> {
    fn gutter(&mut self) -> io::Result<()> {
        writeln!(
            self.w,
            "{:width$} {}",
            "",
            self.paint.paint(BLUE, "|"),
            width = self.width
        )
    }

    fn excerpt(&mut self, lines: &[ExcerptLine], mark: char, style: &str) -> io::Result<()> {
        let width = self.width;
        for line in lines {
            if line.elided {
                writeln!(self.w, "{}", self.paint.paint(BLUE, "..."))?;
                continue;
            }
            let number = format!("{:>width$} |", line.number);
            if line.text.is_empty() {
                writeln!(self.w, "{}", self.paint.paint(BLUE, &number))?;
            } else {
                writeln!(self.w, "{} {}", self.paint.paint(BLUE, &number), line.text)?;
            }
            let marks: String = std::iter::repeat_n(mark, line.underline_width.max(1)).collect();
            writeln!(
                self.w,
                "{:width$} {} {:pad$}{}",
                "",
                self.paint.paint(BLUE, "|"),
                "",
                self.paint.paint(style, &marks),
                pad = line.underline_start,
            )?;
        }
        Ok(())
    }

    fn note(&mut self, kind: &str, text: &str) -> io::Result<()> {
        writeln!(
            self.w,
            "{:width$} {} {}: {text}",
            "",
            self.paint.paint(BLUE, "="),
            self.paint.paint(BOLD, kind),
            width = self.width
        )
    }
}

fn gutter_width(numbers: impl Iterator<Item = usize>) -> usize {
    numbers.max().unwrap_or(1).to_string().len()
}

/// One source line ready to print, with the display columns of its underline.
#[derive(Debug, Default)]
struct ExcerptLine {
    /// 1-based line number.
    number: usize,
    text: String,
    underline_start: usize,
    underline_width: usize,
    /// A `...` line standing for the lines left out of a long span.
    elided: bool,
}

/// The lines of `span` with the underlined part of each.
fn excerpt(r: &Resolver, span: Span) -> Vec<ExcerptLine> {
    let file = r.file(span.file);
    let text = file.text.as_str();
    let start = floor_char_boundary(text, span.start as usize);
    let end = floor_char_boundary(text, span.end as usize).max(start);
    let first = r.line_of(file, start);
    let mut last = r.line_of(file, end);
    // A span ending right after a line break ends on the line before.
    if last > first && r.line_range(file, last).start == end {
        last -= 1;
    }
    let count = last - first + 1;
    let shown: Vec<Option<usize>> = if count > MAX_SPAN_LINES {
        let head = MAX_SPAN_LINES - 2;
        (first..first + head)
            .map(Some)
            .chain([None, Some(last)])
            .collect()
    } else {
        (first..=last).map(Some).collect()
    };
    shown
        .into_iter()
        .map(|line| match line {
            None => ExcerptLine {
                elided: true,
                ..ExcerptLine::default()
            },
            Some(line) => {
                let range = r.line_range(file, line);
                let from = if line == first {
                    start.clamp(range.start, range.end)
                } else {
                    // Continuation lines are underlined from their first non-blank character.
                    let body = &text[range.clone()];
                    range.start + (body.len() - body.trim_start().len())
                };
                let to = if line == last {
                    end.clamp(from, range.end)
                } else {
                    range.end
                };
                excerpt_line(text, line + 1, range, from, to)
            }
        })
        .collect()
}

/// Renders one line, cut to a window around `from..to` when it is long.
fn excerpt_line(
    text: &str,
    number: usize,
    range: std::ops::Range<usize>,
    from: usize,
    to: usize,
) -> ExcerptLine {
    let (mut shown_start, mut shown_end) = (range.start, range.end);
    if range.len() > LONG_LINE {
        shown_start =
            floor_char_boundary(text, from.saturating_sub(WINDOW_BEFORE).max(range.start));
        shown_end = ceil_char_boundary(text, (from + WINDOW_AFTER).min(range.end)).max(shown_start);
    }
    let to = to.min(shown_end);
    let mut line = String::new();
    let mut column = 0;
    if shown_start > range.start {
        line.push('…');
        column += 1;
    }
    let underline_start = column + push_display(&mut line, &text[shown_start..from]);
    let underline_width = push_display(&mut line, &text[from..to]);
    push_display(&mut line, &text[to..shown_end]);
    if shown_end < range.end {
        line.push('…');
    }
    ExcerptLine {
        number,
        text: line.trim_end().to_string(),
        underline_start,
        underline_width,
        elided: false,
    }
}

/// Appends `s` as it should appear in a terminal and returns its width in columns: tabs become
/// spaces, unsafe characters their escapes ([`escape::push_escaped_char`]), and the `[` of a
/// `##[` (the `#`s may come from an earlier call on the same line) `\x5b`, as
/// [`escape::text`] writes them; underlines are measured on this text.
fn push_display(out: &mut String, s: &str) -> usize {
    let mut width = 0;
    for c in s.chars() {
        if c == '\t' {
            out.extend(std::iter::repeat_n(' ', TAB_WIDTH));
            width += TAB_WIDTH;
        } else if escape::is_unsafe_char(c) || (c == '[' && out.ends_with("##")) {
            let before = out.len();
            if c == '[' {
                out.push_str("\\x5b");
            } else {
                escape::push_escaped_char(out, c);
            }
            width += out.len() - before;
        } else {
            out.push(c);
            width += char_width(c);
        }
    }
    width
}

fn display_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_display(&mut out, s);
    out.trim_end().to_string()
}

/// A message, note or path on one terminal line ([`escape::text`]).
fn sanitize(s: &str) -> Cow<'_, str> {
    escape::text(s)
}

/// Terminal columns of a character: 0 for combining marks and zero-width characters, 2 for East
/// Asian wide characters and most emoji, 1 otherwise. A small table; exotic scripts may be off by a
/// column, never by a line.
fn char_width(c: char) -> usize {
    let u = c as u32;
    let zero = matches!(
        u,
        0x0300..=0x036f
            | 0x0483..=0x0489
            | 0x0591..=0x05bd
            | 0x0610..=0x061a
            | 0x064b..=0x065f
            | 0x0e31
            | 0x0e34..=0x0e3a
            | 0x1ab0..=0x1aff
            | 0x1dc0..=0x1dff
            | 0x200b..=0x200f
            | 0x20d0..=0x20ff
            | 0xfe00..=0xfe0f
            | 0xfe20..=0xfe2f
            | 0xfeff
    );
    if zero {
        return 0;
    }
    let wide = matches!(
        u,
        0x1100..=0x115f
            | 0x2e80..=0x303e
            | 0x3041..=0x33ff
            | 0x3400..=0x4dbf
            | 0x4e00..=0x9fff
            | 0xa000..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6
            | 0x1f300..=0x1f64f
            | 0x1f900..=0x1f9ff
            | 0x20000..=0x2fffd
            | 0x30000..=0x3fffd
    );
    if wide {
        2
    } else {
        1
    }
}

const BOLD: &str = "1";
const BLUE: &str = "1;34";
const GREEN: &str = "1;32";

fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
    }
}

/// ANSI colours, or nothing at all.
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn paint<'a>(self, style: &str, s: &'a str) -> Cow<'a, str> {
        if self.color && !s.is_empty() {
            Cow::Owned(format!("\x1b[{style}m{s}\x1b[0m"))
        } else {
            Cow::Borrowed(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        let mut s = String::new();
        assert_eq!(push_display(&mut s, "a\tb"), 6);
        assert_eq!(s, "a    b");
        let mut s = String::new();
        assert_eq!(push_display(&mut s, "日本e\u{301}"), 5);
        let mut s = String::new();
        assert_eq!(push_display(&mut s, "\u{1b}[31m"), 8);
        assert_eq!(s, "\\x1b[31m");
    }

    #[test]
    fn sanitize_escapes_breaks() {
        assert_eq!(sanitize("a\nb\u{1b}\u{202e}"), "a\\nb\\x1b\\u{202e}");
        assert_eq!(sanitize("plain"), "plain");
    }
}
