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
