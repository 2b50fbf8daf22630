//! The principal model: escalation judged per principal across files and AWS managed policies
//! (`check`), and `iamlint principals`.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use iamlint::lint::{lint_paths, LintOptions, Report};
use iamlint::rules::RuleId;

use common::write;

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

/// Runs `iamlint principals` in `dir` with `args`; stdout and the exit code.
fn principals_cmd(dir: &Path, args: &[&str]) -> (String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .current_dir(dir)
        .arg("principals")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// A tree with the cross-file role, a user with an unresolved attachment and a public role.
fn principal_tree(dir: &Path) {
    write(
        dir,
        &[
            ("role.tf", ROLE_TF),
            ("lambda.tf", LAMBDA_TF),
            ("attach.tf", ATTACH_TF),
            (
                "user.tf",
                r#"variable "policy_arn" {}

resource "aws_iam_user" "ci" {
  name = "ci"
}

resource "aws_iam_user_policy_attachment" "ci" {
  user       = aws_iam_user.ci.name
  policy_arn = var.policy_arn
}

resource "aws_iam_user_policy_attachment" "read" {
  user       = aws_iam_user.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}

resource "aws_iam_role" "public" {
  name = "public<b>|x"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "sts:AssumeRole"
    }, {
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
    }]
  })
}

moved {
  from = aws_iam_role.old_public
  to   = aws_iam_role.public
}
"#,
            ),
        ],
    );
}

