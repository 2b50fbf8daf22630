//! Policy documents written as a JSON string, which CloudFormation accepts for every policy
//! property: a plain string, or `!Sub |` / `Fn::Sub` text with `${...}` placeholders.
//!
//! The evaluated string (a [`Template`] when it has placeholders) is parsed as JSON with every
//! unknown part replaced by a marker; strings holding markers become templates again, so a
//! placeholder is an unknown value, never text. Spans point into the template: exactly, when the
//! string is a YAML literal block (`|`) whose lines are the JSON text as written; at the line of
//! the value (through the end of the string) when placeholders changed the text; at the whole
//! string otherwise (a JSON template's escaped string). Inexact spans always run to the end of the
//! string, so no fix ever takes one for the text of a single value.

use crate::model::{Scalar, Template, TemplatePart, Unknown};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// Marks an unknown part in the text given to the JSON parser: `OPEN`, its index, `CLOSE`
/// (Unicode private-use characters, which no policy contains).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// The document in `value` (the string at `span` of the template `text`), or `None` when it is not
/// a JSON string.
pub fn document(value: &Scalar, span: Span, text: &str) -> Option<Node> {
    let (rendered, holes) = match value {
        Scalar::Str(s) => (s.clone(), Vec::new()),
        Scalar::Template(t) => render(t),
        _ => return None,
    };
    if !rendered.trim_start().starts_with('{') {
        return None;
    }
    let parsed = crate::json::parse(&rendered, span.file, 0).ok()?;
    let map = LineMap::new(text, span, &rendered);
    Some(rebuild(&parsed, &holes, &map))
}

fn render(t: &Template) -> (String, Vec<Unknown>) {
    let mut out = String::new();
    let mut holes = Vec::new();
    for part in &t.parts {
        match part {
            TemplatePart::Lit(s) => out.push_str(s),
            TemplatePart::Hole(u) => {
                out.push(OPEN);
                out.push_str(&holes.len().to_string());
                out.push(CLOSE);
                holes.push(u.clone());
            }
        }
    }
    (out, holes)
}

fn rebuild(node: &Node, holes: &[Unknown], map: &LineMap) -> Node {
    let span = map.span(node.span);
    let kind = match &node.kind {
        NodeKind::Str(Scalar::Str(s)) if !holes.is_empty() && s.contains(OPEN) => {
            NodeKind::Str(restore(s, holes))
        }
        NodeKind::Array(items) => {
            NodeKind::Array(items.iter().map(|i| rebuild(i, holes, map)).collect())
        }
        NodeKind::Object(entries) => NodeKind::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    // A key is text: a placeholder in it is written `${...}`, as Terraform does.
                    let key = if !holes.is_empty() && k.value.contains(OPEN) {
                        restore(&k.value, holes).text()
                    } else {
                        k.value.clone()
                    };
                    (Located::new(key, map.span(k.span)), rebuild(v, holes, map))
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Node::new(kind, span)
}

/// The scalar a marked string stands for: a template, or the unknown itself when it is all one hole.
fn restore(s: &str, holes: &[Unknown]) -> Scalar {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find(OPEN) {
        let after = &rest[open + OPEN.len_utf8()..];
        let hole = after.find(CLOSE).and_then(|close| {
            let index: usize = after[..close].parse().ok()?;
            Some((holes.get(index)?, &after[close + CLOSE.len_utf8()..]))
        });
        let Some((unknown, next)) = hole else { break };
        if open > 0 {
            parts.push(TemplatePart::Lit(rest[..open].to_string()));
        }
        parts.push(TemplatePart::Hole(unknown.clone()));
        rest = next;
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Lit(rest.to_string()));
    }
    match parts.as_slice() {
        [TemplatePart::Hole(u)] => Scalar::unknown(u.clone()),
        _ => Scalar::Template(Template { parts }),
    }
}

/// From offsets in the parsed string to spans in the template.
struct LineMap {
    whole: Span,
    mode: Mode,
    /// Start offset of every line of the parsed string.
    rendered_lines: Vec<usize>,
    /// Template offset of the content (past the block indentation) of every line of the literal.
    source_lines: Vec<usize>,
    /// Template offset of the end of every line of the literal.
    source_ends: Vec<usize>,
    /// Template offset of the first non-blank character of every line of the literal.
    source_firsts: Vec<usize>,
}

#[derive(PartialEq)]
enum Mode {
    /// Every line of the string is its line of the literal block: offsets map one to one.
    Exact,
    /// The lines correspond, their text does not (placeholders were filled in).
    Lines,
    /// No correspondence: every value is reported at the whole string.
    Whole,
}

