//! Evaluating HCL expressions into span-keeping [`Node`] trees: literals, variables (inputs from
//! outside the module, then defaults), locals, references to resources and data sources, string
//! templates, operators, conditionals, `for` expressions, splats and Terraform's common functions.
//! Whatever cannot be evaluated becomes [`Scalar::Unknown`] with the expression as written and the
//! reason, never `*`.
//!
//! Evaluation is bounded: expressions nest at most [`MAX_DEPTH`] deep, a built collection holds at
//! most [`MAX_ITEMS`] elements, a string at most [`MAX_STRING`] bytes, and one run (a linted file
//! with every module instance it expands, sharing one [`Budget`]) takes at most [`MAX_STEPS`]
//! steps and produces at most [`MAX_BYTES`] bytes of strings. Steps and bytes are counted rather
//! than time measured, so the same input always gives the same result. Past a bound the value is
//! unknown, its reason naming the bound.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::rc::Rc;

use hcl_edit::expr::Expression;
use hcl_edit::template::{Directive, Element};
use hcl_edit::Span as _;

use super::module::{FileKey, Module};
use crate::model::{Problem, Scalar, Template, TemplatePart, Unknown};
#[cfg(test)]
use crate::source::SourceFile;
use crate::source::{FileId, Located, ParseError, SourceMap, Span};
use crate::tree::{Node, NodeKind};

mod args;
mod collections;
mod functions;
mod ops;
mod outputs;
mod refs;
mod texts;

pub use texts::Texts;
#[cfg(test)]
mod tests;

/// How deep expressions may nest before evaluation gives up (policies nest about 8 deep).
const MAX_DEPTH: usize = 96;

/// Evaluation steps one run may take (a file and every module instance it expands): an
/// expression evaluated, or an element copied out of a local, variable or `for` binding. Real
/// modules take a few thousand.
pub const MAX_STEPS: u64 = 2_000_000;

/// The longest string evaluation builds (a policy is at most a few KB).
pub const MAX_STRING: usize = 1 << 20;

/// Bytes of strings one run may produce or copy, all values together.
pub const MAX_BYTES: u64 = 64 << 20;

/// What one run has spent: shared by the evaluators of every module instance it expands, so that
/// fan-out (`for_each` over module calls) cannot multiply the bounds.
#[derive(Debug, Default)]
pub struct Budget {
    steps: Cell<u64>,
    bytes: Cell<u64>,
    /// `count`/`for_each` instances linted ([`super::super::instances::MAX_RUN_INSTANCES`]).
    instances: Cell<u64>,
}

/// The most elements a list or map built by evaluation may hold (`range`, `for`, `flatten`,
/// `setproduct`).
pub const MAX_ITEMS: usize = 10_000;

/// The most folder entries one `fileset()` call looks at (files, folders and links alike).
pub const MAX_FILESET_ENTRIES: usize = 10_000;

/// Where an expression was written: the module file (for `local`/`var` lookups), the id its spans
/// get, and the text its spans index.
#[derive(Clone, Copy)]
pub struct Src<'t> {
    pub key: FileKey,
    pub id: FileId,
    pub text: &'t str,
}

/// A built `data "aws_iam_policy_document"`: its IAM-shaped tree and what the builder found.
#[derive(Debug, Clone)]
pub struct BuiltDoc {
    pub node: Node,
    pub problems: Vec<Problem>,
    pub unresolved: Vec<Located<Unknown>>,
    /// It has no statements, and only because of what it was given (dynamic blocks over an
    /// empty collection, sources or overrides that are empty or not evaluated, or it is a
    /// counted instance): a placeholder, not linted.
    pub placeholder: bool,
}

/// An evaluated local, and whether its evaluation hit an error (for `try` and `can`).
struct Cached {
    node: Node,
    errored: bool,
}

