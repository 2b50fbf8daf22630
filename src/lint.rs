//! The engine: runs the enabled rules over a file's model, applies suppressions (inline comments,
//! then the config's per-path ignores and `[[ignore]]` entries) and severity overrides, and collects
//! everything into a [`Report`]. The baseline is applied to the finished report
//! ([`crate::baseline`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::par::prelude::*;

use crate::catalog::Catalog;
use crate::config::PathRules;
use crate::discover::{self, Discovered};
use crate::finding::{Finding, Label, Severity};
use crate::frontend;
use crate::model::{FileModel, PolicyDoc, Via};
use crate::principal::Facts;
use crate::rules::{Ctx, RuleId};
use crate::source::{ParseError, SourceFile, SourceMap, Span};

pub mod memory;

/// Input decoding lives with the source files; kept here too for the callers of the library's
/// earlier path (tests, `fuzz/`).
pub use crate::source::bytes_to_text;

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
    /// Keep every file's principal facts even when `privilege-escalation` is off
    /// (`iamlint principals`).
    pub principals: bool,
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

    /// A config's options with what the command line sets over it: `check` passes its flags, an
    /// editor ([`crate::server`]) passes none. `force_exclude`, `skip_non_policies` and
    /// `principals` are not the config's: they stay off for the caller to set.
    pub fn from_config(config: &crate::config::Config, cli: Overrides) -> LintOptions {
        let mut select = cli.select.or_else(|| config.select.clone());
        if let Some(select) = &mut select {
            select.extend(cli.extend_select);
        }
        let mut ignore = cli.ignore.unwrap_or_else(|| config.ignore.clone());
        ignore.extend(cli.extend_ignore);
        let mut terraform_vars = config.terraform_vars.clone();
        terraform_vars.extend(cli.vars);
        LintOptions {
            select,
            ignore,
            severity: config.severity.clone(),
            paths: config.paths.clone(),
            force_exclude: false,
            skip_non_policies: false,
            principals: false,
            frontend: frontend::FrontendOptions {
                terraform_vars,
                placeholder_tokens: config.placeholder_tokens.clone(),
            },
        }
    }
}

/// What the command line sets over a config ([`LintOptions::from_config`]); the default sets
/// nothing.
#[derive(Debug, Default)]
pub struct Overrides {
    /// `--select`: replaces the config's `select`.
    pub select: Option<Vec<RuleId>>,
    /// `--extend-select`: added to the `select` that applies (nothing to add to when every rule
    /// runs).
    pub extend_select: Vec<RuleId>,
    /// `--ignore`: replaces the config's `ignore`.
    pub ignore: Option<Vec<RuleId>>,
    /// `--extend-ignore`: added to the `ignore` that applies.
    pub extend_ignore: Vec<RuleId>,
    /// `--var` and `--var-file`, applied after the config's variables.
    pub vars: Vec<crate::vars::VarSetting>,
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
    /// Entries a folder scan passed by (symbolic links, FIFOs, devices, sockets), counted for
    /// the summary.
    pub skipped: Skipped,
}

/// What folder scans passed by without reading.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    pub symlinks: usize,
    /// FIFOs, devices and sockets.
    pub special: usize,
}

impl Skipped {
    pub fn is_empty(&self) -> bool {
        self.symlinks == 0 && self.special == 0
    }
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

