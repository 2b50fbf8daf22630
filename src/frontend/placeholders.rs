//! Placeholders of policy templates: policy files whose `ACCOUNT_ID` or `REGION` is filled in by
//! code before the policy is used (`arn:aws:sqs:REGION:ACCOUNT_ID:jobs`).
//!
//! The partition, region and account fields of an ARN in `Resource`, `NotResource` or a
//! principal that hold such a token are unknown: holes in a template, never judged as written.
//! A token is an ALL-CAPS word (`ACCOUNT_ID`, `AWS_REGION`: never a valid value of those fields)
//! or one of the `[placeholders] tokens` of the config, matched as the whole field
//! (`account-id`, `{account}`). Every hole of a file shares one reason naming all its
//! placeholders, so `unresolved-reference` reports the file once instead of one `invalid-arn`
//! per ARN.

use crate::model::{FileModel, Scalar, Template, TemplatePart, Unknown};
use crate::source::Located;

/// ARN fields a placeholder may stand in: partition, region, account.
const FIELDS: [usize; 3] = [1, 3, 4];

/// Makes the placeholder fields of every ARN of `model` unknown (see the module docs).
pub fn mark(model: &mut FileModel, tokens: &[String]) {
    let mut found: Vec<String> = Vec::new();
    let mut arns = 0;
    for_each_arn(model, &mut |s: &mut Located<Scalar>| {
        let Scalar::Str(text) = &s.value else { return };
        let hits = placeholder_fields(text, tokens);
        if hits.is_empty() {
            return;
        }
        arns += 1;
        for (_, token) in hits {
            if !found.contains(&token) {
                found.push(token);
            }
        }
    });
    if found.is_empty() {
        return;
    }
    let reason =
        format!(
        "{} {} of this policy template, filled in before the policy is used: {} not judged in {}",
        if found.len() == 1 { "placeholder" } else { "placeholders" },
        crate::text::list_some(&found, 8),
        crate::text::plural(arns, "ARN"),
        if found.len() == 1 { "that field" } else { "those fields" },
    );
    for_each_arn(model, &mut |s: &mut Located<Scalar>| {
        let Scalar::Str(text) = &s.value else { return };
        let hits = placeholder_fields(text, tokens);
        if hits.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        for (i, field) in text.splitn(6, ':').enumerate() {
            if i > 0 {
                lit.push(':');
            }
            if hits.iter().any(|(at, _)| *at == i) {
                if !lit.is_empty() {
                    parts.push(TemplatePart::Lit(std::mem::take(&mut lit)));
                }
                parts.push(TemplatePart::Hole(Unknown::new(field, reason.clone())));
            } else {
                lit.push_str(field);
            }
        }
        if !lit.is_empty() {
            parts.push(TemplatePart::Lit(lit));
        }
        s.value = Scalar::Template(Template { parts });
    });
}

/// The fields of an ARN that are placeholders, with their token.
fn placeholder_fields(text: &str, tokens: &[String]) -> Vec<(usize, String)> {
    if !text.starts_with("arn:") {
        return Vec::new();
    }
    text.splitn(6, ':')
        .enumerate()
        .filter(|(i, field)| FIELDS.contains(i) && is_placeholder(field, tokens))
        .map(|(i, field)| (i, field.to_string()))
        .collect()
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

fn for_each_arn(model: &mut FileModel, f: &mut dyn FnMut(&mut Located<Scalar>)) {
    for doc in &mut model.docs {
        for stmt in &mut doc.statements {
            if let Some(list) = &mut stmt.resource {
                list.items.iter_mut().for_each(&mut *f);
            }
            if let Some(p) = &mut stmt.principal {
                for entry in &mut p.entries {
                    entry.values.iter_mut().for_each(&mut *f);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_caps_and_configured_tokens_in_partition_region_and_account() {
        let none: Vec<String> = Vec::new();
        assert_eq!(
            placeholder_fields("arn:aws:sqs:REGION:ACCOUNT_ID:jobs", &none),
            [(3, "REGION".to_string()), (4, "ACCOUNT_ID".to_string())]
        );
        // Resource parts and lower-case fields are left alone unless configured.
        assert!(placeholder_fields("arn:aws:s3:::BUCKET/*", &none).is_empty());
        assert!(placeholder_fields("arn:aws:iam::account-id:role/x", &none).is_empty());
        let tokens = vec!["account-id".to_string()];
        assert_eq!(
            placeholder_fields("arn:aws:iam::account-id:role/x", &tokens),
            [(4, "account-id".to_string())]
        );
        assert!(placeholder_fields("arn:aws:iam::111122223333:role/x", &none).is_empty());
        assert!(placeholder_fields("not-an-arn:REGION", &none).is_empty());
    }
}
