//! Which resource types carry policies, and where in their properties.

use super::intrinsics::{intrinsic, Scope};
use super::names::{self, Named};
use super::{sam, Extract, Found};
use crate::model::{Attachment, AttrRef, Origin, PolicyKind, Scalar, Unknown};
use crate::source::Located;
use crate::tree::{BuiltStatement, Node, NodeKind};

/// Resource policies: type and the property holding the document (`A.B`: property `B` of the
/// object in property `A`). Each is the type's page of the CloudFormation Template Reference,
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-{service}-{type}.html>
/// (`aws-resource-logs-resourcepolicy.html`), and matches a Terraform resource the Terraform
/// frontend reads (`src/frontend/terraform/resources.rs`). The document may be an object or a JSON
/// string (`AWS::Logs::ResourcePolicy` takes only a string).
const RESOURCE_POLICIES: &[(&str, &str)] = &[
    ("AWS::S3::BucketPolicy", "PolicyDocument"),
    ("AWS::S3::AccessPoint", "Policy"),
    ("AWS::S3::MultiRegionAccessPointPolicy", "Policy"),
    ("AWS::S3Express::BucketPolicy", "PolicyDocument"),
    ("AWS::SQS::QueuePolicy", "PolicyDocument"),
    ("AWS::SQS::QueueInlinePolicy", "PolicyDocument"),
    ("AWS::SNS::TopicPolicy", "PolicyDocument"),
    ("AWS::SNS::TopicInlinePolicy", "PolicyDocument"),
    ("AWS::KMS::Key", "KeyPolicy"),
    ("AWS::KMS::ReplicaKey", "KeyPolicy"),
    ("AWS::ECR::Repository", "RepositoryPolicyText"),
    ("AWS::ECR::PublicRepository", "RepositoryPolicyText"),
    ("AWS::ECR::RegistryPolicy", "PolicyText"),
    ("AWS::SecretsManager::ResourcePolicy", "ResourcePolicy"),
    ("AWS::EC2::VPCEndpoint", "PolicyDocument"),
    ("AWS::Elasticsearch::Domain", "AccessPolicies"),
    ("AWS::OpenSearchService::Domain", "AccessPolicies"),
    ("AWS::EFS::FileSystem", "FileSystemPolicy"),
    ("AWS::Backup::BackupVault", "AccessPolicy"),
    ("AWS::Logs::ResourcePolicy", "PolicyDocument"),
    ("AWS::Logs::Destination", "DestinationPolicy"),
    ("AWS::Events::EventBus", "Policy"),
    ("AWS::ApiGateway::RestApi", "Policy"),
    ("AWS::DynamoDB::Table", "ResourcePolicy.PolicyDocument"),
    ("AWS::EventSchemas::RegistryPolicy", "Policy"),
    ("AWS::CodeArtifact::Domain", "PermissionsPolicyDocument"),
    ("AWS::CodeArtifact::Repository", "PermissionsPolicyDocument"),
    ("AWS::MediaStore::Container", "Policy"),
];

/// Search domains, whose `VPCOptions` put them inside a VPC (see `Origin::in_vpc`).
const DOMAINS: &[&str] = &[
    "AWS::Elasticsearch::Domain",
    "AWS::OpenSearchService::Domain",
];

/// Resources that grant one principal access to one resource, read as a resource policy of one
/// statement ([`permission_doc`]): type and the property naming the resource.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html>,
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-layerversionpermission.html>
/// The last field is the ARN of a resource given by name (`{}` the name): `FunctionName` takes a
/// name as well as an ARN, which a resource policy's `Resource` cannot hold.
const PERMISSIONS: &[(&str, &str, &str)] = &[
    (
        "AWS::Lambda::Permission",
        "FunctionName",
        "arn:aws:lambda:*:*:function:{}",
    ),
    (
        "AWS::Lambda::LayerVersionPermission",
        "LayerVersionArn",
        "{}",
    ),
];

/// Condition properties of a permission: property, operator, condition key.
const PERMISSION_CONDITIONS: &[(&str, &str, &str)] = &[
    ("SourceArn", "ArnLike", "aws:SourceArn"),
    ("SourceAccount", "StringEquals", "aws:SourceAccount"),
    ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
    ("OrganizationId", "StringEquals", "aws:PrincipalOrgID"),
    (
        "EventSourceToken",
        "StringEquals",
        "lambda:EventSourceToken",
    ),
];

