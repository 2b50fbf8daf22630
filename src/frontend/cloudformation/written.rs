//! Where each byte of a scalar's value is written in the template: the inverse of reading a YAML
//! (plain, single- or double-quoted, literal `|` or folded `>`) or JSON string.
//!
//! The value is read again from the text at the scalar's span, here with the source offset of
//! every byte; the result is used only when it equals the value the parser gave, so a form not
//! read exactly here (an explicit indentation indicator, a value brought in from a parameter
//! default) has no offsets and its caller falls back to the whole scalar.

use crate::source::Span;

/// For every byte of `value` (the scalar at `span` of `text`, after an optional short-form tag),
/// the offset in `text` where it is written, plus one last entry for the end; `None` when the text
/// at `span` does not read as `value`.
pub fn offsets(text: &str, span: Span, value: &str) -> Option<Vec<usize>> {
    let (start, end) = (span.start as usize, span.end as usize);
    let src = text.get(start..end)?;
    let mut at = 0;
    if src.starts_with('!') {
        // `!Sub |`, `!Sub '...'`: the value follows the tag.
        at = src.find(char::is_whitespace)?;
        at += src[at..].len() - src[at..].trim_start().len();
    }
    let body = start + at;
    if let Some(header) = block_header_before(text, body) {
        // A block scalar's span may start at its content, past the `|` line.
        return block(text, header, end)?.matching(value);
    }
    let read = match src[at..].chars().next()? {
        '"' => flow(text, body + 1, end, Some('"')),
        '\'' => flow(text, body + 1, end, Some('\'')),
        '|' | '>' => block(text, body, end),
        _ => flow(text, body, end, None),
    }?;
    read.matching(value)
}

/// The offset of the `|` or `>` header of the block scalar whose content starts at `start`, when
/// `start` begins a line and the line before ends in one.
fn block_header_before(text: &str, start: usize) -> Option<usize> {
    let before = text.get(..start)?;
    let line_begin = before.rfind('\n')? + 1;
    if !before[line_begin..].trim().is_empty() {
        return None;
    }
    let previous = before[..line_begin - 1].trim_end_matches('\r');
    let header_line = previous.rfind('\n').map_or(0, |i| i + 1);
    let line = &previous[header_line..];
    let code = line.split(" #").next().unwrap_or("").trim_end();
    let token = code.rsplit(char::is_whitespace).next()?;
    (token.starts_with(['|', '>']) && token.len() <= 3)
        .then(|| header_line + code.len() - token.len())
}

/// A value read back, with the source offset of each byte.
#[derive(Default)]
struct Read {
    text: String,
    at: Vec<usize>,
    /// Source offset just past the last character read.
    end: usize,
    /// How many blanks written as such end `text` (dropped before a folded line break).
    raw_blanks: usize,
}

impl Read {
    /// A character written as itself at `pos`.
    fn raw(&mut self, c: char, pos: usize) {
        for i in 0..c.len_utf8() {
            self.at.push(pos + i);
        }
        self.text.push(c);
        self.raw_blanks = if c == ' ' || c == '\t' {
            self.raw_blanks + 1
        } else {
            0
        };
    }

    /// A character that stands for the text at `pos` (an escape, a folded line break).
    fn stands(&mut self, c: char, pos: usize) {
        for _ in 0..c.len_utf8() {
            self.at.push(pos);
        }
        self.text.push(c);
        self.raw_blanks = 0;
    }

    /// The offsets when the text read is `value`; a block scalar's final line breaks (its
    /// chomping) may differ, and map to its end.
    fn matching(mut self, value: &str) -> Option<Vec<usize>> {
        let only_breaks = |s: &str| s.bytes().all(|b| b == b'\n');
        if let Some(more) = value.strip_prefix(self.text.as_str()) {
            if !only_breaks(more) {
                return None;
            }
            self.at.extend(std::iter::repeat_n(self.end, more.len()));
        } else if self.text.starts_with(value) && only_breaks(&self.text[value.len()..]) {
            self.at.truncate(value.len());
        } else {
            return None;
        }
        self.at.push(self.end);
        Some(self.at)
    }
}

