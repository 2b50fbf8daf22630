//! Reading function arguments: a known value of the expected kind, or why not (`Fail`).

use super::ops::{first_unknown, number_of};
use super::MAX_ITEMS;
use crate::model::{Scalar, Unknown};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// Why a call has no value.
pub(super) enum Fail {
    /// The arguments are wrong: an error in Terraform too.
    Error(String),
    /// An argument is not known; the reason (and reference) come from it.
    Unknown(Unknown),
}

pub(super) type Res = Result<Node, Fail>;

pub(super) fn err<T>(message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Error(message.into()))
}

pub(super) fn not_known<T>(reason: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Unknown(Unknown::new("", reason)))
}

/// `Err` when the node is wholly unknown, or a string with unknown parts.
pub(super) fn check_known_scalar(n: &Node) -> Result<(), Fail> {
    match &n.kind {
        NodeKind::Str(Scalar::Unknown(u)) => Err(Fail::Unknown((**u).clone())),
        NodeKind::Str(Scalar::Template(t)) => match t.holes().next() {
            Some(u) => Err(Fail::Unknown(u.clone())),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

pub(super) fn list(n: &Node) -> Result<&[Node], Fail> {
    check_known_scalar(n)?;
    match &n.kind {
        NodeKind::Array(items) => Ok(items),
        _ => err(format!("expected a list, found {}", n.type_name())),
    }
}

pub(super) fn object(n: &Node) -> Result<&[(Located<String>, Node)], Fail> {
    check_known_scalar(n)?;
    match &n.kind {
        NodeKind::Object(entries) => Ok(entries),
        _ => err(format!("expected a map or object, found {}", n.type_name())),
    }
}

/// A known string; numbers and booleans convert as in Terraform.
pub(super) fn string(n: &Node) -> Result<String, Fail> {
    check_known_scalar(n)?;
    match &n.kind {
        NodeKind::Str(s) => Ok(s.text()),
        NodeKind::Number(s) => Ok(s.clone()),
        NodeKind::Bool(b) => Ok(b.to_string()),
        _ => err(format!("expected a string, found {}", n.type_name())),
    }
}

pub(super) fn number(n: &Node) -> Result<f64, Fail> {
    check_known_scalar(n)?;
    number_of(n).map_or_else(
        || err(format!("expected a number, found {}", n.type_name())),
        Ok,
    )
}

pub(super) fn whole(n: &Node) -> Result<i64, Fail> {
    let v = number(n)?;
    if v.fract() != 0.0 || v.abs() > 1e15 {
        return err(format!("expected a whole number, found {v}"));
    }
    Ok(v as i64)
}

pub(super) fn arity(args: &[Node], min: usize, max: usize) -> Result<(), Fail> {
    let n = args.len();
    if n < min || n > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        let plural = if min == 1 && max == 1 { "" } else { "s" };
        return err(format!("takes {want} argument{plural}, found {n}"));
    }
    Ok(())
}

pub(super) fn array(items: Vec<Node>, span: Span) -> Res {
    if items.len() > MAX_ITEMS {
        return too_many();
    }
    Ok(Node::new(NodeKind::Array(items), span))
}

pub(super) fn too_many<T>() -> Result<T, Fail> {
    not_known(format!(
        "evaluation stopped: more than {MAX_ITEMS} elements in one collection"
    ))
}

pub(super) fn all_known(items: &[Node]) -> Result<(), Fail> {
    match items.iter().find_map(first_unknown) {
        Some(u) => Err(Fail::Unknown(u.clone())),
        None => Ok(()),
    }
}
