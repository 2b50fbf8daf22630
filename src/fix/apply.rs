//! `--fix`: applies the edits of fixes at or below an applicability to the files they came from.
//! Nothing is written unless [`write`] is called; `DisplayOnly` fixes are never applied.
//!
//! A fix never loses data:
//! - an edit only replaces the text of the one literal (or list element, with one separating
//!   comma, or a YAML `- `) that the finding is about: an edit whose span holds any other text
//!   (a variable's default between a list and the literal, a comment) is not applied;
//! - text that several policies of the run read (a template shared by two callers, a module
//!   linted alone and through its callers, a statement evaluated per `for_each` instance) is
//!   only edited when every reader reported the same fix ([`withhold`], called by the engine);
//! - files outside the repository root, symbolic links, files that are not regular and files
//!   changed since they were read are not written;
//! - in YAML, text that an alias reads (a node with an anchor that `*name` or `<<: *name` refers
//!   to) is not edited: the edit would change every node that aliases it (a `Deny` condition's
//!   values, say) or leave the alias pointing at nothing ([`super::yaml::aliased_ranges`]);
//! - every file is checked and every fix computed before the first write, and each file is
//!   written to a temporary file in its folder (permissions kept) then renamed over it, so an
//!   interrupted run or a failed write leaves the file as it was; a UTF-8 byte order mark and
//!   CRLF line endings are kept (the BOM is written back, replacement text gets `\r\n`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::lint::FileReport;
use crate::source::FileId;

/// The new text of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFile {
    pub path: PathBuf,
    pub text: String,
    /// Fixes applied to this file.
    pub fixes: usize,
    /// Each fix applied, where its finding is, in file order (for `--fix` to say what it did).
    pub applied: Vec<Applied>,
    /// The text the fixes were computed from (the file must still hold it when written).
    original: String,
    /// The repository root the file must be inside.
    root: PathBuf,
}

/// One applied fix: the 1-based line and character column of its finding, its rule and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub line: usize,
    pub column: usize,
    pub rule: crate::rules::RuleId,
    pub title: String,
}

impl FixedFile {
    /// The text the fixes were computed from.
    pub fn original(&self) -> &str {
        &self.original
    }
}

/// Whether a fix of this applicability may be applied when up to `max` is allowed.
pub fn allowed(applicability: Applicability, max: Applicability) -> bool {
    applicability != Applicability::DisplayOnly && applicability <= max
}

/// Keeps a fix from being applied when fewer of the policies reading its text (`readers`)
/// reported it (`producers`): a fix right for one caller of a shared template may take a
/// permission from another. The fix is still shown, its title saying why it is not applied.
pub fn withhold(fix: &mut Fix, readers: usize, producers: usize) {
    if producers >= readers || fix.edits.is_empty() {
        return;
    }
    fix.edits.clear();
    // Nothing left to apply: shown, never called safe.
    fix.applicability = Applicability::DisplayOnly;
    fix.title.push_str(&format!(
        " (not applied by `--fix`: {readers} policies read this text and the fix holds for {producers})"
    ));
}

/// Withholds the fixes whose edits touch YAML text that an alias reads (an anchored node that
/// `*name` or `<<: *name` refers to, [`super::yaml::aliased_ranges`]): `--fix` refuses them, so
/// they are shown display-only, their title saying why, and not counted as fixable.
pub fn withhold_aliased(findings: &mut [Finding], sources: &crate::source::SourceMap) {
    let mut shared: std::collections::HashMap<FileId, Vec<std::ops::Range<usize>>> =
        std::collections::HashMap::new();
    for finding in findings.iter_mut() {
        let Some(fix) = finding.fix.as_mut().filter(|x| !x.edits.is_empty()) else {
            continue;
        };
        let aliased = fix.edits.iter().any(|e| {
            let ranges = shared.entry(e.span.file).or_insert_with(|| {
                let file = sources.get(e.span.file);
                match crate::discover::detect_format(&file.path, &file.text) {
                    // Unparsable YAML (`None`) is refused whole by `--fix`, without a model.
                    crate::discover::Format::Yaml => {
                        super::yaml::aliased_ranges(&file.text).unwrap_or_default()
                    }
                    _ => Vec::new(),
                }
            });
            let r = e.span.range();
            ranges
                .iter()
                .any(|s| r.start < s.end && s.start < r.end.max(r.start + 1))
        });
        if aliased {
            fix.edits.clear();
            fix.applicability = Applicability::DisplayOnly;
            fix.title.push_str(
                " (not applied by `--fix`: an alias elsewhere in the file reads this anchored \
                 YAML node, so the edit would change it too; edit by hand)",
            );
        }
    }
}

