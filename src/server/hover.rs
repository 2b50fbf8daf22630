//! Hover: what an action name, an action wildcard or a condition key under the cursor means
//! (from the catalog), and the rule's explanation of a diagnostic there.

use std::fmt::Write as _;

use crate::catalog::{ActionRef, Catalog};

use super::diagnostics::Item;

/// Characters of an action name, wildcard or condition key (`s3:Get*`,
/// `aws:RequestTag/team`, `token.actions.githubusercontent.com:sub`).
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, ':' | '*' | '?' | '-' | '_' | '/' | '.' | '$' | '{' | '}')
}

/// The token around byte `offset`: its byte range.
pub fn token_at(text: &str, offset: usize) -> Option<std::ops::Range<usize>> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_token_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_token_char(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start < end).then_some(start..end)
}

/// Markdown for a catalog token: an action, an action pattern with a wildcard, or a condition
/// key; `*` (or another pattern without a `:`) only where actions are listed (`in_actions`), as
/// `"Resource": "*"` is no action. `None` for anything else (an ARN, a word).
pub fn catalog_markdown(token: &str, in_actions: bool) -> Option<String> {
    let token = token.trim_matches(['.', '/', '-']);
    if in_actions && !token.contains(':') && token.contains(['*', '?']) {
        let matched = Catalog::get().expand(token);
        return (!matched.is_empty()).then(|| pattern_markdown(token, &matched));
    }
    let (service, action) = token.split_once(':')?;
    if service.is_empty() || action.is_empty() {
        return None;
    }
    let catalog = Catalog::get();
    if let Some(found) = catalog.action(token) {
        return Some(action_markdown(found));
    }
    if token.contains(['*', '?']) && !action.contains(':') {
        let matched = catalog.expand(token);
        if !matched.is_empty() {
            return Some(pattern_markdown(token, &matched));
        }
    }
    let key = catalog.condition_key(token)?;
    let scope = if key.global {
        "global condition key"
    } else {
        "condition key"
    };
    Some(format!(
        "**`{}`**: {scope}, type `{}`",
        key.key,
        key.ty.as_str()
    ))
}

