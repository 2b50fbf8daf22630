//! JSON written inside HCL: heredocs, quoted strings and template files. The template is decoded
//! into JSON text with a byte map back to the source (escapes and `$${` shrink the text), every
//! `${...}` becomes a marker, and after parsing each span is mapped back and each marker is
//! replaced by the interpolation's value, or a hole with the expression as written. When that
//! does not parse, an interpolation outside a JSON string whose known text is not a JSON value
//! (a condition fragment, `""`) is spliced in as text, as Terraform does before anyone parses it.

use std::ops::Range;

use hcl_edit::expr::{Expression, FuncCall};
use hcl_edit::template::Element;
use hcl_edit::Span as _;

use super::eval::{push_lit, push_value, scalar_from_parts, unknown, Eval, Src};
use crate::model::{Scalar, TemplatePart, Unknown};
use crate::source::{Located, ParseError, Span};
use crate::tree::{Node, NodeKind};

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// How a template's literal text is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `"..."`: backslash escapes, `$${`, `%%{`.
    Quoted,
    /// Heredocs and template files: only `$${` and `%%{`.
    Heredoc,
}

/// Why no document came out.
pub enum Failure {
    /// The value cannot be known (a directive, an interpolation in a structural position).
    Unknown(Node),
    /// The JSON is malformed (already reported as an error).
    Error,
}

/// The pieces of a template: literal raw ranges and interpolations.
enum Piece<'e> {
    Lit(Range<usize>),
    Hole(&'e Expression, Range<usize>),
}

/// Parses the JSON document written by `expr` (a string, template or heredoc).
pub fn json_in_expr(ev: &mut Eval<'_>, src: Src<'_>, expr: &Expression) -> Result<Node, Failure> {
    let span = Eval::span(src, expr.span());
    let text = Eval::text_of(src, expr);
    let range = expr.span().unwrap_or(0..0);
    let (pieces, mode): (Vec<Piece<'_>>, Mode) = match expr {
        Expression::String(_) => {
            // Without the quotes.
            let inner = range.start + 1..range.end.saturating_sub(1).max(range.start + 1);
            (vec![Piece::Lit(inner)], Mode::Quoted)
        }
        Expression::StringTemplate(t) => match pieces_of(t.iter()) {
            Some(p) => (p, Mode::Quoted),
            None => return Err(directive(text, span)),
        },
        Expression::HeredocTemplate(h) => match pieces_of(h.template.iter()) {
            Some(p) => (p, Mode::Heredoc),
            None => return Err(directive(text, span)),
        },
        _ => {
            return Err(Failure::Unknown(unknown(
                text,
                "expected a JSON string",
                span,
            )))
        }
    };
    decode_and_parse(ev, src, &pieces, mode, span, "")
}

/// Parses a template file's text (from `templatefile`) as JSON.
pub fn json_in_template_file(
    ev: &mut Eval<'_>,
    src: Src<'_>,
    call: &FuncCall,
    call_span: Span,
) -> Result<Node, Failure> {
    let template = match hcl_edit::parser::parse_template(src.text) {
        Ok(t) => t,
        Err(e) => {
            let at = e.location().offset();
            ev.errors.push(ParseError::at(
                Span::new(src.id, at, at + 1),
                format!("invalid template: {}", lower_first(e.message())),
            ));
            return Err(Failure::Error);
        }
    };
    let Some(pieces) = pieces_of(template.iter()) else {
        return Err(Failure::Unknown(unknown(
            Eval::text_of(src, &Expression::FuncCall(Box::new(call.clone()))),
            "template directives are not evaluated",
            call_span,
        )));
    };
    decode_and_parse(ev, src, &pieces, Mode::Heredoc, call_span, "in template ")
}

fn directive(text: String, span: Span) -> Failure {
    Failure::Unknown(unknown(
        text,
        "template directives (`%{...}`) are not evaluated",
        span,
    ))
}