/// A plain (`quote` `None`, ending at `end`) or quoted scalar whose text starts at `from`:
/// escapes (double quotes), `''` (single quotes), and line folding.
fn flow(text: &str, from: usize, end: usize, quote: Option<char>) -> Option<Read> {
    let mut read = Read::default();
    let mut i = from;
    loop {
        let c = match text[i..].chars().next() {
            Some(_) if quote.is_none() && i >= end => break,
            Some(c) => c,
            None if quote.is_none() => break,
            None => return None,
        };
        match c {
            '\'' if quote == Some('\'') && text[i + 1..].starts_with('\'') => {
                read.stands('\'', i);
                i += 2;
            }
            c if Some(c) == quote => break,
            '\\' if quote == Some('"') => {
                let (value, len) = escape(&text[i..])?;
                match value {
                    Some(c) => read.stands(c, i),
                    // An escaped line break joins the lines; blanks starting the next one go.
                    None => read.raw_blanks = 0,
                }
                i += len;
                if value.is_none() {
                    i += blanks(&text[i..]);
                }
            }
            '\n' | '\r' => {
                let brk = i;
                let keep = read.text.len() - read.raw_blanks;
                read.text.truncate(keep);
                read.at.truncate(keep);
                i += line_break(&text[i..]);
                let mut empty = 0;
                loop {
                    i += blanks(&text[i..]);
                    match line_break(&text[i..]) {
                        0 => break,
                        n => {
                            empty += 1;
                            i += n;
                        }
                    }
                }
                if quote.is_none() && i >= end {
                    break;
                }
                if empty == 0 {
                    read.stands(' ', brk);
                } else {
                    for _ in 0..empty {
                        read.stands('\n', brk);
                    }
                }
            }
            c => {
                read.raw(c, i);
                i += c.len_utf8();
            }
        }
    }
    read.end = i;
    if quote.is_none() {
        // A plain scalar's trailing blanks are not part of it.
        let keep = read.text.trim_end().len();
        read.text.truncate(keep);
        read.at.truncate(keep);
        read.end = read.at.last().map_or(from, |last| {
            last + text[*last..].chars().next().map_or(0, char::len_utf8)
        });
    }
    Some(read)
}

/// Length of the blanks starting `s`.
fn blanks(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// Length of the line break starting `s` (0 when none).
fn line_break(s: &str) -> usize {
    if s.starts_with("\r\n") {
        2
    } else if s.starts_with('\n') || s.starts_with('\r') {
        1
    } else {
        0
    }
}

/// The character a double-quoted escape at the start of `s` stands for (`None` for an escaped
/// line break), and the escape's length.
fn escape(s: &str) -> Option<(Option<char>, usize)> {
    let e = s[1..].chars().next()?;
    let simple = match e {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        '\n' | '\r' => return Some((None, 1 + line_break(&s[1..]))),
        'x' | 'u' | 'U' => {
            let digits = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = s.get(2..2 + digits)?;
            let code = u32::from_str_radix(hex, 16).ok()?;
            if let Some(c) = char::from_u32(code) {
                return Some((Some(c), 2 + digits));
            }
            // A UTF-16 surrogate pair, as JSON writes characters past U+FFFF.
            let low = s.get(2 + digits..)?.strip_prefix("\\u")?.get(..4)?;
            let low = u32::from_str_radix(low, 16).ok()?;
            if !(0xD800..0xDC00).contains(&code) || !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))?;
            return Some((Some(c), 2 + digits + 6));
        }
        _ => return None,
    };
    Some((Some(simple), 1 + e.len_utf8()))
}