#[test]
fn principals_json_follows_its_contract() {
    let dir = tempfile::tempdir().unwrap();
    principal_tree(dir.path());
    let (out, code) = principals_cmd(dir.path(), &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["version"], 2);
    let rows = json["principals"].as_array().unwrap();
    let addresses: Vec<&str> = rows
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        ["aws_iam_role.app", "aws_iam_role.public", "aws_iam_user.ci"]
    );
    let app = &rows[0];
    for key in [
        "identity",
        "content_key",
        "kind",
        "name",
        "address",
        "scope",
        "location",
        "trust",
        "policies",
        "access",
        "escalations",
        "unknowns",
        "effective",
    ] {
        assert!(app.get(key).is_some(), "{key} missing: {app:#}");
    }
    assert_eq!(app["identity"], ".#aws_iam_role.app");
    assert_eq!(app["kind"], "role");
    assert_eq!(app["access"]["lambda"]["Write"], 2);
    assert_eq!(app["policies"][0]["source"], "customer-managed");
    assert_eq!(app["policies"][0]["location"], "lambda.tf:3");
    assert_eq!(app["escalations"][0]["location"], "role.tf:19");
    assert_eq!(app["escalations"][0]["policies"], serde_json::json!([0, 1]));
    // The statements as written, in the order of the policies, with what each grants.
    assert_eq!(
        app["effective"],
        serde_json::json!([
            {"policy": 0, "actions": ["lambda:CreateFunction", "lambda:InvokeFunction"],
             "resource": "*", "granted": 2, "may_be_denied": 0},
            {"policy": 1, "actions": ["iam:PassRole"],
             "resource": "arn:aws:iam::111122223333:role/*", "granted": 1, "may_be_denied": 0}
        ])
    );
    assert!(app.get("expanded").is_none(), "{app:#}");
    // Trust: public and OIDC called out; the identity follows `moved {}` back.
    let public = &rows[1];
    assert_eq!(public["identity"], ".#aws_iam_role.old_public");
    assert_eq!(
        public["moved_from"],
        serde_json::json!(["aws_iam_role.old_public"])
    );
    let notes: Vec<&str> = public["trust"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["note"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(notes, ["public", "oidc"]);
    // An attachment from a variable without value is unknown, not an empty policy.
    let user = &rows[2];
    assert_eq!(user["unknowns"][0]["what"], "attached policy");
    assert_eq!(user["unknowns"][0]["value"], "var.policy_arn");
    assert_eq!(user["unknowns"][0]["location"], "user.tf:9");
    assert_eq!(user["policies"][0]["source"], "aws-managed");
    assert_eq!(user["policies"][0]["name"], "AmazonS3ReadOnlyAccess");
    assert!(user["access"]["s3"]["Read"].as_u64().unwrap() > 10);
    assert_eq!(user["escalations"], serde_json::json!([]));
    // Renaming without `moved {}` keeps the content key (same trust, same grants).
    let before = app["content_key"].clone();
    write(
        dir.path(),
        &[
            (
                "role.tf",
                &ROLE_TF
                    .replace("aws_iam_role.app", "aws_iam_role.renamed")
                    .replace("\"app\" {", "\"renamed\" {"),
            ),
            (
                "attach.tf",
                &ATTACH_TF.replace("aws_iam_role.app", "aws_iam_role.renamed"),
            ),
        ],
    );
    let (out, _) = principals_cmd(dir.path(), &["--format", "json", "--principal", "renamed"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["principals"][0]["address"], "aws_iam_role.renamed");
    assert_eq!(json["principals"][0]["content_key"], before);
    // ... and granting one more action changes it.
    write(
        dir.path(),
        &[(
            "lambda.tf",
            &LAMBDA_TF.replace(
                "\"lambda:InvokeFunction\"]",
                "\"lambda:InvokeFunction\", \"lambda:DeleteFunction\"]",
            ),
        )],
    );
    let (out, _) = principals_cmd(dir.path(), &["--format", "json", "--principal", "renamed"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["principals"][0]["access"]["lambda"]["Write"], 3);
    assert_ne!(json["principals"][0]["content_key"], before);
}

/// Issue 27: `effective` keeps the statements as written, each with how many catalog actions it
/// grants once a blanket Deny took its actions out, and how many a conditional Deny may deny;
/// `--expand` adds the per-action grants, which agree with those counts and with `access`.
#[test]
fn effective_counts_what_denies_leave_and_expand_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "main.tf",
            r#"resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "s3" {
  role = aws_iam_role.app.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource = "*" },
      { Effect = "Deny", Action = "s3:DeleteObject", Resource = "*" },
      { Effect = "Deny", Action = "s3:PutObject", Resource = "*",
        Condition = { Bool = { "aws:SecureTransport" = "false" } } },
      { Effect = "Allow", NotAction = ["iam:*", "s3:*"], Resource = "arn:aws:ec2:*:*:instance/*" }
    ]
  })
}
"#,
        )],
    );
    let rows = principal_rows(dir.path(), &["--expand"]);
    let app = row(&rows, "aws_iam_role.app");
    let first = &app["effective"][0];
    assert_eq!(first["granted"], 2, "{first:#}");
    assert_eq!(first["may_be_denied"], 1, "{first:#}");
    let s3: Vec<(&str, bool, &str)> = app["expanded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["action"].as_str().unwrap().starts_with("s3:"))
        .map(|g| {
            (
                g["action"].as_str().unwrap(),
                g["may_be_denied"].as_bool().unwrap(),
                g["access_level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        s3,
        [
            ("s3:GetObject", false, "Read"),
            ("s3:PutObject", true, "Write")
        ]
    );
    // `NotAction`: every catalog action but those, on the resource as written.
    let rest = &app["effective"][1];
    assert_eq!(rest["not_actions"], serde_json::json!(["iam:*", "s3:*"]));
    assert!(rest.get("actions").is_none(), "{rest:#}");
    let granted = rest["granted"].as_u64().unwrap();
    assert!(granted > 10_000, "{rest:#}");
    let expanded = app["expanded"].as_array().unwrap();
    assert_eq!(expanded.len() as u64, granted + 2);
    assert!(!expanded
        .iter()
        .any(|g| g["action"].as_str().unwrap().starts_with("iam:")));
    // `access` counts the same distinct actions.
    let counted: u64 = app["access"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|levels| levels.as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted, granted + 2);
    assert!(app["access"].get("iam").is_none());
    // Without `--expand`, the same document less `expanded`.
    let plain = principal_rows(dir.path(), &[]);
    let mut expected = app.clone();
    expected.as_object_mut().unwrap().remove("expanded");
    assert_eq!(plain[0], expected);
    // `--expand` is for JSON only.
    let (_, code) = principals_cmd(dir.path(), &["--expand"]);
    assert_eq!(code, 2);
}

#[test]
fn principals_filters_by_name_and_access_level() {
    let dir = tempfile::tempdir().unwrap();
    principal_tree(dir.path());
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let (out, _) = principals_cmd(dir.path(), &all);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        json["principals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["--principal", "ci"]), ["ci"]);
    assert_eq!(names(&["--principal", "aws_iam_role.*"]), ["app", "public"]);
    assert_eq!(names(&["--access-level", "read"]), ["ci"]);
    assert_eq!(names(&["--access-level", "write"]), ["app"]);
    assert!(names(&["--access-level", "permissions-management"]).is_empty());
}

#[test]
fn principals_human_markdown_and_html_escape_what_they_echo() {
    let dir = tempfile::tempdir().unwrap();
    principal_tree(dir.path());
    // A policy ARN with markup, a pipe and a terminal escape.
    let user = std::fs::read_to_string(dir.path().join("user.tf")).unwrap();
    write(
        dir.path(),
        &[(
            "user.tf",
            &user.replace(
                "var.policy_arn",
                "\"arn:aws:iam::1:policy/<img src=x>|\\u001b[31m\"",
            ),
        )],
    );
    let (human, code) = principals_cmd(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(human.starts_with("PRINCIPAL"), "{human}");
    assert!(human.contains("role app"), "{human}");
    assert!(!human.contains('\u{1b}'), "{human}");
    assert!(human.contains("\\x1b[31m"), "{human}");
    assert!(
        human.contains("3 principals, 1 with escalation paths"),
        "{human}"
    );

    let (md, _) = principals_cmd(dir.path(), &["--format", "markdown"]);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0],
        "| Principal | Address | Trusted by | Access | Escalation | Unknown |"
    );
    assert_eq!(lines.len(), 5, "{md}");
    // Each row has exactly the table's columns: no pipe from the input splits a cell.
    for row in &lines[2..] {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 7, "{row}");
    }
    // Rendered as GitHub does, the input's markup is text inside code spans: no HTML, image or
    // link is made.
    {
        use pulldown_cmark::{Event, Options, Parser, Tag};
        for event in Parser::new_ext(&md, Options::ENABLE_TABLES) {
            let made = matches!(
                event,
                Event::Html(_)
                    | Event::InlineHtml(_)
                    | Event::Start(Tag::Image { .. } | Tag::Link { .. })
            );
            assert!(!made, "{event:?} in\n{md}");
        }
        assert!(md.contains("<img src=x>"), "{md}");
    }

    let (html, _) = principals_cmd(dir.path(), &["--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;img src=x&gt;"), "{html}");
    assert!(!html.contains('\u{1b}'));
    // Self-contained: no scripts, no external references.
    for banned in [
        "<script",
        "src=\"http",
        "href=\"http",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }
    // The graph: three principals, their policies, one escalation edge per policy of the path.
    assert_eq!(html.matches("<circle class=\"principal\"").count(), 3);
    assert_eq!(
        html.matches("class=\"edge escalation\"").count(),
        2,
        "{html}"
    );
}

#[test]
fn a_user_holds_its_groups_policies() {
    let dir = tempfile::tempdir().unwrap();
    let tf = r#"resource "aws_iam_user" "dev" {
  name = "dev"
}

resource "aws_iam_group" "deployers" {
  name = "deployers"
}

resource "aws_iam_group_policy" "pass" {
  group = aws_iam_group.deployers.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }]
  })
}

