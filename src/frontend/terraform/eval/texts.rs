//! The JSON text of a policy document as a value: `data.aws_iam_policy_document.x.json` read
//! outside a policy attribute (a local, a module argument, a list of source documents), and
//! `replace()` on it. Terraform passes such a text around as a string; iamlint keeps the built
//! document instead (an unknown string whose [`Unknown::doc`] points into this table), so that
//! where the text becomes a policy, in this module or in a module it calls, the document is
//! linted with the spans of its own statements, after the replacements.
//!
//! A document whose text becomes a policy somewhere is *used*, and is then not linted again on its
//! own (see [`Eval::doc_text_used`]). One table serves a run: the evaluators of every module instance
//! it expands share it, as they share the [`super::Budget`].

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::PathBuf;

use super::{BuiltDoc, Eval};
use crate::model::{DocRef, Scalar, Template, TemplatePart, Unknown};
use crate::source::Located;
use crate::tree::{Node, NodeKind};

/// Where a document is defined: its file and its name. Two instances of one module share it.
type Origin = (PathBuf, String);

struct Entry {
    origin: Origin,
    built: BuiltDoc,
}

/// The documents whose texts are values of this run, and which of them became policies.
#[derive(Default)]
pub struct Texts {
    entries: RefCell<Vec<Entry>>,
    used: RefCell<HashSet<Origin>>,
}

/// Characters that may stand outside JSON strings (structure, white space, numbers, `true`,
/// `false`, `null`). A substring holding none other could match there.
const OUTSIDE_STRINGS: &str = "{}[],: \t\r\n0123456789.+-eEtrufalsn";

impl Texts {
    fn push(&self, origin: Origin, built: BuiltDoc) -> DocRef {
        let mut entries = self.entries.borrow_mut();
        entries.push(Entry { origin, built });
        DocRef(u32::try_from(entries.len() - 1).unwrap_or(u32::MAX))
    }

    fn get(&self, doc: DocRef) -> Option<(Origin, BuiltDoc)> {
        let entries = self.entries.borrow();
        let e = entries.get(doc.0 as usize)?;
        Some((e.origin.clone(), e.built.clone()))
    }
}

impl Eval<'_> {
    /// The value of `data.aws_iam_policy_document.<name>.json` (file `key` of this module): an
    /// unknown string that carries the built document. None when it cannot be built (a cycle).
    pub(super) fn doc_text(
        &mut self,
        key: super::FileKey,
        name: &str,
        u: Unknown,
    ) -> Option<Unknown> {
        let id = (key, name.to_string());
        let doc = match self.doc_texts.get(&id) {
            Some(&doc) => doc,
            None => {
                let built = self.build_doc(key, name)?;
                let origin = (self.module.file(key).path.clone(), name.to_string());
                let doc = self.texts.push(origin, built);
                self.doc_texts.insert(id, doc);
                doc
            }
        };
        Some(Unknown {
            doc: Some(doc),
            ..u
        })
    }

    /// The document a text value carries, marked as used: a policy attribute or another document
    /// takes it.
    pub fn take_doc(&mut self, u: &Unknown) -> Option<BuiltDoc> {
        let (origin, built) = self.texts.get(u.doc?)?;
        self.texts.used.borrow_mut().insert(origin);
        Some(built)
    }

    /// Marks document `name` of file `key` as used: a policy attribute took it by reference,
    /// however reached (`cond ? data.x[0].json : var.y`, a local), not only through its text.
    pub fn mark_doc_used(&self, key: super::FileKey, name: &str) {
        let origin = (self.module.file(key).path.clone(), name.to_string());
        self.texts.used.borrow_mut().insert(origin);
    }

    /// True when the text of document `name` of file `key` became a policy (or part of one)
    /// somewhere in this run: it is linted there, not on its own.
    pub fn doc_text_used(&self, key: super::FileKey, name: &str) -> bool {
        let origin = (self.module.file(key).path.clone(), name.to_string());
        self.texts.used.borrow().contains(&origin)
    }

    /// `replace(text, from, to)` on a document's text: the replacement made in every string of
    /// the document (keys included), so the result is still a document. None when that cannot
    /// be told from the document: `from` could match the JSON's structure or escapes, or an
    /// unknown `to` lands in a key.
    pub(super) fn replace_in_doc(
        &mut self,
        u: &Unknown,
        from: &str,
        to: &Scalar,
    ) -> Option<Unknown> {
        if !replaceable(from) {
            return None;
        }
        let texts = self.texts.clone();
        let entries = texts.entries.borrow();
        let entry = entries.get(u.doc?.0 as usize)?;
        // A new document each time: paid for like any copy, so a loop cannot multiply it.
        self.pay_copy(&entry.built.node).ok()?;
        let built = BuiltDoc {
            node: substitute(&entry.built.node, from, to)?,
            problems: entry.built.problems.clone(),
            unresolved: entry.built.unresolved.clone(),
            placeholder: entry.built.placeholder,
        };
        let origin = entry.origin.clone();
        drop(entries);
        let doc = texts.push(origin, built);
        Some(Unknown {
            doc: Some(doc),
            ..u.clone()
        })
    }
}

