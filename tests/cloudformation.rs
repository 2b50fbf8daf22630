#![allow(clippy::unwrap_used, clippy::expect_used)]
//! CloudFormation and SAM templates, YAML and JSON: every resource type that carries a policy,
//! intrinsics, suppressions, format detection. Positions are exact `line:col` (char columns), with
//! non-ASCII text on lines before the spans.

use std::path::{Path, PathBuf};

use iamlint::discover::detect_format;
use iamlint::frontend;
use iamlint::lint::{lint_paths, lint_text, FileReport, LintOptions};
use iamlint::model::{FileModel, PolicyKind, Scalar};
use iamlint::rules::RuleId;
use iamlint::source::{SourceFile, SourceMap, Span};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/cloudformation")
        .join(name)
}

/// Rules that do not depend on the catalog.
fn options() -> LintOptions {
    LintOptions {
        select: Some(vec![
            RuleId::InvalidPolicy,
            RuleId::MissingVersion,
            RuleId::AllowNotAction,
            RuleId::AllowNotResource,
            RuleId::UnresolvedReference,
        ]),
        ..LintOptions::default()
    }
}

fn lint(name: &str) -> FileReport {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    lint_text(&path, text, &options())
}

/// `(rule, line, col, suppressed)` of every finding, in output order.
fn findings(report: &FileReport) -> Vec<(String, u32, u32, bool)> {
    report
        .findings
        .iter()
        .map(|f| {
            let at = report.sources.locate(f.span).start;
            (f.rule.id().to_string(), at.line, at.column, f.suppressed)
        })
        .collect()
}

/// Active findings of one rule as `(line, col)`.
fn at(report: &FileReport, rule: RuleId) -> Vec<(u32, u32)> {
    report
        .active()
        .filter(|f| f.rule == rule)
        .map(|f| {
            let p = report.sources.locate(f.span).start;
            (p.line, p.column)
        })
        .collect()
}

fn model(name: &str) -> (SourceMap, FileModel) {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    let format = detect_format(&path, &text);
    let mut sources = SourceMap::new(SourceFile::new(&path, text));
    let model = frontend::parse(&mut sources, format);
    (sources, model)
}

fn pos(sources: &SourceMap, span: Span) -> (u32, u32) {
    let p = sources.locate(span).start;
    (p.line, p.column)
}

/// Each document's kind and logical path, in model order.
fn kinds_and_paths(model: &FileModel) -> Vec<(PolicyKind, &str)> {
    model
        .docs
        .iter()
        .map(|d| (d.kind, d.path.as_str()))
        .collect()
}

fn assert_clean(report: &FileReport) {
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.recognised);
}

