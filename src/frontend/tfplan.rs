//! `terraform show -json` plans: the IAM resources of `planned_values` (every module) and of
//! `resource_changes` (what `planned_values` does not list), their policy strings parsed as JSON
//! with spans into the plan file, located by resource address.

use std::collections::{HashMap, HashSet};

use crate::frontend::terraform::{identity_policy_attr, resource_policy_attr};
use crate::model::build::policy_from_node;
use crate::model::{Attachment, FileModel, Origin, PolicyKind, Scalar, Syntax, Unknown};
use crate::source::{FileId, Located, ParseError, SourceMap, Span};
use crate::tree::{Node, NodeKind};

/// One resource of the plan: its address and its planned values.
struct Resource<'n> {
    address: String,
    ty: String,
    values: &'n Node,
    /// `after_unknown` of a change: attributes known only after apply.
    after_unknown: Option<&'n Node>,
}

pub fn parse(sources: &SourceMap, plan: &Node) -> FileModel {
    let mut model = FileModel {
        recognised: true,
        ..FileModel::default()
    };
    let text = &sources.main().text;
    let mut resources = Vec::new();
    if let Some(root) = plan
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        module_resources(root, &mut resources, 0);
    }
    let seen: HashSet<String> = resources.iter().map(|r| r.address.clone()).collect();
    for change in items(plan.get("resource_changes")) {
        let (Some(address), Some(ty)) = (
            change.get("address").and_then(Node::as_str),
            change.get("type").and_then(Node::as_str),
        ) else {
            continue;
        };
        let Some(after) = change.get("change").and_then(|c| c.get("after")) else {
            continue;
        };
        if !after.is_object() {
            continue;
        }
        let after_unknown = change.get("change").and_then(|c| c.get("after_unknown"));
        if seen.contains(address) {
            // Same values as `planned_values`; only the unknowns are new.
            if let Some(r) = resources.iter_mut().find(|r| r.address == address) {
                r.after_unknown = after_unknown;
            }
            continue;
        }
        resources.push(Resource {
            address: address.to_string(),
            ty: ty.to_string(),
            values: after,
            after_unknown,
        });
    }
    // Literal principal names → addresses, to group a principal's policies.
    let mut names: HashMap<String, String> = HashMap::new();
    for r in &resources {
        if matches!(
            r.ty.as_str(),
            "aws_iam_role" | "aws_iam_user" | "aws_iam_group"
        ) {
            if let Some(name) = r.values.get("name").and_then(Node::as_str) {
                names.insert(name.to_string(), r.address.clone());
            }
        }
    }
    let principal = |name: &str| names.get(name).cloned().unwrap_or_else(|| name.to_string());
    for r in &resources {
        let v = r.values;
        let address = &r.address;
        if let Some((attr, principal_attr)) = identity_policy_attr(&r.ty) {
            let attached_to = principal_attr
                .and_then(|p| v.get(p))
                .and_then(Node::as_str)
                .map(principal);
            let origin = Origin {
                address: Some(address.clone()),
                description: Some(format!("policy of `{address}`")),
                attached_to,
                ..Origin::default()
            };
            policy(&mut model, text, r, attr, PolicyKind::Identity, origin);
        } else if r.ty == "aws_iam_role" {
            let origin = Origin {
                address: Some(address.clone()),
                description: Some(format!("trust policy of `{address}`")),
                ..Origin::default()
            };
            policy(
                &mut model,
                text,
                r,
                "assume_role_policy",
                PolicyKind::Trust,
                origin,
            );
            for (i, inline) in items(v.get("inline_policy")).iter().enumerate() {
                let Some(doc) = inline.get("policy") else {
                    continue;
                };
                let name = inline.get("name").and_then(Node::as_str).unwrap_or("?");
                let origin = Origin {
                    address: Some(address.clone()),
                    description: Some(format!("inline policy `{name}` of `{address}`")),
                    attached_to: Some(address.clone()),
                    ..Origin::default()
                };
                string_policy(
                    &mut model,
                    text,
                    doc,
                    PolicyKind::Identity,
                    format!("{address}.inline_policy[{i}].policy"),
                    origin,
                );
            }
            for arn in items(v.get("managed_policy_arns")) {
                attachment(
                    &mut model,
                    arn,
                    address,
                    Some(address.clone()),
                    "managed policies",
                );
            }
        } else if let Some(attr) = resource_policy_attr(&r.ty) {
            let origin = Origin {
                address: Some(address.clone()),
                description: Some(format!("resource policy of `{address}`")),
                ..Origin::default()
            };
            policy(&mut model, text, r, attr, PolicyKind::Resource, origin);
        } else if r.ty.ends_with("_policy_attachment") {
            let Some(arn) = v.get("policy_arn").or_else(|| v.get("managed_policy_arn")) else {
                continue;
            };
            let mut principals: Vec<Option<String>> = ["role", "user", "group"]
                .iter()
                .filter_map(|k| v.get(k).and_then(Node::as_str))
                .map(|n| Some(principal(n)))
                .collect();
            for k in ["roles", "users", "groups"] {
                principals.extend(
                    items(v.get(k))
                        .iter()
                        .filter_map(Node::as_str)
                        .map(|n| Some(principal(n))),
                );
            }
            if principals.is_empty() {
                principals.push(None);
            }
            for p in principals {
                attachment(&mut model, arn, address, p, "attachment");
            }
        }
    }
    model
}