    /// [`Report::exit_code`] with each file's own threshold (its config's `fail-on`; `None`:
    /// the file's findings never fail the run).
    pub fn exit_code_by(&self, fail_on: impl Fn(&FileReport) -> Option<Severity>) -> i32 {
        if self.has_errors() {
            2
        } else if self
            .files
            .iter()
            .any(|file| fail_on(file).is_some_and(|at| file.active().any(|f| f.severity >= at)))
        {
            1
        } else {
            0
        }
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
#[cfg(feature = "native")]
pub fn lint_paths(paths: &[PathBuf], opts: &LintOptions) -> Report {
    let mut discovered = discover::discover(paths);
    if !opts.paths.is_empty() {
        discovered.retain(|d| match d {
            Discovered::File { path, explicit, .. } => {
                !((opts.force_exclude || !explicit) && opts.paths.is_excluded(path))
            }
            Discovered::Skipped { path, .. } => !opts.paths.is_excluded(path),
            Discovered::Error { .. } => true,
        });
    }
    if opts.force_exclude {
        // A walk has already passed ignored files by; named ones, here.
        discovered.retain(|d| {
            !matches!(d, Discovered::File { path, explicit: true, root }
                if discover::is_ignored(path, root))
        });
    }
    let mut skipped = Skipped::default();
    discovered.retain(|d| match d {
        Discovered::Skipped { kind, .. } => {
            match kind {
                discover::Skip::Symlink => skipped.symlinks += 1,
                discover::Skip::Special => skipped.special += 1,
            }
            false
        }
        _ => true,
    });
    let shared = std::sync::Arc::new(opts.clone());
    let mut files: Vec<(FileReport, Option<Facts>)> = discovered
        .into_par_iter()
        .filter_map(|d| lint_discovered(d, opts, None))
        .collect();
    files.sort_by(|a, b| a.0.sources.main().path.cmp(&b.0.sources.main().path));
    let (mut files, facts) = split_facts(files, |_| shared.clone());
    judge_principals(&mut files, facts);
    drop_template_reports(&mut files);
    dedup_across_files(&mut files);
    Report { files, skipped }
}

/// Whether a suppression comment covers a finding (as [`crate::suppress`] decides): the whole
/// file, or a label of the finding inside the comment's scope.
fn covers(s: &crate::model::Suppression, finding: &Finding) -> bool {
    let spans = || std::iter::once(finding.span).chain(finding.related.iter().map(|l| l.span));
    match s.scope {
        None => s.span.file == finding.span.file,
        Some(scope) => spans().any(|span| {
            span.file == scope.file
                && span.start >= scope.start
                && span.start < scope.end.max(scope.start + 1)
        }),
    }
}

/// The reports of a run and, apart, the principal facts of each (with the report's index and
/// options).
fn split_facts(
    files: Vec<(FileReport, Option<Facts>)>,
    opts_of: impl Fn(usize) -> std::sync::Arc<LintOptions>,
) -> (Vec<FileReport>, Vec<(Facts, std::sync::Arc<LintOptions>)>) {
    let mut reports = Vec::with_capacity(files.len());
    let mut facts = Vec::new();
    for (i, (report, f)) in files.into_iter().enumerate() {
        if let Some(mut f) = f {
            f.report = i;
            facts.push((f, opts_of(i)));
        }
        reports.push(report);
    }
    (reports, facts)
}

/// Runs `privilege-escalation` on the principals of the run ([`crate::principal`]): a path whose
/// actions come from several files, or from an AWS managed policy attached to the principal, is
/// reported in the file of its first action, the other documents as related locations, with the
/// severity, suppressions and path ignores of that file. Paths a file's own check found are not
/// reported again.
fn judge_principals(files: &mut [FileReport], gathered: Vec<(Facts, std::sync::Arc<LintOptions>)>) {
    let rule = RuleId::PrivilegeEscalation;
    if !gathered.iter().any(|(_, o)| o.enabled(rule)) {
        return;
    }
    let (facts, opts): (Vec<Facts>, Vec<std::sync::Arc<LintOptions>>) =
        gathered.into_iter().unzip();
    let model = crate::principal::build(facts);
    // Principals judged in parallel; only those whose documents span groups (files, principals'
    // own documents) or hold an AWS managed policy can show a path no file's check reported.
    // A local module folder another file of the run calls is judged per call (its principals
    // under the caller's `module.x.` addresses), not a second time alone at its defaults, as
    // `iamlint principals` lists it; its documents are still linted alone by the file checks.
    let judged: Vec<(Finding, usize, Vec<usize>)> = model
        .principals
        .par_iter()
        .filter(|p| !model.is_called(&p.scope))
        .flat_map_iter(|p| {
            let (input, facts_of) = model.escalation_input(p, true);
            let spans_groups = input.members.iter().any(|m| {
                m.attached.is_some() || input.members.first().is_some_and(|f| f.group != m.group)
            });
            let mut paths = Vec::new();
            if spans_groups {
                crate::rules::escalation::privilege_escalation::check_principal(&input, &mut paths);
            }
            paths.into_iter().filter_map(move |(finding, places)| {
                let facts: Vec<usize> = places
                    .iter()
                    .filter_map(|&m| facts_of.get(m).map(|&(f, _)| f))
                    .collect();
                let home = *facts.first()?;
                Some((finding, home, facts))
            })
        })
        .collect();
    let mut found: std::collections::BTreeMap<usize, Vec<(Finding, bool)>> = Default::default();
    // Comments of other files a finding's suppression used: (report, span of the rule id).
    let mut used_elsewhere: Vec<(usize, Span)> = Vec::new();
    for (mut finding, home, facts) in judged {
        if !opts[home].enabled(rule) {
            continue;
        }
        let target = model.facts[home].report;
        // Suppressed where any document completing the path is: a label in another file is
        // judged by that file's comments and `[[ignore]]` entries, as if it were found there.
        let mut elsewhere = false;
        for (label, &f) in finding.related.iter().zip(facts.iter().skip(1)) {
            if model.facts[f].report == target {
                continue;
            }
            if let Some(used) =
                suppressed_in(&finding, label.span, &model.facts[f], files, &opts[f])
            {
                elsewhere = true;
                used_elsewhere.extend(used.into_iter().map(|s| (model.facts[f].report, s)));
            }
        }
        for (label, &f) in finding.related.iter_mut().zip(facts.iter().skip(1)) {
            let from = model.facts[f].report;
            if from == target {
                continue;
            }
            let src = files[from].sources.get(label.span.file);
            let (path, text) = (src.path.clone(), src.text.clone());
            let id = files[target].sources.find_or_add(&path, &text);
            label.span = Span::new(id, label.span.start as usize, label.span.end as usize);
        }
        found.entry(home).or_default().push((finding, elsewhere));
    }
    for (report, span) in used_elsewhere {
        files[report]
            .findings
            .retain(|f| !(f.rule == RuleId::UnusedSuppression && f.span == span));
    }
    for (home, findings) in found {
        let (mut findings, elsewhere): (Vec<Finding>, Vec<bool>) = findings.into_iter().unzip();
        let facts = &model.facts[home];
        let opts = &opts[home];
        for finding in &mut findings {
            if let Some(severity) = opts.severity.get(&finding.rule) {
                finding.severity = *severity;
            }
        }
        let report = &mut files[facts.report];
        // The file's comments, without judging them again (its own run reported unused ones).
        let comments = FileModel {
            suppressions: facts.suppressions.clone(),
            ..FileModel::default()
        };
        let mut quiet = LintOptions::clone(opts);
        quiet.ignore.push(RuleId::UnusedSuppression);
        crate::suppress::apply(&mut findings, &comments, &report.sources, &quiet);
        apply_path_ignores(&mut findings, &comments, &report.sources, opts);
        for (finding, elsewhere) in findings.iter_mut().zip(elsewhere) {
            finding.suppressed |= elsewhere;
        }
        // The file's own run judged its comments before these findings existed: a comment one
        // of them uses is not unused.
        let used: Vec<Span> = facts
            .suppressions
            .iter()
            .filter(|s| s.reason.is_some())
            .filter(|s| findings.iter().any(|f| f.suppressed && covers(s, f)))
            .flat_map(|s| s.rules.iter())
            .filter(|r| RuleId::parse(&r.value) == Some(rule))
            .map(|r| r.span)
            .collect();
        if !used.is_empty() {
            report
                .findings
                .retain(|f| !(f.rule == RuleId::UnusedSuppression && used.contains(&f.span)));
        }
        report.findings.extend(findings);
        sort_findings(&mut report.findings);
    }
}

/// Whether a principal finding is suppressed at one of its locations in another file (`facts`'
/// file, `span` in that file's own numbering): by that file's comments (with a reason) or its
/// config's `[[ignore]]` entries. `Some` with the comments' rule-id spans it used.
fn suppressed_in(
    finding: &Finding,
    span: Span,
    facts: &Facts,
    files: &[FileReport],
    opts: &LintOptions,
) -> Option<Vec<Span>> {
    let report = files.get(facts.report)?;
    let mut probe = vec![Finding {
        span,
        related: Vec::new(),
        suppressed: false,
        ..finding.clone()
    }];
    let comments = FileModel {
        suppressions: facts.suppressions.clone(),
        ..FileModel::default()
    };
    let mut quiet = LintOptions::clone(opts);
    quiet.ignore.push(RuleId::UnusedSuppression);
    crate::suppress::apply(&mut probe, &comments, &report.sources, &quiet);
    apply_path_ignores(&mut probe, &comments, &report.sources, opts);
    if !probe[0].suppressed {
        return None;
    }
    Some(
        facts
            .suppressions
            .iter()
            .filter(|s| s.reason.is_some() && covers(s, &probe[0]))
            .flat_map(|s| s.rules.iter())
            .filter(|r| RuleId::parse(&r.value) == Some(finding.rule))
            .map(|r| r.span)
            .collect(),
    )
}

/// How many related labels one finding takes from its copies in other files (a module called
/// from 40 examples would otherwise list 40 call sites).
const MAX_MERGED_LABELS: usize = 6;

/// A label of a finding in another report: that report's index, and the label (its span's file
/// id belongs to that report's source map).
type ForeignLabel = (usize, Label);

/// A place in a file, comparable across reports (each has its own file ids): the file's
/// canonical path and the byte range.
type Place = (PathBuf, u32, u32);

/// Which file a path names, cheaply: device and inode where the platform has them (one `stat`,
/// where canonicalizing a path reads every component of it), else the canonical path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum FileIdentity {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    Path(PathBuf),
}

impl FileIdentity {
    fn of(path: &Path) -> FileIdentity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(meta) = std::fs::metadata(path) {
                return FileIdentity::Inode(meta.dev(), meta.ino());
            }
        }
        FileIdentity::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// A file another report of the run read as a `templatefile()` template is text of Terraform's
/// template language until its variables are filled: read on its own, a `${name}` is a literal
/// and a `%{ for }` directive is a syntax error. Such a file is linted through its callers only:
/// its own report keeps no findings and no input errors (the callers' reports carry what the
/// rendered text shows, located in the template).
fn drop_template_reports(files: &mut [FileReport]) {
    let mut templates: HashSet<FileIdentity> = files
        .iter()
        .flat_map(|f| f.sources.templates())
        .map(|t| FileIdentity::of(&t.path))
        .collect();
    // Calls in attributes the frontend does not evaluate (a stack's `template_body`): the
    // literal path of each `templatefile("${path.module}/x", ...)` of a `.tf` file of the run.
    for file in files.iter() {
        let main = file.sources.main();
        if main.path.extension().is_some_and(|e| e == "tf") {
            let folder = main.path.parent().unwrap_or(Path::new(""));
            for rel in templatefile_paths(&main.text) {
                templates.insert(FileIdentity::of(&folder.join(rel)));
            }
        }
    }
    if templates.is_empty() {
        return;
    }
    for file in files.iter_mut() {
        if templates.contains(&FileIdentity::of(&file.sources.main().path)) {
            file.findings.clear();
            file.errors.clear();
        }
    }
}

/// The first argument of each `templatefile(...)` call in `text` that is a string literal,
/// relative to the module (`"${path.module}/x.json"`, `"x.json"`); others are skipped.
fn templatefile_paths(text: &str) -> Vec<&str> {
    text.match_indices("templatefile(")
        .filter_map(|(at, call)| {
            let rest = text.get(at + call.len()..)?.trim_start();
            let rest = rest.strip_prefix('"')?;
            let literal = &rest[..rest.find('"')?];
            let rel = literal.strip_prefix("${path.module}/").unwrap_or(literal);
            (!rel.contains("${") && !rel.starts_with('/') && !rel.contains("..")).then_some(rel)
        })
        .collect()
}

/// One finding seen from several files (a module's statement linted on its own and through each
/// module call, a JSON file found by the walk and loaded by `file()` in a `.tf`) is kept once:
/// the first copy in path order, with the related labels (call chains) of the others added.
/// The same goes for input errors.
fn dedup_across_files(files: &mut [FileReport]) {
    if files.len() < 2 {
        return;
    }
    // Every source path's file, found once (`./x.json` and `x.json` are one file).
    let mut identity: HashMap<PathBuf, FileIdentity> = HashMap::new();
    // Only a file read by two or more reports can hold the same finding twice; the rest (most
    // files of a tree) need no keys.
    let mut readers: HashMap<FileIdentity, usize> = HashMap::new();
    for file in files.iter() {
        let mut mine: Vec<FileIdentity> = file
            .sources
            .files()
            .iter()
            .map(|f| {
                identity
                    .entry(f.path.clone())
                    .or_insert_with(|| FileIdentity::of(&f.path))
                    .clone()
            })
            .collect();
        mine.sort_unstable();
        mine.dedup();
        for id in mine {
            *readers.entry(id).or_default() += 1;
        }
    }
    // The files read more than once are keyed by canonical path: hard links are one inode but two
    // files to the user.
    let canonical: HashMap<&PathBuf, PathBuf> = identity
        .iter()
        .filter(|(_, id)| readers.get(*id).copied().unwrap_or(0) > 1)
        .map(|(path, _)| {
            let c = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            (path, c)
        })
        .collect();
    // How many reports read each shared file, by canonical path (for fixes, below).
    let readers_of: HashMap<&PathBuf, usize> = canonical
        .iter()
        .map(|(path, c)| {
            (
                c,
                identity
                    .get(*path)
                    .and_then(|id| readers.get(id))
                    .copied()
                    .unwrap_or(0),
            )
        })
        .collect();
    let place = |sources: &SourceMap, span: Span| -> Option<Place> {
        let path = &sources.get(span.file).path;
        canonical
            .get(path)
            .map(|c| (c.clone(), span.start, span.end))
    };
    type FindingKey = (Place, RuleId, std::sync::Arc<str>, bool);
    let mut seen: HashMap<FindingKey, (usize, usize)> = HashMap::new();
    let mut seen_errors: HashSet<(Place, String)> = HashSet::new();
    // (kept at, labels from another file)
    let mut merges: Vec<((usize, usize), Vec<ForeignLabel>)> = Vec::new();
    let mut drop: Vec<Vec<bool>> = Vec::with_capacity(files.len());
    // Reports that gave each finding with a fix to apply.
    let mut producers: HashMap<FindingKey, usize> = HashMap::new();
    for (fi, file) in files.iter_mut().enumerate() {
        let mut dropped = vec![false; file.findings.len()];
        for (ji, f) in file.findings.iter().enumerate() {
            let Some(at) = place(&file.sources, f.span) else {
                continue;
            };
            let key = (at, f.rule, f.message.clone(), f.suppressed);
            if f.fix.as_ref().is_some_and(|x| !x.edits.is_empty()) {
                *producers.entry(key.clone()).or_default() += 1;
            }
            match seen.get(&key) {
                Some(&at) if at.0 != fi => {
                    dropped[ji] = true;
                    let labels = f.related.iter().map(|l| (fi, l.clone())).collect();
                    merges.push((at, labels));
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (fi, ji));
                }
            }
        }
        drop.push(dropped);
        file.errors.retain(
            |e| match e.span.and_then(|span| place(&file.sources, span)) {
                Some(at) => seen_errors.insert((at, e.message.clone())),
                None => true,
            },
        );
    }
    // A fix to a file other reports read too must hold for every one of them.
    for (key, (fi, ji)) in &seen {
        let made = producers.get(key).copied().unwrap_or(0);
        let read = readers_of.get(&key.0 .0).copied().unwrap_or(0);
        if let Some(fix) = files[*fi]
            .findings
            .get_mut(*ji)
            .and_then(|f| f.fix.as_mut())
        {
            crate::fix::apply::withhold(fix, read, made);
        }
    }
    // Labels added to a finding from other files, and how many were left out past the cap.
    let mut added: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    for ((fi, ji), labels) in merges {
        let count = added.entry((fi, ji)).or_default();
        for (from, Label { span, note }) in labels {
            let Some((file, other)) = two_reports(files, fi, from) else {
                continue;
            };
            let Some(f) = file.findings.get_mut(ji) else {
                continue;
            };
            let src = other.sources.get(span.file);
            // The two reports may spell one file differently (`./m/main.tf`, `e/../m/main.tf`).
            let same_file = |path: &Path| {
                path == src.path
                    || crate::root::normalize(&crate::root::absolute(path))
                        == crate::root::normalize(&crate::root::absolute(&src.path))
            };
            let known = f.related.iter().any(|l| {
                l.note == note
                    && (l.span.start, l.span.end) == (span.start, span.end)
                    && same_file(&file.sources.get(l.span.file).path)
            });
            if known {
                continue;
            }
            if count.0 >= MAX_MERGED_LABELS {
                count.1 += 1;
                continue;
            }
            let id = file.sources.find_or_add(&src.path, &src.text);
            let label = Label {
                span: Span::new(id, span.start as usize, span.end as usize),
                note,
            };
            if label.span != f.span {
                f.related.push(label);
                count.0 += 1;
            }
        }
    }
    for ((fi, ji), (_, left_out)) in added {
        if left_out == 0 {
            continue;
        }
        if let Some(label) = files[fi]
            .findings
            .get_mut(ji)
            .and_then(|f| f.related.last_mut())
        {
            label.note = format!("{} (and {left_out} more from other callers)", label.note).into();
        }
    }
    for (file, dropped) in files.iter_mut().zip(drop) {
        if dropped.iter().any(|d| *d) {
            let mut flags = dropped.into_iter();
            file.findings.retain(|_| !flags.next().unwrap_or(false));
        }
    }
}