/// A permission's properties as a policy document of one statement, each value at its span:
/// `Principal` (`x.amazonaws.com` a service, else `AWS`), `Action`, the resource, and the
/// source and organization properties as conditions. `None` without `Principal` or `Action`.
fn permission_doc(props: &Node, (resource, arn_of_name): (&str, &str)) -> Option<Node> {
    let whole = props.span;
    let principal = props.get("Principal")?.clone();
    let action = props.get("Action")?.clone();
    let mut statement = BuiltStatement::new(whole);
    statement.push("Effect", whole, BuiltStatement::text("Allow", whole));
    statement.principal(principal);
    statement.push("Action", action.span, action);
    let target = match props.get(resource) {
        // A literal name (not an ARN, not a partial `account:function:name`).
        Some(Node {
            kind: NodeKind::Str(Scalar::Str(name)),
            span,
        }) if !name.contains(':') => BuiltStatement::text(&arn_of_name.replace("{}", name), *span),
        Some(named) => named.clone(),
        None => BuiltStatement::text("*", whole),
    };
    statement.push("Resource", target.span, target);
    for (prop, operator, condition_key) in PERMISSION_CONDITIONS {
        if let Some(value) = props.get(prop) {
            statement.condition(operator, condition_key, value.clone());
        }
    }
    Some(statement.document())
}

/// The value at a property path (`ResourcePolicy.PolicyDocument`).
fn property<'n>(props: &'n Node, path: &str) -> Option<&'n Node> {
    path.split('.').try_fold(props, |node, key| node.get(key))
}

/// True when a resource of this type, with these (unevaluated) properties, may hold a policy:
/// a resource policy type only when its property is written, so that a table or a file system
/// without one is not evaluated at all.
pub fn holds_policy(ty: &str, raw: &Node) -> bool {
    if PERMISSIONS.iter().any(|(t, ..)| *t == ty) {
        return raw.get("Principal").is_some();
    }
    match RESOURCE_POLICIES.iter().find(|(t, _)| *t == ty) {
        Some((_, prop)) => property(raw, prop).is_some(),
        None => reads(ty),
    }
}

/// Principals with inline `Policies` and `ManagedPolicyArns`.
const PRINCIPALS: &[&str] = &["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"];

/// Standalone policies attached through `Roles`/`Users`/`Groups`.
const STANDALONE: &[&str] = &["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"];

/// One inline policy of one principal, naming it by `RoleName`/`UserName`/`GroupName`.
const SINGLE: &[(&str, &str, &str)] = &[
    ("AWS::IAM::RolePolicy", "RoleName", "role"),
    ("AWS::IAM::UserPolicy", "UserName", "user"),
    ("AWS::IAM::GroupPolicy", "GroupName", "group"),
];

/// An IAM Identity Center permission set: an inline policy, AWS managed policies, customer managed
/// policies by name and a permissions boundary, provisioned as a role in each account it is
/// assigned to.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-permissionset.html>
const PERMISSION_SET: &str = "AWS::SSO::PermissionSet";

/// True when iamlint reads policies from resources of this type.
fn reads(ty: &str) -> bool {
    ty == PERMISSION_SET
        || RESOURCE_POLICIES.iter().any(|(t, _)| *t == ty)
        || PERMISSIONS.iter().any(|(t, ..)| *t == ty)
        || PRINCIPALS.contains(&ty)
        || STANDALONE.contains(&ty)
        || SINGLE.iter().any(|(t, _, _)| *t == ty)
        || sam::reads(ty)
}

