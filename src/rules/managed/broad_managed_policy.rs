use std::sync::Arc;

use super::common::{principal_word, resolve, target, Resolved};
use crate::fix::{render, PolicySpec};
use crate::model::Attachment;
use crate::recipes::grants::{self, Grants, Reach};
use crate::recipes::{self, Inputs, Recipe};
use crate::rules::prelude::*;
use crate::text::{list_some, thousands};

declare_rule! {
    /// Flags attachments of AWS managed policies that grant far more than one job needs.
    ///
    /// ## What it does
    /// For every attachment of an AWS managed policy (Terraform `*_policy_attachment` and
    /// `managed_policy_arns`, CloudFormation `ManagedPolicyArns`, `AttachedManagedPolicies` in
    /// `aws iam get-account-authorization-details`), reads the policy's own document from the
    /// embedded copy and expands what it allows on `"*"` without conditions. It reports the count by
    /// access level and, when a recipe fits (the recipe names the policy as one it replaces, or
    /// every service the policy reaches is one of the recipe's, and the principal's managed
    /// policies grant all its actions), offers the recipe in the file's syntax.
    ///
    /// Severity follows the reach: `error` for `*`, `NotAction`, a whole service (`s3:*`),
    /// permissions management or IAM writes on `"*"`; `warning` for more than four scopable
    /// actions on `"*"`; `info` for up to four. Left alone: policies whose actions on `"*"` cannot
    /// be scoped, permissions boundaries, and service-linked role policies (`aws-service-role/`).
    /// Policies under `service-role/` are meant for roles AWS services assume and are reported at
    /// `info` at most. A policy AWS requires on the role a service assumes (the reviewed table
    /// `rules/reviewed/service-required-policies.tsv`: `AmazonEKSClusterPolicy` for
    /// `eks.amazonaws.com`, `AmazonEKSWorkerNodeMinimalPolicy` for the EKS node role), attached to a
    /// role whose trust policy in the same file lets only that service assume it, is graded down:
    /// up to four scopable actions (the minimal variants) are not reported, more are `info`. So is
    /// a policy AWS requires beside a companion that names the role's job, on a principal that has
    /// the companion attached too (`rules/reviewed/companion-policies.tsv`:
    /// `AmazonEC2ContainerRegistryReadOnly`, `AmazonEKS_CNI_Policy` and
    /// `AmazonSSMManagedInstanceCore` beside `AmazonEKSWorkerNodePolicy` on the EKS node role). A
    /// policy whose whole grant is one job that a documented control requires a principal to
    /// have (the reviewed table `rules/reviewed/job-policies.tsv`: `AWSSupportAccess`, which the
    /// CIS AWS Foundations Benchmark requires on a support role) is `info` on any principal: no
    /// narrower policy does that job.
    ///
    /// ## Why is this bad?
    /// An AWS managed policy is written for every customer at once, so it grants every action a
    /// feature might need on every resource. An instance role that only pulls one image with
    /// `AmazonEC2ContainerRegistryReadOnly` can also list every repository, read every lifecycle
    /// policy and every scan finding in the account.
    ///
    /// ## Example
    /// ```json,fail
    /// {"RoleDetailList": [{"RoleName": "web", "RolePolicyList": [], "AttachedManagedPolicies": [
    ///   {"PolicyName": "AmazonEC2ContainerRegistryReadOnly", "PolicyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"}
    /// ]}]}
    /// ```
    ///
    /// Use instead (a customer managed policy made from `iamlint suggest ecr-pull`):
    /// ```json,pass
    /// {"RoleDetailList": [{"RoleName": "web", "RolePolicyList": [], "AttachedManagedPolicies": [
    ///   {"PolicyName": "ecr-pull", "PolicyArn": "arn:aws:iam::111122223333:policy/ecr-pull"}
    /// ]}]}
    /// ```
    ///
    /// ## Fix safety
    /// Display-only: the replacement is a resource to add (an inline policy in the file's own
    /// syntax, with placeholders such as `<account-id>` where a value is not known), not an edit
    /// of the attachment, and it grants less (the recipe covers the documented job, not whatever
    /// else the role did with the broad policy). Neither `--fix` nor `--unsafe-fixes` applies it.
    ///
    /// ## Known limitations
    /// The verdict uses the embedded copy of the policy (see `iamlint --version` for its date);
    /// a policy AWS changed since then is judged as it was.
    ///
    /// ## References
    /// - [AWS managed policies](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies)
    /// - [Get started with AWS managed policies and move toward least-privilege permissions](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-use-aws-defined-policies)
    /// - [Security Hub CIS control IAM.18: a support role to manage incidents with AWS Support](https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-18)
    pub BroadManagedPolicy {
        id: "broad-managed-policy",
        category: Managed,
        severity: Warning,
        fix: Sometimes,
    }
}

