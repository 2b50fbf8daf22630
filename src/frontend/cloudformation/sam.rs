//! SAM `Policies`: managed policy names or ARNs, inline documents, and policy templates
//! (`S3ReadPolicy: {BucketName: ...}`) expanded from `rules/sam-policy-templates.json`.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::intrinsics::{respan, Eval};
use super::{Extract, Found};
use crate::model::{Origin, PolicyKind, Scalar, Unknown};
use crate::source::{FileId, Located, Span};
use crate::tree::{Node, NodeKind};

/// SAM resources whose `Policies` become the permissions of a role SAM creates.
const SAM_TYPES: &[&str] = &["AWS::Serverless::Function", "AWS::Serverless::StateMachine"];

/// SAM's policy template definitions (action lists and ARN patterns only), as bundled.
const TEMPLATES_JSON: &str = include_str!("../../../rules/sam-policy-templates.json");

/// The policy template definitions, parsed once, without the strings SAM lists as actions that
/// IAM does not have (`rules/reviewed/sam-template-non-actions.tsv`): they grant nothing, and the
/// template's user cannot change SAM's expansion.
static TEMPLATES: LazyLock<Option<Node>> = LazyLock::new(|| {
    let mut templates = crate::json::parse(TEMPLATES_JSON, FileId(0), 0)
        .ok()
        .and_then(|root| root.get("templates").cloned())?;
    drop_non_actions(&mut templates);
    Some(templates)
});

/// Removes every reviewed non-action from the `Action` lists below `node`.
fn drop_non_actions(node: &mut Node) {
    let non_action = |item: &Node| {
        item.as_str().is_some_and(|a| {
            crate::catalog::reviewed::sam_template_non_actions()
                .iter()
                .any(|r| r.action == a)
        })
    };
    match &mut node.kind {
        NodeKind::Array(items) => items.iter_mut().for_each(drop_non_actions),
        NodeKind::Object(entries) => {
            for (key, value) in entries {
                if key.value == "Action" {
                    if let NodeKind::Array(items) = &mut value.kind {
                        items.retain(|item| !non_action(item));
                    }
                }
                drop_non_actions(value);
            }
        }
        _ => {}
    }
}

pub fn reads(ty: &str) -> bool {
    SAM_TYPES.contains(&ty)
}

/// Names of the SAM policy templates iamlint can expand.
#[cfg(test)]
fn template_names() -> Vec<String> {
    TEMPLATES
        .as_ref()
        .map(|t| t.entries().iter().map(|(k, _)| k.value.clone()).collect())
        .unwrap_or_default()
}

pub(super) fn policies(cx: &mut Extract, props: &Node, base: &str, address: &str) {
    let Some(list) = props.get("Policies") else {
        return;
    };
    let (items, indexed) = match &list.kind {
        NodeKind::Array(items) => (items.as_slice(), true),
        _ => (std::slice::from_ref(list), false),
    };
    let (id, ty) = (cx.id, cx.ty);
    let attached = Some(address.to_string());
    for (i, item) in items.iter().enumerate() {
        let path = if indexed {
            format!("{base}.Policies[{i}]")
        } else {
            format!("{base}.Policies")
        };
        let origin = |description: String| Origin {
            address: Some(address.to_string()),
            description: Some(description),
            attached_to: attached.clone(),
            ..Origin::default()
        };
        match &item.kind {
            NodeKind::Str(Scalar::Str(name)) if !name.starts_with("arn:") => {
                // An AWS managed policy by name; SAM finds its ARN (and path) when it deploys.
                cx.attachment(
                    item,
                    origin(format!(
                        "`{ty}` `{id}` (AWS managed policy `{name}` by name)"
                    )),
                );
            }
            NodeKind::Str(_) => cx.attachment(item, origin(format!("`{ty}` `{id}`"))),
            NodeKind::Object(entries) => {
                if item.get("Statement").is_some() {
                    cx.doc(
                        PolicyKind::Identity,
                        path,
                        origin(format!("inline policy of `{ty}` `{id}`")),
                        item,
                    );
                    continue;
                }
                for (name, params) in entries {
                    let span = name.span.cover(params.span);
                    match expand(cx.eval, &name.value, params, span) {
                        Some(doc) => cx.doc(
                            PolicyKind::Identity,
                            format!("{path}.{}", name.value),
                            origin(format!(
                                "SAM policy template `{}` of `{ty}` `{id}`",
                                name.value
                            )),
                            &doc,
                        ),
                        None => cx.out.push(Found::Unresolved(Located::new(
                            Unknown::new(
                                name.value.clone(),
                                "SAM policy template not known to iamlint",
                            ),
                            name.span,
                        ))),
                    }
                }
            }
            _ => {}
        }
    }
}