/// True when every match of `from` in a document's JSON text lies inside one string (a value or
/// a key) and matches the same characters there: it holds a character that never stands outside
/// strings, and none that JSON escapes.
fn replaceable(from: &str) -> bool {
    from.chars().any(|c| !OUTSIDE_STRINGS.contains(c)) && !from.chars().any(escaped)
}

/// Characters JSON writes escaped (Terraform's encoder also escapes `<`, `>` and `&`).
fn escaped(c: char) -> bool {
    matches!(c, '"' | '\\' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}') || c.is_control()
}

fn substitute(node: &Node, from: &str, to: &Scalar) -> Option<Node> {
    let kind = match &node.kind {
        NodeKind::Str(s) => NodeKind::Str(substitute_scalar(s, from, to)),
        NodeKind::Array(items) => NodeKind::Array(
            items
                .iter()
                .map(|n| substitute(n, from, to))
                .collect::<Option<_>>()?,
        ),
        NodeKind::Object(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key = if k.value.contains(from) {
                    // A key is text, never unknown: only a known replacement keeps it one.
                    let to = to.as_str()?;
                    if k.value.chars().any(escaped) {
                        return None;
                    }
                    Located::new(k.value.replace(from, to), k.span)
                } else {
                    k.clone()
                };
                out.push((key, substitute(v, from, to)?));
            }
            NodeKind::Object(out)
        }
        other => other.clone(),
    };
    Some(Node::new(kind, node.span))
}

fn substitute_scalar(s: &Scalar, from: &str, to: &Scalar) -> Scalar {
    let touched = |text: &str| touched(text, from);
    match s {
        Scalar::Str(text) if touched(text) => {
            replace_in_parts(&[TemplatePart::Lit(text.clone())], from, to)
        }
        Scalar::Template(t)
            if t.parts
                .iter()
                .any(|p| matches!(p, TemplatePart::Lit(text) if touched(text))) =>
        {
            replace_in_parts(&t.parts, from, to)
        }
        other => other.clone(),
    }
}

/// A string's parts with `from` replaced in each literal; wholly unknown when a literal `from`
/// may match holds a character JSON escapes (the match could then differ from the text's).
fn replace_in_parts(parts: &[TemplatePart], from: &str, to: &Scalar) -> Scalar {
    let unsure = parts.iter().any(|p| {
        matches!(p, TemplatePart::Lit(text)
            if text.chars().any(escaped) && touched(text, from))
    });
    if unsure {
        let text = Template {
            parts: parts.to_vec(),
        }
        .display();
        return Scalar::unknown(Unknown::new(
            format!("replace(…, \"{from}\", …) in \"{text}\""),
            "`replace()` on the JSON text meets an escaped character",
        ));
    }
    let mut out = Vec::new();
    for p in parts {
        match p {
            TemplatePart::Lit(text) => split_into(&mut out, text, from, to),
            hole => out.push(hole.clone()),
        }
    }
    from_parts(out)
}

/// True when `from` matches in the text, or in its JSON-escaped form (an escape such as `\n` can
/// supply letters).
fn touched(text: &str, from: &str) -> bool {
    text.contains(from)
        || text.chars().any(escaped) && serde_json::to_string(text).is_ok_and(|j| j.contains(from))
}

/// `text` with every `from` replaced by `to`, as template parts.
fn split_into(parts: &mut Vec<TemplatePart>, text: &str, from: &str, to: &Scalar) {
    let mut pieces = text.split(from);
    if let Some(first) = pieces.next() {
        parts.push(TemplatePart::Lit(first.to_string()));
    }
    for piece in pieces {
        match to {
            Scalar::Str(s) | Scalar::Other(s) => parts.push(TemplatePart::Lit(s.clone())),
            Scalar::Template(t) => parts.extend(t.parts.iter().cloned()),
            Scalar::Unknown(u) => parts.push(TemplatePart::Hole((**u).clone())),
        }
        parts.push(TemplatePart::Lit(piece.to_string()));
    }
}