pub struct Eval<'m> {
    pub module: &'m Module,
    pub sources: &'m mut SourceMap,
    file_ids: HashMap<FileKey, FileId>,
    loaded: HashMap<PathBuf, FileId>,
    locals: HashMap<(FileKey, String), Cached>,
    pub(super) docs: HashMap<(FileKey, String), Option<BuiltDoc>>,
    /// Locals being evaluated, outermost first: a reference cycle is a name already here.
    active: Vec<(FileKey, String)>,
    pub(super) bindings: Vec<HashMap<String, Node>>,
    /// Variable values set from outside the module, winning over `default`: a module call's
    /// arguments, `terraform.tfvars`, `*.auto.tfvars`, `--var`/`--var-file`. Their spans point
    /// where the value was written (the caller or the tfvars file must be in the source map).
    pub inputs: HashMap<String, Node>,
    depth: usize,
    /// Steps taken and bytes produced so far, by this run (see [`MAX_STEPS`], [`MAX_BYTES`]).
    pub budget: Rc<Budget>,
    /// The policy documents whose JSON texts are values, shared like the budget (`texts.rs`).
    pub texts: Rc<Texts>,
    /// The root module's folder (this module's own when it is the root): `path.root`.
    pub root_dir: Option<PathBuf>,
    /// This module's documents already in [`Eval::texts`], each entered once.
    doc_texts: HashMap<(FileKey, String), crate::model::DocRef>,
    /// Evaluation errors met so far (a missing attribute, an argument of the wrong type), as
    /// opposed to values that are merely unknown: `try` and `can` tell the two apart by it.
    failures: u64,
    /// Inside a value that may not refer to anything (a variable's `default`, a tfvars value):
    /// the reason a reference stays unknown.
    literal_only: Option<&'static str>,
    /// Malformed embedded JSON and unreadable files.
    pub errors: Vec<ParseError>,
    /// What the evaluator chose not to lint, for `unresolved-reference` (a block with no
    /// instance only at the module's defaults).
    pub notes: Vec<Located<Unknown>>,
    /// How many module calls deep this evaluator is, for `module.x.out` (see `outputs.rs`).
    module_depth: usize,
    /// `module.x.out` values already evaluated, by call and output name.
    outputs: HashMap<(String, String), Node>,
}

pub fn unknown(expr: impl Into<String>, reason: impl Into<String>, span: Span) -> Node {
    Node::new(
        NodeKind::Str(Scalar::unknown(Unknown::new(expr, reason))),
        span,
    )
}

/// An unknown node carrying `u` under the expression `expr` (keeps its reason and reference).
pub(super) fn unknown_as(u: &Unknown, expr: impl Into<String>, span: Span) -> Node {
    Node::new(NodeKind::Str(Scalar::unknown(u.renamed(expr))), span)
}

pub(super) fn str_node(s: impl Into<String>, span: Span) -> Node {
    Node::new(NodeKind::Str(Scalar::Str(s.into())), span)
}

/// The start of every reason a bound gives.
pub(super) const STOPPED: &str = "evaluation stopped";

/// The bound a string value hit, when it is one that did (wholly, or in a part): what is built
/// from it is that same unknown, not a template of copies of it.
pub(super) fn stopped(node: &Node) -> Option<&Unknown> {
    match &node.kind {
        NodeKind::Str(Scalar::Unknown(u)) if u.reason.starts_with(STOPPED) => Some(u),
        NodeKind::Str(Scalar::Template(t)) => t.holes().find(|u| u.reason.starts_with(STOPPED)),
        // `join(",", [a, b])`, `concat(...)`: the elements of a list argument.
        NodeKind::Array(items) => items.iter().find_map(|i| match &i.kind {
            NodeKind::Str(_) => stopped(i),
            _ => None,
        }),
        _ => None,
    }
}

/// The unknown a node is, when the whole node is unknown.
pub(super) fn as_unknown(node: &Node) -> Option<&Unknown> {
    match &node.kind {
        NodeKind::Str(Scalar::Unknown(u)) => Some(u),
        _ => None,
    }
}

/// What an unknown part of a string costs: its expression as written, and a little more (so that
/// templates of nothing but holes cannot double without bound either).
fn hole_bytes(u: &Unknown) -> u64 {
    u.expr.len() as u64 + 16
}