fn pieces_of<'e>(elements: impl Iterator<Item = &'e Element>) -> Option<Vec<Piece<'e>>> {
    let mut out = Vec::new();
    for element in elements {
        match element {
            Element::Literal(l) => out.push(Piece::Lit(l.span()?)),
            Element::Interpolation(i) => out.push(Piece::Hole(&i.expr, i.span()?)),
            Element::Directive(_) => return None,
        }
    }
    Some(out)
}

fn decode_and_parse(
    ev: &mut Eval<'_>,
    src: Src<'_>,
    pieces: &[Piece<'_>],
    mode: Mode,
    span: Span,
    what: &str,
) -> Result<Node, Failure> {
    let mut built = build(ev, src, pieces, mode, span, false);
    let mut parsed = crate::json::parse(&built.text, src.id, 0);
    // An interpolation outside a JSON string may splice JSON text in rather than stand for a
    // value: a condition fragment, or `""` to leave it out. Tried only when the values-only
    // reading does not parse, so `${jsonencode(x)}` keeps its element spans.
    if parsed.is_err() && built.holes.iter().any(|h| h.2) {
        built = build(ev, src, pieces, mode, span, true);
        parsed = crate::json::parse(&built.text, src.id, 0);
        if parsed.is_err() {
            if let Some(expr) = built.unknown_splice {
                return Err(Failure::Unknown(unknown(
                    Eval::text_of(src, expr),
                    "the JSON text around this interpolation is not known: its value is spliced \
                     in outside a JSON string",
                    span,
                )));
            }
        }
    }
    let Built {
        map, holes, end, ..
    } = built;
    let node = match parsed {
        Ok(node) => node,
        Err(e) => {
            let at = map.get(e.offset).copied().unwrap_or(end);
            let next = src
                .text
                .get(at..)
                .and_then(|s| s.chars().next())
                .map_or(at, |c| at + c.len_utf8());
            ev.errors.push(ParseError::at(
                Span::new(src.id, at, next),
                format!("invalid JSON {what}in a Terraform string: {}", e.message),
            ));
            return Err(Failure::Error);
        }
    };
    let mut fixer = Fixer {
        ev,
        src,
        map: &map,
        holes: &holes,
    };
    Ok(fixer.node(node))
}

/// A template's JSON text with a marker for each interpolation, and its byte map to the source.
struct Built<'e> {
    text: String,
    /// map[i] = source offset of decoded byte i; one extra entry for the end.
    map: Vec<usize>,
    /// Each marker's expression, source range, and whether it stands outside a JSON string.
    holes: Vec<(&'e Expression, Range<usize>, bool)>,
    end: usize,
    /// With `splice`: the first interpolation outside a string whose text was not known.
    unknown_splice: Option<&'e Expression>,
}

/// Decodes the pieces into JSON text. An interpolation inside a JSON string becomes a marker; one
/// outside becomes a quoted marker (a value), or with `splice`, when its value is a known string
/// that is not a JSON value by itself, that text.
fn build<'e>(
    ev: &mut Eval<'_>,
    src: Src<'_>,
    pieces: &[Piece<'e>],
    mode: Mode,
    span: Span,
    splice: bool,
) -> Built<'e> {
    let mut b = Built {
        text: String::new(),
        map: Vec::new(),
        holes: Vec::new(),
        end: span.start as usize,
        unknown_splice: None,
    };
    let mut in_string = false;
    let mut escaped = false;
    let mut track = |text: &str| {
        for c in text.chars() {
            if escaped {
                escaped = false;
            } else if in_string && c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = !in_string;
            }
        }
        in_string
    };
    let mut inside = false;
    for piece in pieces {
        match piece {
            Piece::Lit(range) => {
                let raw = src.text.get(range.clone()).unwrap_or("");
                let start = b.text.len();
                decode(raw, range.start, mode, &mut b.text, &mut b.map);
                inside = track(&b.text[start..]);
                b.end = range.end;
            }
            Piece::Hole(expr, range) => {
                let bare = !inside;
                if bare && splice {
                    match ev.eval(src, expr).kind {
                        NodeKind::Str(Scalar::Str(s))
                            if crate::json::parse(&s, src.id, 0).is_err() =>
                        {
                            b.text.push_str(&s);
                            b.map.extend(std::iter::repeat_n(range.start, s.len()));
                            inside = track(&s);
                            b.end = range.end;
                            continue;
                        }
                        NodeKind::Str(Scalar::Str(_)) => {}
                        _ => {
                            b.unknown_splice.get_or_insert(expr);
                        }
                    }
                }
                let marker = format!("{OPEN}{}{CLOSE}", b.holes.len());
                let insert = if bare {
                    format!("\"{marker}\"")
                } else {
                    marker
                };
                b.map.extend(std::iter::repeat_n(range.start, insert.len()));
                b.text.push_str(&insert);
                b.holes.push((expr, range.clone(), bare));
                b.end = range.end;
            }
        }
    }
    b.map.push(b.end);
    b
}

