//! Which Terraform resources hold IAM policies, in which attribute, and how each is used: the
//! table that gives a document its kind, address and principal.

use std::collections::HashMap;
use std::ops::Range;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span as _;

use super::module::Defs;
use crate::model::PolicyKind;

/// The attribute of a resource type that holds a resource policy.
pub fn resource_policy_attr(ty: &str) -> Option<&'static str> {
    RESOURCE_POLICIES
        .iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, a)| *a)
}

/// The attribute of an identity policy resource type, and the attribute naming its principal.
pub fn identity_policy_attr(ty: &str) -> Option<(&'static str, Option<&'static str>)> {
    IDENTITY_POLICIES
        .iter()
        .find(|(t, ..)| *t == ty)
        .map(|(_, a, p)| (*a, *p))
}

/// Resources whose attribute holds a resource policy (a document with a `Principal`).
const RESOURCE_POLICIES: &[(&str, &str)] = &[
    ("aws_s3_bucket_policy", "policy"),
    ("aws_s3_bucket", "policy"),
    ("aws_s3control_bucket_policy", "policy"),
    ("aws_s3_access_point", "policy"),
    ("aws_s3control_access_point_policy", "policy"),
    ("aws_ecr_repository_policy", "policy"),
    ("aws_ecr_registry_policy", "policy"),
    ("aws_ecrpublic_repository_policy", "policy"),
    ("aws_sqs_queue_policy", "policy"),
    ("aws_sqs_queue", "policy"),
    ("aws_sns_topic_policy", "policy"),
    ("aws_sns_topic", "policy"),
    ("aws_kms_key", "policy"),
    ("aws_kms_key_policy", "policy"),
    ("aws_kms_replica_key", "policy"),
    ("aws_secretsmanager_secret_policy", "policy"),
    ("aws_secretsmanager_secret", "policy"),
    ("aws_glacier_vault", "access_policy"),
    ("aws_elasticsearch_domain", "access_policies"),
    ("aws_elasticsearch_domain_policy", "access_policies"),
    ("aws_opensearch_domain", "access_policies"),
    ("aws_opensearch_domain_policy", "access_policies"),
    ("aws_efs_file_system_policy", "policy"),
    ("aws_backup_vault_policy", "policy"),
    ("aws_cloudwatch_log_resource_policy", "policy_document"),
    ("aws_cloudwatch_log_destination_policy", "access_policy"),
    ("aws_cloudwatch_event_bus_policy", "policy"),
    (
        "aws_codeartifact_domain_permissions_policy",
        "policy_document",
    ),
    (
        "aws_codeartifact_repository_permissions_policy",
        "policy_document",
    ),
    ("aws_api_gateway_rest_api_policy", "policy"),
    ("aws_api_gateway_rest_api", "policy"),
    ("aws_dynamodb_resource_policy", "policy"),
    ("aws_glue_resource_policy", "policy"),
    ("aws_media_store_container_policy", "policy"),
    ("aws_schemas_registry_policy", "policy"),
    ("aws_networkfirewall_resource_policy", "policy"),
    ("aws_vpc_endpoint", "policy"),
    ("aws_vpc_endpoint_policy", "policy"),
];

/// Identity policies and the attribute naming the principal they belong to.
const IDENTITY_POLICIES: &[(&str, &str, Option<&str>)] = &[
    ("aws_iam_policy", "policy", None),
    ("aws_iam_role_policy", "policy", Some("role")),
    ("aws_iam_user_policy", "policy", Some("user")),
    ("aws_iam_group_policy", "policy", Some("group")),
    (
        "aws_ssoadmin_permission_set_inline_policy",
        "inline_policy",
        Some("permission_set_arn"),
    ),
];

/// The principal a policy or attachment belongs to, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalRef {
    /// `aws_iam_role.ci` (from `role = aws_iam_role.ci.name`, or the role itself).
    Address(String),
    /// A literal name: `role = "ci"`.
    Literal(String),
    /// Any other expression, as written (`var.role_name`).
    Expr(String),
}

