//! Terraform (`.tf`): finds every IAM policy of a file, in every form it is written in, and builds
//! it with spans into the `.tf` (or the JSON file it loads).
//!
//! - [`module`]: the file and its folder's other `.tf` files (variables, locals, documents), parsed once.
//! - [`resources`]: which resources hold policies, their kind and principal; attachments.
//! - [`eval`]: HCL expressions to span-keeping trees; unknown values stay unknown.
//! - [`embedded`]: JSON in heredocs, strings and template files, spans mapped back.
//! - [`policy`]: a policy attribute's value to a document, `aws_iam_policy_document` included.
//! - [`comments`]: `# iamlint: ignore[...]` comments and their scopes.

mod comments;
mod embedded;
mod eval;
pub mod module;
mod policy;
mod resources;
pub mod tfvars;

use crate::model::build::policy_from_node;
use crate::model::{Attachment, FileModel, Origin, PolicyKind, Problem, Scalar, Syntax, Unknown};
use crate::source::{FileId, Located, SourceMap, Span};
use crate::tree::{Node, NodeKind};
use crate::ParseError;

pub use module::clear_cache;
pub(crate) use resources::{identity_policy_attr, resource_policy_attr};

use eval::Eval;
use module::Module;
use policy::PolicyValue;
use resources::PrincipalRef;

/// Parses the main `.tf` file of `sources`.
pub fn parse_file(sources: &mut SourceMap) -> FileModel {
    parse_file_with(sources, &[])
}

/// Parses the main `.tf` file of `sources`, its folder's tfvars files and `vars` giving the
/// variables' values (it is linted as a root module).
pub fn parse_file_with(sources: &mut SourceMap, vars: &[tfvars::VarSetting]) -> FileModel {
    let mut model = FileModel {
        recognised: true,
        ..FileModel::default()
    };
    let module = {
        let main = sources.main();
        Module::load(&main.path, &main.text)
    };
    let body = match &module.main.body {
        Ok(body) => body,
        Err(e) => {
            let text = &module.main.text;
            let mut at = e.location().offset().min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let next = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            model.errors.push(ParseError::at(
                Span::new(FileId(0), at, next),
                format!("invalid HCL: {}", embedded::lower_first(e.message())),
            ));
            return model;
        }
    };
    model.suppressions = comments::suppressions(&module.main.text, Some(body), FileId(0));
    model.declared = resources::declared(body);
    let mut ev = Eval::new(&module, sources);
    tfvars::load(&mut ev, vars, &mut model.errors);
    let src = ev.src(0);

    for slot in resources::slots(body) {
        let attached_to = match &slot.managed_policy {
            Some(name) => module
                .policy_attached(name)
                .first()
                .map(|p| principal_key(&module, p)),
            None => slot.attached_to.as_ref().map(|p| principal_key(&module, p)),
        };
        let origin = Origin {
            address: Some(slot.address.clone()),
            description: Some(slot.description.clone()),
            attached_to,
            ..Origin::default()
        };
        let value = ev.policy(src, slot.expr, false);
        push_value(&mut model, value, slot.kind, slot.path, origin);
    }

    // Documents defined here: linted once per use in other files, or on their own.
    let mut docs: Vec<(&String, &usize)> = module.main.defs.data_docs.iter().collect();
    docs.sort_by_key(|(_, i)| **i);
    for (name, _) in docs {
        let foreign = module.foreign_doc_uses(name);
        for (key, u) in &foreign {
            let usrc = ev.src(*key);
            let via = Span::new(usrc.id, u.span.start, u.span.end);
            let attached_to = match &u.managed_policy {
                Some(p) => module
                    .policy_attached(p)
                    .first()
                    .map(|p| principal_key(&module, p)),
                None => u.attached_to.as_ref().map(|p| principal_key(&module, p)),
            };
            let origin = Origin {
                address: Some(u.address.clone()),
                description: Some(u.description.clone()),
                attached_to,
                via: Some(via),
                ..Origin::default()
            };
            if let Some(built) = ev.build_doc(0, name) {
                push_value(
                    &mut model,
                    PolicyValue::Doc {
                        node: built.node,
                        syntax: Syntax::HclPolicyDocument,
                        via: Some(via),
                        problems: built.problems,
                        unresolved: built.unresolved,
                    },
                    u.kind,
                    u.path.clone(),
                    origin,
                );
            }
        }
        let used_here = module.main.defs.doc_uses.iter().any(|u| &u.doc == name);
        let standalone = if used_here || !foreign.is_empty() {
            false
        } else {
            module.doc_referenced_elsewhere(name) || !module.doc_is_source(name)
        };
        if standalone {
            if let Some(built) = ev.build_doc(0, name) {
                let address = format!("data.aws_iam_policy_document.{name}");
                let origin = Origin {
                    address: Some(address.clone()),
                    description: Some(format!("policy document `{address}`")),
                    ..Origin::default()
                };
                push_value(
                    &mut model,
                    PolicyValue::Doc {
                        node: built.node,
                        syntax: Syntax::HclPolicyDocument,
                        via: None,
                        problems: built.problems,
                        unresolved: built.unresolved,
                    },
                    PolicyKind::Unknown,
                    address,
                    origin,
                );
            }
        }
    }

    for site in resources::attachments(body) {
        let attached_to = site.attached_to.as_ref().map(|p| principal_key(&module, p));
        let node = ev.eval(src, site.arns);
        let items = match node.kind {
            NodeKind::Array(items) => items,
            _ => vec![node],
        };
        for item in items {
            let NodeKind::Str(scalar) = item.kind else {
                continue;
            };
            model.attachments.push(Attachment {
                policy_arn: Located::new(scalar, item.span),
                origin: Origin {
                    address: Some(site.address.clone()),
                    description: Some(site.description.clone()),
                    attached_to: attached_to.clone(),
                    ..Origin::default()
                },
            });
        }
    }

    // Comments in the other files whose text the documents point into.
    let used: Vec<(usize, FileId)> = ev.used_files().collect();
    model.errors.append(&mut ev.errors);
    for (key, id) in used {
        let file = module.file(key);
        model
            .suppressions
            .extend(comments::suppressions(&file.text, file.body(), id));
    }
    model
}