/// Withholds ([`withhold`]) the fixes of `findings` (one file's, before findings from several
/// instances or callers are merged) whose text more documents of `model` read than reported
/// the same fix.
pub fn withhold_shared(findings: &mut [Finding], model: &crate::model::FileModel) {
    if !findings
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| !x.edits.is_empty()))
    {
        return;
    }
    let readers = |span: crate::source::Span| -> usize {
        model
            .docs
            .iter()
            .filter(|doc| {
                doc.statements.iter().any(|stmt| {
                    (stmt.span.file == span.file
                        && stmt.span.start <= span.start
                        && span.end <= stmt.span.end)
                        || [&stmt.action, &stmt.resource]
                            .into_iter()
                            .flatten()
                            .any(|list| list.items.iter().any(|i| i.span == span))
                })
            })
            .count()
    };
    let mut producers: std::collections::HashMap<
        (
            crate::rules::RuleId,
            crate::source::Span,
            std::sync::Arc<str>,
        ),
        usize,
    > = std::collections::HashMap::new();
    for f in findings.iter() {
        if f.fix.as_ref().is_some_and(|x| !x.edits.is_empty()) {
            *producers
                .entry((f.rule, f.span, f.message.clone()))
                .or_default() += 1;
        }
    }
    for f in findings.iter_mut() {
        let key = (f.rule, f.span, f.message.clone());
        let span = f.span;
        if let Some(fix) = f.fix.as_mut().filter(|x| !x.edits.is_empty()) {
            let made = producers.get(&key).copied().unwrap_or(0);
            withhold(fix, readers(span), made);
        }
    }
}

/// True when `edit` only touches the text of `finding`'s own value: the edit's span holds the
/// finding's span plus at most whitespace, one comma and one YAML list dash; an edit that
/// replaces text (rather than removing it) replaces exactly the finding's span.
fn touches_only_its_literal(text: &str, finding: &Finding, edit: &Edit) -> bool {
    let (e, f) = (edit.span, finding.span);
    if e.file != f.file || f.start < e.start || e.end < f.end {
        return false;
    }
    if !edit.replacement.is_empty() {
        return e == f;
    }
    let (Some(before), Some(after)) = (
        text.get(e.start as usize..f.start as usize),
        text.get(f.end as usize..e.end as usize),
    ) else {
        return false;
    };
    let mut commas = 0;
    let mut dashes = 0;
    for c in before.chars().chain(after.chars()) {
        match c {
            ',' => commas += 1,
            '-' => dashes += 1,
            c if c.is_whitespace() => {}
            _ => return false,
        }
    }
    commas <= 1 && dashes <= 1
}

/// Applies the edits of `findings` (unsuppressed, with fixes allowed under `max`) to `text`, the
/// text of file `file`. A fix whose edits overlap an earlier one is skipped whole (the next run
/// picks it up), as is one whose edits reach beyond its own literal. Returns the new text and
/// the number of fixes applied.
pub fn apply_text<'a>(
    text: &str,
    file: FileId,
    findings: impl IntoIterator<Item = &'a Finding>,
    max: Applicability,
) -> (String, usize) {
    let (text, applied) = apply_in(
        text,
        Some(&[]),
        findings.into_iter().map(|f| (f, file)),
        max,
    );
    (text, applied.len())
}

