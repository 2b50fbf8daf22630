//! Baselines: record today's findings once (`--write-baseline FILE`), then report only new ones
//! (`--baseline FILE`), so an existing repo can adopt iamlint today and fix the backlog later.
//!
//! A finding is identified by a fingerprint of its rule, its file (relative to the baseline's
//! folder), its logical path with list positions dropped (`Statement/Action`), the text of the
//! statement it is about and its flagged text, both with whitespace removed. Line numbers and
//! positions play no part, so moving a statement, adding lines or statements around it or
//! reformatting the file keeps the fingerprint; changing the statement or the flagged text makes
//! the finding new. So a new `"Resource": "*"` statement is never taken for a baselined one: its
//! statement differs. Only findings of identical statements (a statement written twice) share a
//! fingerprint; they are matched by count, so a baseline with one hides one, and the copy is
//! reported.
//!
//! ```json
//! {
//!   "version": 2,
//!   "findings": [
//!     {"fingerprint": "5f0c2b7e9a1d3c44", "rule": "resource-star", "path": "policies/ci.json",
//!      "message": "..."}
//!   ]
//! }
//! ```
//!
//! `rule`, `path` and `message` are there for people reading the file in review; only
//! `fingerprint` is matched. Version 1 fingerprints left the statement out (every `"*"` of a file
//! was one fingerprint, matched by count, so a new one could hide behind an old one); a version 1
//! baseline is refused with a message to write it again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::lint::{FileReport, Report};
use crate::root::{absolute, normalize};
use crate::rules::RuleId;

/// The baseline file format version this build writes and reads.
pub const VERSION: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{}: cannot read baseline: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: not an iamlint baseline: {message}", path.display())]
    Format { path: PathBuf, message: String },
    #[error("{}: cannot write baseline: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    rule: String,
    fingerprint: String,
    message: String,
}

/// A loaded baseline: how many findings of each fingerprint are known.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Folder that finding paths are taken relative to.
    root: PathBuf,
    counts: HashMap<String, usize>,
    /// Each fingerprint's file as the baseline records it (relative to `root`).
    paths: HashMap<String, String>,
}

/// What applying a baseline did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Findings hidden because the baseline knows them.
    pub matched: usize,
    /// Baseline entries that matched nothing (fixed since, or their text changed).
    pub unmatched: usize,
}