/// Finds the policies in one evaluation of a resource's properties. `raw` is the unevaluated
/// properties, for `!Ref` targets that evaluation turns into unknowns.
pub(super) fn extract(cx: &mut Extract, props: &Node, raw: &Node) {
    let (id, ty) = (cx.id, cx.ty);
    let base = format!("Resources.{id}.Properties");
    let address = format!("Resources.{id}");
    if let Some((_, resource, arn_of_name)) = PERMISSIONS.iter().find(|(t, ..)| *t == ty) {
        if let Some(doc) = permission_doc(props, (resource, arn_of_name)) {
            cx.doc(
                PolicyKind::Resource,
                format!("{base}.Permission"),
                origin(&address, format!("permission `{ty}` `{id}`"), None),
                &doc,
            );
        }
        return;
    }
    if let Some((_, prop)) = RESOURCE_POLICIES.iter().find(|(t, _)| *t == ty) {
        if let Some(doc) = property(props, prop) {
            let mut origin = origin(&address, format!("`{prop}` of `{ty}` `{id}`"), None);
            origin.in_vpc = DOMAINS.contains(&ty) && props.get("VPCOptions").is_some();
            cx.doc(PolicyKind::Resource, format!("{base}.{prop}"), origin, doc);
        }
        return;
    }
    if PRINCIPALS.contains(&ty) {
        if ty == "AWS::IAM::Role" {
            if let Some(doc) = props.get("AssumeRolePolicyDocument") {
                cx.doc(
                    PolicyKind::Trust,
                    format!("{base}.AssumeRolePolicyDocument"),
                    origin(&address, format!("trust policy of `{ty}` `{id}`"), None),
                    doc,
                );
            }
        }
        inline_policies(cx, props, &base, &address);
        managed_policy_arns(cx, props, "ManagedPolicyArns", &address);
        if let Some(boundary) = props.get("PermissionsBoundary") {
            cx.attachment(
                boundary,
                origin(
                    &address,
                    format!("permissions boundary of `{ty}` `{id}`"),
                    None,
                ),
            );
        }
        return;
    }
    if ty == PERMISSION_SET {
        permission_set(cx, props, &base, &address);
        return;
    }
    if STANDALONE.contains(&ty) {
        let Some(doc) = props.get("PolicyDocument") else {
            return;
        };
        let what = match props.get("PolicyName").and_then(Node::as_str) {
            Some(name) => format!("policy `{name}` (`{ty}` `{id}`)"),
            None => format!("`{ty}` `{id}`"),
        };
        let mut principals = Vec::new();
        for (key, kind) in [("Roles", "role"), ("Users", "user"), ("Groups", "group")] {
            if let Some(NodeKind::Array(items)) = raw.get(key).map(|n| &n.kind) {
                principals.extend(
                    items
                        .iter()
                        .filter_map(|i| principal_key(cx.eval.scope, i, kind)),
                );
            }
        }
        let path = format!("{base}.PolicyDocument");
        if principals.is_empty() {
            cx.doc(
                PolicyKind::Identity,
                path.clone(),
                origin(&address, what.clone(), None),
                doc,
            );
        }
        for p in principals {
            cx.doc(
                PolicyKind::Identity,
                path.clone(),
                origin(&address, format!("{what} attached to `{p}`"), Some(p)),
                doc,
            );
        }
        return;
    }
    if let Some((_, key, kind)) = SINGLE.iter().find(|(t, _, _)| *t == ty) {
        let Some(doc) = props.get("PolicyDocument") else {
            return;
        };
        let who = raw
            .get(key)
            .and_then(|n| principal_key(cx.eval.scope, n, kind));
        let name = props.get("PolicyName").and_then(Node::as_str).unwrap_or(id);
        let what = match &who {
            Some(p) => format!("inline policy `{name}` of `{p}` (`{ty}` `{id}`)"),
            None => format!("inline policy `{name}` (`{ty}` `{id}`)"),
        };
        cx.doc(
            PolicyKind::Identity,
            format!("{base}.PolicyDocument"),
            origin(&address, what, who),
            doc,
        );
        return;
    }
    if sam::reads(ty) {
        sam::policies(cx, props, &base, &address);
    }
}

fn origin(address: &str, description: String, attached_to: Option<String>) -> Origin {
    Origin {
        address: Some(address.to_string()),
        description: Some(description),
        attached_to,
        ..Origin::default()
    }
}

/// Group memberships (`AWS::IAM::User` `Groups`, `AWS::IAM::UserToGroupAddition`) and instance
/// profiles (`AWS::IAM::InstanceProfile` `Roles`) of one resource, from its written properties.
pub fn links(
    scope: &Scope<'_>,
    id: &str,
    ty: &str,
    raw: &Node,
    links: &mut crate::model::PrincipalLinks,
) {
    let key = |node: &Node, kind: &str| principal_key(scope, node, kind);
    let list = |name: &str, kind: &str| -> Vec<String> {
        match raw.get(name).map(|n| &n.kind) {
            Some(NodeKind::Array(items)) => items.iter().filter_map(|i| key(i, kind)).collect(),
            _ => Vec::new(),
        }
    };
    let me = format!("Resources.{id}");
    match ty {
        "AWS::IAM::User" => {
            for group in list("Groups", "group") {
                links.memberships.push((me.clone(), group));
            }
        }
        "AWS::IAM::UserToGroupAddition" => {
            if let Some(group) = raw.get("GroupName").and_then(|g| key(g, "group")) {
                for user in list("Users", "user") {
                    links.memberships.push((user, group.clone()));
                }
            }
        }
        "AWS::IAM::InstanceProfile" => {
            for role in list("Roles", "role") {
                links.profiles.push((me.clone(), role));
            }
        }
        _ => {}
    }
}

