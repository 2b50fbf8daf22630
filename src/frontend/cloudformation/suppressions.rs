//! Suppressions in templates: `# iamlint: ignore[rule-id] reason` comments (YAML) and
//! `Metadata: {iamlint: {ignore: [rule-id], reason: ...}}` on a resource (YAML and JSON).

use super::yaml::YamlFile;
use crate::model::Suppression;
use crate::source::{FileId, LineIndex, Located, Span};
use crate::tree::{Node, NodeKind};

/// The reason recorded for a `Metadata` ignore that gives none: the entry is structured
/// configuration checked in with the template, like a config-file ignore.
const METADATA_REASON: &str = "ignored in the resource's `Metadata`";

/// Every `# iamlint: ignore[...]` comment. A comment covers its own line; on a line of its own it
/// also covers the mapping entry or list item that starts on the next line of code; after code it
/// also covers the entries that start on its line (`Policies:  # iamlint: ignore[...] why` covers
/// the whole `Policies` entry). `ignore-file[...]` covers the file.
pub fn comments(text: &str, yaml: &YamlFile, file: FileId) -> Vec<Suppression> {
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for line in 0..index.line_count() {
        let range = index.line_range(text, line);
        let Some(at) = comment_start(text, range.clone(), &yaml.scalars) else {
            continue;
        };
        let body_start = at + 1;
        let body = &text[body_start..range.end];
        let Some(parsed) = parse(body, body_start, file) else {
            continue;
        };
        let own_line = text[range.start..at].trim().is_empty();
        let comment = Span::new(file, at, range.end);
        let scope = if parsed.file_wide {
            None
        } else {
            let mut end = range.end;
            let target = if own_line {
                next_code_line(text, &index, line + 1, &yaml.scalars)
            } else {
                Some(range.clone())
            };
            if let Some(target) = target {
                end = end.max(target.end);
                for entry in &yaml.entries {
                    let start = entry.start as usize;
                    if start >= target.start && start < target.end.max(target.start + 1) {
                        end = end.max(entry.end as usize);
                    }
                }
            }
            Some(Span::new(file, range.start, end))
        };
        out.push(Suppression {
            span: comment,
            rules: parsed.rules,
            reason: parsed.reason,
            scope,
        });
    }
    out
}

/// Byte offset of the `#` starting a comment on this line: preceded by a blank or the line start,
/// and not inside a scalar.
fn comment_start(text: &str, range: std::ops::Range<usize>, scalars: &[Span]) -> Option<usize> {
    let line = &text[range.clone()];
    let mut search = 0;
    while let Some(i) = line[search..].find('#') {
        let at = range.start + search + i;
        let after_blank = search + i == 0
            || line[..search + i]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace);
        if after_blank && !inside(scalars, at) {
            return Some(at);
        }
        search += i + 1;
    }
    None
}

fn inside(scalars: &[Span], offset: usize) -> bool {
    // `scalars` is sorted by start; look at those starting before `offset`.
    let n = scalars.partition_point(|s| (s.start as usize) <= offset);
    // Scalars never overlap: only the last one starting before `offset` can hold it.
    scalars[..n]
        .last()
        .is_some_and(|s| (s.end as usize) > offset)
}

/// The next line holding something other than blanks and comments.
fn next_code_line(
    text: &str,
    index: &LineIndex,
    from: usize,
    scalars: &[Span],
) -> Option<std::ops::Range<usize>> {
    (from..index.line_count())
        .map(|l| index.line_range(text, l))
        .find(|r| {
            let line = &text[r.clone()];
            let trimmed = line.trim_start();
            let blank = trimmed.is_empty();
            let comment = trimmed.starts_with('#')
                && !inside(scalars, r.start + (line.len() - trimmed.len()));
            !blank && !comment
        })
}

/// `iamlint: ignore[a, b] reason` (the text after `#`; `base` is its byte offset): the same
/// directive grammar as every other format, read by `directive::parse_directive`.
fn parse(body: &str, base: usize, file: FileId) -> Option<crate::directive::Directive> {
    crate::directive::parse_directive(body, file, base)
}

/// `Metadata: {iamlint: {ignore: [rule-id, ...], reason: "..."}}` on a resource: covers the whole
/// resource. `ignore` may also be a single string.
pub fn metadata(id: &Located<String>, resource: &Node) -> Option<Suppression> {
    let meta = resource.get("Metadata")?.get("iamlint")?;
    let ignore = meta.get("ignore")?;
    let items = match &ignore.kind {
        NodeKind::Array(items) => items.as_slice(),
        _ => std::slice::from_ref(ignore),
    };
    let rules = items
        .iter()
        .filter_map(|i| {
            i.as_str()
                .map(|s| Located::new(s.trim().to_string(), i.span))
        })
        .collect();
    let reason = meta
        .get("reason")
        .and_then(Node::as_str)
        .filter(|r| !r.trim().is_empty())
        .unwrap_or(METADATA_REASON);
    Some(Suppression {
        span: ignore.span,
        rules,
        reason: Some(reason.to_string()),
        scope: Some(id.span.cover(resource.span)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_reasons_and_spans() {
        let body = " iamlint: ignore[resource-star, wildcard-action] bucket is per-tenant";
        let p = parse(body, 10, FileId(0)).unwrap();
        assert!(!p.file_wide);
        let ids: Vec<&str> = p.rules.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(ids, ["resource-star", "wildcard-action"]);
        let first = p.rules[0].span;
        assert_eq!(
            &body[first.start as usize - 10..first.end as usize - 10],
            "resource-star"
        );
        let second = p.rules[1].span;
        assert_eq!(
            &body[second.start as usize - 10..second.end as usize - 10],
            "wildcard-action"
        );
        assert_eq!(p.reason.as_deref(), Some("bucket is per-tenant"));
        assert!(parse(" iamlint: ignore[x]", 0, FileId(0))
            .unwrap()
            .reason
            .is_none());
        assert!(
            parse(" iamlint: ignore-file[x] why", 0, FileId(0))
                .unwrap()
                .file_wide
        );
        assert!(parse(" just a comment", 0, FileId(0)).is_none());
    }
}
