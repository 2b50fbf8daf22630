//! Completion of action names (after `Action`, `NotAction`, `actions`) and condition keys (in a
//! `Condition` or an HCL `condition { variable = ... }`), decided by the nearest key before the
//! cursor, in any of the formats.

use lsp_types::{CompletionItem, CompletionItemKind, CompletionTextEdit, Range, TextEdit};

use crate::catalog::Catalog;

use super::hover::is_token_char;

/// What the cursor is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Action,
    ConditionKey,
}

/// How far back the nearest key is looked for.
const LOOK_BACK: usize = 4096;

/// The start of the token that ends at `offset`.
pub fn token_start(text: &str, offset: usize) -> usize {
    text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_token_char(*c))
        .last()
        .map_or(offset, |(i, _)| i)
}

/// The context at byte `at`: the last word before it written as a key (followed by an optional
/// quote, blanks and `:`, `=` or `{`) that names actions, condition keys or something else.
pub fn context(text: &str, at: usize) -> Option<Context> {
    let mut from = at.saturating_sub(LOOK_BACK);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = &text[from..at];
    let bytes = window.as_bytes();
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let before = start.checked_sub(1).map(|b| bytes[b]);
        if matches!(before, Some(b':' | b'-' | b'/' | b'.' | b'*')) {
            continue;
        }
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b' ' | b'\t') {
            j += 1;
        }
        if !matches!(bytes.get(j), Some(b':' | b'=' | b'{')) {
            continue;
        }
        let word = window[start..i].to_ascii_lowercase();
        found = match word.as_str() {
            "action" | "actions" | "notaction" | "not_actions" => Some(Some(Context::Action)),
            "condition" | "variable" => Some(Some(Context::ConditionKey)),
            "resource" | "resources" | "notresource" | "not_resources" | "principal"
            | "principals" | "notprincipal" | "not_principals" | "effect" | "sid" | "values"
            | "statement" | "identifiers" | "test" => Some(None),
            _ => found,
        };
    }
    found.flatten()
}

/// Completion items for the token `prefix` (which starts at `range.start`).
pub fn items(prefix: &str, context: Context, range: Range) -> Vec<CompletionItem> {
    const MAX: usize = 500;
    let catalog = Catalog::get();
    let item = |label: String, detail: String, kind: CompletionItemKind| CompletionItem {
        label: label.clone(),
        kind: Some(kind),
        detail: Some(detail),
        filter_text: Some(label.clone()),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(range, label))),
        ..CompletionItem::default()
    };
    let lower = prefix.to_ascii_lowercase();
    let mut out = Vec::new();
    match (context, prefix.split_once(':')) {
        (_, None) => {
            for service in catalog.services() {
                if service.prefix.starts_with(&lower) {
                    out.push(item(
                        format!("{}:", service.prefix),
                        service.name.clone(),
                        CompletionItemKind::MODULE,
                    ));
                }
            }
            if context == Context::ConditionKey && "aws".starts_with(&lower) {
                out.push(item(
                    "aws:".into(),
                    "global condition keys".into(),
                    CompletionItemKind::MODULE,
                ));
            }
        }
        (Context::Action, Some((service, action))) => {
            let action = action.to_ascii_lowercase();
            if let Some(service) = catalog.service(service) {
                for a in &service.actions {
                    if a.name.to_ascii_lowercase().starts_with(&action) {
                        out.push(item(
                            format!("{}:{}", service.prefix, a.name),
                            a.access.to_string(),
                            CompletionItemKind::VALUE,
                        ));
                    }
                }
            }
        }
        (Context::ConditionKey, Some((service, _))) => {
            let mut keys: Vec<(String, String)> = catalog
                .global_condition_keys()
                .into_iter()
                .map(|k| (k.key, k.ty.as_str().to_string()))
                .collect();
            if let Some(service) = catalog.service(service) {
                keys.extend(
                    service
                        .condition_keys
                        .iter()
                        .map(|k| (k.key.clone(), k.ty.as_str().to_string())),
                );
            }
            for (key, ty) in keys {
                if key.to_ascii_lowercase().starts_with(&lower) {
                    out.push(item(key, ty, CompletionItemKind::FIELD));
                }
            }
        }
    }
    out.truncate(MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(text: &str) -> Option<Context> {
        context(text, token_start(text, text.len()))
    }

    #[test]
    fn the_nearest_key_decides() {
        assert_eq!(at_end(r#"{"Action": ["s3:Get"#), Some(Context::Action));
        assert_eq!(at_end("    actions = [\"s3:Get"), Some(Context::Action));
        assert_eq!(at_end("  NotAction:\n    - s3:Get"), Some(Context::Action));
        assert_eq!(
            at_end(r#""Action": "s3:GetObject", "Condition": {"StringEquals": {"aws:"#),
            Some(Context::ConditionKey)
        );
        assert_eq!(
            at_end("condition {\n test = \"StringEquals\"\n variable = \"s3:pre"),
            Some(Context::ConditionKey)
        );
        // An ARN with `action` in it is not a key; `Resource` is.
        assert_eq!(
            at_end(r#""Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-action-x/"#),
            None
        );
    }

    #[test]
    fn actions_of_the_service_are_offered() {
        let labels: Vec<String> = items("s3:GetObj", Context::Action, Range::default())
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert!(labels.contains(&"s3:GetObject".to_string()), "{labels:?}");
        assert!(
            labels.iter().all(|l| l.starts_with("s3:GetObj")),
            "{labels:?}"
        );
        let keys: Vec<String> = items("s3:pre", Context::ConditionKey, Range::default())
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert!(keys.contains(&"s3:prefix".to_string()), "{keys:?}");
    }
}
