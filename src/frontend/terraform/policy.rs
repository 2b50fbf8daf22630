//! Turning the value of a policy attribute into an IAM-shaped [`Node`] tree: `jsonencode(...)`,
//! heredocs and JSON strings, `file()`/`templatefile()`, `data "aws_iam_policy_document"`, and
//! locals or variable defaults holding any of those.

use std::collections::HashMap;

use hcl_edit::expr::{Expression, FuncCall, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span as _;

use super::embedded::{self, Failure};
use super::eval::{unknown, BuiltDoc, Eval, Src};
use super::module::{FileKey, Module};
use super::resources::doc_ref;
use crate::model::{Problem, Scalar, Syntax, Unknown, Via};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// What a policy attribute holds.
pub enum PolicyValue {
    Doc {
        node: Node,
        syntax: Syntax,
        /// The `file(...)` call that brought the document in.
        via: Option<Via>,
        problems: Vec<Problem>,
        unresolved: Vec<Located<Unknown>>,
    },
    /// A `data.aws_iam_policy_document` defined in another file: linted there.
    Elsewhere,
    /// Cannot be evaluated.
    Unknown(Node),
    /// No policy: null, an empty string or a placeholder document with no statements (Terraform
    /// sets nothing then). Not linted.
    Absent,
    /// Malformed (already reported).
    Error,
}

const MAX_HOPS: usize = 16;

impl Eval<'_> {
    /// The document an attribute holds. `foreign` also builds documents defined in other files
    /// (for sources and overrides, which are merged into this file's document).
    pub fn policy(&mut self, src: Src<'_>, expr: &Expression, foreign: bool) -> PolicyValue {
        self.policy_hop(src, expr, foreign, 0)
    }

    fn policy_hop(
        &mut self,
        src: Src<'_>,
        expr: &Expression,
        foreign: bool,
        hops: usize,
    ) -> PolicyValue {
        let span = Eval::span(src, expr.span());
        let text = || Eval::text_of(src, expr);
        if hops > MAX_HOPS {
            return PolicyValue::Unknown(unknown(text(), "too many indirections", span));
        }
        let doc = |node: Node, syntax: Syntax| PolicyValue::Doc {
            node,
            syntax,
            via: None,
            problems: Vec::new(),
            unresolved: Vec::new(),
        };
        match expr {
            Expression::Parenthesis(p) => self.policy_hop(src, p.inner(), foreign, hops + 1),
            Expression::Null(_) => PolicyValue::Absent,
            Expression::String(s) if s.trim().is_empty() => PolicyValue::Absent,
            Expression::String(_)
            | Expression::StringTemplate(_)
            | Expression::HeredocTemplate(_) => match embedded::json_in_expr(self, src, expr) {
                Ok(node) => doc(node, Syntax::Json),
                Err(Failure::Unknown(u)) => PolicyValue::Unknown(u),
                Err(Failure::Error) => PolicyValue::Error,
            },
            Expression::FuncCall(f) if !f.name.is_namespaced() => match f.name.name.as_str() {
                "jsonencode" if f.args.len() == 1 => match f.args.get(0) {
                    Some(arg) => {
                        let mut node = self.eval(src, arg);
                        let mut unresolved = Vec::new();
                        callers_lists(src, arg, &mut node, &mut unresolved);
                        PolicyValue::Doc {
                            node,
                            syntax: Syntax::HclObject,
                            via: None,
                            problems: Vec::new(),
                            unresolved,
                        }
                    }
                    None => PolicyValue::Error,
                },
                "file" | "templatefile" => self.file_policy(src, f, span),
                "tostring" | "sensitive" | "nonsensitive" if f.args.len() == 1 => {
                    match f.args.get(0) {
                        Some(arg) => self.policy_hop(src, arg, foreign, hops + 1),
                        None => PolicyValue::Error,
                    }
                }
                // `try(...)`, `coalesce(...)`, `one(...)`, ...: the evaluator's value.
                _ => self.evaluated(src, expr, span),
            },
            Expression::Conditional(c) => match self.eval(src, &c.cond_expr).kind {
                NodeKind::Bool(true) => self.policy_hop(src, &c.true_expr, foreign, hops + 1),
                NodeKind::Bool(false) => self.policy_hop(src, &c.false_expr, foreign, hops + 1),
                _ => PolicyValue::Unknown(unknown(
                    text(),
                    "the condition could not be evaluated",
                    span,
                )),
            },
            Expression::Traversal(t) => {
                if let Some(name) = doc_ref(expr) {
                    let module: &Module = self.module;
                    return match module.data_doc(name) {
                        Some((0, _)) => self.doc_value(0, name, text(), span),
                        Some((key, _)) if foreign => self.doc_value(key, name, text(), span),
                        Some(_) => PolicyValue::Elsewhere,
                        None => PolicyValue::Unknown(unknown(
                            text(),
                            format!(
                                "no `data \"aws_iam_policy_document\" \"{name}\"` in this module"
                            ),
                            span,
                        )),
                    };
                }
                let Expression::Variable(root) = &t.expr else {
                    return PolicyValue::Unknown(self.eval(src, expr));
                };
                let name = match t.operators.first().map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(n)) if t.operators.len() == 1 => n.as_str(),
                    _ => return self.evaluated(src, expr, span),
                };
                let module: &Module = self.module;
                match root.as_str() {
                    "local" => match module.local(name) {
                        Some((key, attr)) => {
                            let lsrc = self.src(key);
                            self.policy_hop(lsrc, &attr.value, foreign, hops + 1)
                        }
                        None => self.evaluated(src, expr, span),
                    },
                    // A value from outside the module (tfvars, `--var`, a module call) wins.
                    "var" if self.inputs.contains_key(name) => self.evaluated(src, expr, span),
                    "var" => match module
                        .variable(name)
                        .and_then(|(key, b)| Some((key, b.body.get_attribute("default")?)))
                    {
                        Some((key, default)) => {
                            let vsrc = self.src(key);
                            self.policy_hop(vsrc, &default.value, foreign, hops + 1)
                        }
                        None => self.evaluated(src, expr, span),
                    },
                    _ => self.evaluated(src, expr, span),
                }
            }
            _ => self.evaluated(src, expr, span),
        }
    }

    /// Falls back to plain evaluation: a known JSON string is parsed (spans on the expression).
    fn evaluated(&mut self, src: Src<'_>, expr: &Expression, span: Span) -> PolicyValue {
        let node = self.eval(src, expr);
        if let NodeKind::Str(Scalar::Unknown(u)) = &node.kind {
            if let Some(built) = self.take_doc(u) {
                return built_value(built);
            }
        }
        match &node.kind {
            NodeKind::Null => PolicyValue::Absent,
            NodeKind::Str(Scalar::Str(s)) if s.trim().is_empty() => PolicyValue::Absent,
            NodeKind::Str(Scalar::Str(s)) => match crate::json::parse(s, src.id, 0) {
                Ok(parsed) => PolicyValue::Doc {
                    node: embedded::respan(parsed, span),
                    syntax: Syntax::Json,
                    via: None,
                    problems: Vec::new(),
                    unresolved: Vec::new(),
                },
                Err(e) => {
                    self.errors.push(crate::source::ParseError::at(
                        span,
                        format!(
                            "invalid JSON in the value of `{}`: {}",
                            Eval::text_of(src, expr),
                            e.message
                        ),
                    ));
                    PolicyValue::Error
                }
            },
            NodeKind::Object(_) => PolicyValue::Unknown(unknown(
                Eval::text_of(src, expr),
                "expected a JSON string, found an object (wrap it in `jsonencode`)",
                span,
            )),
            NodeKind::Str(_) => PolicyValue::Unknown(Node::new(
                match node.kind {
                    NodeKind::Str(Scalar::Unknown(u)) => NodeKind::Str(Scalar::Unknown(u)),
                    _ => NodeKind::Str(Scalar::unknown(Unknown::new(
                        Eval::text_of(src, expr),
                        "the JSON text has unknown parts",
                    ))),
                },
                span,
            )),
            _ => PolicyValue::Unknown(unknown(
                Eval::text_of(src, expr),
                format!("expected a JSON string, found {}", node.type_name()),
                span,
            )),
        }
    }

    fn doc_value(&mut self, key: FileKey, name: &str, text: String, span: Span) -> PolicyValue {
        match self.build_doc(key, name) {
            Some(built) => {
                // Linted here, so not again on its own (the module's list of uses holds only
                // attributes that name the document directly).
                self.mark_doc_used(key, name);
                built_value(built)
            }
            None => PolicyValue::Unknown(unknown(
                text,
                format!("`data.aws_iam_policy_document.{name}` refers to itself"),
                span,
            )),
        }
    }

    /// `file("${path.module}/x.json")`, `templatefile("x.json.tpl", {...})`.
    fn file_policy(&mut self, src: Src<'_>, f: &FuncCall, span: Span) -> PolicyValue {
        let call_text = || match f.span().and_then(|r| src.text.get(r)) {
            Some(s) => s.trim().to_string(),
            None => format!("{}(...)", f.name.name.as_str()),
        };
        let Some(arg) = f.args.get(0) else {
            return PolicyValue::Error;
        };
        let path = self.eval(src, arg);
        let Some(rel) = path.as_str() else {
            return PolicyValue::Unknown(unknown(call_text(), "the file path is not known", span));
        };
        let Some(path) = self.path_in_module(rel) else {
            return PolicyValue::Unknown(unknown(call_text(), "the module is not on disk", span));
        };
        let (id, text) = match self.load_file(path) {
            Ok(loaded) => loaded,
            Err(reason) => {
                return PolicyValue::Unknown(unknown(
                    call_text(),
                    format!("file `{rel}` could not be read ({reason})"),
                    span,
                ))
            }
        };
        let fsrc = Src {
            key: src.key,
            id,
            text: &text,
        };
        let node = if f.name.name.as_str() == "templatefile" {
            self.sources.mark_template(id);
            let vars = match f.args.get(1) {
                Some(v) => self.eval(src, v),
                None => Node::new(NodeKind::Object(Vec::new()), span),
            };
            let bindings: HashMap<String, Node> = vars
                .entries()
                .iter()
                .map(|(k, v)| (k.value.clone(), v.clone()))
                .collect();
            // Template variables are the only names a template sees.
            let saved = std::mem::replace(&mut self.bindings, vec![bindings]);
            let result = embedded::json_in_template_file(self, fsrc, f, span);
            self.bindings = saved;
            match result {
                Ok(node) => node,
                Err(Failure::Unknown(u)) => return PolicyValue::Unknown(u),
                Err(Failure::Error) => return PolicyValue::Error,
            }
        } else {
            match crate::json::parse(&text, id, 0) {
                Ok(node) => node,
                Err(e) => {
                    self.errors
                        .push(crate::frontend::json::json_error(id, &text, e));
                    return PolicyValue::Error;
                }
            }
        };
        PolicyValue::Doc {
            node,
            syntax: Syntax::Json,
            via: Some(Via::new(
                span,
                format!("loaded by this `{}(...)` call", f.name.name.as_str()),
            )),
            problems: Vec::new(),
            unresolved: Vec::new(),
        }
    }

    /// Builds `data "aws_iam_policy_document" name` of file `key` (cached).
    pub fn build_doc(&mut self, key: FileKey, name: &str) -> Option<BuiltDoc> {
        let id = (key, name.to_string());
        match self.docs.get(&id) {
            Some(Some(doc)) => return Some(doc.clone()),
            // Being built: a reference cycle.
            Some(None) => return None,
            None => {}
        }
        self.docs.insert(id.clone(), None);
        let module: &Module = self.module;
        let file = module.file(key);
        let block = file.block(*file.defs.data_docs.get(name)?)?;
        let src = self.src(key);
        let built = self.document(src, block);
        self.docs.insert(id, Some(built.clone()));
        Some(built)
    }

    fn document(&mut self, src: Src<'_>, block: &Block) -> BuiltDoc {
        let mut b = DocBuilder {
            problems: Vec::new(),
            unresolved: Vec::new(),
            empty_principal: false,
        };
        let body = &block.body;
        // What may leave the document without statements in a valid configuration.
        let given = body.blocks().any(|s| s.ident.as_str() == "dynamic")
            || [
                "source_policy_documents",
                "source_json",
                "override_policy_documents",
                "override_json",
                "count",
                "for_each",
            ]
            .iter()
            .any(|k| body.get_attribute(k).is_some());
        let block_span = Eval::span(src, block.span());
        let head_span = Eval::span(src, block.ident.span());
        let mut entries: Vec<(Located<String>, Node)> = Vec::new();
        let version = match body.get_attribute("version") {
            Some(a) => (Eval::span(src, a.key.span()), self.eval(src, &a.value)),
            // The provider writes "2012-10-17" when `version` is not set.
            None => (
                head_span,
                Node::new(NodeKind::Str(Scalar::str("2012-10-17")), head_span),
            ),
        };
        entries.push((Located::new("Version".to_string(), version.0), version.1));
        if let Some(a) = body.get_attribute("policy_id") {
            entries.push((
                Located::new("Id".to_string(), Eval::span(src, a.key.span())),
                self.eval(src, &a.value),
            ));
        }
        for structure in body.iter() {
            if let Some(attr) = structure.as_attribute() {
                let k = attr.key.as_str();
                if !matches!(
                    k,
                    "version"
                        | "policy_id"
                        | "source_policy_documents"
                        | "override_policy_documents"
                        | "source_json"
                        | "override_json"
                        | "count"
                        | "for_each"
                        | "provider"
                        | "depends_on"
                ) {
                    b.problems.push(Problem {
                        span: Eval::span(src, attr.key.span()),
                        message: format!("unknown argument `{k}` in `aws_iam_policy_document`"),
                    });
                }
            }
        }
        // Statements: sources first, then this document's (replacing same-Sid ones), then overrides.
        let mut statements: Vec<Node> = Vec::new();
        for key in ["source_policy_documents", "source_json"] {
            for doc in self.doc_list(src, body, key, &mut b) {
                for stmt in statements_of(&doc) {
                    merge_statement(&mut statements, stmt);
                }
            }
        }
        // The document's own statements replace a source's with the same Sid; two of its own with
        // one Sid stay two (the provider rejects them, and `duplicate-sid` says so).
        let from_sources = statements.len();
        let mut replaced = vec![false; from_sources];
        let mut statement_key = None;
        for e in self.blocks(src, body, "statement", &mut b) {
            statement_key.get_or_insert(e.head);
            self.bindings.push(HashMap::new());
            e.set(self);
            let stmt = self.statement(src, e.block, &mut b);
            self.bindings.pop();
            let sid = stmt
                .get("Sid")
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty());
            let earlier = sid.and_then(|sid| {
                (0..from_sources).find(|&i| {
                    !replaced[i] && statements[i].get("Sid").and_then(Node::as_str) == Some(sid)
                })
            });
            match earlier {
                Some(i) => {
                    statements[i] = stmt;
                    replaced[i] = true;
                }
                None => statements.push(stmt),
            }
        }
        for s in body.iter() {
            let Some(sb) = s.as_block() else { continue };
            match sb.ident.as_str() {
                "statement" | "dynamic" => {}
                other => b.problems.push(Problem {
                    span: Eval::span(src, sb.ident.span()),
                    message: format!("unknown block `{other}` in `aws_iam_policy_document`"),
                }),
            }
        }
        for key in ["override_policy_documents", "override_json"] {
            for doc in self.doc_list(src, body, key, &mut b) {
                for stmt in statements_of(&doc) {
                    merge_statement(&mut statements, stmt);
                }
            }
        }
        let placeholder = given && (statements.is_empty() || b.empty_principal);
        entries.push((
            Located::new("Statement".to_string(), statement_key.unwrap_or(head_span)),
            Node::new(NodeKind::Array(statements), block_span),
        ));
        BuiltDoc {
            node: Node::new(NodeKind::Object(entries), block_span),
            problems: b.problems,
            unresolved: b.unresolved,
            placeholder,
        }
    }

    /// The documents of `source_policy_documents` (a list) or `source_json` (one).
    fn doc_list(&mut self, src: Src<'_>, body: &Body, key: &str, b: &mut DocBuilder) -> Vec<Node> {
        let Some(attr) = body.get_attribute(key) else {
            return Vec::new();
        };
        let items: Vec<&Expression> = match &attr.value {
            Expression::Array(items) => items.iter().collect(),
            e if key.ends_with("_json") => vec![e],
            // A list from elsewhere (`concat(...)`, a variable): its value, when known.
            e => return self.evaluated_docs(src, e, b),
        };
        let mut out = Vec::new();
        for item in items {
            match self.policy(src, item, true) {
                PolicyValue::Doc {
                    node,
                    problems,
                    unresolved,
                    ..
                } => {
                    b.problems.extend(problems);
                    b.unresolved.extend(unresolved);
                    out.push(node);
                }
                PolicyValue::Unknown(node) => {
                    if let NodeKind::Str(Scalar::Unknown(u)) = node.kind {
                        b.unresolved.push(Located::new(*u, node.span));
                    }
                }
                PolicyValue::Elsewhere | PolicyValue::Error | PolicyValue::Absent => {}
            }
        }
        out
    }

    /// The documents of a list of JSON texts that is not written as a list: each known text is
    /// parsed; a `data.aws_iam_policy_document.x.json` of this module is built; anything else is
    /// unknown (a reference to a resource or data source is named, not reported).
    fn evaluated_docs(&mut self, src: Src<'_>, e: &Expression, b: &mut DocBuilder) -> Vec<Node> {
        let list = self.eval(src, e);
        let items = match list.kind {
            NodeKind::Array(items) => items,
            NodeKind::Null => return Vec::new(),
            NodeKind::Str(Scalar::Unknown(u)) => {
                b.unresolved.push(Located::new(*u, list.span));
                return Vec::new();
            }
            other => vec![Node::new(other, list.span)],
        };
        let mut out = Vec::new();
        for item in items {
            match item.kind {
                NodeKind::Null => {}
                NodeKind::Str(Scalar::Str(ref text)) if text.trim().is_empty() => {}
                NodeKind::Str(Scalar::Str(ref text)) => match crate::json::parse(text, src.id, 0) {
                    Ok(parsed) => out.push(embedded::respan(parsed, item.span)),
                    Err(_) => b.problems.push(Problem {
                        span: item.span,
                        message: "a document of the list is not valid JSON".to_string(),
                    }),
                },
                NodeKind::Str(Scalar::Unknown(u)) => match self.take_doc(&u) {
                    Some(built) if !built.placeholder => {
                        b.problems.extend(built.problems);
                        b.unresolved.extend(built.unresolved);
                        out.push(built.node);
                    }
                    Some(_) => {}
                    None => b.unresolved.push(Located::new(*u, item.span)),
                },
                _ => b.unresolved.push(Located::new(
                    Unknown::new(
                        Eval::text_of(src, e),
                        "an element of the list of documents is not a JSON text",
                    ),
                    item.span,
                )),
            }
        }
        out
    }

    /// One `statement { ... }` block as an IAM statement object.
    fn statement(&mut self, src: Src<'_>, block: &Block, b: &mut DocBuilder) -> Node {
        let span = Eval::span(src, block.span());
        let head = Eval::span(src, block.ident.span());
        let body = &block.body;
        let mut entries: Vec<(Located<String>, Node)> = Vec::new();
        let mut effect = None;
        for s in body.iter() {
            if let Some(attr) = s.as_attribute() {
                let key_span = Eval::span(src, attr.key.span());
                let name = match attr.key.as_str() {
                    "sid" => "Sid",
                    "effect" => "Effect",
                    "actions" => "Action",
                    "not_actions" => "NotAction",
                    "resources" => "Resource",
                    "not_resources" => "NotResource",
                    other => {
                        b.problems.push(Problem {
                            span: key_span,
                            message: format!("unknown argument `{other}` in a `statement` block"),
                        });
                        continue;
                    }
                };
                let mut value = self.eval(src, &attr.value);
                // null is unset.
                if matches!(value.kind, NodeKind::Null) {
                    continue;
                }
                if let Some(u) = callers_list(src, name, &attr.value, &mut value) {
                    b.unresolved.push(u);
                }
                if name == "Effect" {
                    effect = Some(());
                }
                if name == "Sid"
                    && matches!(&value.kind, NodeKind::Str(Scalar::Str(s)) if s.is_empty())
                {
                    continue;
                }
                entries.push((Located::new(name.to_string(), key_span), value));
            }
        }
        if effect.is_none() {
            // The provider's default.
            entries.push((
                Located::new("Effect".to_string(), head),
                Node::new(NodeKind::Str(Scalar::str("Allow")), head),
            ));
        }
        for (block_name, key) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            if let Some(node) = self.principals(src, body, block_name, b) {
                entries.push((node.0, node.1));
                let _ = key;
            }
        }
        if let Some(cond) = self.conditions(src, body, b) {
            entries.push(cond);
        }
        for s in body.iter() {
            let Some(sb) = s.as_block() else { continue };
            match sb.ident.as_str() {
                "principals" | "not_principals" | "condition" | "dynamic" => {}
                other => b.problems.push(Problem {
                    span: Eval::span(src, sb.ident.span()),
                    message: format!("unknown block `{other}` in a `statement` block"),
                }),
            }
        }
        Node::new(NodeKind::Object(entries), span)
    }

    fn principals(
        &mut self,
        src: Src<'_>,
        body: &Body,
        block_name: &str,
        b: &mut DocBuilder,
    ) -> Option<(Located<String>, Node)> {
        let key = if block_name == "principals" {
            "Principal"
        } else {
            "NotPrincipal"
        };
        let mut key_span: Option<Span> = None;
        let mut whole: Option<Span> = None;
        let mut groups: Vec<(Located<String>, Vec<Node>, Span)> = Vec::new();
        let expanded = self.blocks(src, body, block_name, b);
        self.bindings.push(HashMap::new());
        for e in expanded {
            let pb = e.block;
            e.set(self);
            let pspan = Eval::span(src, pb.span());
            key_span.get_or_insert(Eval::span(src, pb.ident.span()));
            whole = Some(whole.map_or(pspan, |w| w.cover(pspan)));
            let ty = match pb.body.get_attribute("type") {
                Some(a) => {
                    let v = self.eval(src, &a.value);
                    if matches!(v.kind, NodeKind::Null) {
                        continue;
                    }
                    Located::new(
                        match &v.kind {
                            NodeKind::Str(s) => s.text(),
                            _ => String::new(),
                        },
                        v.span,
                    )
                }
                None => {
                    b.problems.push(Problem {
                        span: pspan,
                        message: format!("`{block_name}` block has no `type`"),
                    });
                    continue;
                }
            };
            let ids = match pb.body.get_attribute("identifiers") {
                Some(a) => match self.eval(src, &a.value) {
                    Node {
                        kind: NodeKind::Array(items),
                        ..
                    } => items,
                    // null or no identifiers: the provider writes no principal of this type.
                    Node {
                        kind: NodeKind::Null,
                        ..
                    } => continue,
                    other => vec![other],
                },
                None => {
                    b.problems.push(Problem {
                        span: pspan,
                        message: format!("`{block_name}` block has no `identifiers`"),
                    });
                    continue;
                }
            };
            let list_span = pb
                .body
                .get_attribute("identifiers")
                .map_or(pspan, |a| Eval::span(src, a.value.span()));
            if ids.is_empty() {
                b.empty_principal = true;
                // A list that is empty only at the module's defaults (`identifiers =
                // var.principals`) is the caller's to fill: the block is written, so the
                // statement has principals of this type, not yet known. A literal `[]` is empty.
                let Some(attr) = pb.body.get_attribute("identifiers") else {
                    continue;
                };
                if matches!(&attr.value, Expression::Array(a) if a.is_empty()) {
                    continue;
                }
                let unknown = Unknown::new(
                    Eval::text_of(src, &attr.value),
                    "the list is empty at the module's defaults: the principals are the caller's",
                );
                b.unresolved.push(Located::new(unknown.clone(), list_span));
                let id = Node::new(NodeKind::Str(Scalar::unknown(unknown)), list_span);
                match groups.iter_mut().find(|(t, ..)| t.value == ty.value) {
                    Some(g) => g.1.push(id),
                    None => groups.push((ty, vec![id], list_span)),
                }
                continue;
            }
            match groups.iter_mut().find(|(t, ..)| t.value == ty.value) {
                Some(g) => g.1.extend(ids),
                None => groups.push((ty, ids, list_span)),
            }
        }
        self.bindings.pop();
        let key_span = key_span?;
        // Every block had empty or null identifiers: the provider writes no principal.
        if groups.is_empty() {
            return None;
        }
        let whole = whole.unwrap_or(key_span);
        // `type = "*"` with `identifiers = ["*"]` is written `"Principal": "*"`.
        if let [(ty, ids, _)] = groups.as_slice() {
            if ty.value == "*" {
                if let [id] = ids.as_slice() {
                    return Some((Located::new(key.to_string(), key_span), id.clone()));
                }
            }
        }
        let entries = groups
            .into_iter()
            .map(|(ty, ids, span)| (ty, Node::new(NodeKind::Array(ids), span)))
            .collect();
        Some((
            Located::new(key.to_string(), key_span),
            Node::new(NodeKind::Object(entries), whole),
        ))
    }

    fn conditions(
        &mut self,
        src: Src<'_>,
        body: &Body,
        b: &mut DocBuilder,
    ) -> Option<(Located<String>, Node)> {
        let mut key_span: Option<Span> = None;
        let mut whole: Option<Span> = None;
        // test → [(variable, values)]
        let mut ops: Vec<ConditionGroup> = Vec::new();
        let expanded = self.blocks(src, body, "condition", b);
        self.bindings.push(HashMap::new());
        for e in expanded {
            let cb = e.block;
            e.set(self);
            let cspan = Eval::span(src, cb.span());
            key_span.get_or_insert(Eval::span(src, cb.ident.span()));
            whole = Some(whole.map_or(cspan, |w| w.cover(cspan)));
            let located =
                |name: &str, b: &mut DocBuilder, ev: &mut Self| match cb.body.get_attribute(name) {
                    Some(a) => {
                        let v = ev.eval(src, &a.value);
                        Some(Located::new(
                            match &v.kind {
                                NodeKind::Str(s) => s.text(),
                                _ => String::new(),
                            },
                            v.span,
                        ))
                    }
                    None => {
                        b.problems.push(Problem {
                            span: cspan,
                            message: format!("`condition` block has no `{name}`"),
                        });
                        None
                    }
                };
            let (Some(test), Some(variable)) =
                (located("test", b, self), located("variable", b, self))
            else {
                continue;
            };
            let Some(values_attr) = cb.body.get_attribute("values") else {
                b.problems.push(Problem {
                    span: cspan,
                    message: "`condition` block has no `values`".to_string(),
                });
                continue;
            };
            let values = match self.eval(src, &values_attr.value) {
                Node {
                    kind: NodeKind::Array(items),
                    ..
                } => items,
                other => vec![other],
            };
            let vspan = Eval::span(src, values_attr.value.span());
            let op = match ops.iter_mut().position(|(t, ..)| t.value == test.value) {
                Some(i) => &mut ops[i],
                None => {
                    ops.push((test, Vec::new(), cspan));
                    let last = ops.len() - 1;
                    &mut ops[last]
                }
            };
            op.2 = op.2.cover(cspan);
            match op.1.iter_mut().find(|(v, ..)| v.value == variable.value) {
                Some(entry) => entry.1.extend(values),
                None => op.1.push((variable, values, vspan)),
            }
        }
        self.bindings.pop();
        let key_span = key_span?;
        let entries = ops
            .into_iter()
            .map(|(test, vars, span)| {
                let inner = vars
                    .into_iter()
                    .map(|(v, values, vspan)| (v, Node::new(NodeKind::Array(values), vspan)))
                    .collect();
                (test, Node::new(NodeKind::Object(inner), span))
            })
            .collect();
        Some((
            Located::new("Condition".to_string(), key_span),
            Node::new(NodeKind::Object(entries), whole.unwrap_or(key_span)),
        ))
    }
}

