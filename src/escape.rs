//! The one escaping layer: every byte iamlint writes to stdout, stderr or an output file that may
//! hold text from its input (file names, values quoted in messages, excerpts, revisions, config
//! keys) passes through a function of this module, chosen by where the text lands.
//!
//! Two levels, both here:
//!
//! - **Values**, escaped where they are interpolated: [`text`] for a value inside one line of
//!   plain text (human output, stderr, log lines), [`github_message`] and [`github_property`] for
//!   workflow-command fields, [`markdown_code`] for Markdown.
//! - **Lines**, escaped as they are written: [`line`] (and the [`Lines`] writer) for any text
//!   stream, [`Json`] for JSON streams. These make sure that no line a value shaped can be read
//!   by a CI runner as a command, whatever a renderer forgot.
//!
//! What a CI runner reads as a command (GitHub's workflow commands; the runner also keeps the
//! legacy `##[name]` form): a line whose first non-blank characters are `::`, and `##[` anywhere
//! in a line. The escapes are visible text in the style of the control characters: `\x3a` for the
//! first `:` of a line-leading `::`, `\x5b` for the `[` of `##[`.

use std::borrow::Cow;
use std::io::{self, Write};

/// Characters that would let input text move the cursor, change colours, break a line or reorder
/// it: C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
/// controls (embeddings, overrides, isolates, and the marks LRM, RLM and ALM).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
        )
}

/// One unsafe character as visible text: `\n`, `\r`, `\t`, `\x1b`, `\u{85}`, `\u{202e}`.
pub fn push_escaped_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// The `[` of a `##[` as text: the legacy runner command form never appears.
const BRACKET: &str = "\\x5b";

/// A value inside one line of plain text: unsafe characters ([`is_unsafe_char`]) shown escaped,
/// and the `[` of `##[` shown as `\x5b`. The result holds no line break, no control character
/// and no `##[`; a `::` it starts with is left to [`line`], which knows where lines start.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) && !s.contains("##[") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut hashes = 0usize;
    for c in s.chars() {
        if is_unsafe_char(c) {
            push_escaped_char(&mut out, c);
            hashes = 0;
            continue;
        }
        if c == '[' && hashes >= 2 {
            out.push_str(BRACKET);
        } else {
            out.push(c);
        }
        hashes = if c == '#' { hashes + 1 } else { 0 };
    }
    Cow::Owned(out)
}

/// Text echoed on stderr: a long quoted value clipped ([`crate::text::clip_echoed`]), then
/// escaped as one line ([`text`], [`line`]).
pub fn stderr(s: &str) -> String {
    let clipped = crate::text::clip_echoed(s);
    line(&text(&clipped)).into_owned()
}

/// A GitHub workflow command's message: `%`, `\r`, `\n` percent-encoded (`escapeData` in
/// `@actions/core`), every other unsafe character and `##[` shown as in [`text`].
pub fn github_message(s: &str) -> String {
    github(s, false)
}

/// A GitHub workflow command's property value (`escapeProperty`: also `:` and `,`).
pub fn github_property(s: &str) -> String {
    github(s, true)
}

fn github(s: &str, in_property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if in_property => out.push_str("%3A"),
            ',' if in_property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    text(&out).into_owned()
}

/// A value as one segment of a URL's path: every byte but the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`) percent-encoded, `/` included. The result holds nothing a Markdown
/// link destination, an HTML attribute or a shell word could read as syntax (no space,
/// parenthesis, bracket, quote, `<`, `:`, `?`, `#` or line break).
pub fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A value in Markdown (a pull-request comment), as a code span that the value cannot close: its
/// fence is one backtick longer than the longest run of backticks in it. Inside a code span no
/// link, image, HTML, heading, emphasis or `@mention` is made. The value is escaped as [`text`]
/// first (no line break can end a table row or start a block), and in a table cell (`in_table`)
/// `|` is written `\|`, which GFM reads as a `|` of the cell even inside a code span.
pub fn markdown_code(s: &str, in_table: bool) -> String {
    let shown = text(s);
    let shown = if in_table {
        Cow::Owned(shown.replace('|', "\\|"))
    } else {
        shown
    };
    let mut longest = 0usize;
    let mut run = 0usize;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    if shown.is_empty() {
        return "` `".to_string();
    }
    let fence = "`".repeat(longest + 1);
    // A space on each side keeps a value that starts or ends with a backtick apart from the
    // fence; CommonMark strips one space on each side when both are there (unless the span is
    // all spaces, which is kept as it is: an empty value is one space).
    let all_spaces = shown.chars().all(|c| c == ' ');
    let pad = if shown.starts_with('`')
        || shown.ends_with('`')
        || (shown.starts_with(' ') && shown.ends_with(' ') && !all_spaces)
    {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

/// Makes one output line safe for a CI log: if its first characters after blanks (and colour
/// codes iamlint wrote) are `::`, the first `:` is written `\x3a`; every `##[` (colour codes
/// between its characters included) gets its `[` written `\x5b`. A line iamlint means as a
/// workflow command is written with [`command_line`] instead.
pub fn line(line: &str) -> Cow<'_, str> {
    let lead = leading_noise(line);
    let starts_command = line[lead..].starts_with("::");
    if !starts_command && !has_legacy_command(line) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    out.push_str(&line[..lead]);
    let rest = if starts_command {
        out.push_str("\\x3a");
        &line[lead + 1..]
    } else {
        &line[lead..]
    };
    push_without_legacy(&mut out, rest, hashes_before(&line[..lead]));
    Cow::Owned(out)
}

/// A workflow command iamlint means to write, as one line: only `##[` is escaped (its values were
/// escaped by [`github_message`] and [`github_property`] already).
pub fn command_line(line: &str) -> Cow<'_, str> {
    if !has_legacy_command(line) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    push_without_legacy(&mut out, line, 0);
    Cow::Owned(out)
}

