//! One-resource permission resources (`aws_lambda_permission`,
//! `aws_lambda_layer_version_permission`, `aws_cloudwatch_event_permission`) read as a
//! resource policy of one statement: `principal` as its `Principal`, `action` (or the type's
//! fixed action) as its `Action`, the function (layer, bus) as its `Resource`, and
//! `source_arn`, `source_account`, `principal_org_id` (`organization_id`) as its conditions,
//! each value at the span it was written at.

use hcl_edit::structure::Body;
use hcl_edit::Span as _;

use super::eval::{Eval, Src};
use super::instances::Instances;
use super::resources::permissions;
use super::{chain, push_value, Scope};
use crate::model::{FileModel, Origin, PolicyKind, Scalar, Syntax};
use crate::tree::{BuiltStatement, Node, NodeKind};

/// Condition attributes: attribute, operator, condition key.
const CONDITIONS: &[(&str, &str, &str)] = &[
    ("source_arn", "ArnLike", "aws:SourceArn"),
    ("source_account", "StringEquals", "aws:SourceAccount"),
    ("principal_org_id", "StringEquals", "aws:PrincipalOrgID"),
    ("organization_id", "StringEquals", "aws:PrincipalOrgID"),
    (
        "event_source_token",
        "StringEquals",
        "lambda:EventSourceToken",
    ),
];

pub(super) fn lint(
    model: &mut FileModel,
    ev: &mut Eval<'_>,
    src: Src<'_>,
    body: &Body,
    scope: &Scope,
) {
    for permission in permissions(body) {
        let block = permission.block;
        let instances = Instances::of(ev, src, block);
        for pass in instances.passes(&permission.address) {
            let address = scope.scoped(pass.address(&permission.address));
            let origin = Origin {
                address: Some(address.clone()),
                description: Some(format!("permission `{address}`")),
                via: chain(&pass, scope),
                ..Origin::default()
            };
            let node = pass.with(ev, |ev| statement_doc(ev, src, &permission));
            let Some(node) = node else {
                continue;
            };
            push_value(
                model,
                super::policy::PolicyValue::Doc {
                    node,
                    syntax: Syntax::HclObject,
                    via: None,
                    problems: Vec::new(),
                    unresolved: Vec::new(),
                },
                PolicyKind::Resource,
                format!("{address}.permission"),
                origin,
                instances.unresolved(),
            );
        }
    }
}

/// The block as a policy document node; `None` without a `principal`.
fn statement_doc(
    ev: &mut Eval<'_>,
    src: Src<'_>,
    permission: &super::resources::Permission<'_>,
) -> Option<Node> {
    let body = &permission.block.body;
    let whole = Eval::span(src, permission.block.span());
    let principal_attr = body.get_attribute("principal")?;
    let principal = ev.eval(src, &principal_attr.value);
    if matches!(principal.kind, NodeKind::Null) {
        return None;
    }
    // An optional argument that evaluates to null is not set: the type's default applies
    // (`lookup(each.value, "action", null)`).
    let set = |ev: &mut Eval<'_>, name: &str| {
        body.get_attribute(name)
            .map(|a| ev.eval(src, &a.value))
            .filter(|v| !matches!(v.kind, NodeKind::Null))
    };
    let action = match (set(ev, "action"), permission.fixed_action) {
        (Some(a), _) => a,
        (None, Some(fixed)) => BuiltStatement::text(fixed, whole),
        (None, None) => return None,
    };
    let mut statement = BuiltStatement::new(whole);
    statement.push("Effect", whole, BuiltStatement::text("Allow", whole));
    statement.principal(principal);
    statement.push("Action", action.span, action);
    let resource = match set(ev, permission.resource_attr) {
        Some(named) => as_arn(named, permission.arn_of_name),
        None => BuiltStatement::text("*", whole),
    };
    statement.push("Resource", resource.span, resource);
    for (attr, operator, condition_key) in CONDITIONS {
        if let Some(value) = set(ev, attr) {
            statement.condition(operator, condition_key, value);
        }
    }
    // `condition { key type value }` blocks (`aws_cloudwatch_event_permission`), written or
    // `dynamic`: a dynamic block's values are unknown here, but the condition is there. A
    // dynamic block whose `for_each` is known to be empty makes no condition.
    let dynamic: Vec<_> = body
        .get_blocks("dynamic")
        .filter(|b| b.labels.first().map(|l| l.as_str()) == Some("condition"))
        .filter(|b| {
            let each = b
                .body
                .get_attribute("for_each")
                .map(|a| ev.eval(src, &a.value));
            !each.is_some_and(|n| known_empty(&n))
        })
        .filter_map(|b| b.body.get_blocks("content").next())
        .collect();
    for block in body.get_blocks("condition").chain(dynamic) {
        let get = |ev: &mut Eval<'_>, name: &str| {
            block
                .body
                .get_attribute(name)
                .map(|a| ev.eval(src, &a.value))
        };
        let (Some(k), Some(op), Some(value)) = (get(ev, "key"), get(ev, "type"), get(ev, "value"))
        else {
            continue;
        };
        if let (Some(k), Some(op)) = (k.as_str(), op.as_str()) {
            statement.condition(op, k, value);
        }
    }
    Some(statement.document())
}

/// A permission's resource as its ARN: the arguments take a name as well as an ARN
/// (`function_name = "my-function"`), which a resource policy's `Resource` cannot hold, so a
/// literal name becomes the ARN of that name in any region and account (`template` with `{}` for
/// the name). ARNs, partial ARNs and values not known here are kept as they are.
fn as_arn(named: Node, template: &str) -> Node {
    match &named.kind {
        NodeKind::Str(Scalar::Str(name)) if !name.starts_with("arn:") && !name.contains(':') => {
            let arn = template.replace("{}", name);
            Node::new(NodeKind::Str(Scalar::Str(arn)), named.span)
        }
        _ => named,
    }
}

/// Whether a `for_each` value is known to hold nothing (null, `[]`, `{}`).
fn known_empty(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Null => true,
        NodeKind::Array(items) => items.is_empty(),
        NodeKind::Object(entries) => entries.is_empty(),
        _ => false,
    }
}
