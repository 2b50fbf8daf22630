//! `iamlint usage`: CloudTrail records (written from the record examples of the AWS CloudTrail
//! documentation, in tests/data/usage/) against the principals of tests/data/usage/{infra,cfn}.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A path under tests/data/usage, relative to the crate (the commands run there).
fn data(rel: &str) -> PathBuf {
    Path::new("tests/data/usage").join(rel)
}

/// Runs `iamlint usage PATHS --logs LOGS EXTRA --format json`: the report and the exit code.
fn usage(paths: &[&str], logs: &[&str], extra: &[&str]) -> (Value, i32, String) {
    let mut cmd = Command::cargo_bin("iamlint").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).arg("usage");
    for p in paths {
        cmd.arg(data(p));
    }
    cmd.arg("--logs");
    for l in logs {
        cmd.arg(data(l));
    }
    cmd.args(extra).args(["--format", "json"]);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (json, out.status.code().unwrap(), stderr)
}

fn principal<'a>(report: &'a Value, address: &str) -> &'a Value {
    report["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["address"] == address)
        .unwrap_or_else(|| panic!("no principal {address} in {report:#}"))
}

fn actions(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["action"].as_str().unwrap().to_string())
        .collect()
}

fn used_count(p: &Value, action: &str) -> Option<u64> {
    p["used"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["action"] == action)
        .and_then(|u| u["count"].as_u64())
}