/// Report `at` to change and report `from` to read, when they are two reports.
fn two_reports(
    files: &mut [FileReport],
    at: usize,
    from: usize,
) -> Option<(&mut FileReport, &FileReport)> {
    if at < from {
        let (head, tail) = files.split_at_mut(from);
        Some((head.get_mut(at)?, tail.first()?))
    } else if from < at {
        let (head, tail) = files.split_at_mut(at);
        Some((tail.first_mut()?, head.get(from)?))
    } else {
        None
    }
}

/// Open editor buffers (`iamlint server`): canonical path → the text to lint instead of the file's.
pub type Overlay = HashMap<PathBuf, String>;

fn lint_discovered(
    d: Discovered,
    opts: &LintOptions,
    overlay: Option<&Overlay>,
) -> Option<(FileReport, Option<Facts>)> {
    match d {
        Discovered::File {
            path,
            explicit,
            root,
        } => match overlay
            .and_then(|o| o.get(&crate::root::canonical(&path)))
            .map(|text| Ok(text.clone()))
            .unwrap_or_else(|| read_text(&root, &path, explicit))
        {
            Ok(text) => {
                let (report, facts) = lint_text_facts(&path, text, Some(root), opts);
                // A file found by walking (or any file, with `skip_non_policies`) that is not a policy
                // (`package.json`, a broken `tsconfig.json`) is skipped. Frontends mark a malformed
                // file as recognised when it looks like a policy or template, so that one is reported.
                let named = explicit && !opts.skip_non_policies;
                (report.recognised || named).then_some((report, facts))
            }
            Err(message) => Some((error_report(&path, message), None)),
        },
        Discovered::Error { path, message } => Some((error_report(&path, message), None)),
        Discovered::Skipped { .. } => None,
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

/// A linted file's text: inside its root by the path rule, a regular file of at most
/// [`crate::root::MAX_LINTED_BYTES`] (a FIFO or device found any way is refused before a byte
/// is read) with one hard link ([`crate::root::read_linted`]).
fn read_text(root: &Path, path: &Path, named: bool) -> Result<String, String> {
    let bytes = crate::root::read_linted(root, path, named)
        .map_err(|r| format!("cannot read file: {}", r.reason()))?;
    crate::source::bytes_to_text(bytes)
}

/// Lints one file's text (also used for stdin).
pub fn lint_text(path: &Path, text: String, opts: &LintOptions) -> FileReport {
    lint_text_in(path, text, None, opts)
}

/// [`lint_text`] with the repository root its reads stay in (default: the root of `path`).
pub fn lint_text_in(
    path: &Path,
    text: String,
    root: Option<PathBuf>,
    opts: &LintOptions,
) -> FileReport {
    lint_text_facts(path, text, root, opts).0
}

/// [`lint_text_in`], with what the file tells about principals ([`crate::principal::Facts`])
/// when `privilege-escalation` is enabled or [`LintOptions::principals`] asks for them.
fn lint_text_facts(
    path: &Path,
    text: String,
    root: Option<PathBuf>,
    opts: &LintOptions,
) -> (FileReport, Option<Facts>) {
    let main = SourceFile::new(path, text);
    let mut sources = match root {
        Some(root) => SourceMap::with_root(main, root),
        None => SourceMap::new(main),
    };
    let format = discover::detect_format(path, &sources.main().text);
    let mut model = frontend::parse_with(&mut sources, format, &opts.frontend);
    let findings = run_rules(&model, &sources, opts);
    let facts = (opts.principals || opts.enabled(RuleId::PrivilegeEscalation))
        .then(|| Facts::take(&mut model, &sources))
        .flatten();
    let errors = model
        .errors
        .into_iter()
        .map(|e| whole_characters(e, &sources))
        .collect();
    let report = FileReport {
        sources,
        findings,
        errors,
        recognised: model.recognised,
    };
    (report, facts)
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
    // Before instances and callers merge: a fix to text several documents read must hold for all.
    crate::fix::apply::withhold_shared(&mut findings, model);
    crate::fix::apply::withhold_aliased(&mut findings, sources);
    set_statements(&mut findings, model, sources);
    for finding in &mut findings {
        if let Some(severity) = opts.severity.get(&finding.rule) {
            finding.severity = *severity;
        }
    }
    crate::suppress::apply(&mut findings, model, sources, opts);
    apply_path_ignores(&mut findings, model, sources, opts);
    sort_findings(&mut findings);
    if model.docs.iter().any(|d| !d.origin.via.is_empty())
        || model.attachments.iter().any(|a| !a.origin.via.is_empty())
    {
        findings = merge_instances(findings, model);
    } else {
        findings.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    }
    findings
}

/// Sorts by position, rule and message, stably. Through a list of indexes, then a permutation in
/// place: sorting the findings themselves would borrow a buffer of half of them (77 MB for
/// 800,000 findings).
fn sort_findings(findings: &mut [Finding]) {
    let key = |f: &Finding| (f.span.file, f.span.start, f.span.end, f.rule);
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&findings[a], &findings[b]);
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    });
    // `order[p]` is the finding that goes to position `p`: follow each cycle once.
    for start in 0..order.len() {
        let mut at = start;
        while order[at] != start {
            let next = order[at];
            findings.swap(at, next);
            order[at] = at;
            at = next;
        }
        order[at] = at;
    }
}

