//! Operators and `for` expressions. An unknown operand makes the result unknown (with the
//! operand's reason); a known operand of the wrong type is an error; nothing is guessed.

use std::collections::HashMap;

use hcl_edit::expr::{BinaryOp, BinaryOperator, ForExpr, UnaryOp, UnaryOperator};

use super::{as_unknown, unknown_as, Eval, Src, MAX_ITEMS};
use crate::model::Scalar;
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// A known number: a number literal, or a string Terraform would convert (`"5"`).
pub(super) fn number_of(node: &Node) -> Option<f64> {
    let text = match &node.kind {
        NodeKind::Number(n) => n.as_str(),
        NodeKind::Str(Scalar::Str(s)) => s.trim(),
        _ => return None,
    };
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A number as Terraform prints it: whole numbers without a fraction.
pub(super) fn num_node(v: f64, span: Span) -> Node {
    let text = if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    };
    Node::new(NodeKind::Number(text), span)
}

/// A known boolean (Terraform converts the strings "true" and "false").
pub(super) fn bool_of(node: &Node) -> Option<bool> {
    match &node.kind {
        NodeKind::Bool(b) => Some(*b),
        NodeKind::Str(Scalar::Str(s)) if s == "true" => Some(true),
        NodeKind::Str(Scalar::Str(s)) if s == "false" => Some(false),
        _ => None,
    }
}

/// True when nothing in the tree is unknown.
pub(super) fn is_known(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Str(s) => s.is_known(),
        NodeKind::Array(items) => items.iter().all(is_known),
        NodeKind::Object(entries) => entries.iter().all(|(_, v)| is_known(v)),
        _ => true,
    }
}

/// The first unknown in a tree, depth first.
pub(super) fn first_unknown(node: &Node) -> Option<&crate::model::Unknown> {
    match &node.kind {
        NodeKind::Str(s) => s.unknowns().into_iter().next(),
        NodeKind::Array(items) => items.iter().find_map(first_unknown),
        NodeKind::Object(entries) => entries.iter().find_map(|(_, v)| first_unknown(v)),
        _ => None,
    }
}

/// Equality of two fully known values, spans aside. `strict` is `==`: a number never equals a
/// string. Collection functions unify element types first, so there `"1"` equals `1`.
pub(super) fn same_value(a: &Node, b: &Node, strict: bool) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Null, NodeKind::Null) => true,
        (NodeKind::Bool(x), NodeKind::Bool(y)) => x == y,
        (NodeKind::Number(_), NodeKind::Number(_)) => number_of(a) == number_of(b),
        (NodeKind::Str(x), NodeKind::Str(y)) => x == y,
        (NodeKind::Number(_), NodeKind::Str(_)) | (NodeKind::Str(_), NodeKind::Number(_)) => {
            !strict && number_of(a).is_some() && number_of(a) == number_of(b)
        }
        (NodeKind::Array(x), NodeKind::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q, strict))
        }
        (NodeKind::Object(x), NodeKind::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| k.value == k2.value && same_value(v, v2, strict))
                })
        }
        _ => false,
    }
}