resource "aws_iam_user_policy" "lambda" {
  user = aws_iam_user.dev.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["lambda:CreateFunction", "lambda:InvokeFunction"], Resource = "*" }]
  })
}

resource "aws_iam_role" "ec2" {
  name               = "ec2"
  assume_role_policy = "{}"
}

resource "aws_iam_instance_profile" "ec2" {
  role = aws_iam_role.ec2.name
}
"#;
    let membership = r#"resource "aws_iam_user_group_membership" "dev" {
  user   = aws_iam_user.dev.name
  groups = [aws_iam_group.deployers.name]
}
"#;
    write(dir.path(), &[("main.tf", tf)]);
    assert!(shown(&escalations(dir.path())).is_empty());
    write(dir.path(), &[("membership.tf", membership)]);
    let got = shown(&escalations(dir.path()));
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(
        got[0].starts_with("main.tf:13 `iam:PassRole` on all resources, together with")
            && got[0].contains("for user `aws_iam_user.dev`"),
        "{got:#?}"
    );
    let (out, _) = principals_cmd(dir.path(), &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = json["principals"].as_array().unwrap();
    let by = |a: &str| rows.iter().find(|r| r["address"] == a).unwrap().clone();
    let dev = by("aws_iam_user.dev");
    assert_eq!(
        dev["groups"],
        serde_json::json!(["aws_iam_group.deployers"])
    );
    assert_eq!(dev["policies"][1]["via_group"], "aws_iam_group.deployers");
    assert_eq!(
        by("aws_iam_role.ec2")["instance_profiles"],
        serde_json::json!(["aws_iam_instance_profile.ec2"])
    );
}

/// Opens the HTML report in headless Chromium: the SVG graph is laid out (every principal's circle
/// and every edge has a box) and a screenshot is taken. Needs `chromium` on `PATH`
/// (`apt-get install chromium`); run with `cargo test --test principals -- --ignored`.
#[test]
#[ignore = "needs chromium (apt-get install chromium)"]
fn html_report_renders_its_graph_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    principal_tree(dir.path());
    let (html, code) = principals_cmd(dir.path(), &["--format", "html"]);
    assert_eq!(code, 0);
    // The report allows no script; a copy for the test measures the laid-out graph and writes
    // what it found into the page, which `--dump-dom` prints.
    let probe = r#"<script>
const svg = document.getElementById('graph');
const boxes = s => [...svg.querySelectorAll(s)].filter(e => { const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length;
const b = svg.getBoundingClientRect();
document.body.insertAdjacentHTML('beforeend', `<p id="probe">graph ${Math.round(b.width)}x${Math.round(b.height)} principals=${boxes('circle.principal')} policies=${boxes('rect.policy')} edges=${boxes('line.edge')} escalation=${boxes('line.escalation')}</p>`);
</script></body>"#;
    let page = html
        .replace(
            "<meta http-equiv=\"Content-Security-Policy\"",
            "<meta name=\"csp-removed-for-test\"",
        )
        .replace("</body>", probe);
    let page_path = dir.path().join("probe.html");
    std::fs::write(&page_path, page).unwrap();
    let chromium = |extra: &[&str]| {
        std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
            ])
            .args(extra)
            .output()
            .expect("chromium runs")
    };
    let url = format!("file://{}", page_path.display());
    let dom = chromium(&["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("principals=3 policies=3 edges=3 escalation=2"),
        "{dom}"
    );
    assert!(dom.contains("graph 900x"), "{dom}");
    // A screenshot of the report itself (with its policy: nothing to load, nothing to run).
    let report = dir.path().join("report.html");
    std::fs::write(&report, &html).unwrap();
    let shot = dir.path().join("shot.png");
    chromium(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1000,600",
        &format!("file://{}", report.display()),
    ]);
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5_000,
        "{}",
        png.len()
    );
}

#[test]
fn a_principal_the_tree_does_not_declare_is_reported_as_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let tf = r#"module "remote" {
  source = "terraform-aws-modules/iam/aws"
}

resource "aws_iam_role_policy" "p" {
  role = module.remote.role_name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}
"#;
    write(dir.path(), &[("main.tf", tf)]);
    let (out, _) = principals_cmd(dir.path(), &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = &json["principals"][0];
    assert_eq!(p["kind"], "principal", "{p:#}");
    assert_eq!(p["address"], "module.remote.role_name");
    assert_eq!(p["unknowns"][0]["what"], "principal");
    assert_eq!(p["policies"][0]["name"], "aws_iam_role_policy.p");
}