#[test]
fn role_yaml() {
    let report = lint("role.yaml");
    assert_clean(&report);
    // Trust policy (line 12) and inline policy (line 20), after a Description with `ô`, `é`, `🚀`.
    assert_eq!(at(&report, RuleId::AllowNotAction), [(12, 13), (20, 17)]);
    // Pseudo parameters (the stack's own account, region, partition) are not reported.
    assert!(at(&report, RuleId::UnresolvedReference).is_empty());
    let (sources, model) = model("role.yaml");
    let kinds: Vec<(PolicyKind, &str)> = model
        .docs
        .iter()
        .map(|d| (d.kind, d.path.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                PolicyKind::Trust,
                "Resources.CiRole.Properties.AssumeRolePolicyDocument"
            ),
            (
                PolicyKind::Identity,
                "Resources.CiRole.Properties.Policies[0].PolicyDocument"
            ),
        ]
    );
    let inline = &model.docs[1].origin;
    assert_eq!(inline.address.as_deref(), Some("Resources.CiRole"));
    assert_eq!(inline.attached_to.as_deref(), Some("Resources.CiRole"));
    assert_eq!(
        inline.description.as_deref(),
        Some("inline policy `déployer` of `AWS::IAM::Role` `CiRole`")
    );
    let attachments: Vec<(String, (u32, u32), Option<&str>)> = model
        .attachments
        .iter()
        .map(|a| {
            (
                a.policy_arn.value.text(),
                pos(&sources, a.policy_arn.span),
                a.origin.attached_to.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        attachments,
        [
            (
                "arn:aws:iam::aws:policy/AdministratorAccess".to_string(),
                (23, 11),
                Some("Resources.CiRole")
            ),
            (
                "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess".to_string(),
                (24, 11),
                Some("Resources.CiRole")
            ),
            (
                "arn:aws:iam::123456789012:policy/boundary".to_string(),
                (25, 28),
                None
            ),
        ]
    );
    assert!(model.attachments[2]
        .origin
        .description
        .as_deref()
        .is_some_and(|d| d.starts_with("permissions boundary")));
    // The pseudo parameter stays a hole: never `*`.
    assert!(matches!(
        model.attachments[1].policy_arn.value,
        Scalar::Template(_)
    ));
}

#[test]
fn role_json() {
    let report = lint("role.json");
    assert_clean(&report);
    assert_eq!(at(&report, RuleId::AllowNotAction), [(16, 15), (29, 19)]);
    // Pseudo parameters (the stack's own account, region, partition) are not reported.
    assert!(at(&report, RuleId::UnresolvedReference).is_empty());
    let (sources, model) = model("role.json");
    assert_eq!(model.docs.len(), 2);
    let spans: Vec<(u32, u32)> = model
        .attachments
        .iter()
        .map(|a| pos(&sources, a.policy_arn.span))
        .collect();
    assert_eq!(spans, [(37, 11), (38, 11), (42, 32)]);
}

#[test]
fn users_and_groups() {
    for (name, not_action, not_resource, missing_version, arns) in [
        (
            "principals.yaml",
            (12, 17),
            (26, 17),
            (10, 13),
            [(15, 11), (27, 27)],
        ),
        (
            "principals.json",
            (15, 19),
            (39, 19),
            (12, 15),
            [(23, 11), (46, 11)],
        ),
    ] {
        let report = lint(name);
        assert_clean(&report);
        assert_eq!(at(&report, RuleId::AllowNotAction), [not_action], "{name}");
        assert_eq!(
            at(&report, RuleId::AllowNotResource),
            [not_resource],
            "{name}"
        );
        assert_eq!(
            at(&report, RuleId::MissingVersion),
            [missing_version],
            "{name}"
        );
        let (sources, model) = model(name);
        let attached: Vec<Option<&str>> = model
            .docs
            .iter()
            .map(|d| d.origin.attached_to.as_deref())
            .collect();
        assert_eq!(attached, [Some("Resources.Dev"), Some("Resources.Ops")]);
        let found: Vec<((u32, u32), Option<&str>)> = model
            .attachments
            .iter()
            .map(|a| {
                (
                    pos(&sources, a.policy_arn.span),
                    a.origin.attached_to.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (arns[0], Some("Resources.Dev")),
                (arns[1], Some("Resources.Ops"))
            ],
            "{name}"
        );
    }
}

#[test]
fn standalone_and_role_policies() {
    for (name, not_actions, missing_version) in [
        ("policies.yaml", [(22, 13), (32, 13), (42, 13)], (40, 9)),
        ("policies.json", [(37, 15), (57, 15), (75, 15)], (72, 11)),
    ] {
        let report = lint(name);
        assert_clean(&report);
        assert_eq!(at(&report, RuleId::AllowNotAction), not_actions, "{name}");
        assert_eq!(
            at(&report, RuleId::MissingVersion),
            [missing_version],
            "{name}"
        );
        let (_, model) = model(name);
        let docs: Vec<(&str, Option<&str>)> = model
            .docs
            .iter()
            .map(|d| (d.path.as_str(), d.origin.attached_to.as_deref()))
            .collect();
        // An `AWS::IAM::Policy` is added once per principal it is attached to.
        assert_eq!(
            docs,
            [
                ("Resources.CiRole.Properties.AssumeRolePolicyDocument", None),
                (
                    "Resources.DeployPolicy.Properties.PolicyDocument",
                    Some("Resources.CiRole")
                ),
                (
                    "Resources.DeployPolicy.Properties.PolicyDocument",
                    Some("role/legacy-role")
                ),
                ("Resources.Shared.Properties.PolicyDocument", None),
                (
                    "Resources.Inline.Properties.PolicyDocument",
                    Some("Resources.CiRole")
                ),
            ],
            "{name}"
        );
        assert!(model.docs[1..]
            .iter()
            .all(|d| d.kind == PolicyKind::Identity));
    }
}

#[test]
fn resource_policies_of_more_types_are_read() {
    let report = lint("more_resource_policies.yaml");
    assert_clean(&report);
    // Logs (a JSON string under `!Sub`), DynamoDB (nested under `ResourcePolicy`), OpenSearch,
    // EFS and EventBridge: each statement's `NotAction`, at its line.
    assert_eq!(
        at(&report, RuleId::AllowNotAction),
        [(15, 15), (32, 15), (48, 13), (58, 13), (69, 13)]
    );
    assert_eq!(at(&report, RuleId::UnresolvedReference), []);
    let (_, model) = model("more_resource_policies.yaml");
    let docs = kinds_and_paths(&model);
    // The table without a resource policy has none.
    assert_eq!(
        docs,
        [
            (
                PolicyKind::Resource,
                "Resources.LogsPolicy.Properties.PolicyDocument"
            ),
            (
                PolicyKind::Resource,
                "Resources.Table.Properties.ResourcePolicy.PolicyDocument"
            ),
            (
                PolicyKind::Resource,
                "Resources.Search.Properties.AccessPolicies"
            ),
            (
                PolicyKind::Resource,
                "Resources.Files.Properties.FileSystemPolicy"
            ),
            (PolicyKind::Resource, "Resources.Bus.Properties.Policy"),
            (PolicyKind::Resource, "Resources.Api.Properties.Policy"),
        ]
    );
    // API Gateway's abbreviated `execute-api:/*` is its own ARN, not a malformed one; the
    // same text in an identity policy is reported.
    let path = fixture("more_resource_policies.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let all = lint_text(&path, text, &LintOptions::default());
    let rules: Vec<&str> = all.active().map(|f| f.rule.id()).collect();
    assert!(!rules.contains(&"invalid-arn"), "{rules:?}");
    assert!(rules.contains(&"public-principal"), "{rules:?}");
    let identity = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}"#;
    let report = lint_text(
        Path::new("identity.json"),
        identity.to_string(),
        &LintOptions::default(),
    );
    let rules: Vec<&str> = report.active().map(|f| f.rule.id()).collect();
    assert_eq!(rules, ["invalid-arn"]);
}

#[test]
fn resource_policies() {
    for (name, not_actions, unresolved) in [
        (
            "resource_policies.yaml",
            [(13, 13), (24, 13), (37, 13), (49, 13), (59, 13), (69, 13)],
            // `!GetAtt Queue.Arn` and `!Ref Topic` name resources of the template: not reported.
            Vec::<(u32, u32)>::new(),
        ),
        (
            "resource_policies.json",
            [(15, 15), (38, 15), (69, 15), (94, 15), (112, 15), (132, 15)],
            Vec::new(),
        ),
    ] {
        let report = lint(name);
        assert_clean(&report);
        assert_eq!(at(&report, RuleId::AllowNotAction), not_actions, "{name}");
        assert_eq!(
            at(&report, RuleId::UnresolvedReference),
            unresolved,
            "{name}"
        );
        let (_, model) = model(name);
        let docs = kinds_and_paths(&model);
        assert_eq!(
            docs,
            [
                (
                    PolicyKind::Resource,
                    "Resources.BucketPolicy.Properties.PolicyDocument"
                ),
                (
                    PolicyKind::Resource,
                    "Resources.QueuePolicy.Properties.PolicyDocument"
                ),
                (
                    PolicyKind::Resource,
                    "Resources.TopicPolicy.Properties.PolicyDocument"
                ),
                (PolicyKind::Resource, "Resources.Key.Properties.KeyPolicy"),
                (
                    PolicyKind::Resource,
                    "Resources.Repo.Properties.RepositoryPolicyText"
                ),
                (
                    PolicyKind::Resource,
                    "Resources.SecretPolicy.Properties.ResourcePolicy"
                ),
            ],
            "{name}"
        );
    }
}

#[test]
fn intrinsics_yaml() {
    let report = lint("intrinsics.yaml");
    assert_clean(&report);
    let unresolved: Vec<(u32, u32, String)> = report
        .active()
        .filter(|f| f.rule == RuleId::UnresolvedReference)
        .map(|f| {
            let p = report.sources.locate(f.span).start;
            (p.line, p.column, f.message.to_string())
        })
        .collect();
    // `!GetAtt Bucket.Arn` (line 43) names a resource of the template: not reported.
    let expect = [
        (
            46,
            21,
            "`!ImportValue SharedBucketArn` could not be evaluated",
        ),
        (
            50,
            27,
            "`Stage` could not be evaluated: parameter `Stage` has no default",
        ),
    ];
    assert_eq!(unresolved.len(), expect.len(), "{unresolved:#?}");
    for ((line, col, message), (l, c, want)) in unresolved.iter().zip(expect) {
        assert_eq!((*line, *col), (l, c), "{message}");
        assert!(message.starts_with(want), "{message} vs {want}");
    }
    // `Fn::If` branches: the true branch adds a NotAction statement, the false branch turns the
    // `Branches` statement into an Allow with NotResource. Both are linted.
    assert_eq!(at(&report, RuleId::AllowNotAction), [(55, 19)]);
    assert_eq!(at(&report, RuleId::AllowNotResource), [(61, 17)]);

    let (_, model) = model("intrinsics.yaml");
    let inline: Vec<_> = model
        .docs
        .iter()
        .filter(|d| d.kind == PolicyKind::Identity)
        .collect();
    assert_eq!(inline.len(), 2, "one document per branch");
    assert!(inline[0]
        .origin
        .description
        .as_deref()
        .is_some_and(|d| d.ends_with("when `IsProd` is true")));
    let when_true = &inline[0].statements;
    let when_false = &inline[1].statements;
    assert_eq!(when_true.len(), 6);
    assert_eq!(when_false.len(), 5, "`AWS::NoValue` drops the item");
    let resource = |s: &iamlint::model::Statement, i: usize| {
        s.resource.as_ref().unwrap().items[i].value.clone()
    };
    // `!Sub` with a parameter default is known text.
    assert_eq!(
        resource(&when_true[0], 0),
        Scalar::str("arn:aws:s3:::artifacts/*")
    );
    // Pseudo parameters stay holes.
    assert_eq!(
        resource(&when_true[1], 0).text(),
        "arn:${AWS::Partition}:s3:::logs-${AWS::AccountId}/*"
    );
    // `!Ref` to a list parameter with a default, `!Join`, `!Select`.
    let actions: Vec<String> = when_true[2]
        .action
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.value.text())
        .collect();
    assert_eq!(actions, ["s3:GetObject", "s3:PutObject"]);
    assert!(matches!(resource(&when_true[2], 0), Scalar::Unknown(_)));
    assert_eq!(
        resource(&when_true[2], 1),
        Scalar::str("arn:aws:s3:::artifacts/*")
    );
    assert_eq!(
        resource(&when_true[2], 2),
        Scalar::str("arn:aws:s3:::selected")
    );
    assert_eq!(when_true[5].effect.as_ref().unwrap().value.text(), "Deny");
    assert_eq!(when_false[4].effect.as_ref().unwrap().value.text(), "Allow");
}

#[test]
fn intrinsics_json() {
    let report = lint("intrinsics.json");
    assert_clean(&report);
    assert_eq!(
        at(&report, RuleId::UnresolvedReference),
        // `Fn::GetAtt` of the template's own bucket (line 75) is not reported.
        [(102, 21), (111, 31)]
    );
    assert_eq!(at(&report, RuleId::AllowNotAction), [(121, 23)]);
    assert_eq!(at(&report, RuleId::AllowNotResource), [(139, 19)]);
}

#[test]
fn sam_policies() {
    for (name, attachment, s3_read, unknown_template, inline) in [
        ("sam.yaml", (13, 11), (14, 11), (19, 11), (24, 15)),
        ("sam.json", (15, 11), (17, 13), (32, 13), (41, 17)),
    ] {
        let report = lint(name);
        assert_clean(&report);
        assert_eq!(at(&report, RuleId::AllowNotAction), [inline], "{name}");
        let unknown = report
            .active()
            .find(|f| f.message.contains("`MadeUpPolicy`"))
            .expect("unknown SAM template reported");
        assert_eq!(
            pos(&report.sources, unknown.span),
            unknown_template,
            "{name}"
        );
        let (sources, model) = model(name);
        assert_eq!(model.attachments.len(), 1);
        let a = &model.attachments[0];
        assert_eq!(a.policy_arn.value.text(), "AWSLambdaBasicExecutionRole");
        assert_eq!(pos(&sources, a.policy_arn.span), attachment, "{name}");
        assert_eq!(a.origin.attached_to.as_deref(), Some("Resources.Handler"));
        let s3 = model
            .docs
            .iter()
            .find(|d| d.path.ends_with("S3ReadPolicy"))
            .expect("S3ReadPolicy expanded");
        assert_eq!(pos(&sources, s3.span), s3_read, "{name}");
        let actions: Vec<String> = s3.statements[0]
            .actions()
            .unwrap()
            .items
            .iter()
            .map(|i| i.value.text())
            .collect();
        assert!(actions.contains(&"s3:GetObject".to_string()), "{actions:?}");
        let resources: Vec<String> = s3.statements[0]
            .resources()
            .unwrap()
            .items
            .iter()
            .map(|i| i.value.text())
            .collect();
        assert_eq!(
            resources,
            [
                "arn:${AWS::Partition}:s3:::reports",
                "arn:${AWS::Partition}:s3:::reports/*"
            ]
        );
        let crud = model
            .docs
            .iter()
            .find(|d| d.path.ends_with("DynamoDBCrudPolicy"))
            .expect("DynamoDBCrudPolicy expanded");
        let table = crud.statements[0].resources().unwrap().items[0]
            .value
            .text();
        assert!(table.contains("table/${"), "{table}");
        assert!(model.docs.iter().all(|d| d.kind == PolicyKind::Identity
            && d.origin.attached_to.as_deref() == Some("Resources.Handler")));
    }
}

#[test]
fn comment_and_metadata_suppressions() {
    let report = lint("suppressions.yaml");
    assert_clean(&report);
    let got: Vec<(u32, u32, bool)> = findings(&report)
        .into_iter()
        .filter(|f| f.0 == "allow-not-action")
        .map(|(_, l, c, s)| (l, c, s))
        .collect();
    assert_eq!(
        got,
        [
            // Comment on the line above the list item.
            (14, 17, true),
            // Comment at the end of the line.
            (17, 17, true),
            // A comment without a reason does not suppress.
            (20, 17, false),
            (23, 17, false),
            // `Metadata: {iamlint: {ignore: [...]}}` on the resource.
            (37, 17, true),
        ]
    );
    let report = lint("suppressions.json");
    assert_clean(&report);
    let got: Vec<(u32, u32, bool)> = findings(&report)
        .into_iter()
        .filter(|f| f.0 == "allow-not-action")
        .map(|(_, l, c, s)| (l, c, s))
        .collect();
    assert_eq!(got, [(16, 50, true), (30, 50, false)]);
}

#[test]
fn non_templates_and_malformed_yaml() {
    let report = lint("not_a_template.yaml");
    assert!(!report.recognised);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0]
        .message
        .starts_with("not a CloudFormation template"));

    let report = lint("malformed.yaml");
    assert!(report.recognised);
    let error = &report.errors[0];
    let p = report.sources.locate(error.span.unwrap()).start;
    assert_eq!((p.line, p.column), (6, 17));
    assert!(
        error.message.starts_with("invalid YAML:"),
        "{}",
        error.message
    );
}

