//! JSON inputs: a policy document, or the output of `aws iam get-account-authorization-details`.
//! CloudFormation templates and Terraform plans in JSON are told apart here by content and handed to
//! their own frontends.

use crate::json;
use crate::model::build::{policy_from_node, policy_from_owned_node};
use crate::model::{Attachment, FileModel, Origin, PolicyDoc, PolicyKind, Scalar, Syntax};
use crate::source::{FileId, Located, ParseError, SourceMap, Span};
use crate::tree::{Node, NodeKind};

/// The document of an AWS managed policy from the catalog, an identity policy, as the model reads
/// it (for `recipes` and the principal model, which read AWS's policies beside the user's); `None`
/// when the bundled text does not parse.
pub fn managed_policy_doc(
    policy: &crate::catalog::ManagedPolicy,
    path: impl Into<String>,
    origin: Origin,
) -> Option<PolicyDoc> {
    let node = json::parse(policy.document, FileId(0), 0).ok()?;
    Some(policy_from_node(
        &node,
        PolicyKind::Identity,
        Syntax::Json,
        path,
        origin,
    ))
}

/// What a JSON document holds, judged from its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonContent {
    Policy,
    AuthorizationDetails,
    CloudFormation,
    TerraformPlan,
    Other,
}

pub fn classify(node: &Node) -> JsonContent {
    let has = |k: &str| node.get(k).is_some();
    if !node.is_object() {
        return JsonContent::Other;
    }
    if has("planned_values")
        || has("resource_changes")
        || (has("format_version") && has("terraform_version"))
    {
        JsonContent::TerraformPlan
    } else if has("AWSTemplateFormatVersion") || looks_like_template(node) {
        JsonContent::CloudFormation
    } else if has("UserDetailList") || has("RoleDetailList") || has("GroupDetailList") {
        JsonContent::AuthorizationDetails
    } else if has("Statement")
        || has("statement")
        || (has("Effect") && (has("Action") || has("NotAction")))
    {
        JsonContent::Policy
    } else {
        JsonContent::Other
    }
}

fn looks_like_template(node: &Node) -> bool {
    node.get("Resources").is_some_and(|r| {
        r.entries().iter().any(|(_, res)| {
            res.get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.contains("::"))
        })
    })
}

/// Text that is probably meant to be a policy: a malformed file is only reported in folder scans
/// when it looks like one (a broken `tsconfig.json` with comments is none of our business).
fn looks_like_policy_text(text: &str) -> bool {
    text.contains("\"Statement\"")
        || text.contains("\"Effect\"")
        || text.contains("AWSTemplateFormatVersion")
        || text.contains("DetailList\"")
}

pub fn parse_file(sources: &mut SourceMap) -> FileModel {
    let mut model = FileModel::default();
    let text = &sources.main().text;
    let node = match json::parse(text, FileId(0), 0) {
        Ok(node) => node,
        Err(e) => {
            model.recognised = looks_like_policy_text(text);
            model.errors.push(json_error(FileId(0), text, e));
            return model;
        }
    };
    match classify(&node) {
        JsonContent::Policy => {
            model.recognised = true;
            model.docs.push(policy_from_owned_node(
                node,
                PolicyKind::Unknown,
                Syntax::Json,
                "",
                Origin::default(),
            ));
        }
        JsonContent::AuthorizationDetails => {
            model.recognised = true;
            authorization_details(&node, &mut model);
        }
        JsonContent::CloudFormation => {
            super::cloudformation::from_json(&node, text, &mut model);
        }
        JsonContent::TerraformPlan => return super::tfplan::parse(sources, &node),
        JsonContent::Other => {
            model.recognised = false;
            model.errors.push(ParseError::whole(
                FileId(0),
                "not a policy: expected an IAM policy document or `aws iam get-account-authorization-details` output",
            ));
        }
    }
    model
}

/// A JSON syntax error as a located parse error (one character wide).
pub fn json_error(file: FileId, text: &str, e: json::JsonError) -> ParseError {
    let end = text
        .get(e.offset..)
        .and_then(|s| s.chars().next())
        .map_or(e.offset, |c| e.offset + c.len_utf8());
    ParseError::at(
        Span::new(file, e.offset, end),
        format!("invalid JSON: {}", e.message),
    )
}

