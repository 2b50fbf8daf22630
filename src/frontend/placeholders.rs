//! Placeholders of policy templates: policy files whose `ACCOUNT_ID` or `REGION` is filled in by
//! code before the policy is used (`arn:aws:sqs:REGION:ACCOUNT_ID:jobs`), and policies copied from
//! documentation with `<angle-bracket>` placeholders left to fill in (`arn:aws:iam::<account-id>:root`,
//! `"aws:SourceIp": "<my-corporate-cidr>"`).
//!
//! The partition, region and account fields of an ARN in `Resource`, `NotResource` or a
//! principal that hold such a token are unknown: holes in a template, never judged as written.
//! A token is an ALL-CAPS word (`ACCOUNT_ID`, `AWS_REGION`: never a valid value of those fields)
//! or one of the `[placeholders] tokens` of the config, matched as the whole field
//! (`account-id`, `{account}`). An `<angle-bracket>` placeholder (`<` a letter, then letters,
//! digits, `-`, `_`, `.` or spaces, `>`: no IAM value holds one) is a hole wherever it stands in
//! an action, a resource, a principal, a condition key or a condition value. Every hole of a file
//! shares one reason naming all its placeholders, so `unresolved-reference` reports the file
//! once instead of one `invalid-arn` or `condition-type-mismatch` per value.

use std::ops::Range;

use crate::model::{FileModel, Scalar, Template, TemplatePart, Unknown, UnknownKind};
use crate::source::Located;

/// ARN fields a placeholder may stand in: partition, region, account.
const FIELDS: [usize; 3] = [1, 3, 4];

/// Where a value stands, which decides what counts as a placeholder in it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `Resource`, `NotResource`, a principal: ARN fields and `<...>`.
    Arn,
    /// An action, a condition key or value: `<...>` only.
    Other,
}

/// Makes the placeholders of every value of `model` unknown (see the module docs).
pub fn mark(model: &mut FileModel, tokens: &[String]) {
    let mut found: Vec<String> = Vec::new();
    let mut values = 0;
    for_each_value(model, &mut |s: &mut Located<Scalar>, place| {
        let hits = scalar_hits(&s.value, tokens, place);
        if hits.is_empty() {
            return;
        }
        values += 1;
        for token in hits {
            if !found.contains(&token) {
                found.push(token);
            }
        }
    });
    if found.is_empty() {
        return;
    }
    let reason = format!(
        "{} {} of this policy template, filled in before the policy is used: {} not judged {}",
        if found.len() == 1 {
            "placeholder"
        } else {
            "placeholders"
        },
        crate::text::list_some(&found, 8),
        crate::text::plural(values, "value"),
        if found.len() == 1 {
            "there"
        } else {
            "in those parts"
        },
    );
    for_each_value(model, &mut |s: &mut Located<Scalar>, place| {
        let parts: Vec<TemplatePart> =
            match &s.value {
                Scalar::Str(text) => {
                    let hits = placeholders(text, tokens, place);
                    if hits.is_empty() {
                        return;
                    }
                    split(text, &hits, &reason)
                }
                Scalar::Template(t) => {
                    // Angle-bracket placeholders in the known text of a template (`<bucket>/${var.x}`).
                    if !t.parts.iter().any(
                        |p| matches!(p, TemplatePart::Lit(l) if !angle_placeholders(l).is_empty()),
                    ) {
                        return;
                    }
                    let mut parts = Vec::new();
                    for part in &t.parts {
                        match part {
                            TemplatePart::Lit(l) => {
                                parts.extend(split(l, &angle_placeholders(l), &reason))
                            }
                            hole => parts.push(hole.clone()),
                        }
                    }
                    parts
                }
                _ => return,
            };
        s.value = Scalar::Template(Template { parts });
    });
}

/// The placeholder tokens of a value.
fn scalar_hits(value: &Scalar, tokens: &[String], place: Place) -> Vec<String> {
    let texts: Vec<&str> = match value {
        Scalar::Str(text) => return tokens_of(text, &placeholders(text, tokens, place)),
        Scalar::Template(t) => t
            .parts
            .iter()
            .filter_map(|p| match p {
                TemplatePart::Lit(l) => Some(l.as_str()),
                TemplatePart::Hole(_) => None,
            })
            .collect(),
        _ => return Vec::new(),
    };
    texts
        .into_iter()
        .flat_map(|l| tokens_of(l, &angle_placeholders(l)))
        .collect()
}

fn tokens_of(text: &str, hits: &[Range<usize>]) -> Vec<String> {
    hits.iter().map(|r| text[r.clone()].to_string()).collect()
}

/// `text` as literal parts and one hole per placeholder range (sorted, disjoint).
fn split(text: &str, hits: &[Range<usize>], reason: &str) -> Vec<TemplatePart> {
    let mut parts = Vec::new();
    let mut at = 0;
    for r in hits {
        if r.start > at {
            parts.push(TemplatePart::Lit(text[at..r.start].to_string()));
        }
        let mut hole = Unknown::new(&text[r.clone()], reason);
        hole.kind = UnknownKind::Placeholder;
        parts.push(TemplatePart::Hole(hole));
        at = r.end;
    }
    if at < text.len() {
        parts.push(TemplatePart::Lit(text[at..].to_string()));
    }
    parts
}

