//! Property test of `--fix`: safe fixes applied to generated policies (JSON, Terraform HCL,
//! CloudFormation YAML, with LF or CRLF line endings) leave a file that parses, with its line
//! endings, remove the findings they fixed, and grant exactly the same actions as before; in YAML
//! whose action list (or one item) is anchored and aliased by a `Deny` condition, the condition's
//! values stay the same (issue 25).
//!
//! `PROPTEST_CASES=2000 cargo test --test fix_props` runs a longer session.

use std::path::Path;

use iamlint::discover::{detect_format, Format};
use iamlint::fix::apply::fixed_files;
use iamlint::fix::Applicability;
use iamlint::lint::{lint_text, FileReport, LintOptions};
use iamlint::model::action::wildcard_match;
use iamlint::rules::RuleId;
use iamlint::source::{SourceFile, SourceMap};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const POOL: &[&str] = &[
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "s3:getobject",
    "s3:PutObject",
    "s3:List*",
    "s3:ListBucket",
    "ec2:DescribeInstances",
    "ec2:Describe*",
    "sqs:SendMessage",
    "*",
];

/// Actions whose grant is compared before and after.
const PROBES: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:GetBucketPolicy",
    "ec2:DescribeInstances",
    "ec2:RunInstances",
    "sqs:SendMessage",
    "iam:PassRole",
];

fn render(kind: usize, actions: &[&str]) -> (&'static str, String) {
    match kind {
        0 => {
            let list: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
            (
                "policy.json",
                format!(
                    "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{{\n    \"Effect\": \"Allow\",\n    \"Action\": [{}],\n    \"Resource\": \"arn:aws:s3:::b/*\"\n  }}]\n}}\n",
                    list.join(", ")
                ),
            )
        }
        1 => {
            let list: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
            (
                "main.tf",
                format!(
                    "resource \"aws_iam_policy\" \"p\" {{\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{\n      Effect   = \"Allow\"\n      Action   = [\n        {}\n      ]\n      Resource = \"arn:aws:s3:::b/*\"\n    }}]\n  }})\n}}\n",
                    list.join(",\n        ")
                ),
            )
        }
        2 => {
            let list: Vec<String> = actions
                .iter()
                .map(|a| format!("              - '{a}'"))
                .collect();
            (
                "template.yaml",
                format!(
                    "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action:\n{}\n            Resource: 'arn:aws:s3:::b/*'\n",
                    list.join("\n")
                ),
            )
        }
        _ => {
            // The list is anchored, and so is one item (the last): a `Deny` reads both through
            // aliases. The same list, plain, in a second statement is fixable.
            let last = actions.len() - 1;
            let anchored: Vec<String> = actions
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let anchor = if i == last { "&one " } else { "" };
                    format!("              - {anchor}'{a}'")
                })
                .collect();
            let plain: Vec<String> = actions
                .iter()
                .map(|a| format!("              - '{a}'"))
                .collect();
            (
                "anchors.yaml",
                format!(
                    "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: &acts\n{}\n            Resource: 'arn:aws:s3:::b/*'\n          - Effect: Allow\n            Action:\n{}\n            Resource: 'arn:aws:s3:::c/*'\n          - Effect: Deny\n            Action: 's3:PutObject'\n            Resource: '*'\n            Condition:\n              StringNotEquals:\n                aws:PrincipalTag/a: *acts\n                aws:PrincipalTag/b: *one\n",
                    anchored.join("\n"),
                    plain.join("\n")
                ),
            )
        }
    }
}

