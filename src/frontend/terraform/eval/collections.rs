//! Terraform's collection and number functions: lists, maps, sets and arithmetic over them.

use super::args::{
    all_known, arity, array, check_known_scalar, err, list, not_known, number, object, string,
    too_many, whole, Fail, Res,
};
use super::ops::{bool_of, first_unknown, is_known, num_node, number_of, same_value};
use super::{as_unknown, str_node, Eval, MAX_ITEMS};
use crate::model::{Scalar, Unknown};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

impl Eval<'_> {
    /// The collection functions; anything else is not evaluated.
    pub(super) fn collection_call(&mut self, name: &str, args: &[Node], span: Span) -> Res {
        match name {
            "merge" => {
                let mut entries: Vec<(Located<String>, Node)> = Vec::new();
                for a in args {
                    if matches!(a.kind, NodeKind::Null) {
                        continue;
                    }
                    for (k, v) in object(a)? {
                        entries.retain(|(e, _)| e.value != k.value);
                        entries.push((k.clone(), v.clone()));
                    }
                }
                Ok(Node::new(NodeKind::Object(entries), span))
            }
            "concat" => {
                let mut items = Vec::new();
                for a in args {
                    items.extend(list(a)?.iter().cloned());
                    if items.len() > MAX_ITEMS {
                        return too_many();
                    }
                }
                array(items, span)
            }
            "flatten" => {
                arity(args, 1, 1)?;
                list(&args[0])?;
                let mut out = Vec::new();
                flatten_into(&args[0], &mut out)?;
                array(out, span)
            }
            "distinct" => {
                arity(args, 1, 1)?;
                array(dedup(list(&args[0])?.to_vec()), span)
            }
            "compact" => {
                arity(args, 1, 1)?;
                let items = list(&args[0])?
                    .iter()
                    .filter(|i| match &i.kind {
                        NodeKind::Null => false,
                        NodeKind::Str(Scalar::Str(s)) => !s.is_empty(),
                        _ => true,
                    })
                    .cloned()
                    .collect();
                array(items, span)
            }
            "coalescelist" => {
                arity(args, 1, usize::MAX)?;
                for a in args {
                    if !list(a)?.is_empty() {
                        return Ok(a.clone());
                    }
                }
                err("every list is empty")
            }
            "lookup" => {
                arity(args, 2, 3)?;
                let entries = object(&args[0])?;
                let key = string(&args[1])?;
                match entries.iter().find(|(k, _)| k.value == key) {
                    Some((_, v)) => Ok(v.clone()),
                    None => match args.get(2) {
                        Some(d) => Ok(d.clone()),
                        None => err(format!("no key `{key}` and no default")),
                    },
                }
            }
            "element" => {
                arity(args, 2, 2)?;
                let items = list(&args[0])?;
                let i = whole(&args[1])?;
                if items.is_empty() {
                    return err("the list is empty");
                }
                if i < 0 {
                    return err("the index is negative");
                }
                // Terraform wraps around: element(["a", "b"], 3) is "b".
                Ok(items[(i as usize) % items.len()].clone())
            }
            "index" => {
                arity(args, 2, 2)?;
                let items = list(&args[0])?;
                all_known(std::slice::from_ref(&args[1]))?;
                for (i, item) in items.iter().enumerate() {
                    if !is_known(item) {
                        return Err(Fail::Unknown(
                            first_unknown(item)
                                .cloned()
                                .unwrap_or_else(|| Unknown::new("", "")),
                        ));
                    }
                    if same_value(item, &args[1], false) {
                        return Ok(num_node(i as f64, span));
                    }
                }
                err("the value is not in the list")
            }
            "keys" | "values" => {
                arity(args, 1, 1)?;
                let mut entries: Vec<&(Located<String>, Node)> = object(&args[0])?.iter().collect();
                entries.sort_by(|a, b| a.0.value.cmp(&b.0.value));
                let items = entries
                    .into_iter()
                    .map(|(k, v)| {
                        if name == "keys" {
                            str_node(k.value.clone(), k.span)
                        } else {
                            v.clone()
                        }
                    })
                    .collect();
                array(items, span)
            }
            "length" => {
                arity(args, 1, 1)?;
                let v = &args[0];
                check_known_scalar(v)?;
                let n = match &v.kind {
                    NodeKind::Str(s) => s.text().chars().count(),
                    NodeKind::Array(items) => items.len(),
                    NodeKind::Object(entries) => entries.len(),
                    _ => {
                        return err(format!(
                            "expected a string, list or map, found {}",
                            v.type_name()
                        ))
                    }
                };
                Ok(num_node(n as f64, span))
            }
            "contains" => {
                arity(args, 2, 2)?;
                let items = list(&args[0])?;
                let value = &args[1];
                if !is_known(value) {
                    all_known(std::slice::from_ref(value))?;
                }
                if items
                    .iter()
                    .any(|i| is_known(i) && same_value(i, value, false))
                {
                    return Ok(Node::new(NodeKind::Bool(true), span));
                }
                // An unknown element might be the value.
                all_known(items)?;
                Ok(Node::new(NodeKind::Bool(false), span))
            }
            "range" => {
                arity(args, 1, 3)?;
                let nums: Vec<f64> = args.iter().map(number).collect::<Result<_, _>>()?;
                let (start, limit, step) = match nums.as_slice() {
                    [l] => (0.0, *l, 1.0),
                    [s, l] => (*s, *l, if s <= l { 1.0 } else { -1.0 }),
                    [s, l, st] => (*s, *l, *st),
                    _ => return err("takes 1 to 3 arguments"),
                };
                if step == 0.0 {
                    return err("the step is zero");
                }
                let count = ((limit - start) / step).ceil();
                if count > MAX_ITEMS as f64 {
                    return too_many();
                }
                let count = if count > 0.0 { count as usize } else { 0 };
                if !self.charge(count as u64) {
                    return not_known(format!(
                        "evaluation stopped: more than {} steps in this run",
                        super::MAX_STEPS
                    ));
                }
                let items = (0..count)
                    .map(|i| num_node(start + step * i as f64, span))
                    .collect();
                array(items, span)
            }
            "zipmap" => {
                arity(args, 2, 2)?;
                let keys = list(&args[0])?;
                let values = list(&args[1])?;
                if keys.len() != values.len() {
                    return err("the lists have different lengths");
                }
                let mut entries: Vec<(Located<String>, Node)> = Vec::new();
                for (k, v) in keys.iter().zip(values) {
                    let key = string(k)?;
                    entries.retain(|(e, _)| e.value != key);
                    entries.push((Located::new(key, k.span), v.clone()));
                }
                Ok(Node::new(NodeKind::Object(entries), span))
            }
            "one" => {
                arity(args, 1, 1)?;
                match list(&args[0])? {
                    [] => Ok(Node::new(NodeKind::Null, span)),
                    [x] => Ok(x.clone()),
                    more => err(format!("the list has {} elements", more.len())),
                }
            }
            "sort" => {
                arity(args, 1, 1)?;
                let items = list(&args[0])?;
                all_known(items)?;
                let mut keyed: Vec<(String, Node)> = items
                    .iter()
                    .map(|i| Ok((string(i)?, i.clone())))
                    .collect::<Result<_, Fail>>()?;
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
                let items = keyed
                    .into_iter()
                    .map(|(s, n)| str_node(s, n.span))
                    .collect();
                array(items, span)
            }
            "reverse" => {
                arity(args, 1, 1)?;
                let mut items = list(&args[0])?.to_vec();
                items.reverse();
                array(items, span)
            }
            "slice" => {
                arity(args, 3, 3)?;
                let items = list(&args[0])?;
                let (from, to) = (whole(&args[1])?, whole(&args[2])?);
                if from < 0 || to < from || to as usize > items.len() {
                    return err(format!("indexes {from} to {to} are out of range"));
                }
                array(items[from as usize..to as usize].to_vec(), span)
            }
            "setunion" => {
                arity(args, 1, usize::MAX)?;
                let mut items = Vec::new();
                for a in args {
                    items.extend(list(a)?.iter().cloned());
                    if items.len() > MAX_ITEMS {
                        return too_many();
                    }
                }
                let mut items = dedup(items);
                set_order(&mut items);
                array(items, span)
            }
            "setintersection" | "setsubtract" => {
                arity(args, if name == "setsubtract" { 2 } else { 1 }, usize::MAX)?;
                if name == "setsubtract" {
                    arity(args, 2, 2)?;
                }
                let sets: Vec<&[Node]> = args.iter().map(list).collect::<Result<_, _>>()?;
                for s in &sets {
                    all_known(s)?;
                }
                let keep = |item: &Node| {
                    let in_others = |s: &&[Node]| s.iter().any(|o| same_value(o, item, false));
                    if name == "setsubtract" {
                        !sets[1..].iter().any(in_others)
                    } else {
                        sets[1..].iter().all(in_others)
                    }
                };
                let mut items = dedup(sets[0].iter().filter(|i| keep(i)).cloned().collect());
                set_order(&mut items);
                array(items, span)
            }
            "setproduct" => {
                arity(args, 1, usize::MAX)?;
                let sets: Vec<&[Node]> = args.iter().map(list).collect::<Result<_, _>>()?;
                let mut total: usize = 1;
                for s in &sets {
                    total = total.saturating_mul(s.len());
                }
                if total > MAX_ITEMS {
                    return too_many();
                }
                let mut rows: Vec<Vec<Node>> = vec![Vec::new()];
                for s in &sets {
                    let mut next = Vec::with_capacity(rows.len() * s.len());
                    for row in &rows {
                        for item in s.iter() {
                            let mut r = row.clone();
                            r.push(item.clone());
                            next.push(r);
                        }
                    }
                    rows = next;
                }
                let items = rows
                    .into_iter()
                    .map(|r| Node::new(NodeKind::Array(r), span))
                    .collect();
                array(items, span)
            }
            "alltrue" | "anytrue" => {
                arity(args, 1, 1)?;
                let decisive = name == "anytrue";
                let items = list(&args[0])?;
                let mut unknown_item = None;
                for item in items {
                    match bool_of(item) {
                        Some(b) if b == decisive => return Ok(Node::new(NodeKind::Bool(b), span)),
                        Some(_) => {}
                        None => match as_unknown(item) {
                            Some(u) => unknown_item = unknown_item.or(Some(u.clone())),
                            None => return err(format!("an element is {}", item.type_name())),
                        },
                    }
                }
                match unknown_item {
                    Some(u) => Err(Fail::Unknown(u)),
                    None => Ok(Node::new(NodeKind::Bool(!decisive), span)),
                }
            }
            "sum" => {
                arity(args, 1, 1)?;
                let items = list(&args[0])?;
                if items.is_empty() {
                    return err("the list is empty");
                }
                let mut total = 0.0;
                for i in items {
                    total += number(i)?;
                }
                Ok(num_node(total, span))
            }
            "max" | "min" => {
                arity(args, 1, usize::MAX)?;
                let mut best: Option<f64> = None;
                for a in args {
                    let v = number(a)?;
                    best = Some(match best {
                        Some(b) if name == "max" => b.max(v),
                        Some(b) => b.min(v),
                        None => v,
                    });
                }
                Ok(num_node(best.unwrap_or_default(), span))
            }
            "abs" | "ceil" | "floor" => {
                arity(args, 1, 1)?;
                let v = number(&args[0])?;
                Ok(num_node(
                    match name {
                        "abs" => v.abs(),
                        "ceil" => v.ceil(),
                        _ => v.floor(),
                    },
                    span,
                ))
            }
            _ => not_known(format!("function `{name}` is not evaluated")),
        }
    }
}

