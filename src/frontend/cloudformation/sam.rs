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

/// The policy template definitions (action lists and ARN patterns only), parsed once.
static TEMPLATES: LazyLock<Option<Node>> = LazyLock::new(|| {
    let text = include_str!("../../../rules/sam-policy-templates.json");
    crate::json::parse(text, FileId(0), 0)
        .ok()
        .and_then(|root| root.get("templates").cloned())
});

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
}
