//! The engine: runs the enabled rules over a file's model, applies suppressions (inline comments,
//! then the config's per-path ignores and `[[ignore]]` entries) and severity overrides, and collects
//! everything into a [`Report`]. The baseline is applied to the finished report
//! ([`crate::baseline`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::catalog::Catalog;
use crate::config::PathRules;
use crate::discover::{self, Discovered};
use crate::finding::{Finding, Severity};
use crate::frontend;
use crate::model::FileModel;
use crate::rules::{Ctx, RuleId};
use crate::source::{SourceFile, SourceMap, Span};
use crate::ParseError;

/// What to run and how to judge it.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Only these rules (`None`: every rule).
    pub select: Option<Vec<RuleId>>,
    pub ignore: Vec<RuleId>,
    pub severity: HashMap<RuleId, Severity>,
    /// Globs from the config: `exclude`, per-path ignores and `[[ignore]]` entries.
    pub paths: PathRules,
    /// Apply `exclude` to files named explicitly too (pre-commit names every file it checks).
    pub force_exclude: bool,
    /// Skip named files that turn out not to be policies, as a folder walk does, instead of
    /// reporting them (for tools that pass every `.json` file).
    pub skip_non_policies: bool,
    /// Options for the frontends: Terraform variable values.
    pub frontend: frontend::FrontendOptions,
}

impl LintOptions {
    pub fn enabled(&self, rule: RuleId) -> bool {
        self.select.as_ref().is_none_or(|s| s.contains(&rule)) && !self.ignore.contains(&rule)
    }

    pub fn enabled_rules(&self) -> Vec<RuleId> {
        RuleId::ALL
            .iter()
            .copied()
            .filter(|r| self.enabled(*r))
            .collect()
    }
}

/// One input file's results.
#[derive(Debug)]
pub struct FileReport {
    pub sources: SourceMap,
    pub findings: Vec<Finding>,
    pub errors: Vec<ParseError>,
    /// The file was recognised as something iamlint reads.
    pub recognised: bool,
}

impl FileReport {
    /// Findings that were not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.suppressed)
    }
}

/// The whole run.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
}

impl Report {
    /// Every unsuppressed finding with the file it belongs to, in output order.
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|file| file.active().map(move |f| (file, f)))
    }

    pub fn errors(&self) -> impl Iterator<Item = (&FileReport, &ParseError)> {
        self.files
            .iter()
            .flat_map(|file| file.errors.iter().map(move |e| (file, e)))
    }

    pub fn has_errors(&self) -> bool {
        self.files.iter().any(|f| !f.errors.is_empty())
    }

    /// 0 clean, 1 findings at or above `fail_on`, 2 input errors.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        if self.has_errors() {
            2
        } else if self.findings().any(|(_, f)| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }
}

/// Lints every file under `paths` in parallel. Output order is by path, then position.
pub fn lint_paths(paths: &[PathBuf], opts: &LintOptions) -> Report {
    let mut discovered = discover::discover(paths);
    if !opts.paths.is_empty() {
        discovered.retain(|d| match d {
            Discovered::File { path, explicit } => {
                !((opts.force_exclude || !explicit) && opts.paths.is_excluded(path))
            }
            Discovered::Error { .. } => true,
        });
    }
    let mut files: Vec<FileReport> = discovered
        .into_par_iter()
        .filter_map(|d| lint_discovered(d, opts))
        .collect();
    files.sort_by(|a, b| a.sources.main().path.cmp(&b.sources.main().path));
    Report { files }
}

fn lint_discovered(d: Discovered, opts: &LintOptions) -> Option<FileReport> {
    match d {
        Discovered::File { path, explicit } => match read_text(&path) {
            Ok(text) => {
                let report = lint_text(&path, text, opts);
                // A file found by walking (or any file, with `skip_non_policies`) that is not a policy
                // (`package.json`, a broken `tsconfig.json`) is skipped. Frontends mark a malformed
                // file as recognised when it looks like a policy or template, so that one is reported.
                let named = explicit && !opts.skip_non_policies;
                (report.recognised || named).then_some(report)
            }
            Err(message) => Some(error_report(&path, message)),
        },
        Discovered::Error { path, message } => Some(error_report(&path, message)),
    }
}