/// How many bytes the strings of a tree hold (an unknown part counted by [`hole_bytes`]),
/// counting no further than `limit`.
pub(super) fn string_bytes(node: &Node, limit: u64) -> u64 {
    let mut stack = vec![node];
    let mut n = 0u64;
    while let Some(x) = stack.pop() {
        if n > limit {
            break;
        }
        match &x.kind {
            NodeKind::Str(s) => {
                n += match s {
                    Scalar::Str(s) | Scalar::Other(s) => s.len() as u64,
                    Scalar::Template(t) => t
                        .parts
                        .iter()
                        .map(|p| match p {
                            TemplatePart::Lit(s) => s.len() as u64,
                            TemplatePart::Hole(u) => hole_bytes(u),
                        })
                        .sum(),
                    Scalar::Unknown(u) => hole_bytes(u),
                }
            }
            NodeKind::Array(items) => stack.extend(items.iter()),
            NodeKind::Object(entries) => {
                n += entries
                    .iter()
                    .map(|(k, _)| k.value.len() as u64)
                    .sum::<u64>();
                stack.extend(entries.iter().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    n
}

/// How many nodes a tree has, counting no further than `limit`.
pub(super) fn weight(node: &Node, limit: u64) -> u64 {
    let mut stack = vec![node];
    let mut n = 0u64;
    while let Some(x) = stack.pop() {
        n += 1;
        if n > limit {
            break;
        }
        match &x.kind {
            NodeKind::Array(items) => stack.extend(items.iter()),
            NodeKind::Object(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    n
}

impl<'m> Eval<'m> {
    pub fn new(module: &'m Module, sources: &'m mut SourceMap) -> Self {
        let mut file_ids = HashMap::new();
        file_ids.insert(0, FileId(0));
        Eval {
            module,
            sources,
            file_ids,
            loaded: HashMap::new(),
            locals: HashMap::new(),
            docs: HashMap::new(),
            active: Vec::new(),
            bindings: Vec::new(),
            inputs: HashMap::new(),
            depth: 0,
            budget: Rc::default(),
            texts: Rc::default(),
            doc_texts: HashMap::new(),
            root_dir: module.dir_path.clone(),
            failures: 0,
            literal_only: None,
            errors: Vec::new(),
            notes: Vec::new(),
            module_depth: 0,
            outputs: HashMap::new(),
        }
    }

    /// An evaluator for a module called from another file (`module "x" { source = "./m" }`):
    /// none of its files is the source map's main file, so each gets an id on first use. It
    /// spends the caller's budget and shares its table of document texts.
    pub fn detached(
        module: &'m Module,
        sources: &'m mut SourceMap,
        budget: Rc<Budget>,
        texts: Rc<Texts>,
    ) -> Self {
        let mut ev = Self::new(module, sources);
        ev.file_ids.clear();
        ev.budget = budget;
        ev.texts = texts;
        ev
    }

    /// A path named in a module file (`file()`, `templatefile()`, `fileset()`): absolute, or
    /// relative to the module's folder, `..` taken lexically so that messages show
    /// `policies/read.json`, not `modules/reader/../../policies/read.json`. Either is read only
    /// inside the repository root ([`Eval::load_file`]). None when the module is not on disk.
    pub(super) fn path_in_module(&self, rel: &str) -> Option<PathBuf> {
        let path = std::path::Path::new(rel);
        if path.is_absolute() {
            return Some(path.to_path_buf());
        }
        let dir = self.module.dir_path.as_ref()?;
        Some(crate::root::normalize(&dir.join(path)))
    }

    /// The source of a module file, adding it to the source map on first use (a file another
    /// module instance already added keeps its id, so findings in it compare equal).
    pub fn src(&mut self, key: FileKey) -> Src<'m> {
        let module: &'m Module = self.module;
        let file = module.file(key);
        let id = match self.file_ids.get(&key) {
            Some(id) => *id,
            None => {
                let id = self.sources.find_or_add(&file.path, &file.text);
                self.file_ids.insert(key, id);
                id
            }
        };
        Src {
            key,
            id,
            text: &file.text,
        }
    }

    /// Module files (other than the main one) whose spans were used.
    pub fn used_files(&self) -> impl Iterator<Item = (FileKey, FileId)> + '_ {
        self.file_ids
            .iter()
            .filter(|(k, _)| **k != 0)
            .map(|(k, id)| (*k, *id))
    }

    /// Reads a file named by `file(...)`/`templatefile(...)` into the source map (once).
    pub fn load_file(&mut self, path: PathBuf) -> Result<(FileId, String), String> {
        if let Some(id) = self.loaded.get(&path) {
            return Ok((*id, self.sources.get(*id).text.clone()));
        }
        // Inside the repository root, a regular file, at most 16 MiB (`crate::root`).
        let root = self.sources.root().to_path_buf();
        let bytes = crate::root::read_confined(&root, &path, crate::root::MAX_REFERENCED_BYTES)
            .map_err(|r| r.to_string())?;
        let text = crate::source::bytes_to_text(bytes)?;
        let id = self.sources.find_or_add(&path, &text);
        self.loaded.insert(path, id);
        Ok((id, text))
    }

    pub fn span(src: Src<'_>, range: Option<Range<usize>>) -> Span {
        let r = range.unwrap_or(0..0);
        Span::new(src.id, r.start, r.end)
    }

    /// The expression as written.
    pub fn text_of(src: Src<'_>, expr: &Expression) -> String {
        match expr.span().and_then(|r| src.text.get(r)) {
            Some(s) => s.trim().to_string(),
            None => expr.to_string().trim().to_string(),
        }
    }

    /// Counts `n` block instances; false (nothing counted) when they would take the run past
    /// [`super::instances::MAX_RUN_INSTANCES`].
    pub fn spend_instances(&self, n: usize) -> bool {
        let total = self.budget.instances.get().saturating_add(n as u64);
        if total > super::instances::MAX_RUN_INSTANCES {
            return false;
        }
        self.budget.instances.set(total);
        true
    }

    /// Counts `n` steps; false once the run's budget is spent.
    pub(super) fn charge(&mut self, n: u64) -> bool {
        let steps = self.budget.steps.get().saturating_add(n);
        self.budget.steps.set(steps);
        steps <= MAX_STEPS
    }

    fn steps_left(&self) -> u64 {
        MAX_STEPS.saturating_sub(self.budget.steps.get())
    }

    pub(super) fn out_of_steps(text: impl Into<String>, span: Span) -> Node {
        unknown(
            text,
            format!("evaluation stopped: more than {MAX_STEPS} steps in this run"),
            span,
        )
    }

    /// Counts `n` bytes of strings produced or copied; false once the run's budget is spent.
    pub(super) fn charge_bytes(&mut self, n: u64) -> bool {
        let bytes = self.budget.bytes.get().saturating_add(n);
        self.budget.bytes.set(bytes);
        bytes <= MAX_BYTES
    }

    /// Why a string of `len` bytes is not built, if it is not: past [`MAX_STRING`], or past the
    /// run's [`MAX_BYTES`].
    pub(super) fn string_bound(&mut self, len: usize) -> Option<String> {
        if len > MAX_STRING {
            return Some(format!(
                "evaluation stopped: a string of {len} bytes, longer than {MAX_STRING}"
            ));
        }
        if !self.charge_bytes(len as u64) {
            return Some(format!(
                "evaluation stopped: more than {MAX_BYTES} bytes of strings in this run"
            ));
        }
        None
    }

    /// A copy of a stored value (local, input, binding), paid for by its size (nodes and bytes)
    /// so that values built from each other (`a = [local.b, local.b]`, ...) cannot grow without
    /// bound.
    fn copied(&mut self, node: &Node, text: &str, span: Span) -> Node {
        match self.pay_copy(node) {
            Ok(()) => node.clone(),
            Err(why) => unknown(text, why, span),
        }
    }

    /// Charges the copy of `node`: its nodes as steps, its strings as bytes.
    fn pay_copy(&mut self, node: &Node) -> Result<(), String> {
        let w = weight(node, self.steps_left());
        if !self.charge(w) {
            return Err(format!(
                "evaluation stopped: more than {MAX_STEPS} steps in this run"
            ));
        }
        let left = MAX_BYTES.saturating_sub(self.budget.bytes.get());
        let b = string_bytes(node, left);
        if !self.charge_bytes(b) {
            return Err(format!(
                "evaluation stopped: more than {MAX_BYTES} bytes of strings in this run"
            ));
        }
        Ok(())
    }

    /// An evaluation error: the expression is wrong, not merely unknown (`try` skips it).
    pub(super) fn error(
        &mut self,
        expr: impl Into<String>,
        reason: impl Into<String>,
        span: Span,
    ) -> Node {
        self.failures += 1;
        unknown(expr, reason, span)
    }

    pub fn eval(&mut self, src: Src<'_>, expr: &Expression) -> Node {
        let span = Self::span(src, expr.span());
        if !self.charge(1) {
            return Self::out_of_steps(Self::text_of(src, expr), span);
        }
        if self.depth > MAX_DEPTH {
            return unknown(
                Self::text_of(src, expr),
                "expression nests too deeply",
                span,
            );
        }
        self.depth += 1;
        let node = self.eval_inner(src, expr, span);
        self.depth -= 1;
        // Strings are paid for where they are made (a literal's bytes are the file's own).
        if let NodeKind::Str(Scalar::Str(s)) = &node.kind {
            if !matches!(expr, Expression::String(_)) {
                if let Some(why) = self.string_bound(s.len()) {
                    return unknown(Self::text_of(src, expr), why, span);
                }
            }
        }
        node
    }

    fn eval_inner(&mut self, src: Src<'_>, expr: &Expression, span: Span) -> Node {
        match expr {
            Expression::Null(_) => Node::new(NodeKind::Null, span),
            Expression::Bool(b) => Node::new(NodeKind::Bool(*b.value()), span),
            Expression::Number(n) => {
                let text = n
                    .span()
                    .and_then(|r| src.text.get(r))
                    .map_or_else(|| n.value().to_string(), |s| s.trim().to_string());
                Node::new(NodeKind::Number(text), span)
            }
            Expression::String(s) => str_node(s.value().clone(), span),
            Expression::Array(items) => {
                if items.len() > MAX_ITEMS {
                    return self.too_many(Self::text_of(src, expr), span);
                }
                Node::new(
                    NodeKind::Array(items.iter().map(|i| self.eval(src, i)).collect()),
                    span,
                )
            }
            Expression::Object(object) => {
                if object.len() > MAX_ITEMS {
                    return self.too_many(Self::text_of(src, expr), span);
                }
                let mut entries = Vec::new();
                for (key, value) in object.iter() {
                    let key_span = Self::span(src, key.span());
                    let name = match key {
                        hcl_edit::expr::ObjectKey::Ident(id) => id.as_str().to_string(),
                        hcl_edit::expr::ObjectKey::Expression(e) => match self.eval(src, e).kind {
                            NodeKind::Str(s) => s.text(),
                            NodeKind::Number(n) => n,
                            NodeKind::Bool(b) => b.to_string(),
                            _ => format!("${{{}}}", Self::text_of(src, e)),
                        },
                    };
                    entries.push((Located::new(name, key_span), self.eval(src, value.expr())));
                }
                Node::new(NodeKind::Object(entries), span)
            }
            Expression::StringTemplate(t) => self.template(src, t.iter(), span),
            Expression::HeredocTemplate(h) => self.template(src, h.template.iter(), span),
            Expression::Parenthesis(p) => self.eval(src, p.inner()),
            Expression::Variable(v) => {
                let name = v.as_str();
                if let Some(node) = self.binding(name, span) {
                    return node;
                }
                unknown(name, format!("`{name}` is not a value iamlint knows"), span)
            }
            Expression::Traversal(t) => self.traversal(src, t, span),
            Expression::FuncCall(f) => self.func(src, f, span),
            Expression::Conditional(c) => {
                let cond = self.eval(src, &c.cond_expr);
                match cond.kind {
                    NodeKind::Bool(true) => self.eval(src, &c.true_expr),
                    NodeKind::Bool(false) => self.eval(src, &c.false_expr),
                    // Terraform converts the strings "true" and "false".
                    NodeKind::Str(Scalar::Str(ref s)) if s == "true" => {
                        self.eval(src, &c.true_expr)
                    }
                    NodeKind::Str(Scalar::Str(ref s)) if s == "false" => {
                        self.eval(src, &c.false_expr)
                    }
                    NodeKind::Str(Scalar::Unknown(u)) => {
                        unknown_as(&u, Self::text_of(src, expr), span)
                    }
                    _ => self.error(
                        Self::text_of(src, expr),
                        format!("the condition is {}, not a boolean", cond.type_name()),
                        span,
                    ),
                }
            }
            Expression::ForExpr(f) => self.for_expr(src, f, Self::text_of(src, expr), span),
            Expression::UnaryOp(op) => self.unary(src, op, Self::text_of(src, expr), span),
            Expression::BinaryOp(op) => self.binary(src, op, Self::text_of(src, expr), span),
        }
    }

    pub(super) fn too_many(&mut self, text: String, span: Span) -> Node {
        unknown(
            text,
            format!("evaluation stopped: more than {MAX_ITEMS} elements in one collection"),
            span,
        )
    }

    fn binding(&mut self, name: &str, span: Span) -> Option<Node> {
        let found = self
            .bindings
            .iter()
            .rev()
            .find_map(|b| b.get(name))?
            .clone();
        // Charged like any copy; `copied` needs `&mut self`, so the clone above is the lookup.
        match self.pay_copy(&found) {
            Ok(()) => Some(found),
            Err(why) => Some(unknown(name, why, span)),
        }
    }

    /// A string template: known text and holes.
    pub fn template<'e>(
        &mut self,
        src: Src<'_>,
        elements: impl Iterator<Item = &'e Element>,
        span: Span,
    ) -> Node {
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut len = 0u64;
        for element in elements {
            match element {
                Element::Literal(lit) => push_lit(&mut parts, lit.value()),
                Element::Interpolation(i) => {
                    let value = self.eval(src, &i.expr);
                    if let Some(u) = stopped(&value) {
                        return unknown_as(u, Self::text_of(src, &i.expr), span);
                    }
                    len += string_bytes(&value, MAX_STRING as u64 + 1);
                    if len > MAX_STRING as u64 {
                        return unknown(
                            Self::text_of(src, &i.expr),
                            format!("evaluation stopped: a string longer than {MAX_STRING} bytes"),
                            span,
                        );
                    }
                    let text = Self::text_of(src, &i.expr);
                    push_value(&mut parts, value, text);
                }
                Element::Directive(d) => self.directive(src, d, span, &mut parts),
            }
        }
        Node::new(NodeKind::Str(scalar_from_parts(parts)), span)
    }

    /// `%{ if }` and `%{ for }` in a template. Whitespace stripping (`~`) is not applied: the
    /// text of a policy template is JSON, where that whitespace does not matter.
    fn directive(
        &mut self,
        src: Src<'_>,
        d: &Directive,
        span: Span,
        parts: &mut Vec<TemplatePart>,
    ) {
        let text = || {
            d.span()
                .and_then(|r| src.text.get(r))
                .unwrap_or("%{...}")
                .to_string()
        };
        match d {
            Directive::If(i) => {
                let cond = self.eval(src, &i.if_expr.cond_expr);
                let chosen = match cond.kind {
                    NodeKind::Bool(true) => Some(&i.if_expr.template),
                    NodeKind::Bool(false) => i.else_expr.as_ref().map(|e| &e.template),
                    NodeKind::Str(Scalar::Unknown(u)) => {
                        parts.push(TemplatePart::Hole(u.renamed(text())));
                        return;
                    }
                    _ => {
                        self.failures += 1;
                        parts.push(TemplatePart::Hole(Unknown::new(
                            text(),
                            "the `%{ if }` condition is not a boolean",
                        )));
                        return;
                    }
                };
                if let Some(t) = chosen {
                    let node = self.template(src, t.iter(), span);
                    push_value(parts, node, text());
                }
            }
            Directive::For(f) => {
                let fe = &f.for_expr;
                let coll = self.eval(src, &fe.collection_expr);
                let items = match self.iteration(&coll, text(), span) {
                    Ok(items) => items,
                    Err(node) => {
                        push_value(parts, node, text());
                        return;
                    }
                };
                let mut len = 0u64;
                for (k, v) in items {
                    if !self.charge(1) {
                        push_value(parts, Self::out_of_steps(text(), span), text());
                        return;
                    }
                    let mut frame = HashMap::new();
                    if let Some(kv) = &fe.key_var {
                        frame.insert(kv.as_str().to_string(), k);
                    }
                    frame.insert(fe.value_var.as_str().to_string(), v);
                    self.bindings.push(frame);
                    let node = self.template(src, fe.template.iter(), span);
                    self.bindings.pop();
                    len += string_bytes(&node, MAX_STRING as u64 + 1);
                    if len > MAX_STRING as u64 {
                        parts.push(TemplatePart::Hole(Unknown::new(
                            text(),
                            format!("evaluation stopped: a string longer than {MAX_STRING} bytes"),
                        )));
                        return;
                    }
                    push_value(parts, node, text());
                }
            }
        }
    }
}

pub fn push_lit(parts: &mut Vec<TemplatePart>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(TemplatePart::Lit(last)) = parts.last_mut() {
        last.push_str(s);
    } else {
        parts.push(TemplatePart::Lit(s.to_string()));
    }
}

/// Appends an evaluated value to a template: known scalars as text, everything else as a hole.
pub fn push_value(parts: &mut Vec<TemplatePart>, value: Node, text: String) {
    match value.kind {
        NodeKind::Str(Scalar::Str(s)) | NodeKind::Number(s) => push_lit(parts, &s),
        NodeKind::Str(Scalar::Other(s)) => push_lit(parts, &s),
        NodeKind::Bool(b) => push_lit(parts, if b { "true" } else { "false" }),
        NodeKind::Str(Scalar::Template(t)) => {
            for p in t.parts {
                match p {
                    TemplatePart::Lit(s) => push_lit(parts, &s),
                    hole => parts.push(hole),
                }
            }
        }
        NodeKind::Str(Scalar::Unknown(u)) => {
            // Keep the expression as written at the hole; the reason says why.
            let expr = if text.is_empty() {
                u.expr.clone()
            } else {
                text
            };
            parts.push(TemplatePart::Hole(u.renamed(expr)));
        }
        NodeKind::Null => {}
        NodeKind::Array(_) | NodeKind::Object(_) => parts.push(TemplatePart::Hole(Unknown::new(
            text,
            "a list or object cannot be part of a string",
        ))),
    }
}

pub fn scalar_from_parts(parts: Vec<TemplatePart>) -> Scalar {
    match parts.as_slice() {
        [] => Scalar::Str(String::new()),
        [TemplatePart::Lit(s)] => Scalar::Str(s.clone()),
        [TemplatePart::Hole(u)] => Scalar::unknown(u.clone()),
        _ => Scalar::Template(Template { parts }),
    }
}

/// JSON text of a fully known tree.
pub fn to_json(node: &Node) -> Option<String> {
    Some(match &node.kind {
        NodeKind::Null => "null".to_string(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Number(n) => n.clone(),
        NodeKind::Str(Scalar::Str(s)) => serde_json::to_string(s).ok()?,
        NodeKind::Str(_) => return None,
        NodeKind::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(to_json).collect();
            format!("[{}]", parts?.join(","))
        }
        NodeKind::Object(entries) => {
            let mut parts = Vec::new();
            for (k, v) in entries {
                parts.push(format!(
                    "{}:{}",
                    serde_json::to_string(&k.value).ok()?,
                    to_json(v)?
                ));
            }
            format!("{{{}}}", parts.join(","))
        }
    })
}