/// Bytes of blanks and ANSI escape sequences at the start of `line`.
fn leading_noise(line: &str) -> usize {
    let mut i = 0;
    loop {
        let rest = &line[i..];
        if let Some(n) = ansi_len(rest) {
            i += n;
        } else if let Some(c) = rest.chars().next().filter(|c| c.is_whitespace()) {
            i += c.len_utf8();
        } else {
            return i;
        }
    }
}

/// The length of the ANSI CSI sequence (`ESC [ params final`) `s` starts with.
fn ansi_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\u{1b}[")?;
    let end = body.find(|c: char| ('\u{40}'..='\u{7e}').contains(&c))?;
    Some(2 + end + 1)
}

/// Whether `##[` appears in `line` once ANSI sequences are taken out.
fn has_legacy_command(line: &str) -> bool {
    if !line.contains('#') {
        return false;
    }
    let mut scratch = String::new();
    push_without_legacy(&mut scratch, line, 0);
    scratch.len() != line.len()
}

/// `#` characters that end `s` (ANSI sequences skipped).
fn hashes_before(s: &str) -> usize {
    let mut n = 0;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(len) = ansi_len(rest) {
            rest = &rest[len..];
            continue;
        }
        n = if c == '#' { n + 1 } else { 0 };
        rest = &rest[c.len_utf8()..];
    }
    n
}

/// Appends `s`, writing the `[` of every `##[` as `\x5b`; `hashes` is the count of `#` just
/// before `s`. ANSI sequences neither count nor break a run of `#`.
fn push_without_legacy(out: &mut String, s: &str, mut hashes: usize) {
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(len) = ansi_len(rest) {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if c == '[' && hashes >= 2 {
            out.push_str(BRACKET);
        } else {
            out.push(c);
        }
        hashes = if c == '#' { hashes + 1 } else { 0 };
        rest = &rest[c.len_utf8()..];
    }
}

/// A writer that passes every line through [`line`]. Lines are held until their `\n`; a flush
/// writes a held partial line as a line of its own.
pub struct Lines<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Lines<W> {
    pub fn new(inner: W) -> Self {
        Lines {
            inner,
            pending: Vec::new(),
        }
    }

    fn write_line(&mut self, bytes: &[u8]) -> io::Result<()> {
        if !may_need_escaping(bytes) {
            return self.inner.write_all(bytes);
        }
        // Not text iamlint made if not UTF-8: shown as text, never as bytes.
        let text = String::from_utf8_lossy(bytes);
        self.inner.write_all(line(&text).as_bytes())
    }
}

/// Whether [`line`] could change `bytes` (a quick, conservative look: a `#` anywhere, a
/// non-ASCII character among the leading blanks, or `::` after them).
fn may_need_escaping(bytes: &[u8]) -> bool {
    if memchr::memchr(b'#', bytes).is_some() {
        return true;
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => i += 1,
            0x1b => match bytes.get(i + 1) {
                Some(b'[') => {
                    let end = bytes[i + 2..]
                        .iter()
                        .position(|b| (0x40..=0x7e).contains(b));
                    match end {
                        Some(end) => i += 2 + end + 1,
                        None => return false,
                    }
                }
                _ => return false,
            },
            b':' => return bytes.get(i + 1) == Some(&b':'),
            b if b >= 0x80 => return true,
            _ => return false,
        }
    }
    false
}

impl<W: Write> Write for Lines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let (head, tail) = rest.split_at(i + 1);
            if self.pending.is_empty() {
                self.write_line(head)?;
            } else {
                // The held buffer is reused: a line is often written in many small pieces.
                let mut held = std::mem::take(&mut self.pending);
                held.extend_from_slice(head);
                self.write_line(&held)?;
                held.clear();
                self.pending = held;
            }
            rest = tail;
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let held = std::mem::take(&mut self.pending);
            self.write_line(&held)?;
        }
        self.inner.flush()
    }
}

