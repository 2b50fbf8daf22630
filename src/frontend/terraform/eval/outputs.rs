//! `module.NAME.OUTPUT`: the `output "OUTPUT"` of a local module, evaluated in that module's scope
//! with the arguments of the call (evaluated where the caller wrote them), once per call and
//! output. The value takes the span of the reference, so findings stay in the caller's file.
//! `module.NAME[KEY].OUTPUT` of a call with `count` or `for_each` is the output of that instance
//! (the call's arguments evaluated with its `count.index` or `each` bound), when the instances are
//! known and one has that key. A remote module, a call with `count` or `for_each` named without a
//! key, or one nested too deep gives an unknown naming the output and the reason.

use std::collections::HashMap;

use hcl_edit::expr::{Traversal, TraversalOperator};
use hcl_edit::structure::Block;

use super::super::calls::{self, allowed, is_local, META};
use super::super::embedded::respan;
use super::super::instances::Instances;
use super::super::module::{FileKey, Module};
use super::{unknown, Eval, Src};
use crate::model::Scalar;
use crate::root::normalize;
use crate::source::Span;
use crate::tree::{Node, NodeKind};

/// A top-level block `kind "name"` of any file of `module`.
fn find_block<'a>(module: &'a Module, kind: &str, name: &str) -> Option<(FileKey, &'a Block)> {
    module.keys().into_iter().find_map(|key| {
        let body = module.file(key).body()?;
        body.blocks()
            .find(|b| {
                b.ident.as_str() == kind && matches!(b.labels.as_slice(), [l] if l.as_str() == name)
            })
            .map(|b| (key, b))
    })
}