/// Decodes raw template text, recording each decoded byte's source offset.
fn decode(raw: &str, base: usize, mode: Mode, out: &mut String, map: &mut Vec<usize>) {
    let bytes = raw.as_bytes();
    let mut i = 0;
    let push = |out: &mut String, map: &mut Vec<usize>, s: &str, at: usize| {
        out.push_str(s);
        for _ in 0..s.len() {
            map.push(base + at);
        }
    };
    while i < bytes.len() {
        // A run of plain ASCII (most of a policy) is copied at once, each byte mapped to itself.
        let run = bytes[i..]
            .iter()
            .take_while(|&&b| b.is_ascii() && !matches!(b, b'$' | b'%' | b'\\'))
            .count();
        if run > 0 {
            out.push_str(&raw[i..i + run]);
            map.extend((i..i + run).map(|at| base + at));
            i += run;
            continue;
        }
        let rest = &raw[i..];
        if rest.starts_with("$${") || rest.starts_with("%%{") {
            push(out, map, &rest[1..3], i + 1);
            i += 3;
            continue;
        }
        if mode == Mode::Quoted && bytes[i] == b'\\' {
            let (decoded, len) = unescape(&raw[i..]);
            push(out, map, &decoded, i);
            i += len;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        push(out, map, &rest[..len], i);
        i += len;
    }
}

/// One HCL escape sequence at the start of `s`: its text and its length in `s`.
fn unescape(s: &str) -> (String, usize) {
    let mut chars = s.chars();
    chars.next();
    match chars.next() {
        Some('n') => ("\n".into(), 2),
        Some('r') => ("\r".into(), 2),
        Some('t') => ("\t".into(), 2),
        Some('"') => ("\"".into(), 2),
        Some('\\') => ("\\".into(), 2),
        Some(c @ ('u' | 'U')) => {
            let n = if c == 'u' { 4 } else { 8 };
            let hex = s.get(2..2 + n).unwrap_or("");
            match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                Some(ch) if hex.len() == n => (ch.to_string(), 2 + n),
                _ => ("\\".into(), 1),
            }
        }
        Some(c) => (format!("\\{c}"), 1 + c.len_utf8()),
        None => ("\\".into(), 1),
    }
}

struct Fixer<'a, 'm, 't, 'e> {
    ev: &'a mut Eval<'m>,
    src: Src<'t>,
    map: &'a [usize],
    holes: &'a [(&'e Expression, Range<usize>, bool)],
}

impl Fixer<'_, '_, '_, '_> {
    fn span(&self, s: Span) -> Span {
        let at = |i: u32| {
            self.map
                .get(i as usize)
                .copied()
                .or(self.map.last().copied())
                .unwrap_or(0)
        };
        Span::new(s.file, at(s.start), at(s.end))
    }