/// An attribute that holds a policy document.
#[derive(Debug)]
pub struct Slot<'b> {
    pub address: String,
    pub kind: PolicyKind,
    /// Logical path: `aws_iam_role.ci.inline_policy[0].policy`.
    pub path: String,
    pub description: String,
    pub attached_to: Option<PrincipalRef>,
    /// For `aws_iam_policy`: its name, to find what attaches it.
    pub managed_policy: Option<String>,
    pub expr: &'b Expression,
    /// The resource block (for its `count`/`for_each`).
    pub block: &'b Block,
    /// A search domain's access policy, the domain having a `vpc_options` block (see
    /// `Origin::in_vpc`).
    pub in_vpc: bool,
}

/// A slot of another file that takes a `data.aws_iam_policy_document`, kept after parsing.
#[derive(Debug, Clone)]
pub struct DocUse {
    pub doc: String,
    pub address: String,
    pub kind: PolicyKind,
    pub path: String,
    pub description: String,
    pub attached_to: Option<PrincipalRef>,
    pub managed_policy: Option<String>,
    /// The slot's value in its file.
    pub span: Range<usize>,
    /// See [`Slot::in_vpc`].
    pub in_vpc: bool,
}

/// A managed policy attachment: `policy_arn` (or a list of ARNs) attached to a principal.
#[derive(Debug)]
pub struct AttachmentSite<'b> {
    pub address: String,
    pub description: String,
    pub attached_to: Option<PrincipalRef>,
    /// A single ARN, or a list of them (`managed_policy_arns`).
    pub arns: &'b Expression,
    /// The resource block (for its `count`/`for_each`).
    pub block: &'b Block,
}

fn resource_labels(block: &Block) -> Option<(&str, &str)> {
    if block.ident.as_str() != "resource" {
        return None;
    }
    match block.labels.as_slice() {
        [ty, name] => Some((ty.as_str(), name.as_str())),
        _ => None,
    }
}

/// Search domain types, and the policy resources that name one by `domain_name`.
const DOMAINS: &[(&str, &str)] = &[
    ("aws_opensearch_domain", "aws_opensearch_domain_policy"),
    (
        "aws_elasticsearch_domain",
        "aws_elasticsearch_domain_policy",
    ),
];

/// Whether the access policy of `block` (a domain, or a domain policy whose `domain_name` is
/// `aws_opensearch_domain.NAME[...].domain_name` of the same file) belongs to a domain with a
/// written `vpc_options` block. A `dynamic "vpc_options"` depends on its `for_each` and counts
/// as not in a VPC, so the verdict stays the public one.
fn domain_in_vpc(body: &Body, ty: &str, block: &Block) -> bool {
    let has_vpc = |b: &Block| {
        b.body
            .blocks()
            .any(|inner| inner.ident.as_str() == "vpc_options")
    };
    if DOMAINS.iter().any(|(domain, _)| *domain == ty) {
        return has_vpc(block);
    }
    let Some((domain_ty, _)) = DOMAINS.iter().find(|(_, policy)| *policy == ty) else {
        return false;
    };
    let Some(name) = block.body.get_attribute("domain_name") else {
        return false;
    };
    let Expression::Traversal(t) = &name.value else {
        return false;
    };
    let Expression::Variable(root) = &t.expr else {
        return false;
    };
    let Some(TraversalOperator::GetAttr(domain)) = t.operators.first().map(|o| o.value()) else {
        return false;
    };
    root.as_str() == *domain_ty
        && body
            .blocks()
            .any(|b| resource_labels(b) == Some((domain_ty, domain.as_str())) && has_vpc(b))
}

/// The file's `resource "TYPE" "NAME"` blocks, so fixes can refer to them.
pub fn declared(body: &Body) -> Vec<crate::model::Declared> {
    body.blocks()
        .filter_map(resource_labels)
        .map(|(ty, name)| crate::model::Declared {
            kind: ty.to_string(),
            name: name.to_string(),
        })
        .collect()
}

