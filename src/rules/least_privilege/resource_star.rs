use crate::model::action::has_wildcard;
use crate::rules::prelude::*;
use crate::text::{list_some, thousands};

declare_rule! {
    /// Flags `Resource: "*"` on actions that can be scoped to specific resources.
    ///
    /// ## What it does
    /// For an Allow statement in an identity policy with `"*"` in `Resource`, looks up each action
    /// (expanding wildcards) in the embedded Service Authorization Reference. It fires only when at
    /// least one action accepts a resource type, and names those actions and the ARN formats they
    /// accept. Actions that cannot be scoped (`ecr:GetAuthorizationToken`, `sts:GetCallerIdentity`,
    /// `s3:ListAllMyBuckets`) are never flagged on `"*"`. Also left alone: resource policies (their
    /// `"*"` means the resource they are attached to, as in a KMS key policy), Deny statements, and
    /// statements scoped by a `ResourceTag` condition (attribute-based access control).
    ///
    /// ## Why is this bad?
    /// `"*"` grants the actions on every resource of the account, present and future: a role that
    /// should pull one image can pull every image, a reader of one bucket reads them all.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    ///   {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "arn:aws:ecr:us-east-1:111122223333:repository/app"}
    /// ]}
    /// ```
    ///
    /// ## References
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - [IAM JSON policy elements: Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
    pub ResourceStar {
        id: "resource-star",
        category: LeastPrivilege,
        severity: Warning,
        fix: None,
    }
}

impl Rule for ResourceStar {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_statement(&self, stmt: &Statement, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        if !stmt.allows() || matches!(doc.kind, PolicyKind::Resource | PolicyKind::Trust) {
            return;
        }
        let Some(resources) = stmt.resources() else {
            return;
        };
        let Some(star) = resources.known().find(|r| r.value == "*") else {
            return;
        };
        let Some(actions) = stmt.actions() else {
            return;
        };
        if stmt.condition.as_ref().is_some_and(|c| {
            c.entries().any(|(_, e)| {
                e.key
                    .value
                    .as_str()
                    .is_some_and(|k| k.to_ascii_lowercase().contains("resourcetag/"))
            })
        }) {
            return;
        }
        let mut scopable: Vec<ActionRef> = Vec::new();
        // The action entries as written that grant something scopable, and their spans.
        let mut written: Vec<(String, Span)> = Vec::new();
        for action in actions.known() {
            let matched = if has_wildcard(action.value) {
                cx.catalog.expand(action.value)
            } else {
                cx.catalog.action(action.value).into_iter().collect()
            };
            let before = scopable.len();
            for a in matched.into_iter().filter(|a| a.action.is_scopable()) {
                if !scopable.iter().any(|s| std::ptr::eq(s.action, a.action)) {
                    scopable.push(a);
                }
            }
            if scopable.len() > before {
                written.push((action.value.to_string(), action.span));
            }
        }
        if scopable.is_empty() {
            return;
        }
        let names: Vec<String> = written.iter().map(|(n, _)| n.clone()).collect();
        // Templates of the resource types the actions accept, most used first, then plainest.
        let mut templates: Vec<(usize, String)> = Vec::new();
        for a in &scopable {
            for t in a.resource_types() {
                for arn in &t.arns {
                    match templates.iter_mut().find(|(_, x)| x == arn) {
                        Some((n, _)) => *n += 1,
                        None => templates.push((1, arn.clone())),
                    }
                }
            }
        }
        templates.sort_by(|(na, a), (nb, b)| nb.cmp(na).then(a.len().cmp(&b.len())).then(a.cmp(b)));
        let templates: Vec<String> = templates.into_iter().map(|(_, t)| t).collect();
        let scoped = if names.iter().any(|n| has_wildcard(n)) {
            format!(
                "{} of the actions {} can be scoped",
                thousands(scopable.len()),
                if names.len() == 1 {
                    "it matches"
                } else {
                    "they match"
                }
            )
        } else if scopable.len() == 1 {
            "it can be scoped".to_string()
        } else {
            "they can be scoped".to_string()
        };
        let message = format!(
            "`\"*\"` grants {} on every resource, though {scoped}",
            list_some(&names, 3)
        );
        let help = match templates.len() {
            0 => "scope the resources to the ARNs this principal uses".to_string(),
            1 => format!("scope the resource to ARNs of the form `{}`", templates[0]),
            n => format!(
                "scope the resources to ARNs of the forms {}",
                list_some(&templates, 3.min(n))
            ),
        };
        let mut finding = Self::finding(star.span, message)
            .help(help)
            .path(stmt.path.clone());
        for (_, span) in written.into_iter().take(5) {
            finding = finding.related(span, "can be scoped");
        }
        out.push(finding.build());
    }
}