    fn node(&mut self, node: Node) -> Node {
        let span = self.span(node.span);
        let kind = match node.kind {
            NodeKind::Str(Scalar::Str(s)) if s.contains(OPEN) => {
                if let Some(i) = whole_marker(&s) {
                    if let Some((expr, range, true)) = self.holes.get(i) {
                        return self.bare(expr, range.clone());
                    }
                }
                NodeKind::Str(self.scalar(&s))
            }
            NodeKind::Array(items) => {
                NodeKind::Array(items.into_iter().map(|n| self.node(n)).collect())
            }
            NodeKind::Object(entries) => NodeKind::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let key = if k.value.contains(OPEN) {
                            self.scalar(&k.value).text()
                        } else {
                            k.value
                        };
                        (Located::new(key, self.span(k.span)), self.node(v))
                    })
                    .collect(),
            ),
            other => other,
        };
        Node::new(kind, span)
    }

    /// A string with markers: known text and evaluated holes.
    fn scalar(&mut self, s: &str) -> Scalar {
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find(OPEN) {
            push_lit(&mut parts, &rest[..open]);
            let after = &rest[open + OPEN.len_utf8()..];
            let Some(close) = after.find(CLOSE) else {
                push_lit(&mut parts, after);
                rest = "";
                break;
            };
            let hole = after[..close]
                .parse::<usize>()
                .ok()
                .and_then(|i| self.holes.get(i));
            if let Some((expr, _, _)) = hole {
                let value = self.ev.eval(self.src, expr);
                push_value(&mut parts, value, Eval::text_of(self.src, expr));
            }
            rest = &after[close + CLOSE.len_utf8()..];
        }
        push_lit(&mut parts, rest);
        scalar_from_parts(parts)
    }

    /// An interpolation standing for a JSON value: `${jsonencode(local.actions)}`.
    fn bare(&mut self, expr: &Expression, range: Range<usize>) -> Node {
        let span = Span::new(self.src.id, range.start, range.end);
        if let Expression::FuncCall(f) = expr {
            if f.name.name.as_str() == "jsonencode" && !f.name.is_namespaced() && f.args.len() == 1
            {
                if let Some(arg) = f.args.get(0) {
                    return self.ev.eval(self.src, arg);
                }
            }
        }
        let value = self.ev.eval(self.src, expr);
        match value.kind {
            NodeKind::Number(_) | NodeKind::Bool(_) | NodeKind::Null => Node::new(value.kind, span),
            NodeKind::Str(Scalar::Str(s)) => match crate::json::parse(&s, self.src.id, 0) {
                Ok(node) => respan(node, span),
                Err(_) => unknown(
                    Eval::text_of(self.src, expr),
                    "the inserted text is not JSON",
                    span,
                ),
            },
            NodeKind::Str(Scalar::Unknown(u)) => Node::new(
                NodeKind::Str(Scalar::unknown(Unknown::new(
                    Eval::text_of(self.src, expr),
                    u.reason,
                ))),
                span,
            ),
            _ => unknown(
                Eval::text_of(self.src, expr),
                "a value inserted into JSON text is not evaluated",
                span,
            ),
        }
    }
}

fn whole_marker(s: &str) -> Option<usize> {
    s.strip_prefix(OPEN)?.strip_suffix(CLOSE)?.parse().ok()
}

/// Every span of a tree set to `span` (a value that came from one interpolation).
pub fn respan(node: Node, span: Span) -> Node {
    let kind = match node.kind {
        NodeKind::Array(items) => {
            NodeKind::Array(items.into_iter().map(|n| respan(n, span)).collect())
        }
        NodeKind::Object(entries) => NodeKind::Object(
            entries
                .into_iter()
                .map(|(k, v)| (Located::new(k.value, span), respan(v, span)))
                .collect(),
        ),
        other => other,
    };
    Node::new(kind, span)
}

pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