impl Rule for BroadManagedPolicy {
    fn check_file(&self, file: &FileModel, cx: &Ctx, out: &mut Vec<Finding>) {
        // Every managed policy of each principal, so a recipe can replace several together.
        let managed: Vec<(&Attachment, Arc<Grants>, bool)> = file
            .attachments
            .iter()
            .filter(|a| !a.is_permissions_boundary())
            .filter_map(|a| match resolve(a, cx.catalog) {
                Resolved::Managed { policy, unsure } => Some((a, grants::of(policy), unsure)),
                _ => None,
            })
            .collect();
        for (att, g, unsure) in &managed {
            let siblings: Vec<&Arc<Grants>> = match &att.origin.attached_to {
                Some(p) => managed
                    .iter()
                    .filter(|(b, _, _)| b.origin.attached_to.as_ref() == Some(p))
                    .map(|(_, g, _)| g)
                    .collect(),
                None => vec![g],
            };
            if let Some(finding) = judge(att, g, &siblings, *unsure, cx) {
                out.push(finding);
            }
        }
    }
}

fn judge(
    att: &Attachment,
    g: &Grants,
    siblings: &[&Arc<Grants>],
    unsure: bool,
    cx: &Ctx,
) -> Option<Finding> {
    let policy = g.policy;
    if policy.arn.contains(":policy/aws-service-role/") {
        return None;
    }
    let reach = g.reach();
    let mut severity = match reach {
        Reach::Scoped => return None,
        Reach::Narrow => Severity::Info,
        Reach::Broad => Severity::Warning,
        Reach::Severe => Severity::Error,
    };
    if policy.arn.contains(":policy/service-role/") {
        severity = Severity::Info;
    }
    // A policy AWS requires on the role its service assumes (`AmazonEKSClusterPolicy` for
    // `eks.amazonaws.com`, `rules/reviewed/service-required-policies.tsv`), on a role only that
    // service assumes: a grade below the same policy on a person or a pipeline.
    let services = trusted_services(att, cx.file).filter(|(services, _)| {
        !g.admin
            && services
                .iter()
                .all(|s| crate::catalog::reviewed::service_requires(&policy.name, s))
    });
    if services.is_some() {
        severity = match reach {
            Reach::Narrow => return None,
            _ => Severity::Info,
        };
    }
    // A policy AWS requires beside a companion that names the role's job (the EKS node role's
    // ECR, CNI and SSM policies beside `AmazonEKSWorkerNodePolicy`,
    // `rules/reviewed/companion-policies.tsv`), on a principal that has the companion too.
    let companion = siblings
        .iter()
        .map(|s| s.policy.name.as_str())
        .find(|c| !g.admin && crate::catalog::reviewed::required_with(&policy.name, c));
    if services.is_none() && companion.is_some() {
        severity = match reach {
            Reach::Narrow => return None,
            _ => Severity::Info,
        };
    }
    // A policy whose whole grant is a job a documented control requires (`AWSSupportAccess` for
    // the CIS support role, `rules/reviewed/job-policies.tsv`): no narrower policy does that job.
    let job = crate::catalog::reviewed::job_policy(&policy.name).filter(|_| !g.admin);
    if job.is_some() {
        severity = Severity::Info;
    }
    let who = principal_word(att);
    let mut message = message(g);
    if let (None, Some(companion)) = (&services, companion) {
        message.push_str(&format!(
            ", as AWS requires on a role that also has `{companion}`"
        ));
    }
    if let Some((job, _)) = job {
        message.push_str(&format!(", the policy AWS documents for {job}"));
    }
    if let Some((services, _)) = &services {
        message.push_str(&format!(
            ", as AWS requires on a role only {} can assume",
            list_some(services, 2)
        ));
    }
    let mut finding = BroadManagedPolicy::finding(att.policy_arn.span, message)
        .severity(severity)
        .unsure_if(unsure);
    if let Some((_, span)) = &services {
        finding = finding.related(*span, "trusted by this service only");
    }
    if let Some(path) = &att.origin.address {
        finding = finding.path(path.clone());
    }
    if let Some((_, url)) = job {
        return Some(
            finding
                .help(format!(
                    "keep it on the one {who} that does this job, as the control asks ({url})"
                ))
                .build(),
        );
    }
    let granted = |a: &str| siblings.iter().any(|s| s.allows(a));
    let mut fits = recipes::fitting(&policy.name, granted);
    // Prefer the recipe that replaces most of this principal's managed policies.
    let replaced = |r: &Recipe| {
        siblings
            .iter()
            .filter(|s| {
                r.replaces.contains(&s.policy.name) && r.actions().iter().any(|a| s.allows(a))
            })
            .count()
    };
    fits.sort_by(|a, b| replaced(b).cmp(&replaced(a)).then(a.id.cmp(&b.id)));
    let Some(recipe) = fits.first() else {
        let help = match reach {
            Reach::Severe => format!(
                "attach a policy that lists only the actions this {who} calls, on its resources; `iamlint managed {}` shows what this one grants",
                policy.name
            ),
            _ => format!(
                "grant the actions this {who} calls on the resources it uses; `iamlint managed {}` lists them",
                policy.name
            ),
        };
        return Some(finding.help(help).build());
    };
    let others: Vec<String> = siblings
        .iter()
        .filter(|s| {
            s.policy.name != policy.name
                && recipe.replaces.contains(&s.policy.name)
                && recipe.actions().iter().any(|a| s.allows(a) && !g.allows(a))
        })
        .map(|s| s.policy.name.clone())
        .collect();
    let together = if others.is_empty() {
        String::new()
    } else {
        format!(" (together with {})", list_some(&others, 3))
    };
    let alternatives: Vec<String> = fits[1..].iter().map(|r| r.id.clone()).collect();
    let mut help = format!(
        "if this {who} only {}, replace the attachment{together} with the `{}` recipe ({})",
        recipe.purpose,
        recipe.id,
        recipe.docs.first().map_or("", String::as_str)
    );
    if !alternatives.is_empty() {
        help.push_str(&format!(
            "; other recipes that fit: {}",
            list_some(&alternatives, 4)
        ));
    }
    finding = finding.help(help);
    let target = target(att, cx.file, cx.path());
    let inputs = Inputs {
        flavor: target.flavor(),
        given: &[],
        declared: &cx.file.declared,
    };
    if let Ok(spec) = recipe.policy(inputs) {
        finding = finding.fix(recipe_fix(
            recipe,
            &spec,
            &render(&spec, &target, &recipe.id),
            &policy.name,
        ));
    }
    Some(finding.build())
}