/// Collapses findings with the same rule, span and message (one statement seen through several
/// `for_each` instances or module calls) into one, and adds the way each was reached
/// ([`crate::model::Origin::via`]) as related labels: instance keys sharing a label are listed
/// together. `findings` must be sorted so that equal findings are adjacent.
fn merge_instances(findings: Vec<Finding>, model: &FileModel) -> Vec<Finding> {
    let by_path: HashMap<&str, &PolicyDoc> = model
        .docs
        .iter()
        .filter(|d| !d.origin.via.is_empty())
        .map(|d| (d.path.as_str(), d))
        .collect();
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut vias: Vec<&Via> = Vec::new();
    for finding in findings {
        let same = out.last().is_some_and(|last: &Finding| {
            last.rule == finding.rule
                && last.span == finding.span
                && last.message == finding.message
        });
        if !same {
            if let Some(last) = out.last_mut() {
                push_via_labels(last, &vias);
            }
            vias.clear();
        }
        docs_of(&finding, model, &by_path, &mut vias);
        match out.last_mut() {
            Some(last) if same => {
                for label in finding.related {
                    if !last.related.contains(&label) {
                        last.related.push(label);
                    }
                }
            }
            _ => out.push(finding),
        }
    }
    if let Some(last) = out.last_mut() {
        push_via_labels(last, &vias);
    }
    out
}