/// How many elements one `dynamic` block expands to before iamlint stops (and says so).
const MAX_DYNAMIC: usize = super::instances::MAX_INSTANCES;

/// A block of a document as Terraform sees it: written out, or one element of a `dynamic` block
/// (its `content`, with the iterator bound).
struct Expanded<'b> {
    block: &'b Block,
    /// The block type's name as written (`statement`, or the `dynamic` block's head).
    head: Span,
    binding: HashMap<String, Node>,
}

impl Expanded<'_> {
    /// Makes this element's iterator the innermost binding (the caller pushed a frame for it).
    fn set(&self, ev: &mut Eval<'_>) {
        if let Some(top) = ev.bindings.last_mut() {
            top.clone_from(&self.binding);
        }
    }
}

impl Eval<'_> {
    /// The `name` blocks of `body`, in order, with `dynamic "name"` blocks expanded: `for_each`
    /// over a list, set or map, the iterator named by the label or `iterator = x`, holding `key`
    /// and `value`. A collection that is not known leaves an `unresolved-reference`.
    fn blocks<'b>(
        &mut self,
        src: Src<'_>,
        body: &'b Body,
        name: &str,
        b: &mut DocBuilder,
    ) -> Vec<Expanded<'b>> {
        let mut out = Vec::new();
        for block in body.blocks() {
            let head = Eval::span(src, block.ident.span());
            if block.ident.as_str() == name {
                out.push(Expanded {
                    block,
                    head,
                    binding: HashMap::new(),
                });
                continue;
            }
            if block.ident.as_str() != "dynamic"
                || block.labels.first().map(|l| l.as_str()) != Some(name)
            {
                continue;
            }
            let whole = Eval::span(src, block.span());
            let what = format!("dynamic \"{name}\"");
            let unknown = |why: String, b: &mut DocBuilder| {
                b.unresolved
                    .push(Located::new(Unknown::new(what.clone(), why), whole));
            };
            let Some(content) = block.body.get_blocks("content").next() else {
                b.problems.push(Problem {
                    span: head,
                    message: format!("`dynamic \"{name}\"` has no `content` block"),
                });
                continue;
            };
            let Some(for_each) = block.body.get_attribute("for_each") else {
                b.problems.push(Problem {
                    span: head,
                    message: format!("`dynamic \"{name}\"` has no `for_each`"),
                });
                continue;
            };
            let iterator = match block.body.get_attribute("iterator") {
                Some(a) => match &a.value {
                    Expression::Variable(v) => v.as_str().to_string(),
                    _ => {
                        unknown("`iterator` is not a name".to_string(), b);
                        continue;
                    }
                },
                None => name.to_string(),
            };
            let collection = self.eval(src, &for_each.value);
            let items: Vec<(Node, Node)> = match collection.kind {
                NodeKind::Array(items) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Node::new(NodeKind::Number(i.to_string()), v.span), v))
                    .collect(),
                NodeKind::Object(entries) => entries
                    .into_iter()
                    .map(|(k, v)| (Node::new(NodeKind::Str(Scalar::Str(k.value)), k.span), v))
                    .collect(),
                NodeKind::Str(Scalar::Unknown(u)) => {
                    unknown(format!("its `for_each` is not known: {}", u.reason), b);
                    continue;
                }
                NodeKind::Null => continue,
                other => {
                    let found = Node::new(other, collection.span).type_name();
                    unknown(
                        format!("its `for_each` is {found}, not a list, set or map"),
                        b,
                    );
                    continue;
                }
            };
            if items.len() > MAX_DYNAMIC {
                unknown(
                    format!(
                        "its `for_each` has {} elements, more than {MAX_DYNAMIC}",
                        items.len()
                    ),
                    b,
                );
                continue;
            }
            for (key, value) in items {
                let span = value.span;
                let entries = vec![
                    (Located::new("key".to_string(), key.span), key),
                    (Located::new("value".to_string(), span), value),
                ];
                let mut binding = HashMap::new();
                binding.insert(iterator.clone(), Node::new(NodeKind::Object(entries), span));
                out.push(Expanded {
                    block: content,
                    head,
                    binding,
                });
            }
        }
        out
    }
}