/// Every policy slot of a file's top-level resources.
pub fn slots(body: &Body) -> Vec<Slot<'_>> {
    let mut out = Vec::new();
    for block in body.blocks() {
        let Some((ty, name)) = resource_labels(block) else {
            continue;
        };
        let address = format!("{ty}.{name}");
        if let Some((_, attr, principal)) = IDENTITY_POLICIES.iter().find(|(t, ..)| *t == ty) {
            if let Some(a) = block.body.get_attribute(attr) {
                let attached_to = principal.and_then(|p| principal_ref(&block.body, p));
                let description = match &attached_to {
                    Some(PrincipalRef::Address(p)) => {
                        format!("policy `{address}` of `{p}`")
                    }
                    _ => format!("policy of `{address}`"),
                };
                out.push(Slot {
                    path: format!("{address}.{attr}"),
                    kind: PolicyKind::Identity,
                    description,
                    attached_to,
                    managed_policy: (ty == "aws_iam_policy").then(|| name.to_string()),
                    expr: &a.value,
                    address: address.clone(),
                    block,
                    in_vpc: false,
                });
            }
            continue;
        }
        if ty == "aws_iam_role" {
            if let Some(a) = block.body.get_attribute("assume_role_policy") {
                out.push(Slot {
                    path: format!("{address}.assume_role_policy"),
                    kind: PolicyKind::Trust,
                    description: format!("trust policy of `{address}`"),
                    attached_to: None,
                    managed_policy: None,
                    expr: &a.value,
                    address: address.clone(),
                    block,
                    in_vpc: false,
                });
            }
            for (i, inline) in block.body.get_blocks("inline_policy").enumerate() {
                if let Some(a) = inline.body.get_attribute("policy") {
                    let policy_name = inline
                        .body
                        .get_attribute("name")
                        .and_then(|n| n.value.as_str())
                        .map(|n| format!(" `{n}`"))
                        .unwrap_or_default();
                    out.push(Slot {
                        path: format!("{address}.inline_policy[{i}].policy"),
                        kind: PolicyKind::Identity,
                        description: format!("inline policy{policy_name} of `{address}`"),
                        attached_to: Some(PrincipalRef::Address(address.clone())),
                        managed_policy: None,
                        expr: &a.value,
                        address: address.clone(),
                        block,
                        in_vpc: false,
                    });
                }
            }
            for dynamic in block.body.get_blocks("dynamic") {
                if dynamic.labels.first().map(|l| l.as_str()) != Some("inline_policy") {
                    continue;
                }
                for content in dynamic.body.get_blocks("content") {
                    if let Some(a) = content.body.get_attribute("policy") {
                        out.push(Slot {
                            path: format!("{address}.inline_policy[*].policy"),
                            kind: PolicyKind::Identity,
                            description: format!("inline policy of `{address}`"),
                            attached_to: Some(PrincipalRef::Address(address.clone())),
                            managed_policy: None,
                            expr: &a.value,
                            address: address.clone(),
                            block,
                            in_vpc: false,
                        });
                    }
                }
            }
            continue;
        }
        if let Some((_, attr)) = RESOURCE_POLICIES.iter().find(|(t, _)| *t == ty) {
            if let Some(a) = block.body.get_attribute(attr) {
                out.push(Slot {
                    path: format!("{address}.{attr}"),
                    kind: PolicyKind::Resource,
                    description: format!("resource policy of `{address}`"),
                    attached_to: None,
                    managed_policy: None,
                    expr: &a.value,
                    address: address.clone(),
                    block,
                    in_vpc: domain_in_vpc(body, ty, block),
                });
            }
        }
    }
    out
}