/// `aws iam get-account-authorization-details`: every inline policy, every version of every
/// customer managed policy, every trust policy, and every managed policy attachment.
fn authorization_details(node: &Node, model: &mut FileModel) {
    for (list, kind, name_key, inline_key) in [
        ("UserDetailList", "user", "UserName", "UserPolicyList"),
        ("GroupDetailList", "group", "GroupName", "GroupPolicyList"),
        ("RoleDetailList", "role", "RoleName", "RolePolicyList"),
    ] {
        for (i, principal) in items(node.get(list)).iter().enumerate() {
            let name = principal
                .get(name_key)
                .and_then(Node::as_str)
                .unwrap_or("?")
                .to_string();
            let attached_to = format!("{kind}/{name}");
            let base = format!("{list}[{i}]");
            if kind == "role" {
                if let Some(doc) = principal.get("AssumeRolePolicyDocument") {
                    let origin = Origin {
                        address: Some(attached_to.clone()),
                        description: Some(format!("trust policy of role `{name}`")),
                        attached_to: None,
                        ..Origin::default()
                    };
                    push_doc(
                        model,
                        doc,
                        PolicyKind::Trust,
                        format!("{base}.AssumeRolePolicyDocument"),
                        origin,
                    );
                }
            }
            for (j, inline) in items(principal.get(inline_key)).iter().enumerate() {
                let policy_name = inline
                    .get("PolicyName")
                    .and_then(Node::as_str)
                    .unwrap_or("?");
                if let Some(doc) = inline.get("PolicyDocument") {
                    let origin = Origin {
                        address: Some(format!("{attached_to}/{policy_name}")),
                        description: Some(format!(
                            "inline policy `{policy_name}` of {kind} `{name}`"
                        )),
                        attached_to: Some(attached_to.clone()),
                        ..Origin::default()
                    };
                    push_doc(
                        model,
                        doc,
                        PolicyKind::Identity,
                        format!("{base}.{inline_key}[{j}]"),
                        origin,
                    );
                }
            }
            for attached in items(principal.get("AttachedManagedPolicies")) {
                if let Some(arn) = attached.get("PolicyArn") {
                    if let NodeKind::Str(s) = &arn.kind {
                        model.attachments.push(Attachment {
                            policy_arn: Located::new(s.clone(), arn.span),
                            origin: Origin {
                                address: Some(attached_to.clone()),
                                description: Some(format!("{kind} `{name}`")),
                                attached_to: Some(attached_to.clone()),
                                ..Origin::default()
                            },
                        });
                    }
                }
            }
            if let Some(boundary) = principal
                .get("PermissionsBoundary")
                .and_then(|b| b.get("PermissionsBoundaryArn"))
            {
                if let NodeKind::Str(s) = &boundary.kind {
                    model.attachments.push(Attachment {
                        policy_arn: Located::new(s.clone(), boundary.span),
                        origin: Origin {
                            address: Some(attached_to.clone()),
                            description: Some(format!("permissions boundary of {kind} `{name}`")),
                            attached_to: None,
                            ..Origin::default()
                        },
                    });
                }
            }
        }
    }
    for (i, policy) in items(node.get("Policies")).iter().enumerate() {
        let name = policy
            .get("PolicyName")
            .and_then(Node::as_str)
            .unwrap_or("?");
        let arn = policy.get("Arn").and_then(Node::as_str).unwrap_or("");
        // AWS managed policies are judged where they are attached (`broad-managed-policy`), from
        // the embedded copy; linting their documents here would repeat AWS's choices as findings.
        if arn.contains(":iam::aws:policy/") {
            continue;
        }
        let default = policy.get("DefaultVersionId").and_then(Node::as_str);
        for (j, version) in items(policy.get("PolicyVersionList")).iter().enumerate() {
            let id = version
                .get("VersionId")
                .and_then(Node::as_str)
                .unwrap_or("?");
            let is_default = version
                .get("IsDefaultVersion")
                .is_some_and(|v| v.kind == NodeKind::Bool(true))
                || default == Some(id);
            if let Some(doc) = version.get("Document") {
                let origin = Origin {
                    address: Some(format!("policy/{name}@{id}")),
                    description: Some(format!(
                        "version {id} of managed policy `{name}`{}",
                        if is_default { " (default)" } else { "" }
                    )),
                    ..Origin::default()
                };
                push_doc(
                    model,
                    doc,
                    PolicyKind::Identity,
                    format!("Policies[{i}].PolicyVersionList[{j}].Document"),
                    origin,
                );
            }
        }
    }
}

fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Array(items)) => items,
        _ => &[],
    }
}

fn push_doc(model: &mut FileModel, doc: &Node, kind: PolicyKind, path: String, origin: Origin) {
    if let NodeKind::Str(Scalar::Str(_)) = doc.kind {
        // The raw API returns documents URL-encoded; the CLI decodes them. Say so rather than
        // silently skipping.
        model.errors.push(ParseError::at(
            doc.span,
            "policy document is a string (URL-encoded?); run the AWS CLI, which decodes documents",
        ));
        return;
    }
    model
        .docs
        .push(policy_from_node(doc, kind, Syntax::Json, path, origin));
}
