//! Terraform's built-in functions over evaluated [`Node`] trees.

use hcl_edit::expr::{Expression, FuncCall};
use hcl_edit::Span as _;

use super::{
    field, push_lit, push_value, scalar_from_parts, str_node, to_json, unknown, Eval, Src,
};
use crate::model::Scalar;
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

impl Eval<'_> {
    pub(super) fn func(&mut self, src: Src<'_>, f: &FuncCall, span: Span) -> Node {
        let name = f.name.name.as_str();
        let text = || -> String {
            match f.span().and_then(|r| src.text.get(r)) {
                Some(s) => s.trim().to_string(),
                None => format!("{}(...)", f.name.name.as_str()),
            }
        };
        if f.name.is_namespaced() {
            return unknown(text(), format!("function `{name}` is not evaluated"), span);
        }
        let args: Vec<&Expression> = f.args.iter().collect();
        let fail = |why: &str| unknown(text(), why.to_string(), span);
        match name {
            "tolist" | "toset" | "tomap" | "tostring" | "sensitive" | "nonsensitive" => {
                match args.first() {
                    Some(a) if args.len() == 1 => self.eval(src, a),
                    _ => fail("unexpected arguments"),
                }
            }
            "concat" => {
                let mut items = Vec::new();
                for a in &args {
                    match self.eval(src, a).kind {
                        NodeKind::Array(v) => items.extend(v),
                        _ => return fail("an argument of `concat` is not a known list"),
                    }
                }
                Node::new(NodeKind::Array(items), span)
            }
            "flatten" => match args.first().map(|a| self.eval(src, a)) {
                Some(
                    node @ Node {
                        kind: NodeKind::Array(_),
                        ..
                    },
                ) => {
                    let mut out = Vec::new();
                    flatten_into(node, &mut out);
                    Node::new(NodeKind::Array(out), span)
                }
                _ => fail("the argument of `flatten` is not a known list"),
            },
            "distinct" | "compact" => match args.first().map(|a| self.eval(src, a)) {
                Some(Node {
                    kind: NodeKind::Array(items),
                    ..
                }) => {
                    let mut out: Vec<Node> = Vec::new();
                    for item in items {
                        if name == "compact" && matches!(&item.kind, NodeKind::Null)
                            || matches!(&item.kind, NodeKind::Str(Scalar::Str(s)) if s.is_empty() && name == "compact")
                        {
                            continue;
                        }
                        if name == "distinct" && out.iter().any(|o| o.kind == item.kind) {
                            continue;
                        }
                        out.push(item);
                    }
                    Node::new(NodeKind::Array(out), span)
                }
                _ => fail("the argument is not a known list"),
            },
            "merge" => {
                let mut entries: Vec<(Located<String>, Node)> = Vec::new();
                for a in &args {
                    match self.eval(src, a).kind {
                        NodeKind::Object(v) => {
                            for (k, v) in v {
                                entries.retain(|(e, _)| e.value != k.value);
                                entries.push((k, v));
                            }
                        }
                        _ => return fail("an argument of `merge` is not a known object"),
                    }
                }
                Node::new(NodeKind::Object(entries), span)
            }
            "lookup" => {
                let (Some(map), Some(key)) = (args.first(), args.get(1)) else {
                    return fail("unexpected arguments");
                };
                let map = self.eval(src, map);
                let key = self.eval(src, key);
                match key.as_str().and_then(|k| field(&map, k)) {
                    Some(v) => v,
                    None => match (args.get(2), &map.kind) {
                        (Some(d), NodeKind::Object(_)) => self.eval(src, d),
                        _ => fail("the key or the map is not known"),
                    },
                }
            }
            "element" => {
                let (Some(list), Some(i)) = (args.first(), args.get(1)) else {
                    return fail("unexpected arguments");
                };
                let list = self.eval(src, list);
                match (&list.kind, self.eval(src, i).kind) {
                    (NodeKind::Array(items), NodeKind::Number(n)) if !items.is_empty() => {
                        match n.parse::<usize>() {
                            Ok(i) => items[i % items.len()].clone(),
                            Err(_) => fail("the index is not a whole number"),
                        }
                    }
                    _ => fail("the list or the index is not known"),
                }
            }
            "coalesce" | "try" => {
                for a in &args {
                    let v = self.eval(src, a);
                    let skip = match &v.kind {
                        NodeKind::Null => true,
                        NodeKind::Str(Scalar::Str(s)) => name == "coalesce" && s.is_empty(),
                        NodeKind::Str(Scalar::Unknown(_)) => name == "try",
                        _ => false,
                    };
                    if !skip {
                        return v;
                    }
                    if name == "coalesce" && matches!(v.kind, NodeKind::Str(Scalar::Unknown(_))) {
                        return fail("an argument is not known");
                    }
                }
                fail("no argument could be evaluated")
            }
            "lower" | "upper" | "trimspace" => match args.first().map(|a| self.eval(src, a)) {
                Some(n) => match n.as_str() {
                    Some(s) => str_node(
                        match name {
                            "lower" => s.to_lowercase(),
                            "upper" => s.to_uppercase(),
                            _ => s.trim().to_string(),
                        },
                        span,
                    ),
                    None => fail("the argument is not a known string"),
                },
                None => fail("unexpected arguments"),
            },
            "join" => {
                let (Some(sep), Some(list)) = (args.first(), args.get(1)) else {
                    return fail("unexpected arguments");
                };
                let sep = self.eval(src, sep);
                let list = self.eval(src, list);
                let (Some(sep), NodeKind::Array(items)) = (sep.as_str(), &list.kind) else {
                    return fail("the separator or the list is not known");
                };
                let mut parts = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        push_lit(&mut parts, sep);
                    }
                    push_value(&mut parts, item.clone(), String::new());
                }
                Node::new(NodeKind::Str(scalar_from_parts(parts)), span)
            }
            "format" => {
                let Some(fmt) = args.first() else {
                    return fail("unexpected arguments");
                };
                let fmt = self.eval(src, fmt);
                let Some(fmt) = fmt.as_str() else {
                    return fail("the format string is not known");
                };
                let mut parts = Vec::new();
                let mut rest = args[1..].iter();
                let mut chars = fmt.chars().peekable();
                let mut lit = String::new();
                while let Some(c) = chars.next() {
                    if c != '%' {
                        lit.push(c);
                        continue;
                    }
                    match chars.next() {
                        Some('%') => lit.push('%'),
                        Some('s' | 'd' | 'v') => {
                            push_lit(&mut parts, &lit);
                            lit.clear();
                            match rest.next() {
                                Some(a) => {
                                    let v = self.eval(src, a);
                                    push_value(&mut parts, v, Self::text_of(src, a));
                                }
                                None => return fail("too few arguments for the format"),
                            }
                        }
                        _ => {
                            return fail("format verbs other than %s, %d and %v are not evaluated")
                        }
                    }
                }
                push_lit(&mut parts, &lit);
                Node::new(NodeKind::Str(scalar_from_parts(parts)), span)
            }
            "replace" => {
                let vals: Vec<Node> = args.iter().map(|a| self.eval(src, a)).collect();
                match vals
                    .iter()
                    .map(Node::as_str)
                    .collect::<Option<Vec<_>>>()
                    .as_deref()
                {
                    Some([s, from, to]) if !(from.starts_with('/') && from.ends_with('/')) => {
                        str_node(s.replace(from, to), span)
                    }
                    _ => fail("the arguments are not known plain strings"),
                }
            }
            "jsonencode" => match args.first().map(|a| self.eval(src, a)) {
                Some(n) => match to_json(&n) {
                    Some(s) => str_node(s, span),
                    None => fail("the encoded value has unknown parts"),
                },
                None => fail("unexpected arguments"),
            },
            _ => fail(&format!("function `{name}` is not evaluated")),
        }
    }
}

fn flatten_into(node: Node, out: &mut Vec<Node>) {
    match node.kind {
        NodeKind::Array(items) => {
            for item in items {
                flatten_into(item, out);
            }
        }
        _ => out.push(node),
    }
}
