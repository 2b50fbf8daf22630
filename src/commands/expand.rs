//! `iamlint expand PATTERN`: the actions an IAM action pattern matches, with access levels and
//! resource types.

use std::fmt::Write as _;

use crate::catalog::{ActionRef, Catalog};
use crate::model::action::split_action;

/// Text table (`json == false`) or a JSON array. `Err` says why nothing matched.
pub fn run(pattern: &str, json: bool) -> Result<String, String> {
    let catalog = Catalog::get();
    let matched = catalog.expand(pattern);
    if matched.is_empty() {
        return Err(no_match(pattern, catalog));
    }
    if json {
        let rows: Vec<serde_json::Value> = matched
            .iter()
            .map(|a| {
                serde_json::json!({
                    "action": a.full_name(),
                    "access_level": a.action.access.to_string(),
                    "resource_types": a.resource_types().map(|t| t.name).collect::<Vec<_>>(),
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rows)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string());
    }
    Ok(table(pattern, &matched))
}

fn table(pattern: &str, matched: &[ActionRef]) -> String {
    let rows: Vec<[String; 3]> = matched
        .iter()
        .map(|a| {
            let types: Vec<String> = a.resource_types().map(|t| t.name.to_string()).collect();
            [
                a.full_name(),
                a.action.access.to_string(),
                if types.is_empty() {
                    "* (cannot be scoped)".to_string()
                } else {
                    types.join(", ")
                },
            ]
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "`{pattern}` matches {}\n",
        crate::text::plural(matched.len(), "action")
    );
    let header = ["action", "access level", "resource types"];
    out.push_str(&crate::commands::managed::columns(&header, &rows));
    out
}

fn no_match(pattern: &str, catalog: &Catalog) -> String {
    let Some((service, action)) = split_action(pattern) else {
        return format!("`{pattern}` matches no action: expected `service:action`, e.g. `s3:Get*`");
    };
    if !service.contains(['*', '?']) && catalog.service(service).is_none() {
        return match catalog.similar_services(service, 1).first() {
            Some(s) => format!("unknown service `{service}` (did you mean `{s}`?)"),
            None => format!("unknown service `{service}`"),
        };
    }
    let suggestion = if action.contains(['*', '?']) {
        None
    } else {
        catalog.similar_actions(pattern, 1).into_iter().next()
    };
    match suggestion {
        Some(s) => format!("`{pattern}` matches no action (did you mean `{s}`?)"),
        None => format!("`{pattern}` matches no action"),
    }
}
