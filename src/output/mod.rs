//! Renders a [`Report`]: human, json, sarif, github, gitlab, and `--statistics`.
//!
//! Each format lives in its own file. What they share is here: turning spans into lines and
//! columns without rescanning a file per finding ([`Resolver`]), and the run's counts
//! ([`Summary`]).

mod github;
mod gitlab;
mod human;
mod json;
mod sarif;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::OnceLock;

use crate::finding::Severity;
use crate::lint::{FileReport, Report};
use crate::rules::RuleId;
use crate::source::{FileId, Position, SourceFile, SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
    Sarif,
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
}

#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// ANSI colours (human output only). When false, no escape code is written at all.
    pub color: bool,
    /// One line per finding and error: no excerpts, no summary (human output only).
    pub quiet: bool,
    /// Show every `unresolved-reference` info (human output only; otherwise they are summarized
    /// per root cause under the findings). JSON, SARIF and the others always carry each one.
    pub show_infos: bool,
}

/// Writes `report` to `w` in `format`. Every format's text passes through the escaping layer
/// ([`crate::escape`]): the human output line by line ([`crate::escape::Lines`]), the JSON
/// formats through [`crate::escape::Json`]; the GitHub renderer escapes its own lines, as only
/// it knows which lines are its commands.
pub fn render(
    report: &Report,
    format: OutputFormat,
    opts: &OutputOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    match format {
        OutputFormat::Human => {
            let mut lines = crate::escape::Lines::new(&mut w);
            human::render(report, opts, &mut lines)?;
            lines.flush()?;
        }
        OutputFormat::Json => json::render(report, &mut crate::escape::Json::new(&mut w))?,
        OutputFormat::Sarif => sarif::render(report, &mut crate::escape::Json::new(&mut w))?,
        OutputFormat::Github => github::render(report, &mut w)?,
        OutputFormat::Gitlab => gitlab::render(report, &mut crate::escape::Json::new(&mut w))?,
    }
    w.flush()
}

/// `--statistics`: unsuppressed findings counted per rule, most frequent first, as text
/// (`count  rule-id  summary`) or, with `json`, as `[{"rule", "count", "summary"}]`.
pub fn render_statistics(report: &Report, json: bool, w: &mut dyn Write) -> io::Result<()> {
    // Rule ids and counts only; escaped all the same, as every output is.
    let summary = Summary::new(report);
    let rules = summary.rules_by_count();
    if json {
        let rows: Vec<serde_json::Value> = rules
            .iter()
            .map(|(rule, n)| {
                serde_json::json!({"rule": rule.id(), "count": n, "summary": rule.meta().summary()})
            })
            .collect();
        let mut w = crate::escape::Json::new(io::BufWriter::new(w));
        serde_json::to_writer_pretty(&mut w, &rows)?;
        writeln!(w)?;
        return w.flush();
    }
    let mut w = crate::escape::Lines::new(io::BufWriter::new(w));
    let count_width = rules.first().map_or(1, |(_, n)| n.to_string().len());
    let id_width = rules.iter().map(|(r, _)| r.id().len()).max().unwrap_or(0);
    for (rule, n) in &rules {
        writeln!(
            w,
            "{n:>count_width$}  {:id_width$}  {}",
            rule.id(),
            rule.meta().summary()
        )?;
    }
    if summary.parse_errors > 0 {
        writeln!(
            w,
            "{} could not be read or parsed",
            crate::text::plural(summary.files_with_errors, "file")
        )?;
    }
    w.flush()
}

/// A span resolved to 1-based lines and character columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub start: Position,
    pub end: Position,
}

/// Resolves byte offsets to positions for one [`SourceMap`] in time independent of how long the
/// offset's line is: a binary search over the line index, then a character count that is either
/// free (ASCII files) or bounded by a checkpoint table built once per file. Rendering N findings of
/// a minified one-line policy therefore stays linear. `Sync`: the chunks of one big file's
/// findings are rendered in parallel with one resolver.
pub(crate) struct Resolver<'a> {
    sources: &'a SourceMap,
    files: Vec<OnceLock<CharTable>>,
    paths: Vec<OnceLock<String>>,
}

/// Character counts at byte checkpoints, for files that are not pure ASCII.
struct CharTable {
    /// `None` for ASCII text, where characters are bytes.
    checkpoints: Option<Vec<(u32, u32)>>,
}

/// Bytes between two checkpoints.
const CHECKPOINT: usize = 512;

impl CharTable {
    fn new(text: &str) -> Self {
        if text.is_ascii() {
            return CharTable { checkpoints: None };
        }
        let mut checkpoints = vec![(0u32, 0u32)];
        let mut next = CHECKPOINT;
        for (chars, (byte, _)) in text.char_indices().enumerate() {
            if byte >= next {
                checkpoints.push((to_u32(byte), to_u32(chars)));
                next = byte + CHECKPOINT;
            }
        }
        CharTable {
            checkpoints: Some(checkpoints),
        }
    }

