//! Suppressions: inline `iamlint: ignore[rule-id] reason` comments collected by the frontends.
//! Suppressed findings are marked, not dropped, so output can count them.
//!
//! Frontends find comments in their own syntax (HCL `#`/`//`, YAML `#`), hand the text after the
//! comment marker to [`crate::directive::parse_directive`], and decide the scope (the comment's line, or the node
//! starting on the next line). Everything after that is format-blind and lives here: matching
//! findings ([`apply`]), reporting comments that are malformed ([`problems`], used by
//! `invalid-suppression`) and comments that suppress nothing (`unused-suppression`, from
//! [`apply`]).

use crate::finding::Finding;
use crate::lint::LintOptions;
use crate::model::{FileModel, Suppression};
use crate::rule_id::RuleId;
use crate::source::{FileId, SourceMap, Span};

/// What is wrong with a suppression comment: each problem's span and message. A suppression with
/// problems still suppresses its known ids if it has a reason.
pub fn problems(s: &Suppression) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    if s.rules.is_empty() {
        out.push((
            s.span,
            "suppression names no rule: write `iamlint: ignore[rule-id] reason`".to_string(),
        ));
    }
    for rule in &s.rules {
        if RuleId::parse(&rule.value).is_none() {
            let hint = match RuleId::suggest(&rule.value) {
                Some(id) => format!(" (did you mean `{id}`?)"),
                None => String::new(),
            };
            out.push((
                rule.span,
                format!("`{}` is not a rule id{hint}", rule.value),
            ));
        }
    }
    if s.reason.is_none() && !s.rules.is_empty() {
        out.push((
            s.span,
            "suppression has no reason, so it suppresses nothing: say why after `]`".to_string(),
        ));
    }
    out
}

/// Marks every finding covered by a valid suppression comment, then reports the suppressions of
/// the main file that matched nothing (`unused-suppression`, when enabled).
pub fn apply(
    findings: &mut Vec<Finding>,
    model: &FileModel,
    _sources: &SourceMap,
    opts: &LintOptions,
) {
    let sups = &model.suppressions;
    let mut used: Vec<Vec<bool>> = sups.iter().map(|s| vec![false; s.rules.len()]).collect();
    mark(findings, sups, &mut used);
    if !opts.enabled(RuleId::UnusedSuppression) {
        return;
    }
    let mut unused = Vec::new();
    for (s, used) in sups.iter().zip(&used) {
        // Suppressions of other files (borrowed with a definition) are judged in their own run.
        if s.reason.is_none() || s.span.file != FileId(0) {
            continue;
        }
        for (rule, used) in s.rules.iter().zip(used) {
            let Some(id) = RuleId::parse(&rule.value) else {
                continue;
            };
            if *used || id == RuleId::UnusedSuppression {
                continue;
            }
            let message = if opts.enabled(id) {
                format!("`{id}` is suppressed here but reports nothing")
            } else {
                format!("`{id}` is suppressed here but the rule is not enabled")
            };
            let mut finding = RuleId::UnusedSuppression
                .finding(rule.span, message)
                .help("remove it from the comment (or the whole comment)")
                .build();
            if let Some(sev) = opts.severity.get(&RuleId::UnusedSuppression) {
                finding.severity = *sev;
            }
            unused.push(finding);
        }
    }
    let mut ignored = used;
    mark(&mut unused, sups, &mut ignored);
    findings.extend(unused);
}

/// `unused-suppression` for the `[[ignore]]` entries of one config (`opts.paths`) after a run:
/// an entry whose `path` matched a linted file but that suppressed nothing (with a did-you-mean
/// for a misspelt `sid`, against the `Sid`s of the files it matched), and, when `whole` (the run
/// linted every file under the config's folder), one whose `path` matched no file. The findings
/// are located in the config file, in a report of their own; `None` when there are none or the
/// rule is not enabled for this config. A partial run gives the files it names (`named`): only
/// entries about those are judged, so that linting one file never reports another's entry.
pub fn unused_ignore_entries(
    opts: &LintOptions,
    whole: bool,
    named: Option<&[&std::path::Path]>,
) -> Option<crate::lint::FileReport> {
    if !opts.enabled(RuleId::UnusedSuppression) {
        return None;
    }
    let (path, text) = opts.paths.origin()?;
    let mut findings = Vec::new();
    for unused in opts.paths.unused() {
        let entry = unused.entry;
        if let Some(named) = named {
            if !named.iter().any(|p| opts.paths.entry_matches(entry, p)) {
                continue;
            }
        }
        let rule = entry.rule;
        let message = if !unused.matched {
            if !whole {
                continue;
            }
            format!(
                "`[[ignore]]` entry's path `{}` matches no linted file",
                entry.path
            )
        } else if let Some(sid) = entry
            .sid
            .as_deref()
            .filter(|sid| !unused.sids_seen.iter().any(|s| s == sid))
        {
            let hint =
                crate::config::did_you_mean(sid, unused.sids_seen.iter().map(String::as_str))
                    .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
            format!(
                "`[[ignore]]` entry names `sid = \"{sid}\"`, which no statement in `{}` has{hint}",
                entry.path
            )
        } else if !opts.enabled(rule) {
            format!(
                "`[[ignore]]` entry for `{rule}` in `{}` suppresses nothing: the rule is not enabled",
                entry.path
            )
        } else {
            format!(
                "`[[ignore]]` entry for `{rule}` in `{}` suppresses nothing",
                entry.path
            )
        };
        let (start, end) = entry.span;
        let span = Span::new(FileId(0), start as usize, (end as usize).min(text.len()));
        let mut finding = RuleId::UnusedSuppression
            .finding(span, message)
            .help("remove the entry, or correct its `path`, `rule`, `sid` or `line`")
            .build();
        if let Some(sev) = opts.severity.get(&RuleId::UnusedSuppression) {
            finding.severity = *sev;
        }
        findings.push(finding);
    }
    if findings.is_empty() {
        return None;
    }
    Some(crate::lint::FileReport {
        sources: SourceMap::new(crate::source::SourceFile::new(path, text.to_string())),
        findings,
        errors: Vec::new(),
        recognised: true,
    })
}

fn mark(findings: &mut [Finding], sups: &[Suppression], used: &mut [Vec<bool>]) {
    for finding in findings.iter_mut() {
        for (s, used) in sups.iter().zip(used.iter_mut()) {
            if s.reason.is_none() || !s.scope.is_none_or(|scope| covers(scope, finding)) {
                continue;
            }
            if s.scope.is_none() && s.span.file != finding.span.file {
                // A file-wide comment covers its own file.
                continue;
            }
            for (rule, used) in s.rules.iter().zip(used.iter_mut()) {
                if RuleId::parse(&rule.value) == Some(finding.rule) {
                    finding.suppressed = true;
                    *used = true;
                }
            }
        }
    }
}

fn covers(scope: Span, finding: &Finding) -> bool {
    std::iter::once(finding.span)
        .chain(finding.related.iter().map(|l| l.span))
        .any(|span| {
            span.file == scope.file
                && span.start >= scope.start
                && span.start < scope.end.max(scope.start + 1)
        })
}