#[test]
fn a_comment_suppressing_a_principal_finding_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let role = ROLE_TF.replace(
        "      Action   = \"iam:PassRole\"",
        "      # iamlint: ignore[privilege-escalation] the deploy role passes only its own roles\n      Action   = \"iam:PassRole\"",
    );
    write(
        dir.path(),
        &[
            ("role.tf", &role),
            ("lambda.tf", LAMBDA_TF),
            ("attach.tf", ATTACH_TF),
        ],
    );
    let opts = LintOptions {
        select: Some(vec![RuleId::PrivilegeEscalation, RuleId::UnusedSuppression]),
        ..LintOptions::default()
    };
    let report = lint_paths(&[dir.path().to_path_buf()], &opts);
    let active: Vec<String> = shown(&report);
    assert!(active.is_empty(), "{active:#?}");
    let suppressed = report
        .files
        .iter()
        .flat_map(|f| f.findings.iter())
        .filter(|f| f.suppressed && f.rule == RuleId::PrivilegeEscalation)
        .count();
    assert_eq!(suppressed, 1);
}

/// An AWS managed policy that AWS requires on a service's role (`AmazonElasticMapReduceRole` on
/// the role only EMR assumes: `rules/reviewed/service-required-policies.tsv`) is the service's to
/// use, as `broad-managed-policy` grades it: its `iam:PassRole` completes no path there. The same
/// policy on a role an account can assume does.
#[test]
fn a_service_required_policy_on_that_services_role_completes_no_path() {
    let dir = tempfile::tempdir().unwrap();
    let tree = |principal: &str| {
        format!(
            r#"resource "aws_iam_role" "emr" {{
  name = "emr"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {principal} }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "emr" {{
  role       = aws_iam_role.emr.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceRole"
}}
"#
        )
    };
    write(
        dir.path(),
        &[(
            "emr.tf",
            &tree(r#"{ Service = "elasticmapreduce.amazonaws.com" }"#),
        )],
    );
    let got = shown(&escalations(dir.path()));
    assert!(got.is_empty(), "{got:#?}");
    write(
        dir.path(),
        &[(
            "emr.tf",
            &tree(r#"{ AWS = "arn:aws:iam::111122223333:root" }"#),
        )],
    );
    let got = shown(&escalations(dir.path()));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("`AmazonElasticMapReduceRole`"), "{got:#?}");
}

/// `iamlint principals --format json` in `dir`: the principal rows.
fn principal_rows(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (out, code) = principals_cmd(dir, &all);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    json["principals"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [serde_json::Value], address: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("no `{address}` in {rows:#?}"))
}

/// Policy rows as `source name via_group`.
fn policy_names(row: &serde_json::Value) -> Vec<String> {
    row["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["source"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["via_group"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

const CFN_PRINCIPALS: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: ec2.amazonaws.com }
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        - !Ref Queue
      PermissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - { Effect: Allow, Action: s3:GetObject, Resource: "*" }
  Queue:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Action: sqs:SendMessage, Resource: "*" }
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
  Passers:
    Type: AWS::IAM::Group
    Properties:
      Policies:
        - PolicyName: pass
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - { Effect: Allow, Action: iam:PassRole, Resource: "*" }
  Builders:
    Type: AWS::IAM::Group
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AWSLambda_FullAccess]
  Dev:
    Type: AWS::IAM::User
    Properties:
      Groups: [!Ref Passers]
  AddDev:
    Type: AWS::IAM::UserToGroupAddition
    Properties:
      GroupName: !Ref Builders
      Users: [!Ref Dev]
"#;

/// Issue 27: a CloudFormation user's `Groups`, `AWS::IAM::UserToGroupAddition` and
/// `AWS::IAM::InstanceProfile` are read, beside a role's `Policies`, `ManagedPolicyArns` and
/// `PermissionsBoundary`; the user's two groups complete an escalation path together.
#[test]
fn cloudformation_memberships_and_instance_profiles() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("stack.yaml", CFN_PRINCIPALS)]);
    let rows = principal_rows(dir.path(), &[]);
    let role = row(&rows, "Resources.Role");
    assert_eq!(
        policy_names(role),
        [
            "inline Resources.Role -",
            "aws-managed ReadOnlyAccess -",
            "customer-managed Resources.Queue -"
        ]
    );
    assert_eq!(role["boundary"]["name"], "PowerUserAccess");
    assert_eq!(
        role["instance_profiles"],
        serde_json::json!(["Resources.Profile"])
    );
    let dev = row(&rows, "Resources.Dev");
    assert_eq!(
        dev["groups"],
        serde_json::json!(["Resources.Passers", "Resources.Builders"])
    );
    assert_eq!(
        policy_names(dev),
        [
            "inline Resources.Passers Resources.Passers",
            "aws-managed AWSLambda_FullAccess Resources.Builders"
        ]
    );
    let got = shown(&escalations(dir.path()));
    assert!(
        got.iter().any(|l| l.contains("for user `Resources.Dev`")),
        "{got:#?}"
    );
}

const MODULE_IAM_TF: &str = r#"resource "aws_iam_user" "u" {
  name = "u"
}

resource "aws_iam_group" "g" {
  name = "g"
}

resource "aws_iam_group_policy_attachment" "a" {
  group      = aws_iam_group.g.name
  policy_arn = "arn:aws:iam::aws:policy/IAMFullAccess"
}

resource "aws_iam_user_group_membership" "m" {
  user   = aws_iam_user.u.name
  groups = [aws_iam_group.g.name]
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}

moved {
  from = aws_iam_role.old
  to   = aws_iam_role.r
}
"#;