/// Byte ranges of the placeholders of `text`, sorted and disjoint.
fn placeholders(text: &str, tokens: &[String], place: Place) -> Vec<Range<usize>> {
    let mut hits = angle_placeholders(text);
    if place == Place::Arn {
        for field in placeholder_fields(text, tokens) {
            if !hits
                .iter()
                .any(|h| h.start < field.end && field.start < h.end)
            {
                hits.push(field);
            }
        }
        hits.sort_by_key(|r| r.start);
    }
    hits
}

/// Byte ranges of the `<name>` placeholders of `text` (see the module docs).
fn angle_placeholders(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find('<').map(|i| i + from) {
        let rest = &text[start + 1..];
        let inner_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')))
            .unwrap_or(rest.len());
        let inner = &rest[..inner_len];
        if rest[inner_len..].starts_with('>')
            && inner.starts_with(|c: char| c.is_ascii_alphabetic())
            && inner.len() <= 64
        {
            let end = start + 1 + inner_len + 1;
            out.push(start..end);
            from = end;
        } else {
            from = start + 1;
        }
    }
    out
}

/// Byte ranges of the fields of an ARN that are ALL-CAPS or configured placeholders.
fn placeholder_fields(text: &str, tokens: &[String]) -> Vec<Range<usize>> {
    if !text.starts_with("arn:") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (i, field) in text.splitn(6, ':').enumerate() {
        if FIELDS.contains(&i) && is_placeholder(field, tokens) {
            out.push(at..at + field.len());
        }
        at += field.len() + 1;
    }
    out
}

/// An ALL-CAPS word of two or more characters (`ACCOUNT_ID`, `REGION`, `AWS_ACCOUNT_ID2`), or a
/// configured token.
fn is_placeholder(field: &str, tokens: &[String]) -> bool {
    if tokens.iter().any(|t| t == field) {
        return true;
    }
    field.len() >= 2
        && field.starts_with(|c: char| c.is_ascii_uppercase())
        && field
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn for_each_value(model: &mut FileModel, f: &mut dyn FnMut(&mut Located<Scalar>, Place)) {
    for doc in &mut model.docs {
        for stmt in &mut doc.statements {
            if let Some(list) = &mut stmt.action {
                list.items.iter_mut().for_each(|s| f(s, Place::Other));
            }
            if let Some(list) = &mut stmt.resource {
                list.items.iter_mut().for_each(|s| f(s, Place::Arn));
            }
            if let Some(p) = &mut stmt.principal {
                for entry in &mut p.entries {
                    entry.values.iter_mut().for_each(|s| f(s, Place::Arn));
                }
            }
            if let Some(c) = &mut stmt.condition {
                for op in &mut c.operators {
                    for entry in &mut op.entries {
                        f(&mut entry.key, Place::Other);
                        entry.values.iter_mut().for_each(|s| f(s, Place::Other));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'t>(text: &'t str, tokens: &[String]) -> Vec<&'t str> {
        placeholders(text, tokens, Place::Arn)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn all_caps_and_configured_tokens_in_partition_region_and_account() {
        let none: Vec<String> = Vec::new();
        assert_eq!(
            fields("arn:aws:sqs:REGION:ACCOUNT_ID:jobs", &none),
            ["REGION", "ACCOUNT_ID"]
        );
        // Resource parts and lower-case fields are left alone unless configured.
        assert!(fields("arn:aws:s3:::BUCKET/*", &none).is_empty());
        assert!(fields("arn:aws:iam::account-id:role/x", &none).is_empty());
        let tokens = vec!["account-id".to_string()];
        assert_eq!(
            fields("arn:aws:iam::account-id:role/x", &tokens),
            ["account-id"]
        );
        assert!(fields("arn:aws:iam::111122223333:role/x", &none).is_empty());
        assert!(fields("not-an-arn:REGION", &none).is_empty());
    }

    #[test]
    fn angle_bracket_placeholders_anywhere() {
        let none: Vec<String> = Vec::new();
        assert_eq!(
            fields("arn:aws:s3:::<bucket name>/<prefix>/*", &none),
            ["<bucket name>", "<prefix>"]
        );
        assert_eq!(
            fields("arn:aws:iam::<account-id>:role/ACCOUNT_ID", &none),
            ["<account-id>"]
        );
        let other = |t: &str| -> Vec<String> {
            placeholders(t, &none, Place::Other)
                .into_iter()
                .map(|r| t[r].to_string())
                .collect()
        };
        assert_eq!(other("<my-corporate-cidr>"), ["<my-corporate-cidr>"]);
        // Not placeholders: no name, a name not starting with a letter, other characters.
        assert!(other("a < b > c").is_empty());
        assert!(other("<>").is_empty());
        assert!(other("<1.2>").is_empty());
        assert!(other("<a/b>").is_empty());
        // ALL-CAPS words count only in ARN fields.
        assert!(other("REGION").is_empty());
    }

    #[test]
    fn holes_carry_one_reason_and_the_rest_stays_text() {
        let parts = split(
            "arn:aws:iam::<account-id>:root",
            std::slice::from_ref(&(13..25)),
            "why",
        );
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], TemplatePart::Lit("arn:aws:iam::".into()));
        assert!(
            matches!(&parts[1], TemplatePart::Hole(u) if u.expr == "<account-id>" && u.kind == UnknownKind::Placeholder)
        );
        assert_eq!(parts[2], TemplatePart::Lit(":root".into()));
    }
}
