//! Module calls: `module "x" { source = "../../" ... }`. A local module is linted with the
//! caller's arguments, once per instance of the call; its documents carry the call chain, so a
//! finding inside the module names the caller's line. Remote sources are reported, not fetched.
//!
//! Which local sources are followed: a folder inside the repository root of the run
//! ([`crate::root`]: the nearest folder holding `.git` above the path named on the command line,
//! else that path), symlinks resolved, never one under `.terraform/` (downloaded copies).
//! Expansion stops at [`MAX_DEPTH`] nested calls and at a call back into a module being expanded
//! (`a → b → a`), and after [`MAX_EXPANSIONS`] module instances for one linted file, with an
//! `unresolved-reference` saying so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::structure::{Block, Body};
use hcl_edit::Span as _;

use super::eval::{Eval, Src};
use super::instances::Instances;
use super::module::Module;
use super::{lint_module, Scope};
use crate::model::{Attachment, FileModel, Origin, Scalar, Unknown, Via};
use crate::root::normalize;
use crate::source::Located;
use crate::tree::{Node, NodeKind};

/// How deep module calls nest before expansion stops (public module trees nest 3 or 4 deep).
pub const MAX_DEPTH: usize = 8;

/// How many module instances one linted file expands in all (nested ones included) before
/// iamlint stops expanding and says so.
pub const MAX_EXPANSIONS: usize = 512;

/// Arguments of a `module` block that are not the module's variables.
pub(super) const META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Lints every module call of a file's body.
pub(super) fn expand(
    model: &mut FileModel,
    ev: &mut Eval<'_>,
    src: Src<'_>,
    body: &Body,
    scope: &Scope,
) {
    for block in body.blocks() {
        if block.ident.as_str() != "module" {
            continue;
        }
        let [label] = block.labels.as_slice() else {
            continue;
        };
        call(model, ev, src, block, label.as_str(), scope);
    }
}

fn call(
    model: &mut FileModel,
    ev: &mut Eval<'_>,
    src: Src<'_>,
    block: &Block,
    name: &str,
    scope: &Scope,
) {
    let Some(source_attr) = block.body.get_attribute("source") else {
        return;
    };
    let source_span = Eval::span(src, source_attr.value.span());
    let unresolved = |why: String, model: &mut FileModel| {
        model.unresolved.push(Located::new(
            Unknown::new(format!("module \"{name}\""), why),
            source_span,
        ));
    };
    // Terraform requires a literal `source`.
    let Some(source) = source_attr.value.as_str() else {
        return unresolved("the module source is not a literal string".into(), model);
    };
    // A remote module is not fetched. Its outputs are unknown where they are used (and
    // reported there when they reach a policy); AWS managed policies passed to it are judged as
    // attachments to a principal iamlint cannot see.
    if !is_local(source) {
        return remote_managed_policies(model, ev, src, block, name, source, scope);
    }
    let Some(caller_dir) = ev.module.dir_path.clone() else {
        return unresolved(
            format!("module source `{source}` is relative to a folder this input has none of"),
            model,
        );
    };
    let dir = normalize(&caller_dir.join(source));
    let canonical_dir = canonical(&dir);
    // The path rule on the folder as written (each link judged where it lands).
    if !allowed(ev.sources.root(), &dir) {
        return unresolved(
            format!("module source `{source}` is outside the repository: not evaluated"),
            model,
        );
    }
    if let Some(at) = scope.stack.iter().position(|d| *d == canonical_dir) {
        let cycle: Vec<String> = scope.stack[at..]
            .iter()
            .chain([&canonical_dir])
            .map(|d| last_name(d))
            .collect();
        return unresolved(
            format!(
                "module call cycle {}: not expanded again",
                cycle.join(" → ")
            ),
            model,
        );
    }
    if scope.stack.len() > MAX_DEPTH {
        return unresolved(
            format!("module calls nest more than {MAX_DEPTH} deep: not expanded"),
            model,
        );
    }
    if !model.links.called.contains(&dir) {
        model.links.called.push(dir.clone());
    }
    let Some(module) = Module::load_dir(&dir) else {
        return unresolved(
            format!("module source `{source}` has no `.tf` files"),
            model,
        );
    };

    // Files of the module that are not linted: said once per call, at its `source`.
    for (path, why) in module.dir.iter().flat_map(|d| d.unread.iter()) {
        unresolved(format!("module file `{}`: {why}", last_name(path)), model);
    }
    for key in module.keys() {
        let file = module.file(key);
        if file.body.is_err() {
            unresolved(
                format!(
                    "module file `{}` is not valid HCL: not linted",
                    last_name(&file.path)
                ),
                model,
            );
        }
    }

    let head = Eval::span(src, block.ident.span());
    let head = block
        .labels
        .last()
        .map_or(head, |l| head.cover(Eval::span(src, l.span())));
    let base = format!("module.{name}");
    let instances = Instances::of(ev, src, block);
    for pass in instances.passes(&base) {
        if scope.expanded.get() >= MAX_EXPANSIONS {
            return unresolved(
                format!(
                    "more than {MAX_EXPANSIONS} module instances are expanded from this file: \
                     the rest are not"
                ),
                model,
            );
        }
        scope.expanded.set(scope.expanded.get() + 1);
        // The arguments, evaluated where they are written, with this instance's `each`/`count`.
        let inputs: HashMap<String, Node> = pass.with(ev, |ev| {
            block
                .body
                .attributes()
                .filter(|a| !META.contains(&a.key.as_str()))
                .map(|a| (a.key.as_str().to_string(), ev.eval(src, &a.value)))
                .collect()
        });
        // One label per call, listing the instances' keys (a call with `for_each` is one line).
        let mut via = vec![match &pass.key {
            Some(key) => Via {
                span: head,
                note: format!("in module `{name}` called here, instances"),
                key: Some(key.clone()),
            },
            None => Via::new(head, format!("in module `{name}` called here")),
        }];
        via.extend(scope.via.iter().cloned());
        let mut stack = scope.stack.clone();
        stack.push(canonical_dir.clone());
        let inner = Scope {
            prefix: format!("{}.", scope.scoped(pass.address(&base))),
            via,
            stack,
            expanded: scope.expanded.clone(),
        };
        let mut child = Eval::detached(
            &module,
            &mut *ev.sources,
            ev.budget.clone(),
            ev.texts.clone(),
        );
        child.inputs = inputs;
        child.root_dir = ev.root_dir.clone();
        lint_module(model, &mut child, &inner, true);
    }
    if let Some(u) = instances.unresolved() {
        model.unresolved.push(u.clone());
    }
}

