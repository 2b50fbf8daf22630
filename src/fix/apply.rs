//! `--fix`: applies the edits of fixes at or below an applicability to the files they came from.
//! Nothing is written unless [`write`] is called; `DisplayOnly` fixes are never applied.

use std::path::PathBuf;

use crate::finding::{Applicability, Edit, Finding};
use crate::lint::FileReport;
use crate::source::FileId;

/// The new text of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFile {
    pub path: PathBuf,
    pub text: String,
    /// Fixes applied to this file.
    pub fixes: usize,
}

/// Whether a fix of this applicability may be applied when up to `max` is allowed.
pub fn allowed(applicability: Applicability, max: Applicability) -> bool {
    applicability != Applicability::DisplayOnly && applicability <= max
}

/// Applies the edits of `findings` (unsuppressed, with fixes allowed under `max`) to `text`, the
/// text of file `file`. A fix whose edits overlap an earlier one is skipped whole (the next run
/// picks it up). Returns the new text and the number of fixes applied.
pub fn apply_text<'a>(
    text: &str,
    file: FileId,
    findings: impl IntoIterator<Item = &'a Finding>,
    max: Applicability,
) -> (String, usize) {
    let mut accepted: Vec<&Edit> = Vec::new();
    let mut count = 0;
    for finding in findings {
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
        let overlaps = fix.edits.iter().any(|e| {
            accepted.iter().any(|a| {
                e.span.start < a.span.end && a.span.start < e.span.end
                    || (e.span.is_empty() && a.span.is_empty() && e.span.start == a.span.start)
            })
        });
        if !in_bounds || overlaps {
            continue;
        }
        accepted.extend(fix.edits.iter());
        count += 1;
    }
    accepted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in accepted {
        let r = e.span.range();
        out.push_str(&text[at..r.start]);
        out.push_str(&e.replacement);
        at = r.end;
    }
    out.push_str(&text[at..]);
    (out, count)
}

/// The fixed text of every file of a report that has an applicable fix.
pub fn fixed_files(report: &FileReport, max: Applicability) -> Vec<FixedFile> {
    let mut out = Vec::new();
    for (i, file) in report.sources.files().iter().enumerate() {
        let id = FileId(u32::try_from(i).unwrap_or(u32::MAX));
        let (text, fixes) = apply_text(&file.text, id, &report.findings, max);
        if fixes > 0 && text != file.text {
            out.push(FixedFile {
                path: file.path.clone(),
                text,
                fixes,
            });
        }
    }
    out
}

/// Writes the fixed files of every report; returns how many fixes were applied.
pub fn write<'a>(
    reports: impl IntoIterator<Item = &'a FileReport>,
    max: Applicability,
) -> std::io::Result<usize> {
    let mut total = 0;
    for report in reports {
        for fixed in fixed_files(report, max) {
            std::fs::write(&fixed.path, &fixed.text)?;
            total += fixed.fixes;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FindingBuilder, Fix, Severity};
    use crate::rules::RuleId;
    use crate::source::Span;

    fn finding(
        start: usize,
        end: usize,
        replacement: &str,
        applicability: Applicability,
    ) -> Finding {
        let span = Span::new(FileId(0), start, end);
        FindingBuilder::new(RuleId::ResourceStar, Severity::Warning, span, String::new())
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

    #[test]
    fn applies_only_allowed_non_overlapping_edits() {
        let text = r#"["s3:GetObject", "s3:GetObject", "s3:PutObject"]"#;
        let fixes = [
            finding(15, 31, "", Applicability::Safe),
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
}