/// Removes repeated known values, keeping the first; unknown values are all kept (they may or may
/// not repeat, and every one of them is in Terraform's result).
pub(super) fn dedup(items: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for item in items {
        if is_known(&item)
            && out
                .iter()
                .any(|o| is_known(o) && same_value(o, &item, false))
        {
            continue;
        }
        out.push(item);
    }
    out
}

/// Terraform orders a set of strings lexically and a set of numbers numerically.
pub(super) fn set_order(items: &mut [Node]) {
    if items
        .iter()
        .all(|n| matches!(&n.kind, NodeKind::Str(Scalar::Str(_))))
    {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if items.iter().all(|n| matches!(n.kind, NodeKind::Number(_))) {
        items.sort_by(|a, b| {
            number_of(a)
                .partial_cmp(&number_of(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
}

fn flatten_into(node: &Node, out: &mut Vec<Node>) -> Result<(), Fail> {
    match &node.kind {
        NodeKind::Array(items) => {
            for item in items {
                // A wholly unknown element may be a list: the result's shape is unknown.
                if let Some(u) = as_unknown(item) {
                    return Err(Fail::Unknown(u.clone()));
                }
                flatten_into(item, out)?;
                if out.len() > MAX_ITEMS {
                    return too_many();
                }
            }
            Ok(())
        }
        NodeKind::Str(Scalar::Unknown(u)) => Err(Fail::Unknown((**u).clone())),
        _ => {
            out.push(node.clone());
            Ok(())
        }
    }
}
