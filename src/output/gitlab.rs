//! GitLab Code Quality report (a subset of the Code Climate format), for `artifacts:reports:codequality`:
//!
//! ```json
//! [{"description": "`s3:*` allows all actions of `s3`", "check_name": "wildcard-action",
//!   "fingerprint": "9c1e0d4b7a2f6e13", "severity": "major",
//!   "location": {"path": "policies/ci.json", "lines": {"begin": 4, "end": 4}}}]
//! ```
//!
//! Severities: error → `major`, warning → `minor`, info → `info`; a file that cannot be read or
//! parsed → `critical` (nothing in it was checked). Fingerprints are the baseline's (stable across
//! line moves, so GitLab tracks a finding between the base and head of a merge request), with an
//! occurrence number mixed in for repeats so that every fingerprint in a report is unique.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;

use super::Resolver;
use crate::baseline::{fingerprint_in, Fnv};
use crate::finding::Severity;
use crate::lint::Report;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

pub(super) fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut issues = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut unique = |print: String| {
        let n = seen.entry(print.clone()).or_default();
        *n += 1;
        if *n == 1 {
            print
        } else {
            let mut h = Fnv::new();
            h.write(print.as_bytes());
            h.write(&n.to_le_bytes());
            format!("{:016x}", h.finish())
        }
    };
    for file in &report.files {
        let r = Resolver::new(&file.sources);
        for error in &file.errors {
            let id = error.span.map_or(error.file, |s| s.file);
            let (begin, end) = error.span.map_or((1, 1), |s| {
                let region = r.region(s);
                (region.start.line, region.end.line)
            });
            let path = r.path(id).to_string();
            let mut h = Fnv::new();
            for part in ["parse-error", path.as_str(), error.message.as_str()] {
                h.write(part.as_bytes());
                h.write(&[0]);
            }
            issues.push(Issue {
                description: error.message.clone(),
                check_name: "parse-error",
                fingerprint: unique(format!("{:016x}", h.finish())),
                severity: "critical",
                location: Location {
                    path,
                    lines: Lines { begin, end },
                },
            });
        }
        for f in file.active() {
            let region = r.region(f.span);
            issues.push(Issue {
                description: f.message.clone(),
                check_name: f.rule.id(),
                fingerprint: unique(fingerprint_in(file, f, None)),
                severity: match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                location: Location {
                    path: r.path(f.span.file).to_string(),
                    lines: Lines {
                        begin: region.start.line,
                        end: region.end.line,
                    },
                },
            });
        }
    }
    serde_json::to_writer_pretty(&mut *w, &issues)?;
    writeln!(w)
}