#[test]
fn directory_scans_skip_yaml_that_is_not_a_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("not_a_template.yaml"),
        dir.path().join("compose.yaml"),
    )
    .unwrap();
    std::fs::copy(fixture("role.yaml"), dir.path().join("stack.yml")).unwrap();
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\"}").unwrap();
    let report = lint_paths(&[dir.path().to_path_buf()], &options());
    let names: Vec<String> = report
        .files
        .iter()
        .map(|f| {
            f.sources
                .main()
                .path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["stack.yml"]);
    assert!(!report.has_errors());
    // Named explicitly, it is reported.
    let report = lint_paths(&[dir.path().join("compose.yaml")], &options());
    assert!(report.has_errors());
}

#[test]
fn json_templates_are_detected_by_content() {
    // `.json` with `Resources` of typed resources and no `AWSTemplateFormatVersion`.
    let text = r#"{"Resources": {"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument":
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "s3:x", "Resource": "*"}]}}}}}"#;
    let report = lint_text(Path::new("t.json"), text.to_string(), &options());
    assert_clean(&report);
    assert_eq!(at(&report, RuleId::AllowNotAction).len(), 1);
    // A `.template` file in YAML.
    let yaml = std::fs::read_to_string(fixture("role.yaml")).unwrap();
    let report = lint_text(Path::new("stack.template"), yaml, &options());
    assert_clean(&report);
    assert_eq!(at(&report, RuleId::AllowNotAction), [(12, 13), (20, 17)]);
}

