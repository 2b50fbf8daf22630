//! Names and traversals: `local.*` (evaluated once, cycles named), `var.*` (inputs, then the
//! default), references to resources and data sources (unknown but named), and the steps after a
//! name: attributes, indexes and splats.

use hcl_edit::expr::{Expression, ObjectKey, Traversal, TraversalOperator};
use hcl_edit::Span as _;

use super::super::module::{FileKey, Module};
use super::{as_unknown, str_node, unknown, unknown_as, Cached, Eval, Src};
use crate::model::{AttrRef, Scalar, Unknown};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

impl<'m> Eval<'m> {
    pub(super) fn traversal(&mut self, src: Src<'_>, t: &Traversal, span: Span) -> Node {
        let whole = match t.span().and_then(|r| src.text.get(r)) {
            Some(s) => s.trim().to_string(),
            None => String::from("<expression>"),
        };
        let Expression::Variable(root) = &t.expr else {
            let base = self.eval(src, &t.expr);
            return self.apply_ops(src, base, &t.operators, whole, span);
        };
        let root = root.as_str();
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let first = match ops.first() {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        if let Some(node) = self.binding(root, span) {
            return self.apply_ops(src, node, &t.operators, whole, span);
        }
        if let Some(reason) = self.literal_only {
            // Terraform rejects this configuration; its value is not guessed.
            return unknown(whole, reason, span);
        }
        match (root, first) {
            ("local", Some(name)) => {
                let node = self.local(name, span, &whole);
                self.apply_ops(src, node, &t.operators[1..], whole, span)
            }
            ("var", Some(name)) => {
                let node = self.var(name, span, &whole);
                self.apply_ops(src, node, &t.operators[1..], whole, span)
            }
            // Paths are resolved against the module's folder ([`Eval::path_in_module`]), so
            // `path.module` is `.` and `path.root` leads from there to the root module's folder.
            ("path", Some("module")) => {
                let node = str_node(".", span);
                self.apply_ops(src, node, &t.operators[1..], whole, span)
            }
            ("path", Some("root")) => {
                let module: &'m Module = self.module;
                let to_root = match (&module.dir_path, &self.root_dir) {
                    (Some(here), Some(root)) => relative(here, root),
                    _ => ".".to_string(),
                };
                let node = str_node(to_root, span);
                self.apply_ops(src, node, &t.operators[1..], whole, span)
            }
            ("data", Some("aws_iam_policy")) => {
                let module: &'m Module = self.module;
                let name = match ops.get(1) {
                    Some(TraversalOperator::GetAttr(n)) => n.as_str(),
                    _ => return unknown(whole, "data sources are read at plan time", span),
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
                self.reference(src, t, 2, whole, span)
            }
            ("data", Some("aws_iam_policy_document")) => {
                let node = self.reference(src, t, 2, whole, span);
                match (doc_text_of(&ops), &node.kind) {
                    (Some(name), NodeKind::Str(Scalar::Unknown(u))) => {
                        let module: &'m Module = self.module;
                        let text = module
                            .data_doc(name)
                            .and_then(|(key, _)| self.doc_text(key, name, (**u).clone()));
                        match text {
                            Some(u) => Node::new(NodeKind::Str(Scalar::unknown(u)), span),
                            None => node,
                        }
                    }
                    _ => node,
                }
            }
            ("data", _) => self.reference(src, t, 2, whole, span),
            ("each" | "count", _) => unknown(
                whole,
                "known per instance only (`count` and `for_each` are not expanded)",
                span,
            ),
            ("module", _) => self.module_output(src, t, whole, span),
            ("self" | "terraform" | "path", _) => {
                unknown(whole, "not known before Terraform runs", span)
            }
            _ => self.reference(src, t, 1, whole, span),
        }
    }

    /// `aws_s3_bucket.b.arn`, `data.aws_region.current.name`: a value Terraform knows only at
    /// plan or apply time, kept as an unknown that names the resource and the attribute.
    /// `names` is how many attribute steps after the root belong to the address (1 for a
    /// resource, 2 for `data.TYPE.NAME`); an index right after them (`[0]`, `["a"]`) does too.
    pub(super) fn reference(
        &mut self,
        src: Src<'_>,
        t: &Traversal,
        names: usize,
        whole: String,
        span: Span,
    ) -> Node {
        let start = t.span().map_or(0, |r| r.start);
        let mut end = t.expr.span().map_or(start, |r| r.end);
        let mut used = 0;
        for op in t.operators.iter() {
            let is_name = matches!(op.value(), TraversalOperator::GetAttr(_));
            let is_index = matches!(
                op.value(),
                TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)
            );
            if (used < names && is_name) || (used == names && is_index) {
                if let Some(r) = op.span() {
                    end = r.end;
                }
                if is_name {
                    used += 1;
                }
                if is_index {
                    used += 1;
                }
            } else {
                break;
            }
        }
        let address = src
            .text
            .get(start..end)
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| whole.clone());
        let attribute = whole
            .get(address.len()..)
            .unwrap_or("")
            .trim_start_matches('.')
            .to_string();
        let data = address.starts_with("data.");
        let what = if data { "data source" } else { "resource" };
        let when = if data {
            "read at plan time"
        } else {
            "known only after apply"
        };
        let reason = if attribute.is_empty() {
            format!("{what} `{address}` is {when}")
        } else {
            format!("`{attribute}` of {what} `{address}` is {when}")
        };
        let mut u = Unknown::new(whole, reason);
        u.reference = Some(AttrRef { address, attribute });
        Node::new(NodeKind::Str(Scalar::unknown(u)), span)
    }