/// A literal (`|`) or folded (`>`) block scalar whose header starts at `from`.
fn block(text: &str, from: usize, end: usize) -> Option<Read> {
    let header_end = from + text[from..end].find('\n')?;
    let header = text[from..header_end].split(" #").next().unwrap_or("");
    if header.bytes().any(|b| b.is_ascii_digit()) {
        // An explicit indentation indicator: not read here.
        return None;
    }
    let folded = header.starts_with('>');
    let mut lines = Vec::new();
    let mut at = header_end + 1;
    for line in text.get(at..end)?.split('\n') {
        lines.push((at, line.strip_suffix('\r').unwrap_or(line)));
        at += line.len() + 1;
    }
    let indent = lines
        .iter()
        .find(|(_, l)| !l.trim().is_empty())
        .map_or(0, |(_, l)| blanks(l));
    let mut read = Read::default();
    // The previous non-empty line (whether more indented, where it ends) and the empty lines
    // since.
    let mut previous: Option<(bool, usize)> = None;
    let mut empty = 0;
    for (k, &(start, line)) in lines.iter().enumerate() {
        let content = line.get(indent..).unwrap_or("");
        let brk = start.saturating_sub(1);
        if !folded {
            if k > 0 {
                read.stands('\n', brk);
            }
        } else if content.is_empty() {
            if previous.is_none() {
                read.stands('\n', brk.max(header_end));
            } else {
                empty += 1;
            }
            continue;
        } else {
            let more = content.starts_with([' ', '\t']);
            if let Some((previous_more, at)) = previous {
                if !more && !previous_more && empty == 0 {
                    read.stands(' ', at);
                } else {
                    let breaks = if more || previous_more {
                        empty + 1
                    } else {
                        empty
                    };
                    for _ in 0..breaks {
                        read.stands('\n', at);
                    }
                }
            }
            previous = Some((more, start + line.len()));
            empty = 0;
        }
        let base = start + line.len().min(indent);
        for (j, c) in content.char_indices() {
            read.raw(c, base + j);
        }
    }
    read.end = end;
    Some(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    /// Every scalar of `yaml`'s mapping `v`, read back: each byte of the value is the byte at its
    /// offset (escapes and folded breaks excepted, which the checks below name).
    fn check(yaml: &str, want_exact: bool) {
        let root = crate::frontend::cloudformation::yaml::parse(yaml, FileId(0))
            .unwrap()
            .root
            .unwrap();
        let node = root.get("v").unwrap();
        let node = match crate::frontend::cloudformation::intrinsics::intrinsic(node) {
            Some((_, arg)) => arg,
            None => node,
        };
        let value = node.as_str().unwrap();
        let at = offsets(yaml, node.span, value);
        assert_eq!(at.is_some(), want_exact, "{yaml:?} → {value:?}");
        let Some(at) = at else { return };
        assert_eq!(at.len(), value.len() + 1);
        for (i, b) in value.bytes().enumerate() {
            if b.is_ascii_alphanumeric() && yaml.as_bytes()[at[i]] != b'\\' {
                assert_eq!(
                    yaml.as_bytes()[at[i]],
                    b,
                    "byte {i} of {value:?} in {yaml:?}"
                );
            }
        }
        assert!(at.windows(2).all(|w| w[0] <= w[1]), "{at:?}");
    }

    #[test]
    fn scalars_of_every_style_map_back_to_their_text() {
        for yaml in [
            "v: plain text\n",
            "v: plain\n  folded   \n\n  lines\n",
            "v: 'single ''quoted''\n  folded'\n",
            "v: \"double \\\"quoted\\\" \\u00e9\\x41 \\\n   joined\n\n  kept\"\n",
            "v: !Sub 'arn:${AWS::Partition}:s3:::x'\n",
            "v: !Sub |\n  {\n    \"Action\": \"s3:*\"\n  }\n\nw: 1\n",
            "v: |-\n    one\n\n      two\n    three\n",
            "v: |+\n  kept\n\n",
            "v: >\n  folded\n  text\n\n  para\n    more\n  back\n",
            "v: >-\n  a\n  b\n",
            "v:\n  Fn::Sub: |\n    {\"a\": 1}\n",
            "v: \"\\U0001F600 ü\"\n",
        ] {
            check(yaml, true);
        }
        check("v: |2\n    indented\n", false);
        for yaml in [
            "v: |\r\n  crlf\r\n  lines\r\n",
            "v: >\n  a\n\n    b\n  c\n",
            "v: \"tab\there é\\\n  x\"\n",
            "v: 'é\n\n\n  ü'\n",
            "v: |\n  trailing   \n  \n",
        ] {
            // Read exactly, or not at all: never a panic, never offsets out of order.
            let root = crate::frontend::cloudformation::yaml::parse(yaml, FileId(0))
                .unwrap()
                .root
                .unwrap();
            let node = root.get("v").unwrap();
            if let Some(at) = offsets(yaml, node.span, node.as_str().unwrap()) {
                assert!(at.windows(2).all(|w| w[0] <= w[1]), "{yaml:?} {at:?}");
                assert!(at.iter().all(|&o| o <= yaml.len()), "{yaml:?}");
            }
        }
    }

    #[test]
    fn json_strings_map_their_escapes() {
        let text = r#"{"P": "{\"Statement\": [{\"Action\": \"s3:*\"}]}\n\ud83d\ude00x"}"#;
        let start = text.find("\"{").unwrap();
        let end = text.rfind('"').unwrap() + 1;
        let value = "{\"Statement\": [{\"Action\": \"s3:*\"}]}\n😀x";
        let at = offsets(text, Span::new(FileId(0), start, end), value).unwrap();
        let action = value.find("s3:*").unwrap();
        assert_eq!(&text[at[action]..at[action + 4]], "s3:*");
        let quote = value.find("\"s3").unwrap();
        assert_eq!(&text[at[quote]..at[quote + 1]], "\\\"");
        assert_eq!(at[value.len()], end - 1, "the end is the closing quote");
        assert!(offsets(text, Span::new(FileId(0), start, end), "other").is_none());
    }
}