/// The principal a `Roles`/`Users`/`Groups` item or a `RoleName` names: a resource of the
/// template, however it is written (`!Ref CiRole`, `!GetAtt CiRole.Arn`, an ARN `!Sub`, the
/// literal name the role gives itself; see [`names`]) → `Resources.CiRole`; another literal name
/// → `role/name`.
fn principal_key(scope: &Scope, node: &Node, kind: &str) -> Option<String> {
    if let Some(id) = Named::of_kind(kind).and_then(|w| names::named_resource(scope, node, w)) {
        return Some(format!("Resources.{id}"));
    }
    if let Some(("Ref", target)) = intrinsic(node) {
        let target = target.as_str()?;
        return scope
            .resources
            .contains_key(target)
            .then(|| format!("Resources.{target}"));
    }
    node.as_str().map(|name| format!("{kind}/{name}"))
}

/// `Policies: [{PolicyName, PolicyDocument}]` of a role, user or group.
fn inline_policies(cx: &mut Extract, props: &Node, base: &str, address: &str) {
    let Some(list) = props.get("Policies") else {
        return;
    };
    let items = match &list.kind {
        NodeKind::Array(items) => items.as_slice(),
        NodeKind::Str(Scalar::Unknown(u)) => {
            cx.unresolved(u, list);
            return;
        }
        _ => return,
    };
    let (id, ty) = (cx.id, cx.ty);
    for (i, item) in items.iter().enumerate() {
        if let NodeKind::Str(Scalar::Unknown(u)) = &item.kind {
            cx.unresolved(u, item);
            continue;
        }
        let Some(doc) = item.get("PolicyDocument") else {
            continue;
        };
        let name = item
            .get("PolicyName")
            .map_or_else(|| "?".to_string(), node_text);
        cx.doc(
            PolicyKind::Identity,
            format!("{base}.Policies[{i}].PolicyDocument"),
            origin(
                address,
                format!("inline policy `{name}` of `{ty}` `{id}`"),
                Some(address.to_string()),
            ),
            doc,
        );
    }
}

fn node_text(node: &Node) -> String {
    match &node.kind {
        NodeKind::Str(s) => s.text(),
        NodeKind::Number(n) => n.clone(),
        _ => "?".to_string(),
    }
}

/// `ManagedPolicyArns`: one attachment per element.
fn managed_policy_arns(cx: &mut Extract, props: &Node, property: &str, address: &str) {
    let Some(list) = props.get(property) else {
        return;
    };
    let (id, ty) = (cx.id, cx.ty);
    let items = match &list.kind {
        NodeKind::Array(items) => items.as_slice(),
        NodeKind::Str(Scalar::Unknown(u)) => {
            cx.unresolved(u, list);
            return;
        }
        _ => std::slice::from_ref(list),
    };
    for item in items {
        cx.attachment(
            item,
            origin(address, format!("`{ty}` `{id}`"), Some(address.to_string())),
        );
    }
}

