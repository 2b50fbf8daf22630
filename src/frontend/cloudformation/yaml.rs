//! YAML with byte spans, read into the same [`Node`] tree as JSON.
//!
//! Built on `saphyr-parser`'s event API, which marks every event with a *character* index; those
//! are turned into byte offsets here so spans stay byte ranges like everywhere else. CloudFormation
//! short-form tags become the long form a JSON template would use: `!Sub x` is read as
//! `{"Fn::Sub": x}`, `!Ref x` as `{"Ref": x}`, so one evaluator serves both syntaxes.
//!
//! Templates that the YAML readers behind CloudFormation and cfn-lint accept but the YAML spec
//! does not (continuation lines of a quoted scalar or flow collection not indented past their key)
//! are read a second time with those lines indented (see `relaxed`), only after the first read
//! failed on indentation, so well-formed files cost nothing more.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use crate::model::Scalar;
use crate::source::{FileId, Located, ParseError, Span};
use crate::tree::{Node, NodeKind};

/// How deep collections may nest (templates nest about 12 deep).
const MAX_DEPTH: usize = 128;
/// How many nodes alias expansion may copy in total (a "billion laughs" guard).
const MAX_ALIAS_NODES: usize = 100_000;

/// A parsed YAML file: the first document, and what suppression comments need to know.
#[derive(Debug)]
pub struct YamlFile {
    /// `None` for an empty file.
    pub root: Option<Node>,
    /// Byte spans of every scalar (so a `#` inside a string is not read as a comment).
    pub scalars: Vec<Span>,
    /// Byte spans of every mapping entry (key to end of value) and sequence item: what a comment
    /// on the line above covers.
    pub entries: Vec<Span>,
}

/// Parses `text` (file `file`). Never panics: a scanner failure, too deep nesting or an alias bomb
/// is a located [`ParseError`].
pub fn parse(text: &str, file: FileId) -> Result<YamlFile, ParseError> {
    let mut offsets = Offsets::new(text);
    let first = match read_events(text) {
        Err(e) if e.1.contains("indentation") => {
            // Read again with continuation lines indented, as the YAML readers CloudFormation
            // and cfn-lint use accept them; spans still point into the original text.
            match relaxed(text).map(|(padded, table)| (read_events(&padded), table)) {
                Some((Ok(events), table)) => {
                    offsets = Offsets {
                        table,
                        len: text.len(),
                    };
                    Ok(events)
                }
                _ => Err(e),
            }
        }
        other => other,
    };
    let events = match first {
        Ok(events) => events,
        Err((index, message)) => {
            let start = offsets.byte(index);
            let end = text
                .get(start..)
                .and_then(|s| s.chars().next())
                .map_or(start, |c| start + c.len_utf8());
            return Err(ParseError::at(
                Span::new(file, start, end),
                format!("invalid YAML: {message}"),
            ));
        }
    };
    let mut b = Builder {
        text,
        events,
        pos: 0,
        file,
        offsets,
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        scalars: Vec::new(),
        entries: Vec::new(),
    };
    let root = b.document()?;
    b.scalars.sort();
    Ok(YamlFile {
        root,
        scalars: b.scalars,
        entries: b.entries,
    })
}

