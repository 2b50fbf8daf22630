//! Terraform's built-in functions over evaluated [`Node`] trees, following Terraform's documented
//! semantics. An argument that is not known makes the result unknown with that argument's reason;
//! a known argument of the wrong kind is an error (which `try` skips and `can` reports as false).
//! Functions not listed here give an unknown "function `x` is not evaluated".

use std::collections::HashMap;
use std::path::Path;

use hcl_edit::expr::{Expression, FuncCall};
use hcl_edit::Span as _;

use super::ops::{bool_of, first_unknown, is_known, num_node, number_of, same_value};
use super::{
    as_unknown, push_lit, push_value, scalar_from_parts, str_node, to_json, unknown, unknown_as,
    Eval, Src, MAX_ITEMS,
};
use crate::model::{Scalar, Template, TemplatePart, Unknown};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// Why a call has no value.
enum Fail {
    /// The arguments are wrong: an error in Terraform too.
    Error(String),
    /// An argument is not known; the reason (and reference) come from it.
    Unknown(Unknown),
}

type Res = Result<Node, Fail>;

fn err<T>(message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Error(message.into()))
}

fn not_known<T>(reason: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Unknown(Unknown::new("", reason)))
}

/// `Err` when the node is wholly unknown, or a string with unknown parts.
fn check_known_scalar(n: &Node) -> Result<(), Fail> {
    match &n.kind {
        NodeKind::Str(Scalar::Unknown(u)) => Err(Fail::Unknown(u.clone())),
        NodeKind::Str(Scalar::Template(t)) => match t.holes().next() {
            Some(u) => Err(Fail::Unknown(u.clone())),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn list(n: &Node) -> Result<&[Node], Fail> {
    check_known_scalar(n)?;
    match &n.kind {
        NodeKind::Array(items) => Ok(items),
        _ => err(format!("expected a list, found {}", n.type_name())),
    }
}

fn object(n: &Node) -> Result<&[(Located<String>, Node)], Fail> {
    check_known_scalar(n)?;
    match &n.kind {
        NodeKind::Object(entries) => Ok(entries),
        _ => err(format!("expected a map or object, found {}", n.type_name())),
    }
}

/// A known string; numbers and booleans convert as in Terraform.
fn string(n: &Node) -> Result<String, Fail> {
    check_known_scalar(n)?;
    match &n.kind {
        NodeKind::Str(s) => Ok(s.text()),
        NodeKind::Number(s) => Ok(s.clone()),
        NodeKind::Bool(b) => Ok(b.to_string()),
        _ => err(format!("expected a string, found {}", n.type_name())),
    }
}

fn number(n: &Node) -> Result<f64, Fail> {
    check_known_scalar(n)?;
    number_of(n).map_or_else(
        || err(format!("expected a number, found {}", n.type_name())),
        Ok,
    )
}

fn whole(n: &Node) -> Result<i64, Fail> {
    let v = number(n)?;
    if v.fract() != 0.0 || v.abs() > 1e15 {
        return err(format!("expected a whole number, found {v}"));
    }
    Ok(v as i64)
}

fn arity(args: &[Node], min: usize, max: usize) -> Result<(), Fail> {
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

fn array(items: Vec<Node>, span: Span) -> Res {
    if items.len() > MAX_ITEMS {
        return too_many();
    }
    Ok(Node::new(NodeKind::Array(items), span))
}

fn too_many<T>() -> Result<T, Fail> {
    not_known(format!(
        "evaluation stopped: more than {MAX_ITEMS} elements in one collection"
    ))
}

/// Removes repeated known values, keeping the first; unknown values are all kept (they may or may
/// not repeat, and every one of them is in Terraform's result).
fn dedup(items: Vec<Node>) -> Vec<Node> {
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
fn set_order(items: &mut [Node]) {
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

fn all_known(items: &[Node]) -> Result<(), Fail> {
    match items.iter().find_map(first_unknown) {
        Some(u) => Err(Fail::Unknown(u.clone())),
        None => Ok(()),
    }
}

/// The parts of `format(fmt, args...)`: `%s`, `%d`, `%v`, `%q` and `%%`.
fn format_parts(fmt: &str, args: &[Node]) -> Result<Vec<TemplatePart>, Fail> {
    let mut parts = Vec::new();
    let mut rest = args.iter();
    let mut chars = fmt.chars();
    let mut lit = String::new();
    while let Some(c) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        let verb = chars.next();
        if verb == Some('%') {
            lit.push('%');
            continue;
        }
        push_lit(&mut parts, &lit);
        lit.clear();
        let Some(value) = rest.next() else {
            return err("too few arguments for the format");
        };
        match verb {
            Some('s' | 'v') => {
                if matches!(value.kind, NodeKind::Array(_) | NodeKind::Object(_))
                    && verb == Some('s')
                {
                    return err(format!("`%s` needs a string, found {}", value.type_name()));
                }
                match &value.kind {
                    NodeKind::Array(_) | NodeKind::Object(_) => match to_json(value) {
                        Some(j) => push_lit(&mut parts, &j),
                        None => all_known(std::slice::from_ref(value))?,
                    },
                    NodeKind::Null => return err("`%s` of null"),
                    _ => push_value(&mut parts, value.clone(), String::new()),
                }
            }
            Some('d') => {
                check_known_scalar(value)?;
                let v = whole(value)?;
                push_lit(&mut parts, &v.to_string());
            }
            Some('q') => {
                let s = string(value)?;
                push_lit(&mut parts, &serde_json::to_string(&s).unwrap_or_default());
            }
            _ => return not_known("format verbs other than %s, %d, %v and %q are not evaluated"),
        }
    }
    push_lit(&mut parts, &lit);
    Ok(parts)
}

impl Eval<'_> {
    pub(super) fn func(&mut self, src: Src<'_>, f: &FuncCall, span: Span) -> Node {
        let name = f.name.name.as_str();
        let text = match f.span().and_then(|r| src.text.get(r)) {
            Some(s) => s.trim().to_string(),
            None => format!("{name}(...)"),
        };
        if f.name.is_namespaced() {
            return unknown(text, format!("function `{name}` is not evaluated"), span);
        }
        let exprs: Vec<&Expression> = f.args.iter().collect();
        match name {
            "try" => return self.try_call(src, &exprs, text, span),
            "can" => return self.can_call(src, &exprs, text, span),
            _ => {}
        }
        let mut args: Vec<Node> = exprs.iter().map(|e| self.eval(src, e)).collect();
        if f.args.expand_final() {
            // `f(a, list...)`: the last argument's elements are the arguments.
            match args.pop() {
                Some(Node {
                    kind: NodeKind::Array(items),
                    ..
                }) => args.extend(items),
                Some(other) => {
                    return match as_unknown(&other) {
                        Some(u) => unknown_as(u, text, span),
                        None => self.error(
                            text,
                            format!("`...` needs a list, found {}", other.type_name()),
                            span,
                        ),
                    }
                }
                None => {}
            }
        }
        match self.call(name, &args, src, span) {
            Ok(node) => node,
            Err(Fail::Unknown(u)) => unknown_as(&u, text, span),
            Err(Fail::Error(message)) => self.error(text, format!("`{name}`: {message}"), span),
        }
    }

    /// `try(a, b, ...)`: the first argument that evaluates without an error. A value that is only
    /// unknown is not an error: Terraform would use it, so the result is unknown too.
    fn try_call(&mut self, src: Src<'_>, exprs: &[&Expression], text: String, span: Span) -> Node {
        for e in exprs {
            let before = self.failures;
            let value = self.eval(src, e);
            if self.failures == before {
                return value;
            }
            self.failures = before;
        }
        self.error(text, "no argument of `try` could be evaluated", span)
    }

    /// `can(x)`: false when `x` is an error, true when it is known, unknown otherwise.
    fn can_call(&mut self, src: Src<'_>, exprs: &[&Expression], text: String, span: Span) -> Node {
        let [e] = exprs else {
            return self.error(text, "`can` takes 1 argument", span);
        };
        let before = self.failures;
        let value = self.eval(src, e);
        if self.failures > before {
            self.failures = before;
            return Node::new(NodeKind::Bool(false), span);
        }
        match as_unknown(&value) {
            Some(u) => unknown_as(u, text, span),
            None => Node::new(NodeKind::Bool(true), span),
        }
    }

    fn call(&mut self, name: &str, args: &[Node], src: Src<'_>, span: Span) -> Res {
        let one = |args: &[Node]| -> Result<Node, Fail> {
            arity(args, 1, 1)?;
            Ok(args[0].clone())
        };
        match name {
            "sensitive" | "nonsensitive" => one(args),
            "tolist" => {
                let v = one(args)?;
                list(&v)?;
                Ok(v)
            }
            "tomap" => {
                let v = one(args)?;
                object(&v)?;
                Ok(v)
            }
            "toset" => {
                let v = one(args)?;
                let mut items = dedup(list(&v)?.to_vec());
                set_order(&mut items);
                Ok(Node::new(NodeKind::Array(items), v.span))
            }
            "tostring" => {
                let v = one(args)?;
                match &v.kind {
                    NodeKind::Null | NodeKind::Str(_) => Ok(v),
                    NodeKind::Number(n) => Ok(str_node(n.clone(), v.span)),
                    NodeKind::Bool(b) => Ok(str_node(b.to_string(), v.span)),
                    _ => err(format!("expected a string, found {}", v.type_name())),
                }
            }
            "tonumber" => {
                let v = one(args)?;
                match &v.kind {
                    NodeKind::Null | NodeKind::Number(_) => Ok(v),
                    _ => Ok(num_node(number(&v)?, v.span)),
                }
            }
            "tobool" => {
                let v = one(args)?;
                if matches!(v.kind, NodeKind::Null) {
                    return Ok(v);
                }
                check_known_scalar(&v)?;
                match bool_of(&v) {
                    Some(b) => Ok(Node::new(NodeKind::Bool(b), v.span)),
                    None => err(format!("expected a boolean, found {}", v.type_name())),
                }
            }
            "jsonencode" => {
                let v = one(args)?;
                all_known(std::slice::from_ref(&v))?;
                match to_json(&v) {
                    Some(s) => Ok(str_node(s, span)),
                    None => not_known("the value cannot be encoded"),
                }
            }
            "jsondecode" => {
                arity(args, 1, 1)?;
                let s = string(&args[0])?;
                match crate::json::parse(&s, span.file, 0) {
                    // The decoded text exists nowhere in a file: every span is the call's.
                    Ok(node) => Ok(super::super::embedded::respan(node, span)),
                    Err(e) => err(format!("invalid JSON: {}", e.message)),
                }
            }
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
            "coalesce" => {
                arity(args, 1, usize::MAX)?;
                for a in args {
                    match &a.kind {
                        NodeKind::Null => continue,
                        NodeKind::Str(Scalar::Str(s)) if s.is_empty() => continue,
                        NodeKind::Str(Scalar::Unknown(u)) => return Err(Fail::Unknown(u.clone())),
                        // Known text around the holes: not empty whatever they hold.
                        NodeKind::Str(Scalar::Template(t))
                            if !t.parts.iter().any(|p| matches!(p, TemplatePart::Lit(_))) =>
                        {
                            check_known_scalar(a)?;
                        }
                        _ => return Ok(a.clone()),
                    }
                }
                err("no argument is non-null and non-empty")
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
            "lower" | "upper" => {
                arity(args, 1, 1)?;
                let case = |s: &str| {
                    if name == "lower" {
                        s.to_lowercase()
                    } else {
                        s.to_uppercase()
                    }
                };
                match &args[0].kind {
                    // The known text changes case; a hole stays some unknown text.
                    NodeKind::Str(Scalar::Template(t)) => {
                        let parts = t
                            .parts
                            .iter()
                            .map(|p| match p {
                                TemplatePart::Lit(s) => TemplatePart::Lit(case(s)),
                                hole => hole.clone(),
                            })
                            .collect();
                        Ok(Node::new(
                            NodeKind::Str(Scalar::Template(Template { parts })),
                            span,
                        ))
                    }
                    _ => Ok(str_node(case(&string(&args[0])?), span)),
                }
            }
            "trimspace" | "chomp" => {
                arity(args, 1, 1)?;
                let s = string(&args[0])?;
                Ok(str_node(
                    if name == "chomp" {
                        s.trim_end_matches(['\n', '\r']).to_string()
                    } else {
                        s.trim().to_string()
                    },
                    span,
                ))
            }
            "trimprefix" | "trimsuffix" | "trim" => {
                arity(args, 2, 2)?;
                let s = string(&args[0])?;
                let p = string(&args[1])?;
                let out = match name {
                    "trimprefix" => s.strip_prefix(p.as_str()).unwrap_or(&s).to_string(),
                    "trimsuffix" => s.strip_suffix(p.as_str()).unwrap_or(&s).to_string(),
                    _ => s.trim_matches(|c| p.contains(c)).to_string(),
                };
                Ok(str_node(out, span))
            }
            "startswith" | "endswith" | "strcontains" => {
                arity(args, 2, 2)?;
                let s = string(&args[0])?;
                let p = string(&args[1])?;
                let b = match name {
                    "startswith" => s.starts_with(&p),
                    "endswith" => s.ends_with(&p),
                    _ => s.contains(&p),
                };
                Ok(Node::new(NodeKind::Bool(b), span))
            }
            "join" => {
                arity(args, 2, usize::MAX)?;
                let sep = string(&args[0])?;
                let mut parts = Vec::new();
                let mut first = true;
                for l in &args[1..] {
                    for item in list(l)? {
                        if matches!(item.kind, NodeKind::Null) {
                            return err("an element is null");
                        }
                        if matches!(item.kind, NodeKind::Array(_) | NodeKind::Object(_)) {
                            return err(format!("an element is {}", item.type_name()));
                        }
                        if !first {
                            push_lit(&mut parts, &sep);
                        }
                        first = false;
                        push_value(&mut parts, item.clone(), String::new());
                    }
                }
                Ok(Node::new(NodeKind::Str(scalar_from_parts(parts)), span))
            }
            "split" => {
                arity(args, 2, 2)?;
                let sep = string(&args[0])?;
                let s = string(&args[1])?;
                let items: Vec<Node> = if s.is_empty() {
                    // Terraform: splitting "" gives [""]
                    vec![str_node("", span)]
                } else if sep.is_empty() {
                    s.chars().map(|c| str_node(c.to_string(), span)).collect()
                } else {
                    s.split(sep.as_str()).map(|p| str_node(p, span)).collect()
                };
                array(items, span)
            }
            "replace" => {
                arity(args, 3, 3)?;
                let s = string(&args[0])?;
                let from = string(&args[1])?;
                let to = string(&args[2])?;
                if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                    return not_known("regular expressions in `replace` are not evaluated");
                }
                if from.is_empty() {
                    return err("the substring to replace is empty");
                }
                Ok(str_node(s.replace(&from, &to), span))
            }
            "format" => {
                arity(args, 1, usize::MAX)?;
                let fmt = string(&args[0])?;
                let parts = format_parts(&fmt, &args[1..])?;
                Ok(Node::new(NodeKind::Str(scalar_from_parts(parts)), span))
            }
            "formatlist" => {
                arity(args, 1, usize::MAX)?;
                let fmt = string(&args[0])?;
                let mut len: Option<usize> = None;
                for a in &args[1..] {
                    if let NodeKind::Array(items) = &a.kind {
                        if len.is_some_and(|l| l != items.len()) {
                            return err("the lists have different lengths");
                        }
                        len = Some(items.len());
                    } else {
                        check_known_scalar(a).or_else(|e| match as_unknown(a) {
                            // A wholly unknown argument may be a list: the length is unknown.
                            Some(_) => Err(e),
                            None => Ok(()),
                        })?;
                    }
                }
                let n = len.unwrap_or(1);
                if n > MAX_ITEMS {
                    return too_many();
                }
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let row: Vec<Node> = args[1..]
                        .iter()
                        .map(|a| match &a.kind {
                            NodeKind::Array(items) => items[i].clone(),
                            _ => a.clone(),
                        })
                        .collect();
                    let parts = format_parts(&fmt, &row)?;
                    out.push(Node::new(NodeKind::Str(scalar_from_parts(parts)), span));
                }
                array(out, span)
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
            "file" => {
                arity(args, 1, 1)?;
                let rel = string(&args[0])?;
                let (_, text) = self.read_module_file(&rel)?;
                Ok(str_node(text, span))
            }
            "templatefile" => {
                arity(args, 2, 2)?;
                let rel = string(&args[0])?;
                let vars: HashMap<String, Node> = object(&args[1])?
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.clone()))
                    .collect();
                let (id, text) = self.read_module_file(&rel)?;
                let template = match hcl_edit::parser::parse_template(&text) {
                    Ok(t) => t,
                    Err(e) => return err(format!("invalid template `{rel}`: {}", e.message())),
                };
                let tsrc = Src {
                    key: src.key,
                    id,
                    text: &text,
                };
                // The template's variables are the only names it sees.
                let saved = std::mem::replace(&mut self.bindings, vec![vars]);
                let node = self.template(tsrc, template.iter(), span);
                self.bindings = saved;
                Ok(node)
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
                        "evaluation stopped: more than {} steps in this module",
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
            "substr" => {
                arity(args, 3, 3)?;
                let chars: Vec<char> = string(&args[0])?.chars().collect();
                let (offset, length) = (whole(&args[1])?, whole(&args[2])?);
                let n = chars.len() as i64;
                let start = if offset < 0 { n + offset } else { offset };
                if start < 0 || start > n {
                    return err("the offset is out of range");
                }
                let end = if length < 0 {
                    n
                } else {
                    (start + length).min(n)
                };
                let s: String = chars[start as usize..end as usize].iter().collect();
                Ok(str_node(s, span))
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

    /// A file named by `file()`/`templatefile()`, relative to the module's folder, read once
    /// into the source map. Absolute paths are not read (as for policy attributes).
    fn read_module_file(&mut self, rel: &str) -> Result<(crate::source::FileId, String), Fail> {
        if Path::new(rel).is_absolute() {
            return not_known("files outside the module's folder tree are not read");
        }
        let Some(dir) = self.module.dir_path.clone() else {
            return not_known("the module is not on disk");
        };
        let stripped = rel.strip_prefix("./").unwrap_or(rel);
        match self.load_file(dir.join(stripped)) {
            Ok(loaded) => Ok(loaded),
            Err(message) => err(message),
        }
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
        NodeKind::Str(Scalar::Unknown(u)) => Err(Fail::Unknown(u.clone())),
        _ => {
            out.push(node.clone());
            Ok(())
        }
    }
}
