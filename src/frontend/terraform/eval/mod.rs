//! Evaluating HCL expressions into span-keeping [`Node`] trees: literals, locals, variable defaults,
//! string interpolation and a few pure functions. Whatever cannot be evaluated becomes
//! [`Scalar::Unknown`] with the expression as written and the reason, never `*`.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use hcl_edit::template::Element;
use hcl_edit::Span as _;

use super::module::{FileKey, Module};
use crate::model::{Problem, Scalar, Template, TemplatePart, Unknown};
use crate::source::{FileId, Located, SourceFile, SourceMap, Span};
use crate::tree::{Node, NodeKind};
use crate::ParseError;

mod functions;

/// How deep expressions may nest before evaluation gives up (policies nest about 8 deep).
const MAX_DEPTH: usize = 96;

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

pub struct Eval<'m> {
    pub module: &'m Module,
    pub sources: &'m mut SourceMap,
    file_ids: HashMap<FileKey, FileId>,
    loaded: HashMap<PathBuf, FileId>,
    locals: HashMap<(FileKey, String), Node>,
    pub(super) docs: HashMap<(FileKey, String), Option<BuiltDoc>>,
    active: Vec<(FileKey, String)>,
    pub(super) bindings: Vec<HashMap<String, Node>>,
    /// Variable values set from outside the module, winning over `default`: a module call's
    /// arguments, `terraform.tfvars`, `*.auto.tfvars`, `--var`/`--var-file`. Their spans point
    /// where the value was written (the caller or the tfvars file must be in the source map).
    pub inputs: HashMap<String, Node>,
    depth: usize,
    /// Malformed embedded JSON and unreadable files.
    pub errors: Vec<ParseError>,
}

pub fn unknown(expr: impl Into<String>, reason: impl Into<String>, span: Span) -> Node {
    Node::new(
        NodeKind::Str(Scalar::Unknown(Unknown::new(expr, reason))),
        span,
    )
}

