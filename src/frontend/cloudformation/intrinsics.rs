//! Evaluating CloudFormation intrinsic functions as far as the template itself allows.
//!
//! `Ref` to a parameter with a default and `Fn::Sub` text become known strings; pseudo parameters
//! (`AWS::Region`, `AWS::AccountId`, ...), resource references, `Fn::GetAtt` and `Fn::ImportValue`
//! stay unknown (a [`Template`] hole or [`Scalar::Unknown`]), never `*`. A pseudo parameter's
//! unknown is named after it (`AWS::Region`), however it is written, and `AWS::NoValue` removes
//! the key or item. `Fn::FindInMap` with a key known only at deploy time stands for every entry it
//! could select: their value when they all agree, else an unknown. `Fn::If` is evaluated under
//! one assignment of the template's conditions; the caller runs every assignment so both branches
//! are linted (see `mod.rs`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::names::Named;
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

/// How dynamic references start: `{{resolve:ssm:/org/account-id}}`, `{{resolve:secretsmanager:...}}`.
const DYNAMIC_REF: &str = "{{resolve:";

/// How deep conditions may name one another (a cycle is an invalid template).
const MAX_CONDITION_DEPTH: usize = 32;

/// No branch assumed: parameters are their defaults.
static NO_CONDITIONS: std::sync::LazyLock<HashMap<String, bool>> =
    std::sync::LazyLock::new(HashMap::new);

/// How deep evaluation recurses (the YAML and JSON readers already cap nesting at 128).
const MAX_DEPTH: usize = 200;

/// How deep `Fn::Sub` may nest inside the variables of another `Fn::Sub` (templates use 2 or 3).
pub const MAX_SUB_NESTING: usize = 8;

/// Text the intrinsic functions of one file may produce in all (`Fn::Sub`, `Fn::Join`), counting
/// every evaluation of every resource. A template body is at most 1 MB, so real templates stay far
/// below; a few nested `Fn::Sub` that each repeat their variable grow past it within microseconds.
pub const MAX_EVAL_BYTES: usize = 32 << 20;

/// What one unknown part of a produced string counts against [`MAX_EVAL_BYTES`], besides its text.
const HOLE_COST: usize = 64;

/// What the template declares: parameters, resources, mappings.
#[derive(Debug, Default)]
pub struct Scope<'a> {
    /// Parameter name → its `Default`, when it has one; and whether it is a list type.
    pub params: HashMap<String, Param<'a>>,
    /// Logical id → resource type.
    pub resources: HashMap<String, String>,
    /// Roles, users, groups and managed policies by the name they give themselves (`RoleName`,
    /// literal): kind and name → logical id (see [`super::names`]).
    pub named: HashMap<(Named, String), String>,
    pub mappings: Option<&'a Node>,
    /// The `Conditions` section: `Fn::If` branches assume their condition's value.
    pub conditions: Option<&'a Node>,
    /// The main file's text, to quote unknown expressions as written.
    pub text: &'a str,
    /// Bytes produced so far by the file's intrinsic functions (see [`MAX_EVAL_BYTES`]).
    produced: Cell<usize>,
    /// How many `Fn::Sub` are being evaluated inside one another (see [`MAX_SUB_NESTING`]).
    sub_nesting: Cell<usize>,
    /// Where the text of the last string each `Fn::Sub` / `Fn::Join` produced was written, by the
    /// span of the expression, for strings that may be a JSON policy document (see [`Trace`]).
    traces: RefCell<HashMap<Span, Trace>>,
}

/// Where the text of a string produced by `Fn::Sub` or `Fn::Join` was written, piece by piece, so
/// that a policy document written as JSON text (`PolicyDocument: !Sub |`) is reported at the line
/// and column of each value (see `json_string`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The scalars the text came from, as written: span and value.
    pub written: Vec<(Span, String)>,
    /// The produced text in order, literal runs and holes, with where each came from.
    pub pieces: Vec<(Piece, From)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// This many bytes of text.
    Lit(usize),
    /// An unknown part.
    Hole,
}