/// The key documents and attachments of one principal share: `aws_iam_role.ci` when the module
/// defines it, else the name or expression as written.
fn principal_key(module: &Module, p: &PrincipalRef) -> String {
    match p {
        PrincipalRef::Address(a) => a.clone(),
        PrincipalRef::Literal(name) => module
            .principal_named(name)
            .map_or_else(|| name.clone(), str::to_string),
        PrincipalRef::Expr(e) => e.clone(),
    }
}

fn push_value(
    model: &mut FileModel,
    value: PolicyValue,
    kind: PolicyKind,
    path: String,
    mut origin: Origin,
) {
    match value {
        PolicyValue::Doc {
            node,
            syntax,
            via,
            problems,
            unresolved,
        } => {
            if origin.via.is_none() {
                origin.via = via;
            }
            push_doc(
                model, &node, kind, syntax, path, origin, problems, unresolved,
            );
        }
        PolicyValue::Unknown(node) => {
            let unknown = match node.kind {
                NodeKind::Str(Scalar::Unknown(u)) => u,
                _ => Unknown::new(path, "the policy could not be evaluated"),
            };
            model.unresolved.push(Located::new(unknown, node.span));
        }
        PolicyValue::Elsewhere | PolicyValue::Error => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn push_doc(
    model: &mut FileModel,
    node: &Node,
    kind: PolicyKind,
    syntax: Syntax,
    path: String,
    origin: Origin,
    problems: Vec<Problem>,
    unresolved: Vec<Located<Unknown>>,
) {
    let mut doc = policy_from_node(node, kind, syntax, path, origin);
    doc.problems.extend(problems);
    doc.unresolved.extend(unresolved);
    model.docs.push(doc);
}
