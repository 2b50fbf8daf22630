//! A strict JSON parser that keeps the byte span of every key and value.
//!
//! Hand-written rather than serde-based because findings must point at the exact action string,
//! errors must say where and what was expected, and duplicate keys must survive to be reported.

use crate::model::Scalar;
use crate::source::{FileId, Located, Span};
use crate::tree::{Node, NodeKind};

/// How deep arrays and objects may nest before the parser gives up (policies nest about 6 deep).
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub message: String,
}

/// Parses `text` as one JSON value. Spans are offsets into `text` plus `base` (so JSON embedded
/// in another file, like a Terraform heredoc, points into that file).
pub fn parse(text: &str, file: FileId, base: usize) -> Result<Node, JsonError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        file,
        base,
    };
    p.skip_ws();
    if p.pos == p.bytes.len() {
        return Err(p.error("expected a JSON value, found the end of the file"));
    }
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    file: FileId,
    base: usize,
}

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }

    fn error(&self, message: impl Into<String>) -> JsonError {
        JsonError {
            offset: self.base + self.pos,
            message: message.into(),
        }
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> JsonError {
        JsonError {
            offset: self.base + pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "the end of the file".to_string(),
            Some(c) if c.is_control() => format!("{c:?}"),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, JsonError> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node::new(
                    NodeKind::Str(Scalar::Str(s)),
                    self.span(start, self.pos),
                ))
            }
            Some(b't') => self.keyword("true", NodeKind::Bool(true)),
            Some(b'f') => self.keyword("false", NodeKind::Bool(false)),
            Some(b'n') => self.keyword("null", NodeKind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error(format!("expected a JSON value, found {}", self.found()))),
        }
    }

    fn keyword(&mut self, word: &str, kind: NodeKind) -> Result<Node, JsonError> {
        let start = self.pos;
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Node::new(kind, self.span(start, self.pos)))
        } else {
            Err(self.error(format!("expected a JSON value, found {}", self.found())))
        }
    }

    fn number(&mut self) -> Result<Node, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit in the number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit after the decimal point"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit in the exponent"));
            }
            self.digits();
        }
        let text = self.text[start..self.pos].to_string();
        Ok(Node::new(
            NodeKind::Number(text),
            self.span(start, self.pos),
        ))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error_at(open, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(self.error("control character in string (write it as an escape)"))
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                // A lone surrogate is not a character. Like serde_json and most JSON readers, read
                // it as U+FFFD instead of rejecting the document.
                let c = if (0xD800..0xDC00).contains(&first) {
                    let low = self
                        .text
                        .get(self.pos + 2..self.pos + 6)
                        .filter(|d| {
                            self.bytes[self.pos..].starts_with(b"\\u")
                                && d.bytes().all(|b| b.is_ascii_hexdigit())
                        })
                        .and_then(|d| u32::from_str_radix(d, 16).ok())
                        .filter(|d| (0xDC00..0xE000).contains(d));
                    low.and_then(|second| {
                        self.pos += 6;
                        char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
                    })
                } else {
                    char::from_u32(first)
                };
                out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
                return Ok(());
            }
            _ => {
                return Err(self.error(format!(
                    "invalid escape `\\{}`",
                    self.found().trim_matches('`')
                )))
            }
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("expected four hex digits in \\u escape"))?;
        let value =
            u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(value)
    }

    fn enter(&self, depth: usize) -> Result<(), JsonError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, JsonError> {
        self.enter(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::new(
                NodeKind::Array(items),
                self.span(start, self.pos),
            ));
        }
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                return Err(self.error("trailing comma before `]`"));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    // Growth leaves up to half a list unused; a big file's tree is mostly lists.
                    items.shrink_to_fit();
                    return Ok(Node::new(
                        NodeKind::Array(items),
                        self.span(start, self.pos),
                    ));
                }
                None => return Err(self.error_at(start, "unclosed `[`: expected `]`")),
                _ => {
                    return Err(self.error(format!(
                        "expected `,` or `]` after a list item, found {}",
                        self.found()
                    )))
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, JsonError> {
        self.enter(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::new(
                NodeKind::Object(entries),
                self.span(start, self.pos),
            ));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                Some(b'}') => return Err(self.error("trailing comma before `}`")),
                None => return Err(self.error_at(start, "unclosed `{`: expected `}`")),
                _ => {
                    return Err(self.error(format!("expected a string key, found {}", self.found())))
                }
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key = Located::new(key, self.span(key_start, self.pos));
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error(format!(
                    "expected `:` after the key \"{}\", found {}",
                    key.value,
                    self.found()
                )));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    entries.shrink_to_fit();
                    return Ok(Node::new(
                        NodeKind::Object(entries),
                        self.span(start, self.pos),
                    ));
                }
                None => return Err(self.error_at(start, "unclosed `{`: expected `}`")),
                _ => {
                    return Err(self.error(format!(
                        "expected `,` or `}}` after an object entry, found {}",
                        self.found()
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Node, JsonError> {
        parse(s, FileId(0), 0)
    }

    #[test]
    fn spans_point_at_values() {
        let text = r#"{"Action": ["s3:GetObject", "s3:Put*"]}"#;
        let node = p(text).unwrap();
        let action = node.get("Action").unwrap();
        let NodeKind::Array(items) = &action.kind else {
            panic!("expected an array")
        };
        assert_eq!(&text[items[1].span.range()], "\"s3:Put*\"");
        let (key, _) = node.entry("Action").unwrap();
        assert_eq!(&text[key.span.range()], "\"Action\"");
    }

    #[test]
    fn base_offset_shifts_spans() {
        let node = parse("\"x\"", FileId(2), 10).unwrap();
        assert_eq!(node.span, Span::new(FileId(2), 10, 13));
    }

    #[test]
    fn escapes_decode() {
        let node = p(r#""a\"b\u00e9\ud83d\ude00\n""#).unwrap();
        assert_eq!(node.as_str(), Some("a\"bé😀\n"));
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = p("{\"a\": 1,}").unwrap_err();
        assert_eq!(e.offset, 8);
        assert!(e.message.contains("trailing comma"), "{}", e.message);
        let e = p("{\"a\" 1}").unwrap_err();
        assert!(e.message.contains("expected `:`"), "{}", e.message);
        let e = p("[1, 2").unwrap_err();
        assert!(e.message.contains("unclosed `[`"), "{}", e.message);
        assert_eq!(e.offset, 0);
        let e = p("\"abc").unwrap_err();
        assert_eq!(e.message, "unterminated string");
        let e = p("").unwrap_err();
        assert!(e.message.contains("end of the file"));
        let e = p("{} x").unwrap_err();
        assert!(e.message.contains("after the JSON value"));
        assert!(p("01").is_err());
        assert!(p("1.").is_err());
        assert!(p("\"\\x\"").is_err());
        // Lone surrogates read as U+FFFD, as serde_json reads them.
        assert_eq!(p("\"a\\ud800b\"").unwrap().as_str(), Some("a\u{fffd}b"));
        assert_eq!(p("\"\\udc00\"").unwrap().as_str(), Some("\u{fffd}"));
        assert_eq!(p("\"\\ud800\\u0041\"").unwrap().as_str(), Some("\u{fffd}A"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let e = p(&deep).unwrap_err();
        assert!(e.message.contains("nesting deeper"));
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let node = p(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(node.entries().len(), 2);
    }
}
