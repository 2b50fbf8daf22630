//! CloudFormation and SAM templates, in YAML or JSON.
//!
//! The template is read into a [`Node`] tree (YAML short-form tags become the long form, so both
//! syntaxes look alike), each resource that carries a policy has its `Properties` evaluated (see
//! [`intrinsics`]), and the policies are built with [`policy_from_node`].
//!
//! **`Fn::If`: both branches.** A resource whose properties use `Fn::If` is evaluated once per
//! assignment of its conditions (`IsProd` true, then false; up to four conditions, 16 variants).
//! Every distinct document is linted; documents that come out the same in several variants are
//! kept once, and a document that differs between variants says which one it is in its
//! description ("... when `IsProd` is false"). Findings on text shared by the variants point at the
//! same span and are reported once. Conditions past the fourth take their `true` branch, and an
//! `unresolved-reference` says so.
//!
//! **`AWS::IAM::Policy` / `ManagedPolicy` attached to several principals.** The document is added
//! once per principal named in `Roles`/`Users`/`Groups` (`!Ref CiRole` → `Resources.CiRole`, a
//! literal name → `role/name`), so rules that combine the policies of one principal see all of
//! them; identical findings on the shared spans are reported once.
//!
//! **Documents written as JSON strings** (`PolicyDocument: !Sub |` and the like, which
//! CloudFormation accepts) are parsed, with `${...}` placeholders as unknown values (see
//! [`json_string`]).
//!
//! **Bounded evaluation.** `Fn::Sub` nests at most [`intrinsics::MAX_SUB_NESTING`] deep, and the
//! intrinsic functions of one file produce at most [`intrinsics::MAX_EVAL_BYTES`] of text over all
//! its resources and `Fn::If` variants; past either bound the value is unknown, with a reason that
//! names the bound (reported by `unresolved-reference`), and the file's other values are linted.

pub mod intrinsics;
mod json_string;
pub mod names;
mod resources;
mod sam;
mod suppressions;
mod written;
pub mod yaml;

use std::collections::HashMap;

use crate::frontend::json::{classify, JsonContent};
use crate::model::build::policy_from_node;
use crate::model::{Attachment, FileModel, Origin, PolicyKind, Syntax, Unknown};
use crate::source::{FileId, Located, ParseError, SourceMap};
use crate::tree::Node;

use intrinsics::{conditions_used, Eval, Scope};

/// Conditions enumerated per resource (2^4 = 16 evaluations at most).
const MAX_CONDITIONS: usize = 4;

/// A `.yaml`/`.yml` file (or a `.template` that looks like YAML).
pub fn parse_yaml(sources: &SourceMap) -> FileModel {
    let text = &sources.main().text;
    let mut model = FileModel::default();
    match yaml::parse(text, FileId(0)) {
        Err(e) => {
            model.recognised = looks_like_template_text(text);
            model.errors.push(e);
        }
        Ok(file) => match &file.root {
            Some(root) if is_template(root) => {
                model.recognised = true;
                model
                    .suppressions
                    .extend(suppressions::comments(text, &file, FileId(0)));
                read_template(root, text, Syntax::Yaml, &mut model);
            }
            _ => {
                model.recognised = false;
                model.errors.push(ParseError::whole(
                    FileId(0),
                    "not a CloudFormation template: expected `AWSTemplateFormatVersion` or `Resources` with typed resources",
                ));
            }
        },
    }
    model
}

/// A JSON template, already parsed and classified by the JSON frontend.
pub fn from_json(root: &Node, text: &str, model: &mut FileModel) {
    model.recognised = true;
    read_template(root, text, Syntax::Json, model);
}

/// True for a mapping that CloudFormation would read as a template.
pub fn is_template(root: &Node) -> bool {
    classify(root) == JsonContent::CloudFormation
}

fn looks_like_template_text(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion")
        || (text.contains("Resources") && text.contains("AWS::"))
}

/// What one evaluation of a resource produced.
#[derive(Debug)]
enum Found {
    Doc {
        kind: PolicyKind,
        path: String,
        origin: Origin,
        node: Node,
    },
    Attachment(Attachment),
    Unresolved(Located<Unknown>),
}

