#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `iamlint diff` end to end, on temporary git repositories built with gitoxide: the base
//! revision is committed, then the working tree is changed and compared with it.

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

use common::{commit, write};

/// Runs `iamlint diff --base <rev> --format json` in `dir`; returns the exit code and output.
fn diff_base(dir: &Path, rev: &str, extra: &[&str]) -> (i32, Value) {
    let output = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir)
        .args(["diff", "--base", rev, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), json)
}

fn changes<'a>(json: &'a Value, kind: &str) -> Vec<&'a Value> {
    json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .collect()
}

fn actions(change: &Value) -> Vec<&str> {
    change["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

const READ_BUCKET: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
  ]
}
"#;

#[test]
fn json_policy_widened_by_an_action_and_a_resource_star() {
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("policies/app.json", READ_BUCKET)]);
    write(
        dir.path(),
        &[(
            "policies/app.json",
            r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}
  ]
}
"#,
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "actions-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_eq!(actions(added[0]), ["s3:PutObject"]);
    assert_eq!(added[0]["direction"], "widening");
    assert_eq!(added[0]["policy"], "policies/app.json");
    assert_eq!(added[0]["path"], "policies/app.json");
    assert_eq!(added[0]["line"], 4);
    assert_eq!(added[0]["access_levels"]["Write"], 1);
    let widened = changes(&json, "resource-widened");
    assert_eq!(widened.len(), 1, "{json:#}");
    assert_eq!(actions(widened[0]), ["s3:GetObject"]);
    assert!(widened[0]["message"].as_str().unwrap().contains("`*`"));
    assert_eq!(json["summary"]["widenings"], 2);
    assert_eq!(json["summary"]["narrowings"], 0);
    assert_eq!(json["version"], 1);
}

#[test]
fn reformat_reorder_and_sid_rename_are_no_change() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]},
  {"Sid": "B", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}
]}"#,
        )],
    );
    write(
        dir.path(),
        &[(
            "p.json",
            r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "SendToQueue",
      "Effect": "Allow",
      "Action": "sqs:SendMessage",
      "Resource": "arn:aws:sqs:us-east-1:123456789012:q"
    },
    {
      "Sid": "ReadData",
      "Effect": "Allow",
      "Action": ["s3:ListBucket", "s3:GetObject"],
      "Resource": ["arn:aws:s3:::data/*", "arn:aws:s3:::data"]
    }
  ]
}
"#,
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["changes"].as_array().unwrap().len(), 0, "{json:#}");
}