/// The `via` steps of the documents a finding belongs to: the one its logical path names, else
/// (rules that set no path) every document whose text or unresolved parts hold its span.
fn docs_of<'m>(
    finding: &Finding,
    model: &'m FileModel,
    by_path: &HashMap<&str, &'m PolicyDoc>,
    vias: &mut Vec<&'m Via>,
) {
    // Attachments: the finding is on the policy ARN.
    for att in &model.attachments {
        if !att.origin.via.is_empty() && att.policy_arn.span == finding.span {
            vias.extend(att.origin.via.iter());
        }
    }
    if let Some(path) = &finding.logical_path {
        // Document paths may hold `/` inside instance keys: try every prefix ending before one.
        let cut = path
            .match_indices('/')
            .map(|(i, _)| i)
            .chain([path.len()])
            .find_map(|i| by_path.get(&path[..i]));
        if let Some(doc) = cut {
            vias.extend(doc.origin.via.iter());
        }
        return;
    }
    let span = finding.span;
    // Model order, not the map's, so labels come out the same on every run.
    for doc in model.docs.iter().filter(|d| !d.origin.via.is_empty()) {
        let inside =
            doc.span.file == span.file && doc.span.start <= span.start && span.end <= doc.span.end;
        if inside
            || doc.unresolved.iter().any(|u| u.span == span)
            || doc.problems.iter().any(|p| p.span == span)
            || holds_item(doc, span)
        {
            vias.extend(doc.origin.via.iter());
        }
    }
}

/// True when an action or resource of the document was written at `span`: a module's statement
/// holds values its caller wrote (`resources = var.arns`), outside the document's own text.
fn holds_item(doc: &PolicyDoc, span: Span) -> bool {
    doc.statements.iter().any(|stmt| {
        [&stmt.action, &stmt.resource]
            .into_iter()
            .flatten()
            .any(|list| list.span == span || list.items.iter().any(|i| i.span == span))
    })
}

/// How many instance keys a label lists before "and N more".
const MAX_KEYS_SHOWN: usize = 8;

fn push_via_labels(finding: &mut Finding, vias: &[&Via]) {
    // (span, note) → keys, in first-seen order.
    let mut groups: Vec<(Span, &str, Vec<&str>)> = Vec::new();
    for via in vias {
        let i = match groups
            .iter()
            .position(|(s, n, _)| *s == via.span && *n == via.note)
        {
            Some(i) => i,
            None => {
                groups.push((via.span, &via.note, Vec::new()));
                groups.len() - 1
            }
        };
        if let Some(key) = &via.key {
            if !groups[i].2.contains(&key.as_str()) {
                groups[i].2.push(key);
            }
        }
    }
    let total = groups.len();
    for (shown_groups, (span, note, mut keys)) in groups.into_iter().enumerate() {
        if span == finding.span {
            continue;
        }
        if shown_groups == MAX_MERGED_LABELS {
            // A module called from many places: name the first few call sites only.
            if let Some(last) = finding.related.last_mut() {
                last.note = format!(
                    "{} (and {} more call sites)",
                    last.note,
                    total - MAX_MERGED_LABELS
                )
                .into();
            }
            break;
        }
        let note = if keys.is_empty() {
            note.to_string()
        } else {
            keys.sort_by(|a, b| natural_key(a).cmp(&natural_key(b)));
            let more = keys.len().saturating_sub(MAX_KEYS_SHOWN);
            let shown: Vec<String> = keys
                .iter()
                .take(MAX_KEYS_SHOWN)
                .map(|k| format!("[{k}]"))
                .collect();
            let mut text = format!("{note}: {}", shown.join(", "));
            if more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
            text
        };
        let label = Label {
            span,
            note: crate::finding::shared(&note),
        };
        if !finding.related.contains(&label) {
            finding.related.push(label);
        }
    }
}

/// Sorts `count` indexes as numbers and `for_each` keys as text.
fn natural_key(key: &str) -> (u8, u64, &str) {
    match key.parse::<u64>() {
        Ok(n) => (0, n, key),
        Err(_) => (1, 0, key),
    }
}

/// Sets each finding's [`Finding::statement`]: the digest of the innermost statement holding its
/// primary location, else its first related location in a statement (a value a rule quotes from a
/// variable's default is judged in the statement that reads it). Each statement is hashed once.
fn set_statements(findings: &mut [Finding], model: &FileModel, sources: &SourceMap) {
    if findings.is_empty() {
        return;
    }
    let statements = StatementSids::new(model);
    let mut digests: HashMap<Span, u64> = HashMap::new();
    for finding in findings.iter_mut() {
        let held = std::iter::once(finding.span)
            .chain(finding.related.iter().map(|l| l.span))
            .find_map(|span| statements.span_of(span));
        finding.statement = held.map(|stmt| {
            *digests.entry(stmt).or_insert_with(|| {
                crate::baseline::statement_digest(sources.get(stmt.file).slice(stmt))
            })
        });
    }
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
    // For `unused-suppression` of `[[ignore]]` entries: this file was linted.
    opts.paths.note_file(&sources.main().path, || {
        model
            .docs
            .iter()
            .flat_map(|doc| doc.statements.iter())
            .filter_map(|stmt| stmt.sid.as_ref()?.value.as_str().map(str::to_string))
            .collect()
    });
    let mut per_file: HashMap<crate::FileId, crate::config::FileIgnores<'_>> = HashMap::new();
    // Built on the first `[[ignore]]` entry that names a `Sid`.
    let mut sids: Option<StatementSids<'_>> = None;
    for finding in findings.iter_mut().filter(|f| !f.suppressed) {
        let file = finding.span.file;
        let ignores = per_file
            .entry(file)
            .or_insert_with(|| opts.paths.for_file(&sources.get(file).path));
        if ignores.rules.contains(&finding.rule) {
            finding.suppressed = true;
            continue;
        }
        let covered = ignores.entries.iter().find(|entry| {
            entry.rule == finding.rule
                && entry
                    .line
                    .is_none_or(|line| sources.get(file).position(finding.span.start).line == line)
                && entry.sid.as_deref().is_none_or(|sid| {
                    sids.get_or_insert_with(|| StatementSids::new(model))
                        .of(finding.span)
                        == Some(sid)
                })
        });
        if let Some(entry) = covered {
            finding.suppressed = true;
            opts.paths.mark_used(entry);
        }
    }
}

