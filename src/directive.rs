//! The `iamlint:` comment grammar: `iamlint: ignore[rule-a, rule-b] reason` and
//! `iamlint: ignore-file[rule] reason`. The frontends find comments in their own syntax and read
//! them here; [`crate::suppress`] applies what they found. Below both, so that neither imports
//! the other.

use crate::source::{FileId, Located, Span};

/// An `iamlint:` directive read from one comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// `ignore-file[...]`: the whole file.
    pub file_wide: bool,
    /// Rule ids as written, with their spans.
    pub rules: Vec<Located<String>>,
    /// The text after `]`, if any.
    pub reason: Option<String>,
}

/// Reads a directive from the text of a comment (without its `#`, `//` or `--` marker); `offset`
/// is where that text starts in the file. `None` when the comment is not meant for iamlint.
///
/// `iamlint: ignore[rule-a, rule-b] reason`, `iamlint: ignore-file[rule] reason`. A comment that
/// starts with `iamlint:` but is not of this form gives a directive with no rules, which
/// `invalid-suppression` reports.
pub fn parse_directive(body: &str, file: FileId, offset: usize) -> Option<Directive> {
    let lead = body.len() - body.trim_start().len();
    let rest = body.trim_start().strip_prefix("iamlint:")?;
    let mut at = offset + lead + "iamlint:".len();
    let ws = rest.len() - rest.trim_start().len();
    let rest = &rest[ws..];
    at += ws;
    let (file_wide, rest, word) = if let Some(r) = rest.strip_prefix("ignore-file") {
        (true, r, "ignore-file".len())
    } else if let Some(r) = rest.strip_prefix("ignore") {
        (false, r, "ignore".len())
    } else {
        return Some(Directive {
            file_wide: false,
            rules: Vec::new(),
            reason: None,
        });
    };
    at += word;
    let Some(list) = rest.strip_prefix('[') else {
        return Some(Directive {
            file_wide,
            rules: Vec::new(),
            reason: reason_of(rest),
        });
    };
    at += 1;
    let Some(close) = list.find(']') else {
        return Some(Directive {
            file_wide,
            rules: Vec::new(),
            reason: None,
        });
    };
    let mut rules = Vec::new();
    let mut pos = 0;
    for part in list[..close].split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let start = at + pos + (part.len() - part.trim_start().len());
            rules.push(Located::new(
                trimmed.to_string(),
                Span::new(file, start, start + trimmed.len()),
            ));
        }
        pos += part.len() + 1;
    }
    Some(Directive {
        file_wide,
        rules,
        reason: reason_of(&list[close + 1..]),
    })
}

fn reason_of(text: &str) -> Option<String> {
    let t = text
        .trim()
        .trim_start_matches([':', '-', '—'])
        .trim()
        .trim_end_matches("*/")
        .trim_end_matches("-->")
        .trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Option<Directive> {
        parse_directive(text, FileId(0), 10)
    }

    #[test]
    fn directives_parse_ids_spans_and_reasons() {
        let text = " iamlint: ignore[wildcard-action, resource-star] CI needs it";
        let dir = d(text).unwrap();
        assert!(!dir.file_wide);
        let ids: Vec<&str> = dir.rules.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(ids, ["wildcard-action", "resource-star"]);
        let first = dir.rules[0].span;
        assert_eq!(
            &text[first.start as usize - 10..first.end as usize - 10],
            "wildcard-action"
        );
        let second = dir.rules[1].span;
        assert_eq!(
            &text[second.start as usize - 10..second.end as usize - 10],
            "resource-star"
        );
        assert_eq!(dir.reason.as_deref(), Some("CI needs it"));
        let file = d("iamlint: ignore-file[resource-star]: legacy").unwrap();
        assert!(file.file_wide);
        assert_eq!(file.reason.as_deref(), Some("legacy"));
        assert_eq!(d("iamlint: ignore[resource-star]").unwrap().reason, None);
        assert!(d("iamlint: nonsense").unwrap().rules.is_empty());
        assert_eq!(d(" just a comment"), None);
    }
}
