//! The Terraform and plan frontends: every form, kind and value source, with exact positions.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use iamlint::discover::Format;
use iamlint::lint::{lint_paths, lint_text, FileReport, LintOptions};
use iamlint::model::{FileModel, PolicyDoc, PolicyKind, Scalar, Syntax};
use iamlint::rules::RuleId;
use iamlint::source::{SourceFile, SourceMap, Span};

fn fixture(case: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/terraform")
        .join(case)
        .join(file)
}

/// The model of a fixture, as the frontend builds it (siblings of the file included).
fn model(case: &str, file: &str) -> (SourceMap, FileModel) {
    let path = fixture(case, file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = SourceMap::new(SourceFile::new(&path, text));
    let format = iamlint::discover::detect_format(&path, &sources.main().text);
    let model = iamlint::frontend::parse(&mut sources, format);
    (sources, model)
}

/// `file:line:col` of a span's start (file name only).
fn at(sources: &SourceMap, span: Span) -> String {
    let l = sources.locate(span);
    let name = l.path.rsplit('/').next().unwrap_or_default().to_string();
    format!("{name}:{}:{}", l.start.line, l.start.column)
}

fn lint(case: &str, file: &str, rules: &[RuleId]) -> FileReport {
    let path = fixture(case, file);
    let text = std::fs::read_to_string(&path).unwrap();
    let opts = LintOptions {
        select: Some(rules.to_vec()),
        ..LintOptions::default()
    };
    lint_text(&path, text, &opts)
}

/// Active findings as `file:line:col rule-id`.
fn findings(report: &FileReport) -> Vec<String> {
    report
        .active()
        .map(|f| format!("{} {}", at(&report.sources, f.span), f.rule))
        .collect()
}

fn doc<'m>(model: &'m FileModel, path: &str) -> &'m PolicyDoc {
    model
        .docs
        .iter()
        .find(|d| d.path == path)
        .unwrap_or_else(|| {
            let paths: Vec<&str> = model.docs.iter().map(|d| d.path.as_str()).collect();
            panic!("no document {path}; found {paths:?}")
        })
}

/// Each action item of statement `i` as `value@file:line:col`.
fn actions(sources: &SourceMap, doc: &PolicyDoc, i: usize) -> Vec<String> {
    doc.statements[i]
        .action
        .iter()
        .flat_map(|a| a.items.iter())
        .map(|item| format!("{}@{}", item.value, at(sources, item.span)))
        .collect()
}

fn resources(sources: &SourceMap, doc: &PolicyDoc, i: usize) -> Vec<String> {
    doc.statements[i]
        .resource
        .iter()
        .flat_map(|a| a.items.iter())
        .map(|item| format!("{}@{}", item.value, at(sources, item.span)))
        .collect()
}

const STRUCTURAL: &[RuleId] = &[
    RuleId::AllowNotAction,
    RuleId::InvalidPolicy,
    RuleId::MissingVersion,
    RuleId::UnresolvedReference,
];

