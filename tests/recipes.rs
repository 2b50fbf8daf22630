//! Recipes (`rules/recipes/*.toml`): data checked against the catalog, every recipe rendered in
//! every syntax (snapshots in `tests/snapshots/`), and the round trip: the replacement
//! `broad-managed-policy` offers lints clean.

use std::path::Path;

use iamlint::catalog::Catalog;
use iamlint::commands::suggest::{self, SuggestFormat};
use iamlint::finding::Severity;
use iamlint::lint::{lint_text, LintOptions};
use iamlint::recipes::{self, grants};
use iamlint::rules::RuleId;

#[test]
fn every_recipe_file_is_embedded_under_its_id() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/recipes");
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    let mut embedded: Vec<String> = recipes::FILES
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    embedded.sort();
    assert_eq!(
        stems, embedded,
        "src/recipes/mod.rs FILES must list every rules/recipes/*.toml"
    );
    for r in recipes::all() {
        assert!(
            recipes::FILES.iter().any(|(id, _)| *id == r.id),
            "{} is not its file stem",
            r.id
        );
    }
    assert!(recipes::all().len() >= 15);
}

#[test]
fn actions_exist_and_arn_templates_match_the_catalog() {
    let catalog = Catalog::get();
    let mut failures = Vec::new();
    for r in recipes::all() {
        for s in &r.statements {
            assert!(
                !s.sid.is_empty() && s.sid.chars().all(|c| c.is_ascii_alphanumeric()),
                "{}: Sid `{}`",
                r.id,
                s.sid
            );
            for action in &s.actions {
                let Some(a) = catalog.action(action) else {
                    failures.push(format!("{}: `{action}` is not in the catalog", r.id));
                    continue;
                };
                assert_eq!(
                    a.full_name(),
                    *action,
                    "{}: write actions in catalog case",
                    r.id
                );
                for key in &s.resources {
                    if key == "*" {
                        if a.action.is_scopable() {
                            failures
                                .push(format!("{}: `{action}` can be scoped but is on `*`", r.id));
                        }
                        continue;
                    }
                    let Some(res) = r.resources.get(key) else {
                        failures.push(format!("{}: no [resources.{key}]", r.id));
                        continue;
                    };
                    let accepted: Vec<&str> = a
                        .resource_types()
                        .flat_map(|t| t.arns.iter().copied())
                        .collect();
                    if !accepted.contains(&res.arn.as_str()) {
                        failures.push(format!(
                            "{}: `{action}` does not accept `{}` (catalog: {accepted:?})",
                            r.id, res.arn
                        ));
                    }
                }
            }
        }
        for (key, res) in &r.resources {
            for var in res.values.keys().chain(res.placeholders.keys()) {
                assert!(
                    res.arn.contains(&format!("${{{var}}}")),
                    "{}: `{var}` is not a variable of [resources.{key}]",
                    r.id
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_recipe_names_its_documentation() {
    for r in recipes::all() {
        assert!(!r.docs.is_empty(), "{} names no documentation URL", r.id);
        for url in &r.docs {
            assert!(url.starts_with("https://"), "{}: `{url}`", r.id);
        }
        assert!(!r.title.is_empty() && !r.purpose.is_empty(), "{}", r.id);
    }
}

#[test]
fn replaced_policies_exist_and_together_grant_every_action() {
    let catalog = Catalog::get();
    for r in recipes::all() {
        let mut all = Vec::new();
        for name in &r.replaces {
            let policy = catalog
                .managed_policy(name)
                .unwrap_or_else(|| panic!("{}: `{name}` is not an AWS managed policy", r.id));
            let g = grants::of(policy);
            assert!(
                r.actions().iter().any(|a| g.allows(a)),
                "{}: `{name}` grants none of its actions",
                r.id
            );
            all.push(g);
        }
        if all.is_empty() {
            continue;
        }
        for a in r.actions() {
            if r.fit_ignores.iter().any(|i| i == a) {
                continue;
            }
            assert!(
                all.iter().any(|g| g.allows(a)),
                "{}: no replaced policy grants `{a}`",
                r.id
            );
        }
    }
}

const FORMATS: &[(&str, SuggestFormat)] = &[
    ("json", SuggestFormat::Json),
    ("hcl", SuggestFormat::Hcl),
    ("hcl_document", SuggestFormat::HclDocument),
    ("yaml", SuggestFormat::Yaml),
];

#[test]
fn every_recipe_renders_in_every_syntax() {
    for r in recipes::all() {
        for (name, format) in FORMATS {
            let text = suggest::run(&r.id, &[], *format).unwrap();
            insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
                insta::assert_snapshot!(format!("recipe__{}__{name}", r.id), text);
            });
        }
    }
}

/// Realistic values for the placeholders, so the ARN checks of other rules see real ARNs.
fn fill(text: &str) -> String {
    let mut out = text
        .replace("<region>", "us-east-1")
        .replace("<account-id>", "111122223333");
    while let Some(start) = out.find('<') {
        let Some(len) = out[start..].find('>') else {
            break;
        };
        out.replace_range(start..start + len + 1, "example");
    }
    out
}

fn findings_at_or_above_warning(path: &str, text: String) -> Vec<String> {
    let report = lint_text(Path::new(path), text, &LintOptions::default());
    let mut out: Vec<String> = report.errors.iter().map(|e| e.message.clone()).collect();
    out.extend(
        report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning && !f.suppressed)
            .map(|f| format!("{} {}: {}", f.severity, f.rule, f.message)),
    );
    out
}

#[test]
fn every_recipe_lints_clean_once_filled() {
    for r in recipes::all() {
        let json = suggest::run(&r.id, &[], SuggestFormat::Json).unwrap();
        serde_json::from_str::<serde_json::Value>(&json).expect("rendered JSON parses");
        let found = findings_at_or_above_warning("policy.json", fill(&json));
        assert!(found.is_empty(), "{}:\n{}", r.id, found.join("\n"));
    }
}

/// The case on account-authorization-details JSON: the suggested ecr-pull policy, with
/// realistic values for its placeholders, lints clean with every rule.
#[test]
fn ecr_read_only_replacement_lints_clean_json() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/broad-managed-policy/fail_ecr_read_only.json");
    let report = lint_text(
        &path,
        std::fs::read_to_string(&path).unwrap(),
        &LintOptions::default(),
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == RuleId::BroadManagedPolicy)
        .expect("broad-managed-policy fires");
    let snippet = f
        .fix
        .as_ref()
        .and_then(|x| x.snippet.clone())
        .expect("a snippet");
    for a in [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
    ] {
        assert!(snippet.contains(a), "{a} missing from\n{snippet}");
    }
    let found = findings_at_or_above_warning("policy.json", fill(&snippet));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Done-when of issue 5, in Terraform: `broad-managed-policy` on the `policy_arn` line with the
/// four-action replacement in HCL; the replacement pasted in place of the attachment lints clean.
/// The file declares `aws_ecr_repository.app`, so the replacement refers to its ARN; were the
/// reference not used, placeholders are filled with realistic values before linting again.
/// Needs the Terraform frontend (and `FileModel::declared` filled by it).
#[test]
fn ecr_read_only_replacement_lints_clean_terraform() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/broad-managed-policy/fail_ecr_read_only_with_repository.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = lint_text(&path, text.clone(), &LintOptions::default());
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == RuleId::BroadManagedPolicy)
        .expect("broad-managed-policy fires on the .tf (needs the Terraform frontend)");
    let line = report.sources.locate(f.span).start.line;
    let policy_arn_line = text
        .lines()
        .position(|l| l.trim_start().starts_with("policy_arn"))
        .unwrap()
        + 1;
    assert_eq!(
        line.to_string(),
        policy_arn_line.to_string(),
        "finding is on the policy_arn line"
    );
    let snippet = f
        .fix
        .as_ref()
        .and_then(|x| x.snippet.clone())
        .expect("a snippet");
    assert!(
        snippet.contains("role = aws_iam_role.ec2_ecr_role.name"),
        "{snippet}"
    );
    for a in [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
    ] {
        assert!(snippet.contains(a), "{a} missing from\n{snippet}");
    }
    let start = text
        .find("resource \"aws_iam_role_policy_attachment\"")
        .unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let pasted = format!("{}{}{}", &text[..start], fill(&snippet), &text[end..]);
    let found = findings_at_or_above_warning("main.tf", pasted.clone());
    assert!(found.is_empty(), "{}\n---\n{pasted}", found.join("\n"));
}
