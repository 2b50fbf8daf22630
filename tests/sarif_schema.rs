#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Validates iamlint's SARIF output against the official SARIF 2.1.0 schema
//! (`tests/data/sarif-schema-2.1.0.json`; its origin is in `tests/data/README.md`).

use std::path::Path;

use iamlint::finding::{Applicability, Edit, Fix};
use iamlint::lint::{lint_text, LintOptions, Report};
use iamlint::output::{render, OutputFormat, OutputOptions};
use iamlint::rules::RuleId;
use serde_json::Value;

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .expect("the SARIF schema is committed under tests/data");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the official schema compiles")
}

fn violations(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn sarif(report: &Report) -> Value {
    let mut out = Vec::new();
    render(
        report,
        OutputFormat::Sarif,
        &OutputOptions::default(),
        &mut out,
    )
    .expect("rendering to memory cannot fail");
    serde_json::from_slice(&out).expect("SARIF output is JSON")
}

const WILDCARD: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Ünïcödé", "Effect": "Allow", "Action": "*", "Resource": ["*"]},
    {"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"},
    {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}
  ]
}"#;

const NO_VERSION: &str = r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;

const MALFORMED: &str =
    "{\"Version\": \"2012-10-17\", \"Statement\": [\n  {\"Effect\": \"Allow\" \"Action\": \"x\"}]}";

/// A real run over a few policies (every rule on, whatever the catalog holds) and a broken file.
fn real_report() -> Report {
    let opts = LintOptions::default();
    let mut report = Report::default();
    report.files.push(lint_text(
        Path::new("policies/wild card é.json"),
        WILDCARD.to_string(),
        &opts,
    ));
    report.files.push(lint_text(
        Path::new("./no-version.json"),
        NO_VERSION.to_string(),
        &opts,
    ));
    report.files.push(lint_text(
        Path::new("broken.json"),
        MALFORMED.to_string(),
        &opts,
    ));
    report.files.push(iamlint::lint::error_report(
        Path::new("/abs/unreadable.json"),
        "cannot read file: permission denied".into(),
    ));
    // Give one finding a fix with an edit, so `fixes` is exercised too.
    let finding = report.files[0]
        .findings
        .iter_mut()
        .find(|f| f.rule == RuleId::WildcardAction)
        .expect("`\"Action\": \"*\"` is a wildcard-action finding");
    finding.fix = Some(Box::new(Fix {
        title: "list the actions instead".into(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            span: finding.span,
            replacement: "\"s3:GetObject\"".into(),
        }],
        snippet: None,
    }));
    report
}

#[test]
fn real_output_is_valid_sarif() {
    let report = real_report();
    let log = sarif(&report);
    let errors = violations(&schema_validator(), &log);
    assert!(
        errors.is_empty(),
        "SARIF output violates the schema:\n{}",
        errors.join("\n")
    );

    let run = &log["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert!(
        results.len() >= 4,
        "expected several results, got {results:?}"
    );
    assert!(results.iter().any(|r| r["fixes"].is_array()));
    assert!(results.iter().any(|r| r["relatedLocations"].is_array()));
    assert!(results
        .iter()
        .any(|r| r["locations"][0]["logicalLocations"].is_array()));
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notes.len(), 2, "{notes:?}");
    let uris: Vec<&str> = notes
        .iter()
        .map(|n| {
            n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(uris, ["broken.json", "file:///abs/unreadable.json"]);
}

#[test]
fn rules_and_results_agree() {
    let log = sarif(&real_report());
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), RuleId::ALL.len());
    for (rule, id) in rules.iter().zip(RuleId::ALL) {
        assert_eq!(rule["id"], id.id());
        assert_eq!(rule["shortDescription"]["text"], id.meta().summary());
        assert_eq!(rule["helpUri"], id.meta().docs_url());
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## What it does"));
    }
    for result in run["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let uris: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains(&"policies/wild%20card%20%C3%A9.json"),
        "{uris:?}"
    );
    assert!(uris.contains(&"no-version.json"), "{uris:?}");
}

#[test]
fn clean_run_is_valid_and_successful() {
    let opts = LintOptions {
        select: Some(vec![RuleId::MissingVersion]),
        ..LintOptions::default()
    };
    let report = Report {
        files: vec![lint_text(
            Path::new("ok.json"),
            r#"{"Version": "2012-10-17", "Statement": []}"#.to_string(),
            &opts,
        )],
        ..Default::default()
    };
    let log = sarif(&report);
    assert!(violations(&schema_validator(), &log).is_empty());
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn fingerprints_ignore_line_numbers() {
    let opts = LintOptions {
        select: Some(vec![RuleId::MissingVersion]),
        ..LintOptions::default()
    };
    let fingerprint = |text: &str| {
        let report = Report {
            files: vec![lint_text(Path::new("p.json"), text.to_string(), &opts)],
            ..Default::default()
        };
        sarif(&report)["runs"][0]["results"][0]["partialFingerprints"]["iamlint/v1"]
            .as_str()
            .expect("a fingerprint")
            .to_string()
    };
    let a = fingerprint(NO_VERSION);
    let b = fingerprint(&format!("\n\n\n   {NO_VERSION}"));
    assert_eq!(a, b);
}

/// The validator is not vacuous: it rejects what the schema forbids.
#[test]
fn schema_rejects_broken_logs() {
    let validator = schema_validator();
    let mut log = sarif(&real_report());
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!violations(&validator, &log).is_empty());
    let mut log = sarif(&real_report());
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!violations(&validator, &log).is_empty());
    let mut log = sarif(&real_report());
    log["runs"][0]["tool"]["driver"]["unexpected"] = true.into();
    assert!(!violations(&validator, &log).is_empty());
    // Formats are checked too.
    let mut log = sarif(&real_report());
    log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri".into();
    assert!(!violations(&validator, &log).is_empty());
}

/// Draft 4 knows no `uri-reference` format, so the schema cannot check `artifactLocation.uri`;
/// check every one of them with draft 7's.
#[test]
fn artifact_uris_are_uri_references() {
    let check = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&serde_json::json!({"type": "string", "format": "uri-reference"}))
        .expect("a tiny schema");
    assert!(
        !check.is_valid(&"wild card.json".into()),
        "the check itself works"
    );
    let text = sarif(&real_report()).to_string();
    let log: Value = serde_json::from_str(&text).expect("JSON");
    let mut uris = Vec::new();
    collect_uris(&log, &mut uris);
    assert!(uris.len() >= 6, "{uris:?}");
    for uri in uris {
        assert!(check.is_valid(&uri), "not a URI reference: {uri}");
    }
}

fn collect_uris(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "artifactLocation" {
                    out.push(v["uri"].clone());
                } else {
                    collect_uris(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_uris(v, out)),
        _ => {}
    }
}