#[test]
fn narrowing_only_exits_0_and_is_listed() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "*"}
]}"#,
        )],
    );
    write(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::data/*"}
]}"#,
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["summary"]["widenings"], 0, "{json:#}");
    let removed = changes(&json, "actions-removed");
    assert_eq!(removed.len(), 1, "{json:#}");
    assert_eq!(actions(removed[0]), ["s3:DeleteObject"]);
    assert_eq!(removed[0]["direction"], "narrowing");
    let narrowed = changes(&json, "resource-narrowed");
    assert_eq!(narrowed.len(), 1, "{json:#}");
    assert_eq!(actions(narrowed[0]), ["s3:GetObject"]);
}

#[test]
fn policy_added_in_a_new_file() {
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("a.json", READ_BUCKET)]);
    write(
        dir.path(),
        &[(
            "b.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
]}"#,
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "policy-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_eq!(added[0]["policy"], "b.json");
    assert_eq!(actions(added[0]), ["iam:PassRole"]);
    assert_eq!(json["summary"]["narrowings"], 0);
}

#[test]
fn terraform_managed_policy_attachment() {
    let dir = TempDir::new().unwrap();
    let role = r#"resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}
"#;
    let base = commit(dir.path(), &[("infra/main.tf", role)]);
    write(
        dir.path(),
        &[(
            "infra/main.tf",
            &format!(
                "{role}\nresource \"aws_iam_role_policy_attachment\" \"admin\" {{\n  role       = aws_iam_role.ci.name\n  policy_arn = \"arn:aws:iam::aws:policy/AdministratorAccess\"\n}}\n"
            ),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let attached = changes(&json, "managed-policy-attached");
    assert_eq!(attached.len(), 1, "{json:#}");
    let message = attached[0]["message"].as_str().unwrap();
    assert!(message.contains("AdministratorAccess"), "{message}");
    assert!(message.contains("every action"), "{message}");
    assert_eq!(attached[0]["path"], "infra/main.tf");
    assert_eq!(attached[0]["line"], 15);
    assert!(
        attached[0]["access_levels"]["Permissions management"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(attached[0]["policy"], "role aws_iam_role.ci (infra)");
    // The attachment, and the escalation paths it opens (issue 27: `--fail-on escalation`
    // passed an `AdministratorAccess` attachment).
    let escalation = changes(&json, "escalation-added");
    assert_eq!(escalation.len(), 1, "{json:#}");
    assert_eq!(escalation[0]["line"], 15);
    assert!(escalation[0]["message"]
        .as_str()
        .unwrap()
        .contains("AdministratorAccess"));
    assert!(!actions(escalation[0]).is_empty(), "{json:#}");
    assert_eq!(json["changes"].as_array().unwrap().len(), 2, "{json:#}");
    assert_eq!(
        diff_base(dir.path(), &base, &["--fail-on", "escalation"]).0,
        1
    );
}

#[test]
fn cloudformation_trust_principal_added() {
    let dir = TempDir::new().unwrap();
    let template = |principal: &str| {
        format!(
            r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sts:AssumeRole
            Principal:
{principal}
"#
        )
    };
    let base = commit(
        dir.path(),
        &[(
            "stack.yaml",
            &template("              Service: codebuild.amazonaws.com"),
        )],
    );
    write(
        dir.path(),
        &[(
            "stack.yaml",
            &template(
                "              Service: codebuild.amazonaws.com\n              AWS: arn:aws:iam::111122223333:root",
            ),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "principal-added");
    assert_eq!(added.len(), 1, "{json:#}");
    let message = added[0]["message"].as_str().unwrap();
    assert!(
        message.contains("arn:aws:iam::111122223333:root"),
        "{message}"
    );
    // Changes are reported per principal: the role, in its template.
    assert_eq!(added[0]["policy"], "role Resources.DeployRole (stack.yaml)");
    assert_eq!(added[0]["line"], 13);
    // Another account trusted: exposure, the top of the scale.
    assert_eq!(added[0]["level"], "exposure", "{json:#}");
    assert_eq!(json["changes"].as_array().unwrap().len(), 1, "{json:#}");
}

/// Issue 27: trusting the template's own account (`${AWS::AccountId}`) is not another account:
/// a widening below `exposure`, so `--fail-on exposure` passes it.
#[test]
fn cloudformation_own_account_trust_is_not_exposure() {
    let dir = TempDir::new().unwrap();
    let template = |extra: &str| {
        format!(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRole\n            Principal:\n              Service: lambda.amazonaws.com\n{extra}"
        )
    };
    let base = commit(dir.path(), &[("stack.yaml", &template(""))]);
    write(
        dir.path(),
        &[(
            "stack.yaml",
            &template(
                "              AWS: !Sub \"arn:${AWS::Partition}:iam::${AWS::AccountId}:root\"\n",
            ),
        )],
    );
    let (_, json) = diff_base(dir.path(), &base, &[]);
    let added = changes(&json, "principal-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_ne!(added[0]["level"], "exposure", "{json:#}");
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "exposure"]);
    assert_eq!(code, 0, "{json:#}");
}

/// Trusting an account the provider names as its own (`allowed_account_ids`) is not another
/// account: a widening below `exposure`; a literal account the tree does not know stays exposure.
#[test]
fn terraform_trust_of_the_providers_own_account_is_not_exposure() {
    let dir = TempDir::new().unwrap();
    let role = |principals: &str| {
        format!(
            "provider \"aws\" {{\n  allowed_account_ids = [\"111122223333\"]\n}}\n\nresource \"aws_iam_role\" \"ci\" {{\n  name = \"ci\"\n  assume_role_policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = \"sts:AssumeRole\", Principal = {{ AWS = [{principals}] }} }}]\n  }})\n}}\n"
        )
    };
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &role("\"arn:aws:iam::111122223333:role/deployer\""),
        )],
    );
    write(
        dir.path(),
        &[(
            "main.tf",
            &role(
                "\"arn:aws:iam::111122223333:role/deployer\", \"arn:aws:iam::111122223333:root\"",
            ),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "exposure"]);
    let added = changes(&json, "principal-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_ne!(added[0]["level"], "exposure", "{json:#}");
    assert_eq!(code, 0, "{json:#}");
    write(
        dir.path(),
        &[(
            "main.tf",
            &role(
                "\"arn:aws:iam::111122223333:role/deployer\", \"arn:aws:iam::444455556666:root\"",
            ),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "exposure"]);
    assert_eq!(
        changes(&json, "principal-added")[0]["level"],
        "exposure",
        "{json:#}"
    );
    assert_eq!(code, 1, "{json:#}");
}

#[test]
fn module_argument_change_widens_the_module_policy() {
    let dir = TempDir::new().unwrap();
    let module = r#"variable "actions" {
  type = list(string)
}

resource "aws_iam_policy" "this" {
  name = "app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = var.actions
      Resource = "arn:aws:s3:::data/*"
    }]
  })
}
"#;
    let call = |actions: &str| {
        format!("module \"app\" {{\n  source  = \"./modules/policy\"\n  actions = {actions}\n}}\n")
    };
    let base = commit(
        dir.path(),
        &[
            ("modules/policy/main.tf", module),
            ("main.tf", &call(r#"["s3:GetObject"]"#)),
        ],
    );
    write(
        dir.path(),
        &[("main.tf", &call(r#"["s3:GetObject", "s3:DeleteObject"]"#))],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "actions-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_eq!(actions(added[0]), ["s3:DeleteObject"]);
    assert_eq!(added[0]["policy"], "module.app.aws_iam_policy.this.policy");
    // Located at the argument the caller changed.
    assert_eq!(added[0]["path"], "main.tf");
    assert_eq!(added[0]["line"], 3);
    // The module's own file did not change: nothing is reported there.
    assert_eq!(json["changes"].as_array().unwrap().len(), 1, "{json:#}");
}

#[test]
fn unknown_values_are_reported_as_unjudged_widenings() {
    let dir = TempDir::new().unwrap();
    let policy = |resource: &str| {
        format!(
            "variable \"bucket_arn\" {{}}\n\nresource \"aws_iam_policy\" \"p\" {{\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = \"s3:GetObject\", Resource = {resource} }}]\n  }})\n}}\n"
        )
    };
    let base = commit(
        dir.path(),
        &[("main.tf", &policy("\"arn:aws:s3:::data/*\""))],
    );
    write(dir.path(), &[("main.tf", &policy("var.bucket_arn"))]);
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let widened = changes(&json, "resource-widened");
    assert_eq!(widened.len(), 1, "{json:#}");
    assert_eq!(widened[0]["judged"], false);
    assert!(widened[0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot be judged"));
}

#[test]
fn variables_from_the_command_line_and_each_sides_config_are_applied() {
    let dir = TempDir::new().unwrap();
    let policy = "variable \"bucket_arn\" {}\n\nresource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Action = \"s3:GetObject\", Resource = var.bucket_arn }]\n  })\n}\n";
    let base = commit(
        dir.path(),
        &[
            ("main.tf", policy),
            (
                "iamlint.toml",
                "[terraform]\nvars = { bucket_arn = \"arn:aws:s3:::data/*\" }\n",
            ),
        ],
    );
    // Unchanged tree: the base side reads the same config vars as the working tree.
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(
        (code, json["changes"].as_array().unwrap().len()),
        (0, 0),
        "{json:#}"
    );

    // The config's value changes in the working tree: the base keeps its own config's value.
    write(
        dir.path(),
        &[(
            "iamlint.toml",
            "[terraform]\nvars = { bucket_arn = \"arn:aws:s3:::*\" }\n",
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let widened = changes(&json, "resource-widened");
    assert_eq!(widened.len(), 1, "{json:#}");
    assert_eq!(widened[0]["judged"], true, "{json:#}");

    // `--var` (and `--var-file`, later on the command line, wins) apply to both sides alike.
    let (code, json) = diff_base(
        dir.path(),
        &base,
        &["--var", "bucket_arn=arn:aws:s3:::logs/*"],
    );
    assert_eq!(
        (code, json["changes"].as_array().unwrap().len()),
        (0, 0),
        "{json:#}"
    );
    // A variables file in the working tree, not in the base revision: the base side reads
    // committed content only, so it is read without it (and says so); the file's value is part
    // of the change.
    let file = dir.path().join("vars/logs.tfvars");
    write(
        dir.path(),
        &[("vars/logs.tfvars", "bucket_arn = \"arn:aws:s3:::logs/*\"\n")],
    );
    let (code, json) = diff_base(
        dir.path(),
        &base,
        &[
            "--var",
            "bucket_arn=x",
            "--var-file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{json:#}");
    let widened = changes(&json, "resource-widened");
    assert_eq!(widened.len(), 1, "{json:#}");
    assert_eq!(widened[0]["path"], "vars/logs.tfvars", "{json:#}");
    assert!(
        json["base_errors"][0]
            .as_str()
            .unwrap()
            .starts_with("vars/logs.tfvars: variables file not in `"),
        "{json:#}"
    );

    // A malformed `--var` or a missing `--var-file` is a usage error.
    for bad in [
        &["--var", "no-equals"][..],
        &["--var-file", "missing.tfvars"],
    ] {
        let output = Command::cargo_bin("iamlint")
            .unwrap()
            .current_dir(dir.path())
            .args(["diff", "--base", &base])
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn each_sides_config_exclude_is_applied() {
    let dir = TempDir::new().unwrap();
    let wide = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let base = commit(
        dir.path(),
        &[
            ("iamlint.toml", "exclude = [\"legacy/**\"]\n"),
            ("legacy/old.json", wide),
        ],
    );
    write(dir.path(), &[("legacy/new.json", wide)]);
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(
        (code, json["changes"].as_array().unwrap().len()),
        (0, 0),
        "{json:#}"
    );

    // The working tree stops excluding the folder: both of its policies are new to the review.
    write(dir.path(), &[("iamlint.toml", "")]);
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(changes(&json, "policy-added").len(), 2, "{json:#}");
}

#[test]
fn fail_on_levels() {
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("p.json", READ_BUCKET)]);
    write(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::data/*", "arn:aws:s3:::data"]}
]}"#,
        )],
    );
    // A List action added: a widening, below `write`.
    assert_eq!(diff_base(dir.path(), &base, &[]).0, 1);
    assert_eq!(diff_base(dir.path(), &base, &["--fail-on", "write"]).0, 0);
    assert_eq!(diff_base(dir.path(), &base, &["--fail-on", "none"]).0, 0);
    write(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutBucketPolicy"], "Resource": ["arn:aws:s3:::data/*", "arn:aws:s3:::data"]}
]}"#,
        )],
    );
    assert_eq!(diff_base(dir.path(), &base, &["--fail-on", "write"]).0, 1);
    assert_eq!(
        diff_base(dir.path(), &base, &["--fail-on", "permissions-management"]).0,
        1
    );
    assert_eq!(
        diff_base(dir.path(), &base, &["--fail-on", "escalation"]).0,
        0
    );
}

#[test]
fn escalation_path_that_becomes_reachable() {
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("p.json", READ_BUCKET)]);
    write(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"},
  {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}
]}"#,
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(code, 1, "{json:#}");
    let found = changes(&json, "escalation-added");
    assert_eq!(found.len(), 1, "{json:#}");
    // The path's actions, as the finding carries them.
    assert_eq!(actions(found[0]), ["iam:CreatePolicyVersion"], "{json:#}");

    // A path the policy reached already, now through another grant (another message): not new.
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}
]}"#,
        )],
    );
    write(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "iam:CreatePolicy*", "Resource": "*"}
]}"#,
        )],
    );
    let (_, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(changes(&json, "escalation-added").len(), 0, "{json:#}");
    assert_eq!(changes(&json, "actions-added").len(), 1, "{json:#}");
}

#[test]
fn deny_statements_are_taken_into_account() {
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("p.json", READ_BUCKET)]);
    write(
        dir.path(),
        &[(
            "p.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "s3:*Object", "Resource": "arn:aws:s3:::data/*"},
  {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}
]}"#,
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(changes(&json, "actions-added").len(), 0, "{json:#}");
}

#[test]
fn two_files_and_other_formats() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &[
            ("old.json", READ_BUCKET),
            (
                "new.json",
                r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/*"}
]}"#,
            ),
        ],
    );
    let run = |format: &str| {
        let out = Command::cargo_bin("iamlint")
            .unwrap()
            .current_dir(dir.path())
            .args(["diff", "old.json", "new.json", "--format", format])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let (code, human) = run("human");
    assert_eq!(code, 1);
    assert!(human.contains("+ actions-added new.json:2:"), "{human}");
    assert!(human.contains("`s3:PutObject`"), "{human}");
    let (_, markdown) = run("markdown");
    // One section per policy (or principal), then its changes.
    assert!(markdown.contains("\n**`new.json`**\n"), "{markdown}");
    assert!(
        markdown.contains("| 🔺 widening | **actions-added**"),
        "{markdown}"
    );
    assert!(markdown.contains("<details>"), "{markdown}");
    let (_, github) = run("github");
    assert!(
        github.contains("::warning file=new.json,line=2,col="),
        "{github}"
    );
    // Usage errors exit 2.
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["diff", "old.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["diff", "--base", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "not a repository");
}

// Issue 25: a change cannot switch off its own gate, and a hostile base revision is bounded.

const WIDE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

#[test]
fn a_change_that_excludes_or_ignores_its_own_files_is_still_compared() {
    let hides: &[(&str, &str)] = &[
        ("iamlint.toml", "exclude = [\"infra/\"]\n"),
        (".iamlintignore", "infra/\n"),
        (".gitignore", "*.json\n"),
        ("infra/.ignore", "*\n"),
    ];
    for (file, text) in hides {
        let dir = TempDir::new().unwrap();
        let base = commit(dir.path(), &[("infra/app.json", READ_BUCKET)]);
        write(
            dir.path(),
            &[
                ("infra/app.json", WIDE),
                ("infra/new.json", WIDE),
                (file, text),
            ],
        );
        let (code, json) = diff_base(dir.path(), &base, &[]);
        assert_eq!(code, 1, "{file}: {json:#}");
        let added = changes(&json, "actions-added");
        assert!(
            added.iter().any(|c| c["path"] == "infra/app.json"),
            "{file}: {json:#}"
        );
        let new = changes(&json, "policy-added");
        assert!(
            new.iter().any(|c| c["path"] == "infra/new.json"),
            "{file}: {json:#}"
        );
    }
}

/// A commit whose tree names one small policy 16^4 = 65,536 times (16 folders of 16 folders of
/// 16 folders of 16 files, named `00<suffix>` to `15<suffix>`), in five objects.
fn tree_bomb(dir: &Path, suffix: &str) -> String {
    use gix::objs::tree::{Entry, EntryKind};
    let repo = gix::init(dir).unwrap();
    let blob = repo.write_blob(READ_BUCKET.as_bytes()).unwrap().detach();
    let mut id = blob;
    for level in 0..4 {
        let (kind, suffix) = if level == 0 {
            (EntryKind::Blob, suffix)
        } else {
            (EntryKind::Tree, "")
        };
        let mut entries: Vec<Entry> = (0..16)
            .map(|i| Entry {
                mode: kind.into(),
                filename: format!("{i:02}{suffix}").into(),
                oid: id,
            })
            .collect();
        entries.sort();
        id = repo
            .write_object(gix::objs::Tree { entries })
            .unwrap()
            .detach();
    }
    common::commit_object(&repo, id, "bomb")
}

/// The `iamlint-diff-*` folders left in `tmp`.
fn left_behind(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("iamlint-diff-"))
        .collect()
}

#[test]
fn a_base_revision_past_the_file_budget_is_an_error_not_a_full_copy() {
    let dir = TempDir::new().unwrap();
    let tmp = TempDir::new().unwrap();
    let base = tree_bomb(dir.path(), ".json");
    let output = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .env("TMPDIR", tmp.path())
        .args(["diff", "--base", &base])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // Located: the file where the budget ran out, and the bound.
    assert!(stderr.contains(".json: the base revision"), "{stderr}");
    assert!(stderr.contains("more than 50,000 files"), "{stderr}");
    assert_eq!(left_behind(tmp.path()), Vec::<String>::new());
}

#[test]
fn files_diff_does_not_read_are_not_written_nor_counted() {
    // The same 65,536 names as `.bin` files: none is written, so the budget is not reached and
    // the run compares an empty base with the working tree's policy.
    let dir = TempDir::new().unwrap();
    let base = tree_bomb(dir.path(), ".bin");
    write(dir.path(), &[("app.json", WIDE)]);
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(changes(&json, "policy-added").len(), 1, "{json:#}");
    assert_eq!(json["base_errors"], serde_json::json!([]), "{json:#}");
}

#[cfg(unix)]
#[test]
fn sigterm_removes_the_temporary_folder() {
    let dir = TempDir::new().unwrap();
    let tmp = TempDir::new().unwrap();
    // Enough files that the run is still going when the signal comes.
    let files: Vec<(String, &str)> = (0..3000)
        .map(|i| (format!("p/{i:04}.json"), READ_BUCKET))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    let base = commit(dir.path(), &files);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("iamlint"))
        .current_dir(dir.path())
        .env("TMPDIR", tmp.path())
        .args(["diff", "--base", &base])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while left_behind(tmp.path()).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no temporary folder appeared"
        );
        if child.try_wait().unwrap().is_some() {
            panic!("the run ended before its temporary folder was seen");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signals the child this test spawned and has not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGTERM),
        "the run was still going when signalled: {status:?}"
    );
    assert_eq!(left_behind(tmp.path()), Vec::<String>::new());
}

#[test]
fn contrived_wildcards_past_the_work_bound_are_a_change_that_cannot_be_judged() {
    // `x*aaa…ab` against `xaaa…ac*`: matching one pair costs length × length steps.
    let policy = |resource: &str| {
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "{resource}"}}]}}"#
        )
    };
    let a = "a".repeat(30_000);
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[("p.json", &policy(&format!("arn:aws:s3:::x*{a}b")))],
    );
    write(
        dir.path(),
        &[("p.json", &policy(&format!("arn:aws:s3:::x{a}c*")))],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let widened = changes(&json, "resource-widened");
    assert!(
        widened.iter().any(|c| c["judged"] == false
            && c["message"]
                .as_str()
                .unwrap()
                .contains("not compared past iamlint's bound")),
        "{json:#}"
    );
}

#[test]
fn past_a_thousand_resource_changes_the_rest_are_one_change() {
    let policy = |side: &str| {
        let statements: Vec<String> = (0..1005)
            .map(|i| {
                format!(
                    r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{side}-{i}/*"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
            statements.join(",")
        )
    };
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("p.json", &policy("base"))]);
    write(dir.path(), &[("p.json", &policy("head"))]);
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1);
    let widened = changes(&json, "resource-widened");
    assert_eq!(widened.len(), 1001);
    let rest: Vec<_> = widened
        .iter()
        .filter(|c| {
            c["message"]
                .as_str()
                .unwrap()
                .starts_with("and 5 more resources")
        })
        .collect();
    assert_eq!(rest.len(), 1, "{:#}", widened[0]);
    assert_eq!(actions(rest[0]), ["s3:GetObject"]);
    assert_eq!(changes(&json, "resource-narrowed").len(), 1001);
}

// Issue 27: `diff` on the principal model. Changes are per principal, netted across its
// documents.

const TF_ROLE: &str = r#"resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}
"#;

/// An inline policy of `role` named `name` with `statements` (HCL objects).
fn inline(name: &str, role: &str, statements: &[&str]) -> String {
    format!(
        "resource \"aws_iam_role_policy\" \"{name}\" {{\n  role = {role}.name\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{}]\n  }})\n}}\n",
        statements.join(", ")
    )
}

const GET: &str =
    r#"{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::data/*" }"#;
const SEND: &str = r#"{ Effect = "Allow", Action = "sqs:SendMessage", Resource = "arn:aws:sqs:us-east-1:111122223333:q" }"#;

fn assert_no_change(dir: &Path, base: &str) {
    let (code, json) = diff_base(dir, base, &[]);
    assert_eq!(
        (code, json["changes"].as_array().unwrap().len()),
        (0, 0),
        "{json:#}"
    );
}

#[test]
fn moving_a_statement_to_another_policy_and_file_is_no_change() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[
            ("infra/role.tf", TF_ROLE),
            (
                "infra/policy.tf",
                &inline("a", "aws_iam_role.app", &[GET, SEND]),
            ),
        ],
    );
    // Split: the statement moves to a new inline policy in a new file.
    write(
        dir.path(),
        &[
            ("infra/policy.tf", &inline("a", "aws_iam_role.app", &[GET])),
            ("infra/more.tf", &inline("b", "aws_iam_role.app", &[SEND])),
        ],
    );
    assert_no_change(dir.path(), &base);
    // Merged back into one policy of another name, in the role's file.
    std::fs::remove_file(dir.path().join("infra/more.tf")).unwrap();
    std::fs::remove_file(dir.path().join("infra/policy.tf")).unwrap();
    write(
        dir.path(),
        &[(
            "infra/role.tf",
            &format!(
                "{TF_ROLE}\n{}",
                inline("all", "aws_iam_role.app", &[SEND, GET])
            ),
        )],
    );
    assert_no_change(dir.path(), &base);
}

#[test]
fn renaming_a_role_with_or_without_moved_and_into_a_module_is_no_change() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &format!("{TF_ROLE}\n{}", inline("a", "aws_iam_role.app", &[GET])),
        )],
    );
    let renamed = TF_ROLE.replace("\"app\" {", "\"service\" {");
    // With a `moved {}` block.
    write(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{renamed}\n{}\nmoved {{\n  from = aws_iam_role.app\n  to   = aws_iam_role.service\n}}\n",
                inline("a", "aws_iam_role.service", &[GET])
            ),
        )],
    );
    assert_no_change(dir.path(), &base);
    // Without one: paired by content.
    write(
        dir.path(),
        &[(
            "main.tf",
            &format!("{renamed}\n{}", inline("a", "aws_iam_role.service", &[GET])),
        )],
    );
    assert_no_change(dir.path(), &base);
    // Into a local module, with a `moved {}` block: the module's folder is not a second root.
    write(
        dir.path(),
        &[
            (
                "modules/app/main.tf",
                &format!("{TF_ROLE}\n{}", inline("a", "aws_iam_role.app", &[GET])),
            ),
            (
                "main.tf",
                "module \"app\" {\n  source = \"./modules/app\"\n}\n\nmoved {\n  from = aws_iam_role.app\n  to   = module.app.aws_iam_role.app\n}\n",
            ),
        ],
    );
    assert_no_change(dir.path(), &base);
}

#[test]
fn a_cloudformation_template_converted_to_yaml_under_a_new_name_is_no_change() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "stack.json",
            r#"{"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
  "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]},
  "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}}]
}}}}"#,
        )],
    );
    std::fs::remove_file(dir.path().join("stack.json")).unwrap();
    write(
        dir.path(),
        &[(
            "templates/app.yaml",
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRole\n            Principal:\n              Service: lambda.amazonaws.com\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n              - Effect: Allow\n                Action: s3:GetObject\n                Resource: arn:aws:s3:::data/*\n",
        )],
    );
    assert_no_change(dir.path(), &base);
}

fn attach(role: &str, policy: &str) -> String {
    format!(
        "resource \"aws_iam_role_policy_attachment\" \"m\" {{\n  role       = {role}.name\n  policy_arn = \"arn:aws:iam::aws:policy/{policy}\"\n}}\n"
    )
}

#[test]
fn a_managed_policy_swap_reports_only_what_is_new_to_the_principal() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{TF_ROLE}\n{}",
                attach("aws_iam_role.app", "PowerUserAccess")
            ),
        )],
    );
    write(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{TF_ROLE}\n{}",
                attach("aws_iam_role.app", "ReadOnlyAccess")
            ),
        )],
    );
    let (_, json) = diff_base(dir.path(), &base, &[]);
    let attached = changes(&json, "managed-policy-attached");
    assert_eq!(attached.len(), 1, "{json:#}");
    let new = attached[0]["actions_total"].as_u64().unwrap();
    // PowerUserAccess allows everything but IAM, Organizations and Account (some actions
    // excepted): what ReadOnlyAccess adds is those services' reads, not its 6,900 actions.
    assert!(new > 0 && new < 500, "{new}: {json:#}");
    assert!(
        actions(attached[0]).iter().all(|a| a.starts_with("iam:")
            || a.starts_with("organizations:")
            || a.starts_with("account:")),
        "{json:#}"
    );
    assert!(
        attached[0]["access_levels"].get("Write").is_none(),
        "{json:#}"
    );
    assert!(attached[0]["message"]
        .as_str()
        .unwrap()
        .contains("ReadOnlyAccess"));
    assert_eq!(
        changes(&json, "managed-policy-detached").len(),
        1,
        "{json:#}"
    );
}

#[test]
fn escalation_split_across_files_is_found_when_the_attachment_is_added() {
    let dir = TempDir::new().unwrap();
    let pass = r#"{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }"#;
    let lambda = r#"resource "aws_iam_policy" "lambda" {
  name = "lambda"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["lambda:CreateFunction", "lambda:InvokeFunction"], Resource = "*" }]
  })
}
"#;
    let base = commit(
        dir.path(),
        &[
            (
                "infra/role.tf",
                &format!("{TF_ROLE}\n{}", inline("pass", "aws_iam_role.app", &[pass])),
            ),
            ("infra/lambda.tf", lambda),
        ],
    );
    write(
        dir.path(),
        &[(
            "infra/attach.tf",
            "resource \"aws_iam_role_policy_attachment\" \"l\" {\n  role       = aws_iam_role.app.name\n  policy_arn = aws_iam_policy.lambda.arn\n}\n",
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(code, 1, "{json:#}");
    let found = changes(&json, "escalation-added");
    assert_eq!(found.len(), 1, "{json:#}");
    assert_eq!(found[0]["policy"], "role aws_iam_role.app (infra)");
    let acts = actions(found[0]);
    assert!(acts.contains(&"iam:PassRole"), "{json:#}");
}

#[test]
fn a_removed_permissions_boundary_opens_an_escalation() {
    let dir = TempDir::new().unwrap();
    let role = |boundary: &str| {
        format!(
            "{}\n{}",
            TF_ROLE.replace(
                "  name = \"app\"\n",
                &format!("  name = \"app\"\n{boundary}")
            ),
            inline(
                "a",
                "aws_iam_role.app",
                &[r#"{ Effect = "Allow", Action = "iam:CreatePolicyVersion", Resource = "*" }"#]
            )
        )
    };
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &role("  permissions_boundary = \"arn:aws:iam::aws:policy/ReadOnlyAccess\"\n"),
        )],
    );
    write(dir.path(), &[("main.tf", &role(""))]);
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(changes(&json, "escalation-added").len(), 1, "{json:#}");
}

/// Actions added that the role's permissions boundary does not allow are not new effective
/// permissions: reported as not effective, at no `--fail-on` level; once the boundary goes,
/// they are added.
#[test]
fn actions_outside_the_permissions_boundary_are_not_effective() {
    let dir = TempDir::new().unwrap();
    let role = |boundary: &str, statements: &[&str]| {
        format!(
            "{}\n{}",
            TF_ROLE.replace(
                "  name = \"app\"\n",
                &format!("  name = \"app\"\n{boundary}")
            ),
            inline("a", "aws_iam_role.app", statements)
        )
    };
    let boundary = "  permissions_boundary = \"arn:aws:iam::aws:policy/ReadOnlyAccess\"\n";
    let wider =
        r#"{ Effect = "Allow", Action = ["iam:CreateUser", "s3:ListBucket"], Resource = "*" }"#;
    let base = commit(dir.path(), &[("main.tf", &role(boundary, &[GET]))]);
    write(dir.path(), &[("main.tf", &role(boundary, &[GET, wider]))]);
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "write"]);
    assert_eq!(code, 0, "{json:#}");
    let added = changes(&json, "actions-added");
    assert_eq!(added.len(), 2, "{json:#}");
    let effective: Vec<&&Value> = added.iter().filter(|c| c["level"] != "none").collect();
    assert_eq!(effective.len(), 1, "{json:#}");
    assert_eq!(actions(effective[0]), ["s3:ListBucket"], "{json:#}");
    let outside: Vec<&&Value> = added.iter().filter(|c| c["level"] == "none").collect();
    assert_eq!(outside.len(), 1, "{json:#}");
    assert_eq!(actions(outside[0]), ["iam:CreateUser"], "{json:#}");
    assert!(
        outside[0]["message"]
            .as_str()
            .unwrap()
            .contains("permissions boundary does not allow (not effective)"),
        "{json:#}"
    );
    // The default level fails on the effective List action only.
    assert_eq!(diff_base(dir.path(), &base, &[]).0, 1);
    // An annotation that grants nothing is a notice, not a warning.
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["diff", "--base", &base, "--format", "github"])
        .output()
        .unwrap();
    let github = String::from_utf8(out.stdout).unwrap();
    let outside_line = github
        .lines()
        .find(|l| l.contains("not effective"))
        .unwrap_or_else(|| panic!("{github}"));
    assert!(outside_line.starts_with("::notice "), "{github}");
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["diff", "--base", &base, "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains("| ⚪ not effective | **actions-added**"),
        "{md}"
    );
    assert!(md.contains("- new by access level: List 1\n"), "{md}");

    // The boundary removed: the action is new and effective.
    write(dir.path(), &[("main.tf", &role("", &[GET, wider]))]);
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "write"]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "actions-added");
    assert!(
        added
            .iter()
            .any(|c| actions(c).contains(&"iam:CreateUser") && c["level"] == "write"),
        "{json:#}"
    );
    assert!(added.iter().all(|c| c["level"] != "none"), "{json:#}");

    // A new role within a boundary: what it is granted in effect, and what it is not.
    let new_role = role(boundary, &[wider])
        .replace("\"app\"", "\"other\"")
        .replace("aws_iam_role.app", "aws_iam_role.other")
        .replace(
            "\"aws_iam_role_policy\" \"a\"",
            "\"aws_iam_role_policy\" \"b\"",
        );
    write(
        dir.path(),
        &[(
            "main.tf",
            &format!("{}\n{new_role}", role(boundary, &[GET])),
        )],
    );
    let (_, json) = diff_base(dir.path(), &base, &[]);
    let added: Vec<&Value> = changes(&json, "policy-added")
        .into_iter()
        .filter(|c| c["policy"] == "role aws_iam_role.other")
        .filter(|c| c["message"].as_str().unwrap().starts_with("new policies"))
        .collect();
    assert_eq!(added.len(), 1, "{json:#}");
    assert_eq!(actions(added[0]), ["s3:ListBucket"], "{json:#}");
    assert!(
        added[0]["message"]
            .as_str()
            .unwrap()
            .contains("(and 1 action that the permissions boundary does not allow: not effective)"),
        "{json:#}"
    );
}

const S3_TRUST: &str = r#"resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = PRINCIPAL }
    }]
  })
}
"#;

#[test]
fn a_public_trust_policy_fails_at_every_level_but_none() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &S3_TRUST.replace("PRINCIPAL", "\"arn:aws:iam::111122223333:role/ci\""),
        )],
    );
    write(
        dir.path(),
        &[("main.tf", &S3_TRUST.replace("PRINCIPAL", "\"*\""))],
    );
    for level in [
        "widening",
        "write",
        "permissions-management",
        "escalation",
        "exposure",
    ] {
        let (code, json) = diff_base(dir.path(), &base, &["--fail-on", level]);
        assert_eq!(code, 1, "{level}: {json:#}");
        let added = changes(&json, "principal-added");
        assert_eq!(added.len(), 1, "{json:#}");
        assert_eq!(added[0]["level"], "exposure");
        assert!(added[0]["message"].as_str().unwrap().contains("public"));
        assert_eq!(added[0]["line"], 8, "{json:#}");
    }
    assert_eq!(diff_base(dir.path(), &base, &["--fail-on", "none"]).0, 0);
}

#[test]
fn an_oidc_trust_that_loses_its_sub_condition_is_exposure() {
    let dir = TempDir::new().unwrap();
    let trust = |condition: &str| {
        format!(
            r#"resource "aws_iam_role" "deploy" {{
  name = "deploy"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = {{ Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }}
      Condition = {{
        StringEquals = {{
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
{condition}        }}
      }}
    }}]
  }})
}}
"#
        )
    };
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &trust("          \"token.actions.githubusercontent.com:sub\" = \"repo:org/app:ref:refs/heads/main\"\n"),
        )],
    );
    write(dir.path(), &[("main.tf", &trust(""))]);
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "permissions-management"]);
    assert_eq!(code, 1, "{json:#}");
    let removed = changes(&json, "condition-removed");
    assert_eq!(removed.len(), 1, "{json:#}");
    assert_eq!(removed[0]["level"], "exposure", "{json:#}");
    // The operator block that lost the key, not the condition block above it.
    assert_eq!(
        (removed[0]["line"].as_u64(), &removed[0]["side"]),
        (Some(10), &Value::from("head")),
        "{json:#}"
    );
}

/// A condition removed is located at the changed line of the head: the key that lost a value,
/// else the operator block that lost a key, else the statement now without the operator; not
/// the head's remaining (unchanged) condition block.
#[test]
fn condition_removed_points_at_the_changed_line_of_the_head() {
    let policy = |conditions: &str| {
        format!(
            r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Sid": "Read",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::data/*",
      "Condition": {{
        "Bool": {{"aws:SecureTransport": "true"}},
{conditions}
      }}
    }}
  ]
}}
"#
        )
    };
    let cases = [
        // The whole operator gone: the statement (its `Sid`, line 5).
        (
            "        \"StringEquals\": {\"aws:SourceVpc\": \"vpc-1\"},\n        \"IpAddress\": {\"aws:SourceIp\": \"10.0.0.0/8\"}",
            "        \"IpAddress\": {\"aws:SourceIp\": \"10.0.0.0/8\"}",
            5,
        ),
        // One key of the operator gone: the operator (line 11).
        (
            "        \"StringEquals\": {\n          \"aws:SourceVpc\": \"vpc-1\",\n          \"aws:SourceAccount\": \"111122223333\"\n        }",
            "        \"StringEquals\": {\n          \"aws:SourceAccount\": \"111122223333\"\n        }",
            11,
        ),
        // A value of the key gone: the key (line 12).
        (
            "        \"StringEquals\": {\n          \"aws:SourceVpc\": [\"vpc-1\", \"vpc-2\"]\n        }",
            "        \"StringEquals\": {\n          \"aws:SourceVpc\": \"vpc-1\"\n        }",
            12,
        ),
    ];
    for (before, after, line) in cases {
        let dir = TempDir::new().unwrap();
        let base = commit(dir.path(), &[("p.json", &policy(before))]);
        write(dir.path(), &[("p.json", &policy(after))]);
        let (code, json) = diff_base(dir.path(), &base, &[]);
        assert_eq!(code, 1, "{json:#}");
        let removed = changes(&json, "condition-removed");
        assert_eq!(removed.len(), 1, "{json:#}");
        assert_eq!(
            (removed[0]["line"].as_u64(), &removed[0]["side"]),
            (Some(line), &Value::from("head")),
            "{after}\n{json:#}"
        );
    }
}

#[test]
fn a_removed_conditional_deny_is_a_widening_not_judged() {
    let dir = TempDir::new().unwrap();
    let policy = |deny: &str| {
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [
  {{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}}{deny}
]}}"#
        )
    };
    let deny = r#",
  {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}"#;
    let base = commit(dir.path(), &[("p.json", &policy(deny))]);
    write(dir.path(), &[("p.json", &policy(""))]);
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let removed = changes(&json, "deny-removed");
    assert_eq!(removed.len(), 1, "{json:#}");
    assert_eq!(removed[0]["judged"], false);
    assert_eq!(removed[0]["side"], "base");
    assert_eq!(actions(removed[0]), ["s3:DeleteObject"]);

    // A blanket Deny given a condition: the actions it denied are added, not judged.
    let blanket = r#",
  {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}"#;
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("p.json", &policy(blanket))]);
    write(dir.path(), &[("p.json", &policy(deny))]);
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "actions-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_eq!(actions(added[0]), ["s3:DeleteObject"]);
    assert_eq!(added[0]["judged"], false, "{json:#}");
}

#[test]
fn a_suppression_added_by_the_change_does_not_hide_its_escalation() {
    let dir = TempDir::new().unwrap();
    let escalating = r#"{ Effect = "Allow", Action = "iam:CreatePolicyVersion", Resource = "*" }"#;
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &format!("{TF_ROLE}\n{}", inline("a", "aws_iam_role.app", &[GET])),
        )],
    );
    write(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{TF_ROLE}\n# iamlint: ignore[privilege-escalation] reviewed\n{}",
                inline("a", "aws_iam_role.app", &[GET, escalating])
            ),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(code, 1, "{json:#}");
    let found = changes(&json, "escalation-added");
    assert_eq!(found.len(), 1, "{json:#}");
    assert_eq!(found[0]["suppressed_by_change"], true, "{json:#}");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("suppressed by this change"));

    // A suppression the base already had still applies.
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{TF_ROLE}\n# iamlint: ignore[privilege-escalation] reviewed\n{}",
                inline("a", "aws_iam_role.app", &[GET])
            ),
        )],
    );
    write(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{TF_ROLE}\n# iamlint: ignore[privilege-escalation] reviewed\n{}",
                inline("a", "aws_iam_role.app", &[GET, escalating])
            ),
        )],
    );
    let (_, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(changes(&json, "escalation-added").len(), 0, "{json:#}");

    // The base's comment moved from the policy it covered onto a new one that escalates: the
    // same text, as many times, but not the same identity: new (the text count took it as the
    // base's).
    let dir = TempDir::new().unwrap();
    let comment = "# iamlint: ignore[privilege-escalation] reviewed\n";
    let base = commit(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{TF_ROLE}\n{comment}{}",
                inline("a", "aws_iam_role.app", &[GET])
            ),
        )],
    );
    write(
        dir.path(),
        &[(
            "main.tf",
            &format!(
                "{TF_ROLE}\n{}\n{comment}{}",
                inline("a", "aws_iam_role.app", &[GET]),
                inline("b", "aws_iam_role.app", &[escalating])
            ),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(code, 1, "{json:#}");
    let found = changes(&json, "escalation-added");
    assert_eq!(found.len(), 1, "{json:#}");
    assert_eq!(found[0]["suppressed_by_change"], true, "{json:#}");
}

#[test]
fn diff_of_named_files_reports_the_changes_they_cause_elsewhere() {
    let dir = TempDir::new().unwrap();
    let variables = |arn: &str| format!("variable \"bucket\" {{\n  default = \"{arn}\"\n}}\n");
    let main = "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Action = \"s3:GetObject\", Resource = var.bucket }]\n  })\n}\n";
    let module = |action: &str| {
        format!("resource \"aws_iam_policy\" \"this\" {{\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = \"{action}\", Resource = \"*\" }}]\n  }})\n}}\n")
    };
    let call = "module \"m\" {\n  source = \"./modules/m\"\n}\n";
    let base = commit(
        dir.path(),
        &[
            ("variables.tf", &variables("arn:aws:s3:::data/*")),
            ("main.tf", main),
            ("call.tf", call),
            ("modules/m/main.tf", &module("sqs:SendMessage")),
            ("other.json", READ_BUCKET),
        ],
    );
    write(
        dir.path(),
        &[
            ("variables.tf", &variables("*")),
            ("modules/m/main.tf", &module("sqs:*")),
            (
                "other.json",
                &READ_BUCKET.replace("\"s3:GetObject\"", "\"s3:*\""),
            ),
        ],
    );
    // The variable's default widens a policy of main.tf: reported, at the default.
    let (code, json) = diff_base(dir.path(), &base, &["variables.tf"]);
    assert_eq!(code, 1, "{json:#}");
    let all = json["changes"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{json:#}");
    assert_eq!(all[0]["kind"], "resource-widened");
    assert_eq!(all[0]["path"], "variables.tf");
    assert_eq!(all[0]["line"], 2);
    // A module's body: the change of its caller's instance, located in the module.
    let (code, json) = diff_base(dir.path(), &base, &["modules/m/main.tf"]);
    assert_eq!(code, 1, "{json:#}");
    let all = json["changes"].as_array().unwrap();
    assert!(!all.is_empty(), "{json:#}");
    assert!(
        all.iter().all(|c| c["path"] == "modules/m/main.tf"),
        "{json:#}"
    );
    assert!(
        all.iter()
            .any(|c| c["policy"] == "module.m.aws_iam_policy.this.policy"),
        "{json:#}"
    );
    // A JSON file named alone: only its own changes.
    let (_, json) = diff_base(dir.path(), &base, &["other.json"]);
    let all = json["changes"].as_array().unwrap();
    assert!(
        !all.is_empty() && all.iter().all(|c| c["path"] == "other.json"),
        "{json:#}"
    );
}

#[test]
fn lambda_permissions_are_read_as_resource_policies() {
    let dir = TempDir::new().unwrap();
    let permission = |principal: &str| {
        format!(
            "resource \"aws_lambda_permission\" \"api\" {{\n  action        = \"lambda:InvokeFunction\"\n  function_name = \"arn:aws:lambda:us-east-1:111122223333:function:f\"\n  principal     = \"{principal}\"\n}}\n"
        )
    };
    let base = commit(
        dir.path(),
        &[("main.tf", &permission("apigateway.amazonaws.com"))],
    );
    write(dir.path(), &[("main.tf", &permission("*"))]);
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "escalation"]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "principal-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_eq!(added[0]["level"], "exposure");
    assert_eq!(added[0]["line"], 4);
    assert_eq!(actions(added[0]), ["lambda:InvokeFunction"]);

    // CloudFormation: a new public `AWS::Lambda::Permission`.
    let template = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: index.handler\n";
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("stack.yaml", template)]);
    write(
        dir.path(),
        &[(
            "stack.yaml",
            &format!("{template}  Public:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Action: lambda:InvokeFunction\n      FunctionName: !GetAtt Fn.Arn\n      Principal: \"*\"\n"),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &["--fail-on", "permissions-management"]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "policy-added");
    assert_eq!(added.len(), 1, "{json:#}");
    assert_eq!(added[0]["level"], "exposure", "{json:#}");
}

#[test]
fn markdown_per_principal_color_and_base_side_places() {
    let dir = TempDir::new().unwrap();
    let trust = S3_TRUST.replace("PRINCIPAL", "\"*\"");
    write(
        dir.path(),
        &[
            (
                "old/main.tf",
                &format!("{TF_ROLE}\n{}", inline("a", "aws_iam_role.app", &[GET])),
            ),
            (
                "new/main.tf",
                &format!("{trust}\n{}", inline("a", "aws_iam_role.app", &[SEND])),
            ),
        ],
    );
    let run = |extra: &[&str]| {
        let output = Command::cargo_bin("iamlint")
            .unwrap()
            .current_dir(dir.path())
            .args(["diff", "old", "new"])
            .args(extra)
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
        )
    };
    let (code, md) = run(&["--format", "markdown"]);
    assert_eq!(code, 1, "{md}");
    assert!(md.contains("\n**`role aws_iam_role.app`**\n"), "{md}");
    assert!(md.contains("- assumable by: `AWS * (public)`"), "{md}");
    assert!(md.contains("- new by access level: Write"), "{md}");
    assert!(md.contains("| exposure Write 1 |"), "{md}");
    // The removed statement is located in the base side, and says so.
    assert!(md.contains("| `main.tf:17:47 (base)` |"), "{md}");
    let (_, colored) = run(&["--color", "always"]);
    assert!(
        colored.contains("\u{1b}[1;31m+\u{1b}[0m principal-added"),
        "{colored}"
    );
    let (_, plain) = run(&["--color", "never"]);
    assert!(
        !plain.contains('\u{1b}') && plain.contains("  + principal-added"),
        "{plain}"
    );
    assert!(plain.contains(" (base): "), "{plain}");
}

#[test]
fn a_blob_named_twice_in_the_base_is_read_on_both_names() {
    // Two files of one content are one blob: the base side used to write it once and hard-link
    // the second name, which the reader refuses (a file with several links), so an unchanged
    // tree showed its policies as added.
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[("a/p.json", READ_BUCKET), ("b/p.json", READ_BUCKET)],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(json["base_errors"].as_array().unwrap().len(), 0, "{json:#}");
    assert_eq!(
        (code, json["changes"].as_array().unwrap().len()),
        (0, 0),
        "{json:#}"
    );
}

#[test]
fn a_large_expansion_keeps_a_thousand_names_and_counts_them_all() {
    let dir = TempDir::new().unwrap();
    let base = commit(dir.path(), &[("p.json", READ_BUCKET)]);
    write(
        dir.path(),
        &[(
            "p.json",
            &READ_BUCKET.replace("\"s3:GetObject\"", "[\"s3:GetObject\", \"*\"]"),
        )],
    );
    let (code, json) = diff_base(dir.path(), &base, &[]);
    assert_eq!(code, 1, "{json:#}");
    let added = changes(&json, "actions-added");
    assert_eq!(added.len(), 1, "{json:#}");
    let total = added[0]["actions_total"].as_u64().unwrap();
    assert!(total > 10_000, "{total}");
    let names = actions(added[0]);
    assert_eq!(names.len(), 1000);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
    let by_level: u64 = added[0]["access_levels"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(by_level, total, "{json:#}");
    let message = added[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("and {} more", total - 4)),
        "{message}"
    );
}

/// `diff OLD NEW` outside a repository finds the config as `check` does, up to the current
/// folder (here the one above both sides, whose `exclude` leaves the new wide policy out); and
/// `-o -` writes to stdout, as `check -o -` does.
#[test]
fn outside_a_repository_the_config_is_found_up_to_the_current_folder_and_dash_is_stdout() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &[
            ("iamlint.toml", "exclude = [\"**/legacy/**\"]\n"),
            ("old/p.json", READ_BUCKET),
            ("new/p.json", READ_BUCKET),
            ("new/legacy/wide.json", WIDE),
        ],
    );
    let run = |extra: &[&str]| {
        let out = Command::cargo_bin("iamlint")
            .unwrap()
            .current_dir(dir.path())
            .args(["diff", "old", "new", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), json)
    };
    let (code, json) = run(&[]);
    assert_eq!(
        (code, json["changes"].as_array().unwrap().len()),
        (0, 0),
        "{json:#}"
    );
    // The same without the config: the wide policy is new.
    std::fs::remove_file(dir.path().join("iamlint.toml")).unwrap();
    let (code, json) = run(&["-o", "-"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(changes(&json, "policy-added").len(), 1, "{json:#}");
    assert!(
        !dir.path().join("-").exists(),
        "`-o -` wrote a file named `-`"
    );
}

/// The Markdown report links each place to its line: on GitHub Actions (from its environment)
/// the head side at the pull request's head commit and the base side at the base commit; with
/// `--link-base`, the head side there; outside a CI and without it, nothing is linked.
#[test]
fn markdown_links_to_the_changed_lines() {
    let dir = TempDir::new().unwrap();
    let base = commit(
        dir.path(),
        &[(
            "policies/app.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"},
  {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
]}"#,
        )],
    );
    write(
        dir.path(),
        &[(
            "policies/app.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/*"}
]}"#,
        )],
    );
    let head_sha = "0123456789abcdef0123456789abcdef01234567";
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"pull_request": {{"head": {{"sha": "{head_sha}"}}}}}}"#),
    )
    .unwrap();
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = Command::cargo_bin("iamlint").unwrap();
        for var in [
            "GITHUB_ACTIONS",
            "GITLAB_CI",
            "GITHUB_EVENT_NAME",
            "GITHUB_EVENT_PATH",
        ] {
            cmd.env_remove(var);
        }
        let out = cmd
            .current_dir(dir.path())
            .envs(env.iter().copied())
            .args(["diff", "--base", &base, "--format", "markdown"])
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "octo/app"),
        ("GITHUB_SHA", "fedcba9876543210fedcba9876543210fedcba98"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
    ];
    let md = run(&github, &[]);
    assert!(
        md.contains(&format!(
            "| [`policies/app.json:2:50`](https://github.com/octo/app/blob/{head_sha}/policies/app.json#L2) |"
        )),
        "{md}"
    );
    // The removed statement, at the base commit.
    assert!(
        md.contains(&format!(
            "| [`policies/app.json:3:33 (base)`](https://github.com/octo/app/blob/{base}/policies/app.json#L3) |"
        )),
        "{md}"
    );
    assert!(
        !md.contains("fedcba98"),
        "the merge commit is linked:\n{md}"
    );
    // An explicit base wins; it links the head side only.
    let md = run(
        &github,
        &["--link-base", "https://git.example/r/blob/main/"],
    );
    assert!(
        md.contains(
            "| [`policies/app.json:2:50`](https://git.example/r/blob/main/policies/app.json#L2) |"
        ),
        "{md}"
    );
    assert!(md.contains("| `policies/app.json:3:33 (base)` |"), "{md}");
    // No forge: no link.
    let md = run(&[], &[]);
    assert!(md.contains("| `policies/app.json:2:50` |"), "{md}");
    assert!(!md.contains("](http"), "{md}");
}