    /// The value of `local.name`, evaluated once. Its spans point at the local's definition.
    pub(super) fn local(&mut self, name: &str, span: Span, text: &str) -> Node {
        let module: &'m Module = self.module;
        let Some((key, attr)) = module.local(name) else {
            return self.error(
                text,
                format!("local `{name}` is not defined in this module"),
                span,
            );
        };
        let id = (key, name.to_string());
        if let Some(cached) = self.locals.get(&id) {
            let node = cached.node.clone();
            if cached.errored {
                self.failures += 1;
            }
            return self.copied(&node, text, span);
        }
        if let Some(pos) = self.active.iter().position(|a| *a == id) {
            let mut chain: Vec<String> = self.active[pos..]
                .iter()
                .map(|(_, n)| format!("local.{n}"))
                .collect();
            chain.push(format!("local.{name}"));
            return unknown(
                text,
                format!("reference cycle: {}", chain.join(" \u{2192} ")),
                span,
            );
        }
        self.active.push(id.clone());
        // A local sees the module's names only, never the bindings of the expression using it.
        let saved = std::mem::take(&mut self.bindings);
        let before = self.failures;
        let lsrc = self.src(key);
        let node = self.eval(lsrc, &attr.value);
        self.bindings = saved;
        self.active.pop();
        let errored = self.failures > before;
        self.locals.insert(
            id,
            Cached {
                node: node.clone(),
                errored,
            },
        );
        node
    }

    /// A value that may not refer to variables, locals or resources (`because` says why, for the
    /// unknown such a reference becomes). Functions and operators still work.
    pub fn eval_literal(&mut self, src: Src<'_>, expr: &Expression, because: &'static str) -> Node {
        let saved = std::mem::take(&mut self.bindings);
        let outer = self.literal_only.replace(because);
        let node = self.eval(src, expr);
        self.literal_only = outer;
        self.bindings = saved;
        node
    }

    /// The value of `var.name`: an input from outside the module, else the default.
    pub(super) fn var(&mut self, name: &str, span: Span, text: &str) -> Node {
        let module: &'m Module = self.module;
        if let Some(node) = self.inputs.get(name) {
            let node = node.clone();
            let node = self.copied(&node, text, span);
            return match module.variable(name) {
                Some((key, block)) => self.typed(key, block, node),
                None => node,
            };
        }
        match module.variable(name) {
            Some((key, block)) => match block.body.get_attribute("default") {
                Some(default) => {
                    let vsrc = self.src(key);
                    let node = self.eval_literal(
                        vsrc,
                        &default.value,
                        "a variable's default cannot refer to other values",
                    );
                    self.typed(key, block, node)
                }
                None => unknown(
                    text,
                    format!("variable `{name}` has no default value"),
                    span,
                ),
            },
            None => self.error(
                text,
                format!("variable `{name}` is not declared in this module"),
                span,
            ),
        }
    }