/// Where a [`Piece`] was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// Byte `i` of the piece is byte `offset + i` of written scalar `written`.
    Text { written: usize, offset: usize },
    /// The piece stands for bytes `start..end` of written scalar `written` (a `${Name}`).
    Range {
        written: usize,
        start: usize,
        end: usize,
    },
    /// The piece stands for this expression (a value computed from it).
    Span(Span),
}

impl From {
    /// The same source `n` bytes further on.
    fn advance(self, n: usize) -> From {
        match self {
            From::Text { written, offset } => From::Text {
                written,
                offset: offset + n,
            },
            other => other,
        }
    }

    /// Bytes `start..end` of a text source, as one range.
    fn range(self, start: usize, end: usize) -> From {
        match self {
            From::Text { written, offset } => From::Range {
                written,
                start: offset + start,
                end: offset + end,
            },
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    pub default: Option<&'a Node>,
    pub list: bool,
    /// `AWS::SSM::Parameter::Value<...>`: the default names an SSM parameter whose value
    /// CloudFormation reads at deployment; it is not the value.
    pub ssm: bool,
}

impl<'a> Scope<'a> {
    pub fn new(root: &'a Node, text: &'a str) -> Self {
        let mut scope = Scope {
            text,
            mappings: root.get("Mappings"),
            conditions: root.get("Conditions"),
            ..Scope::default()
        };
        if let Some(params) = root.get("Parameters") {
            for (name, decl) in params.entries() {
                let ty = decl.get("Type").and_then(Node::as_str).unwrap_or("");
                let list =
                    ty == "CommaDelimitedList" || ty.starts_with("List<") || ty.contains("::List<");
                scope.params.insert(
                    name.value.clone(),
                    Param {
                        default: decl.get("Default"),
                        list,
                        ssm: ty.trim().starts_with("AWS::SSM::Parameter::Value<"),
                    },
                );
            }
        }
        if let Some(resources) = root.get("Resources") {
            for (id, res) in resources.entries() {
                let kind = res.get("Type").and_then(Node::as_str).unwrap_or("?");
                scope.resources.insert(id.value.clone(), kind.to_string());
            }
            let mut named: HashMap<(Named, String), Option<String>> = HashMap::new();
            for (id, res) in resources.entries() {
                let (Some(kind), Some(props)) = (
                    res.get("Type").and_then(Node::as_str),
                    res.get("Properties"),
                ) else {
                    continue;
                };
                for what in Named::ALL.into_iter().filter(|w| w.resource_type() == kind) {
                    if let Some(name) = super::names::own_name(&scope, props, what) {
                        // Two resources of one name (behind conditions): neither is chosen.
                        named
                            .entry((what, name))
                            .and_modify(|v| *v = None)
                            .or_insert_with(|| Some(id.value.clone()));
                    }
                }
            }
            scope.named = named
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect();
        }
        scope
    }

    /// The expression as written, on one line and not too long, for messages.
    /// The trace of the string last produced at `span` (see [`Trace`]).
    pub fn trace(&self, span: Span) -> Option<Trace> {
        self.traces.borrow().get(&span).cloned()
    }

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
            NodeKind::Str(Scalar::Str(text)) if text.contains(DYNAMIC_REF) => {
                let mut out = Produced::new(self.scope);
                let from = out.written(node.span, text);
                out.lit(text, from);
                out.finish(node.span, || self.scope.quote(node.span))
            }
            _ => node.clone(),
        })
    }

    /// The condition of this branch assignment, if any, that the parameter's default contradicts:
    /// `!If [HasKey, !Ref KmsKeyArn, ...]` with `HasKey: !Not [!Equals [!Ref KmsKeyArn, '']]` is
    /// judged with `KmsKeyArn` unknown on its true branch, never with the default `''`.
    fn contradicted(&self, param: &str) -> Option<(String, bool)> {
        let defaults = Eval {
            scope: self.scope,
            conditions: &NO_CONDITIONS,
            locals: HashMap::new(),
        };
        let mut names: Vec<(&String, &bool)> = self.conditions.iter().collect();
        names.sort();
        names.into_iter().find_map(|(name, &assumed)| {
            let mut refs = Vec::new();
            defaults.condition_refs(name, &mut refs, 0);
            if !refs.iter().any(|r| r == param) {
                return None;
            }
            let def = self.scope.conditions?.get(name)?;
            let value = defaults.condition_value(def, 0)?;
            (value != assumed).then(|| (name.clone(), assumed))
        })
    }

    /// The parameters a condition refers to, through the conditions it names.
    fn condition_refs(&self, name: &str, out: &mut Vec<String>, depth: usize) {
        if depth > MAX_CONDITION_DEPTH {
            return;
        }
        if let Some(def) = self.scope.conditions.and_then(|c| c.get(name)) {
            self.refs_in(def, out, depth + 1);
        }
    }

    fn refs_in(&self, node: &Node, out: &mut Vec<String>, depth: usize) {
        if depth > MAX_CONDITION_DEPTH {
            return;
        }
        match (intrinsic(node), &node.kind) {
            (Some(("Ref", arg)), _) => out.extend(arg.as_str().map(str::to_string)),
            (Some(("Condition", arg)), _) => {
                if let Some(c) = arg.as_str() {
                    self.condition_refs(c, out, depth + 1);
                }
            }
            (Some((_, arg)), _) => self.refs_in(arg, out, depth + 1),
            (None, NodeKind::Array(items)) => {
                for i in items {
                    self.refs_in(i, out, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// A condition's value with every parameter at its default, when that decides it.
    fn condition_value(&self, node: &Node, depth: usize) -> Option<bool> {
        if depth > MAX_CONDITION_DEPTH {
            return None;
        }
        let (name, arg) = intrinsic(node)?;
        let args = match &arg.kind {
            NodeKind::Array(items) => items.as_slice(),
            _ => std::slice::from_ref(arg),
        };
        match name {
            "Condition" => {
                let def = self.scope.conditions?.get(arg.as_str()?)?;
                self.condition_value(def, depth + 1)
            }
            "Fn::Not" => match args {
                [c] => self.condition_value(c, depth + 1).map(|b| !b),
                _ => None,
            },
            "Fn::And" | "Fn::Or" => {
                let values: Vec<Option<bool>> = args
                    .iter()
                    .map(|c| self.condition_value(c, depth + 1))
                    .collect();
                let decisive = name == "Fn::Or";
                if values.contains(&Some(decisive)) {
                    Some(decisive)
                } else if values.iter().all(Option::is_some) {
                    Some(!decisive)
                } else {
                    None
                }
            }
            "Fn::Equals" => {
                let [a, b] = args else { return None };
                let text = |n: &Node| -> Option<String> {
                    let v = self.eval_at(n, depth + 1)?;
                    match &v.kind {
                        NodeKind::Str(Scalar::Str(s)) | NodeKind::Number(s) => Some(s.clone()),
                        NodeKind::Bool(b) => Some(b.to_string()),
                        _ => None,
                    }
                };
                Some(text(a)? == text(b)?)
            }
            _ => None,
        }
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
            "Fn::FindInMap" => self.find_in_map(span, args, depth),
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
            // Named as such (not as written): `unresolved-reference` leaves the deploying
            // account's own coordinates alone, whatever the spelling (`!Ref 'AWS::Region'`).
            return unknown(span, target, PSEUDO_REASON);
        }
        if let Some(param) = self.scope.params.get(target) {
            if param.ssm {
                let name = param.default.and_then(Node::as_str).unwrap_or("");
                return unknown(
                    span,
                    quoted,
                    format!("parameter `{target}` is the value of SSM parameter `{name}`, read when the stack is deployed"),
                );
            }
            if let Some((condition, assumed)) = self.contradicted(target) {
                return unknown(
                    span,
                    quoted,
                    format!("this `Fn::If` branch assumes `{condition}` is {assumed}, which the default of `{target}` makes {}", !assumed),
                );
            }
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
        let nesting = self.scope.sub_nesting.get();
        if nesting >= MAX_SUB_NESTING {
            return unknown(
                span,
                self.scope.quote(span),
                format!("`Fn::Sub` nests more than {MAX_SUB_NESTING} deep (an evaluation bound)"),
            );
        }
        self.scope.sub_nesting.set(nesting + 1);
        let out = self.sub_text(span, arg, depth);
        self.scope.sub_nesting.set(nesting);
        out
    }

    fn sub_text(&self, span: Span, arg: &Node, depth: usize) -> Node {
        let (format, vars) = match &arg.kind {
            NodeKind::Array(items) => match items.as_slice() {
                [format, vars] => (format, Some(vars)),
                [format] => (format, None),
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
        let Some(text) = format.as_str() else {
            return unknown(
                span,
                self.scope.quote(span),
                "`Fn::Sub` of a value not known here",
            );
        };
        let mut out = Produced::new(self.scope);
        let source = out.written(format.span, text);
        // Each variable is evaluated once, however often the text names it.
        let mut values: HashMap<&str, Option<Node>> = HashMap::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            let at = text.len() - rest.len();
            out.lit(&rest[..open], source.advance(at));
            let after = &rest[open + 2..];
            let Some(close) = after.find('}') else {
                out.lit(&rest[open..], source.advance(at + open));
                rest = "";
                break;
            };
            let name = after[..close].trim();
            rest = &after[close + 1..];
            let placeholder = source.range(at + open, text.len() - rest.len());
            if let Some(literal) = name.strip_prefix('!') {
                out.lit(&format!("${{{literal}}}"), placeholder);
                continue;
            }
            let value =
                values
                    .entry(name)
                    .or_insert_with(|| match vars.and_then(|v| v.get(name)) {
                        Some(v) => self.eval_at(v, depth + 1),
                        None if name.contains('.') && !PSEUDO.contains(&name) => {
                            Some(self.attribute(span, name.to_string(), name.split('.').next()))
                        }
                        None => Some(self.reference(name, span, name.to_string())),
                    });
            match value.as_ref().map(|v| &v.kind) {
                Some(NodeKind::Str(s)) => out.scalar(s, placeholder),
                Some(NodeKind::Number(n)) => out.lit(n, placeholder),
                _ => out.hole(Unknown::new(name, "not a string value"), placeholder),
            }
            if out.over {
                break;
            }
        }
        let at = text.len() - rest.len();
        out.lit(rest, source.advance(at));
        out.finish(span, || self.scope.quote(span))
    }

    fn join(&self, span: Span, args: &[Node], depth: usize) -> Option<Node> {
        let [delim_node, list] = args else {
            return None;
        };
        let delim = delim_node.as_str()?;
        let list = self.eval_at(list, depth + 1)?;
        let NodeKind::Array(items) = list.kind else {
            return None;
        };
        let mut out = Produced::new(self.scope);
        let delim_from = out.written(delim_node.span, delim);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.lit(delim, delim_from);
            }
            match &item.kind {
                NodeKind::Str(Scalar::Str(s)) => {
                    let from = out.written(item.span, s);
                    out.lit(s, from);
                }
                NodeKind::Str(s) => out.scalar(s, From::Span(item.span)),
                NodeKind::Number(n) => out.lit(n, From::Span(item.span)),
                _ => return None,
            }
            if out.over {
                break;
            }
        }
        Some(out.finish(span, || self.scope.quote(span)))
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

    /// `[Map, TopKey, SecondKey]` (and `[..., {DefaultValue: x}]`). A key known only at deploy
    /// time (`!Ref AWS::Region`) stands for every entry of the map: their common value when they
    /// all agree, else a value that depends on the deployment. Never "not found" for such a key.
    fn find_in_map(&self, span: Span, args: &[Node], depth: usize) -> Node {
        let quoted = || self.scope.quote(span);
        let (map, top, second, default) = match args {
            [map, top, second] => (map, top, second, None),
            [map, top, second, options] => (map, top, second, options.get("DefaultValue")),
            _ => {
                return unknown(
                    span,
                    quoted(),
                    "`Fn::FindInMap` takes a map name and two keys",
                )
            }
        };
        let keys: Vec<Key> = [map, top, second]
            .into_iter()
            .map(|n| Key::of(self.eval_at(n, depth + 1)))
            .collect();
        let Some(Key::Known(map_name)) = keys.first() else {
            return unknown(span, quoted(), "`Fn::FindInMap` of a map not known here");
        };
        let Some(table) = self.scope.mappings.and_then(|m| m.get(map_name)) else {
            return self.map_default(span, default, depth, || {
                format!("no mapping `{map_name}` in `Mappings`")
            });
        };
        let mut found: Vec<&Node> = Vec::new();
        for level in matching(table, &keys[1]) {
            found.extend(matching(level, &keys[2]));
        }
        let unknown_keys: Vec<&Unknown> = keys
            .iter()
            .filter_map(|k| match k {
                Key::Unknown(u) => Some(u),
                Key::Known(_) => None,
            })
            .collect();
        if unknown_keys.is_empty() {
            return match found.first() {
                Some(value) => self.eval_at(value, depth + 1).map_or_else(
                    || unknown(span, quoted(), "`AWS::NoValue`"),
                    |v| respan(&v, span),
                ),
                None => self.map_default(span, default, depth, || {
                    format!(
                        "`Fn::FindInMap` has no entry `{}` under `{map_name}`",
                        keys[1..]
                            .iter()
                            .map(Key::text)
                            .collect::<Vec<_>>()
                            .join(".")
                    )
                }),
            };
        }
        let values: Vec<Node> = found
            .iter()
            .filter_map(|v| self.eval_at(v, depth + 1))
            .map(|v| respan(&v, span))
            .collect();
        if let Some(first) = values.first() {
            if values.len() == found.len() && values.iter().all(|v| v == first) {
                return first.clone();
            }
        }
        let names: Vec<&str> = unknown_keys.iter().map(|u| u.expr.as_str()).collect();
        if unknown_keys
            .iter()
            .all(|u| u.reason == PSEUDO_REASON && PSEUDO.contains(&u.expr.as_str()))
        {
            // One entry per deployment coordinate: specific, like the pseudo parameter itself.
            return unknown(
                span,
                format!("{} entry of mapping `{map_name}`", names.join(", ")),
                format!(
                    "the entry depends on {}, known only when the stack is deployed",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
        }
        let why: Vec<String> = unknown_keys
            .iter()
            .map(|u| format!("`{}` ({})", u.expr, u.reason))
            .collect();
        unknown(
            span,
            quoted(),
            format!("`Fn::FindInMap` key not known here: {}", why.join(", ")),
        )
    }

    fn map_default(
        &self,
        span: Span,
        default: Option<&Node>,
        depth: usize,
        why: impl FnOnce() -> String,
    ) -> Node {
        match default.and_then(|d| self.eval_at(d, depth + 1)) {
            Some(value) => respan(&value, span),
            None => unknown(span, self.scope.quote(span), why()),
        }
    }
}

/// A `Fn::FindInMap` key: known text, or a value known only at deploy time.
enum Key {
    Known(String),
    Unknown(Unknown),
}

impl Key {
    fn of(value: Option<Node>) -> Key {
        match value.map(|v| v.kind) {
            Some(NodeKind::Str(Scalar::Str(s)) | NodeKind::Number(s)) => Key::Known(s),
            Some(NodeKind::Bool(b)) => Key::Known(b.to_string()),
            Some(NodeKind::Str(Scalar::Unknown(u))) => Key::Unknown(*u),
            Some(NodeKind::Str(Scalar::Template(t))) => {
                let holes: Vec<&Unknown> = t.holes().collect();
                match holes.as_slice() {
                    // `!Sub "${AWS::Region}"`: the key is that pseudo parameter.
                    [one] if t.parts.len() == 1 => Key::Unknown((*one).clone()),
                    _ => Key::Unknown(Unknown::new(t.display(), "a key with parts not known here")),
                }
            }
            _ => Key::Unknown(Unknown::new("?", "not a string")),
        }
    }

    fn text(&self) -> &str {
        match self {
            Key::Known(s) => s,
            Key::Unknown(u) => &u.expr,
        }
    }
}

/// The entries of a mapping level that `key` selects: one for a known key, all for an unknown one.
fn matching<'n>(level: &'n Node, key: &Key) -> Vec<&'n Node> {
    match key {
        Key::Known(k) => level.get(k).into_iter().collect(),
        Key::Unknown(_) => level.entries().iter().map(|(_, v)| v).collect(),
    }
}

/// A string being produced by `Fn::Sub` or `Fn::Join`, counted against [`MAX_EVAL_BYTES`].
struct Produced<'s, 'a> {
    scope: &'s Scope<'a>,
    parts: Vec<TemplatePart>,
    trace: Trace,
    /// Set once the file's budget is spent: the result is an unknown saying so.
    over: bool,
}

impl<'s, 'a> Produced<'s, 'a> {
    fn new(scope: &'s Scope<'a>) -> Self {
        Produced {
            scope,
            parts: Vec::new(),
            trace: Trace::default(),
            over: scope.produced.get() > MAX_EVAL_BYTES,
        }
    }

    /// Counts `cost` bytes; false (and `over`) past the budget.
    fn spend(&mut self, cost: usize) -> bool {
        if self.over {
            return false;
        }
        let total = self.scope.produced.get().saturating_add(cost);
        self.scope.produced.set(total);
        if total > MAX_EVAL_BYTES {
            self.over = true;
            self.parts.clear();
        }
        !self.over
    }

    /// Known text; a dynamic reference in it (`{{resolve:ssm:name}}`) is a value CloudFormation
    /// reads at deployment, so it is a hole.
    /// Registers a scalar as written (at `span`, with value `value`) that text comes from.
    fn written(&mut self, span: Span, value: &str) -> From {
        self.trace.written.push((span, value.to_string()));
        From::Text {
            written: self.trace.written.len() - 1,
            offset: 0,
        }
    }

    fn lit(&mut self, s: &str, from: From) {
        let mut rest = s;
        while let Some(open) = rest.find(DYNAMIC_REF) {
            let Some(close) = rest[open..].find("}}") else {
                break;
            };
            let at = s.len() - rest.len();
            self.plain(&rest[..open], from.advance(at));
            let reference = &rest[open..open + close + 2];
            self.hole(
                Unknown::new(
                    reference,
                    "dynamic reference resolved when the stack is deployed",
                ),
                from.range(at + open, at + open + close + 2),
            );
            rest = &rest[open + close + 2..];
        }
        self.plain(rest, from.advance(s.len() - rest.len()));
    }

    fn plain(&mut self, s: &str, from: From) {
        if !s.is_empty() && self.spend(s.len()) {
            push_lit(&mut self.parts, s);
            self.trace.pieces.push((Piece::Lit(s.len()), from));
        }
    }

    fn hole(&mut self, u: Unknown, from: From) {
        if self.spend(HOLE_COST + u.expr.len() + u.reason.len()) {
            self.parts.push(TemplatePart::Hole(u));
            self.trace.pieces.push((Piece::Hole, from));
        }
    }

    /// A value filled in from elsewhere: every piece of it comes from `from` as a whole.
    fn scalar(&mut self, s: &Scalar, from: From) {
        match s {
            Scalar::Str(s) | Scalar::Other(s) => self.lit(s, from),
            Scalar::Template(t) => {
                for part in &t.parts {
                    match part {
                        TemplatePart::Lit(s) => self.lit(s, from),
                        TemplatePart::Hole(u) => self.hole(u.clone(), from),
                    }
                }
            }
            Scalar::Unknown(u) => self.hole((**u).clone(), from),
        }
    }

    fn finish(self, span: Span, quoted: impl FnOnce() -> String) -> Node {
        if self.over {
            return unknown(
                span,
                quoted(),
                format!(
                    "the intrinsic functions of this file produce more than {} MiB of text (an evaluation bound)",
                    MAX_EVAL_BYTES >> 20
                ),
            );
        }
        // Only text that may be a JSON document is traced (see `json_string`).
        let json = matches!(self.parts.first(), Some(TemplatePart::Lit(s)) if s.trim_start().starts_with('{'));
        if json {
            self.scope.traces.borrow_mut().insert(span, self.trace);
        }
        template(self.parts, span)
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
        ] {
            let node = eval_with(TPL, expr, &[]);
            let NodeKind::Str(Scalar::Unknown(u)) = &node.kind else {
                panic!("{expr}: {node:?}")
            };
            assert!(u.reason.contains(reason), "{expr}: {u:?}");
            assert_eq!(u.expr, expr, "quoted as written");
        }
        // A pseudo parameter is named as such, however it is written.
        for expr in [r#"{"Ref":"AWS::Region"}"#, r#"{"Ref" : "AWS::Region"}"#] {
            let node = eval_with(TPL, expr, &[]);
            let NodeKind::Str(Scalar::Unknown(u)) = &node.kind else {
                panic!("{expr}: {node:?}")
            };
            assert_eq!(
                (u.expr.as_str(), u.reason.as_str()),
                ("AWS::Region", PSEUDO_REASON)
            );
        }
    }

    fn unknown_reason(node: &Node) -> &str {
        match &node.kind {
            NodeKind::Str(Scalar::Unknown(u)) => &u.reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn find_in_map_with_keys_known_only_at_deployment() {
        let tpl = r#"{"Parameters":{"Env":{"Type":"String"}},
            "Mappings":{
              "Part":{"aws":{"S":"ec2.amazonaws.com"},"aws-cn":{"S":"ec2.amazonaws.com.cn"}},
              "Same":{"us-east-1":{"A":"s3:GetObject"},"eu-west-1":{"A":"s3:GetObject"}}}}"#;
        let node = eval_with(
            tpl,
            r#"{"Fn::FindInMap":["Part",{"Ref":"AWS::Partition"},"S"]}"#,
            &[],
        );
        let NodeKind::Str(Scalar::Unknown(u)) = &node.kind else {
            panic!("{node:?}")
        };
        assert_eq!(u.expr, "AWS::Partition entry of mapping `Part`");
        assert!(u.reason.contains("depends on `AWS::Partition`"), "{u:?}");
        let node = eval_with(
            tpl,
            r#"{"Fn::FindInMap":["Same",{"Ref":"AWS::Region"},"A"]}"#,
            &[],
        );
        assert_eq!(node.as_str(), Some("s3:GetObject"), "every entry agrees");
        let node = eval_with(tpl, r#"{"Fn::FindInMap":["Part",{"Ref":"Env"},"S"]}"#, &[]);
        assert!(unknown_reason(&node).starts_with("`Fn::FindInMap` key not known here"));
        let node = eval_with(tpl, r#"{"Fn::FindInMap":["Part","aws-us-gov","S"]}"#, &[]);
        assert_eq!(
            unknown_reason(&node),
            "`Fn::FindInMap` has no entry `aws-us-gov.S` under `Part`"
        );
        let node = eval_with(
            tpl,
            r#"{"Fn::FindInMap":["Part","aws-us-gov","S",{"DefaultValue":"d"}]}"#,
            &[],
        );
        assert_eq!(node.as_str(), Some("d"));
    }

    #[test]
    fn fn_sub_nesting_and_produced_text_are_bounded() {
        let nested = |levels: usize, refs: usize, leaf: &str| {
            let mut expr = format!("\"{leaf}\"");
            for _ in 0..levels {
                expr = format!(
                    r#"{{"Fn::Sub":["{}",{{"a":{expr}}}]}}"#,
                    "${a}".repeat(refs)
                );
            }
            expr
        };
        let node = eval_with(TPL, &nested(MAX_SUB_NESTING, 2, "x"), &[]);
        assert_eq!(node.as_str().map(str::len), Some(1 << MAX_SUB_NESTING));
        let node = eval_with(TPL, &nested(MAX_SUB_NESTING + 1, 2, "x"), &[]);
        let NodeKind::Str(Scalar::Template(t)) = &node.kind else {
            panic!("{node:?}")
        };
        assert!(t
            .holes()
            .all(|u| u.reason == "`Fn::Sub` nests more than 8 deep (an evaluation bound)"));
        // 100 copies per level: 10^10 bytes at the fifth level, stopped at the byte bound.
        let node = eval_with(TPL, &nested(5, 100, "xxxxxxxxxx"), &[]);
        assert!(
            unknown_reason(&node).ends_with("more than 32 MiB of text (an evaluation bound)"),
            "{node:?}"
        );
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
        assert_eq!(t.display(), "arn:aws:${AWS::Region}");
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