/// The statements of a file's model by position, to find the `Sid` of the innermost statement
/// holding a span in logarithmic time (a policy with 400,000 statements and as many findings
/// would otherwise be quadratic).
struct StatementSids<'m> {
    /// (file, start, end, sid) in model order, sorted by (file, start); ties keep model order.
    spans: Vec<(crate::FileId, u32, u32, Option<&'m str>)>,
    /// `reach[i]`: the furthest end among `spans[..=i]` of the same file.
    reach: Vec<u32>,
}

impl<'m> StatementSids<'m> {
    fn new(model: &'m FileModel) -> StatementSids<'m> {
        let mut spans: Vec<_> = model
            .docs
            .iter()
            .flat_map(|doc| doc.statements.iter())
            .map(|stmt| {
                let sid = stmt.sid.as_ref().and_then(|sid| sid.value.as_str());
                (stmt.span.file, stmt.span.start, stmt.span.end, sid)
            })
            .collect();
        spans.sort_by_key(|&(file, start, _, _)| (file, start));
        let mut reach = Vec::with_capacity(spans.len());
        for (i, &(file, _, end, _)) in spans.iter().enumerate() {
            let before = match i.checked_sub(1).map(|j| (spans[j].0, reach[j])) {
                Some((f, r)) if f == file => r,
                _ => 0,
            };
            reach.push(before.max(end));
        }
        StatementSids { spans, reach }
    }

    /// The `Sid` of the innermost statement holding `span` (the first in model order among
    /// equally small ones).
    fn of(&self, span: Span) -> Option<&'m str> {
        self.innermost(span).and_then(|i| self.spans[i].3)
    }

    /// The span of the innermost statement holding `span`.
    fn span_of(&self, span: Span) -> Option<Span> {
        self.innermost(span).map(|i| {
            let (file, start, end, _) = self.spans[i];
            Span::new(file, start as usize, end as usize)
        })
    }