type Spanned = (Event<'static>, usize, usize);

/// All events, with char indices. A panic inside the parser (it has internal invariants checked
/// with `unwrap`) is caught and reported instead of taking down the run.
fn read_events(text: &str) -> Result<Vec<Spanned>, (usize, String)> {
    let run = || -> Result<Vec<Spanned>, ScanError> {
        let mut out = Vec::new();
        let mut parser = Parser::new_from_str(text);
        while let Some(event) = parser.next_event() {
            let (event, span) = event?;
            out.push((owned(event), span.start.index(), span.end.index()));
        }
        Ok(out)
    };
    match std::panic::catch_unwind(run) {
        Ok(Ok(events)) => Ok(events),
        Ok(Err(e)) => Err((e.marker().index(), e.info().to_string())),
        Err(_) => Err((0, "the YAML parser failed on this input".to_string())),
    }
}

fn owned(event: Event<'_>) -> Event<'static> {
    fn tag(t: Option<std::borrow::Cow<'_, Tag>>) -> Option<std::borrow::Cow<'static, Tag>> {
        t.map(|t| std::borrow::Cow::Owned(t.into_owned()))
    }
    match event {
        Event::Scalar(v, style, anchor, t) => Event::Scalar(
            std::borrow::Cow::Owned(v.into_owned()),
            style,
            anchor,
            tag(t),
        ),
        Event::SequenceStart(anchor, t) => Event::SequenceStart(anchor, tag(t)),
        Event::MappingStart(anchor, t) => Event::MappingStart(anchor, tag(t)),
        Event::Nothing => Event::Nothing,
        Event::StreamStart => Event::StreamStart,
        Event::StreamEnd => Event::StreamEnd,
        Event::DocumentStart(explicit) => Event::DocumentStart(explicit),
        Event::DocumentEnd => Event::DocumentEnd,
        Event::Alias(id) => Event::Alias(id),
        Event::SequenceEnd => Event::SequenceEnd,
        Event::MappingEnd => Event::MappingEnd,
    }
}

/// Character index → byte offset.
struct Offsets {
    /// Byte offset of every character, plus the length; empty when the text is ASCII.
    table: Vec<usize>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect()
        };
        Offsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

struct Builder<'t> {
    text: &'t str,
    events: Vec<Spanned>,
    pos: usize,
    file: FileId,
    offsets: Offsets,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    scalars: Vec<Span>,
    entries: Vec<Span>,
}

impl Builder<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.offsets.byte(start), self.offsets.byte(end))
    }

    /// The parser's end marker of a quoted scalar runs on over trailing blanks and a comment, and
    /// a block scalar's over trailing blank lines: end quoted ones at the closing quote and trim
    /// block ones.
    fn scalar_span(&self, start: usize, end: usize, style: ScalarStyle) -> Span {
        let span = self.span(start, end);
        let (start, end) = (span.start as usize, span.end as usize);
        let bytes = self.text.as_bytes();
        let end = match style {
            ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => {
                let quote = if style == ScalarStyle::DoubleQuoted {
                    b'"'
                } else {
                    b'\''
                };
                closing_quote(bytes, start, end, quote).unwrap_or(end)
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let mut e = end;
                while e > start && matches!(bytes.get(e - 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    e -= 1;
                }
                e
            }
            ScalarStyle::Plain => end,
        };
        Span::new(self.file, start, end)
    }

    fn error(&self, start: usize, end: usize, message: impl Into<String>) -> ParseError {
        ParseError::at(self.span(start, end), message)
    }

    fn next(&mut self) -> Option<Spanned> {
        let event = self.events.get_mut(self.pos)?;
        let taken = std::mem::replace(&mut event.0, Event::Nothing);
        let out = (taken, event.1, event.2);
        self.pos += 1;
        Some(out)
    }

    /// The first document; later ones are ignored (CloudFormation reads one).
    fn document(&mut self) -> Result<Option<Node>, ParseError> {
        loop {
            match self.next() {
                None | Some((Event::StreamEnd, ..)) => return Ok(None),
                Some((Event::DocumentStart(_), ..)) => break,
                Some(_) => {}
            }
        }
        match self.events.get(self.pos) {
            None | Some((Event::DocumentEnd | Event::StreamEnd, ..)) => Ok(None),
            Some(_) => self.node(0).map(Some),
        }
    }

    fn node(&mut self, depth: usize) -> Result<Node, ParseError> {
        let Some((event, start, end)) = self.next() else {
            let at = self.events.last().map_or(0, |e| e.2);
            return Err(self.error(at, at, "invalid YAML: unexpected end of the input"));
        };
        if depth > MAX_DEPTH {
            return Err(self.error(
                start,
                end,
                format!("YAML nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let (node, anchor) = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let span = self.scalar_span(start, end, style);
                self.scalars.push(span);
                let kind = scalar_kind(&value, style, tag.as_deref());
                (wrap(kind, span, tag.as_deref()), anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                let mut last = end;
                loop {
                    if let Some((Event::SequenceEnd, s, e)) = self.events.get(self.pos) {
                        // A flow sequence ends at its `]`; a block one at its last item.
                        if e > s {
                            last = *e;
                        }
                        self.pos += 1;
                        break;
                    }
                    let item = self.node(depth + 1)?;
                    self.entries.push(item.span);
                    items.push(item);
                }
                let mut span = self.span(start, last);
                if let Some(item) = items.last() {
                    span = span.cover(item.span);
                }
                (wrap(NodeKind::Array(items), span, tag.as_deref()), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                let mut entries: Vec<(Located<String>, Node)> = Vec::new();
                let mut last = end;
                loop {
                    if let Some((Event::MappingEnd, s, e)) = self.events.get(self.pos) {
                        if e > s {
                            last = *e;
                        }
                        self.pos += 1;
                        break;
                    }
                    let key = self.node(depth + 1)?;
                    let key = match key.kind {
                        NodeKind::Str(s) => Located::new(s.text(), key.span),
                        NodeKind::Number(n) => Located::new(n, key.span),
                        NodeKind::Bool(b) => Located::new(b.to_string(), key.span),
                        NodeKind::Null => Located::new(String::new(), key.span),
                        _ => {
                            return Err(ParseError::at(
                                key.span,
                                "a mapping key must be a plain value, found a collection",
                            ))
                        }
                    };
                    let value = self.node(depth + 1)?;
                    self.entries.push(key.span.cover(value.span));
                    entries.push((key, value));
                }
                let mut span = self.span(start, last);
                if let Some((_, value)) = entries.last() {
                    span = span.cover(value.span);
                }
                (
                    wrap(NodeKind::Object(entries), span, tag.as_deref()),
                    anchor,
                )
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(self.error(start, end, "alias to an unknown anchor"));
                };
                let size = count_nodes(target);
                if size > self.alias_budget {
                    return Err(self.error(start, end, "aliases expand to too many values"));
                }
                self.alias_budget -= size;
                (target.clone(), 0)
            }
            _ => {
                return Err(self.error(start, end, "invalid YAML: unexpected event"));
            }
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

/// The text with every continuation line of a quoted scalar or flow collection that is not
/// indented past its key indented one column past it, and for every character of the result the
/// byte offset in `text` it comes from (inserted blanks map to their line's start, the last entry
/// is the length). `None` when no line needed it.
///
/// YAML requires such lines to be indented more than the block they are in; the readers behind
/// CloudFormation and cfn-lint do not, and AWS's own templates rely on it: a multi-line
/// `"..."` whose lines start under its key, a JSON-style `{ ... }` closed at its key's column or
/// left of it. Blanks at the start of those lines mean nothing (a quoted scalar folds them, a flow
/// collection ignores them), so adding them changes no value.
fn relaxed(text: &str) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut table = Vec::with_capacity(text.len() + 64);
    let mut changed = false;
    // Open flow collections, an open quoted scalar, the column continuation lines need, and the
    // indentation of the line that opened a block scalar still being read.
    let mut flow = 0usize;
    let mut quote: Option<char> = None;
    let mut need = 0usize;
    let mut block: Option<usize> = None;
    let mut node_start = false;
    let mut line_start = 0usize;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        let blank = body.trim().is_empty();
        let mut pos = indent;
        if let Some(parent) = block {
            if blank || indent > parent {
                push_line(&mut out, &mut table, line, line_start, 0);
                line_start += line.len();
                continue;
            }
            block = None;
        }
        if flow > 0 || quote.is_some() {
            let pad = if blank {
                0
            } else {
                need.saturating_sub(indent)
            };
            changed |= pad > 0;
            push_line(&mut out, &mut table, line, line_start, pad);
        } else {
            push_line(&mut out, &mut table, line, line_start, 0);
            // `- - key: value`: the key's column.
            while body[pos..].starts_with('-')
                && body[pos + 1..].chars().next().is_none_or(|c| c == ' ')
            {
                pos += 1;
                pos += body[pos..].len() - body[pos..].trim_start_matches(' ').len();
            }
            need = pos + 1;
            node_start = true;
        }
        line_start += line.len();
        let bytes = body.as_bytes();
        let mut i = pos;
        while i < bytes.len() {
            let c = bytes[i];
            if let Some(q) = quote {
                match c {
                    b'\\' if q == '"' => i += 1,
                    b'"' if q == '"' => quote = None,
                    b'\'' if q == '\'' => {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            quote = None;
                        }
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            let after_blank = i == 0 || matches!(bytes[i - 1], b' ' | b'\t');
            let next = bytes.get(i + 1).copied();
            match c {
                b'#' if after_blank => break,
                b'"' | b'\'' if node_start => {
                    quote = Some(c as char);
                    node_start = false;
                }
                b'{' | b'[' if node_start || flow > 0 => {
                    flow += 1;
                    node_start = true;
                }
                b'}' | b']' if flow > 0 => {
                    flow -= 1;
                    node_start = false;
                }
                b',' if flow > 0 => node_start = true,
                b':' if next.is_none_or(|n| matches!(n, b' ' | b'\t' | b',' | b'}' | b']'))
                    || (flow > 0 && i > 0 && matches!(bytes[i - 1], b'"' | b'\'')) =>
                {
                    node_start = true;
                }
                b'!' | b'&' if node_start => {
                    while i + 1 < bytes.len() && !matches!(bytes[i + 1], b' ' | b'\t') {
                        i += 1;
                    }
                }
                b'|' | b'>' if node_start && flow == 0 => {
                    block = Some(indent);
                    break;
                }
                b' ' | b'\t' => {}
                _ => node_start = false,
            }
            i += 1;
        }
    }
    table.push(text.len());
    changed.then_some((out, table))
}

/// Appends `line` after `pad` blanks, with the source offset of every character.
fn push_line(out: &mut String, table: &mut Vec<usize>, line: &str, start: usize, pad: usize) {
    for _ in 0..pad {
        out.push(' ');
        table.push(start);
    }
    for (i, c) in line.char_indices() {
        out.push(c);
        table.push(start + i);
    }
}

/// Offset just past the quote closing the scalar that opens at or after `start` (after a tag).
fn closing_quote(bytes: &[u8], start: usize, end: usize, quote: u8) -> Option<usize> {
    let end = end.min(bytes.len());
    let open = start + bytes.get(start..end)?.iter().position(|b| *b == quote)?;
    let mut i = open + 1;
    while i < end {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.kind {
        NodeKind::Array(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Object(entries) => entries.iter().map(|(_, v)| 1 + count_nodes(v)).sum(),
        _ => 0,
    }
}

const CORE_TAG: &str = "tag:yaml.org,2002:";

/// A CloudFormation short-form tag becomes a one-key object with the long-form name.
fn wrap(kind: NodeKind, span: Span, tag: Option<&Tag>) -> Node {
    let node = Node::new(kind, span);
    let Some(tag) = tag else { return node };
    if tag.handle != "!" || tag.suffix.is_empty() {
        return node;
    }
    let name = match tag.suffix.as_str() {
        "Ref" => "Ref".to_string(),
        "Condition" => "Condition".to_string(),
        other => format!("Fn::{other}"),
    };
    Node::new(
        NodeKind::Object(vec![(Located::new(name, span), node)]),
        span,
    )
}

/// YAML 1.2 core schema: plain scalars may be null, booleans or numbers; quoted ones are strings.
fn scalar_kind(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> NodeKind {
    let string = || NodeKind::Str(Scalar::Str(value.to_string()));
    if let Some(tag) = tag {
        if tag.handle == CORE_TAG && tag.suffix == "str" {
            return string();
        }
    }
    if style != ScalarStyle::Plain {
        return string();
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        "true" | "True" | "TRUE" => NodeKind::Bool(true),
        "false" | "False" | "FALSE" => NodeKind::Bool(false),
        _ if is_number(value) => NodeKind::Number(value.to_string()),
        _ => string(),
    }
}

/// Core-schema integers and floats: `12`, `-3`, `0x1F`, `0o17`, `1.5e3`, `.inf`, `.nan`.
fn is_number(s: &str) -> bool {
    if matches!(
        s,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN"
    ) {
        return true;
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let has_digits = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
    has_digits
        && digits(int)
        && frac.is_none_or(digits)
        && exponent.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        parse(text, FileId(0)).unwrap().root.unwrap()
    }

    #[test]
    fn spans_are_bytes_after_non_ascii_text() {
        let text = "Description: \"héllo 🎉\"\nKey: !Ref Thing\n";
        let root = parse_ok(text);
        let (key, value) = root.entry("Key").unwrap();
        assert_eq!(&text[key.span.range()], "Key");
        assert_eq!(&text[value.span.range()], "!Ref Thing");
        let (name, arg) = &value.entries()[0];
        assert_eq!(name.value, "Ref");
        assert_eq!(arg.as_str(), Some("Thing"));
    }

    #[test]
    fn quoted_scalars_end_at_their_quote() {
        let text = "a: \"s3:*\"   # c\nb: !Sub 'x''y'  # d\nc: \"q\\\"\" #\nd: |\n  lit\n\ne: 1\n";
        let root = parse_ok(text);
        for (key, want) in [
            ("a", "\"s3:*\""),
            ("b", "!Sub 'x''y'"),
            ("c", "\"q\\\"\""),
            ("d", "lit"),
        ] {
            assert_eq!(&text[root.get(key).unwrap().span.range()], want);
        }
    }

    #[test]
    fn block_collections_end_at_their_last_value() {
        let text = "A:\n  - x\n  - y\nB: 1\n";
        let root = parse_ok(text);
        let a = root.get("A").unwrap();
        assert_eq!(&text[a.span.range()], "- x\n  - y");
        assert_eq!(root.get("B").unwrap().kind, NodeKind::Number("1".into()));
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let root = parse_ok("a: 2012-10-17\nb: true\nc:\nd: '1'\ne: !!str 3\nf: 1.5e3\ng: 1.2.3\n");
        assert_eq!(root.get("a").unwrap().as_str(), Some("2012-10-17"));
        assert_eq!(root.get("b").unwrap().kind, NodeKind::Bool(true));
        assert_eq!(root.get("c").unwrap().kind, NodeKind::Null);
        assert_eq!(root.get("d").unwrap().as_str(), Some("1"));
        assert_eq!(root.get("e").unwrap().as_str(), Some("3"));
        assert!(matches!(root.get("f").unwrap().kind, NodeKind::Number(_)));
        assert_eq!(root.get("g").unwrap().as_str(), Some("1.2.3"));
    }

    #[test]
    fn errors_point_at_bytes() {
        let text = "é: x\nS: - y\n";
        let err = parse(text, FileId(0)).unwrap_err();
        let span = err.span.unwrap();
        assert_eq!(&text[span.start as usize..], "- y\n");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse(&text, FileId(0)).is_err());
    }

    #[test]
    fn continuation_lines_under_their_key_are_read_as_cloudformation_does() {
        let text =
            "A:\n  B: \"one\n  two\"\n  C: {\n  \"k\": [1,\n 2]\n}\n  D: |\n    \"{\n  E: 'x\ny'\n";
        let root = parse_ok(text);
        let a = root.get("A").unwrap();
        assert_eq!(a.get("B").unwrap().as_str(), Some("one two"));
        let k = a.get("C").unwrap().get("k").unwrap();
        assert!(matches!(&k.kind, NodeKind::Array(items) if items.len() == 2));
        assert_eq!(a.get("D").unwrap().as_str(), Some("\"{\n"));
        assert_eq!(a.get("E").unwrap().as_str(), Some("x y"));
        // Spans are still those of the original text.
        let (key, value) = a.entry("C").unwrap();
        assert_eq!(&text[key.span.range()], "C");
        assert!(text[value.span.range()].starts_with('{'));
        assert!(text[value.span.range()].ends_with('}'));
        assert_eq!(&text[k.span.range()], "[1,\n 2]");
        // Text that is wrong in other ways stays an error, at its place.
        let text = "A:\n  B: \"one\n  two\"\n C: x\n";
        let err = parse(text, FileId(0)).unwrap_err();
        assert_eq!(
            err.message,
            "invalid YAML: invalid indentation in quoted scalar"
        );
        assert_eq!(err.span.unwrap().start, 8, "at the original text's quote");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000);
        assert!(parse(&text, FileId(0)).is_err());
    }
}