/// A writer for JSON text: the `[` of every `##[` (only possible inside a string) is written
/// `\u005b`, and the Unicode line and paragraph separators `\u2028` and `\u2029`; every JSON
/// reader decodes them back, so the data is unchanged, and the log holds no legacy runner command
/// and no line break but JSON's own. JSON output never starts a line with `::`: strings escape
/// their line breaks.
pub struct Json<W: Write> {
    inner: W,
    /// The last two bytes of the text before this write (`0` when unknown or written escaped).
    before: [u8; 2],
    /// Bytes of a possible U+2028/U+2029 held back (`E2`, `E2 80`): 0, 1 or 2.
    held: usize,
}

impl<W: Write> Json<W> {
    pub fn new(inner: W) -> Self {
        Json {
            inner,
            before: [0, 0],
            held: 0,
        }
    }

    fn write_separator(&mut self, last: u8) -> io::Result<()> {
        self.inner
            .write_all(if last == 0xa8 { b"\\u2028" } else { b"\\u2029" })
    }
}

/// The UTF-8 of U+2028 and U+2029 without their last byte.
const SEPARATOR_START: [u8; 2] = [0xe2, 0x80];

impl<W: Write> Write for Json<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        // A separator whose first bytes ended the previous write.
        while self.held > 0 {
            let Some(&b) = rest.first() else {
                return Ok(buf.len());
            };
            match (self.held, b) {
                (1, 0x80) => {
                    self.held = 2;
                    rest = &rest[1..];
                }
                (2, 0xa8 | 0xa9) => {
                    self.write_separator(b)?;
                    self.held = 0;
                    rest = &rest[1..];
                }
                _ => {
                    self.inner.write_all(&SEPARATOR_START[..self.held])?;
                    self.held = 0;
                }
            }
            self.before = [0, 0];
        }
        let before = self.before;
        // The byte `n` places before `rest[i]`, this write's or the previous one's.
        let back = |i: usize, n: usize| {
            if i >= n {
                rest[i - n]
            } else {
                before[2 - (n - i)]
            }
        };
        let (mut start, mut from) = (0, 0);
        while let Some(k) = memchr::memchr2(b'[', 0xe2, &rest[from..]) {
            let i = from + k;
            from = i + 1;
            if rest[i] == b'[' {
                if back(i, 1) == b'#' && back(i, 2) == b'#' {
                    self.inner.write_all(&rest[start..i])?;
                    self.inner.write_all(b"\\u005b")?;
                    start = i + 1;
                }
                continue;
            }
            match (rest.get(i + 1), rest.get(i + 2)) {
                (Some(0x80), Some(&last @ (0xa8 | 0xa9))) => {
                    self.inner.write_all(&rest[start..i])?;
                    self.write_separator(last)?;
                    start = i + 3;
                    from = i + 3;
                }
                (None, _) | (Some(0x80), None) => {
                    self.inner.write_all(&rest[start..i])?;
                    self.held = rest.len() - i;
                    self.before = [0, 0];
                    return Ok(buf.len());
                }
                _ => {}
            }
        }
        self.inner.write_all(&rest[start..])?;
        self.before = match rest.len() {
            0 => before,
            1 => [before[1], rest[0]],
            n => [rest[n - 2], rest[n - 1]],
        };
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for Json<W> {
    /// Bytes held for a separator that never came (a stream cut inside a character).
    fn drop(&mut self) {
        if self.held > 0 {
            let _ = self.inner.write_all(&SEPARATOR_START[..self.held]);
        }
    }
}

/// [`Json`] over a whole text.
pub fn json_text(s: &str) -> Cow<'_, str> {
    if !s.contains("##[") && !s.contains(['\u{2028}', '\u{2029}']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace("##[", "##\\u005b")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029"),
    )
}

