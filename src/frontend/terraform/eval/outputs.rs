//! `module.NAME.OUTPUT`: the `output "OUTPUT"` of a local module, evaluated in that module's scope
//! with the arguments of the call (evaluated where the caller wrote them), once per call and
//! output. The value takes the span of the reference, so findings stay in the caller's file.
//! A remote module, a call with `count` or `for_each`, or one nested too deep gives an unknown
//! naming the output and the reason.

use std::collections::HashMap;

use hcl_edit::expr::{Traversal, TraversalOperator};
use hcl_edit::structure::Block;

use super::super::calls::{self, allowed, is_local, META};
use super::super::embedded::respan;
use super::super::module::{FileKey, Module};
use super::{unknown, Eval, Src};
use crate::root::normalize;
use crate::source::Span;
use crate::tree::Node;

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
        let (Some(TraversalOperator::GetAttr(call)), Some(TraversalOperator::GetAttr(output))) =
            (ops.first(), ops.get(1))
        else {
            return unknown(
                whole,
                "module outputs are evaluated only as `module.NAME.OUTPUT`",
                span,
            );
        };
        let (call, output) = (call.as_str().to_string(), output.as_str().to_string());
        let node = match self.outputs.get(&(call.clone(), output.clone())) {
            Some(node) => {
                let node = node.clone();
                self.copied(&node, &whole, span)
            }
            None => {
                let node = self.evaluate_output(&call, &output, &whole, span);
                self.outputs.insert((call, output), node.clone());
                node
            }
        };
        let node = respan(node, span);
        self.apply_ops(src, node, &t.operators[2..], whole, span)
    }

    fn evaluate_output(&mut self, call: &str, output: &str, whole: &str, span: Span) -> Node {
        let module: &'m Module = self.module;
        let named = format!("module.{call}.{output}");
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
        if block.body.get_attribute("count").is_some()
            || block.body.get_attribute("for_each").is_some()
        {
            return unknown(
                named,
                format!("module `{call}` has `count` or `for_each`: its outputs are not evaluated"),
                span,
            );
        }
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
        let inputs: HashMap<String, Node> = block
            .body
            .attributes()
            .filter(|a| !META.contains(&a.key.as_str()))
            .map(|a| (a.key.as_str().to_string(), self.eval(csrc, &a.value)))
            .collect();
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