mod garbage {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever the bytes, the YAML frontend returns a model or errors; it never panics.
        #[test]
        fn yaml_never_panics(text in "[ -~\\n\\té🎉\\-:!\\[\\]{}#&*|>'\"]{0,200}") {
            let report = lint_text(Path::new("x.yaml"), text.clone(), &options());
            for e in &report.errors {
                if let Some(span) = e.span {
                    prop_assert!(span.end as usize <= text.len());
                    prop_assert!(text.is_char_boundary(span.start as usize));
                }
            }
        }

        /// Template-shaped garbage goes through the evaluator too.
        #[test]
        fn template_like_yaml_never_panics(body in "[ -~\\n!\\[\\]{}:é]{0,120}") {
            let text = format!(
                "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyDocument: {body}\n"
            );
            let _ = lint_text(Path::new("x.yaml"), text, &options());
        }
    }
}

#[test]
fn columns_count_characters_after_non_ascii_on_the_same_line() {
    let text = "Description: \"é🎉\"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: x\n          PolicyDocument: {Version: '2012-10-17', Statement: [{Sid: \"ünï🎉\", Effect: Allow, NotAction: 'x:y', Resource: '*'}]}\n";
    let report = lint_text(Path::new("t.yaml"), text.to_string(), &options());
    assert_clean(&report);
    // `NotAction` is the 92nd character of line 8 (the line has 3 multi-byte characters before it).
    let line = text.lines().nth(7).unwrap();
    let col = line[..line.find("NotAction").unwrap()].chars().count() as u32 + 1;
    assert_eq!(col, 92);
    assert_eq!(at(&report, RuleId::AllowNotAction), [(8, col)]);
}