pub(super) fn str_node(s: impl Into<String>, span: Span) -> Node {
    Node::new(NodeKind::Str(Scalar::Str(s.into())), span)
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
            errors: Vec::new(),
        }
    }

    /// The source of a module file, adding it to the source map on first use.
    pub fn src(&mut self, key: FileKey) -> Src<'m> {
        let module: &'m Module = self.module;
        let file = module.file(key);
        let id = match self.file_ids.get(&key) {
            Some(id) => *id,
            None => {
                let id = self
                    .sources
                    .add(SourceFile::new(file.path.clone(), file.text.clone()));
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
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let text = crate::lint::bytes_to_text(bytes)?;
        let id = self
            .sources
            .add(SourceFile::new(path.clone(), text.clone()));
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

    pub fn eval(&mut self, src: Src<'_>, expr: &Expression) -> Node {
        let span = Self::span(src, expr.span());
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
            Expression::Array(items) => Node::new(
                NodeKind::Array(items.iter().map(|i| self.eval(src, i)).collect()),
                span,
            ),
            Expression::Object(object) => {
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
                if let Some(node) = self.binding(name) {
                    return node;
                }
                unknown(name, format!("`{name}` is not a value iamlint knows"), span)
            }
            Expression::Traversal(t) => self.traversal(src, t, span),
            Expression::FuncCall(f) => self.func(src, f, span),
            Expression::Conditional(c) => match self.eval(src, &c.cond_expr).kind {
                NodeKind::Bool(true) => self.eval(src, &c.true_expr),
                NodeKind::Bool(false) => self.eval(src, &c.false_expr),
                _ => unknown(
                    Self::text_of(src, expr),
                    "the condition could not be evaluated",
                    span,
                ),
            },
            Expression::ForExpr(_) => unknown(
                Self::text_of(src, expr),
                "`for` expressions are not evaluated",
                span,
            ),
            Expression::UnaryOp(_) | Expression::BinaryOp(_) => unknown(
                Self::text_of(src, expr),
                "operators are not evaluated",
                span,
            ),
        }
    }

    fn binding(&self, name: &str) -> Option<Node> {
        self.bindings
            .iter()
            .rev()
            .find_map(|b| b.get(name).cloned())
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
                Element::Directive(d) => {
                    let text = d
                        .span()
                        .and_then(|r| src.text.get(r))
                        .unwrap_or("%{...}")
                        .to_string();
                    parts.push(TemplatePart::Hole(Unknown::new(
                        text,
                        "template directives are not evaluated",
                    )));
                }
            }
        }
        Node::new(NodeKind::Str(scalar_from_parts(parts)), span)
    }

    fn traversal(&mut self, src: Src<'_>, t: &Traversal, span: Span) -> Node {
        let whole = || -> String {
            match t.span().and_then(|r| src.text.get(r)) {
                Some(s) => s.trim().to_string(),
                None => String::from("<expression>"),
            }
        };
        let Expression::Variable(root) = &t.expr else {
            let base = self.eval(src, &t.expr);
            return self.apply_ops(src, base, &t.operators, whole(), span);
        };
        let root = root.as_str();
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let first = match ops.first() {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        if let Some(node) = self.binding(root) {
            return self.apply_ops(src, node, &t.operators, whole(), span);
        }
        match (root, first) {
            ("local", Some(name)) => {
                let node = self.local(name, span, &whole());
                self.apply_ops(src, node, &t.operators[1..], whole(), span)
            }
            ("var", Some(name)) => {
                if let Some(node) = self.inputs.get(name).cloned() {
                    return self.apply_ops(src, node, &t.operators[1..], whole(), span);
                }
                let module: &'m Module = self.module;
                match module.variable(name) {
                    Some((key, block)) => match block.body.get_attribute("default") {
                        Some(default) => {
                            let vsrc = self.src(key);
                            let node = self.eval(vsrc, &default.value);
                            self.apply_ops(src, node, &t.operators[1..], whole(), span)
                        }
                        None => unknown(
                            whole(),
                            format!("variable `{name}` has no default value"),
                            span,
                        ),
                    },
                    None => unknown(
                        whole(),
                        format!("variable `{name}` is not declared in this module"),
                        span,
                    ),
                }
            }
            ("path", Some("module" | "root")) => {
                let node = str_node(".", span);
                self.apply_ops(src, node, &t.operators[1..], whole(), span)
            }
            ("data", Some("aws_iam_policy")) => {
                let module: &'m Module = self.module;
                let name = match ops.get(1) {
                    Some(TraversalOperator::GetAttr(n)) => n.as_str(),
                    _ => return unknown(whole(), "data sources are read at plan time", span),
                };
                let attr = match ops.get(2) {
                    Some(TraversalOperator::GetAttr(a)) => a.as_str(),
                    _ => "",
                };
                if attr == "arn" {
                    if let Some((key, block)) = module.data_policy(name) {
                        if let Some(arn) = block.body.get_attribute("arn") {
                            let psrc = self.src(key);
                            let node = self.eval(psrc, &arn.value);
                            if node.as_str().is_some() {
                                return Node::new(node.kind, span);
                            }
                        }
                    }
                }
                unknown(whole(), "data sources are read at plan time", span)
            }
            ("data", _) => unknown(whole(), "data sources are read at plan time", span),
            ("each" | "count", _) => unknown(
                whole(),
                "known per instance only (`count` and `for_each` are not expanded)",
                span,
            ),
            ("module", _) => unknown(whole(), "module outputs are not evaluated", span),
            ("self" | "terraform" | "path", _) => {
                unknown(whole(), "not known before Terraform runs", span)
            }
            _ => unknown(
                whole(),
                "resource attributes are known only after apply",
                span,
            ),
        }
    }

    fn local(&mut self, name: &str, span: Span, text: &str) -> Node {
        let module: &'m Module = self.module;
        let Some((key, attr)) = module.local(name) else {
            return unknown(
                text,
                format!("local `{name}` is not defined in this module"),
                span,
            );
        };
        let id = (key, name.to_string());
        if let Some(node) = self.locals.get(&id) {
            return node.clone();
        }
        if self.active.contains(&id) {
            return unknown(text, format!("local `{name}` refers to itself"), span);
        }
        self.active.push(id.clone());
        let lsrc = self.src(key);
        let node = self.eval(lsrc, &attr.value);
        self.active.pop();
        self.locals.insert(id, node.clone());
        node
    }

    fn apply_ops(
        &mut self,
        src: Src<'_>,
        mut node: Node,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        text: String,
        span: Span,
    ) -> Node {
        for op in ops {
            if let NodeKind::Str(Scalar::Unknown(u)) = &node.kind {
                let reason = u.reason.clone();
                return unknown(text, reason, span);
            }
            let next = match op.value() {
                TraversalOperator::GetAttr(name) => field(&node, name.as_str()),
                TraversalOperator::LegacyIndex(i) => index(&node, *i.value() as usize),
                TraversalOperator::Index(e) => match self.eval(src, e).kind {
                    NodeKind::Number(n) => n.parse::<usize>().ok().and_then(|i| index(&node, i)),
                    NodeKind::Str(Scalar::Str(s)) => field(&node, &s),
                    _ => None,
                },
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return unknown(text, "splat expressions are not evaluated", span)
                }
            };
            match next {
                Some(n) => node = n,
                None => return unknown(text, "the value has no such element", span),
            }
        }
        node
    }
}

pub(super) fn field(node: &Node, name: &str) -> Option<Node> {
    node.get(name).cloned()
}

fn index(node: &Node, i: usize) -> Option<Node> {
    match &node.kind {
        NodeKind::Array(items) => items.get(i).cloned(),
        _ => None,
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
            let expr = if text.is_empty() { u.expr } else { text };
            parts.push(TemplatePart::Hole(Unknown::new(expr, u.reason)));
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
        [TemplatePart::Hole(u)] => Scalar::Unknown(u.clone()),
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
