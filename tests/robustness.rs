//! Pathological inputs: huge files, huge folders, deep nesting, garbage, symlink loops and
//! unreadable files. Each must be linted or reported as an error, never crash or hang, and never
//! stop the other files from being linted. Speed is measured in bench/, not here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use iamlint::lint::{bytes_to_text, lint_paths, lint_text, LintOptions, Report};
use iamlint::rules::RuleId;

fn opts() -> LintOptions {
    LintOptions::default()
}

fn report_for(report: &Report, path: &Path) -> usize {
    report
        .files
        .iter()
        .filter(|f| f.sources.main().path == path)
        .count()
}

fn write(path: &Path, text: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folder");
    }
    std::fs::write(path, text).expect("write file");
}

/// One finding (resource-star) per file.
const GOOD: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;

/// One statement of the big files: scopable actions on `*`, so every copy is a finding.
fn statement(i: usize) -> String {
    format!(
        r#"{{"Sid": "S{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::bucket-{i}/*", "*"]}}"#
    )
}

fn many_statements(n: usize) -> String {
    let mut text = String::from("{\"Version\": \"2012-10-17\", \"Statement\": [\n");
    for i in 0..n {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&statement(i));
    }
    text.push_str("\n]}\n");
    text
}

#[test]
fn ten_thousand_statements() {
    let text = many_statements(10_000);
    let report = lint_text(Path::new("big.json"), text, &opts());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let stars = report
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::ResourceStar)
        .count();
    assert_eq!(stars, 10_000, "one resource-star finding per statement");
}

/// Regression: resource-star deduplicated the expansion of `*` (every action of every service)
/// with a linear search per action, so each such statement cost ~0.15 s in release and ~5 s in
/// debug (20 of them: minutes). Now linear: a couple of seconds in debug.
#[test]
fn many_star_statements_stay_fast() {
    let st = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#;
    let text = format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}",
        vec![st; 20].join(",\n")
    );
    let report = lint_text(Path::new("stars.json"), text, &opts());
    for rule in [RuleId::ResourceStar, RuleId::WildcardAction] {
        assert_eq!(
            report.findings.iter().filter(|f| f.rule == rule).count(),
            20,
            "{rule}"
        );
    }
}

/// Regression: redundant-action compared every pair of a statement's actions, so a statement
/// listing thousands of actions (AWS managed policies do) cost seconds. Now only equal entries and
/// patterns are candidates.
#[test]
fn statement_with_thousands_of_actions_stays_fast() {
    let catalog = iamlint::catalog::Catalog::get();
    let mut actions: Vec<String> = ["ec2:*", "iam:*", "s3:*", "rds:*", "glue:*", "sagemaker:*"]
        .iter()
        .flat_map(|p| catalog.expand(p))
        .map(|a| a.full_name())
        .collect();
    let n = actions.len();
    assert!(n > 2_000, "{n} actions");
    actions.push("ec2:*".to_string());
    actions.push(actions[0].clone());
    let text = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
    })
    .to_string();
    let report = lint_text(Path::new("long.json"), text, &opts());
    let redundant = report
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::RedundantAction)
        .count();
    let ec2 = catalog.expand("ec2:*").len();
    // Every ec2 action is covered by `ec2:*`; the repeated first one is reported once more.
    assert_eq!(redundant, ec2 + 1);
}

/// Regression: a syntax error in a policy held as a JSON string in a Terraform plan was reported
/// one byte wide, splitting the character there when the plan holds it unescaped (found by
/// tests/props.rs).
#[test]
fn plan_policy_error_on_a_non_ascii_character_is_one_character_wide() {
    let policy = "{\"Version\": \"2012-10-17\" \u{ebb}}";
    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_iam_policy.p", "type": "aws_iam_policy", "name": "p",
            "values": {"name": "p", "policy": policy}
        }]}}
    })
    .to_string();
    assert!(plan.contains('\u{ebb}'), "serde_json keeps it unescaped");
    let report = lint_text(Path::new("plan.json"), plan.clone(), &opts());
    let span = report
        .errors
        .iter()
        .find_map(|e| e.span)
        .expect("a located error");
    assert_eq!(&plan[span.range()], "\u{ebb}");
}