/// Active findings of one rule as `(line, col, message)`.
fn messages(report: &FileReport, rule: RuleId) -> Vec<(u32, u32, String)> {
    report
        .active()
        .filter(|f| f.rule == rule)
        .map(|f| {
            let p = report.sources.locate(f.span).start;
            (p.line, p.column, f.message.to_string())
        })
        .collect()
}

#[test]
fn yaml_continuation_lines_and_flow_mappings_closed_left_of_their_key() {
    // What CloudFormation and cfn-lint read: a quoted scalar continued under its key, flow
    // mappings closed at or left of their key's column, and a block scalar holding `"` and `{`.
    let report = lint("yaml_continuations.yaml");
    assert_clean(&report);
    assert_eq!(at(&report, RuleId::AllowNotAction), [(25, 15), (37, 37)]);
    let (_, model) = model("yaml_continuations.yaml");
    assert_eq!(model.docs.len(), 3);
    let trust = &model.docs[0];
    assert_eq!(trust.kind, PolicyKind::Trust);
    assert_eq!(trust.statements.len(), 1);
    assert!(model.docs[1]
        .origin
        .description
        .as_deref()
        .is_some_and(|d| d.contains("`read logs`")));
}

#[test]
fn policies_written_as_json_strings() {
    let report = lint("json_string_policies.yaml");
    assert_clean(&report);
    // Every form maps exactly: a literal block, `Fn::Sub` text with placeholders, a quoted string.
    assert_eq!(
        at(&report, RuleId::AllowNotAction),
        [(18, 15), (43, 19), (51, 132)]
    );
    assert_eq!(
        messages(&report, RuleId::UnresolvedReference),
        [(
            44,
            32,
            "`BucketName` could not be evaluated: parameter `BucketName` has no default"
                .to_string()
        )]
    );
    assert!(
        report.active().all(|f| f.rule != RuleId::InvalidPolicy),
        "no \"a policy must be an object\""
    );
    let (_, model) = model("json_string_policies.yaml");
    let kinds: Vec<PolicyKind> = model.docs.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [
            PolicyKind::Identity,
            PolicyKind::Trust,
            PolicyKind::Identity,
            PolicyKind::Resource
        ]
    );
    // Placeholders are unknown parts, parameter defaults are filled in.
    let trust = &model.docs[1].statements[0];
    let principal = &trust.principal.as_ref().unwrap().entries[0].values[0].value;
    assert_eq!(
        principal.text(),
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
    );
    assert!(matches!(principal, Scalar::Template(_)));
    let resources: Vec<String> = model.docs[2].statements[0]
        .resource
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.value.text())
        .collect();
    assert_eq!(
        resources,
        ["arn:aws:s3:::${BucketName}/*", "arn:aws:s3:::prod-logs/*"]
    );

    let report = lint("json_string_policies.json");
    assert_clean(&report);
    // An escaped JSON string maps through its escapes: the `NotAction` key, the ARN string.
    assert_eq!(at(&report, RuleId::AllowNotAction), [(9, 93)]);
    assert_eq!(at(&report, RuleId::UnresolvedReference), [(9, 143)]);
}