/// Collects what a resource yields under one assignment of conditions.
struct Extract<'e, 's, 'a> {
    eval: &'e Eval<'s, 'a>,
    id: &'e str,
    ty: &'e str,
    /// The resource's properties as written (before evaluation).
    raw: &'e Node,
    out: Vec<Found>,
}

fn read_template(root: &Node, text: &str, syntax: Syntax, model: &mut FileModel) {
    let scope = Scope::new(root, text);
    let Some(resources) = root.get("Resources") else {
        return;
    };
    for (id, res) in resources.entries() {
        if let Some(s) = suppressions::metadata(id, res) {
            model.suppressions.push(s);
        }
        let Some(ty) = res.get("Type").and_then(Node::as_str) else {
            continue;
        };
        model.declared.push(crate::model::Declared {
            kind: ty.to_string(),
            name: id.value.clone(),
        });
        let Some(props) = res.get("Properties") else {
            continue;
        };
        resources::links(&scope, &id.value, ty, props, &mut model.links);
        if !resources::holds_policy(ty, props) {
            continue;
        }
        read_resource(&scope, &id.value, id.span, ty, props, syntax, model);
    }
}

fn read_resource(
    scope: &Scope,
    id: &str,
    id_span: crate::Span,
    ty: &str,
    props: &Node,
    syntax: Syntax,
    model: &mut FileModel,
) {
    let mut names = Vec::new();
    conditions_used(props, &mut names);
    for extra in names.iter().skip(MAX_CONDITIONS) {
        model.unresolved.push(Located::new(
            Unknown::new(
                format!("Fn::If {extra}"),
                format!("only the true branch was linted (more than {MAX_CONDITIONS} conditions in one resource)"),
            ),
            id_span,
        ));
    }
    names.truncate(MAX_CONDITIONS);
    let variants = 1usize << names.len();
    // (path, node, variant) of every distinct document, in order.
    let mut docs: Vec<(PolicyKind, String, Origin, Node, usize)> = Vec::new();
    let mut attachments: Vec<Attachment> = Vec::new();
    let mut unresolved: Vec<Located<Unknown>> = Vec::new();
    for variant in 0..variants {
        let conditions: HashMap<String, bool> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), variant & (1 << i) == 0))
            .collect();
        let eval = Eval {
            scope,
            conditions: &conditions,
            locals: HashMap::new(),
        };
        let Some(evaluated) = eval.eval(props) else {
            continue;
        };
        let mut cx = Extract {
            eval: &eval,
            id,
            ty,
            raw: props,
            out: Vec::new(),
        };
        resources::extract(&mut cx, &evaluated, props);
        for found in cx.out {
            match found {
                Found::Doc {
                    kind,
                    path,
                    origin,
                    node,
                } => {
                    let same = docs
                        .iter()
                        .any(|(_, p, o, n, _)| *p == path && *n == node && *o == origin);
                    if !same {
                        docs.push((kind, path, origin, node, variant));
                    }
                }
                Found::Attachment(a) => {
                    if !attachments.iter().any(|b| {
                        b.policy_arn == a.policy_arn && b.origin.description == a.origin.description
                    }) {
                        attachments.push(a);
                    }
                }
                Found::Unresolved(u) => {
                    if !unresolved.contains(&u) {
                        unresolved.push(u);
                    }
                }
            }
        }
    }
    for (i, (kind, path, mut origin, node, variant)) in docs.iter().cloned().enumerate() {
        let differs = docs.iter().enumerate().any(|(j, (_, p, o, _, _))| {
            j != i && *p == path && o.attached_to == origin.attached_to
        });
        if differs {
            let when: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(b, name)| format!("`{name}` is {}", variant & (1 << b) == 0))
                .collect();
            if let Some(d) = origin.description.as_mut() {
                d.push_str(&format!(" when {}", when.join(" and ")));
            }
        }
        model
            .docs
            .push(policy_from_node(&node, kind, syntax, path, origin));
    }
    for a in attachments {
        for u in a.policy_arn.value.unknowns() {
            model
                .unresolved
                .push(Located::new(u.clone(), a.policy_arn.span));
        }
        model.attachments.push(a);
    }
    model.unresolved.extend(unresolved);
}