pub fn error_report(path: &Path, message: String) -> FileReport {
    let sources = SourceMap::new(SourceFile::new(path, String::new()));
    FileReport {
        sources,
        findings: Vec::new(),
        errors: vec![ParseError::whole(crate::FileId(0), message)],
        recognised: false,
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {}", lower_io(&e)))?;
    bytes_to_text(bytes)
}

/// Decodes input bytes: UTF-8 (a BOM is dropped), or an error naming the first bad byte.
pub fn bytes_to_text(bytes: Vec<u8>) -> Result<String, String> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                // Keep byte offsets honest: replace the BOM with nothing only at the very start.
                text.replace_range(..3, "");
            }
            Ok(text)
        }
        Err(e) => Err(format!(
            "file is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )),
    }
}

fn lower_io(e: &std::io::Error) -> String {
    let s = e.to_string();
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => s,
    }
}

/// Lints one file's text (also used for stdin).
pub fn lint_text(path: &Path, text: String, opts: &LintOptions) -> FileReport {
    let mut sources = SourceMap::new(SourceFile::new(path, text));
    let format = discover::detect_format(path, &sources.main().text);
    let model = frontend::parse_with(&mut sources, format, &opts.frontend);
    let findings = run_rules(&model, &sources, opts);
    let errors = model
        .errors
        .into_iter()
        .map(|e| whole_characters(e, &sources))
        .collect();
    FileReport {
        sources,
        findings,
        errors,
        recognised: model.recognised,
    }
}

/// Widens an error's span to whole characters. Frontends that map offsets back from decoded text
/// (JSON inside a Terraform plan's escaped string) can land inside a multi-byte character.
fn whole_characters(mut error: ParseError, sources: &SourceMap) -> ParseError {
    if let Some(span) = error.span.as_mut() {
        let text = &sources.get(span.file).text;
        let mut start = (span.start as usize).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (span.end as usize).clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        *span = Span::new(span.file, start, end);
    }
    error
}

/// Runs the enabled rules over one file's model, then applies suppressions and severities.
pub fn run_rules(model: &FileModel, sources: &SourceMap, opts: &LintOptions) -> Vec<Finding> {
    let cx = Ctx {
        catalog: Catalog::get(),
        file: model,
        sources,
    };
    let mut findings = Vec::new();
    for rule in opts.enabled_rules() {
        rule.rule().check_file(model, &cx, &mut findings);
    }
    for finding in &mut findings {
        if let Some(severity) = opts.severity.get(&finding.rule) {
            finding.severity = *severity;
        }
    }
    crate::suppress::apply(&mut findings, model, sources, opts);
    apply_path_ignores(&mut findings, model, sources, opts);
    findings.sort_by(|a, b| {
        (a.span.file, a.span.start, a.span.end, a.rule, &a.message).cmp(&(
            b.span.file,
            b.span.start,
            b.span.end,
            b.rule,
            &b.message,
        ))
    });
    findings.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    findings
}

/// Marks findings covered by the config's per-path ignores and `[[ignore]]` entries. Globs match
/// the path of the file each finding is in (a policy loaded through `file()` has its own).
fn apply_path_ignores(
    findings: &mut [Finding],
    model: &FileModel,
    sources: &SourceMap,
    opts: &LintOptions,
) {
    if opts.paths.is_empty() {
        return;
    }
    let mut per_file: HashMap<crate::FileId, crate::config::FileIgnores<'_>> = HashMap::new();
    for finding in findings.iter_mut().filter(|f| !f.suppressed) {
        let file = finding.span.file;
        let ignores = per_file
            .entry(file)
            .or_insert_with(|| opts.paths.for_file(&sources.get(file).path));
        if ignores.rules.contains(&finding.rule) {
            finding.suppressed = true;
            continue;
        }
        let covered = ignores.entries.iter().any(|entry| {
            entry.rule == finding.rule
                && entry
                    .line
                    .is_none_or(|line| sources.get(file).position(finding.span.start).line == line)
                && entry
                    .sid
                    .as_deref()
                    .is_none_or(|sid| statement_sid(model, finding) == Some(sid))
        });
        if covered {
            finding.suppressed = true;
        }
    }
}

/// The `Sid` of the innermost statement holding the finding's primary span.
fn statement_sid<'m>(model: &'m FileModel, finding: &Finding) -> Option<&'m str> {
    let span = finding.span;
    model
        .docs
        .iter()
        .flat_map(|doc| doc.statements.iter())
        .filter(|stmt| {
            stmt.span.file == span.file
                && stmt.span.start <= span.start
                && span.end <= stmt.span.end
        })
        .min_by_key(|stmt| stmt.span.end - stmt.span.start)
        .and_then(|stmt| stmt.sid.as_ref())
        .and_then(|sid| sid.value.as_str())
}
