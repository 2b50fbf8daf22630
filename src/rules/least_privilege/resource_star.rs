use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

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
    /// `s3:ListAllMyBuckets`) are never flagged on `"*"`, nor are List and Read actions whose only
    /// resource type is optional (`cloudformation:DescribeStacks`, `cloudwatch:GetMetricData`): called
    /// without a resource they list or read across the account, which only `"*"` allows. Several
    /// optional resource types are alternatives (`s3:GetObject` on an object or an access point
    /// object), so such actions are still flagged. Also left alone: resource policies (their
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
    /// ## Fix safety
    /// Display-only: the suggested statements put the ARN templates of the resource types the
    /// actions accept, with `<placeholders>` to fill in, where `"*"` was; actions that cannot be
    /// scoped stay on `"*"` in a statement of their own.
    ///
    /// ## Known limitations
    /// Whether an action runs without a resource is read from the reference's "required" marks,
    /// which are coarse: a few Read actions with one optional type do need it
    /// (`sns:ListTagsForResource`) and are not flagged, and a Write action whose resource is
    /// optional (`cloudwatch:PutMetricData` without a metric dataset) is still flagged.
    ///
    /// ## References
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - [IAM JSON policy elements: Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
    pub ResourceStar {
        id: "resource-star",
        category: LeastPrivilege,
        severity: Warning,
        fix: Sometimes,
    }
}

impl Rule for ResourceStar {
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
        // Sets beside the lists keep this linear: `*` expands to every action of every service.
        let mut seen = HashSet::new();
        // The action entries as written that grant something scopable, and their spans.
        let mut written: Vec<(String, Span)> = Vec::new();
        // Each known entry's expansion, in order, for the fix.
        let mut expansions: Vec<Vec<ActionRef>> = Vec::new();
        let entries = actions.known().count();
        for action in actions.known() {
            let matched = if has_wildcard(action.value) {
                cx.catalog.expand(action.value)
            } else {
                cx.catalog.action(action.value).into_iter().collect()
            };
            let before = scopable.len();
            let wanted = matched
                .iter()
                .filter(|a| a.action.is_scopable() && !a.action.runs_without_resource());
            if entries == 1 {
                // One expansion lists each action once: nothing to deduplicate.
                scopable.extend(wanted);
            } else {
                for &a in wanted {
                    if seen.insert(std::ptr::from_ref(a.action)) {
                        scopable.push(a);
                    }
                }
            }
            if scopable.len() > before {
                written.push((action.value.to_string(), action.span));
            }
            expansions.push(matched);
        }
        if scopable.is_empty() {
            return;
        }
        let names: Vec<String> = written.iter().map(|(n, _)| n.clone()).collect();
        // Templates of the resource types the actions accept, most used first, then plainest.
        // Counted per resource type first (an expansion names the same few types over and over),
        // then per template text.
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (t, n) in ActionRef::count_resource_types(&scopable) {
            for arn in &t.arns {
                *counts.entry(arn.as_str()).or_default() += n;
            }
        }
        let mut templates: Vec<(usize, &str)> = counts.into_iter().map(|(t, n)| (n, t)).collect();
        templates.sort_by(|(na, a), (nb, b)| nb.cmp(na).then(a.len().cmp(&b.len())).then(a.cmp(b)));
        let templates: Vec<&str> = templates.into_iter().map(|(_, t)| t).collect();
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
        if let Some(fix) = scoped_statements(stmt, doc, &expansions) {
            finding = finding.fix(fix);
        }
        for (_, span) in written.into_iter().take(5) {
            finding = finding.related(span, "can be scoped");
        }
        out.push(finding.build());
    }
}

/// A suggested statement lists at most this many ARN templates.
const MAX_TEMPLATES: usize = 4;