/// One condition operator while merging blocks: test, its variables with their values, span.
type ConditionGroup = (
    Located<String>,
    Vec<(Located<String>, Vec<Node>, Span)>,
    Span,
);

struct DocBuilder {
    problems: Vec<Problem>,
    unresolved: Vec<Located<Unknown>>,
    /// A `principals` block has an empty list of identifiers: the provider would write
    /// `{"AWS": []}`, which AWS rejects, so a counted document holding it is one only used when
    /// the list is not empty.
    empty_principal: bool,
}

/// A statement's action or resource list that is empty only at the module's defaults
/// (`resources = var.bucket_arns`, `Resource = var.arns`) is the caller's to fill, as a principals
/// list is: `value` becomes not known, and the returned note says why. A literal `[]` is empty.
fn callers_list(
    src: Src<'_>,
    name: &str,
    expr: &Expression,
    value: &mut Node,
) -> Option<Located<Unknown>> {
    let empty = matches!(&value.kind, NodeKind::Array(items) if items.is_empty());
    if !empty
        || matches!(expr, Expression::Array(a) if a.is_empty())
        || !matches!(name, "Action" | "NotAction" | "Resource" | "NotResource")
    {
        return None;
    }
    let at = Eval::span(src, expr.span());
    let what = match name {
        "Action" | "NotAction" => "actions",
        _ => "resources",
    };
    let unknown = Unknown::new(
        Eval::text_of(src, expr),
        format!("the list is empty at the module's defaults: the {what} are the caller's"),
    );
    *value = Node::new(NodeKind::Str(Scalar::unknown(unknown.clone())), at);
    Some(Located::new(unknown, at))
}

