//! Terraform (`.tf`): finds every IAM policy of a file, in every form it is written in, and builds
//! it with spans into the `.tf` (or the JSON file it loads).
//!
//! - [`module`]: the file and its folder's other `.tf` files (variables, locals, documents), parsed once.
//! - [`resources`]: which resources hold policies, their kind and principal; attachments.
//! - [`eval`]: HCL expressions to span-keeping trees; unknown values stay unknown.
//! - [`embedded`]: JSON in heredocs, strings and template files, spans mapped back.
//! - [`policy`]: a policy attribute's value to a document, `aws_iam_policy_document` included.
//! - [`comments`]: `# iamlint: ignore[...]` comments and their scopes.

mod calls;
mod comments;
mod embedded;
mod eval;
pub(crate) mod hcl;
mod instances;
pub mod module;
mod permissions;
mod policy;
mod resources;
pub mod tfvars;

use crate::model::build::policy_from_node;
use crate::model::{
    Attachment, FileModel, Origin, PolicyKind, Problem, Scalar, Syntax, Unknown, Via,
};
use crate::source::{FileId, Located, ParseError, SourceMap, Span};
use crate::tree::{Node, NodeKind};

pub use eval::MAX_FILESET_ENTRIES;
pub use module::clear_cache;
pub(crate) use resources::{identity_policy_attr, resource_policy_attr};

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;

use hcl_edit::structure::Body;

use eval::{Eval, Src};
use instances::{Instances, Pass};
use module::{FileKey, Module};
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
    // The folder itself heads the call stack (a module calling `./` is a cycle); resolved only
    // when the file calls a module, as it costs a walk of the file system.
    let calls_modules = body.blocks().any(|b| b.ident.as_str() == "module");
    let scope = Scope {
        stack: module
            .dir_path
            .iter()
            .filter(|_| calls_modules)
            .map(|d| calls::canonical(d))
            .collect(),
        ..Scope::default()
    };
    lint_module(&mut model, &mut ev, &scope, false);
    model
}

/// The module instance whose files are being linted: where it was called from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    /// Address prefix: `module.ci.` (empty at the root).
    prefix: String,
    /// The module calls that led here, innermost first.
    via: Vec<Via>,
    /// Module folders being expanded, outermost first: for cycles and the depth cap.
    stack: Vec<PathBuf>,
    /// Module instances expanded so far for this file, shared by every scope of the run: depth
    /// and instance caps alone still allow 256 instances at each of 8 levels.
    expanded: Rc<Cell<usize>>,
}

impl Scope {
    /// An address or principal key inside this module instance: `aws_iam_role.this` of two
    /// instances of a module are two roles.
    fn scoped(&self, key: String) -> String {
        if self.prefix.is_empty() {
            key
        } else {
            format!("{}{key}", self.prefix)
        }
    }
}

/// Lints the policies of a module: the main file only (`whole` false: the other files of its folder
/// are linted on their own runs), or every file (a module reached through a call).
fn lint_module(model: &mut FileModel, ev: &mut Eval<'_>, scope: &Scope, whole: bool) {
    let module: &Module = ev.module;
    let keys = if whole { module.keys() } else { vec![0] };
    for &key in &keys {
        let Some(body) = module.file(key).body() else {
            continue;
        };
        let src = ev.src(key);
        lint_slots(model, ev, src, body, scope, whole);
        permissions::lint(model, ev, src, body, scope);
        lint_attachments(model, ev, src, body, scope);
        read_links(model, module, body, scope);
        calls::expand(model, ev, src, body, scope);
    }
    // The folder's provider blocks (often in `providers.tf`) name the accounts every file of it
    // deploys to: a linted main file knows them too.
    if !whole {
        for key in module.keys().into_iter().filter(|&k| k != 0) {
            if let Some(body) = module.file(key).body() {
                let own = resources::links(body).own_accounts;
                model.links.own_accounts.extend(own);
            }
        }
        model.links.own_accounts.sort();
        model.links.own_accounts.dedup();
    }
    // Documents last: one whose JSON text a policy attribute took (here, or in a module called
    // above) is linted there, not again on its own.
    for &key in &keys {
        if whole {
            lint_standalone_docs(model, ev, key, scope);
        } else {
            lint_main_docs(model, ev, scope);
        }
    }

    // Comments in the other files whose text the documents point into.
    let mut used: Vec<(usize, FileId)> = ev.used_files().collect();
    if whole {
        // Key 0 is a module file here, not the file named on the command line.
        used.push((0, ev.src(0).id));
    }
    model.errors.append(&mut ev.errors);
    model.unresolved.append(&mut ev.notes);
    for (key, id) in used {
        let file = module.file(key);
        model
            .suppressions
            .extend(comments::suppressions(&file.text, file.body(), id));
    }
}

