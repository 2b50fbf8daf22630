//! Small text helpers shared by rules and outputs.

/// Levenshtein distance over characters, case-insensitive (did-you-mean).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `1 action`, `3 actions`, `22,320 actions`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", thousands(n))
    }
}

/// `22320` → `22,320`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Joins names as `a`, `a and b`, `a, b and 3 more`.
pub fn list_some<S: AsRef<str>>(items: &[S], max: usize) -> String {
    // Built with `push_str`: a large report formats this message once per finding.
    let shown = items.len().min(max);
    let rest = items.len() - shown;
    let mut out = String::new();
    for (i, item) in items.iter().take(shown).enumerate() {
        if i > 0 {
            out.push_str(if rest == 0 && i == shown - 1 {
                " and "
            } else {
                ", "
            });
        }
        out.push('`');
        out.push_str(item.as_ref());
        out.push('`');
    }
    if rest > 0 && shown > 0 {
        out.push_str(" and ");
        out.push_str(&rest.to_string());
        out.push_str(" more");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("GetObjects", "getobject"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn numbers() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22320), "22,320");
        assert_eq!(plural(2542, "action"), "2,542 actions");
        assert_eq!(plural(1, "action"), "1 action");
    }

    #[test]
    fn lists() {
        let items: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(list_some(&items[..1], 2), "`a`");
        assert_eq!(list_some(&items[..2], 2), "`a` and `b`");
        assert_eq!(list_some(&items, 2), "`a`, `b` and 1 more");
        assert_eq!(list_some(&items, 3), "`a`, `b` and `c`");
        let none: [&str; 0] = [];
        assert_eq!(list_some(&none, 3), "");
        assert_eq!(list_some(&items, 0), "");
        assert_eq!(list_some(&items[..2], 1), "`a` and 1 more");
    }
}

/// Control characters, bidirectional overrides and `##[` written visibly (`\n`, `\x1b`,
/// `\u{202e}`, `##\x5b`): [`crate::escape::text`], the value escape of the one escaping layer.
pub fn escape_control(s: &str) -> std::borrow::Cow<'_, str> {
    crate::escape::text(s)
}

/// The longest quoted value (between backticks) a message shows whole, in characters.
pub const MAX_QUOTED_CHARS: usize = 120;

/// The longest message, help or note kept whole, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Shortens what a message echoes from its input: a backtick-quoted value longer than
/// [`MAX_QUOTED_CHARS`] keeps its start and an ellipsis (`` `s3:GetObjectAAAA…` ``), and the
/// whole text is cut at [`MAX_MESSAGE_CHARS`]. A 100 KB action name gives a line, not 200 KB.
pub fn clip_echoed(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= MAX_QUOTED_CHARS || !needs_clipping(s) {
        return std::borrow::Cow::Borrowed(s);
    }
    clip_chars(s)
}

/// Whether [`clip_echoed`] would change `s`: more than [`MAX_MESSAGE_CHARS`] characters, or a
/// quoted run longer than [`MAX_QUOTED_CHARS`]. A scan of the bytes, without building the copy
/// that most messages (a few hundred characters, nothing to clip) would only compare and drop.
fn needs_clipping(s: &str) -> bool {
    let (mut chars, mut run, mut quoted) = (0usize, 0usize, false);
    for &b in s.as_bytes() {
        // A character starts at every byte but UTF-8 continuation bytes.
        if b & 0xC0 == 0x80 {
            continue;
        }
        chars += 1;
        if b == b'`' {
            quoted = !quoted;
            run = 0;
        } else if quoted {
            run += 1;
            if run > MAX_QUOTED_CHARS {
                return true;
            }
        }
    }
    chars > MAX_MESSAGE_CHARS
}

/// [`clip_echoed`] character by character.
fn clip_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::with_capacity(s.len().min(MAX_MESSAGE_CHARS * 4));
    let mut quoted = false;
    let mut run = 0usize;
    let mut total = 0usize;
    for c in s.chars() {
        if total >= MAX_MESSAGE_CHARS {
            out.push('…');
            return std::borrow::Cow::Owned(out);
        }
        if c == '`' {
            quoted = !quoted;
            run = 0;
            out.push(c);
            total += 1;
            continue;
        }
        if quoted {
            run += 1;
            if run == MAX_QUOTED_CHARS + 1 {
                out.push('…');
                total += 1;
            }
            if run > MAX_QUOTED_CHARS {
                continue;
            }
        }
        out.push(c);
        total += 1;
    }
    if out.len() == s.len() {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_sent() {
        assert_eq!(escape_control("a\x1b[31mb\n\u{7}"), "a\\x1b[31mb\\n\\x07");
        assert_eq!(escape_control("\u{85}x"), "\\u{85}x");
        assert!(matches!(
            escape_control("plain ✓"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn long_quoted_values_are_clipped() {
        let long = "A".repeat(100_000);
        let message = format!("`s3:{long}` is not a known action");
        let clipped = clip_echoed(&message);
        assert!(clipped.chars().count() < 200, "{}", clipped.len());
        assert!(clipped.starts_with("`s3:AAA"));
        assert!(clipped.ends_with("…` is not a known action"));
        assert_eq!(clip_echoed("`s3:*` is fine"), "`s3:*` is fine");
        let unquoted = "x".repeat(10_000);
        assert_eq!(
            clip_echoed(&unquoted).chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }

    #[test]
    fn the_scan_agrees_with_clipping_at_every_bound() {
        // Lengths around both bounds, quoted or not, with one- and multi-byte characters and an
        // unclosed quote: the fast scan must say "unchanged" exactly when clipping changes nothing.
        let mut cases = Vec::new();
        for fill in ["a", "é", "✓"] {
            for n in [
                MAX_QUOTED_CHARS - 1,
                MAX_QUOTED_CHARS,
                MAX_QUOTED_CHARS + 1,
                MAX_MESSAGE_CHARS - 3,
                MAX_MESSAGE_CHARS - 2,
                MAX_MESSAGE_CHARS - 1,
                MAX_MESSAGE_CHARS,
                MAX_MESSAGE_CHARS + 1,
            ] {
                let body = fill.repeat(n);
                cases.push(format!("`{body}` is long"));
                cases.push(format!("x `{body}"));
                cases.push(body.clone());
                let words = format!("`{}` ", fill.repeat(MAX_QUOTED_CHARS)).repeat(n / 100 + 1);
                cases.push(words);
            }
        }
        let mut clipped = 0;
        for case in &cases {
            let slow = clip_chars(case);
            assert_eq!(clip_echoed(case), slow, "{case}");
            // The scan may only skip texts that clipping leaves alone. (The converse does not
            // hold: a quoted run of exactly 121 three-byte characters is clipped to the same byte
            // length, which `clip_chars` takes for "unchanged".)
            if !needs_clipping(case) {
                assert_eq!(slow, case.as_str(), "{} chars", case.chars().count());
            } else {
                clipped += usize::from(slow != case.as_str());
            }
        }
        assert!(clipped > cases.len() / 3, "{clipped} of {}", cases.len());
    }
}
