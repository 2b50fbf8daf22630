//! `iamlint managed NAME`: what an AWS managed policy grants, by access level, and which recipes
//! can replace it.

use std::fmt::Write as _;

use crate::catalog::{AccessLevels, ActionRef, Catalog};
use crate::recipes::grants::{self, Reach};
use crate::text::{plural, thousands};

/// Above this many actions on `"*"`, actions are summarised per service instead of listed.
const LIST_LIMIT: usize = 200;

/// Text (`json == false`) or JSON. Accepts a name or an ARN; `Err` has a did-you-mean.
pub fn run(name_or_arn: &str, json: bool) -> Result<String, String> {
    let catalog = Catalog::get();
    let Some(policy) = catalog.managed_policy(name_or_arn) else {
        let similar = catalog.similar_managed_policies(name_or_arn, 3);
        return Err(if similar.is_empty() {
            format!("`{name_or_arn}` is not an AWS managed policy")
        } else {
            let names: Vec<String> = similar.iter().map(|s| format!("`{s}`")).collect();
            format!(
                "`{name_or_arn}` is not an AWS managed policy (did you mean {}?)",
                names.join(" or ")
            )
        });
    };
    let g = grants::of(policy);
    let recipes = crate::recipes::fitting(&policy.name, |a| g.allows(a));
    let levels = by_level(&g.on_star());
    if json {
        let value = serde_json::json!({
            "name": policy.name,
            "arn": policy.arn,
            "version": policy.version,
            "updated": policy.updated,
            "reach": reach_str(g.reach()),
            "admin": g.admin,
            "not_action": g.not_action,
            "service_wildcards": g.service_wildcards,
            "on_star": levels.iter().map(|(level, actions)| {
                (level.to_string(), serde_json::json!(actions.iter().map(ActionRef::full_name).collect::<Vec<_>>()))
            }).collect::<serde_json::Map<_, _>>(),
            "recipes": recipes.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        });
        return serde_json::to_string_pretty(&value)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string());
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}", policy.name);
    let _ = writeln!(
        out,
        "{} ({}, updated {})\n",
        policy.arn, policy.version, policy.updated
    );
    let counts: Vec<String> = g
        .levels()
        .iter()
        .map(|&(l, n)| format!("{} {}", thousands(n), l.to_ascii_lowercase()))
        .collect();
    let _ = writeln!(
        out,
        "Grants {} on `*` without conditions{}{}",
        plural(g.on_star_count(), "action"),
        if counts.is_empty() { "" } else { ": " },
        counts.join(", ")
    );
    if g.admin {
        let _ = writeln!(out, "Allows `*`: every action of every service.");
    }
    if !g.not_action.is_empty() {
        let _ = writeln!(
            out,
            "Allows every action except: {}",
            g.not_action.join(", ")
        );
    }
    if !g.service_wildcards.is_empty() {
        let _ = writeln!(out, "Whole services: {}", g.service_wildcards.join(", "));
    }
    let _ = writeln!(
        out,
        "Reach: {} ({})",
        reach_str(g.reach()),
        match g.reach() {
            Reach::Severe => "error",
            Reach::Broad => "warning",
            Reach::Narrow => "info",
            Reach::Scoped => "no finding",
        }
    );
    for (level, actions) in &levels {
        let _ = writeln!(out, "\n{level} ({})", thousands(actions.len()));
        if g.on_star_count() > LIST_LIMIT {
            let mut services: Vec<(&str, usize)> = Vec::new();
            for a in actions {
                match services.iter_mut().find(|(s, _)| *s == a.service.prefix) {
                    Some(s) => s.1 += 1,
                    None => services.push((&a.service.prefix, 1)),
                }
            }
            services.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let shown: Vec<String> = services
                .iter()
                .take(12)
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            let rest = services.len().saturating_sub(12);
            let _ = writeln!(
                out,
                "  {}{}",
                shown.join(", "),
                if rest > 0 {
                    format!(" and {rest} more services")
                } else {
                    String::new()
                }
            );
            continue;
        }
        let rows: Vec<[String; 2]> = actions
            .iter()
            .map(|a| {
                let types: Vec<String> = a.resource_types().map(|t| t.name.to_string()).collect();
                [
                    a.full_name(),
                    if types.is_empty() {
                        "* (cannot be scoped)".to_string()
                    } else {
                        types.join(", ")
                    },
                ]
            })
            .collect();
        for line in columns(&["", ""], &rows).lines().skip(1) {
            let _ = writeln!(out, "  {}", line.trim_end());
        }
    }
    out.push('\n');
    if recipes.is_empty() {
        let _ = writeln!(
            out,
            "No recipe replaces it (`iamlint suggest` lists the recipes)."
        );
    } else {
        let _ = writeln!(out, "Recipes that can replace it:");
        let rows: Vec<[String; 3]> = recipes
            .iter()
            .map(|r| {
                [
                    r.id.clone(),
                    r.title.clone(),
                    format!("iamlint suggest {}", r.id),
                ]
            })
            .collect();
        for line in columns(&["", "", ""], &rows).lines().skip(1) {
            let _ = writeln!(out, "  {}", line.trim_end());
        }
    }
    Ok(out)
}

fn reach_str(reach: Reach) -> &'static str {
    match reach {
        Reach::Severe => "severe",
        Reach::Broad => "broad",
        Reach::Narrow => "narrow",
        Reach::Scoped => "scoped",
    }
}

/// Actions grouped by primary access level, most powerful first.
fn by_level(actions: &[ActionRef]) -> Vec<(&'static str, Vec<ActionRef>)> {
    let mut out: Vec<(&'static str, Vec<ActionRef>)> = Vec::new();
    for level in AccessLevels::LISTING_ORDER {
        let of: Vec<ActionRef> = actions
            .iter()
            .filter(|a| a.action.access.primary() == level)
            .copied()
            .collect();
        if !of.is_empty() {
            out.push((level, of));
        }
    }
    out
}

/// An aligned text table: a header line, then rows; columns padded to their widest cell.
pub fn columns<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for (i, h) in header.iter().enumerate() {
        widths[i] = h.chars().count();
    }
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