fn action_markdown(a: ActionRef) -> String {
    let catalog = Catalog::get();
    let mut out = format!(
        "**`{}`** ({})\n\nAccess level: {}\n\n",
        a.full_name(),
        a.service.name,
        a.action.access
    );
    if a.action.resources.is_empty() {
        out.push_str("Resource types: none (`Resource` must be `\"*\"`)\n\n");
    } else {
        out.push_str("Resource types:\n");
        for r in &a.action.resources {
            let required = if r.required { " (required)" } else { "" };
            let arns = catalog
                .resource_type(&a.service.prefix, r.name)
                .map(|t| {
                    t.arns
                        .iter()
                        .map(|arn| format!("`{arn}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let _ = writeln!(out, "- `{}`{required}: {arns}", r.name);
        }
        out.push('\n');
    }
    if !a.action.condition_keys.is_empty() {
        let keys: Vec<String> = a
            .action
            .condition_keys
            .iter()
            .map(|k| format!("`{k}`"))
            .collect();
        let _ = writeln!(out, "Condition keys: {}", keys.join(", "));
    }
    out
}

/// How many actions of each access level a pattern matches, then the first ones by name.
fn pattern_markdown(pattern: &str, matched: &[ActionRef]) -> String {
    const LISTED: usize = 100;
    let mut out = format!(
        "**`{pattern}`** matches {}\n\n",
        crate::text::plural(matched.len(), "action")
    );
    let mut levels: Vec<(String, usize)> = Vec::new();
    for a in matched {
        let level = a.action.access.to_string();
        match levels.iter_mut().find(|(l, _)| *l == level) {
            Some((_, n)) => *n += 1,
            None => levels.push((level, 1)),
        }
    }
    let by_level: Vec<String> = levels.iter().map(|(l, n)| format!("{l}: {n}")).collect();
    let _ = writeln!(out, "By access level: {}\n", by_level.join(", "));
    for a in matched.iter().take(LISTED) {
        let _ = writeln!(out, "- `{}` ({})", a.full_name(), a.action.access);
    }
    if matched.len() > LISTED {
        let _ = writeln!(
            out,
            "- … and {} more (`iamlint expand '{pattern}'`)",
            matched.len() - LISTED
        );
    }
    out
}

/// Markdown for a diagnostic: the message, the rule's explanation (its doc's first line and
/// "What it does" / "Why is this bad?" sections), a display-only fix's snippet and the docs link.
pub fn diagnostic_markdown(item: &Item) -> String {
    let mut out = String::new();
    let Some(rule) = item.rule else {
        return format!("**iamlint**\n\n{}", code_block(&item.diagnostic.message));
    };
    let meta = rule.meta();
    let _ = writeln!(
        out,
        "**iamlint `{}`**\n\n{}\n",
        meta.id,
        code_block(&item.diagnostic.message)
    );
    let doc = meta.doc();
    let mut keep = true;
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            keep = matches!(heading.trim(), "What it does" | "Why is this bad?");
            if keep {
                let _ = writeln!(out, "**{}**", heading.trim());
            }
            continue;
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some(action) = &item.action {
        if let Some(snippet) = &action.snippet {
            let _ = writeln!(
                out,
                "\nPreview: {}\n\n{}",
                code_block(&action.title),
                code_block(snippet)
            );
        }
    }
    let _ = writeln!(out, "\n[{} documentation]({})", meta.id, meta.docs_url());
    out
}

/// `text` as a fenced code block, the fence longer than any run of backticks in it: text from
/// the linted files is shown, never rendered (no link, image or HTML in a hover).
fn code_block(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}text\n{}\n{fence}", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_cannot_leave_its_code_block() {
        let block = code_block("`x` ```` [a](https://example.com) ![i](x.png)");
        let fence = block.lines().next().unwrap_or_default();
        assert_eq!(fence, "`````text");
        assert!(block.ends_with("\n`````"), "{block}");
        assert_eq!(block.matches("`````").count(), 2, "{block}");
    }

    #[test]
    fn tokens_stop_at_quotes_and_spaces() {
        let text = r#"{"Action": ["s3:Get*", "aws:RequestTag/team"]}"#;
        let at = |s: &str| text.find(s).unwrap_or_default() + 2;
        assert_eq!(
            token_at(text, at("s3:Get*")).map(|r| &text[r]),
            Some("s3:Get*")
        );
        assert_eq!(
            token_at(text, at("aws:Req")).map(|r| &text[r]),
            Some("aws:RequestTag/team")
        );
        assert_eq!(token_at(text, text.find(", ").unwrap_or_default()), None);
    }

    #[test]
    fn catalog_tokens_are_told_apart() {
        let action = catalog_markdown("s3:GetObject", true).unwrap_or_default();
        assert!(action.contains("Access level: Read"), "{action}");
        assert!(
            action.contains("- `object`: `arn:${Partition}:s3:::${BucketName}/${ObjectName}`"),
            "{action}"
        );
        let pattern = catalog_markdown("s3:Get*", true).unwrap_or_default();
        assert!(pattern.contains("`s3:GetObject`"), "{pattern}");
        assert!(!pattern.contains("s3:PutObject"), "{pattern}");
        let key = catalog_markdown("aws:SourceIp", false).unwrap_or_default();
        assert!(key.contains("global condition key"), "{key}");
        assert_eq!(catalog_markdown("arn:aws:s3:::bucket/*", false), None);
        assert_eq!(catalog_markdown("Statement", true), None);
        let star = catalog_markdown("*", true).unwrap_or_default();
        assert!(star.starts_with("**`*`** matches"), "{star}");
        assert!(star.contains("more (`iamlint expand '*'`)"), "{star}");
        assert_eq!(catalog_markdown("*", false), None, "a resource `*`");
    }
}