/// [`apply_text`] over findings from several reports, each with the id its report gives the file.
/// No edit may touch a range of `shared` (YAML text that aliases read); `None`: no edit at all.
fn apply_in<'a>(
    text: &str,
    shared: Option<&[std::ops::Range<usize>]>,
    findings: impl IntoIterator<Item = (&'a Finding, FileId)>,
    max: Applicability,
) -> (String, Vec<Applied>) {
    let Some(shared) = shared else {
        return (text.to_string(), Vec::new());
    };
    let crlf = text.contains("\r\n");
    let mut accepted: Vec<&Edit> = Vec::new();
    let mut applied: Vec<(usize, &Finding)> = Vec::new();
    for (finding, file) in findings {
        if finding.suppressed {
            continue;
        }
        let Some(fix) = &finding.fix else { continue };
        if !allowed(fix.applicability, max) || fix.edits.is_empty() {
            continue;
        }
        if fix.edits.iter().any(|e| e.span.file != file) {
            continue;
        }
        let in_bounds = fix.edits.iter().all(|e| {
            let r = e.span.range();
            r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
        });
        if !in_bounds
            || !fix
                .edits
                .iter()
                .all(|e| touches_only_its_literal(text, finding, e))
        {
            continue;
        }
        let reads_shared = fix.edits.iter().any(|e| {
            let r = e.span.range();
            shared
                .iter()
                .any(|s| r.start < s.end && s.start < r.end.max(r.start + 1))
        });
        if reads_shared {
            continue;
        }
        let overlaps = fix.edits.iter().any(|e| {
            accepted.iter().any(|a| {
                e.span.start < a.span.end && a.span.start < e.span.end
                    || (e.span.is_empty() && a.span.is_empty() && e.span.start == a.span.start)
            })
        });
        if overlaps {
            continue;
        }
        accepted.extend(fix.edits.iter());
        applied.push((finding.span.start as usize, finding));
    }
    accepted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in accepted {
        let r = e.span.range();
        out.push_str(&text[at..r.start]);
        if crlf {
            // The file's line endings: `\n` alone becomes `\r\n`.
            let mut last = '\0';
            for c in e.replacement.chars() {
                if c == '\n' && last != '\r' {
                    out.push('\r');
                }
                out.push(c);
                last = c;
            }
        } else {
            out.push_str(&e.replacement);
        }
        at = r.end;
    }
    out.push_str(&text[at..]);
    applied.sort_by_key(|(start, _)| *start);
    let applied = applied
        .into_iter()
        .map(|(start, finding)| {
            let before = text.get(..start).unwrap_or(text);
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            Applied {
                line: before.matches('\n').count() + 1,
                column: before[line_start..].chars().count() + 1,
                rule: finding.rule,
                title: finding
                    .fix
                    .as_ref()
                    .map(|f| f.title.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    (out, applied)
}

/// The fixed text of every file of a report that has an applicable fix.
pub fn fixed_files(report: &FileReport, max: Applicability) -> Vec<FixedFile> {
    plan([report], max)
}

/// The fixed text of every file the reports' applicable fixes edit. Fixes from several reports
/// to one file (found by its canonical path) are applied together, so none overwrites another.
pub fn plan<'a>(
    reports: impl IntoIterator<Item = &'a FileReport>,
    max: Applicability,
) -> Vec<FixedFile> {
    struct Target<'a> {
        path: PathBuf,
        text: &'a str,
        root: PathBuf,
        findings: Vec<(&'a Finding, FileId)>,
    }
    let mut targets: BTreeMap<PathBuf, Target<'a>> = BTreeMap::new();
    for report in reports {
        for finding in &report.findings {
            let Some(fix) = &finding.fix else { continue };
            if finding.suppressed || !allowed(fix.applicability, max) || fix.edits.is_empty() {
                continue;
            }
            let id = finding.span.file;
            let file = report.sources.get(id);
            let key = crate::root::canonical(&file.path);
            targets
                .entry(key)
                .or_insert_with(|| Target {
                    path: file.path.clone(),
                    text: &file.text,
                    root: report.sources.root().to_path_buf(),
                    findings: Vec::new(),
                })
                .findings
                .push((finding, id));
        }
    }
    targets
        .into_values()
        .filter_map(|t| {
            let shared = match crate::discover::detect_format(&t.path, t.text) {
                crate::discover::Format::Yaml => super::yaml::aliased_ranges(t.text),
                _ => Some(Vec::new()),
            };
            let (text, applied) = apply_in(t.text, shared.as_deref(), t.findings, max);
            (!applied.is_empty() && text != t.text).then(|| FixedFile {
                path: t.path,
                text,
                fixes: applied.len(),
                applied,
                original: t.text.to_string(),
                root: t.root,
            })
        })
        .collect()
}

/// The UTF-8 byte order mark, which the linted text is read without.
const BOM: &str = "\u{feff}";

/// Why a fixed file is not written (`Err`: the path rule refuses it (a link, outside the root, a
/// hard link: [`crate::root::read_confined`]) or it changed since it was read), else whether it
/// starts with a byte order mark (to write back).
fn refusal(fixed: &FixedFile) -> Result<bool, String> {
    let path = &fixed.path;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err("it is a symbolic link: not written".into());
    }
    match crate::root::read_confined(&fixed.root, path, crate::root::MAX_LINTED_BYTES) {
        Ok(bytes) => {
            let bom = bytes.starts_with(BOM.as_bytes());
            match crate::source::bytes_to_text(bytes) {
                Ok(now) if now == fixed.original => Ok(bom),
                _ => Err("it changed since it was read: not written".into()),
            }
        }
        Err(crate::root::Refusal::Outside(_)) => {
            Err("it is outside the repository root: not written".into())
        }
        Err(r) => Err(r.reason()),
    }
}

/// What [`write`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// Fixes applied, over every written file.
    pub fixes: usize,
    /// Files with fixes that were not written, and why (a symlink, outside the root, changed).
    pub refused: Vec<(PathBuf, String)>,
    /// The written files and the fixes applied to each.
    pub applied: Vec<(PathBuf, Vec<Applied>)>,
}

/// Writes the fixed files of every report; returns how many fixes were applied. Every file is
/// checked and every fix computed first; then each file is replaced atomically. An error names
/// the file, which is left as it was.
pub fn write<'a>(
    reports: impl IntoIterator<Item = &'a FileReport>,
    max: Applicability,
) -> std::io::Result<usize> {
    write_all(reports, max).map(|w| w.fixes)
}