/// A 50 MB file: 50 MB of real statements would take the debug build too long, so the bulk is a
/// long `Sid` and whitespace, which still runs every byte through the parser and line index.
/// bench/run.sh times a realistic 50 MB file in release.
#[test]
fn fifty_megabyte_file_lints_and_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.json");
    let mut text = String::with_capacity(51 << 20);
    text.push_str("{\"Version\": \"2012-10-17\", \"Statement\": [");
    for i in 0..200 {
        let _ = write!(
            text,
            "{{\"Sid\": \"{}\", \"Effect\": \"Allow\", \"Action\": \"iam:*\", \"Resource\": \"*\"}},\n{}",
            "x".repeat(125_000),
            " ".repeat(125_000)
        );
        let _ = i;
    }
    text.push_str(&statement(0));
    text.push_str("]}");
    assert!(text.len() >= 50_000_000, "{} bytes", text.len());
    write(&path, &text);
    let report = lint_paths(std::slice::from_ref(&path), &opts());
    assert_eq!(report.files.len(), 1);
    let file = &report.files[0];
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(
        file.findings
            .iter()
            .filter(|f| f.rule == RuleId::WildcardAction)
            .count(),
        200
    );
    assert!(file.findings.iter().any(|f| f.rule == RuleId::ResourceStar));
    // The last finding is located at the end of the file: the line index covers all of it.
    let last = file.findings.iter().map(|f| f.span.end).max().unwrap_or(0);
    assert!(last as usize > text.len() - 300);
    let pos = file.sources.main().position(last);
    assert_eq!(pos.line, 201);
}

#[test]
fn hundred_thousand_open_brackets() {
    let text = "[".repeat(100_000);
    let report = lint_text(Path::new("deep.json"), text, &opts());
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert!(e.message.contains("nesting deeper"), "{}", e.message);
    let span = e.span.expect("located");
    assert_eq!(span.start as usize, iamlint::json::MAX_DEPTH);
    // Same for objects, closed or not.
    let text = "{\"a\":".repeat(100_000) + &"}".repeat(100_000);
    let report = lint_text(Path::new("deep.json"), text, &opts());
    assert!(report.errors[0].message.contains("nesting deeper"));
}

#[test]
fn binary_garbage_is_an_error() {
    // Deterministic pseudo-random bytes (xorshift).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..1 << 16)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("blob.json");
    write(&path, &bytes);
    let report = lint_paths(std::slice::from_ref(&path), &opts());
    assert_eq!(report.files.len(), 1);
    let errors = &report.files[0].errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("UTF-8"), "{}", errors[0].message);
    assert_eq!(report.exit_code(iamlint::finding::Severity::Warning), 2);
    // The ASCII-printable part of it as text: a JSON syntax error with a location.
    let text: String = bytes
        .iter()
        .map(|b| char::from(b' ' + b % 95))
        .collect::<String>();
    let report = lint_text(Path::new("blob.json"), text, &opts());
    assert!(report.errors.iter().all(|e| e.span.is_some()));
}