    /// The index in `spans` of the innermost statement holding `span`.
    fn innermost(&self, span: Span) -> Option<usize> {
        let upto = self
            .spans
            .partition_point(|&(file, start, _, _)| (file, start) <= (span.file, span.start));
        let mut best: Option<(u32, usize)> = None; // (length, index)
        for i in (0..upto).rev() {
            let (file, start, end, _) = self.spans[i];
            if file != span.file || self.reach[i] < span.end {
                break; // no statement at or before `i` reaches the span's end
            }
            if span.end <= end {
                let len = end - start;
                if best.is_none_or(|(l, j)| len < l || (len == l && i < j)) {
                    best = Some((len, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }
}

/// A file to lint in a [`Plan`], with the repository root of the path it was found from (config
/// discovery stops there).
#[derive(Debug, Clone)]
pub struct Planned {
    pub item: Discovered,
    pub root: PathBuf,
}

/// The files a run lints. A partial run (a file or folder below its repository root) that touches
/// Terraform also lints every `.tf` file of the root, so that a module is seen with its callers
/// and tfvars, and then keeps only the findings with a location in a named path ([`Scope`]).
#[derive(Debug, Default)]
pub struct Plan {
    pub files: Vec<Planned>,
    pub scope: Option<Scope>,
}

impl Plan {
    /// The repository roots of the run: every planned file's and the current folder's (stdin's),
    /// each once. A path the user typed that goes through one must stay inside it
    /// ([`crate::root::read_named`]).
    pub fn roots(&self) -> Vec<PathBuf> {
        let mut roots = vec![crate::root::of(Path::new("."))];
        for planned in &self.files {
            if !roots.contains(&planned.root) {
                roots.push(planned.root.clone());
            }
        }
        roots
    }

    /// True when the run lints more than it reports.
    pub fn is_partial(&self) -> bool {
        self.scope.is_some()
    }
}

/// The named paths of a partial run, canonical: files, and folders (everything inside).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    files: HashSet<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Scope {
    pub fn contains(&self, path: &Path) -> bool {
        let path = crate::root::canonical(path);
        self.files.contains(&path) || self.dirs.iter().any(|d| path.starts_with(d))
    }
}

/// Files Terraform reads besides `.tf`: variable files. Named on their own they only widen the
/// scope; a whole run never lints them as policies.
#[cfg(feature = "native")]
fn is_tfvars(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

#[cfg(feature = "native")]
fn is_tf(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tf"))
}

/// What a run over `root` lints that Terraform reads: every `.tf` file, as the folder walk finds
/// them (ignore files honoured), and every other file of the walk whose name a `.tf` file mentions
/// (a policy loaded with `file()`: its own report and the `.tf`'s share findings). Also whether
/// any of `named` (the names of the files named in `root`) is mentioned. One walk of `root` per
/// run, however many files are named in it. Each `.tf` file is read as a whole run reads it (a
/// regular file of at most [`crate::root::MAX_LINTED_BYTES`]), one at a time: a huge file
/// elsewhere in the repository is not read, and at most one text is held.
#[cfg(feature = "native")]
fn terraform_files(root: &Path, named: &[String]) -> (Vec<PathBuf>, bool) {
    #[cfg(test)]
    tests::WALKS.with(|walks| walks.set(walks.get() + 1));
    let (tf, others): (Vec<PathBuf>, Vec<PathBuf>) = discover::discover(&[root.to_path_buf()])
        .into_iter()
        .filter_map(|d| match d {
            Discovered::File { path, .. } => Some(path),
            Discovered::Error { .. } | Discovered::Skipped { .. } => None,
        })
        .partition(|p| is_tf(p));
    let name_of = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    // The names to look for: the named files', then each other file's.
    let names: Vec<Option<String>> = named
        .iter()
        .map(|n| Some(n.clone()))
        .chain(others.iter().map(|p| name_of(p)))
        .collect();
    let mut mentioned = vec![false; names.len()];
    for file in &tf {
        let Ok(text) = crate::root::read_confined(root, file, crate::root::MAX_LINTED_BYTES)
            .map_err(|_| ())
            .and_then(|bytes| crate::source::bytes_to_text(bytes).map_err(|_| ()))
        else {
            continue;
        };
        for (seen, name) in mentioned.iter_mut().zip(&names) {
            if !*seen {
                *seen = name.as_deref().is_some_and(|n| text.contains(n));
            }
        }
    }
    let named_mentioned = mentioned[..named.len()].iter().any(|&seen| seen);
    let mut out = tf;
    out.extend(
        others
            .into_iter()
            .zip(&mentioned[named.len()..])
            .filter(|(_, seen)| **seen)
            .map(|(p, _)| p),
    );
    (out, named_mentioned)
}

/// `path` (under `root`) relative to the current folder when the current folder is inside `root`
/// (`../examples/main.tf` from `modules/`), as a run from there names files; else as given.
#[cfg(feature = "native")]
fn shown(path: &Path, root: &Path) -> PathBuf {
    let cwd = crate::root::canonical(Path::new("."));
    if let Ok(rel) = path.strip_prefix(&cwd) {
        return rel.to_path_buf();
    }
    match (cwd.strip_prefix(root), path.strip_prefix(root)) {
        (Ok(up), Ok(down)) => up
            .components()
            .map(|_| Path::new(".."))
            .fold(PathBuf::new(), |acc, c| acc.join(c))
            .join(down),
        _ => path.to_path_buf(),
    }
}

/// What a run over `paths` lints. A path that is its repository root (or a folder without one) is
/// a whole run; below the root, Terraform is evaluated over the whole root when the path is a
/// folder, a `.tf` or tfvars file, or a file whose name a `.tf` file of the root mentions (a
/// policy loaded with `file()`), so that findings agree with a run over the root.
#[cfg(feature = "native")]
pub fn plan(paths: &[PathBuf]) -> Plan {
    let mut plan = Plan::default();
    let mut scope = Scope::default();
    // The roots a named path below the root leads into, in order, each walked once after the
    // loop: whether its Terraform is linted whole anyway (a `.tf` file or a folder was named),
    // and the names of its named files of other kinds, looked for in its `.tf` files.
    let mut wanted: Vec<(PathBuf, bool, Vec<String>)> = Vec::new();
    let mut wanted_at: HashMap<PathBuf, usize> = HashMap::new();
    let mut partial = false;
    for path in paths {
        let root = crate::root::of(path);
        for item in discover::discover(std::slice::from_ref(path)) {
            // Variable files are read through their module, never linted alone.
            if matches!(&item, Discovered::File { path, explicit: true, .. } if is_tfvars(path)) {
                continue;
            }
            plan.files.push(Planned {
                item,
                root: root.clone(),
            });
        }
        let canonical = match crate::root::resolve(path) {
            Ok(resolved) => resolved,
            // The path rule: a named path that leads out of its repository is the error entry
            // `discover` made (kept in scope by its name) and nothing else is read for it.
            Err(crate::root::Refusal::Outside(_)) => {
                partial = true;
                scope.files.insert(crate::root::canonical(path));
                continue;
            }
            Err(_) => crate::root::canonical(path),
        };
        if canonical == root {
            scope.dirs.push(canonical);
            continue;
        }
        partial = true;
        let is_dir = canonical.is_dir();
        if is_dir {
            scope.dirs.push(canonical.clone());
        } else {
            scope.files.insert(canonical.clone());
        }
        let terraform = is_dir || is_tf(&canonical) || is_tfvars(&canonical);
        let at = match wanted_at.get(&root) {
            Some(&at) => at,
            // A named file of another kind is looked for in the `.tf` files of a repository (a
            // policy loaded with `file()`); without a `.git` its root is merely its own folder,
            // which may be anything (`/tmp`): it is linted alone.
            None if !terraform && !root.join(".git").exists() => continue,
            None => {
                wanted.push((root.clone(), false, Vec::new()));
                wanted_at.insert(root, wanted.len() - 1);
                wanted.len() - 1
            }
        };
        let (_, whole, names) = &mut wanted[at];
        if terraform {
            *whole = true;
        } else if let Some(name) = canonical.file_name() {
            names.push(name.to_string_lossy().into_owned());
        }
    }
    // Roots whose Terraform is linted whole, with their `.tf` files.
    let mut whole: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for (root, terraform, mut names) in wanted {
        names.sort_unstable();
        names.dedup();
        let (tf, mentioned) = terraform_files(&root, &names);
        if terraform || mentioned {
            whole.push((root, tf));
        }
    }
    if !partial {
        return plan;
    }
    let mut listed: HashSet<PathBuf> = plan
        .files
        .iter()
        .filter_map(|p| match &p.item {
            Discovered::File { path, .. } => Some(crate::root::canonical(path)),
            Discovered::Error { .. } | Discovered::Skipped { .. } => None,
        })
        .collect();
    for (root, tf) in whole {
        for path in tf {
            if listed.insert(crate::root::canonical(&path)) {
                plan.files.push(Planned {
                    item: Discovered::File {
                        path: shown(&path, &root),
                        explicit: false,
                        root: root.clone(),
                    },
                    root: root.clone(),
                });
            }
        }
    }
    plan.scope = Some(scope);
    plan
}

/// Lints a [`Plan`], each file with its own options (its nearest config under the command line's
/// flags). Output order is by canonical path, then position; a partial run keeps the findings and
/// errors located in a named path (primary or related location) and the reports of named files.
pub fn run(
    plan: &Plan,
    opts_for: &(dyn Fn(&Planned) -> std::sync::Arc<LintOptions> + Sync),
) -> Report {
    run_inner(plan, opts_for, false, None).0
}

/// [`run`] with the texts of open editor buffers read instead of their files (`iamlint server`).
pub fn run_with_overlay(
    plan: &Plan,
    opts_for: &(dyn Fn(&Planned) -> std::sync::Arc<LintOptions> + Sync),
    overlay: &Overlay,
) -> Report {
    run_inner(plan, opts_for, false, Some(overlay)).0
}

/// Lints a [`Plan`] for `iamlint principals`: every file's report (a partial run's context files
/// too: the command keeps the principals of the named paths) and the principal model.
pub fn run_principals(
    plan: &Plan,
    opts_for: &(dyn Fn(&Planned) -> std::sync::Arc<LintOptions> + Sync),
) -> (Report, crate::principal::Model) {
    let (report, model) = run_inner(plan, opts_for, true, None);
    (report, model.unwrap_or_default())
}

fn run_inner(
    plan: &Plan,
    opts_for: &(dyn Fn(&Planned) -> std::sync::Arc<LintOptions> + Sync),
    keep_model: bool,
    overlay: Option<&Overlay>,
) -> (Report, Option<crate::principal::Model>) {
    let mut files: Vec<(
        PathBuf,
        FileReport,
        Option<Facts>,
        std::sync::Arc<LintOptions>,
    )> = plan
        .files
        .par_iter()
        .filter_map(|planned| {
            let opts = opts_for(planned);
            match &planned.item {
                Discovered::File {
                    path,
                    explicit,
                    root,
                } => {
                    if (opts.force_exclude || !explicit) && opts.paths.is_excluded(path) {
                        return None;
                    }
                    // A walk has already passed ignored files by; named ones, here.
                    if opts.force_exclude && *explicit && discover::is_ignored(path, root) {
                        return None;
                    }
                }
                // Counted below, never read.
                Discovered::Skipped { .. } => return None,
                Discovered::Error { .. } => {}
            }
            let (report, facts) = lint_discovered(planned.item.clone(), &opts, overlay)?;
            // A partial run names files from the current folder and the root's others from the
            // root: only the canonical path orders them as a run over the root does. A whole run
            // orders by the path as given (one root, one prefix), without a `realpath` per file.
            let path = &report.sources.main().path;
            let key = if plan.is_partial() {
                crate::root::canonical(path)
            } else {
                path.clone()
            };
            Some((key, report, facts, opts))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let options: Vec<std::sync::Arc<LintOptions>> = files.iter().map(|f| f.3.clone()).collect();
    let files: Vec<(FileReport, Option<Facts>)> =
        files.into_iter().map(|(_, r, f, _)| (r, f)).collect();
    let (mut files, facts) = split_facts(files, |i| options[i].clone());
    let mut model = None;
    if keep_model {
        model = Some(crate::principal::build(
            facts.into_iter().map(|(f, _)| f).collect(),
        ));
    } else {
        judge_principals(&mut files, facts);
        drop_template_reports(&mut files);
        dedup_across_files(&mut files);
        if let Some(scope) = &plan.scope {
            keep_in_scope(&mut files, scope);
        }
    }
    let mut skipped = Skipped::default();
    for planned in &plan.files {
        if let Discovered::Skipped { path, kind } = &planned.item {
            if !opts_for(planned).paths.is_excluded(path) {
                match kind {
                    discover::Skip::Symlink => skipped.symlinks += 1,
                    discover::Skip::Special => skipped.special += 1,
                }
            }
        }
    }
    (Report { files, skipped }, model)
}

/// Drops what a partial run does not report: findings with no location in a named path, errors
/// outside them, and the reports of files that were only linted for context and keep nothing.
fn keep_in_scope(files: &mut Vec<FileReport>, scope: &Scope) {
    let mut memo: HashMap<PathBuf, bool> = HashMap::new();
    let mut inside = |path: &Path| -> bool {
        *memo
            .entry(path.to_path_buf())
            .or_insert_with(|| scope.contains(path))
    };
    files.retain_mut(|file| {
        let named = inside(&file.sources.main().path.clone());
        let paths: Vec<PathBuf> = file
            .sources
            .files()
            .iter()
            .map(|f| f.path.clone())
            .collect();
        let at = |span: Span| paths.get(span.file.0 as usize);
        let mut keep = |span: Span| at(span).is_some_and(|p| inside(p));
        file.findings
            .retain(|f| keep(f.span) || f.related.iter().any(|l| keep(l.span)));
        file.errors.retain(|e| match e.span {
            Some(span) => keep(span),
            None => named,
        });
        named || !file.findings.is_empty() || !file.errors.is_empty()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// How many times [`terraform_files`] walked a root on this thread.
        pub(super) static WALKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// The command line's lists replace the config's (`--ignore ""` too: none), the `extend` lists
    /// add to whichever applies, and `--var` settings come after the config's; no flags: the
    /// config as it is (an editor).
    #[test]
    fn command_line_over_config() {
        use crate::vars::VarSetting;
        let var = |name: &str| VarSetting::Value {
            name: name.into(),
            value: "1".into(),
        };
        let config = crate::config::Config {
            select: Some(vec![RuleId::ResourceStar]),
            ignore: vec![RuleId::UnknownAction],
            terraform_vars: vec![var("from_config")],
            ..crate::config::Config::default()
        };
        let plain = LintOptions::from_config(&config, Overrides::default());
        assert_eq!(plain.select, Some(vec![RuleId::ResourceStar]));
        assert_eq!(plain.ignore, vec![RuleId::UnknownAction]);
        assert_eq!(plain.frontend.terraform_vars, vec![var("from_config")]);
        let cli = Overrides {
            select: Some(vec![RuleId::WildcardAction]),
            extend_select: vec![RuleId::RedundantAction],
            ignore: Some(Vec::new()),
            extend_ignore: vec![RuleId::PrivilegeEscalation],
            vars: vec![var("from_cli")],
        };
        let opts = LintOptions::from_config(&config, cli);
        assert_eq!(
            opts.select,
            Some(vec![RuleId::WildcardAction, RuleId::RedundantAction])
        );
        assert_eq!(opts.ignore, vec![RuleId::PrivilegeEscalation]);
        assert_eq!(
            opts.frontend.terraform_vars,
            vec![var("from_config"), var("from_cli")]
        );
        let extend_only = Overrides {
            extend_select: vec![RuleId::RedundantAction],
            ..Overrides::default()
        };
        let opts = LintOptions::from_config(&crate::config::Config::default(), extend_only);
        assert_eq!(opts.select, None, "every rule runs: nothing to extend");
    }

    /// Many files named in one repository (a pre-commit run) cost one walk of it, not one each;
    /// one of them that a `.tf` file loads still brings the Terraform in.
    #[cfg(feature = "native")]
    #[test]
    fn plan_walks_each_root_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = crate::root::canonical(dir.path());
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join("main.tf"), "x = file(\"p7.json\")\n").unwrap();
        let named: Vec<PathBuf> = (0..8)
            .map(|i| {
                let path = root.join(format!("p{i}.json"));
                std::fs::write(&path, "{}").unwrap();
                path
            })
            .collect();
        let before = WALKS.with(std::cell::Cell::get);
        let planned = plan(&named);
        assert_eq!(WALKS.with(std::cell::Cell::get) - before, 1);
        let tf = root.join("main.tf");
        assert!(
            planned.files.iter().any(|p| matches!(&p.item,
                Discovered::File { path, .. } if crate::root::canonical(path) == tf)),
            "the .tf that loads p7.json is linted with it"
        );
    }

    /// The innermost statement's `Sid` by a scan of every statement (the definition).
    fn scanned(model: &FileModel, span: Span) -> Option<&str> {
        model
            .docs
            .iter()
            .flat_map(|doc| doc.statements.iter())
            .filter(|s| {
                s.span.file == span.file && s.span.start <= span.start && span.end <= s.span.end
            })
            .min_by_key(|s| s.span.end - s.span.start)
            .and_then(|s| s.sid.as_ref())
            .and_then(|sid| sid.value.as_str())
    }

    #[test]
    fn statement_sids_agree_with_a_scan_of_every_statement() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            {"Sid": "C", "Effect": "Deny", "Action": ["s3:*", "iam:*"], "Resource": "*"},
            {"Sid": "C", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}"#;
        let mut sources = SourceMap::new(SourceFile::new("p.json", text.to_string()));
        let model = frontend::parse_with(
            &mut sources,
            crate::discover::Format::Json,
            &frontend::FrontendOptions::default(),
        );
        let sids = StatementSids::new(&model);
        let file = crate::source::FileId(0);
        let mut found = 0;
        for start in 0..text.len() {
            for end in [start, start + 1, start + 7, start + 40, text.len()] {
                let span = Span::new(file, start, end.min(text.len()));
                assert_eq!(sids.of(span), scanned(&model, span), "{start}..{end}");
                found += usize::from(sids.of(span).is_some());
            }
        }
        assert!(found > 100, "spans inside statements with a Sid were tried");
    }
}