fn module_resources<'n>(module: &'n Node, out: &mut Vec<Resource<'n>>, depth: usize) {
    for r in items(module.get("resources")) {
        if r.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
        let (Some(address), Some(ty), Some(values)) = (
            r.get("address").and_then(Node::as_str),
            r.get("type").and_then(Node::as_str),
            r.get("values"),
        ) else {
            continue;
        };
        out.push(Resource {
            address: address.to_string(),
            ty: ty.to_string(),
            values,
            after_unknown: None,
        });
    }
    if depth < 64 {
        for child in items(module.get("child_modules")) {
            module_resources(child, out, depth + 1);
        }
    }
}

fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Array(items)) => items,
        _ => &[],
    }
}

fn policy(
    model: &mut FileModel,
    text: &str,
    r: &Resource<'_>,
    attr: &str,
    kind: PolicyKind,
    origin: Origin,
) {
    let path = format!("{}.{attr}", r.address);
    match r.values.get(attr) {
        Some(doc) if !matches!(doc.kind, NodeKind::Null) => {
            string_policy(model, text, doc, kind, path, origin);
        }
        _ => {
            let unknown = r
                .after_unknown
                .and_then(|u| u.get(attr))
                .is_some_and(|u| u.kind == NodeKind::Bool(true));
            if unknown {
                let span = r.values.span;
                model.unresolved.push(Located::new(
                    Unknown::new(path, "known only after apply"),
                    span,
                ));
            }
        }
    }
}

/// A policy held as a JSON string in the plan: parsed with spans mapped back through the escapes.
fn string_policy(
    model: &mut FileModel,
    text: &str,
    doc: &Node,
    kind: PolicyKind,
    path: String,
    origin: Origin,
) {
    let NodeKind::Str(Scalar::Str(_)) = &doc.kind else {
        if doc.is_object() {
            model
                .docs
                .push(policy_from_node(doc, kind, Syntax::Json, path, origin));
        }
        return;
    };
    if doc.as_str().is_some_and(|s| s.trim().is_empty()) {
        return;
    }
    let raw = text.get(doc.span.range()).unwrap_or("");
    let (decoded, map) = decode_json_string(raw, doc.span.start as usize);
    match crate::json::parse(&decoded, FileId(0), 0) {
        Ok(node) => {
            let node = remap(node, &map);
            model
                .docs
                .push(policy_from_node(&node, kind, Syntax::Json, path, origin));
        }
        Err(e) => {
            let at = map.get(e.offset).copied().unwrap_or(doc.span.end as usize);
            model.errors.push(ParseError::at(
                Span::new(FileId(0), at, at + 1),
                format!("invalid JSON in `{path}`: {}", e.message),
            ));
        }
    }
}

/// Decodes a JSON string literal (with its quotes), mapping each decoded byte to its offset.
fn decode_json_string(raw: &str, base: usize) -> (String, Vec<usize>) {
    let mut out = String::new();
    let mut map = Vec::new();
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let base = base + usize::from(raw.starts_with('"'));
    let mut i = 0;
    let bytes = inner.as_bytes();
    while i < bytes.len() {
        let (s, len) = if bytes[i] == b'\\' {
            let next = bytes.get(i + 1).copied().unwrap_or(b'\\');
            match next {
                b'n' => ("\n".to_string(), 2),
                b't' => ("\t".to_string(), 2),
                b'r' => ("\r".to_string(), 2),
                b'b' => ("\u{8}".to_string(), 2),
                b'f' => ("\u{c}".to_string(), 2),
                b'u' => {
                    let hex = inner.get(i + 2..i + 6).unwrap_or("");
                    let code = u32::from_str_radix(hex, 16).unwrap_or(0xFFFD);
                    // Surrogate pairs.
                    if (0xD800..0xDC00).contains(&code) && inner.get(i + 6..i + 8) == Some("\\u") {
                        let low = inner
                            .get(i + 8..i + 12)
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .unwrap_or(0);
                        let c = char::from_u32(
                            0x10000 + ((code - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF),
                        )
                        .unwrap_or('\u{FFFD}');
                        (c.to_string(), 12)
                    } else {
                        (char::from_u32(code).unwrap_or('\u{FFFD}').to_string(), 6)
                    }
                }
                other => ((other as char).to_string(), 2),
            }
        } else {
            let c = inner[i..].chars().next().unwrap_or('\u{FFFD}');
            (c.to_string(), c.len_utf8())
        };
        for _ in 0..s.len() {
            map.push(base + i);
        }
        out.push_str(&s);
        i += len;
    }
    map.push(base + inner.len());
    (out, map)
}

fn remap(node: Node, map: &[usize]) -> Node {
    let at = |i: u32| {
        map.get(i as usize)
            .copied()
            .or(map.last().copied())
            .unwrap_or(0)
    };
    let span = Span::new(node.span.file, at(node.span.start), at(node.span.end));
    let kind = match node.kind {
        NodeKind::Array(items) => {
            NodeKind::Array(items.into_iter().map(|n| remap(n, map)).collect())
        }
        NodeKind::Object(entries) => NodeKind::Object(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let ks = Span::new(k.span.file, at(k.span.start), at(k.span.end));
                    (Located::new(k.value, ks), remap(v, map))
                })
                .collect(),
        ),
        other => other,
    };
    Node::new(kind, span)
}

fn attachment(
    model: &mut FileModel,
    arn: &Node,
    address: &str,
    attached_to: Option<String>,
    what: &str,
) {
    let NodeKind::Str(s) = &arn.kind else { return };
    model.attachments.push(Attachment {
        policy_arn: Located::new(s.clone(), arn.span),
        origin: Origin {
            address: Some(address.to_string()),
            description: Some(format!("{what} of `{address}`")),
            attached_to,
            ..Origin::default()
        },
    });
}