#[test]
fn invalid_utf8_names_the_byte() {
    let mut bytes = br#"{"Statement": [{"Effect": "Allow", "Action": "s3:Get"#.to_vec();
    let offset = bytes.len();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(br#"", "Resource": "*"}]}"#);
    let message = bytes_to_text(bytes).expect_err("not UTF-8");
    assert!(message.contains(&format!("offset {offset}")), "{message}");
    // A BOM is fine and does not shift spans.
    let text = bytes_to_text([b"\xef\xbb\xbf".as_slice(), GOOD.as_bytes()].concat()).expect("ok");
    assert_eq!(text, GOOD);
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang_and_others_are_linted() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(&root.join("a/policy.json"), GOOD);
    symlink(root, root.join("a/loop")).expect("symlink");
    symlink(root.join("a"), root.join("a/b")).expect("symlink");
    symlink("self.json", root.join("self.json")).expect("symlink");
    let report = lint_paths(&[root.to_path_buf()], &opts());
    assert_eq!(report_for(&report, &root.join("a/policy.json")), 1);
    // Named on the command line, a self-loop is an error for that path only.
    let named = [root.join("self.json"), root.join("a/policy.json")];
    let report = lint_paths(&named, &opts());
    let looped = report
        .files
        .iter()
        .find(|f| f.sources.main().path == named[0])
        .expect("the loop is reported");
    assert_eq!(looped.errors.len(), 1, "{:?}", looped.errors);
    assert_eq!(report_for(&report, &named[1]), 1);
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_an_error_and_others_are_linted() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let locked = dir.path().join("locked.json");
    let good = dir.path().join("good.json");
    write(&locked, GOOD);
    write(&good, GOOD);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&locked).is_ok() {
        // Root (as in CI containers) reads it anyway.
        eprintln!("skipped: running as a user who can read a mode-000 file (root?)");
        return;
    }
    let report = lint_paths(&[dir.path().to_path_buf()], &opts());
    let file = report
        .files
        .iter()
        .find(|f| f.sources.main().path == locked)
        .expect("reported");
    assert!(file.errors[0].message.contains("cannot read"));
    assert_eq!(report_for(&report, &good), 1);
}

/// 20,000 files here (bench/run.sh does 100,000): every one is linted, the broken ones are
/// errors, and the exit code is 2.
#[test]
fn twenty_thousand_files_with_some_broken() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let mut broken = Vec::new();
    for i in 0..20_000 {
        let path: PathBuf = root.join(format!("d{:02}/p{i}.json", i / 1000));
        if i % 4999 == 7 {
            write(&path, &GOOD[..GOOD.len() - 3]);
            broken.push(path);
        } else {
            write(&path, GOOD);
        }
    }
    let report = lint_paths(&[root.to_path_buf()], &opts());
    assert_eq!(report.files.len(), 20_000);
    let with_errors: Vec<&Path> = report
        .files
        .iter()
        .filter(|f| !f.errors.is_empty())
        .map(|f| f.sources.main().path.as_path())
        .collect();
    assert_eq!(
        with_errors,
        broken.iter().map(PathBuf::as_path).collect::<Vec<_>>()
    );
    assert_eq!(report.findings().count(), 20_000 - broken.len());
    assert_eq!(report.exit_code(iamlint::finding::Severity::Warning), 2);
}

/// The command line: a broken file gives exit code 2, and the other files are still reported.
#[test]
fn cli_exit_code_two_and_others_still_linted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(&root.join("a.json"), GOOD);
    write(&root.join("b.json"), "{\"Statement\": [");
    write(&root.join("c/d.json"), GOOD);
    write(&root.join("e.json"), [0xff, 0x00, 0xfe]);
    let output = Command::cargo_bin("iamlint")
        .expect("binary")
        .args(["--format", "json"])
        .arg(root)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(paths.iter().any(|p| p.ends_with("a.json")), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with("c/d.json")), "{paths:?}");
    let errors = json["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{errors:?}");
}

/// Found by tests/props.rs: an error inside a Terraform plan's escaped policy string used to get a
/// one-byte span in the middle of a multi-byte character.
#[test]
fn errors_in_escaped_plan_policies_cover_whole_characters() {
    let plan = r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_iam_policy.p","type":"aws_iam_policy","name":"p","values":{"policy":"{\"Statement\":{\"Sid\" 🕴}}"}}]}}}"#;
    let report = iamlint::lint::lint_text(
        std::path::Path::new("plan.json"),
        plan.to_string(),
        &iamlint::lint::LintOptions::default(),
    );
    assert!(!report.errors.is_empty(), "the broken policy is reported");
    for e in &report.errors {
        let span = e.span.expect("located");
        let text = &report.sources.get(span.file).text;
        assert!(
            text.is_char_boundary(span.start as usize) && text.is_char_boundary(span.end as usize),
            "{e:?}"
        );
        assert!(span.end > span.start, "{e:?}");
    }
}