/// [`write`], also listing the files it refused to write.
pub fn write_all<'a>(
    reports: impl IntoIterator<Item = &'a FileReport>,
    max: Applicability,
) -> std::io::Result<Written> {
    let mut written = Written::default();
    let mut ready = Vec::new();
    for fixed in plan(reports, max) {
        match refusal(&fixed) {
            Err(why) => written.refused.push((fixed.path, why)),
            Ok(bom) => ready.push((fixed, bom)),
        }
    }
    for (fixed, bom) in ready {
        let text = if bom {
            std::borrow::Cow::Owned(format!("{BOM}{}", fixed.text))
        } else {
            std::borrow::Cow::Borrowed(fixed.text.as_str())
        };
        crate::root::write_confined(&fixed.root, &fixed.path, text.as_bytes()).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "{}: {e} (left unchanged)",
                    crate::text::escape_control(&crate::source::display_path(&fixed.path))
                ),
            )
        })?;
        written.fixes += fixed.fixes;
        written.applied.push((fixed.path, fixed.applied));
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FindingBuilder, Fix, Severity};
    use crate::rules::RuleId;
    use crate::source::Span;

    fn finding_at(
        primary: (usize, usize),
        start: usize,
        end: usize,
        replacement: &str,
        applicability: Applicability,
    ) -> Finding {
        let span = Span::new(FileId(0), start, end);
        let primary = Span::new(FileId(0), primary.0, primary.1);
        FindingBuilder::new(
            RuleId::ResourceStar,
            Severity::Warning,
            primary,
            String::new(),
        )
        .fix(Fix {
            title: String::new(),
            applicability,
            edits: vec![Edit {
                span,
                replacement: replacement.to_string(),
            }],
            snippet: None,
        })
        .build()
    }

    fn finding(
        start: usize,
        end: usize,
        replacement: &str,
        applicability: Applicability,
    ) -> Finding {
        finding_at((start, end), start, end, replacement, applicability)
    }

    #[test]
    fn applies_only_allowed_non_overlapping_edits() {
        let text = r#"["s3:GetObject", "s3:GetObject", "s3:PutObject"]"#;
        let fixes = [
            finding_at((17, 31), 15, 31, "", Applicability::Safe),
            finding(16, 20, "x", Applicability::Safe),
            finding(33, 47, "\"s3:*\"", Applicability::Unsafe),
            finding(1, 3, "zz", Applicability::DisplayOnly),
        ];
        let (out, n) = apply_text(text, FileId(0), &fixes, Applicability::Safe);
        assert_eq!(n, 1);
        assert_eq!(out, r#"["s3:GetObject", "s3:PutObject"]"#);
        let (_, n) = apply_text(text, FileId(0), &fixes, Applicability::Unsafe);
        assert_eq!(n, 2);
    }

    /// `Action = [var.wild, "s3:GetObject"]` with `var.wild`'s default far above: removing the
    /// literal from the end of the default would delete everything between.
    #[test]
    fn an_edit_reaching_past_its_literal_is_not_applied() {
        let text =
            "variable \"wild\" { default = \"s3:*\" }\nAction = [var.wild, \"s3:GetObject\"]";
        let default_end = text.find("\" }").expect("default") + 1;
        let lit = text.find("\"s3:GetObject\"").expect("literal");
        let f = finding_at(
            (lit, lit + 14),
            default_end,
            lit + 14,
            "",
            Applicability::Safe,
        );
        let (out, n) = apply_text(text, FileId(0), [&f], Applicability::Safe);
        assert_eq!(n, 0);
        assert_eq!(out, text);
        // A comment between two items is kept too.
        let text = "[\"s3:*\", # keep\n \"s3:GetObject\"]";
        let lit = text.find("\"s3:GetObject\"").expect("literal");
        let f = finding_at((lit, lit + 14), 7, lit + 14, "", Applicability::Safe);
        assert_eq!(apply_text(text, FileId(0), [&f], Applicability::Safe).1, 0);
        // A YAML item: newline, indentation and the dash.
        let text = "Action:\n  - s3:*\n  - s3:GetObject\n";
        let lit = text.find("s3:GetObject").expect("literal");
        let f = finding_at((lit, lit + 12), 16, lit + 12, "", Applicability::Safe);
        let (out, n) = apply_text(text, FileId(0), [&f], Applicability::Safe);
        assert_eq!((out.as_str(), n), ("Action:\n  - s3:*\n", 1));
    }

    #[test]
    fn a_shared_fix_is_withheld() {
        let mut f = finding(0, 1, "", Applicability::Safe);
        let fix = f.fix.as_mut().expect("fix");
        withhold(fix, 2, 2);
        assert_eq!(fix.edits.len(), 1);
        withhold(fix, 2, 1);
        assert!(fix.edits.is_empty());
        assert!(fix.title.contains("not applied"));
        assert_eq!(fix.applicability, Applicability::DisplayOnly);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_replace_keeps_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("p.json");
        std::fs::write(&path, "old").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        crate::root::replace_atomically(&path, "new").expect("replace");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let left: Vec<_> = std::fs::read_dir(tmp.path()).expect("dir").collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");
    }
}