#[test]
fn vpc_endpoint_policies_are_resource_policies_of_the_endpoint() {
    let report = lint("vpc_endpoint.yaml");
    assert_clean(&report);
    assert_eq!(at(&report, RuleId::AllowNotAction), [(13, 13)]);
    let (_, endpoint) = model("vpc_endpoint.yaml");
    assert_eq!(endpoint.docs.len(), 1);
    let doc = &endpoint.docs[0];
    assert_eq!(
        doc.kind,
        PolicyKind::Resource,
        "as Terraform's aws_vpc_endpoint"
    );
    assert_eq!(doc.path, "Resources.S3Endpoint.Properties.PolicyDocument");
    assert_eq!(
        doc.origin.resource_type.as_deref(),
        Some("AWS::EC2::VPCEndpoint")
    );
    assert!(doc.origin.is_vpc_endpoint_policy());
    let (_, other) = model("resource_policies.yaml");
    assert!(other
        .docs
        .iter()
        .all(|d| !d.origin.is_vpc_endpoint_policy()));
}

#[test]
fn pseudo_parameters_are_never_unresolved() {
    let report = lint("pseudo_parameters.yaml");
    assert_clean(&report);
    assert_eq!(
        messages(&report, RuleId::UnresolvedReference),
        Vec::<(u32, u32, String)>::new()
    );
    let (_, model) = model("pseudo_parameters.yaml");
    let statements = &model.docs[0].statements;
    assert_eq!(statements.len(), 2);
    // `!Ref AWS::NoValue` removes the key or the list item.
    assert!(statements[0].sid.is_none());
    assert!(statements[1].condition.is_none());
    let resources: Vec<String> = statements[0]
        .resource
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.value.text())
        .collect();
    assert_eq!(
        resources,
        [
            "arn:${AWS::Partition}:s3:::${AWS::StackName}-${AWS::Region}-${AWS::AccountId}/*",
            "arn:${AWS::Partition}:s3:::${AWS::StackName}/*",
            "${AWS::StackId}",
            "arn:aws:s3:::bucket.s3.${AWS::URLSuffix}",
            "${AWS::AccountId}",
        ]
    );
}

