#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every AWS managed policy in the embedded data must lint without a parse error or a panic, and
//! without validity findings other than the reviewed list of actions and services AWS has retired
//! from its reference (`tests/data/managed-corpus-retired.txt`). A new false positive, or a retired
//! action that is no longer reported, fails this test.

use std::collections::BTreeSet;
use std::path::Path;

use iamlint::catalog::Catalog;
use iamlint::lint::{lint_text, LintOptions};
use iamlint::rules::RuleId;

const CHECKED: &[RuleId] = &[
    RuleId::ArnResourceMismatch,
    RuleId::ConditionTypeMismatch,
    RuleId::DeprecatedService,
    RuleId::InvalidArn,
    RuleId::InvalidPolicy,
    RuleId::UnknownAction,
    RuleId::UnknownConditionKey,
    RuleId::UnknownService,
    RuleId::WildcardMatchesNothing,
];

fn corpus_findings() -> BTreeSet<String> {
    let opts = LintOptions::default();
    let mut seen = BTreeSet::new();
    let policies = Catalog::get().managed_policies();
    assert_eq!(
        policies.len(),
        1594,
        "the pinned package has 1,594 managed policies"
    );
    for policy in policies {
        let path = format!("managed/{}.json", policy.name);
        let report = lint_text(Path::new(&path), policy.document.to_string(), &opts);
        assert!(
            report.errors.is_empty(),
            "{}: {:?}",
            policy.name,
            report.errors
        );
        for f in &report.findings {
            if CHECKED.contains(&f.rule) {
                let text = report
                    .sources
                    .main()
                    .slice(f.span)
                    .trim_matches('"')
                    .to_string();
                seen.insert(format!("{}\t{}\t{}", f.rule, policy.name, text));
            }
        }
    }
    seen
}

#[test]
fn managed_policies_lint_cleanly_apart_from_retired_actions() {
    let found = corpus_findings();
    let expected_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/managed-corpus-retired.txt");
    let expected: BTreeSet<String> = std::fs::read_to_string(&expected_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let new: Vec<&String> = found.difference(&expected).collect();
    let gone: Vec<&String> = expected.difference(&found).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "managed-policy corpus findings changed.\nnew (fix the false positive, or review and add to {}):\n{}\ngone:\n{}",
        expected_path.display(),
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
        gone.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
    );
    // None of them may be structural.
    assert!(!found.iter().any(|f| f.starts_with("invalid-policy")));
}

/// Issue #18: on AWS's own policies, `resource-star` no longer names `cloudwatch:PutMetricData`
/// (documented on `"*"`, `rules/reviewed/actions-on-star.tsv`), and `privilege-escalation` no
/// longer reports paths through ARNs of resource types the path's actions do not act on (the
/// seven false findings of the sample: `transform/*`, `stack/DataZone*`, statements without a
/// notebook-instance or dev-endpoint ARN).
#[test]
fn managed_policies_have_no_known_false_accuracy_findings() {
    let opts = LintOptions {
        select: Some(vec![RuleId::ResourceStar, RuleId::PrivilegeEscalation]),
        ..LintOptions::default()
    };
    // (policy, what the false finding named): the seven of the sample.
    let false_escalations = [
        (
            "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy",
            "CreateNotebookInstanceLifecycleConfig",
        ),
        (
            "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy",
            "CreatePresignedNotebookInstanceUrl",
        ),
        (
            "SageMakerStudioAdminIAMDefaultExecutionPolicy",
            "`sagemaker:*`",
        ),
        (
            "SageMakerStudioAdminIAMDefaultExecutionPolicy",
            "CreateChangeSet",
        ),
        (
            "SageMakerStudioAdminIAMDefaultExecutionPolicy",
            "UpdateDevEndpoint",
        ),
        (
            "SageMakerStudioAdminIAMPermissiveExecutionPolicy",
            "CreateChangeSet",
        ),
        (
            "SageMakerStudioUserIAMDefaultExecutionPolicy",
            "UpdateDevEndpoint",
        ),
    ];
    let mut escalations = 0;
    for policy in Catalog::get().managed_policies() {
        let path = format!("managed/{}.json", policy.name);
        let report = lint_text(Path::new(&path), policy.document.to_string(), &opts);
        for f in &report.findings {
            if f.rule == RuleId::ResourceStar {
                assert!(
                    !f.message.contains("PutMetricData"),
                    "{}: {}",
                    policy.name,
                    f.message
                );
            } else {
                escalations += 1;
                assert!(
                    !false_escalations
                        .iter()
                        .any(|(p, what)| *p == policy.name && f.message.contains(what)),
                    "{}: {}",
                    policy.name,
                    f.message
                );
            }
        }
    }
    // 57 before issue #18, less the 7 false ones, plus 23 paths opened by `iam:PassRole` limited
    // by `iam:PassedToService` to the path's own service; issue 26 adds 21 `ssm:SendCommand` and
    // `ssm:StartSession` paths on every instance or ECS task (BENCHMARKS.md explains each change).
    assert_eq!(escalations, 94);
}