impl Baseline {
    /// Reads the baseline the user named with `--baseline`: anywhere outside the run's
    /// repository roots `roots`, but inside the root it goes through, symlinks resolved, when it
    /// is in one (a pull request may turn the committed baseline into a link):
    /// [`crate::root::read_named`]. A regular file of at most
    /// [`crate::root::MAX_LINTED_BYTES`] (a baseline of a large tree is large).
    pub fn load(path: &Path, roots: &[PathBuf]) -> Result<Baseline, BaselineError> {
        let read_error = |message: String| BaselineError::Read {
            path: path.to_path_buf(),
            message,
        };
        let bytes = crate::root::read_named(roots, path, crate::root::MAX_LINTED_BYTES)
            .map_err(|r| read_error(r.reason()))?;
        let text = String::from_utf8(bytes).map_err(|_| read_error("not UTF-8 text".into()))?;
        let file: BaselineFile =
            serde_json::from_str(&text).map_err(|e| BaselineError::Format {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if file.version == 1 {
            return Err(BaselineError::Format {
                path: path.to_path_buf(),
                message: format!(
                    "version 1 fingerprints do not tell statements apart (a new finding could \
                     match an old one): write it again with `--write-baseline` (version {VERSION})"
                ),
            });
        }
        if file.version != VERSION {
            return Err(BaselineError::Format {
                path: path.to_path_buf(),
                message: format!(
                    "version {} is not supported (this iamlint reads version {VERSION})",
                    file.version
                ),
            });
        }
        let mut counts = HashMap::new();
        let mut paths = HashMap::new();
        for entry in file.findings {
            *counts.entry(entry.fingerprint.clone()).or_default() += 1;
            paths.insert(entry.fingerprint, entry.path);
        }
        Ok(Baseline {
            root: root_of(path),
            counts,
            paths,
        })
    }

    /// Marks every finding the baseline knows as suppressed, in output order, up to the number
    /// of times the baseline holds its fingerprint.
    pub fn apply(&self, report: &mut Report) -> Applied {
        self.apply_within(report, |_| true)
    }

    /// [`Baseline::apply`] for a partial run: only the unmatched entries of files for which
    /// `linted` is true are counted (the other files were not looked at).
    pub fn apply_within(&self, report: &mut Report, linted: impl Fn(&Path) -> bool) -> Applied {
        let mut left = self.counts.clone();
        let mut applied = Applied::default();
        for file in &mut report.files {
            let prints: Vec<Option<String>> = file
                .findings
                .iter()
                .map(|f| (!f.suppressed).then(|| fingerprint_in(file, f, Some(&self.root))))
                .collect();
            for (finding, print) in file.findings.iter_mut().zip(prints) {
                let Some(print) = print else { continue };
                if let Some(n) = left.get_mut(&print).filter(|n| **n > 0) {
                    *n -= 1;
                    finding.suppressed = true;
                    applied.matched += 1;
                }
            }
        }
        applied.unmatched = left
            .iter()
            .filter(|(print, _)| {
                self.paths
                    .get(*print)
                    .is_none_or(|p| linted(&self.root.join(p)))
            })
            .map(|(_, n)| n)
            .sum();
        applied
    }
}

/// Writes every unsuppressed finding of `report` to `path`; returns how many.
pub fn write(report: &Report, path: &Path, roots: &[PathBuf]) -> Result<usize, BaselineError> {
    let root = root_of(path);
    let mut findings: Vec<Entry> = report
        .files
        .iter()
        .flat_map(|file| {
            let root = &root;
            file.active().map(move |f| Entry {
                path: relative_path(file, f, Some(root)),
                rule: f.rule.id().to_string(),
                fingerprint: fingerprint_in(file, f, Some(root)),
                message: f.message.to_string(),
            })
        })
        .collect();
    findings.sort();
    let count = findings.len();
    let file = BaselineFile {
        version: VERSION,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| BaselineError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    // Never through a link; inside the root it enters ([`crate::root::write_named`]).
    crate::root::write_named(roots, path, &text).map_err(|e| BaselineError::Write {
        path: path.to_path_buf(),
        message: e.to_string().to_lowercase(),
    })?;
    Ok(count)
}

fn root_of(path: &Path) -> PathBuf {
    normalize(&absolute(path))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The finding's file relative to `root` (forward slashes), or its display path.
fn relative_path(file: &FileReport, finding: &Finding, root: Option<&Path>) -> String {
    let source = file.sources.get(finding.span.file);
    if let Some(root) = root {
        let full = normalize(&absolute(&source.path));
        if let Ok(rel) = full.strip_prefix(root) {
            return rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
        }
    }
    source.display_path()
}

/// The fingerprint of a finding, with its path relative to `root` (`None`: as displayed).
pub fn fingerprint_in(file: &FileReport, finding: &Finding, root: Option<&Path>) -> String {
    let text = file.sources.get(finding.span.file).slice(finding.span);
    fingerprint(
        finding.rule,
        &relative_path(file, finding, root),
        finding.logical_path.as_deref(),
        finding.statement,
        text,
    )
}

/// Stable across line shifts and reformatting: no line numbers, no list positions, no whitespace.
/// `statement` is the [`statement_digest`] of the statement the finding is about, if any.
pub fn fingerprint(
    rule: RuleId,
    path: &str,
    logical_path: Option<&str>,
    statement: Option<u64>,
    text: &str,
) -> String {
    let logical = strip_positions(logical_path.unwrap_or(""));
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let statement = statement.map_or_else(String::new, |d| format!("{d:016x}"));
    let mut hash = Fnv::new();
    for part in ["v2", rule.id(), path, &logical, &statement, &text] {
        hash.write(part.as_bytes());
        hash.write(&[0]);
    }
    format!("{:016x}", hash.finish())
}

/// A statement's identity for fingerprints: its text without whitespace, hashed.
pub fn statement_digest(text: &str) -> u64 {
    let mut hash = Fnv::new();
    let mut buf = [0u8; 4];
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        hash.write(c.encode_utf8(&mut buf).as_bytes());
    }
    hash.finish()
}

/// `doc/Statement[2]/Action[0]` → `doc/Statement/Action`.
fn strip_positions(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if after[..close].bytes().all(|b| b.is_ascii_digit()) => {
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// FNV-1a, 64 bits: small, and the same on every platform and Rust version (unlike `std`'s
/// `DefaultHasher`), which a fingerprint stored in a repository needs.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_whitespace_do_not_matter() {
        assert_eq!(
            strip_positions("p.policy/Statement[12]/Action[0]"),
            "p.policy/Statement/Action"
        );
        assert_eq!(strip_positions("a[b]/c[1"), "a[b]/c[1");
        let a = fingerprint(
            RuleId::ResourceStar,
            "p.json",
            Some("Statement[0]/Resource"),
            Some(statement_digest(
                "{\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}",
            )),
            "\"*\"",
        );
        let b = fingerprint(
            RuleId::ResourceStar,
            "p.json",
            Some("Statement[3]/Resource"),
            Some(statement_digest(
                "{\"Action\":\n  \"s3:GetObject\",\"Resource\": \"*\"}",
            )),
            " \"*\" ",
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint(
                RuleId::ResourceStar,
                "q.json",
                Some("Statement[0]/Resource"),
                Some(statement_digest(
                    "{\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}"
                )),
                "\"*\""
            )
        );
        assert_ne!(
            a,
            fingerprint(
                RuleId::WildcardAction,
                "p.json",
                Some("Statement[0]/Resource"),
                Some(statement_digest(
                    "{\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}"
                )),
                "\"*\""
            )
        );
    }

    /// Another statement's `"*"` is another finding.
    #[test]
    fn the_statement_tells_equal_values_apart() {
        let print = |statement: &str| {
            fingerprint(
                RuleId::ResourceStar,
                "p.json",
                Some("Statement[0]/Resource"),
                Some(statement_digest(statement)),
                "\"*\"",
            )
        };
        assert_ne!(
            print(r#"{"Action": "s3:GetObject", "Resource": "*"}"#),
            print(r#"{"Action": "iam:PassRole", "Resource": "*"}"#)
        );
    }

    #[test]
    fn fnv_is_the_published_function() {
        // Test vectors of FNV-1a 64.
        let mut h = Fnv::new();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Fnv::new().finish(), 0xcbf2_9ce4_8422_2325);
    }
}