/// [`callers_list`] over the statements of a `jsonencode({...})` document, walking the written
/// objects and lists beside their values.
fn callers_lists(
    src: Src<'_>,
    expr: &Expression,
    node: &mut Node,
    out: &mut Vec<Located<Unknown>>,
) {
    match (expr, &mut node.kind) {
        (Expression::Parenthesis(p), _) => callers_lists(src, p.inner(), node, out),
        (Expression::Array(items), NodeKind::Array(values)) if items.len() == values.len() => {
            for (item, value) in items.iter().zip(values.iter_mut()) {
                callers_lists(src, item, value, out);
            }
        }
        (Expression::Object(object), NodeKind::Object(entries)) => {
            for (key, item) in object.iter() {
                let name = match key {
                    hcl_edit::expr::ObjectKey::Ident(id) => id.as_str(),
                    hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => s.as_str(),
                    hcl_edit::expr::ObjectKey::Expression(_) => continue,
                };
                let Some((_, value)) = entries.iter_mut().find(|(k, _)| k.value == name) else {
                    continue;
                };
                match callers_list(src, name, item.expr(), value) {
                    Some(u) => out.push(u),
                    None => callers_lists(src, item.expr(), value, out),
                }
            }
        }
        _ => {}
    }
}

fn statements_of(doc: &Node) -> Vec<Node> {
    match doc.get("Statement").map(|s| &s.kind) {
        Some(NodeKind::Array(items)) => items.clone(),
        Some(NodeKind::Object(_)) => doc.get("Statement").cloned().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Adds a statement, replacing an earlier one with the same non-empty `Sid` (the provider's rule
/// for sources, the document's own statements and overrides).
fn merge_statement(statements: &mut Vec<Node>, stmt: Node) {
    let sid = stmt
        .get("Sid")
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty());
    if let Some(sid) = sid {
        if let Some(existing) = statements
            .iter_mut()
            .find(|s| s.get("Sid").and_then(Node::as_str) == Some(sid))
        {
            *existing = stmt;
            return;
        }
    }
    statements.push(stmt);
}

/// What a built document gives a policy attribute: nothing for a placeholder.
pub(super) fn built_value(built: BuiltDoc) -> PolicyValue {
    if built.placeholder {
        return PolicyValue::Absent;
    }
    PolicyValue::Doc {
        node: built.node,
        syntax: Syntax::HclPolicyDocument,
        via: None,
        problems: built.problems,
        unresolved: built.unresolved,
    }
}
