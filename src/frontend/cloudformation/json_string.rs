//! Policy documents written as a JSON string, which CloudFormation accepts for every policy
//! property: a plain string, or `!Sub |` / `Fn::Sub` / `Fn::Join` text with `${...}` placeholders.
//!
//! The evaluated string (a [`Template`] when it has placeholders) is parsed as JSON with every
//! unknown part replaced by a marker; strings holding markers become templates again, so a
//! placeholder is an unknown value, never text. Spans point into the template at the value's own
//! line and column: each byte of the parsed text is traced back to where it is written, through
//! the `Fn::Sub` / `Fn::Join` that produced it ([`Trace`]) and the YAML or JSON scalar it comes
//! from ([`written::offsets`]: block, quoted or plain, escapes and folding undone). A value filled
//! into a `${Name}` is reported at the `${Name}` (a string holding one, at the whole string). Text
//! that cannot be traced (a value brought in from a parameter default, an explicit indentation
//! indicator) is reported at the whole expression, as before.

use super::intrinsics::{From, Piece, Scope, Trace};
use super::written;
use crate::model::{Scalar, Template, TemplatePart, Unknown};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// Marks an unknown part in the text given to the JSON parser: `OPEN`, its index, `CLOSE`
/// (Unicode private-use characters, which no policy contains).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// The document in `value` (the string the expression at `span` produced), or `None` when it is
/// not a JSON string.
pub fn document(value: &Scalar, span: Span, scope: &Scope) -> Option<Node> {
    let (rendered, holes) = match value {
        Scalar::Str(s) => (s.clone(), Vec::new()),
        Scalar::Template(t) => render(t),
        _ => return None,
    };
    if !rendered.trim_start().starts_with('{') {
        return None;
    }
    let parsed = crate::json::parse(&rendered, span.file, 0).ok()?;
    let map = SourceMap::new(value, span, scope);
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

fn rebuild(node: &Node, holes: &[Unknown], map: &SourceMap) -> Node {
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
struct SourceMap {
    whole: Span,
    /// For every byte of the parsed string, the template range it is written at; empty when the
    /// string cannot be traced (every value is then reported at `whole`).
    bytes: Vec<(u32, u32)>,
}

impl SourceMap {
    fn new(value: &Scalar, whole: Span, scope: &Scope) -> Self {
        let mut map = SourceMap {
            whole,
            bytes: Vec::new(),
        };
        let trace = match value {
            // A string as written (`PolicyDocument: |`), unless it was produced.
            Scalar::Str(s) => scope.trace(whole).unwrap_or_else(|| Trace {
                written: vec![(whole, s.clone())],
                pieces: vec![(
                    Piece::Lit(s.len()),
                    From::Text {
                        written: 0,
                        offset: 0,
                    },
                )],
            }),
            Scalar::Template(_) => match scope.trace(whole) {
                Some(t) => t,
                None => return map,
            },
            _ => return map,
        };
        if let Some(bytes) = trace_bytes(value, &trace, scope.text) {
            map.bytes = bytes;
        }
        map
    }

    /// The template span of the parsed string's `span`.
    fn span(&self, span: Span) -> Span {
        let (start, end) = (span.start as usize, span.end as usize);
        let (Some(first), Some(last)) = (
            self.bytes.get(start),
            self.bytes.get(end.max(start + 1) - 1),
        ) else {
            return self.whole;
        };
        let (from, to) = if end > start {
            (first.0.min(last.0), first.1.max(last.1))
        } else {
            (first.0, first.0)
        };
        Span {
            file: self.whole.file,
            start: from,
            end: to,
        }
    }
}

/// For every byte of `value` rendered (holes as markers), where it is written; `None` when the
/// trace is not that of `value` (another evaluation's).
fn trace_bytes(value: &Scalar, trace: &Trace, text: &str) -> Option<Vec<(u32, u32)>> {
    // The trace must describe the value: the same runs of text and holes.
    let mut runs: Vec<Option<usize>> = Vec::new();
    for (piece, _) in &trace.pieces {
        match (piece, runs.last_mut()) {
            (Piece::Lit(n), Some(Some(run))) => *run += n,
            (Piece::Lit(n), _) => runs.push(Some(*n)),
            (Piece::Hole, _) => runs.push(None),
        }
    }
    let expected: Vec<Option<usize>> = match value {
        Scalar::Str(s) => vec![Some(s.len())],
        Scalar::Template(t) => t
            .parts
            .iter()
            .map(|p| match p {
                TemplatePart::Lit(s) => Some(s.len()),
                TemplatePart::Hole(_) => None,
            })
            .collect(),
        _ => return None,
    };
    if runs != expected {
        return None;
    }
    let offsets: Vec<Option<Vec<usize>>> = trace
        .written
        .iter()
        .map(|(span, value)| written::offsets(text, *span, value))
        .collect();
    let of = |w: usize, a: usize, b: usize| -> (u32, u32) {
        let (span, _) = &trace.written[w];
        match &offsets[w] {
            Some(at) => match (at.get(a), at.get(b)) {
                (Some(&s), Some(&e)) => (s as u32, e.max(s) as u32),
                _ => (span.start, span.end),
            },
            None => (span.start, span.end),
        }
    };
    let mut bytes = Vec::new();
    let mut hole = 0usize;
    for (piece, from) in &trace.pieces {
        let len = match piece {
            Piece::Lit(n) => *n,
            Piece::Hole => {
                let marker = OPEN.len_utf8() + hole.to_string().len() + CLOSE.len_utf8();
                hole += 1;
                marker
            }
        };
        for i in 0..len {
            bytes.push(match (*from, piece) {
                (From::Text { written, offset }, Piece::Lit(_)) => {
                    of(written, offset + i, offset + i + 1)
                }
                (From::Text { written, offset }, Piece::Hole) => of(written, offset, offset),
                (
                    From::Range {
                        written,
                        start,
                        end,
                    },
                    _,
                ) => of(written, start, end),
                (From::Span(s), _) => (s.start, s.end),
            });
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use crate::source::{SourceFile, SourceMap};

    /// The text at the span of the first statement's `Action` and `Resource` values.
    fn spans(yaml: &str) -> Vec<String> {
        let sources = SourceMap::new(SourceFile::new(
            std::path::Path::new("t.yaml"),
            yaml.to_string(),
        ));
        let model = super::super::parse_yaml(&sources);
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        let statement = &model.docs[0].statements[0];
        [statement.actions(), statement.resources()]
            .into_iter()
            .flatten()
            .flat_map(|f| f.items.iter())
            .map(|i| yaml[i.span.range()].to_string())
            .collect()
    }

    const HEAD: &str = "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: ";

    #[test]
    fn every_way_of_writing_the_string_maps_each_value_to_its_text() {
        let doc = r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]}"#;
        let block = "{\n  \"Statement\": [{\"Effect\": \"Allow\",\n    \"Action\": \"s3:*\",\n    \"Resource\": \"arn:aws:s3:::b/*\"}]\n}";
        let indented = |pad: &str| {
            block
                .lines()
                .map(|l| format!("{pad}{l}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let escaped = doc.replace('"', "\\\"");
        let want = ["\"s3:*\"", "\"arn:aws:s3:::b/*\""];
        for value in [
            format!("|\n{}\n", indented("        ")),
            format!(">\n{}\n", indented("        ")),
            format!("!Sub |\n{}\n", indented("        ")),
            format!("\n        Fn::Sub: |-\n{}\n", indented("          ")),
            format!("'{doc}'\n"),
            format!("!Sub '{doc}'\n"),
            format!("\"{escaped}\"\n"),
            format!("\n        Fn::Sub: [\"{escaped}\", {{}}]\n"),
        ] {
            let yaml = format!("{HEAD}{value}");
            let got = spans(&yaml);
            let want_here: Vec<String> = if value.contains("\\\"") {
                want.iter().map(|w| w.replace('"', "\\\"")).collect()
            } else {
                want.iter().map(|w| w.to_string()).collect()
            };
            assert_eq!(got, want_here, "{yaml}");
        }
    }

    #[test]
    fn placeholders_are_unknown_and_reported_at_their_string() {
        let yaml = format!(
            "Parameters:\n  B: {{Type: String}}\n  S: {{Type: String, Default: prod}}\n{}!Sub |\n        {{\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"${{S}}:*\",\n          \"Resource\": [\"arn:${{AWS::Partition}}:s3:::${{B}}/*\", \"x\"]}}]}}\n",
            HEAD
        );
        assert_eq!(
            spans(&yaml),
            [
                "\"${S}:*\"",
                "\"arn:${AWS::Partition}:s3:::${B}/*\"",
                "\"x\""
            ]
        );
        let sources = SourceMap::new(SourceFile::new(
            std::path::Path::new("t.yaml"),
            yaml.clone(),
        ));
        let model = super::super::parse_yaml(&sources);
        let resource = &model.docs[0].statements[0].resources().unwrap().items[0].value;
        assert_eq!(resource.text(), "arn:${AWS::Partition}:s3:::${B}/*");
        assert!(matches!(resource, crate::model::Scalar::Template(_)));
    }

    #[test]
    fn a_fn_join_maps_its_literal_items() {
        let yaml = format!(
            "{HEAD}\n        Fn::Join:\n          - ''\n          - - '{{\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"sqs:*\", \"Resource\": \"'\n            - !Ref AWS::AccountId\n            - '\"}}]}}'\n"
        );
        assert_eq!(
            spans(&yaml),
            [
                "\"sqs:*\"",
                "\"'\n            - !Ref AWS::AccountId\n            - '\""
            ]
        );
    }

    #[test]
    fn text_from_elsewhere_is_reported_at_the_whole_expression() {
        let yaml = format!(
            "Parameters:\n  Doc:\n    Type: String\n    Default: '{{\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}}]}}'\n{HEAD}!Ref Doc\n"
        );
        assert_eq!(spans(&yaml), ["!Ref Doc", "!Ref Doc"]);
    }
}