/// The module's `via` steps below an instance's own (instance first, then the calls).
fn chain(pass: &Pass, scope: &Scope) -> Vec<Via> {
    pass.via
        .iter()
        .cloned()
        .chain(scope.via.iter().cloned())
        .collect()
}

/// Every policy attribute of a file's resources, once per instance.
fn lint_slots(
    model: &mut FileModel,
    ev: &mut Eval<'_>,
    src: Src<'_>,
    body: &Body,
    scope: &Scope,
    whole: bool,
) {
    let module: &Module = ev.module;
    for slot in resources::slots(body) {
        let attached_to = attached_key(
            module,
            slot.managed_policy.as_deref(),
            slot.attached_to.as_ref(),
            scope,
        );
        let instances = Instances::of(ev, src, slot.block);
        for pass in instances.passes(&slot.address) {
            let address = scope.scoped(pass.address(&slot.address));
            let rest = slot.path.get(slot.address.len()..).unwrap_or_default();
            let origin = Origin {
                address: Some(address.clone()),
                description: Some(slot.description.clone()),
                attached_to: attached_to.clone(),
                via: chain(&pass, scope),
                in_vpc: slot.in_vpc,
                ..Origin::default()
            };
            let value = pass.with(ev, |ev| ev.policy(src, slot.expr, whole));
            push_value(
                model,
                value,
                slot.kind,
                format!("{address}{rest}"),
                origin,
                instances.unresolved(),
            );
        }
    }
}

/// The documents the main file defines: linted once per use in other files, or on their own.
fn lint_main_docs(model: &mut FileModel, ev: &mut Eval<'_>, scope: &Scope) {
    let module: &Module = ev.module;
    let mut docs: Vec<(&String, &usize)> = module.main.defs.data_docs.iter().collect();
    docs.sort_by_key(|(_, i)| **i);
    for (name, _) in docs {
        let foreign = module.foreign_doc_uses(name);
        for (key, u) in &foreign {
            let usrc = ev.src(*key);
            let via = Span::new(usrc.id, u.span.start, u.span.end);
            let attached_to = attached_key(
                module,
                u.managed_policy.as_deref(),
                u.attached_to.as_ref(),
                scope,
            );
            let mut chain = vec![Via::new(via, format!("used by `{}` here", u.address))];
            chain.extend(scope.via.iter().cloned());
            let origin = Origin {
                address: Some(u.address.clone()),
                description: Some(u.description.clone()),
                attached_to,
                via: chain,
                in_vpc: u.in_vpc,
                ..Origin::default()
            };
            if let Some(built) = ev.build_doc(0, name) {
                push_built(model, built, u.kind, u.path.clone(), origin, None);
            }
        }
        if module.doc_stands_alone(name) && !ev.doc_text_used(0, name) {
            lint_doc_alone(model, ev, 0, name, scope);
        }
    }
}

/// In a module reached through a call, every file's documents that no policy attribute uses.
fn lint_standalone_docs(model: &mut FileModel, ev: &mut Eval<'_>, key: FileKey, scope: &Scope) {
    let module: &Module = ev.module;
    let file = module.file(key);
    let mut docs: Vec<(&String, &usize)> = file.defs.data_docs.iter().collect();
    docs.sort_by_key(|(_, i)| **i);
    for (name, _) in docs {
        if module.doc_stands_alone(name) && !ev.doc_text_used(key, name) {
            lint_doc_alone(model, ev, key, name, scope);
        }
    }
}

/// `data "aws_iam_policy_document" name` on its own, once per instance.
fn lint_doc_alone(
    model: &mut FileModel,
    ev: &mut Eval<'_>,
    key: FileKey,
    name: &str,
    scope: &Scope,
) {
    let module: &Module = ev.module;
    let Some((_, block)) = module.data_doc_in(key, name) else {
        return;
    };
    let src = ev.src(key);
    let base = format!("data.aws_iam_policy_document.{name}");
    let instances = Instances::of(ev, src, block);
    for pass in instances.passes(&base) {
        let address = scope.scoped(pass.address(&base));
        let origin = Origin {
            address: Some(address.clone()),
            description: Some(format!("policy document `{address}`")),
            via: chain(&pass, scope),
            ..Origin::default()
        };
        let built = pass.with(ev, |ev| ev.build_doc(key, name));
        if let Some(built) = built {
            push_built(
                model,
                built,
                PolicyKind::Unknown,
                address,
                origin,
                instances.unresolved(),
            );
        }
    }
}