/// The statement split in two: unscopable actions on `"*"`, the rest on the ARN templates (with
/// placeholders) of the plainest resource type each accepts. `None` when a value is unknown, a
/// condition cannot be copied, or the templates are too many to be a useful suggestion.
///
/// `expansions` holds what each known `Action` entry matches, in order.
fn scoped_statements(
    stmt: &Statement,
    doc: &PolicyDoc,
    expansions: &[Vec<ActionRef>],
) -> Option<Fix> {
    use crate::fix::{ConditionSpec, PolicySpec, ResourceValue, StatementSpec};
    let actions = stmt.actions()?;
    if actions.has_unknown() || stmt.resources()?.items.len() != 1 {
        return None;
    }
    let mut conditions = Vec::new();
    if let Some(c) = &stmt.condition {
        for (op, entry) in c.entries() {
            let values: Option<Vec<String>> = entry
                .values
                .iter()
                .map(|v| v.value.literal().map(str::to_string))
                .collect();
            conditions.push(ConditionSpec {
                test: op.name.value.as_str()?.to_string(),
                key: entry.key.value.as_str()?.to_string(),
                values: values?,
            });
        }
    }
    let mut unscopable: Vec<String> = Vec::new();
    // (templates, actions as written), in first-seen order.
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (action, matched) in actions.known().zip(expansions) {
        if matched.is_empty() {
            return None;
        }
        let on_star = |a: &ActionRef| !a.action.is_scopable() || a.action.runs_without_resource();
        if has_wildcard(action.value) && matched.iter().any(on_star) {
            // A pattern that also matches actions needing `"*"` stays on `"*"` as written.
            unscopable.push(action.value.to_string());
            continue;
        }
        // The plainest template of each action, once each (by identity: an expansion repeats them).
        let mut plainest: Vec<&'static str> = Vec::new();
        let mut seen = HashSet::new();
        let mut any_unscopable = false;
        for a in matched {
            if on_star(a) {
                any_unscopable = true;
                continue;
            }
            let best = a
                .resource_types()
                .flat_map(|t| t.arns.iter())
                .min_by(|x, y| x.len().cmp(&y.len()).then_with(|| x.cmp(y)));
            match best {
                Some(t) => {
                    if seen.insert(t.as_ptr()) {
                        plainest.push(t.as_str());
                    }
                }
                None => any_unscopable = true,
            }
        }
        if plainest.is_empty() || (any_unscopable && has_wildcard(action.value)) {
            unscopable.push(action.value.to_string());
            continue;
        }
        let mut templates: Vec<String> = Vec::new();
        for t in plainest {
            let filled = crate::recipes::fill_with_placeholders(t);
            if !templates.contains(&filled) {
                templates.push(filled);
                if templates.len() > MAX_TEMPLATES {
                    // Too many to be a useful suggestion.
                    return None;
                }
            }
        }
        templates.sort();
        match groups.iter_mut().find(|(t, _)| *t == templates) {
            Some((_, a)) => a.push(action.value.to_string()),
            None => groups.push((templates, vec![action.value.to_string()])),
        }
    }
    if groups.is_empty() {
        return None;
    }
    let sid = stmt
        .sid
        .as_ref()
        .and_then(|s| s.value.as_str())
        .unwrap_or_default()
        .to_string();
    let mut spec = PolicySpec::default();
    if !unscopable.is_empty() {
        spec.statements.push(StatementSpec {
            sid: String::new(),
            actions: unscopable,
            resources: vec![ResourceValue::Arn("*".to_string())],
            conditions: conditions.clone(),
        });
    }
    for (templates, actions) in groups {
        spec.statements.push(StatementSpec {
            sid: String::new(),
            actions,
            resources: templates.into_iter().map(ResourceValue::Arn).collect(),
            conditions: conditions.clone(),
        });
    }
    if let Some(first) = spec.statements.first_mut() {
        first.sid = sid;
    }
    Some(Fix {
        title: "scope the statement to ARNs (fill in the <placeholders>)".to_string(),
        applicability: Applicability::DisplayOnly,
        edits: Vec::new(),
        snippet: Some(crate::fix::render_statements(&spec, doc.syntax)),
    })
}