/// The AWS service principals (`eks.amazonaws.com`) that alone may assume the role `att` is
/// attached to, read from the role's trust policy in the same file, with the span of its
/// `Principal`. `None` when the trust policy is not in the file, or names anything else.
fn trusted_services(att: &Attachment, file: &FileModel) -> Option<(Vec<String>, Span)> {
    let role = att.origin.attached_to.as_deref()?;
    // The role's own address, or one of its instances (`aws_iam_role.cluster[0]` for an
    // attachment that names `aws_iam_role.cluster[0].name`: principals are keyed without the
    // instance, so every instance's attachments and documents share one key).
    let of_role = |address: &str| {
        address
            .strip_prefix(role)
            .is_some_and(|rest| rest.is_empty() || (rest.starts_with('[') && rest.ends_with(']')))
    };
    let trust = file.docs.iter().find(|d| {
        d.kind == PolicyKind::Trust && d.origin.address.as_deref().is_some_and(of_role)
    })?;
    let mut services = Vec::new();
    let mut span = None;
    for stmt in trust.statements.iter().filter(|s| s.allows()) {
        let principal = stmt.principal.as_ref()?;
        if principal.negated {
            return None;
        }
        span.get_or_insert(principal.span);
        for entry in &principal.entries {
            if entry.kind.value != "Service" {
                return None;
            }
            for v in &entry.values {
                let name = v.value.as_str()?;
                if !name.ends_with(".amazonaws.com") {
                    return None;
                }
                if !services.iter().any(|s: &String| s == name) {
                    services.push(name.to_string());
                }
            }
        }
    }
    Some((services, span?)).filter(|(s, _)| !s.is_empty())
}

fn recipe_fix(recipe: &Recipe, spec: &PolicySpec, snippet: &str, policy: &str) -> Fix {
    let placeholders = spec.has_placeholders();
    Fix {
        title: format!(
            "replace `{policy}` with the `{}` recipe{}",
            recipe.id,
            if placeholders {
                " (fill in the <placeholders>)"
            } else {
                ""
            }
        ),
        // A resource to add, not an edit of the text: shown, never applied (also by
        // `--unsafe-fixes`), so it is display-only even when it has no placeholders.
        applicability: Applicability::DisplayOnly,
        edits: Vec::new(),
        snippet: Some(snippet.to_string()),
    }
}

/// "`AmazonEC2ContainerRegistryReadOnly` grants 12 actions on `*`: 10 read and 2 list, across
/// every repository".
fn message(g: &Grants) -> String {
    let name = &g.policy.name;
    if g.admin {
        return format!("`{name}` grants every action on every resource");
    }
    let count = thousands(g.on_star_count());
    let noun = if g.on_star_count() == 1 {
        "action"
    } else {
        "actions"
    };
    let mut text = format!("`{name}` grants {count} {noun} on `*`");
    if !g.not_action.is_empty() {
        text.push_str(&format!(
            ": every action except {}",
            list_some(&g.not_action, 3)
        ));
        return text;
    }
    if !g.service_wildcards.is_empty() {
        text.push_str(&format!(" through {}", list_some(&g.service_wildcards, 3)));
    }
    let levels: Vec<String> = g
        .levels()
        .iter()
        .map(|&(level, n)| format!("{} {}", thousands(n), level.to_ascii_lowercase()))
        .collect();
    if !levels.is_empty() {
        text.push_str(": ");
        text.push_str(&join_and(&levels));
    }
    let types = g.resource_types();
    match types.as_slice() {
        [] => {}
        [one] => text.push_str(&format!(", across every {one}")),
        [a, b] => text.push_str(&format!(", across every {a} and {b}")),
        _ => {}
    }
    text
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
