//! A span-keeping value tree: the common shape JSON, YAML and HCL object syntax are read into
//! before the policy structure is built from it (see `model::build`).

use crate::model::Scalar;
use crate::source::{Located, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// A number as written.
    Number(String),
    /// A string, possibly partly or wholly unknown (Terraform, CloudFormation intrinsics).
    Str(Scalar),
    Array(Vec<Node>),
    /// Keys in source order, duplicates kept (so they can be reported).
    Object(Vec<(Located<String>, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

impl Node {
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Node { kind, span }
    }

    /// First value under `key` (exact match).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// First entry under `key` (exact match), with the key's span.
    pub fn entry(&self, key: &str) -> Option<(&Located<String>, &Node)> {
        match &self.kind {
            NodeKind::Object(entries) => entries
                .iter()
                .find(|(k, _)| k.value == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Located<String>, Node)] {
        match &self.kind {
            NodeKind::Object(entries) => entries,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => s.as_str(),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self.kind, NodeKind::Object(_))
    }

    /// A short name of the node's type, for messages ("expected a string, found a number").
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Number(_) => "a number",
            NodeKind::Str(Scalar::Unknown(_)) => "an unknown value",
            NodeKind::Str(_) => "a string",
            NodeKind::Array(_) => "a list",
            NodeKind::Object(_) => "an object",
        }
    }
}

/// One Allow statement built from attributes or properties rather than written as a policy (the
/// one-resource permission resources of both frontends): its entries in order, then its
/// conditions, grouped by operator as a policy writes them.
pub struct BuiltStatement {
    whole: Span,
    entries: Vec<(Located<String>, Node)>,
    operators: Vec<(Located<String>, Node)>,
}

impl BuiltStatement {
    /// An empty statement spanning `whole` (the resource that makes it).
    pub fn new(whole: Span) -> Self {
        BuiltStatement {
            whole,
            entries: Vec::new(),
            operators: Vec::new(),
        }
    }

    /// A string node at `span`.
    pub fn text(s: &str, span: Span) -> Node {
        Node::new(NodeKind::Str(Scalar::Str(s.to_string())), span)
    }

    /// The element `key` (`Effect`, `Principal`, ...), keyed at `span`.
    pub fn push(&mut self, key: &str, span: Span, value: Node) {
        self.entries
            .push((Located::new(key.to_string(), span), value));
    }

    /// `Principal`: a service (`x.amazonaws.com`) as `Service`, anything else as `AWS`.
    pub fn principal(&mut self, principal: Node) {
        let kind = match principal.as_str() {
            Some(p) if p.ends_with(".amazonaws.com") || p.ends_with(".amazonaws.com.cn") => {
                "Service"
            }
            _ => "AWS",
        };
        let span = principal.span;
        let value = Node::new(
            NodeKind::Object(vec![(Located::new(kind.to_string(), span), principal)]),
            span,
        );
        self.push("Principal", span, value);
    }

    /// A condition `operator: {key: value}`, beside the others of the same operator.
    pub fn condition(&mut self, operator: &str, key: &str, value: Node) {
        let span = value.span;
        let entry = (Located::new(key.to_string(), span), value);
        match self.operators.iter_mut().find(|(k, _)| k.value == operator) {
            Some((
                _,
                Node {
                    kind: NodeKind::Object(entries),
                    ..
                },
            )) => entries.push(entry),
            _ => self.operators.push((
                Located::new(operator.to_string(), span),
                Node::new(NodeKind::Object(vec![entry]), span),
            )),
        }
    }

    /// The policy document of this one statement (`Version` 2012-10-17).
    pub fn document(mut self) -> Node {
        let whole = self.whole;
        if !self.operators.is_empty() {
            let conditions = Node::new(NodeKind::Object(self.operators), whole);
            self.entries
                .push((Located::new("Condition".to_string(), whole), conditions));
        }
        let statement = Node::new(NodeKind::Object(self.entries), whole);
        Node::new(
            NodeKind::Object(vec![
                (
                    Located::new("Version".to_string(), whole),
                    Self::text("2012-10-17", whole),
                ),
                (
                    Located::new("Statement".to_string(), whole),
                    Node::new(NodeKind::Array(vec![statement]), whole),
                ),
            ]),
            whole,
        )
    }
}