/// Issue 27: memberships, instance profiles and `moved {}` blocks inside a module call are read
/// with the call's address; the module folder is listed per call only, while a folder nobody calls
/// is listed alone.
#[test]
fn module_links_are_read_per_call_and_module_folders_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("modules/iam")).unwrap();
    std::fs::create_dir_all(dir.path().join("other")).unwrap();
    write(
        dir.path(),
        &[
            (
                "main.tf",
                "module \"iam\" {\n  source = \"./modules/iam\"\n}\n",
            ),
            ("modules/iam/main.tf", MODULE_IAM_TF),
            (
                "other/main.tf",
                "resource \"aws_iam_user\" \"alone\" {\n  name = \"alone\"\n}\n",
            ),
        ],
    );
    let rows = principal_rows(dir.path(), &[]);
    let listed: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["scope"].as_str().unwrap(),
                r["address"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ". module.iam.aws_iam_group.g",
            ". module.iam.aws_iam_role.r",
            ". module.iam.aws_iam_user.u",
            "other aws_iam_user.alone",
        ]
    );
    let user = row(&rows, "module.iam.aws_iam_user.u");
    assert_eq!(
        user["groups"],
        serde_json::json!(["module.iam.aws_iam_group.g"])
    );
    assert_eq!(
        policy_names(user),
        ["aws-managed IAMFullAccess module.iam.aws_iam_group.g"]
    );
    let role = row(&rows, "module.iam.aws_iam_role.r");
    assert_eq!(
        role["instance_profiles"],
        serde_json::json!(["module.iam.aws_iam_instance_profile.p"])
    );
    assert_eq!(
        role["moved_from"],
        serde_json::json!(["module.iam.aws_iam_role.old"])
    );
    assert_eq!(role["identity"], ".#module.iam.aws_iam_role.old");
    // Named alone, the module folder is shown alone.
    let alone = principal_rows(dir.path(), &["modules/iam"]);
    assert!(
        alone.iter().any(|r| r["address"] == "aws_iam_user.u"),
        "{alone:#?}"
    );
}

/// A permissions boundary written as a customer managed policy of the tree.
fn boundary_tf(statements: &str) -> String {
    format!(
        r#"resource "aws_iam_policy" "boundary" {{
  name = "boundary"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = {statements}
  }})
}}
"#
    )
}

/// Issue 27: a permissions boundary is matched by action and resource. One that allows
/// `iam:PassRole` only on `role/app-*` closes the path an `iam:PassRole` on `role/*` opens (read by
/// action alone it did not), and narrows what `principals` lists; one on `role/*` keeps both.
#[test]
fn a_permissions_boundary_is_matched_by_action_and_resource() {
    let dir = tempfile::tempdir().unwrap();
    let bounded = ROLE_TF.replace(
        "  name = \"app\"\n",
        "  name = \"app\"\n  permissions_boundary = aws_iam_policy.boundary.arn\n",
    );
    let narrow = boundary_tf(
        r#"[
      { Effect = "Allow", Action = "iam:PassRole", Resource = "arn:aws:iam::111122223333:role/app-*" },
      { Effect = "Allow", Action = ["lambda:CreateFunction", "lambda:InvokeFunction"], Resource = "*" }
    ]"#,
    );
    write(
        dir.path(),
        &[
            ("role.tf", &bounded),
            ("lambda.tf", LAMBDA_TF),
            ("attach.tf", ATTACH_TF),
            ("boundary.tf", &narrow),
        ],
    );
    let got = shown(&escalations(dir.path()));
    assert!(got.is_empty(), "{got:#?}");
    let rows = principal_rows(dir.path(), &["--principal", "app", "--expand"]);
    let passes: Vec<&str> = rows[0]["expanded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["action"] == "iam:PassRole")
        .map(|g| g["resource"].as_str().unwrap())
        .collect();
    assert_eq!(passes, ["arn:aws:iam::111122223333:role/app-*"]);
    // The statement as written, with the boundary's narrower resource beside it.
    let pass = &rows[0]["effective"][1];
    assert_eq!(pass["resource"], "arn:aws:iam::111122223333:role/*");
    assert_eq!(pass["granted"], 1);
    assert_eq!(
        pass["boundary_resources"],
        serde_json::json!(["arn:aws:iam::111122223333:role/app-*"])
    );

    let broad = boundary_tf(
        r#"[{ Effect = "Allow", Action = "iam:PassRole", Resource = "arn:aws:iam::111122223333:role/*" },
      { Effect = "Allow", Action = ["lambda:CreateFunction", "lambda:InvokeFunction"], Resource = "*" }]"#,
    );
    write(dir.path(), &[("boundary.tf", &broad)]);
    // (The boundary policy, read on its own, holds the path too: reported in boundary.tf.)
    let got = shown(&escalations(dir.path()));
    assert!(
        got.iter()
            .any(|l| l.starts_with("role.tf:20 ") && l.contains("for role `aws_iam_role.app`")),
        "{got:#?}"
    );
    let rows = principal_rows(dir.path(), &["--principal", "app", "--expand"]);
    let passes: Vec<&str> = rows[0]["expanded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["action"] == "iam:PassRole")
        .map(|g| g["resource"].as_str().unwrap())
        .collect();
    assert_eq!(passes, ["arn:aws:iam::111122223333:role/*"]);
    assert!(rows[0]["effective"][1].get("boundary_resources").is_none());
}

/// Issue 27: a literal account in a trust policy is cross-account only against the tree's known
/// own accounts (the provider's `allowed_account_ids` or `assume_role` account); unknown, it is
/// "not known to be own"; a `data.aws_caller_identity` reference is own.
#[test]
fn cross_account_is_judged_against_the_trees_own_account() {
    let dir = tempfile::tempdir().unwrap();
    let roles = r#"data "aws_caller_identity" "current" {}

resource "aws_iam_role" "own" {
  name = "own"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::111122223333:root" } }]
  })
}