#[test]
fn a_json_gz_delivery_tree_maps_exceptional_names_and_multi_action_calls() {
    let (r, code, stderr) = usage(&["infra"], &["delivery"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(r["version"], 1);
    assert_eq!(r["counts"]["files"], 2);
    assert_eq!(r["counts"]["records"], 12);
    let app = principal(&r, "aws_iam_role.app");
    assert_eq!(app["name"], "app-role");
    assert_eq!(app["matched_by"], "name");
    assert_eq!(app["path"], "tests/data/usage/infra/main.tf");
    assert_eq!(app["line"], 2);
    // ListBuckets is s3:ListAllMyBuckets, HeadObject s3:GetObject, the dated Lambda name
    // lambda:GetFunction, `monitoring` is CloudWatch; CopyObject needs GetObject and PutObject.
    assert_eq!(used_count(app, "s3:ListAllMyBuckets"), Some(1));
    assert_eq!(used_count(app, "s3:GetObject"), Some(2));
    assert_eq!(used_count(app, "s3:PutObject"), Some(2));
    assert_eq!(used_count(app, "lambda:GetFunction"), Some(1));
    assert_eq!(used_count(app, "cloudwatch:PutMetricData"), Some(1));
    // A call that failed for another reason than permissions is still usage.
    assert_eq!(used_count(app, "s3:GetBucketVersioning"), Some(1));
    let unused = actions(&app["unused"]);
    assert!(unused.contains(&"s3:CreateBucket".to_string()));
    assert!(!unused.contains(&"s3:GetObject".to_string()));
    assert!(app["unused_by_access_level"]["Write"].as_u64().unwrap() > 0);
    assert!(app["unused_by_service"]["s3"].as_u64().unwrap() > 0);
}

#[test]
fn denied_calls_are_not_usage() {
    let (r, _, _) = usage(&["infra"], &["delivery"], &[]);
    let app = principal(&r, "aws_iam_role.app");
    assert_eq!(actions(&app["denied"]), ["s3:DeleteBucket"]);
    // Granted by `s3:*`: something else refused it.
    assert_eq!(app["denied"][0]["granted"], true);
    assert_eq!(app["denied"][0]["also_used"], false);
    assert_eq!(used_count(app, "s3:DeleteBucket"), None);
    assert!(actions(&app["unused"]).contains(&"s3:DeleteBucket".to_string()));
    assert_eq!(r["counts"]["denied"], 1);
}

#[test]
fn data_events_missing_from_the_logs_are_not_observable_and_kept() {
    let (r, _, _) = usage(&["infra", "cfn"], &["delivery"], &[]);
    // The logs have S3 data events but no Lambda ones: InvokeFunction cannot be judged.
    let app = principal(&r, "aws_iam_role.app");
    let not_observable = actions(&app["not_observable"]);
    assert_eq!(not_observable, ["lambda:InvokeFunction"]);
    let policy = app["minimal_policy"].to_string();
    assert!(policy.contains("lambda:InvokeFunction"), "{policy}");
    assert!(!policy.contains("s3:CreateBucket"), "{policy}");
    // The reader role's GetItem is a DynamoDB data event; DescribeTable a management one.
    let reader = principal(&r, "Resources.ReaderRole");
    assert_eq!(actions(&reader["not_observable"]), ["dynamodb:GetItem"]);
    assert_eq!(actions(&reader["unused"]), ["dynamodb:DeleteTable"]);
}

#[test]
fn the_minimal_policy_names_the_resources_the_calls_named() {
    let (r, _, _) = usage(&["infra"], &["delivery"], &[]);
    let app = principal(&r, "aws_iam_role.app");
    let statements = app["minimal_policy"]["Statement"].as_array().unwrap();
    let find = |action: &str| {
        statements
            .iter()
            .find(|s| {
                s["Action"] == action
                    || s["Action"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == action))
            })
            .unwrap_or_else(|| panic!("{action} not in {statements:#?}"))
    };
    // HeadObject on app-assets, CopyObject into app-archive: the objects of both buckets.
    let get = find("s3:GetObject");
    let resources = get["Resource"].to_string();
    assert!(
        resources.contains("arn:aws:s3:::app-assets/*"),
        "{resources}"
    );
    // ListAllMyBuckets has no resource type: `*`.
    assert_eq!(find("s3:ListAllMyBuckets")["Resource"], "*");
}

#[test]
fn assumed_role_sessions_map_to_terraform_and_cloudformation_roles() {
    let (r, _, _) = usage(&["infra", "cfn"], &["delivery", "lookup"], &[]);
    // CloudFormation RoleName.
    let reader = principal(&r, "Resources.ReaderRole");
    assert_eq!(reader["matched_by"], "name");
    assert_eq!(used_count(reader, "dynamodb:DescribeTable"), Some(1));
    // No RoleName: CloudFormation names it <stack>-<LogicalId>-<suffix>.
    let worker = principal(&r, "Resources.WorkerRole");
    assert_eq!(worker["matched_by"], "logical_id");
    assert_eq!(used_count(worker, "kms:Decrypt"), Some(1));
    assert_eq!(actions(&worker["unused"]), ["kms:Encrypt"]);
    // Terraform name_prefix, from lookup-events output.
    let generated = principal(&r, "aws_iam_role.generated");
    assert_eq!(generated["matched_by"], "name_prefix");
    assert_eq!(used_count(generated, "sqs:GetQueueUrl"), Some(1));
}

#[test]
fn map_names_a_principal_whose_name_is_generated() {
    let (r, _, _) = usage(
        &["infra"],
        &["delivery"],
        &[
            "--map",
            "arn:aws:iam::111122223333:role/someone-else=aws_iam_role.generated",
        ],
    );
    let generated = principal(&r, "aws_iam_role.generated");
    assert_eq!(generated["matched_by"], "map");
    assert_eq!(used_count(generated, "ec2:DescribeInstances"), Some(1));
    // Used but granted by nothing in the tree; SendMessage is an SQS data event these logs lack.
    assert_eq!(generated["used_not_granted"][0], "ec2:DescribeInstances");
    assert_eq!(actions(&generated["unused"]), ["sqs:GetQueueUrl"]);
    assert_eq!(actions(&generated["not_observable"]), ["sqs:SendMessage"]);
}

#[test]
fn principals_outside_the_repository_are_summarized() {
    let (r, _, _) = usage(&["infra"], &["delivery"], &[]);
    let outside = r["outside"].as_array().unwrap();
    let names: Vec<&str> = outside
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"someone-else"), "{names:?}");
    assert!(names.contains(&"cloudtrail.amazonaws.com"), "{names:?}");
    let other = outside
        .iter()
        .find(|o| o["name"] == "someone-else")
        .unwrap();
    assert_eq!(other["kind"], "role");
    assert_eq!(other["calls"], 1);
}

