//! Evaluating CloudFormation intrinsic functions as far as the template itself allows.
//!
//! `Ref` to a parameter with a default and `Fn::Sub` text become known strings; pseudo parameters
//! (`AWS::Region`, `AWS::AccountId`, ...), resource references, `Fn::GetAtt` and `Fn::ImportValue`
//! stay unknown (a [`Template`] hole or [`Scalar::Unknown`]), never `*`. `Fn::If` is evaluated under
//! one assignment of the template's conditions; the caller runs every assignment so both branches
//! are linted (see `mod.rs`).

use std::collections::HashMap;

use crate::model::{Scalar, Template, TemplatePart, Unknown};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// Deploy-time values: known to CloudFormation, not to a linter.
const PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

const PSEUDO_REASON: &str = "pseudo parameter known only when the stack is deployed";

/// How deep evaluation recurses (the YAML and JSON readers already cap nesting at 128).
const MAX_DEPTH: usize = 200;

/// What the template declares: parameters, resources, mappings.
#[derive(Debug, Default)]
pub struct Scope<'a> {
    /// Parameter name → its `Default`, when it has one; and whether it is a list type.
    pub params: HashMap<String, Param<'a>>,
    /// Logical id → resource type.
    pub resources: HashMap<String, String>,
    pub mappings: Option<&'a Node>,
    /// The main file's text, to quote unknown expressions as written.
    pub text: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    pub default: Option<&'a Node>,
    pub list: bool,
}

impl<'a> Scope<'a> {
    pub fn new(root: &'a Node, text: &'a str) -> Self {
        let mut scope = Scope {
            text,
            mappings: root.get("Mappings"),
            ..Scope::default()
        };
        if let Some(params) = root.get("Parameters") {
            for (name, decl) in params.entries() {
                let list = decl.get("Type").and_then(Node::as_str).is_some_and(|t| {
                    t == "CommaDelimitedList" || t.starts_with("List<") || t.contains("::List<")
                });
                scope.params.insert(
                    name.value.clone(),
                    Param {
                        default: decl.get("Default"),
                        list,
                    },
                );
            }
        }
        if let Some(resources) = root.get("Resources") {
            for (id, res) in resources.entries() {
                let kind = res.get("Type").and_then(Node::as_str).unwrap_or("?");
                scope.resources.insert(id.value.clone(), kind.to_string());
            }
        }
        scope
    }

    /// The expression as written, on one line and not too long, for messages.
    pub fn quote(&self, span: Span) -> String {
        let raw = self.text.get(span.range()).unwrap_or("");
        let mut out = String::new();
        for word in raw.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        if out.chars().count() > 80 {
            out = out.chars().take(79).collect::<String>() + "…";
        }
        out
    }
}

/// The intrinsic function name when `node` is a one-key `{"Fn::X": ...}` / `{"Ref": ...}` object.
pub fn intrinsic(node: &Node) -> Option<(&str, &Node)> {
    match node.entries() {
        [(key, arg)] if key.value == "Ref" || key.value.starts_with("Fn::") => {
            Some((key.value.as_str(), arg))
        }
        _ => None,
    }
}

/// Every condition name used by an `Fn::If` under `node`, in order of first use.
pub fn conditions_used(node: &Node, out: &mut Vec<String>) {
    conditions_in(node, out, 0);
}

fn conditions_in(node: &Node, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(("Fn::If", NodeKind::Array(args))) = intrinsic(node).map(|(n, a)| (n, &a.kind)) {
        if let Some(name) = args.first().and_then(Node::as_str) {
            if !out.iter().any(|c| c == name) {
                out.push(name.to_string());
            }
        }
    }
    match &node.kind {
        NodeKind::Array(items) => items.iter().for_each(|i| conditions_in(i, out, depth + 1)),
        NodeKind::Object(entries) => entries
            .iter()
            .for_each(|(_, v)| conditions_in(v, out, depth + 1)),
        _ => {}
    }
}

/// Evaluates intrinsics under one assignment of conditions.
pub struct Eval<'s, 'a> {
    pub scope: &'s Scope<'a>,
    /// Condition name → the branch taken. A condition not listed takes its `true` branch.
    pub conditions: &'s HashMap<String, bool>,
    /// Extra named values (`Fn::Sub` variables, SAM policy template parameters).
    pub locals: HashMap<String, Node>,
}