#[test]
fn jsonencode_findings_point_at_the_statement_element() {
    let (sources, model) = model("jsonencode", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let d = doc(&model, "aws_iam_policy.ci.policy");
    assert_eq!(d.kind, PolicyKind::Identity);
    assert_eq!(d.syntax, Syntax::HclObject);
    assert_eq!(d.origin.address.as_deref(), Some("aws_iam_policy.ci"));
    assert_eq!(at(&sources, d.statements[0].span), "main.tf:6:7");
    assert_eq!(actions(&sources, d, 0), ["s3:GetObject@main.tf:9:21"]);
    assert_eq!(actions(&sources, d, 1), ["iam:*@main.tf:15:22"]);
    assert_eq!(resources(&sources, d, 1), ["*@main.tf:16:21"]);
    assert_eq!(
        d.statements[1].path,
        "aws_iam_policy.ci.policy/Statement[1]"
    );

    let report = lint("jsonencode", "main.tf", STRUCTURAL);
    assert_eq!(findings(&report), ["main.tf:15:9 allow-not-action"]);
}

#[test]
fn heredocs_keep_offsets_through_interpolations_and_indentation() {
    let (sources, model) = model("heredoc", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    // `<<EOF` with `${var.bucket}` (resolved from its default) and an escaped policy variable.
    let plain = doc(&model, "aws_iam_role_policy.plain.policy");
    assert_eq!(plain.syntax, Syntax::Json);
    assert_eq!(plain.origin.attached_to.as_deref(), Some("app"));
    assert_eq!(
        actions(&sources, plain, 0),
        ["s3:DeleteObject@main.tf:13:20"]
    );
    assert_eq!(
        resources(&sources, plain, 0),
        ["arn:aws:s3:::reports/home/${aws:username}/*@main.tf:14:19"]
    );
    assert_eq!(
        plain.statements[0].resources().unwrap().items[0].value,
        Scalar::str("arn:aws:s3:::reports/home/${aws:username}/*")
    );
    // `<<-JSON`, indented, with a bare `${jsonencode([...])}` as a JSON value.
    let indented = doc(&model, "aws_iam_user_policy.indented.policy");
    assert_eq!(
        indented.origin.attached_to.as_deref(),
        Some("aws_iam_user.dev")
    );
    assert_eq!(
        actions(&sources, indented, 0),
        ["ec2:TerminateInstances@main.tf:28:25"]
    );
    assert_eq!(
        resources(&sources, indented, 0),
        ["arn:aws:ec2:*:*:instance/*@main.tf:29:37"]
    );

    let report = lint("heredoc", "main.tf", STRUCTURAL);
    assert_eq!(
        findings(&report),
        [
            "main.tf:13:7 allow-not-action",
            "main.tf:25:7 missing-version",
            "main.tf:28:11 allow-not-action",
        ]
    );
}

#[test]
fn quoted_json_maps_spans_through_escapes() {
    let (sources, model) = model("quoted", "main.tf");
    let d = doc(&model, "aws_iam_group_policy.ops.policy");
    assert_eq!(d.origin.attached_to.as_deref(), Some("ops"));
    assert_eq!(at(&sources, d.statements[0].span), "main.tf:3:56");
    assert_eq!(actions(&sources, d, 0), ["iam:*@main.tf:3:92"]);
    assert_eq!(resources(&sources, d, 0), ["*@main.tf:3:115"]);
}

#[test]
fn policy_documents_build_statements_with_their_elements() {
    let (sources, model) = model("policy_document", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    // `base` is only a source of `app`: not linted on its own.
    assert_eq!(model.docs.len(), 2);
    let app = doc(&model, "aws_iam_role_policy.app.policy");
    assert_eq!(app.kind, PolicyKind::Identity);
    assert_eq!(app.syntax, Syntax::HclPolicyDocument);
    assert_eq!(app.origin.attached_to.as_deref(), Some("aws_iam_role.app"));
    // The provider's default version.
    assert_eq!(
        app.version.as_ref().map(|v| v.value.clone()),
        Some(Scalar::str("2012-10-17"))
    );
    let sids: Vec<Option<String>> = app
        .statements
        .iter()
        .map(|s| s.sid.as_ref().map(|s| s.value.text()))
        .collect();
    assert_eq!(sids, [Some("Logs".into()), Some("Replaced".into()), None]);
    // From the source document, then the same-Sid statement replaced by `app`'s own.
    assert_eq!(
        actions(&sources, app, 0),
        ["logs:PutLogEvents@main.tf:4:18"]
    );
    assert_eq!(
        actions(&sources, app, 1),
        ["s3:GetObject@main.tf:20:7", "s3:PutObject@main.tf:21:7"]
    );
    // `not_actions`, `not_resources`, two conditions; `effect` defaults to Allow at the block.
    let third = &app.statements[2];
    assert!(third.action.as_ref().unwrap().negated);
    assert_eq!(
        actions(&sources, app, 2),
        ["iam:*@main.tf:28:20", "organizations:*@main.tf:28:29"]
    );
    assert!(third.resource.as_ref().unwrap().negated);
    let ops: Vec<String> = third
        .condition
        .as_ref()
        .unwrap()
        .entries()
        .map(|(op, e)| format!("{} {}", op.name.value, e.key.value))
        .collect();
    assert_eq!(
        ops,
        [
            "StringEquals aws:RequestedRegion",
            "Bool aws:SecureTransport"
        ]
    );
    assert_eq!(
        at(&sources, app.statements[0].effect.as_ref().unwrap().span),
        "main.tf:2:3"
    );
    // The dynamic block runs over the variable's default, an empty list: no statement, no unknown.
    assert_eq!(app.statements.len(), 3);
    assert!(app.unresolved.is_empty(), "{:?}", app.unresolved);

    // Used as `assume_role_policy`: a trust policy with principals grouped by type.
    let trust = doc(&model, "aws_iam_role.app.assume_role_policy");
    assert_eq!(trust.kind, PolicyKind::Trust);
    let kinds: Vec<String> = trust.statements[0]
        .principal
        .as_ref()
        .unwrap()
        .entries
        .iter()
        .map(|e| format!("{}@{}", e.kind.value, at(&sources, e.kind.span)))
        .collect();
    assert_eq!(kinds, ["Service@main.tf:60:21", "AWS@main.tf:64:21"]);
    assert!(trust.problems.is_empty(), "{:?}", trust.problems);

    let report = lint("policy_document", "main.tf", STRUCTURAL);
    assert_eq!(findings(&report), ["main.tf:28:5 allow-not-action",]);
}

#[test]
fn file_references_are_linted_in_the_referenced_file() {
    let (sources, model) = model("file_ref", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let from_file = doc(&model, "aws_iam_policy.from_file.policy");
    assert_eq!(
        actions(&sources, from_file, 0),
        ["s3:DeleteBucket@read.json:6:20"]
    );
    assert_eq!(
        at(&sources, from_file.origin.via[0].span),
        "main.tf:3:12",
        "via names the file() call"
    );
    let tpl = doc(&model, "aws_iam_policy.from_template.policy");
    assert_eq!(
        resources(&sources, tpl, 0),
        ["arn:aws:s3:::reports/*@bucket.json.tpl:7:19"]
    );
    assert_eq!(at(&sources, tpl.origin.via[0].span), "main.tf:8:12");

    let report = lint("file_ref", "main.tf", STRUCTURAL);
    assert_eq!(
        findings(&report),
        [
            "read.json:6:7 allow-not-action",
            "bucket.json.tpl:6:7 allow-not-action"
        ]
    );
    let first = report.active().next().unwrap();
    assert!(report
        .sources
        .get(first.span.file)
        .path
        .ends_with("policies/read.json"));
}

#[test]
fn the_kind_comes_from_the_use() {
    let (sources, model) = model("trust_resource", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let kinds: Vec<(String, PolicyKind)> = model
        .docs
        .iter()
        .map(|d| (d.path.clone(), d.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "aws_iam_role.ci.assume_role_policy".to_string(),
                PolicyKind::Trust
            ),
            (
                "aws_iam_role.ci.inline_policy[0].policy".to_string(),
                PolicyKind::Identity
            ),
            (
                "aws_s3_bucket_policy.site.policy".to_string(),
                PolicyKind::Resource
            ),
            ("aws_kms_key.k.policy".to_string(), PolicyKind::Resource),
            (
                "aws_sqs_queue_policy.q.policy".to_string(),
                PolicyKind::Resource
            ),
        ]
    );
    for d in &model.docs {
        assert!(d.problems.is_empty(), "{}: {:?}", d.path, d.problems);
    }
    let inline = doc(&model, "aws_iam_role.ci.inline_policy[0].policy");
    assert_eq!(
        inline.origin.attached_to.as_deref(),
        Some("aws_iam_role.ci")
    );
    assert_eq!(
        inline.origin.description.as_deref(),
        Some("inline policy `deploy` of `aws_iam_role.ci`")
    );
    let bucket = doc(&model, "aws_s3_bucket_policy.site.policy");
    let principal = bucket.statements[0].principal.as_ref().unwrap();
    assert_eq!(principal.public_values().count(), 1);
    assert_eq!(at(&sources, principal.span), "main.tf:29:19");
    // `managed_policy_arns` elements are attachments of the role.
    assert_eq!(model.attachments.len(), 1);
    let a = &model.attachments[0];
    assert_eq!(
        a.policy_arn.value,
        Scalar::str("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(at(&sources, a.policy_arn.span), "main.tf:20:26");
    assert_eq!(a.origin.attached_to.as_deref(), Some("aws_iam_role.ci"));
}

#[test]
fn locals_and_variable_defaults_are_resolved_unknowns_reported() {
    let (sources, model) = model("values", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    // `jsonencode(local.policy)`: elements keep the span where the local wrote them.
    let locals = doc(&model, "aws_iam_policy.locals.policy");
    assert_eq!(
        actions(&sources, locals, 0),
        ["s3:GetObject@main.tf:3:14", "s3:ListBucket@main.tf:3:30"]
    );
    // `var.env` default comes from variables.tf, through `local.bucket`.
    assert_eq!(
        resources(&sources, locals, 0),
        ["arn:aws:s3:::reports-prod/*@main.tf:9:19"]
    );
    // A variable without default stays a hole in the ARN: never `*`.
    let unknown = doc(&model, "aws_iam_policy.unknown.policy");
    let arn = &unknown.statements[0].resources().unwrap().items[0].value;
    assert!(matches!(arn, Scalar::Template(_)), "{arn:?}");
    assert_eq!(arn.text(), "arn:aws:s3:::${var.team_bucket}/*");
    assert!(!unknown.statements[0].resources().unwrap().has_star());
    // A whole policy from an unknown variable is reported, not dropped.
    assert_eq!(model.unresolved.len(), 1);
    assert_eq!(model.unresolved[0].value.expr, "var.policy_json");

    let report = lint("values", "main.tf", STRUCTURAL);
    assert_eq!(
        findings(&report),
        [
            "main.tf:8:7 allow-not-action",
            "main.tf:24:18 unresolved-reference",
            "main.tf:30:12 unresolved-reference",
        ]
    );
    let messages: Vec<&str> = report
        .active()
        .filter(|f| f.rule == RuleId::UnresolvedReference)
        .map(|f| &*f.message)
        .collect();
    assert_eq!(
        messages,
        [
            "`var.team_bucket` could not be evaluated: variable `team_bucket` has no default value",
            "`var.policy_json` could not be evaluated: variable `policy_json` has no default value",
        ]
    );
}

#[test]
fn attachments_name_policy_and_principal() {
    let (sources, model) = model("attachments", "main.tf");
    let rows: Vec<String> = model
        .attachments
        .iter()
        .map(|a| {
            format!(
                "{} {}@{} -> {}",
                a.origin.address.as_deref().unwrap_or("?"),
                a.policy_arn.value,
                at(&sources, a.policy_arn.span),
                a.origin.attached_to.as_deref().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "aws_iam_role_policy_attachment.admin arn:aws:iam::aws:policy/AdministratorAccess@main.tf:12:16 -> aws_iam_role.ec2",
            // A literal role name maps to the role the module defines with that name.
            "aws_iam_role_policy_attachment.custom ${aws_iam_policy.custom.arn}@main.tf:17:16 -> aws_iam_role.ec2",
            "aws_iam_policy_attachment.many arn:aws:iam::aws:policy/PowerUserAccess@main.tf:27:13 -> alice",
            "aws_iam_policy_attachment.many arn:aws:iam::aws:policy/PowerUserAccess@main.tf:27:13 -> bob",
        ]
    );
    // The customer managed policy knows its principal from the attachment.
    let custom = doc(&model, "aws_iam_policy.custom.policy");
    assert_eq!(
        custom.origin.attached_to.as_deref(),
        Some("aws_iam_role.ec2")
    );
}

#[test]
fn suppressions_used_unused_missing_reason_and_unknown_id() {
    let rules = [
        RuleId::AllowNotAction,
        RuleId::MissingVersion,
        RuleId::UnresolvedReference,
        RuleId::UnusedSuppression,
        RuleId::InvalidSuppression,
    ];
    let report = lint("suppressions", "main.tf", &rules);
    assert_eq!(
        findings(&report),
        [
            // The trailing comment on line 13 covers line 13 only.
            "main.tf:14:27 allow-not-action",
            // Both ids of this comment matched nothing.
            "main.tf:20:21 unused-suppression",
            "main.tf:20:39 unused-suppression",
            // No reason: reported, and the finding below it stays.
            "main.tf:27:3 invalid-suppression",
            "main.tf:29:38 allow-not-action",
            "main.tf:34:22 invalid-suppression",
            "main.tf:36:38 allow-not-action",
        ]
    );
    let suppressed: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.suppressed)
        .map(|f| format!("{} {}", at(&report.sources, f.span), f.rule))
        .collect();
    assert_eq!(suppressed.len(), 7, "{suppressed:?}");
    assert!(suppressed.contains(&"main.tf:6:38 allow-not-action".to_string()));
    assert!(suppressed.contains(&"main.tf:13:27 allow-not-action".to_string()));
    // The file-wide comment covers every missing-version.
    assert_eq!(
        suppressed
            .iter()
            .filter(|s| s.ends_with("missing-version"))
            .count(),
        5
    );
    let typo = report
        .active()
        .find(|f| f.span.start != 0 && f.message.contains("allow-not-actions"))
        .unwrap();
    assert_eq!(
        &*typo.message,
        "`allow-not-actions` is not a rule id (did you mean `allow-not-action`?)"
    );
}

#[test]
fn suppressions_of_rules_not_run_are_reported_as_such() {
    let report = lint(
        "suppressions",
        "main.tf",
        &[RuleId::UnusedSuppression, RuleId::MissingVersion],
    );
    let rows: Vec<String> = report
        .active()
        .map(|f| format!("{} {}", at(&report.sources, f.span), f.message))
        .collect();
    assert_eq!(
        rows,
        [
            "main.tf:4:21 `allow-not-action` is suppressed here but the rule is not enabled",
            "main.tf:13:83 `allow-not-action` is suppressed here but the rule is not enabled",
            "main.tf:20:21 `allow-not-action` is suppressed here but the rule is not enabled",
            "main.tf:20:39 `unresolved-reference` is suppressed here but the rule is not enabled",
        ]
    );
}

/// `fixtures/<rule-id>/fail_*` yield the rule with only it enabled, `pass_*` do not.
#[test]
fn suppression_rule_fixtures() {
    for rule in [RuleId::InvalidSuppression, RuleId::UnusedSuppression] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(rule.id());
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let opts = LintOptions {
                select: Some(vec![rule]),
                ..LintOptions::default()
            };
            let report = lint_text(&path, text, &opts);
            assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
            let n = report.active().filter(|f| f.rule == rule).count();
            if name.starts_with("fail_") {
                assert!(n >= 1, "{rule}/{name}: no finding");
            } else {
                assert_eq!(n, 0, "{rule}/{name}: {n} findings");
            }
            seen += 1;
        }
        assert!(seen >= 3, "{rule}: {seen} fixtures");
    }
}

#[test]
fn malformed_hcl_and_heredoc_json_are_located_errors() {
    let report = lint("malformed", "main.tf", STRUCTURAL);
    let errors: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("{} {}", at(&report.sources, e.span.unwrap()), e.message))
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("main.tf:5:3 invalid HCL: "),
        "{errors:?}"
    );

    let report = lint("heredoc_error", "main.tf", STRUCTURAL);
    let errors: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("{} {}", at(&report.sources, e.span.unwrap()), e.message))
        .collect();
    assert_eq!(
        errors,
        ["main.tf:6:54 invalid JSON in a Terraform string: expected `,` or `}` after an object entry, found `\"`"]
    );
}

#[test]
fn plan_files_are_read_by_resource_address() {
    let (sources, model) = model("tfplan", "plan.json");
    assert!(model.recognised);
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let kinds: Vec<(String, PolicyKind)> = model
        .docs
        .iter()
        .map(|d| (d.path.clone(), d.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("aws_iam_policy.ci.policy".to_string(), PolicyKind::Identity),
            (
                "aws_iam_role.ec2.assume_role_policy".to_string(),
                PolicyKind::Trust
            ),
            (
                "module.site.aws_s3_bucket_policy.site.policy".to_string(),
                PolicyKind::Resource
            ),
        ]
    );
    let ci = doc(&model, "aws_iam_policy.ci.policy");
    // Inside the escaped JSON string of the plan.
    assert_eq!(actions(&sources, ci, 0), ["iam:*@plan.json:14:109"]);
    let attached: Vec<String> = model
        .attachments
        .iter()
        .map(|a| {
            format!(
                "{} -> {}",
                a.policy_arn.value,
                a.origin.attached_to.as_deref().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        attached,
        [
            "arn:aws:iam::aws:policy/ReadOnlyAccess -> aws_iam_role.ec2",
            "arn:aws:iam::aws:policy/AdministratorAccess -> aws_iam_role.ec2",
        ]
    );
    assert_eq!(model.unresolved.len(), 1);
    assert_eq!(
        model.unresolved[0].value.expr,
        "aws_iam_role_policy.later.policy"
    );

    let report = lint("tfplan", "plan.json", STRUCTURAL);
    assert_eq!(
        findings(&report),
        [
            "plan.json:14:94 allow-not-action",
            "plan.json:75:18 unresolved-reference"
        ]
    );
}

#[test]
fn stress_tree_parses_without_errors_or_panics() {
    let dir = tempfile::tempdir().unwrap();
    let stats = support::write_tree(dir.path(), 120, 7);
    let report = lint_paths(
        &[dir.path().to_path_buf()],
        &LintOptions {
            select: Some(STRUCTURAL.to_vec()),
            ..LintOptions::default()
        },
    );
    let errors: Vec<String> = report
        .errors()
        .map(|(f, e)| format!("{}: {}", f.sources.main().display_path(), e.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        report.files.len() >= stats.tf_files,
        "{}",
        report.files.len()
    );
    // Every generated policy is found: each file holds `stats.policies_per_file` of them.
    let mut docs = 0;
    for path in &stats.paths {
        let text = std::fs::read_to_string(path).unwrap();
        let mut sources = SourceMap::new(SourceFile::new(path, text));
        let model = iamlint::frontend::parse(&mut sources, Format::Terraform);
        assert!(
            model.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            model.errors
        );
        docs += model.docs.len();
    }
    assert!(docs >= stats.min_docs, "{docs} < {}", stats.min_docs);
}

#[test]
#[ignore = "writes a stress tree to $IAMLINT_STRESS_DIR for benchmarks"]
fn write_stress_tree() {
    let Ok(dir) = std::env::var("IAMLINT_STRESS_DIR") else {
        return;
    };
    let stats = support::write_tree(Path::new(&dir), 800, 11);
    eprintln!("{} files, {} bytes", stats.tf_files, stats.bytes);
}

/// Fixture texts, each cut and spliced with HCL-significant text: the frontend reports errors, it
/// never panics.
mod no_panics {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "\"",
        "{",
        "}",
        "[",
        "]",
        "${",
        "$${",
        "%{",
        "<<EOF\n",
        "<<-EOF\n",
        "\nEOF\n",
        "#",
        "//",
        "/*",
        "\\",
        "\\u00e9",
        "é",
        "\n",
        "=",
        ",",
        "jsonencode(",
        "file(",
        "local.",
        "var.",
        "data.aws_iam_policy_document.",
        " iamlint: ignore[",
        "]",
        "\"Statement\":",
        "Statement = ",
    ];

    fn fixtures() -> Vec<String> {
        let mut out = Vec::new();
        for case in [
            "jsonencode",
            "heredoc",
            "quoted",
            "policy_document",
            "trust_resource",
            "values",
            "suppressions",
            "attachments",
        ] {
            out.push(std::fs::read_to_string(fixture(case, "main.tf")).unwrap());
        }
        out
    }

    fn lint_mem(text: String) -> FileReport {
        let opts = LintOptions {
            select: Some(STRUCTURAL.to_vec()),
            ..LintOptions::default()
        };
        lint_text(Path::new("in-memory/mutated.tf"), text, &opts)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn spliced_fixtures(which in 0usize..8, at in 0usize..4000, cut in 0usize..40, piece in 0usize..PIECES.len()) {
            let texts = fixtures();
            let text = &texts[which % texts.len()];
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let mutated = format!("{}{}{}", &text[..at], PIECES[piece], &text[end..]);
            let report = lint_mem(mutated);
            for e in &report.errors {
                if let Some(span) = e.span {
                    prop_assert!(span.end as usize <= report.sources.get(span.file).text.len());
                }
            }
        }

        #[test]
        fn arbitrary_text(text in "(resource \"aws_iam_policy\" \"x\" \\{ policy = |[a-z{}\\[\\]\"$%<#/=\\n é-])*") {
            let _ = lint_mem(text);
        }
    }
}

fn lint_tree(paths: &[PathBuf], rules: &[RuleId]) -> iamlint::lint::Report {
    let opts = LintOptions {
        select: Some(rules.to_vec()),
        ..LintOptions::default()
    };
    lint_paths(paths, &opts)
}

/// Every active finding of a run as `file:line:col rule-id`, each related label on its own line
/// below as `  file:line:col note`.
fn findings_of_run(report: &iamlint::lint::Report) -> Vec<String> {
    let mut out = Vec::new();
    for (file, f) in report.findings() {
        out.push(format!("{} {}", at(&file.sources, f.span), f.rule));
        for label in &f.related {
            out.push(format!(
                "  {} {}",
                at(&file.sources, label.span),
                label.note
            ));
        }
    }
    out
}

fn module_fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/terraform/modules")
        .join(rel)
}

const BROAD: &[RuleId] = &[
    RuleId::WildcardAction,
    RuleId::ResourceStar,
    RuleId::UnresolvedReference,
];

#[test]
fn a_module_is_linted_with_the_values_its_example_passes() {
    // `examples/broad` passes `logs_access = "*"`: the module's own statement is flagged, with
    // the call as a related location; the caller's own `s3:*` and `"*"` are flagged where written.
    let report = lint_tree(&[module_fixture("repo/examples/broad")], BROAD);
    let got = findings_of_run(&report);
    assert_eq!(
        got,
        [
            "main.tf:4:16 wildcard-action",
            "  main.tf:5:15 on these resources",
            "  main.tf:1:1 in module `ci` called here",
            "main.tf:5:16 resource-star",
            "  main.tf:4:16 can be scoped",
            "  main.tf:1:1 in module `ci` called here",
            "main.tf:11:18 wildcard-action",
            "  main.tf:12:17 on these resources",
            "  main.tf:1:1 in module `ci` called here",
        ]
    );
    // The remote `vpc` module (main.tf:36) is not reported: none of its outputs reaches a policy.
    // The module statement's finding is in the module's file, the call in the example's.
    let (file, f) = report
        .findings()
        .find(|(_, f)| f.message.contains("logs:*"))
        .unwrap();
    let at_path = file.sources.locate(f.span).path;
    assert!(at_path.ends_with("modules/repo/main.tf"), "{at_path}");
    assert!(!at_path.contains(".."), "paths are normalised: {at_path}");
    let call = f.related.last().unwrap();
    assert!(file
        .sources
        .locate(call.span)
        .path
        .ends_with("repo/examples/broad/main.tf"));
    assert_eq!(
        f.logical_path.as_deref(),
        Some("module.ci.aws_iam_policy.this.policy/Statement[1]")
    );
    // The remote source of the nested `module "vpc"` is not fetched, and as none of its outputs
    // reaches a policy, not reported either.
    assert!(report
        .findings()
        .all(|(_, f)| f.rule != RuleId::UnresolvedReference));
}

#[test]
fn a_narrow_example_gives_no_finding_and_its_dynamic_statements_are_built() {
    let report = lint_tree(
        &[module_fixture("repo/examples/narrow")],
        &[RuleId::WildcardAction, RuleId::ResourceStar],
    );
    assert_eq!(findings_of_run(&report), Vec::<String>::new());

    // The map of statements the example passes becomes one statement per key, spans where the
    // example wrote each value.
    let (sources, model) = {
        let path = module_fixture("repo/examples/narrow/main.tf");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut sources = SourceMap::new(SourceFile::new(&path, text));
        let model = iamlint::frontend::parse(&mut sources, Format::Terraform);
        (sources, model)
    };
    let d = doc(&model, "module.ci.aws_iam_policy.this.policy");
    let sids: Vec<String> = d
        .statements
        .iter()
        .map(|s| s.sid.as_ref().unwrap().value.text())
        .collect();
    assert_eq!(sids, ["Managed", "Logs", "List"]);
    assert_eq!(actions(&sources, d, 2), ["s3:ListBucket@main.tf:8:20"]);
    assert_eq!(
        at(&sources, d.statements[2].sid.as_ref().unwrap().span),
        "main.tf:7:5"
    );
    assert_eq!(d.origin.via.len(), 1);
    assert_eq!(d.origin.via[0].note, "in module `ci` called here");
    // The nested local module gets the chain of both calls, innermost first.
    let reader = doc(&model, "module.ci.module.reader.aws_iam_policy.read.policy");
    let chain: Vec<String> = reader
        .origin
        .via
        .iter()
        .map(|v| format!("{} {}", at(&sources, v.span), v.note))
        .collect();
    assert_eq!(
        chain,
        [
            "main.tf:30:1 in module `reader` called here",
            "main.tf:1:1 in module `ci` called here"
        ]
    );
    // The example does not pass `bucket`: the module's default is used.
    assert_eq!(
        resources(&sources, reader, 0),
        ["arn:aws:s3:::example/*@main.tf:12:18"]
    );
}

#[test]
fn a_module_and_its_examples_linted_together_report_each_finding_once() {
    let report = lint_tree(&[module_fixture("repo")], BROAD);
    let got = findings_of_run(&report);
    // The remote source is seen from the module itself and through both examples, and its
    // outputs reach no policy: not reported.
    let remote = got
        .iter()
        .filter(|l| l.starts_with("main.tf:36:13 unresolved-reference"))
        .count();
    assert_eq!(remote, 0, "{got:#?}");
    assert_eq!(
        got.iter().filter(|l| l.contains("wildcard-action")).count(),
        2,
        "{got:#?}"
    );
    // Unknown on its own (no default for `name`), known through each caller: the module's own
    // run keeps its info, as the folder is a module anyone may call.
    assert!(
        got.contains(&"main.tf:12:18 unresolved-reference".to_string()),
        "{got:#?}"
    );
}

#[test]
fn module_call_cycles_stop_with_a_message() {
    let report = lint_tree(
        &[module_fixture("cycle/a")],
        &[RuleId::UnresolvedReference, RuleId::WildcardAction],
    );
    let got = findings_of_run(&report);
    assert_eq!(
        got,
        [
            "main.tf:7:91 wildcard-action",
            "  main.tf:7:111 on these resources",
            "main.tf:2:12 unresolved-reference",
        ]
    );
    let (file, cycle) = report
        .findings()
        .find(|(_, f)| f.rule == RuleId::UnresolvedReference)
        .unwrap();
    assert!(file
        .sources
        .locate(cycle.span)
        .path
        .ends_with("cycle/b/main.tf"));
    assert!(
        cycle.message.contains("module call cycle a → b → a"),
        "{}",
        cycle.message
    );
}

#[test]
fn instances_of_for_each_and_count_are_linted_with_their_keys() {
    let (sources, model) = model("instances", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let reports = doc(&model, "aws_iam_policy.writer[\"reports\"].policy");
    assert_eq!(
        resources(&sources, reports, 0),
        ["arn:aws:s3:::reports/*@main.tf:3:15"]
    );
    let logs = doc(&model, "aws_iam_policy.writer[\"logs\"].policy");
    assert_eq!(
        resources(&sources, logs, 0),
        ["arn:aws:s3:::logs/*@main.tf:4:15"]
    );
    assert_eq!(logs.origin.via[0].key.as_deref(), Some("\"logs\""));
    doc(&model, "aws_iam_role_policy.admin[1].policy");
    doc(&model, "data.aws_iam_policy_document.readers[\"sqs\"]");

    let report = lint(
        "instances",
        "main.tf",
        &[
            RuleId::WildcardAction,
            RuleId::DuplicateSid,
            RuleId::UnresolvedReference,
        ],
    );
    let mut got = Vec::new();
    for f in report.active() {
        got.push(format!("{} {}", at(&report.sources, f.span), f.rule));
        for label in &f.related {
            got.push(format!(
                "  {} {}",
                at(&report.sources, label.span),
                label.note
            ));
        }
    }
    assert_eq!(
        got,
        [
            // Both instances of `writer` hold `iam:*`: one finding, both keys.
            "main.tf:16:35 wildcard-action",
            "  main.tf:3:15 on these resources",
            "  main.tf:4:15 on these resources",
            "  main.tf:10:14 in these instances of `aws_iam_policy.writer` (`for_each`): [\"logs\"], [\"reports\"]",
            "main.tf:28:47 wildcard-action",
            "  main.tf:28:63 on these resources",
            "  main.tf:24:11 in these instances of `aws_iam_role_policy.admin` (`count`): [0], [1]",
            // A data source's instances differ: one finding each.
            "main.tf:36:18 wildcard-action",
            "  main.tf:37:17 on these resources",
            "  main.tf:34:14 in these instances of `data.aws_iam_policy_document.readers` (`for_each`): [\"s3\"]",
            "main.tf:36:18 wildcard-action",
            "  main.tf:37:17 on these resources",
            "  main.tf:34:14 in these instances of `data.aws_iam_policy_document.readers` (`for_each`): [\"sqs\"]",
            "main.tf:43:14 unresolved-reference",
            "main.tf:47:74 unresolved-reference",
            // Own statements with one Sid are two statements (only sources merge by Sid).
            "main.tf:59:17 duplicate-sid",
            "  main.tf:54:17 first used here",
        ]
    );
}

#[test]
fn a_finding_in_a_file_loaded_by_file_names_the_reference_and_is_reported_once() {
    let report = lint_tree(&[fixture("file_ref", "")], STRUCTURAL);
    let got = findings_of_run(&report);
    assert_eq!(
        got.iter()
            .filter(|l| l.starts_with("read.json:6:7 allow-not-action"))
            .count(),
        1,
        "{got:#?}"
    );
    let i = got
        .iter()
        .position(|l| l.starts_with("read.json:6:7 allow-not-action"))
        .unwrap();
    assert_eq!(
        got[i + 1..i + 3],
        [
            "  read.json:7:19 on every resource",
            "  main.tf:3:12 loaded by this `file(...)` call"
        ]
    );
}

#[test]
fn instances_of_a_module_call_share_one_finding_listing_their_keys() {
    let report = lint_tree(
        &[module_fixture("repo/examples/fleet")],
        &[RuleId::WildcardAction],
    );
    assert_eq!(
        findings_of_run(&report),
        [
            "main.tf:11:18 wildcard-action",
            "  main.tf:12:17 on these resources",
            "  main.tf:2:1 in module `team` called here, instances: [\"blue\"], [\"green\"]",
        ]
    );
    let (_, f) = report.findings().next().unwrap();
    assert_eq!(
        f.logical_path.as_deref(),
        Some("module.team[\"blue\"].aws_iam_policy.this.policy/Statement[1]")
    );
}

#[test]
fn module_expansion_stops_at_a_budget_per_file() {
    let start = std::time::Instant::now();
    let report = lint_tree(
        &[module_fixture("fanout/a")],
        &[RuleId::UnresolvedReference, RuleId::WildcardAction],
    );
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    let got = findings_of_run(&report);
    // The policy of `c` is found (through the first instances), once, with the call sites.
    assert_eq!(
        got.iter()
            .filter(|l| l.ends_with("wildcard-action"))
            .count(),
        1,
        "{got:#?}"
    );
    let (_, limit) = report
        .findings()
        .find(|(_, f)| f.rule == RuleId::UnresolvedReference)
        .unwrap();
    assert!(
        limit
            .message
            .contains("more than 512 module instances are expanded from this file"),
        "{}",
        limit.message
    );
}

#[test]
fn an_unknown_argument_stays_unknown_inside_the_module() {
    let report = lint_tree(
        &[module_fixture("repo/examples/unknown")],
        &[
            RuleId::UnresolvedReference,
            RuleId::WildcardAction,
            RuleId::ResourceStar,
        ],
    );
    let mut got = findings_of_run(&report);
    got.retain(|l| !l.starts_with("main.tf:36:13")); // the remote `vpc` module
    assert_eq!(
        got,
        [
            "main.tf:9:18 unresolved-reference",
            "  main.tf:6:1 in module `ci` called here",
            "main.tf:11:18 unresolved-reference",
            "  main.tf:6:1 in module `ci` called here",
        ]
    );
    let messages: Vec<&str> = report.findings().map(|(_, f)| &*f.message).collect();
    assert!(messages.contains(
        &"`var.data_bucket_arn` could not be evaluated: variable `data_bucket_arn` has no default value"
    ), "{messages:#?}");
    assert!(messages.contains(
        &"`var.logs_access` could not be evaluated: variable `data_bucket_arn` has no default value"
    ), "{messages:#?}");
}

/// The model of `fixtures/terraform/<case>/<file>` with variable settings from the command line.
fn model_with_vars(
    case: &str,
    file: &str,
    vars: Vec<iamlint::frontend::terraform::tfvars::VarSetting>,
) -> (SourceMap, FileModel) {
    let path = fixture(case, file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = SourceMap::new(SourceFile::new(&path, text));
    let opts = iamlint::frontend::FrontendOptions {
        terraform_vars: vars,
        ..Default::default()
    };
    let model = iamlint::frontend::parse_with(&mut sources, Format::Terraform, &opts);
    (sources, model)
}

#[test]
fn tfvars_override_defaults_in_terraform_order() {
    use iamlint::frontend::terraform::tfvars::VarSetting;
    // terraform.tfvars sets all three; a.auto.tfvars.json then b.auto.tfvars (lexical) set the
    // bucket again, and the last one wins. Values point into the file that set them.
    let (sources, model) = model("tfvars", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let app = doc(&model, "aws_iam_policy.app.policy");
    assert_eq!(actions(&sources, app, 0), ["s3:*@terraform.tfvars:1:12"]);
    assert_eq!(
        resources(&sources, app, 0),
        ["arn:aws:s3:::from-b-auto/*@main.tf:8:18"]
    );
    let effect = app.statements[0].effect.as_ref().unwrap();
    assert_eq!(at(&sources, effect.span), "terraform.tfvars:3:11");

    // --var-file and --var come last, in command-line order.
    let file = VarSetting::File(fixture("tfvars", "override.tfvars"));
    let var = VarSetting::parse_assignment("bucket=from-cli").unwrap();
    let bucket = |vars: Vec<VarSetting>| {
        let (sources, model) = model_with_vars("tfvars", "main.tf", vars);
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        resources(&sources, doc(&model, "aws_iam_policy.app.policy"), 0)
    };
    assert_eq!(
        bucket(vec![file.clone(), var.clone()]),
        ["arn:aws:s3:::from-cli/*@main.tf:8:18"]
    );
    assert_eq!(
        bucket(vec![var, file]),
        ["arn:aws:s3:::from-var-file/*@main.tf:8:18"]
    );
    // A list from the command line is read as HCL, its elements located in the `--var` text.
    let (sources, model) = model_with_vars(
        "tfvars",
        "main.tf",
        vec![VarSetting::parse_assignment(r#"actions=["s3:GetObject", "s3:PutObject"]"#).unwrap()],
    );
    assert_eq!(
        actions(&sources, doc(&model, "aws_iam_policy.app.policy"), 0),
        [
            "s3:GetObject@--var actions:1:2",
            "s3:PutObject@--var actions:1:18"
        ]
    );

    // The finding lands on the tfvars line that made the policy broad.
    let report = lint("tfvars", "main.tf", &[RuleId::WildcardAction]);
    assert_eq!(findings(&report), ["terraform.tfvars:1:12 wildcard-action"]);
}

#[test]
fn malformed_tfvars_is_a_located_error_and_the_rest_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.tf");
    std::fs::write(
        &main,
        "variable \"actions\" { default = [\"s3:GetObject\"] }\n\
         resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    \
         Statement = [{ Effect = \"Allow\", Action = var.actions, Resource = \"*\" }]\n  })\n}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("terraform.tfvars"), "actions = [\"s3:*\"\n").unwrap();
    std::fs::write(dir.path().join("x.auto.tfvars"), "actions = [\"iam:*\"]\n").unwrap();
    let text = std::fs::read_to_string(&main).unwrap();
    let opts = LintOptions {
        select: Some(vec![RuleId::WildcardAction]),
        ..LintOptions::default()
    };
    let report = lint_text(&main, text, &opts);
    let errors: Vec<String> = report
        .errors
        .iter()
        .map(|e| {
            let span = e.span.unwrap();
            format!("{} {}", at(&report.sources, span), e.message)
        })
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("terraform.tfvars:")
            && errors[0].contains(" invalid HCL in variables file: "),
        "{errors:?}"
    );
    assert_eq!(findings(&report), ["x.auto.tfvars:1:12 wildcard-action"]);
}

#[test]
fn reference_cycles_are_reported_with_their_reason_and_resource_attributes_are_not() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/unresolved-reference");
    let lint_one = |file: &str| {
        let p = path.join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        let opts = LintOptions {
            select: Some(vec![RuleId::UnresolvedReference, RuleId::ResourceStar]),
            ..LintOptions::default()
        };
        let report = lint_text(&p, text, &opts);
        report
            .active()
            .map(|f| format!("{} {}", at(&report.sources, f.span), f.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lint_one("fail_local_cycle.tf"),
        ["fail_local_cycle.tf:3:19 `concat([\"s3:GetObject\"], local.cycle_extra)` could not be \
          evaluated: reference cycle: local.cycle_actions \u{2192} local.cycle_extra \u{2192} \
          local.cycle_more \u{2192} local.cycle_actions"]
    );
    // One specific role's ARN: neither `*` for resource-star nor worth an info per reference.
    assert_eq!(lint_one("pass_resource_attribute.tf"), Vec::<String>::new());
}

#[test]
fn file_jsondecode_templatefile_for_and_values_in_general_expressions() {
    let (sources, model) = model("functions", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let policy = doc(&model, "aws_iam_policy.functions.policy");
    // jsondecode(file(...)): the decoded text is nowhere in a file, so spans are the call's.
    assert_eq!(
        actions(&sources, policy, 0),
        ["s3:GetObject@main.tf:3:18", "s3:ListBucket@main.tf:3:18"]
    );
    // The `for` filters `logs` out; values point at the template in the `for` body.
    assert_eq!(
        resources(&sources, policy, 0),
        ["arn:aws:s3:::reports/*@main.tf:16:54"]
    );
    // templatefile() with a `%{ for }` directive, then split().
    assert_eq!(
        actions(&sources, policy, 1),
        [
            "s3:PutObject@main.tf:20:20",
            "s3:DeleteObject@main.tf:20:20",
            "s3:GetBucketLocation@main.tf:20:20",
        ]
    );
    // values() keeps each value's own span, in key order.
    assert_eq!(
        resources(&sources, policy, 1),
        [
            "arn:aws:s3:::logs@main.tf:5:27",
            "arn:aws:s3:::reports@main.tf:5:58"
        ]
    );
}

// Module idioms of the public ecosystem (issue 16): null is unset, unknown is never text, empty
// and absent are not errors, files Terraform accepts parse, local module outputs are evaluated.

/// Every finding of a fixture linted with all rules, as `file:line:col rule-id`.
fn all_findings(case: &str) -> Vec<String> {
    let path = fixture(case, "main.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = lint_text(&path, text, &LintOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    findings(&report)
}

#[test]
fn null_attributes_are_unset() {
    assert_eq!(all_findings("idioms/null_unset"), Vec::<String>::new());
    let (_, model) = model("idioms/null_unset", "main.tf");
    for d in &model.docs {
        assert!(d.problems.is_empty(), "{}: {:?}", d.path, d.problems);
        for s in &d.statements {
            assert!(!s.action.as_ref().unwrap().negated, "{}", d.path);
            assert!(s.sid.is_none(), "{}: {:?}", d.path, s.sid);
        }
    }
    // The optional attribute's default applies: `effect` and `resources` of the typed map.
    let typed = doc(&model, "aws_iam_policy.typed.policy");
    let stmt = &typed.statements[0];
    assert_eq!(
        stmt.effect.as_ref().unwrap().value,
        Scalar::Str("Allow".into())
    );
    let looked_up = doc(&model, "aws_iam_policy.looked_up.policy");
    assert!(!looked_up.statements[0].resource.as_ref().unwrap().negated);
}

#[test]
fn principal_types_and_condition_keys_with_unknown_parts_are_unknown() {
    let got = all_findings("idioms/unknown_keys");
    assert!(
        got.iter().all(|f| f.ends_with("unresolved-reference")),
        "{got:#?}"
    );
    let (_, model) = model("idioms/unknown_keys", "main.tf");
    let irsa = doc(&model, "aws_iam_role.irsa.assume_role_policy");
    assert!(irsa.problems.is_empty(), "{:?}", irsa.problems);
    let cond = irsa.statements[0].condition.as_ref().unwrap();
    let (_, entry) = cond.entries().next().unwrap();
    // The known suffix is kept; the rest is a hole.
    match &entry.key.value {
        Scalar::Template(t) => {
            assert!(t.display().ends_with(":sub"), "{}", t.display());
            assert_eq!(t.holes().count(), 1);
        }
        other => panic!("expected a template key, found {other:?}"),
    }
    let assume = &model
        .docs
        .iter()
        .find(|d| d.path.starts_with("aws_iam_role.assume"))
        .unwrap();
    assert!(assume.problems.is_empty(), "{:?}", assume.problems);
}

#[test]
fn empty_and_absent_policies_are_not_errors_unless_literal() {
    // Only the literal, always-instantiated empty document is reported, and (an info) the
    // document with no instance at the module's defaults.
    assert_eq!(
        all_findings("idioms/empty"),
        [
            "main.tf:44:11 unresolved-reference",
            "main.tf:56:1 invalid-policy"
        ]
    );
    let (_, model) = model("idioms/empty", "main.tf");
    let paths: Vec<&str> = model.docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["aws_iam_policy.literal_empty.policy"]);
}

#[test]
fn resources_with_no_instance_at_the_defaults_are_named_not_linted() {
    // `off` (count) and the `off` document (for_each) have no instance only because `create`
    // defaults to false: one info names the variable (the document's `for_each` as a related
    // location). `never` (`count = 0`) has no instance whatever the inputs: not reported.
    assert_eq!(
        all_findings("idioms/count_zero"),
        [
            "main.tf:11:11 unresolved-reference",
            "main.tf:30:47 wildcard-action",
            "main.tf:30:66 resource-star"
        ]
    );
    let path = fixture("idioms/count_zero", "main.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = lint_text(&path, text, &LintOptions::default());
    let info = report
        .active()
        .find(|f| f.rule == RuleId::UnresolvedReference)
        .unwrap();
    assert!(
        info.message
            .contains("no instance at the module's defaults of `var.create`"),
        "{}",
        info.message
    );
    assert_eq!(info.related.len(), 1);
    let (_, model) = model("idioms/count_zero", "main.tf");
    let paths: Vec<&str> = model.docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["aws_iam_policy.on[0].policy"]);
}

#[test]
fn a_redefined_object_key_parses_and_the_last_value_wins() {
    assert_eq!(all_findings("idioms/duplicate_keys"), Vec::<String>::new());
    let (sources, model) = model("idioms/duplicate_keys", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    assert_eq!(
        actions(&sources, doc(&model, "aws_iam_policy.p.policy"), 0),
        ["s3:GetObject@main.tf:7:16"]
    );
}

#[test]
fn local_module_outputs_are_evaluated_with_the_call_arguments() {
    let (sources, model) = model("idioms/module_outputs", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let read = doc(&model, "aws_iam_policy.read.policy");
    assert_eq!(
        actions(&sources, read, 0),
        // At the reference, in the caller's file.
        ["s3:GetObject@main.tf:17:18", "s3:ListBucket@main.tf:17:18"]
    );
    assert_eq!(
        read.statements[0].resource.as_ref().unwrap().items[0].value,
        Scalar::Str("arn:aws:s3:::reports/*".into())
    );
    // The remote module's outputs reach no policy: it is not reported.
    assert_eq!(all_findings("idioms/module_outputs"), Vec::<String>::new());
}

#[test]
fn a_documents_text_is_judged_after_replace_where_it_becomes_a_policy() {
    // Only the true finding: the placeholders are filled by `replace()` before attachment.
    assert_eq!(
        all_findings("idioms/placeholder_doc"),
        ["main.tf:21:22 public-principal"]
    );
    let (sources, model) = model("idioms/placeholder_doc", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    // The caller's document is linted once, in the module's bucket policy (a resource policy),
    // sources first, at the lines written in the caller.
    let paths: Vec<&str> = model.docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "aws_sqs_queue_policy.q.policy",
            "module.bucket.aws_s3_bucket_policy.this.policy"
        ]
    );
    let bucket = doc(&model, "module.bucket.aws_s3_bucket_policy.this.policy");
    assert_eq!(bucket.kind, PolicyKind::Resource);
    assert_eq!(actions(&sources, bucket, 0), ["s3:ListBucket@main.tf:7:18"]);
    // The module's own statement, in its main.tf.
    assert_eq!(actions(&sources, bucket, 2), ["s3:*@main.tf:25:18"]);
    assert_eq!(
        sources.locate(bucket.statements[2].span).path,
        fixture("idioms/placeholder_doc/modules/bucket", "main.tf")
            .display()
            .to_string()
    );
    let resource = |i: usize| {
        bucket.statements[i].resource.as_ref().unwrap().items[0]
            .value
            .clone()
    };
    assert!(
        matches!(resource(0), Scalar::Unknown(u) if u.expr == "aws_s3_bucket.this.arn"),
        "{:?}",
        resource(0)
    );
    assert_eq!(
        resource(1).text(),
        "${aws_s3_bucket.this.arn}/*",
        "{:?}",
        resource(1)
    );
    let queue = doc(&model, "aws_sqs_queue_policy.q.policy");
    let queue_resource = &queue.statements[0].resource.as_ref().unwrap().items[0];
    assert!(matches!(&queue_resource.value, Scalar::Unknown(u) if u.expr == "aws_sqs_queue.q.arn"));
    assert_eq!(at(&sources, queue_resource.span), "main.tf:35:18");
    // The module on its own: its document is whole, and says nothing.
    assert_eq!(
        all_findings("idioms/placeholder_doc/modules/bucket"),
        Vec::<String>::new()
    );
}

#[test]
fn module_files_that_cannot_be_read_or_parsed_are_named_at_the_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let main = dir.path().join("main.tf");
    std::fs::write(&main, "module \"m\" {\n  source = \"./m\"\n}\n").unwrap();
    let m = dir.path().join("m");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("main.tf"),
        "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    \
         Statement = [{ Effect = \"Allow\", Action = \"s3:*\", Resource = \"*\" }]\n  })\n}\n",
    )
    .unwrap();
    // Past the 16 MiB a referenced file may have, and a file Terraform would reject.
    let big = "# padding\n".repeat(17 << 20 >> 3);
    std::fs::write(m.join("big.tf"), big).unwrap();
    std::fs::write(m.join("broken.tf"), "resource \"aws_iam_policy\" {\n").unwrap();
    let text = std::fs::read_to_string(&main).unwrap();
    let opts = LintOptions {
        select: Some(vec![RuleId::UnresolvedReference, RuleId::WildcardAction]),
        ..LintOptions::default()
    };
    let report = lint_text(&main, text, &opts);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let messages: Vec<String> = report
        .active()
        .map(|f| format!("{} {} {}", at(&report.sources, f.span), f.rule, f.message))
        .collect();
    // Each file once, at the call's `source`; the readable file still linted through the call.
    assert_eq!(
        messages,
        [
            "main.tf:2:12 unresolved-reference `module \"m\"` could not be evaluated: module file \
             `big.tf`: it is larger than 16 MiB: not read",
            "main.tf:2:12 unresolved-reference `module \"m\"` could not be evaluated: module file \
             `broken.tf` is not valid HCL: not linted",
        ]
        .into_iter()
        .map(String::from)
        .chain(
            messages
                .iter()
                .filter(|m| m.contains("wildcard-action"))
                .cloned()
        )
        .collect::<Vec<_>>()
    );
    assert!(
        messages[2].starts_with("main.tf:4:47 wildcard-action"),
        "{messages:#?}"
    );
}

#[test]
fn path_root_in_a_called_module_is_the_root_modules_folder() {
    // The module reads `${path.root}/policies/read.json`: the root's file, shown by its own path.
    assert_eq!(
        all_findings("idioms/path_root"),
        ["read.json:6:17 wildcard-action"]
    );
    let (sources, model) = model("idioms/path_root", "main.tf");
    let read = doc(&model, "module.reader.aws_iam_policy.read.policy");
    let shown = sources.locate(read.statements[0].span).path;
    assert!(
        shown.ends_with("idioms/path_root/policies/read.json") && !shown.contains(".."),
        "{shown}"
    );
}

// Issue 26: verdicts that hold on code nobody here has seen.

#[test]
fn a_null_guard_on_a_list_of_unknowns_keeps_its_dynamic_blocks() {
    // The statement built by `dynamic "principals"` has its principal, and the statement of
    // `dynamic "statement"` is judged: its `sqs:*` is the one finding.
    assert_eq!(
        all_findings("idioms/null_guard"),
        ["main.tf:14:19 wildcard-action"]
    );
    let (_, model) = model("idioms/null_guard", "main.tf");
    let d = doc(&model, "aws_sqs_queue_policy.q.policy");
    assert_eq!(d.statements.len(), 2);
    assert!(d.statements.iter().all(|s| s.principal.is_some()));
}

#[test]
fn outputs_of_a_counted_local_module_are_evaluated_per_instance() {
    let (_, model) = model("idioms/module_count_output", "main.tf");
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let read = doc(&model, "aws_iam_policy.read.policy");
    let got: Vec<Scalar> = read.statements[0]
        .resource
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.value.clone())
        .collect();
    assert_eq!(
        got,
        [
            Scalar::Str("arn:aws:s3:::logs-1/*".into()),
            Scalar::Str("arn:aws:s3:::reports/*".into())
        ]
    );
    assert_eq!(
        all_findings("idioms/module_count_output"),
        Vec::<String>::new()
    );
}

#[test]
fn a_principals_list_empty_at_its_default_is_the_callers() {
    // Only the literal `identifiers = []` leaves a statement without a principal; the variable's
    // empty default is reported as not known.
    assert_eq!(
        all_findings("idioms/principals_default"),
        [
            "main.tf:16:21 unresolved-reference",
            "main.tf:28:3 invalid-policy"
        ]
    );
}

#[test]
fn a_cookiecutter_terraform_file_is_one_note() {
    assert_eq!(
        all_findings("idioms/cookiecutter"),
        ["main.tf:3:11 unresolved-reference"]
    );
    // A Terraform syntax error without another tool's markers stays an error.
    let path = fixture("malformed", "main.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = lint_text(&path, text, &LintOptions::default());
    assert!(!report.errors.is_empty());
}

#[test]
fn human_output_summarizes_unresolved_reference_infos_unless_asked() {
    use iamlint::lint::Report;
    use iamlint::output::{render, OutputFormat, OutputOptions};
    let file = |case: &str| {
        let path = fixture(case, "main.tf");
        let text = std::fs::read_to_string(&path).unwrap();
        lint_text(&path, text, &LintOptions::default())
    };
    let report = Report {
        files: vec![file("idioms/many_unknowns"), file("idioms/cookiecutter")],
        ..Default::default()
    };
    let infos = report
        .files
        .iter()
        .flat_map(|f| f.active())
        .filter(|f| f.rule == RuleId::UnresolvedReference)
        .count();
    assert_eq!(infos, 3);
    let show = |opts: &OutputOptions, format: OutputFormat| {
        let mut out = Vec::new();
        render(&report, format, opts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let summarized = show(&OutputOptions::default(), OutputFormat::Human);
    assert!(
        !summarized.contains("info[unresolved-reference]"),
        "{summarized}"
    );
    // Still counted, and each cause named once with where it was first seen.
    assert!(summarized.contains("3 infos in"), "{summarized}");
    assert!(
        summarized.contains("3 unresolved-reference infos not shown"),
        "{summarized}"
    );
    assert_eq!(summarized.matches("(first at ").count(), 3, "{summarized}");
    let full = show(
        &OutputOptions {
            show_infos: true,
            ..OutputOptions::default()
        },
        OutputFormat::Human,
    );
    assert_eq!(
        full.matches("info[unresolved-reference]").count(),
        3,
        "{full}"
    );
    assert!(!full.contains("not shown"), "{full}");
    // JSON keeps every one.
    let json = show(&OutputOptions::default(), OutputFormat::Json);
    assert_eq!(
        json.matches("\"rule\": \"unresolved-reference\"").count(),
        3,
        "{json}"
    );
}

/// A `templatefile()` template in the linted tree is linted through its caller only: read on
/// its own, `${name}` is a literal (not an ARN) and a `%{ for }` directive is invalid YAML.
#[test]
fn a_templatefile_template_is_linted_through_its_callers_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(
        root.join("main.tf"),
        r#"resource "aws_kms_key" "k" {}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = templatefile("${path.module}/role.json", { kms_key_arn = aws_kms_key.k.arn })
}
resource "aws_cloudformation_stack" "exports" {
  name          = "exports"
  template_body = templatefile("${path.module}/exports.yml", { vars = { cluster = "prod" } })
}
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("role.json"),
        r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": ["${kms_key_arn}"]},
  {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*"}]}
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("exports.yml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Null: {Type: 'Custom::Null'}\nOutputs:\n%{ for k, v in vars ~}\n  ${k}:\n    Value: \"${v}\"\n%{ endfor }\n",
    )
    .unwrap();
    let report = lint_tree(
        &[root.to_path_buf()],
        &[RuleId::InvalidArn, RuleId::WildcardAction],
    );
    let errors: Vec<String> = report
        .errors()
        .map(|(f, e)| format!("{}: {}", f.sources.main().display_path(), e.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let found: Vec<String> = report
        .findings()
        .map(|(file, f)| format!("{} {}", at(&file.sources, f.span), f.rule))
        .collect();
    // The template's own `s3:*` is still reported once, through the policy that renders it.
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("role.json:3:") && found[0].ends_with("wildcard-action"),
        "{found:#?}"
    );
}

/// Permission resources: a literal function name is the function's ARN (no `invalid-arn`), a
/// null `action` is the type's default (`events:PutEvents`, no `invalid-policy`), and a
/// `condition` from a `dynamic` block restricts the grant unless its `for_each` is known empty.
#[test]
fn permission_resources_read_names_defaults_and_dynamic_conditions() {
    let (sources, model) = model("permissions", "main.tf");
    let edge = doc(&model, "aws_lambda_permission.edge.permission");
    assert_eq!(
        resources(&sources, edge, 0),
        ["arn:aws:lambda:*:*:function:http-edge-lambda@main.tf:15:19"]
    );
    let report = lint(
        "permissions",
        "main.tf",
        &[
            RuleId::InvalidArn,
            RuleId::InvalidPolicy,
            RuleId::PublicPrincipal,
        ],
    );
    assert_eq!(findings(&report), ["main.tf:37:18 public-principal"]);
}

#[test]
fn an_interpolation_splicing_json_text_is_read_with_the_text_spliced_in() {
    // `${local.maybe_office}` outside a JSON string: `""` at the defaults leaves the fragment out
    // (the `s3:*` statement is judged), a known fragment becomes part of the condition, and an
    // unknown one leaves that document not known: no input error in any case.
    assert_eq!(
        all_findings("idioms/spliced_fragment"),
        [
            "main.tf:30:19 wildcard-action",
            "main.tf:31:21 resource-star",
            "main.tf:64:12 unresolved-reference"
        ]
    );
    let (_, model) = model("idioms/spliced_fragment", "main.tf");
    let operators = |path: &str| -> Vec<String> {
        let d = doc(&model, path);
        d.statements[0]
            .condition
            .as_ref()
            .unwrap()
            .operators
            .iter()
            .map(|op| op.name.value.text())
            .collect()
    };
    assert_eq!(operators("aws_iam_policy.left_out.policy"), ["Bool"]);
    assert_eq!(
        operators("aws_iam_policy.spliced.policy"),
        ["IpAddress", "Bool"]
    );
}

#[test]
fn an_action_or_resource_list_empty_at_its_default_is_the_callers() {
    // As with principals: only a literal `[]` is an empty `Resource`; a variable's empty default,
    // in a `statement` block or in `jsonencode`, is the caller's list, reported as not known.
    assert_eq!(
        all_findings("idioms/list_default"),
        [
            "main.tf:11:17 unresolved-reference",
            "main.tf:16:17 unresolved-reference",
            "main.tf:28:17 invalid-policy",
            "main.tf:48:65 unresolved-reference",
            "main.tf:49:65 invalid-policy"
        ]
    );
}

#[test]
fn a_document_a_slot_takes_through_a_conditional_is_linted_once_there() {
    // `cond ? data.x[0].json : var.y` (terraform-aws-opensearch's access policy): the document is
    // the domain policy's, not also a document of its own (which was a second `wildcard-action`
    // judged without knowing it is a domain policy).
    let (_, model) = model("doc_behind_conditional", "main.tf");
    let paths: Vec<&str> = model.docs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["aws_opensearch_domain_policy.this.access_policies"]);
    assert!(model.docs[0].origin.is_search_domain_policy());
    let report = lint(
        "doc_behind_conditional",
        "main.tf",
        &[RuleId::WildcardAction],
    );
    assert_eq!(findings(&report), ["main.tf:3:27 wildcard-action"]);
}

#[test]
fn the_providers_accounts_in_a_sibling_file_are_the_main_files_own() {
    // `providers.tf` names the account; `main.tf` trusts it by a literal id: not cross-account.
    let (_, model) = model("provider_accounts", "main.tf");
    assert_eq!(model.links.own_accounts, ["111122223333"]);
    let report = lint("provider_accounts", "main.tf", &[RuleId::CrossAccountTrust]);
    assert_eq!(findings(&report), Vec::<String>::new());
}