#[test]
fn find_in_map_over_deployment_coordinates() {
    let report = lint("find_in_map.yaml");
    assert_clean(&report);
    // Keyed by a pseudo parameter: never "not found" and not reported; a parameter without a
    // default is reported as such; a literal key the map lacks is "no entry".
    let unresolved = messages(&report, RuleId::UnresolvedReference);
    assert_eq!(unresolved.len(), 2, "{unresolved:#?}");
    assert_eq!((unresolved[0].0, unresolved[0].1), (42, 21));
    assert!(
        unresolved[0].2.ends_with(
            "`Fn::FindInMap` key not known here: `!Ref Env` (parameter `Env` has no default)"
        ),
        "{}",
        unresolved[0].2
    );
    assert_eq!((unresolved[1].0, unresolved[1].1), (43, 21));
    assert!(unresolved[1]
        .2
        .ends_with("`Fn::FindInMap` has no entry `staging.Bucket` under `Envs`"));
    assert!(report
        .active()
        .all(|f| !f.message.contains("entry not found")));
    let (_, model) = model("find_in_map.yaml");
    // Entries that differ by partition: unknown. Entries that agree for every region: that value.
    let service = &model.docs[0].statements[0]
        .principal
        .as_ref()
        .unwrap()
        .entries[0]
        .values[0]
        .value;
    assert!(matches!(service, Scalar::Unknown(_)), "{service:?}");
    let actions = model.docs[1].statements[0].action.as_ref().unwrap();
    assert!(actions.negated);
    assert_eq!(actions.items[0].value, Scalar::str("s3:GetObject"));
}

#[test]
fn nested_fn_sub_is_bounded() {
    // 13 nested `Fn::Sub`, each repeating its variable 4 times: 4^13 copies unbounded.
    let report = lint("nested_sub.json");
    assert_clean(&report);
    let unresolved = messages(&report, RuleId::UnresolvedReference);
    assert_eq!(unresolved.len(), 1);
    assert_eq!((unresolved[0].0, unresolved[0].1), (10, 25));
    assert!(
        unresolved[0]
            .2
            .ends_with("`Fn::Sub` nests more than 8 deep (an evaluation bound)"),
        "{}",
        unresolved[0].2
    );
}

