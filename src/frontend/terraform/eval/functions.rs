//! Terraform's built-in functions over evaluated [`Node`] trees, following Terraform's documented
//! semantics. An argument that is not known makes the result unknown with that argument's reason;
//! a known argument of the wrong kind is an error (which `try` skips and `can` reports as false).
//! Functions not listed here give an unknown "function `x` is not evaluated". This file holds the
//! calls, `try`/`can`, conversions, encodings, strings and files; `collections.rs` the rest.

use std::collections::HashMap;

use hcl_edit::expr::{Expression, FuncCall};
use hcl_edit::Span as _;

use super::args::{
    all_known, arity, array, check_known_scalar, err, list, not_known, number, object, string,
    too_many, whole, Fail, Res,
};
use super::collections::{dedup, set_order};
use super::ops::{bool_of, num_node};
use super::{
    as_unknown, push_lit, push_value, scalar_from_parts, str_node, string_bytes, to_json, unknown,
    unknown_as, Eval, Src, MAX_FILESET_ENTRIES, MAX_ITEMS, MAX_STRING,
};
use crate::model::{Scalar, Template, TemplatePart};
use crate::source::Span;
use crate::tree::{Node, NodeKind};

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
        // A string argument past a bound: the result is past it too.
        if let Some(u) = args.iter().find_map(super::stopped) {
            return unknown_as(u, text, span);
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
                self.fits(string_bytes(&v, MAX_STRING as u64 + 1))?;
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
            "coalesce" => {
                arity(args, 1, usize::MAX)?;
                for a in args {
                    match &a.kind {
                        NodeKind::Null => continue,
                        NodeKind::Str(Scalar::Str(s)) if s.is_empty() => continue,
                        NodeKind::Str(Scalar::Unknown(u)) => {
                            return Err(Fail::Unknown((**u).clone()))
                        }
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
                let mut total = 0u64;
                for l in &args[1..] {
                    if let NodeKind::Array(items) = &l.kind {
                        total += items.len() as u64 * sep.len() as u64;
                        total += string_bytes(l, MAX_STRING as u64 + 1);
                    }
                }
                self.fits(total)?;
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
                if let NodeKind::Str(Scalar::Unknown(u)) = &args[0].kind {
                    if u.doc.is_some() {
                        // A document's JSON text: replaced in the document's strings.
                        let replaced = match (args[1].as_str(), &args[2].kind) {
                            (Some(from), NodeKind::Str(to)) => self.replace_in_doc(u, from, to),
                            _ => None,
                        };
                        return match replaced {
                            Some(u) => Ok(Node::new(NodeKind::Str(Scalar::unknown(u)), span)),
                            None => Err(Fail::Unknown((**u).clone())),
                        };
                    }
                }
                let s = string(&args[0])?;
                let from = string(&args[1])?;
                let to = string(&args[2])?;
                if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                    return not_known("regular expressions in `replace` are not evaluated");
                }
                if from.is_empty() {
                    return err("the substring to replace is empty");
                }
                let grows = to.len().saturating_sub(from.len()) as u64;
                if grows > 0 {
                    let n = s.matches(from.as_str()).count() as u64;
                    self.fits(s.len() as u64 + n * grows)?;
                }
                Ok(str_node(s.replace(&from, &to), span))
            }
            "format" => {
                arity(args, 1, usize::MAX)?;
                let fmt = string(&args[0])?;
                let args_len: u64 = args[1..]
                    .iter()
                    .map(|a| string_bytes(a, MAX_STRING as u64 + 1))
                    .sum();
                self.fits(fmt.len() as u64 + args_len)?;
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
                let args_len: u64 = args[1..].iter().map(|a| string_bytes(a, u64::MAX)).sum();
                self.fits((fmt.len() as u64).saturating_mul(n as u64) + args_len)?;
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
            "file" => {
                arity(args, 1, 1)?;
                let rel = string(&args[0])?;
                let (_, text) = self.read_module_file(&rel)?;
                Ok(str_node(text, span))
            }
            "fileset" => {
                arity(args, 2, 2)?;
                let (base, pattern) = (string(&args[0])?, string(&args[1])?);
                let names = self.fileset(&base, &pattern)?;
                array(names.into_iter().map(|n| str_node(n, span)).collect(), span)
            }
            "templatefile" => {
                arity(args, 2, 2)?;
                let rel = string(&args[0])?;
                let vars: HashMap<String, Node> = object(&args[1])?
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.clone()))
                    .collect();
                let (id, text) = self.read_module_file(&rel)?;
                self.sources.mark_template(id);
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
            _ => self.collection_call(name, args, span),
        }
    }

    /// Fails with the bound's reason when a string of `len` bytes may not be built.
    fn fits(&mut self, len: u64) -> Result<(), Fail> {
        match self.string_bound(usize::try_from(len).unwrap_or(usize::MAX)) {
            Some(why) => not_known(why),
            None => Ok(()),
        }
    }

    /// `fileset(path, pattern)`: the regular files below `path` (relative to the module's folder,
    /// or absolute) whose path relative to it matches `pattern` (`*` within a name, `**` across
    /// folders, `?`, `[...]`, `{a,b}`), sorted. Only inside the repository root, symlinks
    /// resolved; links below it are neither followed nor listed; no file is opened. At most
    /// [`MAX_FILESET_ENTRIES`] entries are looked at and [`MAX_ITEMS`] names returned: past
    /// either bound the value is unknown, naming the bound.
    fn fileset(&mut self, base: &str, pattern: &str) -> Result<Vec<String>, Fail> {
        let dir = self.module_path(base)?;
        let matcher = match globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
        {
            Ok(glob) => glob.compile_matcher(),
            Err(e) => return err(format!("invalid pattern `{pattern}`: {}", e.kind())),
        };
        // The path rule ([`crate::root::resolve_in`]); Terraform lists nothing below a folder
        // that does not exist.
        let resolved = match crate::root::resolve_in(self.sources.root(), &dir) {
            Ok(resolved) => resolved,
            Err(crate::root::Refusal::Outside(_)) => {
                return not_known(format!(
                    "`fileset`: cannot list `{base}`: it is outside the repository root: not read"
                ))
            }
            Err(_) => return Ok(Vec::new()),
        };
        let mut names = Vec::new();
        let mut seen = 0usize;
        let mut stack = vec![resolved.clone()];
        while let Some(folder) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                seen += 1;
                if seen > MAX_FILESET_ENTRIES || !self.charge(1) {
                    return not_known(format!(
                        "evaluation stopped: `fileset` looked at more than {MAX_FILESET_ENTRIES} entries"
                    ));
                }
                // `file_type` does not follow links: a link is neither listed nor entered.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let path = entry.path();
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    let Ok(relative) = path.strip_prefix(&resolved) else {
                        continue;
                    };
                    let name = crate::source::display_path(relative);
                    if matcher.is_match(&name) {
                        if names.len() == MAX_ITEMS {
                            return too_many();
                        }
                        names.push(name);
                    }
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// A path as `file()`, `templatefile()` and `fileset()` take it: absolute, or relative to the
    /// module's folder. (Where it may be read is for the caller to check.)
    fn module_path(&self, rel: &str) -> Result<std::path::PathBuf, Fail> {
        match self.path_in_module(rel) {
            Some(path) => Ok(path),
            None => not_known("the module is not on disk"),
        }
    }

    /// A file named by `file()`/`templatefile()`, relative to the module's folder or absolute,
    /// read once into the source map, only inside the repository root ([`Eval::load_file`]).
    fn read_module_file(&mut self, rel: &str) -> Result<(crate::source::FileId, String), Fail> {
        let path = self.module_path(rel)?;
        match self.load_file(path) {
            Ok(loaded) => Ok(loaded),
            Err(message) => err(message),
        }
    }
}