/// Every managed policy attachment of a file's top-level resources.
pub fn attachments(body: &Body) -> Vec<AttachmentSite<'_>> {
    let mut out = Vec::new();
    for block in body.blocks() {
        let Some((ty, name)) = resource_labels(block) else {
            continue;
        };
        let address = format!("{ty}.{name}");
        let b = &block.body;
        match ty {
            "aws_iam_role" | "aws_iam_user" => {
                if let Some(a) = b.get_attribute("managed_policy_arns") {
                    out.push(AttachmentSite {
                        description: format!("managed policies of `{address}`"),
                        attached_to: Some(PrincipalRef::Address(address.clone())),
                        arns: &a.value,
                        address: address.clone(),
                        block,
                    });
                }
                if let Some(a) = b.get_attribute("permissions_boundary") {
                    out.push(AttachmentSite {
                        description: format!("permissions boundary of `{address}`"),
                        attached_to: None,
                        arns: &a.value,
                        address: address.clone(),
                        block,
                    });
                }
            }
            "aws_iam_policy_attachment" => {
                let Some(arn) = b.get_attribute("policy_arn") else {
                    continue;
                };
                let mut principals = Vec::new();
                for key in ["roles", "users", "groups"] {
                    if let Some(Expression::Array(items)) = b.get_attribute(key).map(|a| &a.value) {
                        principals.extend(items.iter().map(expr_principal));
                    }
                }
                if principals.is_empty() {
                    principals.push(None);
                }
                for p in principals {
                    out.push(AttachmentSite {
                        description: format!("attachment `{address}`"),
                        attached_to: p,
                        arns: &arn.value,
                        address: address.clone(),
                        block,
                    });
                }
            }
            "aws_iam_role_policy_attachments_exclusive" => {
                if let Some(a) = b.get_attribute("policy_arns") {
                    out.push(AttachmentSite {
                        description: format!("attachment `{address}`"),
                        attached_to: principal_ref(b, "role_name"),
                        arns: &a.value,
                        address: address.clone(),
                        block,
                    });
                }
            }
            _ if ty.ends_with("_policy_attachment") => {
                let Some(arn) = b
                    .get_attribute("policy_arn")
                    .or_else(|| b.get_attribute("managed_policy_arn"))
                else {
                    continue;
                };
                let attached_to = ["role", "user", "group", "permission_set_arn"]
                    .iter()
                    .find_map(|k| principal_ref(b, k));
                out.push(AttachmentSite {
                    description: format!("attachment `{address}`"),
                    attached_to,
                    arns: &arn.value,
                    address: address.clone(),
                    block,
                });
            }
            _ => {}
        }
    }
    out
}

/// What a file's blocks say about principals besides policies, as written (keyed by the caller).
#[derive(Debug, Default)]
pub struct LinkSites {
    /// `moved {}` blocks: (from, to) addresses as written.
    pub moved: Vec<(String, String)>,
    /// `aws_iam_user_group_membership` and `aws_iam_group_membership`: (user, group).
    pub memberships: Vec<(PrincipalRef, PrincipalRef)>,
    /// `aws_iam_instance_profile`: (profile address, role).
    pub profiles: Vec<(String, PrincipalRef)>,
    /// Literal accounts of `provider "aws"` blocks: `allowed_account_ids`, `assume_role.role_arn`.
    pub own_accounts: Vec<String>,
}

/// The `moved {}` blocks, group memberships and instance profiles of a file's top level.
pub fn links(body: &Body) -> LinkSites {
    let mut out = LinkSites::default();
    for block in body.blocks() {
        let attr = |name: &str| block.body.get_attribute(name).map(|a| &a.value);
        let refs = |name: &str| -> Vec<PrincipalRef> {
            match attr(name) {
                Some(Expression::Array(items)) => items.iter().filter_map(expr_principal).collect(),
                Some(other) => expr_principal(other).into_iter().collect(),
                None => Vec::new(),
            }
        };
        if block.ident.as_str() == "provider"
            && block.labels.first().is_some_and(|l| l.as_str() == "aws")
        {
            if let Some(Expression::Array(items)) = attr("allowed_account_ids") {
                out.own_accounts
                    .extend(items.iter().filter_map(|i| i.as_str()).map(str::to_string));
            }
            for inner in block
                .body
                .blocks()
                .filter(|b| b.ident.as_str() == "assume_role")
            {
                let arn = inner
                    .body
                    .get_attribute("role_arn")
                    .and_then(|a| a.value.as_str());
                if let Some(account) = arn.and_then(crate::model::arn::account_of) {
                    out.own_accounts.push(account.to_string());
                }
            }
            continue;
        }
        if block.ident.as_str() == "moved" {
            if let (Some(from), Some(to)) = (attr("from"), attr("to")) {
                out.moved.push((
                    from.to_string().trim().to_string(),
                    to.to_string().trim().to_string(),
                ));
            }
            continue;
        }
        let Some((ty, name)) = resource_labels(block) else {
            continue;
        };
        match ty {
            "aws_iam_user_group_membership" => {
                for user in refs("user") {
                    for group in refs("groups") {
                        out.memberships.push((user.clone(), group));
                    }
                }
            }
            "aws_iam_group_membership" => {
                for group in refs("group") {
                    for user in refs("users") {
                        out.memberships.push((user, group.clone()));
                    }
                }
            }
            "aws_iam_instance_profile" => {
                for role in refs("role") {
                    out.profiles
                        .push((format!("aws_iam_instance_profile.{name}"), role));
                }
            }
            _ => {}
        }
    }
    out
}

