#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One harness over every rule fixture, the rules' doc examples, and the registry's own checks.
//!
//! `fixtures/<rule-id>/fail_*.{json,tf,yaml}` must yield at least one finding of that rule and
//! `pass_*` none, with only that rule enabled. Each fail fixture's findings are snapshotted
//! (`tests/snapshots/`), rendered compactly so a snapshot shows positions, messages and help.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use iamlint::lint::{lint_text, FileReport, LintOptions};
use iamlint::rules::{Category, RuleId};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Fixture folders that hold format fixtures rather than one rule's cases.
const NON_RULE_DIRS: &[&str] = &["terraform", "cloudformation", "tfplan", "corpus"];

fn only(rule: RuleId) -> LintOptions {
    LintOptions {
        select: Some(vec![rule]),
        ..LintOptions::default()
    }
}

fn lint_fixture(path: &Path, rule: RuleId) -> FileReport {
    let text = std::fs::read_to_string(path).expect("fixture is readable UTF-8");
    // Lint through the file's real path so referenced files (Terraform `file()`) resolve.
    lint_text(path, text, &only(rule))
}

/// `line:col-line:col severity rule: message` plus help and related lines.
fn render(report: &FileReport) -> String {
    let mut out = String::new();
    for e in &report.errors {
        let at = e
            .span
            .map(|s| {
                let l = report.sources.locate(s);
                format!("{}:{}", l.start.line, l.start.column)
            })
            .unwrap_or_default();
        writeln!(out, "error {at}: {}", e.message).unwrap();
    }
    for f in &report.findings {
        let l = report.sources.locate(f.span);
        let file = Path::new(&l.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        writeln!(
            out,
            "{file}:{}:{}-{}:{} {}{} {}: {}",
            l.start.line,
            l.start.column,
            l.end.line,
            l.end.column,
            f.severity,
            if f.suppressed { " (suppressed)" } else { "" },
            f.rule,
            f.message
        )
        .unwrap();
        for r in &f.related {
            let l = report.sources.locate(r.span);
            writeln!(
                out,
                "  related {}:{}: {}",
                l.start.line, l.start.column, r.note
            )
            .unwrap();
        }
        if let Some(help) = &f.help {
            writeln!(out, "  help: {help}").unwrap();
        }
        if let Some(fix) = &f.fix {
            writeln!(out, "  fix ({:?}): {}", fix.applicability, fix.title).unwrap();
            if let Some(snippet) = &fix.snippet {
                for line in snippet.lines() {
                    writeln!(out, "    | {line}").unwrap();
                }
            }
        }
    }
    out
}

fn rule_dirs() -> Vec<(RuleId, PathBuf)> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(fixtures_root()).expect("fixtures/ exists") {
        let path = entry.expect("readable entry").path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if NON_RULE_DIRS.contains(&name.as_str()) {
            continue;
        }
        let rule = RuleId::parse(&name)
            .unwrap_or_else(|| panic!("fixtures/{name} is not a rule id (orphan fixture folder)"));
        dirs.push((rule, path));
    }
    dirs.sort();
    dirs
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn fixtures() {
    let mut failures = Vec::new();
    for (rule, dir) in rule_dirs() {
        for case in cases(&dir) {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let report = lint_fixture(&case, rule);
            let hits = report
                .findings
                .iter()
                .filter(|f| f.rule == rule && !f.suppressed)
                .count();
            if name.starts_with("fail_") {
                if hits == 0 {
                    failures.push(format!(
                        "{rule}/{name}: expected a finding, got none\n{}",
                        render(&report)
                    ));
                }
                let stem = name
                    .rsplit_once('.')
                    .map_or(name.as_str(), |(s, _)| s)
                    .to_string();
                let ext = name.rsplit_once('.').map_or("", |(_, e)| e).to_string();
                insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
                    insta::assert_snapshot!(format!("{rule}__{stem}_{ext}"), render(&report));
                });
            } else if name.starts_with("pass_") {
                if hits != 0 || !report.errors.is_empty() {
                    failures.push(format!(
                        "{rule}/{name}: expected no finding\n{}",
                        render(&report)
                    ));
                }
            } else if !name.starts_with("support_") {
                failures.push(format!(
                    "{rule}/{name}: fixture names start with pass_, fail_ or support_"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_pass_and_fail_fixtures() {
    let dirs = rule_dirs();
    for rule in RuleId::ALL {
        let Some((_, dir)) = dirs.iter().find(|(r, _)| r == rule) else {
            panic!("rule {rule} has no fixtures/{rule}/ folder");
        };
        let names: Vec<String> = cases(dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("fail_")),
            "{rule} has no fail_ fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("pass_")),
            "{rule} has no pass_ fixture"
        );
    }
}

/// Code blocks of a doc: (info string, body).
fn code_blocks(doc: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in doc.lines() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some((info.trim().to_string(), String::new())),
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    blocks
}

#[test]
fn doc_examples_behave() {
    let mut failures = Vec::new();
    for rule in RuleId::ALL {
        let doc = rule.meta().doc();
        let blocks = code_blocks(&doc);
        let mut saw_fail = false;
        let mut saw_pass = false;
        for (info, body) in blocks {
            let mut parts = info.split(',');
            let lang = parts.next().unwrap_or_default();
            let Some(expect) = parts.next() else { continue };
            let file = match lang {
                "json" => "example.json",
                "hcl" => "example.tf",
                "yaml" => "example.yaml",
                _ => continue,
            };
            let report = lint_text(Path::new(file), body.clone(), &only(*rule));
            let hits = report.findings.iter().filter(|f| f.rule == *rule).count();
            match expect {
                "fail" => {
                    saw_fail = true;
                    if hits != 1 || !report.errors.is_empty() {
                        failures.push(format!(
                            "{rule}: fail example gave {hits} findings\n{body}\n{}",
                            render(&report)
                        ));
                    }
                }
                "pass" => {
                    saw_pass = true;
                    if hits != 0 || !report.errors.is_empty() {
                        failures.push(format!(
                            "{rule}: pass example gave {hits} findings\n{body}\n{}",
                            render(&report)
                        ));
                    }
                }
                other => failures.push(format!("{rule}: unknown example tag `{other}`")),
            }
        }
        if !saw_fail || !saw_pass {
            failures.push(format!("{rule}: doc needs a `fail` and a `pass` example"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn registry_is_consistent() {
    let mut seen = Vec::new();
    for rule in RuleId::ALL {
        let meta = rule.meta();
        let id = meta.id;
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && !id.starts_with('-')
                && !id.ends_with('-'),
            "{id} is not kebab-case"
        );
        for prefix in ["no-", "avoid-", "use-", "prefer-", "disallow-"] {
            assert!(
                !id.starts_with(prefix),
                "{id} names a remedy, not the pattern"
            );
        }
        assert!(!seen.contains(&id), "duplicate id {id}");
        seen.push(id);
        // File stem = id with `-` → `_`, in the category's folder; type = UpperCamelCase id.
        let stem = id.replace('-', "_");
        let expected = format!("src/rules/{}/{stem}.rs", meta.category.module());
        assert_eq!(
            meta.file.replace('\\', "/"),
            expected,
            "{id} lives in the wrong file"
        );
        let camel: String = id
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(meta.name, camel, "type name of {id}");
        // Doc sections, in order.
        let doc = meta.doc();
        let summary = doc.lines().next().unwrap_or_default();
        assert!(
            !summary.is_empty() && summary.len() <= 100 && summary.ends_with('.'),
            "{id}: summary line"
        );
        let mut last = 0;
        for section in ["## What it does", "## Why is this bad?", "## Example"] {
            let at = doc
                .find(section)
                .unwrap_or_else(|| panic!("{id}: doc lacks `{section}`"));
            assert!(at >= last, "{id}: `{section}` out of order");
            last = at;
        }
        if meta.fix != iamlint::rules::FixAvailability::None {
            assert!(
                doc.contains("## Fix safety"),
                "{id}: fixable rules document their fix safety"
            );
        }
    }
    // Every rule file is registered.
    for category in [
        Category::LeastPrivilege,
        Category::Validity,
        Category::Managed,
        Category::Escalation,
        Category::Trust,
        Category::Meta,
    ] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/rules")
            .join(category.module());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if stem == "mod" || stem == "common" {
                continue;
            }
            let id = stem.replace('_', "-");
            let rule = RuleId::parse(&id)
                .unwrap_or_else(|| panic!("{} is not registered", path.display()));
            assert_eq!(
                rule.meta().category,
                category,
                "{id} is in the wrong folder"
            );
        }
    }
}

#[test]
fn rule_docs_are_generated_and_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = iamlint::rules::docs::rules_markdown();
    assert!(
        committed == fresh,
        "docs/rules.md is stale: run `cargo xtask gen-docs` and commit the result"
    );
}

/// Issue #17: rules linear in their input. 20,000 distinct wildcards in one `Action` list (each
/// covered by `s3:*`) and 100,000 statements with distinct `Sid`s (one repeated) are judged in a
/// few seconds even in a debug build; both were quadratic (minutes).
/// Issue #17's `duplicate_sid` probe, scaled down: every statement repeats one `Sid`. One finding per
/// repeat, each with one related label at the first use (never one per pair), in statement order;
/// the JSON output of all of them (rendered in bounded batches, a big file's split in chunks) and
/// the SARIF output (written result by result) have exactly those findings, each with its one label.
#[test]
fn one_sid_repeated_everywhere_gives_one_finding_per_repeat() {
    let n = 5_000;
    let statements: Vec<&str> = (0..n)
        .map(|_| "{\"Sid\": \"Same\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}")
        .collect();
    let text = format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}",
        statements.join(",")
    );
    let first = text.find("\"Same\"").unwrap() as u32;
    let opts = LintOptions {
        select: Some(vec![RuleId::DuplicateSid, RuleId::ResourceStar]),
        ..LintOptions::default()
    };
    let report = lint_text(Path::new("sids.json"), text, &opts);
    let dup: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::DuplicateSid)
        .collect();
    assert_eq!(dup.len(), n - 1);
    assert!(dup
        .iter()
        .all(|f| f.related.len() == 1 && f.related[0].span.start == first));
    assert!(dup.windows(2).all(|w| w[0].span.start < w[1].span.start));
    assert!(dup.iter().all(|f| f.span.start > first));
    // Sorted by position across rules (each statement's `Sid` before its `Resource`).
    assert_eq!(report.findings.len(), 2 * n - 1);
    assert!(report
        .findings
        .windows(2)
        .all(|w| w[0].span.start <= w[1].span.start));

    let mut out = Vec::new();
    let full = iamlint::lint::Report {
        files: vec![report],
        ..Default::default()
    };
    iamlint::output::render(
        &full,
        iamlint::output::OutputFormat::Json,
        &Default::default(),
        &mut out,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2 * n - 1);
    let columns: Vec<u64> = findings
        .iter()
        .filter(|f| f["rule"] == "duplicate-sid")
        .map(|f| {
            assert_eq!(f["related"].as_array().unwrap().len(), 1);
            f["column"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(columns.len(), n - 1);
    assert!(columns.windows(2).all(|w| w[0] < w[1]));

    // SARIF writes its results one at a time into the log: still one valid document.
    let mut out = Vec::new();
    iamlint::output::render(
        &full,
        iamlint::output::OutputFormat::Sarif,
        &Default::default(),
        &mut out,
    )
    .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * n - 1);
    let repeats = results
        .iter()
        .filter(|r| r["ruleId"] == "duplicate-sid")
        .inspect(|r| assert_eq!(r["relatedLocations"].as_array().unwrap().len(), 1))
        .count();
    assert_eq!(repeats, n - 1);
}

#[test]
fn redundant_action_and_duplicate_sid_stay_linear() {
    let started = std::time::Instant::now();
    let mut actions = vec!["\"s3:*\"".to_string()];
    actions.extend((0..20_000).map(|i| format!("\"s3:Get{i}x*\"")));
    let text = format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": [{}], \"Resource\": \"*\"}}]}}",
        actions.join(",")
    );
    let report = lint_text(
        Path::new("wildcards.json"),
        text,
        &only(RuleId::RedundantAction),
    );
    assert_eq!(report.findings.len(), 20_000);
    let mut statements: Vec<String> = (0..100_000)
        .map(|i| format!("{{\"Sid\": \"S{i}\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}}"))
        .collect();
    statements.push("{\"Sid\": \"S7\", \"Effect\": \"Deny\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}".into());
    let text = format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}",
        statements.join(",")
    );
    let report = lint_text(Path::new("sids.json"), text, &only(RuleId::DuplicateSid));
    assert_eq!(report.findings.len(), 1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

/// A statement's action list as a policy document.
fn policy_with_actions(actions: &[String]) -> String {
    format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": [{}], \"Resource\": \"*\"}}]}}",
        actions.join(",")
    )
}

#[test]
fn a_capped_check_says_it_was_partial() {
    // `*:NameN` patterns past the cap of wildcard-matches-nothing: an info finding says so.
    let actions: Vec<String> = (0..1_005).map(|i| format!("\"*:Name{i}x\"")).collect();
    let report = lint_text(
        Path::new("across.json"),
        policy_with_actions(&actions),
        &only(RuleId::WildcardMatchesNothing),
    );
    let partial: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.message.contains("in part"))
        .collect();
    assert_eq!(partial.len(), 1, "{:?}", report.findings.len());
    assert_eq!(partial[0].severity, iamlint::finding::Severity::Info);
    assert!(
        partial[0].message.contains("5 (from this one on)"),
        "{}",
        partial[0].message
    );
    assert_eq!(report.findings.len(), 1_001);
    // Wildcards the index cannot tell apart exhaust redundant-action's comparison budget.
    let actions: Vec<String> = (0..3_000).map(|i| format!("\"*y{i}z*\"")).collect();
    let report = lint_text(
        Path::new("alike.json"),
        policy_with_actions(&actions),
        &only(RuleId::RedundantAction),
    );
    let partial: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.message.contains("in part"))
        .collect();
    assert_eq!(partial.len(), 1, "{}", report.findings.len());
    assert_eq!(partial[0].severity, iamlint::finding::Severity::Info);
    // Under the caps, no such finding.
    let report = lint_text(
        Path::new("few.json"),
        policy_with_actions(&actions[..100]),
        &only(RuleId::RedundantAction),
    );
    assert!(report
        .findings
        .iter()
        .all(|f| !f.message.contains("in part")));
}
