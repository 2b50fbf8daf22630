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
//! Issues are written as they are made (the same bytes as one pretty-printed array), so a run
//! with many findings never holds the report's text at once.

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
    let mut out = Issues { w, first: true };
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
            out.push(&Issue {
                description: error.message.clone(),
                check_name: "parse-error",
                fingerprint: unique(format!("{:016x}", h.finish())),
                severity: "critical",
                location: Location {
                    path,
                    lines: Lines { begin, end },
                },
            })?;
        }
        for f in file.active() {
            let region = r.region(f.span);
            out.push(&Issue {
                description: f.message.to_string(),
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
            })?;
        }
    }
    out.finish()
}

/// The report's array, written one issue at a time.
struct Issues<'w> {
    w: &'w mut dyn Write,
    first: bool,
}

impl Issues<'_> {
    /// One element, indented as `serde_json::to_writer_pretty` indents it inside the array.
    fn push(&mut self, issue: &Issue<'_>) -> io::Result<()> {
        let text = serde_json::to_string_pretty(issue)?;
        self.w.write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.w.write_all(b"\n")?;
            }
            self.w.write_all(b"  ")?;
            self.w.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        self.w
            .write_all(if self.first { b"[]\n" } else { b"\n]\n" })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn issue(n: u32) -> Issue<'static> {
        Issue {
            description: format!("`s3:*` \"quoted\"\nsecond line {n}"),
            check_name: "wildcard-action",
            fingerprint: format!("{n:016x}"),
            severity: "major",
            location: Location {
                path: format!("policies/{n}.json"),
                lines: Lines {
                    begin: n,
                    end: n + 1,
                },
            },
        }
    }

    /// Streaming writes the bytes one pretty-printed array would have.
    #[test]
    fn issues_written_one_at_a_time_are_the_pretty_printed_array() {
        for count in [0, 1, 3] {
            let all: Vec<Issue<'static>> = (0..count).map(issue).collect();
            let mut expected = serde_json::to_vec_pretty(&all).unwrap();
            expected.push(b'\n');
            let mut streamed = Vec::new();
            let mut out = Issues {
                w: &mut streamed,
                first: true,
            };
            for i in &all {
                out.push(i).unwrap();
            }
            out.finish().unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }
}