/// `./x`, `../x`: a folder next to the caller. Everything else (registry addresses, `git::`,
/// `github.com/...`, `s3::`, URLs) is fetched by `terraform init`.
/// Every AWS managed policy ARN (`arn:aws:iam::aws:policy/...`, the partition possibly unknown)
/// among the arguments of a call to a module iamlint cannot read: an attachment of a principal it
/// does not see, so that `AdministratorAccess` handed to a registry module is judged, and a
/// misspelt name reported. An argument whose name says `boundary` is a permissions boundary.
fn remote_managed_policies(
    model: &mut FileModel,
    ev: &mut Eval<'_>,
    src: Src<'_>,
    block: &Block,
    name: &str,
    source: &str,
    scope: &Scope,
) {
    for attr in block.body.attributes() {
        let key = attr.key.as_str();
        if META.contains(&key) {
            continue;
        }
        let value = ev.eval(src, &attr.value);
        let mut arns = Vec::new();
        managed_policy_arns(&value, &mut arns, 0);
        for arn in arns {
            let description = if key.contains("boundary") {
                format!("permissions boundary `{key}` of module `{name}` (`{source}`, not read)")
            } else {
                format!("argument `{key}` of module `{name}` (`{source}`, not read)")
            };
            model.attachments.push(Attachment {
                policy_arn: arn,
                origin: Origin {
                    address: Some(scope.scoped(format!("module.{name}"))),
                    description: Some(description),
                    via: scope.via.clone(),
                    ..Origin::default()
                },
            });
        }
    }
}

/// String leaves of `node` written as AWS managed policy ARNs.
fn managed_policy_arns(node: &Node, out: &mut Vec<Located<Scalar>>, depth: usize) {
    if depth > 32 {
        return;
    }
    match &node.kind {
        NodeKind::Str(scalar) => {
            let text = match scalar {
                Scalar::Str(s) => s.clone(),
                Scalar::Template(t) => t.with_holes("${?}"),
                _ => return,
            };
            let text = text.trim();
            if text.starts_with("arn:") && text.contains(":iam::aws:policy/") {
                out.push(Located::new(scalar.clone(), node.span));
            }
        }
        NodeKind::Array(items) => {
            for item in items {
                managed_policy_arns(item, out, depth + 1);
            }
        }
        NodeKind::Object(entries) => {
            for (_, v) in entries {
                managed_policy_arns(v, out, depth + 1);
            }
        }
        _ => {}
    }
}

pub(super) fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// The folder with symbolic links resolved (for comparisons), or as given when it does not exist.
pub fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| normalize(dir))
}

/// True when a module folder (as written, `.` and `..` taken) may be followed: inside the
/// repository root of the run by the path rule ([`crate::root::contains`]), and never under
/// `.terraform/`, as written or with links resolved.
pub(super) fn allowed(root: &Path, dir: &Path) -> bool {
    let terraform = |p: &Path| p.components().any(|c| c.as_os_str() == ".terraform");
    if terraform(dir) || terraform(&canonical(dir)) {
        return false;
    }
    crate::root::contains(root, dir)
}

/// The last name of a path, for messages: a module's folder in a cycle, a module's file (its
/// folder is the call's `source`).
fn last_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