resource "aws_iam_role" "other" {
  name = "other"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "444455556666" } }]
  })
}

resource "aws_iam_role" "ref" {
  name = "ref"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" } }]
  })
}
"#;
    write(dir.path(), &[("roles.tf", roles)]);
    let notes = |dir: &Path| -> Vec<String> {
        principal_rows(dir, &[])
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["name"].as_str().unwrap(),
                    r["trust"][0]["note"].as_str().unwrap_or("-")
                )
            })
            .collect()
    };
    assert_eq!(
        notes(dir.path()),
        [
            "other unverified-account",
            "own unverified-account",
            "ref -"
        ]
    );
    let (human, _) = principals_cmd(dir.path(), &[]);
    assert!(
        human.contains("AWS 444455556666 (other account, not known to be own)"),
        "{human}"
    );
    write(
        dir.path(),
        &[(
            "provider.tf",
            "provider \"aws\" {\n  allowed_account_ids = [\"111122223333\"]\n}\n",
        )],
    );
    assert_eq!(notes(dir.path()), ["other cross-account", "own -", "ref -"]);
    write(
        dir.path(),
        &[(
            "provider.tf",
            "provider \"aws\" {\n  assume_role {\n    role_arn = \"arn:aws:iam::111122223333:role/deploy\"\n  }\n}\n",
        )],
    );
    assert_eq!(notes(dir.path()), ["other cross-account", "own -", "ref -"]);
}

/// Issue 27: `principals` reads the files `check` reads: the config's `exclude` and the ignore
/// files leave theirs out.
#[test]
fn principals_honours_the_configs_exclude_and_ignore_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for sub in ["app", "legacy", "old"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        write(
            &dir.path().join(sub),
            &[(
                "main.tf",
                &format!("resource \"aws_iam_user\" \"{sub}\" {{\n  name = \"{sub}\"\n}}\n"),
            )],
        );
    }
    let names = |dir: &Path| -> Vec<String> {
        principal_rows(dir, &[])
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(dir.path()), ["app", "legacy", "old"]);
    write(
        dir.path(),
        &[
            ("iamlint.toml", "exclude = [\"legacy/\"]\n"),
            (".iamlintignore", "old/\n"),
        ],
    );
    assert_eq!(names(dir.path()), ["app"]);
    // A broken config is a usage error, as in `check`.
    write(dir.path(), &[("iamlint.toml", "exclude = [\"a[\"]\n")]);
    let (_, code) = principals_cmd(dir.path(), &[]);
    assert_eq!(code, 2);
}

/// Issue 27: the human table wraps to the width it is given (`--width`, else the terminal's):
/// wide enough, one column each, cells wrapped; narrow, one block per principal. Without a width
/// (a pipe), one line per principal.
#[test]
fn the_human_table_wraps_to_the_width() {
    let dir = tempfile::tempdir().unwrap();
    principal_tree(dir.path());
    let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap();
    let (piped, _) = principals_cmd(dir.path(), &[]);
    assert!(widest(&piped) > 160, "{piped}");
    assert_eq!(piped.lines().count(), 6, "{piped}");

    let (table, code) = principals_cmd(dir.path(), &["--width", "160"]);
    assert_eq!(code, 0);
    assert!(widest(&table) <= 160, "{table}");
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("PRINCIPAL") && header.contains("ESCALATION"),
        "{table}"
    );
    // Wrapped, not cut: the end of the escalation message is still there.
    assert!(table.contains("Lambda function)"), "{table}");

    let (stacked, _) = principals_cmd(dir.path(), &["--width", "60"]);
    assert!(widest(&stacked) <= 60, "{stacked}");
    assert!(!stacked.contains("PRINCIPAL  "), "{stacked}");
    assert!(stacked.contains("\n  trusted by: "), "{stacked}");
    assert!(stacked.starts_with("role app\n"), "{stacked}");
}

/// Issue 27: a principal finding is suppressed where any document completing its path is: a
/// comment in `lambda.tf` (not the finding's home, `role.tf`) suppresses it, and is used.
#[test]
fn a_comment_beside_any_document_of_the_path_suppresses_it() {
    let dir = tempfile::tempdir().unwrap();
    let lambda = LAMBDA_TF.replace(
        "      Action   = [\"lambda:CreateFunction\"",
        "      # iamlint: ignore[privilege-escalation] functions are created by the deploy role only\n      Action   = [\"lambda:CreateFunction\"",
    );
    assert_ne!(lambda, LAMBDA_TF);
    write(
        dir.path(),
        &[
            ("role.tf", ROLE_TF),
            ("lambda.tf", &lambda),
            ("attach.tf", ATTACH_TF),
        ],
    );
    let opts = LintOptions {
        select: Some(vec![RuleId::PrivilegeEscalation, RuleId::UnusedSuppression]),
        ..LintOptions::default()
    };
    let report = lint_paths(&[dir.path().to_path_buf()], &opts);
    let active: Vec<String> = shown(&report);
    assert!(active.is_empty(), "{active:#?}");
    let suppressed = report
        .files
        .iter()
        .flat_map(|f| f.findings.iter())
        .filter(|f| f.suppressed && f.rule == RuleId::PrivilegeEscalation)
        .count();
    assert_eq!(suppressed, 1);
}

