//! Evaluating HCL expressions into span-keeping [`Node`] trees: literals, variables (inputs from
//! outside the module, then defaults), locals, references to resources and data sources, string
//! templates, operators, conditionals, `for` expressions, splats and Terraform's common functions.
//! Whatever cannot be evaluated becomes [`Scalar::Unknown`] with the expression as written and the
//! reason, never `*`.
//!
//! Evaluation is bounded: expressions nest at most [`MAX_DEPTH`] deep, a built collection holds at
//! most [`MAX_ITEMS`] elements, and one module takes at most [`MAX_STEPS`] steps. Steps are counted
//! rather than time measured, so the same input always gives the same result.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use hcl_edit::expr::Expression;
use hcl_edit::template::{Directive, Element};
use hcl_edit::Span as _;

use super::module::{FileKey, Module};
use crate::model::{Problem, Scalar, Template, TemplatePart, Unknown};
#[cfg(test)]
use crate::source::SourceFile;
use crate::source::{FileId, Located, SourceMap, Span};
use crate::tree::{Node, NodeKind};
use crate::ParseError;

mod args;
mod collections;
mod functions;
mod ops;
mod refs;
#[cfg(test)]
mod tests;

/// How deep expressions may nest before evaluation gives up (policies nest about 8 deep).
const MAX_DEPTH: usize = 96;

/// Evaluation steps one module may take: an expression evaluated, or an element copied out of a
/// local, variable or `for` binding. Real modules take a few thousand.
pub const MAX_STEPS: u64 = 1_000_000;

/// The most elements a list or map built by evaluation may hold (`range`, `for`, `flatten`,
/// `setproduct`).
pub const MAX_ITEMS: usize = 10_000;

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
    /// Steps taken so far (see [`MAX_STEPS`]).
    steps: u64,
    /// Evaluation errors met so far (a missing attribute, an argument of the wrong type), as
    /// opposed to values that are merely unknown: `try` and `can` tell the two apart by it.
    failures: u64,
    /// Inside a value that may not refer to anything (a variable's `default`, a tfvars value):
    /// the reason a reference stays unknown.
    literal_only: Option<&'static str>,
    /// Malformed embedded JSON and unreadable files.
    pub errors: Vec<ParseError>,
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

/// The unknown a node is, when the whole node is unknown.
pub(super) fn as_unknown(node: &Node) -> Option<&Unknown> {
    match &node.kind {
        NodeKind::Str(Scalar::Unknown(u)) => Some(u),
        _ => None,
    }
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
            steps: 0,
            failures: 0,
            literal_only: None,
            errors: Vec::new(),
        }
    }

    /// An evaluator for a module called from another file (`module "x" { source = "./m" }`):
    /// none of its files is the source map's main file, so each gets an id on first use.
    pub fn detached(module: &'m Module, sources: &'m mut SourceMap) -> Self {
        let mut ev = Self::new(module, sources);
        ev.file_ids.clear();
        ev
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
        let text = crate::lint::bytes_to_text(bytes)?;
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

    /// Counts `n` steps; false once the module's budget is spent.
    pub(super) fn charge(&mut self, n: u64) -> bool {
        self.steps = self.steps.saturating_add(n);
        self.steps <= MAX_STEPS
    }

    pub(super) fn out_of_steps(text: impl Into<String>, span: Span) -> Node {
        unknown(
            text,
            format!("evaluation stopped: more than {MAX_STEPS} steps in this module"),
            span,
        )
    }

    /// A copy of a stored value (local, input, binding), paid for by its size so that values built
    /// from each other (`a = [local.b, local.b]`, ...) cannot grow without bound.
    fn copied(&mut self, node: &Node, text: &str, span: Span) -> Node {
        let left = MAX_STEPS.saturating_sub(self.steps);
        let w = weight(node, left);
        if !self.charge(w) {
            return Self::out_of_steps(text, span);
        }
        node.clone()
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
        let left = MAX_STEPS.saturating_sub(self.steps);
        let w = weight(&found, left);
        if !self.charge(w) {
            return Some(Self::out_of_steps(name, span));
        }
        Some(found)
    }

    /// A string template: known text and holes.
    pub fn template<'e>(
        &mut self,
        src: Src<'_>,
        elements: impl Iterator<Item = &'e Element>,
        span: Span,
    ) -> Node {
        let mut parts: Vec<TemplatePart> = Vec::new();
        for element in elements {
            match element {
                Element::Literal(lit) => push_lit(&mut parts, lit.value()),
                Element::Interpolation(i) => {
                    let value = self.eval(src, &i.expr);
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