/// The condition values of every statement of a text, as the frontend reads them.
fn condition_values(name: &str, text: &str) -> Vec<Vec<String>> {
    let mut sources = SourceMap::new(SourceFile::new(name, text.to_string()));
    let format = detect_format(Path::new(name), text);
    let model = iamlint::frontend::parse(&mut sources, format);
    model
        .docs
        .iter()
        .flat_map(|d| d.statements.iter())
        .flat_map(|s| s.condition.iter())
        .flat_map(|c| c.entries())
        .map(|(_, e)| {
            e.values
                .iter()
                .filter_map(|v| v.value.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Fixable findings outside text that YAML aliases read (those are never applied).
fn fixable_unshared(report: &FileReport) -> usize {
    let text = &report.sources.main().text;
    let shared = iamlint::fix::yaml::aliased_ranges(text).unwrap_or_default();
    report
        .findings
        .iter()
        .filter(|f| f.fix.as_ref().is_some_and(|x| !x.edits.is_empty()))
        .filter(|f| {
            !shared
                .iter()
                .any(|r| r.start <= f.span.start as usize && f.span.end as usize <= r.end)
        })
        .count()
}

fn only_redundant_action() -> LintOptions {
    LintOptions {
        select: Some(vec![RuleId::RedundantAction]),
        ..LintOptions::default()
    }
}

/// The action lists of every statement of a text, as the frontend reads them.
fn actions(name: &str, text: &str) -> Vec<Vec<String>> {
    let mut sources = SourceMap::new(SourceFile::new(name, text.to_string()));
    let format = detect_format(Path::new(name), text);
    assert_ne!(format, Format::Unknown);
    let model = iamlint::frontend::parse(&mut sources, format);
    model
        .docs
        .iter()
        .flat_map(|d| d.statements.iter())
        .map(|s| {
            s.action
                .iter()
                .flat_map(|l| l.items.iter())
                .filter_map(|i| i.value.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

fn granted(lists: &[Vec<String>]) -> Vec<Vec<bool>> {
    lists
        .iter()
        .map(|list| {
            PROBES
                .iter()
                .map(|p| list.iter().any(|a| wildcard_match(a, p)))
                .collect()
        })
        .collect()
}

fn fixable(report: &FileReport) -> usize {
    report
        .findings
        .iter()
        .filter(|f| f.fix.as_ref().is_some_and(|x| !x.edits.is_empty()))
        .count()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn safe_fixes_keep_the_file_valid_and_the_grant_the_same(
        kind in 0usize..4,
        crlf in proptest::bool::ANY,
        picks in proptest::collection::vec(0usize..POOL.len(), 2..7),
    ) {
        let list: Vec<&str> = picks.iter().map(|i| POOL[*i]).collect();
        let (name, text) = render(kind, &list);
        let text = if crlf { text.replace('\n', "\r\n") } else { text };
        let opts = only_redundant_action();
        let report = lint_text(Path::new(name), text.clone(), &opts);
        prop_assert!(report.errors.is_empty(), "generated input must parse: {:?}\n{text}", report.errors);
        let before = actions(name, &text);
        let conditions_before = condition_values(name, &text);
        let mut current = text.clone();
        let mut report = report;
        // Apply until nothing is left to fix (overlapping edits wait for the next round).
        for _ in 0..8 {
            let fixed = fixed_files(&report, Applicability::Safe);
            if fixed.is_empty() {
                break;
            }
            prop_assert_eq!(fixed.len(), 1);
            let was = fixable(&report);
            let applied = fixed[0].fixes;
            current = fixed[0].text.clone();
            report = lint_text(Path::new(name), current.clone(), &opts);
            prop_assert!(report.errors.is_empty(), "fixed text must parse: {:?}\n{current}", report.errors);
            prop_assert!(fixable(&report) + applied <= was, "fixed findings must be gone\n{current}");
        }
        prop_assert_eq!(fixable_unshared(&report), 0, "every safe fix applied\n{}", current);
        let after = actions(name, &current);
        prop_assert_eq!(granted(&before), granted(&after), "safe fixes must not change the grant\n{}\n{}", text, current);
        prop_assert_eq!(conditions_before, condition_values(name, &current), "a fix changed what an alias reads\n{}\n{}", text, current);
        if crlf {
            prop_assert!(!current.replace("\r\n", "").contains('\n'), "line endings kept\n{:?}", current);
        }
    }
}

/// The data-loss probe of issue #17: a list mixing a variable and a literal.
#[test]
fn a_fix_never_reaches_past_its_literal() {
    let text = "variable \"wild\" {\n  default = \"s3:*\"\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = [var.wild, \"s3:GetObject\"], Resource = \"arn:aws:s3:::b/*\" }] })\n}\n";
    let report = lint_text(
        Path::new("main.tf"),
        text.to_string(),
        &only_redundant_action(),
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == RuleId::RedundantAction),
        "the probe must produce the finding"
    );
    assert!(fixed_files(&report, Applicability::Safe).is_empty());
}