#[test]
fn json_lines_plain_and_gzip_and_a_call_needing_no_permission() {
    let (r, code, stderr) = usage(&["infra"], &["lines"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(r["counts"]["files"], 2);
    assert_eq!(r["counts"]["records"], 3);
    let ci = principal(&r, "aws_iam_user.ci");
    assert_eq!(used_count(ci, "s3:ListAllMyBuckets"), Some(1));
    // PublishBatch (an EventBridge envelope in a .jsonl.gz) is sns:Publish.
    assert_eq!(used_count(ci, "sns:Publish"), Some(1));
    // GetCallerIdentity needs no permission: no usage, and nothing unmapped.
    assert_eq!(used_count(ci, "sts:GetCallerIdentity"), None);
    assert!(ci["unmapped"].as_array().unwrap().is_empty());
}

#[test]
fn lookup_events_output_is_read() {
    let (r, code, _) = usage(&["infra"], &["lookup/lookup-events.json"], &[]);
    assert_eq!(code, 0);
    assert_eq!(r["counts"]["records"], 1);
    assert_eq!(r["window"]["first_event"], "2024-05-21T08:00:00Z");
}

#[test]
fn window_filters_count_only_the_events_inside() {
    let (r, _, _) = usage(&["infra"], &["delivery"], &["--since", "2024-06"]);
    assert_eq!(r["counts"]["records"], 12);
    assert_eq!(r["counts"]["skipped"], 11);
    let app = principal(&r, "aws_iam_role.app");
    assert_eq!(actions(&app["used"]), ["s3:PutObject"]);
    assert_eq!(r["window"]["since"], "2024-06");
    assert_eq!(r["window"]["short"], true);

    let (r, _, _) = usage(&["infra"], &["delivery"], &["--until", "2024-05-31"]);
    let app = principal(&r, "aws_iam_role.app");
    assert_eq!(used_count(app, "s3:PutObject"), Some(1));
    assert_eq!(r["counts"]["skipped"], 1);

    let (r, _, _) = usage(
        &["infra"],
        &["delivery"],
        &["--since", "2024-05-01", "--until", "2024-06-30"],
    );
    assert_eq!(r["window"]["days"], 61);
    assert_eq!(r["window"]["short"], false);
}

#[test]
fn a_bad_window_is_a_usage_error() {
    let mut cmd = Command::cargo_bin("iamlint").unwrap();
    let out = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["usage", "--logs"])
        .arg(data("lines"))
        .args(["--since", "last week"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`last week` is not a date"));
}

#[test]
fn empty_and_malformed_logs_are_located_errors_and_the_rest_is_read() {
    let (r, code, stderr) = usage(&["infra"], &["bad"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("tests/data/usage/bad/empty.json:1:1: empty log file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tests/data/usage/bad/malformed.json:3:"),
        "{stderr}"
    );
    assert_eq!(r["counts"]["errors"], 2);
    assert_eq!(r["counts"]["files"], 1);
    let ci = principal(&r, "aws_iam_user.ci");
    assert_eq!(used_count(ci, "s3:ListAllMyBuckets"), Some(1));
}

#[test]
fn sarif_puts_unused_grants_on_the_policy_lines() {
    let mut cmd = Command::cargo_bin("iamlint").unwrap();
    let out = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("usage")
        .arg(data("infra"))
        .arg("--logs")
        .arg(data("delivery"))
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let app: Vec<&Value> = results
        .iter()
        .filter(|r| r["locations"][0]["logicalLocations"][0]["name"] == "aws_iam_role.app")
        .collect();
    // The `s3:*` statement (line 22) grants unused actions; the Lambda/CloudWatch one (line 27)
    // grants InvokeFunction, which is not observable, not unused.
    let lines: Vec<u64> = app
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [22]);
    assert!(app[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("s3:CreateBucket"));

    // Valid against the official SARIF 2.1.0 schema.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// examples/usage/: the report and the fix its README shows, and the fixed file linting clean.
#[test]
fn the_example_reports_fixes_and_lints_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("examples/usage");
    for (format, expected) in [("human", "report.txt"), ("json", "report.json")] {
        let out = Command::cargo_bin("iamlint")
            .unwrap()
            .current_dir(root)
            .args([
                "usage",
                "examples/usage/infra",
                "--logs",
                "examples/usage/logs",
            ])
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let want = std::fs::read_to_string(example.join(expected)).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), want, "{expected}");
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    let tf = dir.path().join("infra/main.tf");
    std::fs::copy(example.join("infra/main.tf"), &tf).unwrap();
    let run = |extra: &[&str]| {
        Command::cargo_bin("iamlint")
            .unwrap()
            .current_dir(dir.path())
            .args(["usage", "infra", "--logs"])
            .arg(example.join("logs"))
            .args(extra)
            .output()
            .unwrap()
    };
    // `--fix` alone applies nothing: the fix grants less.
    let out = run(&["--fix"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--unsafe-fixes"));
    assert_eq!(
        std::fs::read_to_string(&tf).unwrap(),
        std::fs::read_to_string(example.join("infra/main.tf")).unwrap()
    );
    let out = run(&["--unsafe-fixes"]);
    assert_eq!(out.status.code(), Some(0));
    // One statement, two edits (its Action and its Resource): the note counts statements.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("narrowed 1 statement in 1 file"),
        "{stderr}"
    );
    let fixed = std::fs::read_to_string(&tf).unwrap();
    assert_eq!(
        fixed,
        std::fs::read_to_string(example.join("fixed/main.tf")).unwrap()
    );
    let check = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "infra", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(check.status.code(), Some(0), "{report:#}");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
}

#[test]
fn the_fix_leaves_a_policy_an_unjudged_principal_also_holds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/usage");
    let shared = std::fs::read_to_string(example.join("infra/main.tf")).unwrap()
        + r#"
resource "aws_iam_role" "other" {
  name = "other-role"
  assume_role_policy = aws_iam_role.app.assume_role_policy
}

resource "aws_iam_policy" "shared" {
  name   = "shared"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*"], Resource = "*" }]
  })
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.shared.arn
}

resource "aws_iam_role_policy_attachment" "other" {
  role       = aws_iam_role.other.name
  policy_arn = aws_iam_policy.shared.arn
}
"#;
    let tf = dir.path().join("main.tf");
    std::fs::write(&tf, &shared).unwrap();
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["usage", ".", "--unsafe-fixes", "--logs"])
        .arg(example.join("logs"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("also held by a principal the logs did not judge"),
        "{stderr}"
    );
    let fixed = std::fs::read_to_string(&tf).unwrap();
    // The inline policy of app-role is narrowed; the shared managed policy is not.
    assert!(
        fixed.contains(r#"Action = ["s3:*"], Resource = "*""#),
        "{fixed}"
    );
    assert!(
        fixed.contains(r#"["dynamodb:Query", "s3:GetObject"]"#),
        "{fixed}"
    );
}

/// Names in the logs are hostile input: no terminal escape, no CI-runner command, no Markdown
/// markup reaches the output.
#[test]
fn hostile_names_in_the_logs_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // JSON escapes: the decoded name holds ESC and a newline.
    let role = r"evil\u001b[31m\n::error::pwned ##[warning]x <img src=x> @team";
    let record = format!(
        r#"{{"eventTime":"2024-05-01T00:00:00Z <img src=y> ##[error]","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{{"type":"AssumedRole","arn":"x","sessionContext":{{"sessionIssuer":{{"arn":"arn:aws:iam::111122223333:role/{role}","userName":"{role}"}}}}}}}}"#
    );
    let log = dir.path().join("log.json");
    std::fs::write(&log, format!(r#"{{"Records":[{record}]}}"#)).unwrap();
    for format in ["human", "markdown", "json"] {
        let out = Command::cargo_bin("iamlint")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["usage", "tests/data/usage/infra", "--logs"])
            .arg(&log)
            .args(["--format", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains('\u{1b}'), "{format}: {stdout}");
        assert!(!stdout.contains("##["), "{format}: {stdout}");
        assert!(
            !stdout.lines().any(|l| l.trim_start().starts_with("::")),
            "{format}: {stdout}"
        );
        if format == "markdown" {
            use pulldown_cmark::{Event, Options, Parser, Tag};
            for event in Parser::new_ext(&stdout, Options::ENABLE_TABLES) {
                assert!(
                    !matches!(
                        event,
                        Event::Html(_)
                            | Event::InlineHtml(_)
                            | Event::Start(Tag::Image { .. } | Tag::Link { .. })
                    ),
                    "{event:?} in {stdout}"
                );
            }
        }
        assert!(stdout.contains("evil"), "{format}: {stdout}");
    }
}

/// A web identity assuming a role (`AssumeRoleWithWebIdentity`, `userIdentity.type`
/// `WebIdentityUser`) is matched to the role of the request, but is not usage of its permissions.
#[test]
fn a_web_identity_assuming_a_role_matches_it_without_counting_as_usage() {
    let dir = tempfile::tempdir().unwrap();
    let record = r#"{"eventTime":"2024-05-01T00:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithWebIdentity","userIdentity":{"type":"WebIdentityUser","principalId":"accounts.google.com:123456789012.apps.googleusercontent.com:123","userName":"123","identityProvider":"accounts.google.com"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/app-role","roleSessionName":"web"},"recipientAccountId":"111122223333"}"#;
    let log = dir.path().join("web.json");
    std::fs::write(&log, format!(r#"{{"Records":[{record}]}}"#)).unwrap();
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "usage",
            "tests/data/usage/infra",
            "--format",
            "json",
            "--logs",
        ])
        .arg(&log)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let app = principal(&r, "aws_iam_role.app");
    assert_eq!(app["matched_by"], "name");
    assert!(app["used"].as_array().unwrap().is_empty());
    assert!(r["outside"].as_array().unwrap().is_empty());
}

/// A Terraform name built from variables (`"${var.env}-svc"`) matches as a pattern.
#[test]
fn a_templated_terraform_name_matches_as_a_pattern() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"variable "env" {
  type = string
}

resource "aws_iam_role" "svc" {
  name               = "${var.env}-svc"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "svc" {
  role = aws_iam_role.svc.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:GetQueueUrl", "sqs:ListQueues"], Resource = "*" }]
  })
}
"#,
    )
    .unwrap();
    let record = r#"{"eventTime":"2024-05-01T00:00:00Z","eventSource":"sqs.amazonaws.com","eventName":"ListQueues","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/prod-svc","userName":"prod-svc"}}}}"#;
    std::fs::write(dir.path().join("log.jsonl"), format!("{record}\n")).unwrap();
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["usage", ".", "--format", "json", "--logs", "log.jsonl"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let svc = principal(&r, "aws_iam_role.svc");
    assert_eq!(svc["matched_by"], "name_pattern", "{r:#}");
    assert_eq!(used_count(svc, "sqs:ListQueues"), Some(1));
    assert_eq!(actions(&svc["unused"]), ["sqs:GetQueueUrl"]);
}

/// An action allowed on one resource and denied on another (a resource policy, a boundary or a
/// condition refusing that bucket) is both used and denied: the report says where each happened
/// rather than "lacks it" beside "used".
#[test]
fn an_action_used_on_one_resource_and_denied_on_another_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let call = |bucket: &str, error: &str| {
        format!(
            r#"{{"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","recipientAccountId":"111122223333","eventCategory":"Data","managementEvent":false,"userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app-role/s","sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/app-role","userName":"app-role"}}}}}},"requestParameters":{{"bucketName":"{bucket}","key":"k"}}{error}}}"#
        )
    };
    let denied = r#","errorCode":"AccessDenied","errorMessage":"Access Denied""#;
    let log = dir.path().join("log.json");
    let records = [call("allowed-bucket", ""), call("refused-bucket", denied)];
    std::fs::write(&log, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
    let log = log.to_str().unwrap();
    let (r, _, _) = usage(&["infra"], &[log], &[]);
    let app = principal(&r, "aws_iam_role.app");
    assert_eq!(used_count(app, "s3:GetObject"), Some(1));
    let used = &app["used"].as_array().unwrap()[0];
    assert_eq!(used["resources"][0], "arn:aws:s3:::allowed-bucket/*");
    let denied = &app["denied"][0];
    assert_eq!(denied["action"], "s3:GetObject");
    assert_eq!(denied["resources"][0], "arn:aws:s3:::refused-bucket/*");
    assert_eq!(denied["also_used"], true);

    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["usage", "tests/data/usage/infra", "--logs", log])
        .output()
        .unwrap();
    let human = String::from_utf8(out.stdout).unwrap();
    let line = human
        .lines()
        .find(|l| l.contains("refused-bucket"))
        .unwrap_or_else(|| panic!("{human}"));
    assert!(line.contains("also used"), "{line}");
    assert!(!human.contains("lacks it"), "{human}");
}

