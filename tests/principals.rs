//! The principal model: escalation judged per principal across files and AWS managed policies
//! (`check`), and `iamlint principals`.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use iamlint::lint::{lint_paths, LintOptions, Report};
use iamlint::rules::RuleId;

const ROLE_TF: &str = r#"resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "pass" {
  role = aws_iam_role.app.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "iam:PassRole"
      Resource = "arn:aws:iam::111122223333:role/*"
    }]
  })
}
"#;

const LAMBDA_TF: &str = r#"resource "aws_iam_policy" "lambda" {
  name = "lambda"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["lambda:CreateFunction", "lambda:InvokeFunction"]
      Resource = "*"
    }]
  })
}
"#;

const ATTACH_TF: &str = r#"resource "aws_iam_role_policy_attachment" "lambda" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.lambda.arn
}
"#;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn escalations(dir: &Path) -> Report {
    let opts = LintOptions {
        select: Some(vec![RuleId::PrivilegeEscalation]),
        ..LintOptions::default()
    };
    lint_paths(&[dir.to_path_buf()], &opts)
}

/// Each finding as `file:line message`, then its related labels as `  file:line note`.
fn shown(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for (file, f) in report.findings() {
        let at = |span: iamlint::source::Span| {
            let src = file.sources.get(span.file);
            let name = src.path.file_name().unwrap().to_string_lossy().into_owned();
            format!("{name}:{}", src.position(span.start).line)
        };
        out.push(format!("{} {}", at(f.span), f.message));
        for l in &f.related {
            out.push(format!("  {} {}", at(l.span), l.note));
        }
    }
    out
}

#[test]
fn escalation_split_over_three_terraform_files_names_every_document() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("role.tf", ROLE_TF),
            ("lambda.tf", LAMBDA_TF),
            ("attach.tf", ATTACH_TF),
        ],
    );
    let got = shown(&escalations(dir.path()));
    assert_eq!(
        got,
        [
            "role.tf:19 `iam:PassRole` on `arn:aws:iam::111122223333:role/*`, together with `lambda:CreateFunction` and `lambda:InvokeFunction` for role `aws_iam_role.app`: a known privilege-escalation path (PassExistingRoleToNewLambdaThenInvoke: run code as a privileged role in a new Lambda function)",
            "  lambda.tf:7 grants `lambda:CreateFunction` on all resources in policy of `aws_iam_policy.lambda`",
            "  lambda.tf:7 grants `lambda:InvokeFunction` on all resources in policy of `aws_iam_policy.lambda`",
        ],
        "{got:#?}"
    );
}

#[test]
fn an_unattached_policy_completes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("role.tf", ROLE_TF), ("lambda.tf", LAMBDA_TF)],
    );
    let got = shown(&escalations(dir.path()));
    assert!(got.is_empty(), "{got:#?}");
}

#[test]
fn a_path_inside_one_file_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let one = format!("{ROLE_TF}\n{LAMBDA_TF}\n{ATTACH_TF}");
    write(dir.path(), &[("main.tf", &one)]);
    let got = shown(&escalations(dir.path()));
    let heads: Vec<&String> = got.iter().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(heads.len(), 1, "{got:#?}");
    // The file's own check reported it (its message names no principal).
    assert!(
        heads[0].starts_with("main.tf:19 `iam:PassRole`"),
        "{got:#?}"
    );
    assert!(!heads[0].contains("for role"), "{got:#?}");
}

#[test]
fn a_permissions_boundary_takes_the_path_away() {
    let dir = tempfile::tempdir().unwrap();
    let bounded = ROLE_TF.replace(
        "  name = \"app\"\n",
        "  name = \"app\"\n  permissions_boundary = \"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"\n",
    );
    write(
        dir.path(),
        &[
            ("role.tf", &bounded),
            ("lambda.tf", LAMBDA_TF),
            ("attach.tf", ATTACH_TF),
        ],
    );
    let got = shown(&escalations(dir.path()));
    assert!(got.is_empty(), "{got:#?}");
    // A boundary from a variable without value is unknown: the path stays, with low confidence.
    let unknown = ROLE_TF.replace(
        "  name = \"app\"\n",
        "  name = \"app\"\n  permissions_boundary = var.boundary\n",
    );
    write(
        dir.path(),
        &[
            ("role.tf", &unknown),
            ("variables.tf", "variable \"boundary\" {}\n"),
        ],
    );
    let report = escalations(dir.path());
    let found: Vec<_> = report.findings().map(|(_, f)| f).collect();
    assert_eq!(found.len(), 1, "{:#?}", shown(&report));
    assert_eq!(found[0].confidence, iamlint::finding::Confidence::Low);
}

const CFN: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AWSLambda_FullAccess
      Policies:
        - PolicyName: pass
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: iam:PassRole
                Resource: "*"
"#;

#[test]
fn cloudformation_inline_pass_role_with_an_aws_managed_policy() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("template.yaml", CFN)]);
    let got = shown(&escalations(dir.path()));
    let pass = got
        .iter()
        .position(|l| l.starts_with("template.yaml:21 `iam:PassRole` opens"))
        .unwrap_or_else(|| panic!("{got:#?}"));
    assert!(
        got[pass].contains("for role `Resources.AppRole`"),
        "{got:#?}"
    );
    assert!(
        got[pass].contains("PassExistingRoleToNewLambdaThenInvoke"),
        "{got:#?}"
    );
    assert_eq!(
        got[pass + 1],
        "  template.yaml:14 grants `lambda:CreateFunction` on all resources from AWS managed policy `AWSLambda_FullAccess` attached here"
    );
    // Without the managed policy, the inline `iam:PassRole` alone opens no path.
    write(
        dir.path(),
        &[(
            "template.yaml",
            &CFN.replace(
                "        - arn:aws:iam::aws:policy/AWSLambda_FullAccess\n",
                "        - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n",
            ),
        )],
    );
    let got = shown(&escalations(dir.path()));
    assert!(got.is_empty(), "{got:#?}");
}

#[test]
fn attaching_administrator_access_is_an_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let attach = r#"resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"#;
    let role = &ROLE_TF[..ROLE_TF.find("resource \"aws_iam_role_policy\"").unwrap()];
    write(dir.path(), &[("role.tf", role), ("attach.tf", attach)]);
    let got = shown(&escalations(dir.path()));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(
        got[0].starts_with("attach.tf:3 `*` of AWS managed policy `AdministratorAccess` opens"),
        "{got:#?}"
    );
    assert!(got[0].contains("for role `aws_iam_role.app`"), "{got:#?}");
    // The same with `IAMFullAccess`.
    write(
        dir.path(),
        &[(
            "attach.tf",
            &attach.replace("AdministratorAccess", "IAMFullAccess"),
        )],
    );
    let got = shown(&escalations(dir.path()));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("`IAMFullAccess`"), "{got:#?}");
}