/// Issue 26: values known only at deployment stay unknown, each with the reason a user needs.
#[test]
fn deploy_time_values_are_unknown_with_their_reason() {
    let (_, model) = model("deploy_time_values.yaml");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let inline = model
        .docs
        .iter()
        .find(|d| d.kind == PolicyKind::Identity)
        .unwrap();
    // The `Fn::If` statement is there on its true branch only.
    assert_eq!(inline.statements.len(), 4);
    let reasons: Vec<String> = inline
        .statements
        .iter()
        .map(|s| {
            let item = &s.resource.as_ref().unwrap().items[0].value;
            let u = item.unknowns();
            assert_eq!(u.len(), 1, "{item:?}");
            u[0].reason.clone()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "parameter `AuditAccountId` is the value of SSM parameter `/org/audit-account-id`, read when the stack is deployed",
            "parameter `AuditAccountId` is the value of SSM parameter `/org/audit-account-id`, read when the stack is deployed",
            "this `Fn::If` branch assumes `HasKey` is true, which the default of `KmsKeyArn` makes false",
            "dynamic reference resolved when the stack is deployed",
        ]
    );
    // With every rule on, nothing is an error: the unknowns are infos.
    let path = fixture("deploy_time_values.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = lint_text(&path, text, &LintOptions::default());
    let rules: Vec<String> = report.active().map(|f| f.rule.id().to_string()).collect();
    assert!(
        rules.iter().all(|r| r == "unresolved-reference"),
        "{rules:?}"
    );
}

/// Issue 26: a template of another tool (cookiecutter, Jinja) is one note, not an input error
/// that fails the run, whether or not it parses as YAML or JSON.
#[test]
fn another_tools_templates_are_one_note_each() {
    for (name, at) in [
        ("cookiecutter_sam.yaml", (7, 16)),
        ("cookiecutter_sam.json", (9, 20)),
    ] {
        let path = fixture(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let report = lint_text(&path, text, &LintOptions::default());
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        assert!(report.recognised, "{name}");
        let found: Vec<(String, u32, u32, bool)> = findings(&report);
        assert_eq!(
            found,
            [("unresolved-reference".to_string(), at.0, at.1, false)],
            "{name}"
        );
        assert!(
            report.findings[0]
                .message
                .contains("template of another tool"),
            "{}",
            report.findings[0].message
        );
    }
    // A dynamic reference is CloudFormation's own syntax, not another tool's.
    let (_, model) = model("deploy_time_values.yaml");
    assert!(!model.docs.is_empty());
    // A Helm chart's template is not a CloudFormation template: still not recognised, so a folder
    // scan skips it rather than reporting a note.
    let helm = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n";
    let report = lint_text(
        Path::new("templates/deploy.yaml"),
        helm.to_string(),
        &LintOptions::default(),
    );
    assert!(!report.recognised);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

/// Issue 27: a policy written as JSON text (`!Sub |`, a folded block, a one-line `!Sub '...'`,
/// `Fn::Sub` with variables in an escaped string, `Fn::Join`) reports each finding at its value's
/// own line and column; a value holding a `${Name}` at the whole string holding it.
#[test]
fn json_text_findings_point_at_their_value() {
    let path = fixture("json_string_locations.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = lint_text(
        &path,
        text.clone(),
        &LintOptions {
            select: Some(vec![RuleId::WildcardAction, RuleId::UnresolvedReference]),
            ..LintOptions::default()
        },
    );
    let got: Vec<(&str, u32, u32, &str)> = report
        .active()
        .map(|f| {
            let at = report.sources.locate(f.span).start;
            (f.rule.id(), at.line, at.column, &text[f.span.range()])
        })
        .collect();
    assert_eq!(
        got,
        [
            ("wildcard-action", 16, 25, "\"s3:*\""),
            (
                "unresolved-reference",
                17,
                27,
                "\"arn:${AWS::Partition}:s3:::${BucketName}/*\""
            ),
            ("wildcard-action", 27, 22, "\"sqs:*\""),
            ("wildcard-action", 31, 74, "\"sns:*\""),
            ("wildcard-action", 37, 70, "\\\"kms:*\\\""),
            ("wildcard-action", 44, 59, "\"ec2:*\""),
        ]
    );
}