/// The policy a SAM policy template stands for, every value pointing at the template's entry.
fn expand(eval: &Eval, name: &str, params: &Node, span: Span) -> Option<Node> {
    let template = TEMPLATES.as_ref()?.get(name)?;
    let statement = template.get("statement")?;
    let mut locals = HashMap::new();
    for p in template
        .get("parameters")
        .map_or(&[][..], |p| match &p.kind {
            NodeKind::Array(items) => items.as_slice(),
            _ => &[],
        })
    {
        let Some(p) = p.as_str() else { continue };
        let value = params.get(p).cloned().unwrap_or_else(|| {
            Node::new(
                NodeKind::Str(Scalar::unknown(Unknown::new(
                    p,
                    format!("parameter `{p}` of SAM policy template `{name}` is not given"),
                ))),
                span,
            )
        });
        locals.insert(p.to_string(), value);
    }
    let doc = Node::new(
        NodeKind::Object(vec![
            (
                Located::new("Version".to_string(), span),
                Node::new(NodeKind::Str(Scalar::str("2012-10-17")), span),
            ),
            (
                Located::new("Statement".to_string(), span),
                respan(statement, span),
            ),
        ]),
        span,
    );
    let inner = Eval {
        scope: eval.scope,
        conditions: eval.conditions,
        locals,
    };
    inner.eval(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_templates_parse() {
        let names = template_names();
        for name in [
            "S3ReadPolicy",
            "S3CrudPolicy",
            "DynamoDBCrudPolicy",
            "DynamoDBReadPolicy",
            "SQSPollerPolicy",
            "SQSSendMessagePolicy",
            "LambdaInvokePolicy",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing");
        }
    }

    /// Every string under an `Action` key of `node`.
    fn actions(node: &Node, under_action: bool, out: &mut Vec<String>) {
        match &node.kind {
            NodeKind::Str(_) if under_action => out.extend(node.as_str().map(str::to_string)),
            NodeKind::Array(items) => items.iter().for_each(|i| actions(i, under_action, out)),
            NodeKind::Object(entries) => {
                for (key, value) in entries {
                    actions(value, key.value == "Action", out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn bundled_template_actions_are_iam_actions_but_the_reviewed_exceptions() {
        let raw = crate::json::parse(TEMPLATES_JSON, FileId(0), 0).expect("bundled list parses");
        let mut bundled = Vec::new();
        actions(&raw, false, &mut bundled);
        assert!(
            bundled.len() > 100,
            "too few actions read: {}",
            bundled.len()
        );
        let exceptions = crate::catalog::reviewed::sam_template_non_actions();
        let catalog = crate::catalog::Catalog::get();
        // A name must be an action; a pattern (`textract:*`) must match one.
        let known = |a: &str| {
            if a.contains('*') {
                !catalog.expand(a).is_empty()
            } else {
                catalog.action(a).is_some()
            }
        };
        let unknown: Vec<&String> = bundled.iter().filter(|a| !known(a)).collect();
        let mut listed: Vec<&str> = exceptions.iter().map(|r| r.action).collect();
        let mut found: Vec<&str> = unknown.iter().map(|a| a.as_str()).collect();
        listed.sort_unstable();
        found.sort_unstable();
        found.dedup();
        assert_eq!(
            found, listed,
            "SAM template actions missing from the catalog must be exactly the reviewed exceptions"
        );
        // And the expansion iamlint uses has none of them.
        let mut expanded = Vec::new();
        actions(TEMPLATES.as_ref().expect("templates"), false, &mut expanded);
        assert!(expanded.iter().all(|a| known(a)));
        assert!(expanded.iter().any(|a| a == "sqs:DeleteMessage"));
    }
}