impl LineMap {
    fn new(text: &str, whole: Span, rendered: &str) -> Self {
        let rendered_lines: Vec<usize> = std::iter::once(0)
            .chain(rendered.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut map = LineMap {
            whole,
            mode: Mode::Whole,
            rendered_lines,
            source_lines: Vec::new(),
            source_ends: Vec::new(),
            source_firsts: Vec::new(),
        };
        let (Some(source), Some(before)) =
            (text.get(whole.range()), text.get(..whole.start as usize))
        else {
            return map;
        };
        // The block header (`|`, `|-`, `!Sub |`, `Fn::Sub: |`) ends the span's first line, or the
        // line before when the span starts at the content (a block scalar's own span).
        let is_literal = |header: &str| {
            header
                .split(" #")
                .next()
                .unwrap_or("")
                .trim_end()
                .rsplit(char::is_whitespace)
                .next()
                .is_some_and(|h| h.starts_with('|'))
        };
        let start = whole.start as usize;
        let line_begin = before.rfind('\n').map_or(0, |i| i + 1);
        let (body, base) = match source.find('\n') {
            Some(first_break) if is_literal(&source[..first_break]) => {
                (&source[first_break + 1..], start + first_break + 1)
            }
            _ if line_begin > 0 && before[line_begin..].trim().is_empty() => {
                let header_begin = before[..line_begin - 1].rfind('\n').map_or(0, |i| i + 1);
                if !is_literal(&before[header_begin..line_begin - 1]) {
                    return map;
                }
                (&text[line_begin..whole.end as usize], line_begin)
            }
            _ => return map,
        };
        let indent = body
            .lines()
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
        let mut at = base;
        let mut exact = true;
        // A clipped or kept block ends in a line break that the span does not cover.
        let lines: Vec<&str> = rendered.trim_end_matches('\n').split('\n').collect();
        for (i, line) in body.split('\n').enumerate() {
            let content = line.get(indent..).unwrap_or("");
            let start = at + line.len().min(indent);
            map.source_lines.push(start);
            map.source_ends.push(at + line.len());
            map.source_firsts
                .push(start + content.len() - content.trim_start().len());
            if lines
                .get(i)
                .is_some_and(|r| *r != content.trim_end_matches('\r'))
            {
                exact = false;
            }
            at += line.len() + 1;
        }
        if lines.len() > map.source_lines.len() {
            // More lines than the literal has: a filled-in value held line breaks.
            return map;
        }
        map.mode = if exact { Mode::Exact } else { Mode::Lines };
        map
    }

    /// The template span of the parsed string's `span`.
    fn span(&self, span: Span) -> Span {
        let (start, end) = (span.start as usize, span.end as usize);
        match self.mode {
            Mode::Whole => self.whole,
            Mode::Exact => Span::new(self.whole.file, self.offset(start), self.offset(end)),
            Mode::Lines => {
                let line = self.line(start);
                let at = self.source_firsts[line].min(self.source_ends[line]);
                Span::new(self.whole.file, at, self.whole.end as usize)
            }
        }
    }

    fn line(&self, offset: usize) -> usize {
        let line = self.rendered_lines.partition_point(|s| *s <= offset) - 1;
        line.min(self.source_lines.len().saturating_sub(1))
    }

    fn offset(&self, offset: usize) -> usize {
        let line = self.line(offset);
        let col = offset - self.rendered_lines[line];
        (self.source_lines[line] + col).min(self.source_ends[line])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn doc_at(text: &str, needle: &str, value: &Scalar) -> Node {
        let start = text.find(needle).unwrap();
        let span = Span::new(FileId(0), start, text.trim_end().len());
        document(value, span, text).unwrap()
    }

    #[test]
    fn a_literal_block_maps_exactly() {
        let json = "{\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\"}]\n}";
        let text = format!(
            "P: |\n{}\n",
            json.lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let node = doc_at(&text, "|", &Scalar::str(json));
        let action = node.get("Statement").unwrap();
        let NodeKind::Array(items) = &action.kind else {
            panic!("{action:?}")
        };
        let action = items[0].get("Action").unwrap();
        assert_eq!(&text[action.span.range()], "\"s3:*\"");
    }

    #[test]
    fn placeholders_are_unknown_and_spans_keep_their_line() {
        let text = "P: !Sub |\n  {\"Statement\": [{\"Effect\": \"Allow\",\n   \"Resource\": \"arn:aws:s3:::${B}/*\",\n   \"Principal\": {\"AWS\": \"${AWS::AccountId}\"}}]}\n";
        let t = Template {
            parts: vec![
                TemplatePart::Lit(
                    "{\"Statement\": [{\"Effect\": \"Allow\",\n \"Resource\": \"arn:aws:s3:::"
                        .into(),
                ),
                TemplatePart::Hole(Unknown::new("B", "no default")),
                TemplatePart::Lit("/*\",\n \"Principal\": {\"AWS\": \"".into()),
                TemplatePart::Hole(Unknown::new("AWS::AccountId", "pseudo")),
                TemplatePart::Lit("\"}}]}\n".into()),
            ],
        };
        let node = doc_at(text, "!Sub", &Scalar::Template(t));
        let NodeKind::Array(items) = &node.get("Statement").unwrap().kind else {
            panic!()
        };
        let resource = items[0].get("Resource").unwrap();
        let NodeKind::Str(Scalar::Template(r)) = &resource.kind else {
            panic!("{resource:?}")
        };
        assert_eq!(r.display(), "arn:aws:s3:::${B}/*");
        assert!(text[resource.span.range()].starts_with("\"Resource\""));
        let principal = items[0].get("Principal").unwrap().get("AWS").unwrap();
        let NodeKind::Str(Scalar::Unknown(u)) = &principal.kind else {
            panic!("{principal:?}")
        };
        assert_eq!(u.expr, "AWS::AccountId");
        assert!(text[principal.span.range()].starts_with("\"Principal\""));
    }

    #[test]
    fn a_quoted_string_maps_to_itself() {
        let text = "{\"P\": \"{\\\"Statement\\\": []}\"}";
        let value = Scalar::str("{\"Statement\": []}");
        let node = doc_at(text, "\"{", &value);
        let statement = node.entry("Statement").unwrap().0;
        assert_eq!(
            &text[statement.span.range()],
            &text[text.find("\"{").unwrap()..]
        );
        assert!(document(&Scalar::str("not json"), statement.span, text).is_none());
    }
}