fn principal_ref(body: &Body, attr: &str) -> Option<PrincipalRef> {
    expr_principal(&body.get_attribute(attr)?.value)
}

/// `aws_iam_role.ci.name` → `aws_iam_role.ci`; `"ci"` → the literal; anything else as written.
pub fn expr_principal(expr: &Expression) -> Option<PrincipalRef> {
    if let Some(s) = expr.as_str() {
        return Some(PrincipalRef::Literal(s.to_string()));
    }
    if let Expression::Traversal(t) = expr {
        if let Expression::Variable(root) = &t.expr {
            let root = root.as_str();
            if matches!(root, "aws_iam_role" | "aws_iam_user" | "aws_iam_group") {
                if let Some(TraversalOperator::GetAttr(name)) =
                    t.operators.first().map(|o| o.value())
                {
                    return Some(PrincipalRef::Address(format!("{root}.{}", name.as_str())));
                }
            }
        }
    }
    Some(PrincipalRef::Expr(expr.to_string().trim().to_string()))
}

/// The document named by `data.aws_iam_policy_document.NAME(.json|[i].json)`.
pub fn doc_ref(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::Parenthesis(p) => doc_ref(p.inner()),
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else {
                return None;
            };
            if root.as_str() != "data" {
                return None;
            }
            let mut ops = t.operators.iter().map(|o| o.value());
            match (ops.next(), ops.next()) {
                (Some(TraversalOperator::GetAttr(ty)), Some(TraversalOperator::GetAttr(name)))
                    if ty.as_str() == "aws_iam_policy_document" =>
                {
                    let rest: Vec<&TraversalOperator> = ops.collect();
                    let json_last = matches!(
                        rest.last(),
                        Some(TraversalOperator::GetAttr(a)) if a.as_str() == "json" || a.as_str() == "minified_json"
                    );
                    let only_index = rest.iter().rev().skip(1).all(|o| {
                        matches!(
                            o,
                            TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)
                        )
                    });
                    (json_last && only_index).then_some(name.as_str())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Follows `local.x` (in this file) to a document reference.
fn slot_doc<'a>(
    expr: &'a Expression,
    body: &'a Body,
    defs: &Defs,
    depth: usize,
) -> Option<&'a str> {
    if let Some(name) = doc_ref(expr) {
        return Some(name);
    }
    if depth > 4 {
        return None;
    }
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    if root.as_str() != "local" || t.operators.len() != 1 {
        return None;
    }
    let Some(TraversalOperator::GetAttr(name)) = t.operators.first().map(|o| o.value()) else {
        return None;
    };
    let block = body.get(*defs.locals.get(name.as_str())?)?.as_block()?;
    let attr = block.body.get_attribute(name.as_str())?;
    slot_doc(&attr.value, body, defs, depth + 1)
}

