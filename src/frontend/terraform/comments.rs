//! Inline suppressions in HCL: finds `#` and `//` comments (not inside strings or heredocs) that
//! hold an `iamlint:` directive, and works out what each covers: the rest of its own line, or the
//! attribute, block or object item that starts on the next line of code.

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::Span as _;

use crate::model::Suppression;
use crate::source::{FileId, LineIndex, Span};

#[derive(Debug, Clone, Copy)]
struct Comment {
    start: usize,
    end: usize,
    /// Where the text after `#` / `//` starts.
    body: usize,
}

enum Ctx {
    /// Code, with the number of open `{` (an interpolation ends at an unmatched `}`).
    Code(usize),
    Str,
    Heredoc(String),
}

/// Every `#` and `//` comment of an HCL file.
fn line_comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut stack = vec![Ctx::Code(0)];
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        let at_line_start = line_start;
        line_start = b == b'\n';
        let Some(ctx) = stack.last_mut() else { break };
        match ctx {
            Ctx::Code(depth) => match b {
                b'#' => {
                    let end = line_end(bytes, i);
                    out.push(Comment {
                        start: i,
                        end,
                        body: i + 1,
                    });
                    i = end;
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    let end = line_end(bytes, i);
                    out.push(Comment {
                        start: i,
                        end,
                        body: i + 2,
                    });
                    i = end;
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    let end = text[i + 2..]
                        .find("*/")
                        .map_or(bytes.len(), |e| i + 2 + e + 2);
                    i = end;
                    continue;
                }
                b'"' => stack.push(Ctx::Str),
                b'<' if bytes.get(i + 1) == Some(&b'<') => {
                    let mut j = i + 2;
                    if bytes.get(j) == Some(&b'-') {
                        j += 1;
                    }
                    let id_start = j;
                    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_')
                    {
                        j += 1;
                    }
                    if j > id_start {
                        let delim = text.get(id_start..j).unwrap_or_default().to_string();
                        let end = line_end(bytes, j);
                        stack.push(Ctx::Heredoc(delim));
                        i = end + 1;
                        line_start = true;
                        continue;
                    }
                }
                b'{' => *depth += 1,
                b'}' => {
                    if *depth == 0 {
                        if stack.len() > 1 {
                            stack.pop();
                        }
                    } else {
                        *depth -= 1;
                    }
                }
                _ => {}
            },
            Ctx::Str => match b {
                b'\\' => {
                    i += 2;
                    continue;
                }
                b'"' | b'\n' => {
                    stack.pop();
                }
                b'$' | b'%' => {
                    if bytes[i..].starts_with(b"$${") || bytes[i..].starts_with(b"%%{") {
                        i += 3;
                        continue;
                    }
                    if bytes.get(i + 1) == Some(&b'{') {
                        stack.push(Ctx::Code(0));
                        i += 2;
                        continue;
                    }
                }
                _ => {}
            },
            Ctx::Heredoc(delim) => {
                if at_line_start {
                    let end = line_end(bytes, i);
                    if text.get(i..end).is_some_and(|l| l.trim() == delim.as_str()) {
                        stack.pop();
                        i = end;
                        continue;
                    }
                }
                if (b == b'$' || b == b'%') && bytes.get(i + 1) == Some(&b'{') {
                    stack.push(Ctx::Code(0));
                    i += 2;
                    continue;
                }
                if bytes[i..].starts_with(b"$${") || bytes[i..].starts_with(b"%%{") {
                    i += 3;
                    continue;
                }
            }
        }
        if stack.is_empty() {
            stack.push(Ctx::Code(0));
        }
        i += 1;
    }
    out
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

/// Start and end of every attribute, block and object item, sorted outermost first.
fn node_spans(body: &Body) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    body_spans(body, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    out
}

fn body_spans(body: &Body, out: &mut Vec<(usize, usize)>) {
    for s in body.iter() {
        if let Some(a) = s.as_attribute() {
            if let Some(r) = a.span() {
                out.push((r.start, r.end));
            }
            expr_spans(&a.value, out, 0);
        } else if let Some(b) = s.as_block() {
            if let Some(r) = b.span() {
                out.push((r.start, r.end));
            }
            body_spans(&b.body, out);
        }
    }
}