fn lint_attachments(
    model: &mut FileModel,
    ev: &mut Eval<'_>,
    src: Src<'_>,
    body: &Body,
    scope: &Scope,
) {
    let module: &Module = ev.module;
    for site in resources::attachments(body) {
        let attached_to = site
            .attached_to
            .as_ref()
            .map(|p| scope.scoped(principal_key(module, p)));
        let instances = Instances::of(ev, src, site.block);
        for pass in instances.passes(&site.address) {
            let node = pass.with(ev, |ev| ev.eval(src, site.arns));
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
                        address: Some(scope.scoped(pass.address(&site.address))),
                        description: Some(site.description.clone()),
                        attached_to: attached_to.clone(),
                        via: chain(&pass, scope),
                        ..Origin::default()
                    },
                });
            }
        }
    }
}

/// The file's `moved {}` blocks, group memberships and instance profiles, keyed in this module
/// instance as its documents' principals are, and its provider's own accounts.
fn read_links(model: &mut FileModel, module: &Module, body: &Body, scope: &Scope) {
    let sites = resources::links(body);
    let key = |p: &PrincipalRef| scope.scoped(principal_key(module, p));
    let links = &mut model.links;
    for (from, to) in sites.moved {
        links.moved.push((scope.scoped(from), scope.scoped(to)));
    }
    for (user, group) in &sites.memberships {
        links.memberships.push((key(user), key(group)));
    }
    for (profile, role) in &sites.profiles {
        links
            .profiles
            .push((scope.scoped(profile.clone()), key(role)));
    }
    links.own_accounts.extend(sites.own_accounts);
}

/// The principal a policy slot belongs to, keyed within this module instance: for an
/// `aws_iam_policy` (`managed_policy`), the first principal an attachment gives it; else the
/// principal the slot names itself.
fn attached_key(
    module: &Module,
    managed_policy: Option<&str>,
    attached_to: Option<&PrincipalRef>,
    scope: &Scope,
) -> Option<String> {
    match managed_policy {
        Some(name) => module
            .policy_attached(name)
            .first()
            .map(|p| principal_key(module, p)),
        None => attached_to.map(|p| principal_key(module, p)),
    }
    .map(|k| scope.scoped(k))
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

/// Adds what a policy attribute holds to the model; `extra` is why its instances are unknown.
fn push_value(
    model: &mut FileModel,
    value: PolicyValue,
    kind: PolicyKind,
    path: String,
    mut origin: Origin,
    extra: Option<&Located<Unknown>>,
) {
    match value {
        // A document that is wholly unknown (its object could not be built) is not linted.
        PolicyValue::Doc { node, .. } if matches!(node.kind, NodeKind::Str(Scalar::Unknown(_))) => {
            push_value(model, PolicyValue::Unknown(node), kind, path, origin, extra);
        }
        PolicyValue::Doc {
            node,
            syntax,
            via,
            problems,
            mut unresolved,
        } => {
            // Innermost first: the `file()` call, then the instance and module calls.
            origin.via.splice(0..0, via);
            unresolved.extend(extra.cloned());
            push_doc(
                model, &node, kind, syntax, path, origin, problems, unresolved,
            );
        }
        PolicyValue::Unknown(node) => {
            let unknown = match node.kind {
                NodeKind::Str(Scalar::Unknown(u)) => *u,
                _ => Unknown::new(path, "the policy could not be evaluated"),
            };
            model.unresolved.push(Located::new(unknown, node.span));
        }
        PolicyValue::Elsewhere | PolicyValue::Error | PolicyValue::Absent => {}
    }
}

/// A built document, linted unless it is a placeholder ([`policy::built_value`] gives nothing then).
fn push_built(
    model: &mut FileModel,
    built: eval::BuiltDoc,
    kind: PolicyKind,
    path: String,
    origin: Origin,
    extra: Option<&Located<Unknown>>,
) {
    push_value(model, policy::built_value(built), kind, path, origin, extra);
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