/// A call whose action has dependent actions in the catalog: `ec2:RunInstances` lists
/// `ec2:CreateTags`, `iam:PassRole` and `ssm:GetParameters` (Service Authorization Reference,
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html). The
/// granted ones stay in the minimal policy, marked as dependents; the one not granted is not added
/// (the calls succeeded without it); a granted action no call needs is still unused.
#[test]
fn a_used_action_keeps_its_granted_dependent_actions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "aws_iam_role" "launcher" {
  name               = "launcher"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "launcher" {
  role = aws_iam_role.launcher.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ec2:RunInstances", "ec2:CreateTags", "ec2:StopInstances", "iam:PassRole"]
      Resource = "*"
    }]
  })
}
"#,
    )
    .unwrap();
    let record = r#"{"eventTime":"2024-05-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/launcher","userName":"launcher"}}}}"#;
    std::fs::write(dir.path().join("log.jsonl"), format!("{record}\n")).unwrap();
    let out = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["usage", ".", "--format", "json", "--logs", "log.jsonl"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = principal(&r, "aws_iam_role.launcher");
    assert_eq!(used_count(p, "ec2:RunInstances"), Some(1));
    assert_eq!(actions(&p["dependent"]), ["ec2:CreateTags", "iam:PassRole"]);
    assert_eq!(p["dependent"][1]["of"][0], "ec2:RunInstances");
    assert_eq!(actions(&p["unused"]), ["ec2:StopInstances"]);
    let mut minimal: Vec<String> = p["minimal_policy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            v => v
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect(),
        })
        .collect();
    minimal.sort();
    assert_eq!(
        minimal,
        ["ec2:CreateTags", "ec2:RunInstances", "iam:PassRole"],
        "{r:#}"
    );

    let human = Command::cargo_bin("iamlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["usage", ".", "--logs", "log.jsonl"])
        .output()
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains("iam:PassRole  dependent of ec2:RunInstances"),
        "{human}"
    );
}