/// AWS Backup's service role as AWS documents it (both Backup managed policies on a role only
/// `backup.amazonaws.com` assumes): Backup backs up and restores with them, nobody else acts as
/// the role, so their `ssm:SendCommand` and `iam:PassRole` complete no path there.
#[test]
fn the_backup_service_roles_policies_complete_no_path_on_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let tree = |principal: &str| {
        format!(
            r#"resource "aws_iam_role" "backup" {{
  name = "backup"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {principal} }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "backup" {{
  role       = aws_iam_role.backup.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
}}

resource "aws_iam_role_policy_attachment" "restores" {{
  role       = aws_iam_role.backup.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
}}
"#
        )
    };
    write(
        dir.path(),
        &[(
            "backup.tf",
            &tree(r#"{ Service = "backup.amazonaws.com" }"#),
        )],
    );
    let got = shown(&escalations(dir.path()));
    assert!(got.is_empty(), "{got:#?}");
    // The same policies on a role a person can assume open both paths.
    write(
        dir.path(),
        &[(
            "backup.tf",
            &tree(r#"{ AWS = "arn:aws:iam::111122223333:root" }"#),
        )],
    );
    let got: Vec<String> = shown(&escalations(dir.path()))
        .into_iter()
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert_eq!(got.len(), 2, "{got:#?}");
}

/// Copies fixtures of `fixtures/cloudformation` into `dir`.
fn cfn_fixtures(dir: &Path, names: &[&str]) {
    for name in names {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/cloudformation")
            .join(name);
        std::fs::copy(from, dir.join(name)).unwrap();
    }
}

/// Issue 27: a CloudFormation role, user or group is linked however the template names it:
/// `!GetAtt Role.Arn`, `!Sub '${Role}'`, an ARN `!Sub` or `Fn::Join`, the literal name its
/// `RoleName` (or a parameter's default) gives it; customer managed policies by `!GetAtt
/// Policy.PolicyArn` and ARN `!Sub`s. `AWS::IAM::Policy` is inline in each principal it names,
/// `AWS::IAM::ManagedPolicy` attached to each. A name no resource gives itself stays a name.
#[test]
fn cloudformation_principals_are_linked_however_they_are_named() {
    let dir = tempfile::tempdir().unwrap();
    cfn_fixtures(dir.path(), &["principal_links.yaml"]);
    let rows = principal_rows(dir.path(), &[]);
    assert_eq!(
        policy_names(row(&rows, "Resources.App")),
        [
            "inline Resources.ByGetAttRole -",
            "inline Resources.BySubName -",
            "inline Resources.ByArn -",
            "inline Resources.ByJoin -",
            "customer-managed Resources.ByName -",
            "customer-managed Resources.BySub -",
            "customer-managed Resources.ByGetAtt -",
            "customer-managed Resources.ByAttrSub -",
        ]
    );
    assert_eq!(
        row(&rows, "Resources.App")["unknowns"],
        serde_json::json!([])
    );
    assert_eq!(
        policy_names(row(&rows, "Resources.Builders")),
        [
            "customer-managed Resources.ByName -",
            "inline Resources.GroupPolicy -"
        ]
    );
    let dev = row(&rows, "Resources.Dev");
    assert_eq!(dev["groups"], serde_json::json!(["Resources.Builders"]));
    assert!(policy_names(dev).contains(&"inline Resources.GroupPolicy -".to_string()));
    assert_eq!(
        policy_names(row(&rows, "role/other-role")),
        ["inline Resources.Elsewhere -"]
    );
    let addresses: Vec<&str> = rows.iter().filter_map(|r| r["address"].as_str()).collect();
    assert_eq!(
        addresses,
        [
            "Resources.App",
            "Resources.Builders",
            "Resources.Dev",
            "role/other-role"
        ]
    );
}

/// Issue 27: in CloudFormation `${AWS::AccountId}` (`!Sub`, `!Ref`, `Fn::Join`, inside a JSON
/// string) is the template's own account: no note in `principals`, no `cross-account-trust`; a
/// literal account is another account not known to be own, as in Terraform.
#[test]
fn cloudformation_own_account_is_not_another_account() {
    let dir = tempfile::tempdir().unwrap();
    cfn_fixtures(dir.path(), &["own_account.yaml"]);
    let notes: Vec<String> = principal_rows(dir.path(), &[])
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["name"].as_str().unwrap(),
                r["trust"][0]["value"].as_str().unwrap(),
                r["trust"][0]["note"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        notes,
        [
            "ByJoin arn:${AWS::Partition}:iam::${AWS::AccountId}:root -",
            "ByJsonSub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/admin -",
            "ByRef ${AWS::AccountId} -",
            "BySub arn:${AWS::Partition}:iam::${AWS::AccountId}:root -",
            "Literal arn:aws:iam::111122223333:root unverified-account",
        ]
    );
    let report = lint_paths(
        &[dir.path().join("own_account.yaml")],
        &LintOptions {
            select: Some(vec![RuleId::CrossAccountTrust]),
            ..LintOptions::default()
        },
    );
    let flagged: Vec<u32> = report
        .files
        .iter()
        .flat_map(|f| {
            f.findings
                .iter()
                .map(|x| f.sources.locate(x.span).start.line)
        })
        .collect();
    assert_eq!(flagged, [51], "only the literal account");
}

/// Issue 27: a SAM function with `Policies` is the role SAM creates for it (declared, not "not
/// declared"); one with its own `Role` is no principal; an AWS managed policy ARN written with
/// `${AWS::Partition}` is that managed policy, not an unknown.
#[test]
fn cloudformation_sam_roles_and_partitioned_managed_policies() {
    let dir = tempfile::tempdir().unwrap();
    cfn_fixtures(dir.path(), &["implicit_roles.yaml"]);
    let rows = principal_rows(dir.path(), &[]);
    let addresses: Vec<&str> = rows.iter().filter_map(|r| r["address"].as_str()).collect();
    assert_eq!(addresses, ["Resources.Reader", "Resources.Worker"]);
    let worker = row(&rows, "Resources.Worker");
    assert_eq!(worker["kind"], "role");
    assert_eq!(worker["unknowns"], serde_json::json!([]));
    assert_eq!(
        policy_names(worker),
        [
            "inline Resources.Worker -",
            "aws-managed AWSLambdaBasicExecutionRole -"
        ]
    );
    let reader = row(&rows, "Resources.Reader");
    assert_eq!(policy_names(reader), ["aws-managed ReadOnlyAccess -"]);
    assert_eq!(reader["unknowns"], serde_json::json!([]));
}

/// Issue 27: an `AWS::SSO::PermissionSet` is a principal: its inline policy (an object or a JSON
/// string), AWS managed policies and permissions boundary are read; a customer managed policy
/// reference (a policy of each assigned account) is an unknown, never empty.
#[test]
fn cloudformation_permission_sets_are_principals() {
    let dir = tempfile::tempdir().unwrap();
    cfn_fixtures(dir.path(), &["permission_set.yaml"]);
    let rows = principal_rows(dir.path(), &[]);
    let deployers = row(&rows, "Resources.Deployers");
    assert_eq!(deployers["kind"], "permission-set");
    assert_eq!(
        policy_names(deployers),
        [
            "inline Resources.Deployers -",
            "aws-managed ReadOnlyAccess -"
        ]
    );
    assert_eq!(deployers["boundary"]["name"], "PowerUserAccess");
    assert_eq!(deployers["unknowns"][0]["value"], "/team/deploy-extra");
    let auditors = row(&rows, "Resources.Auditors");
    assert_eq!(auditors["kind"], "permission-set");
    assert_eq!(policy_names(auditors), ["inline Resources.Auditors -"]);
    let got = shown(&escalations(dir.path()));
    assert!(
        got.iter()
            .any(|l| l.contains("PassExistingRoleToNewLambdaThenInvoke")),
        "{got:#?}"
    );
}

/// A local module folder the run's root calls: its role's cross-document path is reported once,
/// for the instance the root declares (`module.app.aws_iam_role.runner`), not again for the
/// folder judged alone at its defaults; named alone, the folder is judged alone.
#[test]
fn a_called_module_folder_is_judged_per_call_not_again_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("runner")).unwrap();
    write(
        dir.path(),
        &[("main.tf", "module \"app\" {\n  source = \"./runner\"\n}\n")],
    );
    write(
        &dir.path().join("runner"),
        &[(
            "main.tf",
            r#"resource "aws_iam_role" "runner" {
  name               = "runner"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.runner.name
  policy_arn = "arn:aws:iam::aws:policy/IAMFullAccess"
}
"#,
        )],
    );
    let whole: Vec<String> = shown(&escalations(dir.path()))
        .into_iter()
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert!(!whole.is_empty(), "{whole:#?}");
    assert!(
        whole
            .iter()
            .all(|l| l.contains("`module.app.aws_iam_role.runner`")),
        "{whole:#?}"
    );
    let alone: Vec<String> = shown(&escalations(&dir.path().join("runner")))
        .into_iter()
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert!(
        alone.iter().any(|l| l.contains("`aws_iam_role.runner`")),
        "{alone:#?}"
    );
}