impl Eval<'_, '_> {
    /// The value of `node` with every intrinsic evaluated; `None` for `AWS::NoValue` (the key or
    /// list item is dropped, as CloudFormation does).
    pub fn eval(&self, node: &Node) -> Option<Node> {
        self.eval_at(node, 0)
    }

    fn eval_at(&self, node: &Node, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return Some(unknown(
                node.span,
                self.scope.quote(node.span),
                "nested too deeply to evaluate",
            ));
        }
        if let Some((name, arg)) = intrinsic(node) {
            return self.function(node, name, arg, depth);
        }
        Some(match &node.kind {
            NodeKind::Array(items) => Node::new(
                NodeKind::Array(
                    items
                        .iter()
                        .filter_map(|i| self.eval_at(i, depth + 1))
                        .collect(),
                ),
                node.span,
            ),
            NodeKind::Object(entries) => Node::new(
                NodeKind::Object(
                    entries
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), self.eval_at(v, depth + 1)?)))
                        .collect(),
                ),
                node.span,
            ),
            _ => node.clone(),
        })
    }

    fn function(&self, node: &Node, name: &str, arg: &Node, depth: usize) -> Option<Node> {
        let span = node.span;
        let quoted = || self.scope.quote(span);
        let args = match &arg.kind {
            NodeKind::Array(items) => items.as_slice(),
            _ => std::slice::from_ref(arg),
        };
        Some(match name {
            "Ref" => match arg.as_str() {
                Some("AWS::NoValue") => return None,
                Some(target) => self.reference(target, span, quoted()),
                None => unknown(span, quoted(), "`Ref` takes a name"),
            },
            "Fn::Sub" => self.sub(span, arg, depth),
            "Fn::If" => {
                let [cond, yes, no] = args else {
                    return Some(unknown(
                        span,
                        quoted(),
                        "`Fn::If` takes a condition and two values",
                    ));
                };
                let take = cond
                    .as_str()
                    .and_then(|c| self.conditions.get(c))
                    .copied()
                    .unwrap_or(true);
                return self.eval_at(if take { yes } else { no }, depth + 1);
            }
            "Fn::Join" => self.join(span, args, depth).unwrap_or_else(|| {
                unknown(span, quoted(), "`Fn::Join` over values not known here")
            }),
            "Fn::Select" => self.select(span, args, depth).unwrap_or_else(|| {
                unknown(span, quoted(), "`Fn::Select` over values not known here")
            }),
            "Fn::Split" => self.split(span, args, depth).unwrap_or_else(|| {
                unknown(span, quoted(), "`Fn::Split` of a value not known here")
            }),
            "Fn::FindInMap" => self
                .find_in_map(span, args, depth)
                .unwrap_or_else(|| unknown(span, quoted(), "`Fn::FindInMap` entry not found")),
            "Fn::GetAtt" => {
                // `[Resource, Attr]`, or `Resource.Attr` (the YAML short form's string).
                let target = match args {
                    [first, ..] if args.len() > 1 => first.as_str(),
                    [one] => one.as_str().and_then(|s| s.split('.').next()),
                    _ => None,
                };
                self.attribute(span, quoted(), target)
            }
            "Fn::ImportValue" => unknown(span, quoted(), "value exported by another stack"),
            "Fn::GetAZs" | "Fn::Cidr" | "Fn::Base64" | "Fn::Length" | "Fn::ToJsonString" => {
                unknown(span, quoted(), format!("`{name}` is not evaluated"))
            }
            _ => unknown(span, quoted(), format!("`{name}` is not evaluated")),
        })
    }

    fn reference(&self, target: &str, span: Span, quoted: String) -> Node {
        if let Some(local) = self.locals.get(target) {
            return local.clone();
        }
        if PSEUDO.contains(&target) {
            return unknown(span, quoted, PSEUDO_REASON);
        }
        if let Some(param) = self.scope.params.get(target) {
            return match param.default.and_then(|d| self.eval_at(d, 1)) {
                Some(value) => {
                    let value = respan(&value, span);
                    match (&value.kind, param.list) {
                        (NodeKind::Str(Scalar::Str(s)), true) => Node::new(
                            NodeKind::Array(
                                s.split(',')
                                    .map(|p| Node::new(NodeKind::Str(Scalar::str(p.trim())), span))
                                    .collect(),
                            ),
                            span,
                        ),
                        (NodeKind::Number(n), _) => {
                            Node::new(NodeKind::Str(Scalar::Str(n.clone())), span)
                        }
                        _ => value,
                    }
                }
                None => unknown(span, quoted, format!("parameter `{target}` has no default")),
            };
        }
        if let Some(kind) = self.scope.resources.get(target) {
            return local_unknown(
                span,
                quoted,
                format!("`{kind}` `{target}` is known only when the stack is deployed"),
            );
        }
        unknown(span, quoted, format!("no parameter or resource `{target}`"))
    }

    /// `Fn::GetAtt` (or `${Res.Attr}` in `Fn::Sub`) of the resource `target`: unknown, and marked
    /// as naming a resource of this template when the template declares it.
    fn attribute(&self, span: Span, quoted: String, target: Option<&str>) -> Node {
        const REASON: &str = "resource attribute known only when the stack is deployed";
        match target {
            Some(t) if self.scope.resources.contains_key(t) => local_unknown(span, quoted, REASON),
            _ => unknown(span, quoted, REASON),
        }
    }

    /// `${Name}`, `${Res.Attr}` and `${!Literal}` in a string, with optional variables.
    fn sub(&self, span: Span, arg: &Node, depth: usize) -> Node {
        let (text, vars) = match &arg.kind {
            NodeKind::Array(items) => match items.as_slice() {
                [text, vars] => (text, Some(vars)),
                [text] => (text, None),
                _ => {
                    return unknown(
                        span,
                        self.scope.quote(span),
                        "`Fn::Sub` takes a string and variables",
                    )
                }
            },
            _ => (arg, None),
        };
        let Some(text) = text.as_str() else {
            return unknown(
                span,
                self.scope.quote(span),
                "`Fn::Sub` of a value not known here",
            );
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            push_lit(&mut parts, &rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find('}') else {
                push_lit(&mut parts, &rest[open..]);
                rest = "";
                break;
            };
            let name = after[..close].trim();
            rest = &after[close + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                push_lit(&mut parts, &format!("${{{literal}}}"));
                continue;
            }
            let value = match vars.and_then(|v| v.get(name)) {
                Some(v) => self.eval_at(v, depth + 1),
                None if name.contains('.') && !PSEUDO.contains(&name) => {
                    Some(self.attribute(span, name.to_string(), name.split('.').next()))
                }
                None => Some(self.reference(name, span, name.to_string())),
            };
            match value.map(|v| v.kind) {
                Some(NodeKind::Str(Scalar::Str(s))) => push_lit(&mut parts, &s),
                Some(NodeKind::Number(n)) => push_lit(&mut parts, &n),
                Some(NodeKind::Str(Scalar::Template(t))) => {
                    for part in t.parts {
                        match part {
                            TemplatePart::Lit(s) => push_lit(&mut parts, &s),
                            hole => parts.push(hole),
                        }
                    }
                }
                Some(NodeKind::Str(Scalar::Unknown(u))) => parts.push(TemplatePart::Hole(*u)),
                _ => parts.push(TemplatePart::Hole(Unknown::new(name, "not a string value"))),
            }
        }
        push_lit(&mut parts, rest);
        template(parts, span)
    }

    fn join(&self, span: Span, args: &[Node], depth: usize) -> Option<Node> {
        let [delim, list] = args else { return None };
        let delim = delim.as_str()?;
        let list = self.eval_at(list, depth + 1)?;
        let NodeKind::Array(items) = list.kind else {
            return None;
        };
        let mut parts = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                push_lit(&mut parts, delim);
            }
            match item.kind {
                NodeKind::Str(Scalar::Str(s)) | NodeKind::Number(s) => push_lit(&mut parts, &s),
                NodeKind::Str(Scalar::Template(t)) => {
                    for part in t.parts {
                        match part {
                            TemplatePart::Lit(s) => push_lit(&mut parts, &s),
                            hole => parts.push(hole),
                        }
                    }
                }
                NodeKind::Str(Scalar::Unknown(u)) => parts.push(TemplatePart::Hole(*u)),
                _ => return None,
            }
        }
        Some(template(parts, span))
    }

    fn select(&self, span: Span, args: &[Node], depth: usize) -> Option<Node> {
        let [index, list] = args else { return None };
        let index = self.eval_at(index, depth + 1)?;
        let index: usize = match &index.kind {
            NodeKind::Number(n) => n.parse().ok()?,
            NodeKind::Str(Scalar::Str(s)) => s.parse().ok()?,
            _ => return None,
        };
        let list = self.eval_at(list, depth + 1)?;
        let NodeKind::Array(items) = list.kind else {
            return None;
        };
        items.get(index).map(|item| respan(item, span))
    }

    fn split(&self, span: Span, args: &[Node], depth: usize) -> Option<Node> {
        let [delim, text] = args else { return None };
        let delim = delim.as_str().filter(|d| !d.is_empty())?;
        let text = self.eval_at(text, depth + 1)?;
        let text = text.as_str()?;
        Some(Node::new(
            NodeKind::Array(
                text.split(delim)
                    .map(|p| Node::new(NodeKind::Str(Scalar::str(p)), span))
                    .collect(),
            ),
            span,
        ))
    }

    fn find_in_map(&self, span: Span, args: &[Node], depth: usize) -> Option<Node> {
        let [map, top, second] = args else {
            return None;
        };
        let key = |n: &Node| {
            self.eval_at(n, depth + 1)
                .and_then(|v| v.as_str().map(String::from))
        };
        let value = self
            .scope
            .mappings?
            .get(&key(map)?)?
            .get(&key(top)?)?
            .get(&key(second)?)?;
        self.eval_at(value, depth + 1).map(|v| respan(&v, span))
    }
}