/// Fills the module-level facts of a file: document uses, references and attachments.
pub fn index_file(body: &Body, text: &str, defs: &mut Defs) {
    let mut counted: HashMap<String, usize> = HashMap::new();
    for slot in slots(body) {
        if let Some(doc) = slot_doc(slot.expr, body, defs, 0) {
            if doc_ref(slot.expr).is_some() {
                *counted.entry(doc.to_string()).or_default() += 1;
            }
            defs.doc_uses.push(DocUse {
                doc: doc.to_string(),
                address: slot.address.clone(),
                kind: slot.kind,
                path: slot.path.clone(),
                description: slot.description.clone(),
                attached_to: slot.attached_to.clone(),
                managed_policy: slot.managed_policy.clone(),
                span: slot.expr.span().unwrap_or(0..0),
                in_vpc: slot.in_vpc,
            });
        }
    }
    // References as sources or overrides of another document.
    for block in body.blocks() {
        if block.ident.as_str() != "data"
            || block.labels.first().map(|l| l.as_str()) != Some("aws_iam_policy_document")
        {
            continue;
        }
        for key in [
            "source_policy_documents",
            "override_policy_documents",
            "source_json",
            "override_json",
        ] {
            if let Some(a) = block.body.get_attribute(key) {
                let items: Vec<&Expression> = match &a.value {
                    Expression::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    if let Some(doc) = doc_ref(item) {
                        *counted.entry(doc.to_string()).or_default() += 1;
                        defs.doc_source_refs.insert(doc.to_string());
                    }
                }
            }
        }
    }
    // Every other textual reference.
    let needle = "data.aws_iam_policy_document.";
    let mut total: HashMap<String, usize> = HashMap::new();
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let after = &rest[at + needle.len()..];
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        *total.entry(after[..end].to_string()).or_default() += 1;
        rest = &after[end..];
    }
    for (name, n) in total {
        if n > counted.get(&name).copied().unwrap_or(0) {
            defs.doc_other_refs.insert(name);
        }
    }
    for site in attachments(body) {
        let Some(principal) = &site.attached_to else {
            continue;
        };
        if let Some(policy) = policy_ref(site.arns) {
            defs.policy_attached
                .entry(policy.to_string())
                .or_default()
                .push(principal.clone());
        }
    }
}

/// `aws_iam_policy.NAME.arn` → `NAME`.
pub fn policy_ref(expr: &Expression) -> Option<&str> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    if root.as_str() != "aws_iam_policy" {
        return None;
    }
    match t.operators.first().map(|o| o.value()) {
        Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
        _ => None,
    }
}

/// Resources that grant one principal access to one resource (a Lambda function, a layer, an
/// event bus): read as a resource-policy statement. Each entry: type, the attribute naming the
/// resource, and the action when the resource has a fixed one (else the `action` attribute).
/// The last field is the ARN of a resource given by name (`{}` the name).
/// <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_permission>,
/// <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_event_permission>
const PERMISSIONS: &[(&str, &str, Option<&str>, &str)] = &[
    (
        "aws_lambda_permission",
        "function_name",
        None,
        "arn:aws:lambda:*:*:function:{}",
    ),
    (
        "aws_lambda_layer_version_permission",
        "layer_name",
        None,
        "arn:aws:lambda:*:*:layer:{}",
    ),
    (
        "aws_cloudwatch_event_permission",
        "event_bus_name",
        Some("events:PutEvents"),
        "arn:aws:events:*:*:event-bus/{}",
    ),
];

/// A one-resource permission block ([`PERMISSIONS`]).
pub struct Permission<'b> {
    pub address: String,
    pub block: &'b Block,
    /// The attribute naming the resource.
    pub resource_attr: &'static str,
    /// The action the resource type fixes, when the block has no `action`.
    pub fixed_action: Option<&'static str>,
    /// The ARN of the resource given by name (`{}` the name).
    pub arn_of_name: &'static str,
}

/// The file's one-resource permission blocks (`aws_lambda_permission` and the like).
pub fn permissions(body: &Body) -> Vec<Permission<'_>> {
    body.blocks()
        .filter_map(|block| {
            let (ty, name) = resource_labels(block)?;
            let (_, resource_attr, fixed_action, arn_of_name) =
                PERMISSIONS.iter().find(|(t, ..)| *t == ty)?;
            Some(Permission {
                address: format!("{ty}.{name}"),
                block,
                resource_attr,
                fixed_action: *fixed_action,
                arn_of_name,
            })
        })
        .collect()
}