/// A permission set's `InlinePolicy`, `ManagedPolicies`, `CustomerManagedPolicyReferences` (a
/// policy of each assigned account, by name: unknown here) and `PermissionsBoundary`.
fn permission_set(cx: &mut Extract, props: &Node, base: &str, address: &str) {
    let id = cx.id;
    if let Some(doc) = props.get("InlinePolicy") {
        cx.doc(
            PolicyKind::Identity,
            format!("{base}.InlinePolicy"),
            origin(
                address,
                format!("inline policy of permission set `{id}`"),
                Some(address.to_string()),
            ),
            doc,
        );
    }
    managed_policy_arns(cx, props, "ManagedPolicies", address);
    let by_name = |node: &Node| -> Option<String> {
        let name = node.get("Name")?.as_str()?;
        let path = node.get("Path").and_then(Node::as_str).unwrap_or("/");
        Some(format!("{path}{name}"))
    };
    if let Some(NodeKind::Array(refs)) = props
        .get("CustomerManagedPolicyReferences")
        .map(|n| &n.kind)
    {
        for r in refs {
            let written = by_name(r).unwrap_or_else(|| cx.eval.scope.quote(r.span));
            let unknown = Node::new(
                NodeKind::Str(Scalar::unknown(Unknown::local_resource(
                    written,
                    "a customer managed policy of each account the permission set is assigned to, not of this template",
                ))),
                r.span,
            );
            cx.attachment(
                &unknown,
                origin(
                    address,
                    format!("`{PERMISSION_SET}` `{id}`"),
                    Some(address.to_string()),
                ),
            );
        }
    }
    if let Some(boundary) = props.get("PermissionsBoundary") {
        let arn = boundary.get("ManagedPolicyArn").cloned().unwrap_or_else(|| {
            let written = boundary
                .get("CustomerManagedPolicyReference")
                .and_then(by_name)
                .unwrap_or_else(|| cx.eval.scope.quote(boundary.span));
            Node::new(
                NodeKind::Str(Scalar::unknown(Unknown::local_resource(
                    written,
                    "a customer managed policy of each account the permission set is assigned to, not of this template",
                ))),
                boundary.span,
            )
        });
        cx.attachment(
            &arn,
            origin(
                address,
                format!("permissions boundary of permission set `{id}`"),
                None,
            ),
        );
    }
}

impl Extract<'_, '_, '_> {
    pub(super) fn doc(&mut self, kind: PolicyKind, path: String, mut origin: Origin, node: &Node) {
        if origin.resource_type.is_none() {
            origin.resource_type = Some(self.ty.to_string());
        }
        // A document may be written as a JSON string (with `Fn::Sub` placeholders); it is read, and
        // reported in the string.
        let node = match &node.kind {
            NodeKind::Str(s) => super::json_string::document(s, node.span, self.eval.scope)
                .unwrap_or_else(|| node.clone()),
            _ => node.clone(),
        };
        self.out.push(Found::Doc {
            kind,
            path,
            origin,
            node,
        });
    }

    pub(super) fn attachment(&mut self, node: &Node, origin: Origin) {
        let policy = written_at(self.raw, node.span, 0)
            .and_then(|raw| names::named_resource(self.eval.scope, raw, Named::Policy));
        let scalar = match &node.kind {
            // A customer managed policy of this template, however its ARN is written
            // (`!Ref Policy`, `!GetAtt Policy.PolicyArn`, an ARN `!Sub`): the principal model
            // finds its document by the reference.
            NodeKind::Str(_) if policy.is_some() => {
                let id = policy.unwrap_or_default();
                let mut unknown = Unknown::local_resource(
                    self.eval.scope.quote(node.span),
                    format!("the ARN of `AWS::IAM::ManagedPolicy` `{id}`, known only when the stack is deployed"),
                );
                unknown.reference = Some(AttrRef {
                    address: format!("Resources.{id}"),
                    attribute: "PolicyArn".to_string(),
                });
                Scalar::unknown(unknown)
            }
            NodeKind::Str(s) => s.clone(),
            _ => Scalar::unknown(Unknown::new(
                self.eval.scope.quote(node.span),
                format!("expected a policy ARN, found {}", node.type_name()),
            )),
        };
        self.out.push(Found::Attachment(Attachment {
            policy_arn: Located::new(scalar, node.span),
            origin,
        }));
    }

    pub(super) fn unresolved(&mut self, unknown: &Unknown, node: &Node) {
        self.out
            .push(Found::Unresolved(Located::new(unknown.clone(), node.span)));
    }
}

/// The written node at `span` under `raw` (the outermost one: `!Sub x` rather than its `x`), to
/// read an evaluated value as it was written.
fn written_at(raw: &Node, span: crate::Span, depth: usize) -> Option<&Node> {
    if raw.span == span {
        return Some(raw);
    }
    if depth > 64 || raw.span.start > span.start || raw.span.end < span.end {
        return None;
    }
    match &raw.kind {
        NodeKind::Array(items) => items.iter().find_map(|i| written_at(i, span, depth + 1)),
        NodeKind::Object(entries) => entries
            .iter()
            .find_map(|(_, v)| written_at(v, span, depth + 1)),
        _ => None,
    }
}