fn unknown(span: Span, expr: impl Into<String>, reason: impl Into<String>) -> Node {
    Node::new(
        NodeKind::Str(Scalar::unknown(Unknown::new(expr, reason))),
        span,
    )
}

/// An unknown value that names a resource declared in the template (see [`Unknown::local_resource`]).
fn local_unknown(span: Span, expr: impl Into<String>, reason: impl Into<String>) -> Node {
    Node::new(
        NodeKind::Str(Scalar::unknown(Unknown::local_resource(expr, reason))),
        span,
    )
}

fn push_lit(parts: &mut Vec<TemplatePart>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(TemplatePart::Lit(last)) = parts.last_mut() {
        last.push_str(s);
    } else {
        parts.push(TemplatePart::Lit(s.to_string()));
    }
}

/// A known string when there are no holes, a template otherwise.
fn template(parts: Vec<TemplatePart>, span: Span) -> Node {
    let scalar = match parts.as_slice() {
        [] => Scalar::str(""),
        [TemplatePart::Lit(s)] => Scalar::Str(s.clone()),
        _ => Scalar::Template(Template { parts }),
    };
    Node::new(NodeKind::Str(scalar), span)
}

/// A copy of `node` with every span set to `span`: a value brought in from elsewhere (a parameter
/// default, a SAM policy template) is reported where it is used.
pub fn respan(node: &Node, span: Span) -> Node {
    let kind = match &node.kind {
        NodeKind::Array(items) => NodeKind::Array(items.iter().map(|i| respan(i, span)).collect()),
        NodeKind::Object(entries) => NodeKind::Object(
            entries
                .iter()
                .map(|(k, v)| (Located::new(k.value.clone(), span), respan(v, span)))
                .collect(),
        ),
        other => other.clone(),
    };
    Node::new(kind, span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn eval_with(template: &str, expr: &str, conditions: &[(&str, bool)]) -> Node {
        let root = crate::json::parse(template, FileId(0), 0).unwrap();
        // Unknowns quote the expression's own text.
        let scope = Scope::new(&root, expr);
        let conditions = conditions
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        let eval = Eval {
            scope: &scope,
            conditions: &conditions,
            locals: HashMap::new(),
        };
        let node = crate::json::parse(expr, FileId(0), 0).unwrap();
        eval.eval(&node).unwrap()
    }

    const TPL: &str = r#"{"Parameters":{"Bucket":{"Type":"String","Default":"logs"},"NoDef":{"Type":"String"},
        "Names":{"Type":"CommaDelimitedList","Default":"a,b"}},
        "Mappings":{"M":{"prod":{"arn":"arn:aws:s3:::prod"}}},
        "Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}"#;

    #[test]
    fn sub_resolves_parameters_and_keeps_pseudo_parameters_unknown() {
        let node = eval_with(
            TPL,
            r#"{"Fn::Sub":"arn:${AWS::Partition}:s3:::${Bucket}/*"}"#,
            &[],
        );
        let NodeKind::Str(Scalar::Template(t)) = node.kind else {
            panic!("{node:?}")
        };
        assert_eq!(t.display(), "arn:${AWS::Partition}:s3:::logs/*");
        let node = eval_with(TPL, r#"{"Fn::Sub":"arn:aws:s3:::${Bucket}"}"#, &[]);
        assert_eq!(node.as_str(), Some("arn:aws:s3:::logs"));
        let node = eval_with(
            TPL,
            r#"{"Fn::Sub":["${X}-${!Literal}",{"X":{"Ref":"Bucket"}}]}"#,
            &[],
        );
        assert_eq!(node.as_str(), Some("logs-${Literal}"));
    }

    #[test]
    fn refs_getatts_and_imports() {
        assert_eq!(
            eval_with(TPL, r#"{"Ref":"Bucket"}"#, &[]).as_str(),
            Some("logs")
        );
        for (expr, reason) in [
            (r#"{"Ref":"NoDef"}"#, "has no default"),
            (r#"{"Ref":"Queue"}"#, "`AWS::SQS::Queue` `Queue`"),
            (r#"{"Fn::GetAtt":["Queue","Arn"]}"#, "resource attribute"),
            (r#"{"Fn::ImportValue":"x"}"#, "another stack"),
            (r#"{"Ref":"AWS::Region"}"#, "pseudo parameter"),
        ] {
            let node = eval_with(TPL, expr, &[]);
            let NodeKind::Str(Scalar::Unknown(u)) = &node.kind else {
                panic!("{expr}: {node:?}")
            };
            assert!(u.reason.contains(reason), "{expr}: {u:?}");
            assert_eq!(u.expr, expr, "quoted as written");
        }
    }

    #[test]
    fn references_to_resources_of_the_template_are_marked_local() {
        let hole = |node: Node| match node.kind {
            NodeKind::Str(Scalar::Unknown(u)) => *u,
            NodeKind::Str(Scalar::Template(t)) => t.holes().next().cloned().expect("a hole"),
            other => panic!("{other:?}"),
        };
        for expr in [
            r#"{"Ref":"Queue"}"#,
            r#"{"Fn::GetAtt":["Queue","Arn"]}"#,
            r#"{"Fn::GetAtt":"Queue.Arn"}"#,
            r#"{"Fn::Sub":"${Queue.Arn}/*"}"#,
            r#"{"Fn::Sub":"arn:aws:sqs:::${Queue}"}"#,
        ] {
            assert!(hole(eval_with(TPL, expr, &[])).local_resource, "{expr}");
        }
        for expr in [
            r#"{"Fn::GetAtt":["Missing","Arn"]}"#,
            r#"{"Fn::GetAtt":"Missing.Arn"}"#,
            r#"{"Fn::Sub":"${Missing.Arn}/*"}"#,
            r#"{"Ref":"Missing"}"#,
            r#"{"Ref":"NoDef"}"#,
            r#"{"Ref":"AWS::AccountId"}"#,
            r#"{"Fn::ImportValue":"Queue"}"#,
        ] {
            assert!(!hole(eval_with(TPL, expr, &[])).local_resource, "{expr}");
        }
    }

    #[test]
    fn join_select_split_if_and_find_in_map() {
        let node = eval_with(
            TPL,
            r#"{"Fn::Join":[":",["arn","aws",{"Ref":"AWS::Region"}]]}"#,
            &[],
        );
        let NodeKind::Str(Scalar::Template(t)) = &node.kind else {
            panic!("{node:?}")
        };
        assert_eq!(t.display(), "arn:aws:${{\"Ref\":\"AWS::Region\"}}");
        assert_eq!(
            eval_with(TPL, r#"{"Fn::Select":[1,{"Ref":"Names"}]}"#, &[]).as_str(),
            Some("b")
        );
        assert_eq!(
            eval_with(
                TPL,
                r#"{"Fn::Select":["0",{"Fn::Split":["/","x/y"]}]}"#,
                &[]
            )
            .as_str(),
            Some("x")
        );
        let expr = r#"{"Fn::If":["Prod","p","d"]}"#;
        assert_eq!(eval_with(TPL, expr, &[("Prod", true)]).as_str(), Some("p"));
        assert_eq!(eval_with(TPL, expr, &[("Prod", false)]).as_str(), Some("d"));
        assert_eq!(
            eval_with(TPL, r#"{"Fn::FindInMap":["M","prod","arn"]}"#, &[]).as_str(),
            Some("arn:aws:s3:::prod")
        );
        let list = eval_with(TPL, r#"["a",{"Ref":"AWS::NoValue"},"b"]"#, &[]);
        let NodeKind::Array(items) = &list.kind else {
            panic!("{list:?}")
        };
        assert_eq!(items.len(), 2);
    }
}