/// A role whose trust policy allows no one (its only statement's `Effect` is "allow", which IAM
/// rejects and `invalid-policy` reports) can be assumed by nobody: no principal path is reported
/// for what is attached to it. The same role with "Allow" has the path.
#[test]
fn a_role_nobody_can_assume_holds_no_principal_path() {
    let role = |effect: &str| {
        format!(
            r#"resource "aws_iam_role" "backup" {{
  name               = "backup"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "{effect}", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
}}

resource "aws_iam_role_policy_attachment" "admin" {{
  role       = aws_iam_role.backup.name
  policy_arn = "arn:aws:iam::aws:policy/IAMFullAccess"
}}
"#
        )
    };
    for (effect, paths) in [("allow", false), ("Allow", true)] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("main.tf", &role(effect))]);
        let found = shown(&escalations(dir.path()));
        assert_eq!(!found.is_empty(), paths, "{effect}: {found:#?}");
    }
}

/// A role with `count` writes its trust policy per instance (`aws_iam_role.this[0]`) while its
/// attachments name `aws_iam_role.this[0].name` (keyed `aws_iam_role.this`): one principal, whose
/// trust (only `eks.amazonaws.com`) makes the EKS Auto Mode policy AWS requires no escalation
/// (terraform-aws-eks' cluster role).
#[test]
fn a_counted_roles_trust_and_attachments_are_one_principal() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "main.tf",
            r#"variable "create" {
  default = true
}

data "aws_iam_policy_document" "assume" {
  count = var.create ? 1 : 0
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count              = var.create ? 1 : 0
  name               = "cluster"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json
}

resource "aws_iam_role_policy_attachment" "compute" {
  count      = var.create ? 1 : 0
  role       = aws_iam_role.this[0].name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSComputePolicy"
}
"#,
        )],
    );
    let rows = principal_rows(dir.path(), &[]);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(
        rows[0]["trust"][0]["value"], "eks.amazonaws.com",
        "{rows:#?}"
    );
    assert!(shown(&escalations(dir.path())).is_empty());
}