    /// A variable's value converted by its type constraint where that adds attributes: an
    /// `optional(...)` attribute of an object type that the value lacks is null, or the optional
    /// default when one is given (as Terraform converts it). Other conversions are not made.
    fn typed(&mut self, key: FileKey, block: &hcl_edit::structure::Block, node: Node) -> Node {
        let Some(ty) = block.body.get_attribute("type") else {
            return node;
        };
        let src = self.src(key);
        let has_optional = ty
            .value
            .span()
            .and_then(|r| src.text.get(r))
            .is_some_and(|t| t.contains("optional("));
        if !has_optional {
            return node;
        }
        self.conform(src, &ty.value, node, 0)
    }

    fn conform(&mut self, src: Src<'_>, ty: &Expression, mut node: Node, depth: usize) -> Node {
        let Expression::FuncCall(f) = ty else {
            return node;
        };
        if depth > 16 || f.name.is_namespaced() {
            return node;
        }
        let arg = f.args.get(0);
        match (f.name.name.as_str(), arg, &mut node.kind) {
            ("optional", Some(inner), _) => self.conform(src, inner, node, depth + 1),
            ("map", Some(inner), NodeKind::Object(entries)) => {
                let taken = std::mem::take(entries);
                *entries = taken
                    .into_iter()
                    .map(|(k, v)| (k, self.conform(src, inner, v, depth + 1)))
                    .collect();
                node
            }
            ("list" | "set", Some(inner), NodeKind::Array(items)) => {
                let taken = std::mem::take(items);
                *items = taken
                    .into_iter()
                    .map(|v| self.conform(src, inner, v, depth + 1))
                    .collect();
                node
            }
            ("object", Some(Expression::Object(attrs)), NodeKind::Object(entries)) => {
                let span = node.span;
                let mut taken = std::mem::take(entries);
                for (k, v) in attrs.iter() {
                    let name = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => continue,
                    };
                    let attr_ty = v.expr();
                    match taken.iter_mut().find(|(k, _)| k.value == name) {
                        Some((_, value)) => {
                            let value_taken =
                                std::mem::replace(value, Node::new(NodeKind::Null, span));
                            *value = self.conform(src, attr_ty, value_taken, depth + 1);
                        }
                        None => {
                            let Expression::FuncCall(o) = attr_ty else {
                                continue;
                            };
                            if o.name.is_namespaced() || o.name.name.as_str() != "optional" {
                                continue;
                            }
                            let value = match o.args.get(1) {
                                Some(d) => {
                                    let d = self.eval_literal(
                                        src,
                                        d,
                                        "an optional attribute's default cannot refer to other values",
                                    );
                                    match o.args.get(0) {
                                        Some(inner) => self.conform(src, inner, d, depth + 1),
                                        None => d,
                                    }
                                }
                                None => Node::new(NodeKind::Null, span),
                            };
                            taken.push((Located::new(name, span), value));
                        }
                    }
                }
                node.kind = NodeKind::Object(taken);
                node
            }
            _ => node,
        }
    }

    pub(super) fn apply_ops(
        &mut self,
        src: Src<'_>,
        mut node: Node,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        text: String,
        span: Span,
    ) -> Node {
        let mut i = 0;
        while i < ops.len() {
            if let Some(u) = as_unknown(&node) {
                return unknown_as(u, text, span);
            }
            let next = match ops[i].value() {
                TraversalOperator::GetAttr(name) => field(&node, name.as_str()),
                TraversalOperator::LegacyIndex(n) => usize::try_from(*n.value())
                    .ok()
                    .and_then(|n| index(&node, n)),
                TraversalOperator::Index(e) => {
                    let key = self.eval(src, e);
                    match &key.kind {
                        NodeKind::Number(n) => match n.parse::<usize>() {
                            Ok(i) => index(&node, i).or_else(|| field(&node, n)),
                            Err(_) => field(&node, n),
                        },
                        NodeKind::Str(Scalar::Str(s)) => match (&node.kind, s.parse::<usize>()) {
                            (NodeKind::Array(_), Ok(i)) => index(&node, i),
                            _ => field(&node, s),
                        },
                        NodeKind::Str(Scalar::Unknown(u)) => return unknown_as(u, text, span),
                        _ => None,
                    }
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    // `x.*.a.b` applies the attribute steps that follow to each element; `x[*]`
                    // applies every step that follows. A single value is a list of one, null
                    // an empty list.
                    let full = matches!(ops[i].value(), TraversalOperator::FullSplat(_));
                    let mut j = i + 1;
                    while j < ops.len()
                        && (full
                            || matches!(
                                ops[j].value(),
                                TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                            ))
                    {
                        j += 1;
                    }
                    let items = match node.kind {
                        NodeKind::Array(items) => items,
                        NodeKind::Null => Vec::new(),
                        _ => vec![node.clone()],
                    };
                    let list_span = node.span;
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply_ops(src, item, &ops[i + 1..j], text.clone(), span));
                    }
                    node = Node::new(NodeKind::Array(out), list_span);
                    i = j;
                    continue;
                }
            };
            match next {
                Some(n) => node = n,
                None => {
                    let what = match ops[i].value() {
                        TraversalOperator::GetAttr(name) => format!("no attribute `{name}`"),
                        _ => "no such element".to_string(),
                    };
                    return self.error(text, format!("{} has {what}", node.type_name()), span);
                }
            }
            i += 1;
        }
        node
    }

    /// The elements a `for` iterates over: (index or key, value). Maps go in key order, as in
    /// Terraform. `Err` holds the node to return instead (unknown or an error).
    pub(super) fn iteration(
        &mut self,
        coll: &Node,
        text: String,
        span: Span,
    ) -> Result<Vec<(Node, Node)>, Node> {
        match &coll.kind {
            NodeKind::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        Node::new(NodeKind::Number(i.to_string()), v.span),
                        v.clone(),
                    )
                })
                .collect()),
            NodeKind::Object(entries) => {
                let mut sorted: Vec<&(Located<String>, Node)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.value.cmp(&b.0.value));
                Ok(sorted
                    .into_iter()
                    .map(|(k, v)| (str_node(k.value.clone(), k.span), v.clone()))
                    .collect())
            }
            NodeKind::Str(Scalar::Unknown(u)) => Err(unknown_as(u, text, span)),
            NodeKind::Str(Scalar::Template(t)) => Err(Node::new(
                NodeKind::Str(Scalar::unknown(Unknown::new(
                    text,
                    format!("cannot iterate over the string `{}`", t.display()),
                ))),
                span,
            )),
            _ => Err(self.error(
                text,
                format!("cannot iterate over {}", coll.type_name()),
                span,
            )),
        }
    }
}

/// The way from folder `from` to folder `to` (`../..`, `.` for the same), both written alike
/// (lexically normalized, both relative to one folder or both absolute).
fn relative(from: &std::path::Path, to: &std::path::Path) -> String {
    fn parts(p: &std::path::Path) -> Vec<std::path::Component<'_>> {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    }
    let (a, b) = (parts(from), parts(to));
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut way: Vec<String> = vec!["..".to_string(); a.len() - common];
    way.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if way.is_empty() {
        ".".to_string()
    } else {
        way.join("/")
    }
}

/// `aws_iam_policy_document.<name>.json` (after `data`), an index allowed after the name: the
/// document's name when the steps read its JSON text (`json` or `minified_json`) and nothing more.
fn doc_text_of<'a>(ops: &[&'a TraversalOperator]) -> Option<&'a str> {
    let (name, rest) = match ops {
        [_, TraversalOperator::GetAttr(n), rest @ ..] => (n.as_str(), rest),
        _ => return None,
    };
    let attr = match rest {
        [TraversalOperator::GetAttr(a)] => a,
        [TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_), TraversalOperator::GetAttr(a)] => {
            a
        }
        _ => return None,
    };
    matches!(attr.as_str(), "json" | "minified_json").then_some(name)
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