    /// Characters in `text[..offset]` (`offset` on a char boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        match &self.checkpoints {
            None => offset,
            Some(checkpoints) => {
                let i = checkpoints.partition_point(|(byte, _)| (*byte as usize) <= offset);
                let (byte, chars) = checkpoints[i.saturating_sub(1)];
                chars as usize + text[byte as usize..offset].chars().count()
            }
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

pub(crate) fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset < text.len() && !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

impl<'a> Resolver<'a> {
    pub fn new(sources: &'a SourceMap) -> Self {
        Resolver {
            sources,
            files: (0..sources.files().len())
                .map(|_| OnceLock::new())
                .collect(),
            paths: (0..sources.files().len())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    pub fn file(&self, id: FileId) -> &'a SourceFile {
        self.sources.get(id)
    }

    /// 0-based line holding byte `offset` of `file`.
    pub fn line_of(&self, file: &SourceFile, offset: usize) -> usize {
        let index = file.line_index();
        let text = &file.text;
        // First line whose start is past `offset`, minus one.
        let (mut lo, mut hi) = (0usize, index.line_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if index.line_range(text, mid).start <= offset {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.saturating_sub(1)
    }

    /// Byte range of 0-based `line` of `file`, without its terminator.
    pub fn line_range(&self, file: &SourceFile, line: usize) -> Range<usize> {
        file.line_index().line_range(&file.text, line)
    }

    /// Characters in `file.text[from..to]`; cheap whatever the distance.
    pub fn char_count(&self, id: FileId, from: usize, to: usize) -> usize {
        let file = self.file(id);
        let text = &file.text;
        let from = floor_char_boundary(text, from);
        let to = floor_char_boundary(text, to).max(from);
        if to - from <= CHECKPOINT {
            return text[from..to].chars().count();
        }
        let slot = self.files.get(id.0 as usize).or_else(|| self.files.first());
        match slot {
            Some(cell) => {
                let table = cell.get_or_init(|| CharTable::new(text));
                table.chars_before(text, to) - table.chars_before(text, from)
            }
            None => text[from..to].chars().count(),
        }
    }

    pub fn position(&self, id: FileId, offset: u32) -> Position {
        let file = self.file(id);
        let offset = floor_char_boundary(&file.text, offset as usize);
        let line = self.line_of(file, offset);
        let start = self.line_range(file, line).start.min(offset);
        Position {
            line: to_u32(line + 1),
            column: to_u32(self.char_count(id, start, offset) + 1),
        }
    }

    pub fn region(&self, span: Span) -> Region {
        Region {
            start: self.position(span.file, span.start),
            end: self.position(span.file, span.end.max(span.start)),
        }
    }

    /// The display path of a file (forward slashes, no leading `./`), computed once.
    pub fn path(&self, id: FileId) -> &str {
        let slot = self.paths.get(id.0 as usize).or_else(|| self.paths.first());
        match slot {
            Some(cell) => cell.get_or_init(|| self.file(id).display_path()),
            None => "",
        }
    }
}

/// A rule's documentation URL, built once per rule for the run (every finding of the human and
/// JSON outputs carries one).
pub(crate) fn docs_url(rule: RuleId) -> &'static str {
    static URLS: OnceLock<Vec<(RuleId, String)>> = OnceLock::new();
    URLS.get_or_init(|| {
        RuleId::ALL
            .iter()
            .map(|r| (*r, r.meta().docs_url()))
            .collect()
    })
    .iter()
    .find(|(r, _)| *r == rule)
    .map_or("", |(_, url)| url.as_str())
}

/// The run's counts, shared by the human summary and the JSON `summary` object.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub suppressed: usize,
    pub parse_errors: usize,
    pub files_checked: usize,
    pub files_with_findings: usize,
    pub files_with_errors: usize,
    /// Findings with a fix `--fix` applies, and with one only `--unsafe-fixes` applies.
    pub fixable_safe: usize,
    pub fixable_unsafe: usize,
    pub per_rule: BTreeMap<RuleId, usize>,
    /// What folder scans passed by (symbolic links, FIFOs, devices, sockets).
    pub skipped: crate::lint::Skipped,
}

impl Summary {
    pub fn new(report: &Report) -> Self {
        // A config file's report holds its unused `[[ignore]]` entries: not a checked file.
        let is_config = |file: &FileReport| {
            file.sources
                .main()
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| crate::config::FILE_NAMES.contains(&n))
        };
        let mut s = Summary {
            files_checked: report.files.iter().filter(|f| !is_config(f)).count(),
            skipped: report.skipped,
            ..Summary::default()
        };
        // A report holds findings located in other files too (a `templatefile()` or module
        // file read through its caller), so files are counted by where their findings are.
        let mut located: std::collections::HashSet<std::path::PathBuf> =
            std::collections::HashSet::new();
        for file in &report.files {
            for id in s.add_file(file) {
                located.insert(crate::root::normalize(&file.sources.get(id).path));
            }
        }
        s.files_with_findings = located.len();
        s
    }

    /// Counts one report's findings; returns the files its unsuppressed findings are in.
    fn add_file(&mut self, file: &FileReport) -> Vec<FileId> {
        let mut files: Vec<FileId> = Vec::new();
        for f in &file.findings {
            if f.suppressed {
                self.suppressed += 1;
                continue;
            }
            if !files.contains(&f.span.file) {
                files.push(f.span.file);
            }
            if let Some(fix) = f.fix.as_deref().filter(|fix| !fix.edits.is_empty()) {
                match fix.applicability {
                    crate::finding::Applicability::Safe => self.fixable_safe += 1,
                    crate::finding::Applicability::Unsafe => self.fixable_unsafe += 1,
                    crate::finding::Applicability::DisplayOnly => {}
                }
            }
            match f.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
            *self.per_rule.entry(f.rule).or_default() += 1;
        }
        self.parse_errors += file.errors.len();
        self.files_with_errors += usize::from(!file.errors.is_empty());
        files
    }

    pub fn findings(&self) -> usize {
        self.errors + self.warnings + self.infos
    }

    /// Rules by descending count, then id.
    pub fn rules_by_count(&self) -> Vec<(RuleId, usize)> {
        let mut rules: Vec<(RuleId, usize)> = self.per_rule.iter().map(|(r, n)| (*r, *n)).collect();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.id().cmp(b.0.id())));
        rules
    }
}