fn expr_spans(expr: &Expression, out: &mut Vec<(usize, usize)>, depth: usize) {
    if depth > 64 {
        return;
    }
    match expr {
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let (Some(k), Some(v)) = (k.span(), v.expr().span()) {
                    out.push((k.start, v.end));
                }
                expr_spans(v.expr(), out, depth + 1);
            }
        }
        Expression::Array(a) => {
            for item in a.iter() {
                if let Some(r) = item.span() {
                    out.push((r.start, r.end));
                }
                expr_spans(item, out, depth + 1);
            }
        }
        Expression::FuncCall(f) => {
            for arg in f.args.iter() {
                expr_spans(arg, out, depth + 1);
            }
        }
        Expression::Parenthesis(p) => expr_spans(p.inner(), out, depth + 1),
        _ => {}
    }
}

/// Every `iamlint:` comment of a file with its scope.
pub fn suppressions(text: &str, body: Option<&Body>, file: FileId) -> Vec<Suppression> {
    if !text.contains("iamlint:") {
        return Vec::new();
    }
    let comments = line_comments(text);
    if !comments
        .iter()
        .any(|c| text[c.body..c.end].contains("iamlint:"))
    {
        return Vec::new();
    }
    let nodes = body.map(node_spans).unwrap_or_default();
    let index = LineIndex::new(text);
    let comment_starts: std::collections::HashSet<usize> =
        comments.iter().map(|c| c.start).collect();
    let mut out = Vec::new();
    for c in &comments {
        let Some(directive) = crate::directive::parse_directive(&text[c.body..c.end], file, c.body)
        else {
            continue;
        };
        let span = Span::new(file, c.start, c.end);
        let scope = if directive.file_wide {
            None
        } else {
            Some(scope_of(text, &index, &nodes, &comment_starts, c, file))
        };
        out.push(Suppression {
            span,
            rules: directive.rules,
            reason: directive.reason,
            scope,
        });
    }
    out
}

fn scope_of(
    text: &str,
    index: &LineIndex,
    nodes: &[(usize, usize)],
    comment_starts: &std::collections::HashSet<usize>,
    c: &Comment,
    file: FileId,
) -> Span {
    let line = index.position(text, c.start).line as usize - 1;
    let range = index.line_range(text, line);
    let trailing = !text[range.start..c.start].trim().is_empty();
    if trailing {
        let end = outermost(nodes, range.start, c.start).map_or(range.end, |e| e.max(range.end));
        return Span::new(file, range.start, end);
    }
    // The next line of code.
    let mut l = line + 1;
    while l < index.line_count() {
        let r = index.line_range(text, l);
        let first = text[r.clone()]
            .find(|ch: char| !ch.is_whitespace())
            .map(|o| r.start + o);
        match first {
            None => l += 1,
            Some(f) if comment_starts.contains(&f) => l += 1,
            Some(f) => {
                let end = outermost(nodes, f, r.end).map_or(r.end, |e| e.max(r.end));
                return Span::new(file, c.start, end);
            }
        }
    }
    Span::new(file, c.start, c.end)
}

/// End of the outermost node starting in `from..to`.
fn outermost(nodes: &[(usize, usize)], from: usize, to: usize) -> Option<usize> {
    let i = nodes.partition_point(|n| n.0 < from);
    nodes.get(i).filter(|n| n.0 < to).map(|n| n.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_skip_strings_and_heredocs() {
        let text = "a = \"# not\" # yes\nb = <<EOF\n# not\n${x} // not\nEOF\n// yes\nc = \"${f(\"#\")}\" # yes\n";
        let found: Vec<&str> = line_comments(text)
            .iter()
            .map(|c| &text[c.start..c.end])
            .collect();
        assert_eq!(found, ["# yes", "// yes", "# yes"]);
    }
}