/// `==` of two values that may hold unknowns, when their known parts decide it: a known list
/// whose elements are unknown (`[data.aws_caller_identity.current.account_id]`) is still not null
/// and not a list of another length, and a template with holes is still a string. `None` when an
/// unknown could make either answer true.
pub(super) fn decided_equal(a: &Node, b: &Node) -> Option<bool> {
    if is_known(a) && is_known(b) {
        return Some(same_value(a, b, true));
    }
    let wholly_unknown = |n: &Node| matches!(&n.kind, NodeKind::Str(Scalar::Unknown(_)));
    if wholly_unknown(a) || wholly_unknown(b) {
        return None;
    }
    match (&a.kind, &b.kind) {
        (NodeKind::Array(x), NodeKind::Array(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_decided(x.iter().zip(y).map(|(p, q)| decided_equal(p, q)))
        }
        (NodeKind::Object(x), NodeKind::Object(y)) => {
            let mut pairs = Vec::with_capacity(x.len());
            for (k, v) in x {
                let Some((_, w)) = y.iter().find(|(k2, _)| k.value == k2.value) else {
                    return Some(false);
                };
                pairs.push((v, w));
            }
            if x.len() != y.len() {
                return Some(false);
            }
            all_decided(pairs.into_iter().map(|(v, w)| decided_equal(v, w)))
        }
        // Two strings with holes (or one known): the holes could make them equal.
        (NodeKind::Str(_), NodeKind::Str(_)) => None,
        // Different kinds, neither wholly unknown: a collection, a template or a literal is
        // never null and never a value of another kind.
        _ => Some(false),
    }
}

/// Equal when every part is equal, unequal when one part is, else undecided.
fn all_decided(parts: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut all = Some(true);
    for part in parts {
        match part {
            Some(false) => return Some(false),
            Some(true) => {}
            None => all = None,
        }
    }
    all
}

impl Eval<'_> {
    pub(super) fn unary(&mut self, src: Src<'_>, op: &UnaryOp, text: String, span: Span) -> Node {
        let value = self.eval(src, &op.expr);
        if let Some(u) = as_unknown(&value) {
            return unknown_as(u, text, span);
        }
        match op.operator.value() {
            UnaryOperator::Not => match bool_of(&value) {
                Some(b) => Node::new(NodeKind::Bool(!b), span),
                None => self.error(
                    text,
                    format!("`!` needs a boolean, found {}", value.type_name()),
                    span,
                ),
            },
            UnaryOperator::Neg => match number_of(&value) {
                Some(v) => num_node(-v, span),
                None => self.error(
                    text,
                    format!("`-` needs a number, found {}", value.type_name()),
                    span,
                ),
            },
        }
    }

    pub(super) fn binary(&mut self, src: Src<'_>, op: &BinaryOp, text: String, span: Span) -> Node {
        let lhs = self.eval(src, &op.lhs_expr);
        let rhs = self.eval(src, &op.rhs_expr);
        let operator = *op.operator.value();
        let symbol = operator.as_str();
        // `false && x` and `true || x` are decided whatever `x` is.
        match operator {
            BinaryOperator::And | BinaryOperator::Or => {
                let decisive = operator == BinaryOperator::Or;
                let (l, r) = (bool_of(&lhs), bool_of(&rhs));
                if l == Some(decisive) || r == Some(decisive) {
                    return Node::new(NodeKind::Bool(decisive), span);
                }
                return match (l, r) {
                    (Some(_), Some(_)) => Node::new(NodeKind::Bool(!decisive), span),
                    _ => self.operand_problem(&lhs, &rhs, symbol, "booleans", text, span),
                };
            }
            BinaryOperator::Eq | BinaryOperator::NotEq => {
                let Some(eq) = decided_equal(&lhs, &rhs) else {
                    return self.operand_problem(&lhs, &rhs, symbol, "values", text, span);
                };
                return Node::new(NodeKind::Bool(eq == (operator == BinaryOperator::Eq)), span);
            }
            _ => {}
        }
        let (Some(a), Some(b)) = (number_of(&lhs), number_of(&rhs)) else {
            return self.operand_problem(&lhs, &rhs, symbol, "numbers", text, span);
        };
        let result = match operator {
            BinaryOperator::Less => return Node::new(NodeKind::Bool(a < b), span),
            BinaryOperator::LessEq => return Node::new(NodeKind::Bool(a <= b), span),
            BinaryOperator::Greater => return Node::new(NodeKind::Bool(a > b), span),
            BinaryOperator::GreaterEq => return Node::new(NodeKind::Bool(a >= b), span),
            BinaryOperator::Plus => a + b,
            BinaryOperator::Minus => a - b,
            BinaryOperator::Mul => a * b,
            BinaryOperator::Div | BinaryOperator::Mod if b == 0.0 => {
                return self.error(text, "division by zero", span)
            }
            BinaryOperator::Div => a / b,
            BinaryOperator::Mod => a % b,
            _ => return self.error(text, format!("`{symbol}` is not evaluated"), span),
        };
        if !result.is_finite() {
            return self.error(text, "the result is not a finite number", span);
        }
        num_node(result, span)
    }

    /// The result when an operand is unknown (unknown, with its reason) or of the wrong type
    /// (an error).
    fn operand_problem(
        &mut self,
        lhs: &Node,
        rhs: &Node,
        symbol: &str,
        wanted: &str,
        text: String,
        span: Span,
    ) -> Node {
        for side in [lhs, rhs] {
            if let Some(u) = first_unknown(side) {
                return unknown_as(u, text, span);
            }
        }
        self.error(
            text,
            format!(
                "`{symbol}` needs {wanted}, found {} and {}",
                lhs.type_name(),
                rhs.type_name()
            ),
            span,
        )
    }

    /// `[for k, v in coll : value if cond]` and `{for k, v in coll : key => value...}`.
    pub(super) fn for_expr(&mut self, src: Src<'_>, f: &ForExpr, text: String, span: Span) -> Node {
        let coll = self.eval(src, &f.intro.collection_expr);
        let items = match self.iteration(&coll, text.clone(), span) {
            Ok(items) => items,
            Err(node) => return node,
        };
        if items.len() > MAX_ITEMS {
            return self.too_many(text, span);
        }
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut list: Vec<Node> = Vec::new();
        let mut object: Vec<(Located<String>, Node)> = Vec::new();
        for (k, v) in items {
            if !self.charge(1) {
                return Self::out_of_steps(text, span);
            }
            let mut frame = HashMap::new();
            if let Some(name) = &key_var {
                frame.insert(name.clone(), k);
            }
            frame.insert(value_var.clone(), v);
            self.bindings.push(frame);
            let result = self.for_item(src, f, &text, span);
            self.bindings.pop();
            match result {
                Ok(None) => {}
                Ok(Some((None, value))) => list.push(value),
                Ok(Some((Some(key), value))) => {
                    match object.iter_mut().find(|(e, _)| e.value == key.value) {
                        Some((
                            _,
                            Node {
                                kind: NodeKind::Array(group),
                                ..
                            },
                        )) if f.grouping => group.push(value),
                        Some(_) => {
                            return self.error(
                                text,
                                format!("duplicate key `{}` (use `...` to group)", key.value),
                                span,
                            )
                        }
                        None if f.grouping => {
                            object.push((key, Node::new(NodeKind::Array(vec![value]), span)))
                        }
                        None => object.push((key, value)),
                    }
                }
                Err(node) => return node,
            }
        }
        match f.key_expr {
            None => Node::new(NodeKind::Array(list), span),
            Some(_) => Node::new(NodeKind::Object(object), span),
        }
    }

    /// One element of a `for`: skipped (`None`), or its key (object form) and value. An unknown
    /// condition or key makes the whole result unknown: its length or keys are not known.
    #[allow(clippy::type_complexity)]
    fn for_item(
        &mut self,
        src: Src<'_>,
        f: &ForExpr,
        text: &str,
        span: Span,
    ) -> Result<Option<(Option<Located<String>>, Node)>, Node> {
        if let Some(cond) = &f.cond {
            let c = self.eval(src, &cond.expr);
            match bool_of(&c) {
                Some(true) => {}
                Some(false) => return Ok(None),
                None => {
                    return Err(match as_unknown(&c) {
                        Some(u) => unknown_as(u, text, span),
                        None => self.error(
                            text,
                            format!("the `if` condition is {}, not a boolean", c.type_name()),
                            span,
                        ),
                    })
                }
            }
        }
        let key = match &f.key_expr {
            None => None,
            Some(e) => {
                let k = self.eval(src, e);
                let name = match &k.kind {
                    NodeKind::Str(Scalar::Str(s)) => s.clone(),
                    NodeKind::Number(n) => n.clone(),
                    NodeKind::Bool(b) => b.to_string(),
                    NodeKind::Str(s) => {
                        let u = s.unknowns().into_iter().next().cloned();
                        return Err(match u {
                            Some(u) => unknown_as(&u, text, span),
                            None => self.error(text, "a key is not a string", span),
                        });
                    }
                    _ => {
                        return Err(self.error(
                            text,
                            format!("a key is {}, not a string", k.type_name()),
                            span,
                        ))
                    }
                };
                Some(Located::new(name, k.span))
            }
        };
        let value = self.eval(src, &f.value_expr);
        Ok(Some((key, value)))
    }
}