impl<'m> Eval<'m> {
    pub(super) fn module_output(
        &mut self,
        src: Src<'_>,
        t: &Traversal,
        whole: String,
        span: Span,
    ) -> Node {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        // `module.NAME.OUTPUT`, or `module.NAME[KEY].OUTPUT` of a call with `count`/`for_each`.
        let (call, instance, output, rest) = match ops.as_slice() {
            [TraversalOperator::GetAttr(call), TraversalOperator::GetAttr(output), ..] => {
                (call, None, output, 2)
            }
            [TraversalOperator::GetAttr(call), key @ (TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)), TraversalOperator::GetAttr(output), ..] => {
                (call, Some(self.instance_key(src, key)), output, 3)
            }
            _ => {
                return unknown(
                    whole,
                    "module outputs are evaluated only as `module.NAME.OUTPUT` or `module.NAME[KEY].OUTPUT`",
                    span,
                )
            }
        };
        let (call, output) = (call.as_str().to_string(), output.as_str().to_string());
        let cache_key = match &instance {
            Some(Some(k)) => format!("{call}[{k}]"),
            Some(None) => format!("{call}[?]"),
            None => call.clone(),
        };
        let node = match self.outputs.get(&(cache_key.clone(), output.clone())) {
            Some(node) => {
                let node = node.clone();
                self.copied(&node, &whole, span)
            }
            None => {
                let node = self.evaluate_output(&call, instance.as_ref(), &output, &whole, span);
                self.outputs.insert((cache_key, output), node.clone());
                node
            }
        };
        let node = respan(node, span);
        self.apply_ops(src, node, &t.operators[rest..], whole, span)
    }

    /// An instance key as Terraform writes it in an address (`0`, `"a"`), when the index is known.
    fn instance_key(&mut self, src: Src<'_>, op: &TraversalOperator) -> Option<String> {
        match op {
            TraversalOperator::LegacyIndex(n) => Some(n.value().to_string()),
            TraversalOperator::Index(e) => {
                let key = self.eval(src, e);
                match &key.kind {
                    NodeKind::Number(n) => n.parse::<usize>().ok().map(|i| i.to_string()),
                    NodeKind::Str(Scalar::Str(s)) => serde_json::to_string(s).ok(),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn evaluate_output(
        &mut self,
        call: &str,
        instance: Option<&Option<String>>,
        output: &str,
        whole: &str,
        span: Span,
    ) -> Node {
        let module: &'m Module = self.module;
        let named = match instance {
            Some(Some(k)) => format!("module.{call}[{k}].{output}"),
            Some(None) => format!("module.{call}[?].{output}"),
            None => format!("module.{call}.{output}"),
        };
        let Some((key, block)) = find_block(module, "module", call) else {
            return self.error(
                whole,
                format!("no `module \"{call}\"` in this module"),
                span,
            );
        };
        let Some(source) = block
            .body
            .get_attribute("source")
            .and_then(|a| a.value.as_str())
        else {
            return unknown(named, "the module source is not a literal string", span);
        };
        if !is_local(source) {
            return unknown(
                named,
                format!("module `{call}` has a remote source (`{source}`): its outputs are not evaluated"),
                span,
            );
        }
        // The instance's `count`/`for_each` binding, for the call's arguments.
        let counted = block.body.get_attribute("count").is_some()
            || block.body.get_attribute("for_each").is_some();
        let pass = match (counted, instance) {
            (false, None) => None,
            (false, Some(_)) => {
                return self.error(
                    named,
                    format!("module `{call}` has no `count` or `for_each`: it has no instances"),
                    span,
                )
            }
            (true, None) => {
                return unknown(
                    named,
                    format!("module `{call}` has `count` or `for_each`: name an instance (`module.{call}[0].{output}`)"),
                    span,
                )
            }
            (true, Some(None)) => {
                return unknown(
                    named,
                    format!("the instance key of module `{call}` is not known"),
                    span,
                )
            }
            (true, Some(Some(k))) => {
                let csrc = self.src(key);
                let instances = Instances::of(self, csrc, block);
                if let Some(u) = instances.unresolved() {
                    let reason = format!("module `{call}` has instances iamlint cannot list ({})", u.value.reason);
                    return unknown(named, reason, span);
                }
                match instances
                    .passes(&format!("module.{call}"))
                    .into_iter()
                    .find(|p| p.key.as_deref() == Some(k.as_str()))
                {
                    Some(pass) => Some(pass),
                    None => {
                        return unknown(
                            named,
                            format!("module `{call}` has no instance `{k}` at these values"),
                            span,
                        )
                    }
                }
            }
        };
        if self.module_depth >= calls::MAX_DEPTH {
            return unknown(
                named,
                format!(
                    "module outputs nest more than {} deep: not evaluated",
                    calls::MAX_DEPTH
                ),
                span,
            );
        }
        let Some(caller_dir) = module.dir_path.clone() else {
            return unknown(named, "the module's folder is not known", span);
        };
        let dir = normalize(&caller_dir.join(source));
        // The run's repository root, as for the call itself (`calls::call`).
        if !allowed(self.sources.root(), &dir) {
            return unknown(
                named,
                format!("module source `{source}` is outside the repository: not evaluated"),
                span,
            );
        }
        let Some(child_module) = Module::load_dir(&dir) else {
            return unknown(
                named,
                format!("module source `{source}` has no `.tf` files"),
                span,
            );
        };
        let Some((okey, oblock)) = find_block(&child_module, "output", output) else {
            return self.error(
                named,
                format!("module `{call}` has no output `{output}`"),
                span,
            );
        };
        let Some(value) = oblock.body.get_attribute("value") else {
            return unknown(named, format!("output `{output}` has no `value`"), span);
        };
        // The call's arguments, in the caller's top-level scope.
        let csrc = self.src(key);
        let saved = std::mem::take(&mut self.bindings);
        let read_inputs = |ev: &mut Eval<'_>| -> HashMap<String, Node> {
            block
                .body
                .attributes()
                .filter(|a| !META.contains(&a.key.as_str()))
                .map(|a| (a.key.as_str().to_string(), ev.eval(csrc, &a.value)))
                .collect()
        };
        let inputs = match &pass {
            Some(pass) => pass.with(self, read_inputs),
            None => read_inputs(self),
        };
        self.bindings = saved;
        let mut child = Eval::detached(
            &child_module,
            &mut *self.sources,
            self.budget.clone(),
            self.texts.clone(),
        );
        child.inputs = inputs;
        child.root_dir = self.root_dir.clone();
        child.module_depth = self.module_depth + 1;
        let osrc = child.src(okey);
        child.eval(osrc, &value.value)
    }
}