/// Text iamlint made from its data and a command line's values (`managed`, `expand`, `suggest`):
/// unsafe characters other than line breaks and tabs shown escaped, then every line made safe
/// with [`line`].
pub fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, l) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut shown = String::with_capacity(l.len());
        for c in l.chars() {
            if is_unsafe_char(c) && c != '\t' {
                push_escaped_char(&mut shown, c);
            } else {
                shown.push(c);
            }
        }
        out.push_str(&line(&shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_hold_no_control_and_no_legacy_command() {
        assert_eq!(text("a\x1b[31mb\n\u{7}"), "a\\x1b[31mb\\n\\x07");
        assert_eq!(text("\u{85}x\u{202e}"), "\\u{85}x\\u{202e}");
        assert_eq!(text("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        assert_eq!(
            text("\u{200e}\u{200f}\u{61c}\u{2067}"),
            "\\u{200e}\\u{200f}\\u{61c}\\u{2067}"
        );
        assert_eq!(text("x ##[error]y ###[z"), "x ##\\x5berror]y ###\\x5bz");
        assert_eq!(text("#\n#[a"), "#\\n#[a");
        assert!(matches!(text("plain ✓ # [ ::"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_that_start_a_command_are_escaped() {
        assert_eq!(line("::error::x"), "\\x3a:error::x");
        assert_eq!(line("  \t::add-mask::x"), "  \t\\x3a:add-mask::x");
        assert_eq!(line("\u{3000}::x"), "\u{3000}\\x3a:x");
        assert_eq!(
            line("\x1b[1m::error::x\x1b[0m"),
            "\x1b[1m\\x3a:error::x\x1b[0m"
        );
        assert_eq!(line("a ::error::x"), "a ::error::x");
        assert_eq!(line("a ##[error]x"), "a ##\\x5berror]x");
        assert_eq!(line("a #\x1b[0m#\x1b[1m[x"), "a #\x1b[0m#\x1b[1m\\x5bx");
        assert_eq!(line("##[x"), "##\\x5bx");
        assert!(matches!(line("a: b # [c]"), Cow::Borrowed(_)));
        assert_eq!(command_line("::error::a ##[b"), "::error::a ##\\x5bb");
    }

    #[test]
    fn the_lines_writer_escapes_across_writes() {
        let mut out = Vec::new();
        {
            let mut w = Lines::new(&mut out);
            w.write_all(b"ok\n:").unwrap();
            w.write_all(b":error::x\nend ##").unwrap();
            w.write_all(b"[y").unwrap();
            w.flush().unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ok\n\\x3a:error::x\nend ##\\x5by"
        );
    }

    #[test]
    fn json_keeps_its_data() {
        let mut out = Vec::new();
        {
            let mut w = Json::new(&mut out);
            w.write_all(br#"["a #"#).unwrap();
            w.write_all(br###"#[x", "##[y"]"###).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("##["), "{text}");
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ["a ##[x", "##[y"]);
        // Separators split across writes, and a lone first byte of one.
        let mut out = Vec::new();
        {
            let mut w = Json::new(&mut out);
            let value = "[\"a\u{2028}::error::x\u{2029}\u{2010}\u{e000}é\"]";
            for byte in value.as_bytes() {
                w.write_all(&[*byte]).unwrap();
            }
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "[\"a\\u2028::error::x\\u2029\u{2010}\u{e000}é\"]");
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ["a\u{2028}::error::x\u{2029}\u{2010}\u{e000}é"]);
        assert_eq!(json_text(r###""##[""###), r###""##\u005b""###);
    }

    #[test]
    fn the_json_writer_is_json_text_whatever_the_writes() {
        let text = "[\"##[a\u{2028}#\u{2029}#[b ###[ \u{2010}é\u{2028}##\", \"#\", \"[\u{e2}\"]";
        let whole = json_text(text);
        assert!(!whole.contains("##[") && !whole.contains(['\u{2028}', '\u{2029}']));
        for a in 0..=text.len() {
            for b in a..=text.len() {
                let mut out = Vec::new();
                {
                    let mut w = Json::new(&mut out);
                    let bytes = text.as_bytes();
                    for part in [&bytes[..a], &bytes[a..b], &bytes[b..]] {
                        w.write_all(part).unwrap();
                    }
                }
                assert_eq!(String::from_utf8(out).unwrap(), whole, "split at {a}, {b}");
            }
        }
    }

    #[test]
    fn github_fields() {
        assert_eq!(github_message("50% a\r\nb:c,d"), "50%25 a%0D%0Ab:c,d");
        assert_eq!(github_property("50% a\r\nb:c,d"), "50%25 a%0D%0Ab%3Ac%2Cd");
        assert_eq!(github_message("a\x1b[31m\x07\tb"), "a\\x1b[31m\\x07\\tb");
        assert_eq!(github_property("x\x1by:z ##[e"), "x\\x1by%3Az ##\\x5be");
    }

    #[test]
    fn markdown_code_spans_cannot_be_closed() {
        assert_eq!(markdown_code("s3:*", false), "`s3:*`");
        assert_eq!(markdown_code("a`b``c", false), "```a`b``c```");
        assert_eq!(markdown_code("`x", false), "`` `x ``");
        assert_eq!(markdown_code("a|b\r\nc", true), "`a\\|b\\r\\nc`");
        assert_eq!(markdown_code("", false), "` `");
    }

    #[test]
    fn plain_text_keeps_lines_and_tabs() {
        assert_eq!(
            plain_text("a\tb\n::x\x1b\n##[e"),
            "a\tb\n\\x3a:x\\x1b\n##\\x5be"
        );
    }
}