/// A scalar from parts, adjacent literals merged and empty ones dropped.
fn from_parts(parts: Vec<TemplatePart>) -> Scalar {
    let mut merged: Vec<TemplatePart> = Vec::new();
    for p in parts {
        match (merged.last_mut(), p) {
            (_, TemplatePart::Lit(s)) if s.is_empty() => {}
            (Some(TemplatePart::Lit(prev)), TemplatePart::Lit(s)) => prev.push_str(&s),
            (_, p) => merged.push(p),
        }
    }
    super::scalar_from_parts(merged)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::tests::show;
    use super::*;
    use crate::source::FileId;

    fn doc(json: &str) -> Node {
        crate::json::parse(json, FileId(0), 0).unwrap()
    }

    fn arn() -> Scalar {
        Scalar::unknown(Unknown::new(
            "aws_s3_bucket.b.arn",
            "known only after apply",
        ))
    }

    #[test]
    fn replacing_in_a_loop_is_paid_for() {
        // 10,000 replacements in a document of 1,000 resources: 10 million nodes unbounded.
        let tf = r#"
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = [for i in range(1000) : "arn:aws:s3:::_B_/prefix-${i}/*"]
  }
}
locals {
  x = [for i in range(10000) : replace(data.aws_iam_policy_document.d.json, "_B_", "b${i}")]
}
"#;
        let path = std::path::Path::new("in-memory/main.tf");
        let module = super::super::super::module::Module::load(path, tf);
        let mut sources = crate::source::SourceMap::new(crate::source::SourceFile::new(
            "in-memory/main.tf",
            tf.to_string(),
        ));
        let mut ev = Eval::new(&module, &mut sources);
        let x = ev.local("x", crate::source::Span::new(FileId(0), 0, 0), "local.x");
        let kept = ev.texts.entries.borrow().len();
        assert!((2..2_500).contains(&kept), "{kept} documents kept");
        let stopped = |n: &Node| matches!(&n.kind, NodeKind::Str(Scalar::Unknown(u)) if u.reason.starts_with(super::super::STOPPED));
        assert!(
            stopped(&x) || matches!(&x.kind, NodeKind::Array(items) if items.iter().any(stopped))
        );
    }

    #[test]
    fn a_known_replacement_is_made_in_values_and_keys() {
        let d =
            doc(r#"{"Resource": ["_B_", "_B_/*"], "Condition": {"StringLike": {"_B_:k": "_B_"}}}"#);
        let out = substitute(&d, "_B_", &Scalar::str("arn:aws:s3:::reports")).unwrap();
        assert_eq!(
            show(&out),
            "{Resource: [\"arn:aws:s3:::reports\", \"arn:aws:s3:::reports/*\"], Condition: \
             {StringLike: {arn:aws:s3:::reports:k: \"arn:aws:s3:::reports\"}}}"
        );
    }

    #[test]
    fn an_unknown_replacement_leaves_holes_in_values() {
        let d = doc(r#"{"Resource": ["_B_", "_B_/*", "arn:aws:s3:::other"], "Sid": "S"}"#);
        let out = substitute(&d, "_B_", &arn()).unwrap();
        assert_eq!(
            show(&out),
            "{Resource: [?(aws_s3_bucket.b.arn: known only after apply), `${aws_s3_bucket.b.arn}/*`, \"arn:aws:s3:::other\"], \
             Sid: \"S\"}"
        );
        // A key cannot hold an unknown: the document is not kept.
        let keyed = doc(r#"{"Condition": {"StringEquals": {"_B_:sub": "x"}}}"#);
        assert!(substitute(&keyed, "_B_", &arn()).is_none());
    }

    #[test]
    fn replacements_that_could_touch_structure_or_escapes_are_not_made() {
        for from in ["", ":", "1", "true", ", ", "\"", "a\\b", "<b>", "x\ny"] {
            assert!(!replaceable(from), "{from:?}");
        }
        for from in ["_S3_BUCKET_ARN_", "arn:aws:", "${account}", "REGION"] {
            assert!(replaceable(from), "{from:?}");
        }
        // In a string JSON escapes, a match may come from an escape (`\n` supplies an `n`).
        let d = doc(r#"{"Sid": "a\nb", "Resource": "nb"}"#);
        let out = substitute(&d, "nb", &Scalar::str("X")).unwrap();
        assert!(show(&out).starts_with("{Sid: ?(replace("), "{}", show(&out));
        assert!(show(&out).ends_with("Resource: \"X\"}"), "{}", show(&out));
        // The same in a literal part of a string with holes.
        let hole = Unknown::new("var.x", "no value");
        let template = Scalar::Template(Template {
            parts: vec![TemplatePart::Lit("a\nb".into()), TemplatePart::Hole(hole)],
        });
        let out = substitute_scalar(&template, "nb", &Scalar::str("X"));
        assert!(
            matches!(&out, Scalar::Unknown(u) if u.expr.starts_with("replace(")),
            "{out:?}"
        );
    }
}
