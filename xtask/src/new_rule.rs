//! `cargo xtask new-rule <category> <rule-id>`: the skeleton of a rule, as CONTRIBUTING.md's
//! "Adding a rule" lays it out: the rule file, its module line, its registry line and a fixture
//! folder with an empty pass and fail file. The doc comment, the check and the fixtures are left
//! for the author; the rule tests say what is still missing.

use std::fs;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};

pub fn new_rule(root: &Path, category: &str, id: &str) -> Result<()> {
    ensure!(
        is_kebab(id),
        "rule id {id:?} must be kebab-case ASCII (lower-case letters, digits, single `-`)"
    );
    for prefix in ["no-", "avoid-", "use-", "prefer-", "disallow-"] {
        ensure!(
            !id.starts_with(prefix),
            "rule id {id:?} starts with {prefix:?}: name the flagged pattern, not the remedy"
        );
    }
    let folder = root.join("src/rules").join(category);
    let module_path = folder.join("mod.rs");
    ensure!(
        category != "meta" && module_path.is_file(),
        "no rule category {category:?}: expected a folder of src/rules with a mod.rs (least_privilege, validity, managed, escalation, trust)"
    );
    let stem = id.replace('-', "_");
    let ty = camel(id);
    let rule_path = folder.join(format!("{stem}.rs"));
    ensure!(!rule_path.exists(), "{} exists", rule_path.display());
    let fixtures = root.join("fixtures").join(id);
    ensure!(!fixtures.exists(), "{} exists", fixtures.display());

    let registry_path = root.join("src/rule_id.rs");
    let registry = fs::read_to_string(&registry_path).context("reading src/rule_id.rs")?;
    let registry = insert_registry_line(&registry, category, &stem, &ty)?;
    let modules = fs::read_to_string(&module_path)?;
    let modules = insert_module_line(&modules, &stem);

    fs::write(&rule_path, rule_file(category, id, &ty))?;
    fs::write(&module_path, modules)?;
    fs::write(&registry_path, registry)?;
    fs::create_dir_all(&fixtures)?;
    fs::write(fixtures.join("fail_case.json"), "")?;
    fs::write(fixtures.join("pass_case.json"), "")?;
    for path in [
        rule_path,
        module_path,
        registry_path,
        fixtures.join("fail_case.json"),
        fixtures.join("pass_case.json"),
    ] {
        eprintln!("wrote {}", path.display());
    }
    eprintln!("next: write the doc comment and the check, fill and rename the fixtures, then follow CONTRIBUTING.md's steps 5 and 6");
    Ok(())
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && id.as_bytes()[0].is_ascii_lowercase()
}

/// `resource-star` → `ResourceStar`; `least_privilege` → `LeastPrivilege`.
fn camel(name: &str) -> String {
    name.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Adds `pub mod <stem>;` among a category's module lines, in alphabetical order.
fn insert_module_line(text: &str, stem: &str) -> String {
    let line = format!("pub mod {stem};");
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("pub mod ") && *l > line.as_str())
        .or_else(|| {
            lines
                .iter()
                .rposition(|l| l.starts_with("pub mod "))
                .map(|i| i + 1)
        })
        .unwrap_or(lines.len());
    lines.insert(at, &line);
    lines.join("\n") + "\n"
}

/// Adds `category::stem::Type,` to `with_rules!`'s list, alphabetical by type name.
fn insert_registry_line(text: &str, category: &str, stem: &str, ty: &str) -> Result<String> {
    let is_entry = |l: &str| {
        let t = l.trim();
        t.ends_with(',') && t.matches("::").count() == 2 && !t.contains(' ')
    };
    let type_of = |l: &str| {
        l.trim()
            .trim_end_matches(',')
            .rsplit("::")
            .next()
            .unwrap_or("")
            .to_string()
    };
    let lines: Vec<&str> = text.lines().collect();
    let entries: Vec<usize> = (0..lines.len()).filter(|&i| is_entry(lines[i])).collect();
    let (Some(&first), Some(&last)) = (entries.first(), entries.last()) else {
        bail!("no rule list found in src/rule_id.rs");
    };
    if entries.iter().any(|&i| type_of(lines[i]) == ty) {
        bail!("{ty} is already registered");
    }
    let indent: String = lines[first]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let line = format!("{indent}{category}::{stem}::{ty},");
    let at = entries
        .iter()
        .copied()
        .find(|&i| type_of(lines[i]).as_str() > ty)
        .unwrap_or(last + 1);
    let mut out: Vec<&str> = lines.clone();
    out.insert(at, &line);
    Ok(out.join("\n") + "\n")
}

fn rule_file(category: &str, id: &str, ty: &str) -> String {
    let cat = camel(category);
    format!(
        r#"use crate::rules::prelude::*;

declare_rule! {{
    /// TODO: one sentence on one line: what this rule flags.
    ///
    /// ## What it does
    /// TODO: the exact condition, and what is deliberately left alone.
    ///
    /// ## Why is this bad?
    /// TODO: the risk, in one short paragraph.
    ///
    /// ## Example
    /// ```json,fail
    /// TODO: a policy with exactly one finding of this rule
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// TODO: the same policy written so it has none
    /// ```
    ///
    /// ## References
    /// - TODO: the AWS pages behind the facts
    pub {ty} {{
        id: "{id}",
        category: {cat},
        severity: Warning,
        fix: None,
    }}
}}

impl Rule for {ty} {{
    fn check_statement(
        &self,
        _stmt: &Statement,
        _doc: &PolicyDoc,
        _cx: &Ctx,
        _out: &mut Vec<Finding>,
    ) {{
        // TODO: push `Self::finding(span, message).help(..).build()` for what the doc describes.
    }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_id() {
        assert!(is_kebab("statement-without-sid"));
        assert!(!is_kebab("Statement-Sid"));
        assert!(!is_kebab("double--dash"));
        assert!(!is_kebab("-lead"));
        assert!(!is_kebab("9lives"));
        assert_eq!(camel("deny-never-applies"), "DenyNeverApplies");
        assert_eq!(camel("least_privilege"), "LeastPrivilege");
    }

    #[test]
    fn module_line_goes_in_alphabetical_order() {
        let text = "pub mod alpha;\npub mod gamma;\n";
        assert_eq!(
            insert_module_line(text, "beta"),
            "pub mod alpha;\npub mod beta;\npub mod gamma;\n"
        );
        assert_eq!(
            insert_module_line(text, "zeta"),
            "pub mod alpha;\npub mod gamma;\npub mod zeta;\n"
        );
    }

    #[test]
    fn registry_line_goes_in_type_order() {
        let text = "macro_rules! with_rules {\n    ($then:ident) => {\n        $then! {\n            a::alpha::Alpha,\n            b::gamma::Gamma,\n\n        }\n    };\n}\n";
        let out = insert_registry_line(text, "c", "beta", "Beta").unwrap();
        assert!(out.contains("            a::alpha::Alpha,\n            c::beta::Beta,\n            b::gamma::Gamma,\n"));
        let out = insert_registry_line(text, "c", "zeta", "Zeta").unwrap();
        assert!(out.contains("            b::gamma::Gamma,\n            c::zeta::Zeta,\n"));
        assert!(insert_registry_line(text, "a", "alpha", "Alpha").is_err());
    }

    #[test]
    fn the_repository_registry_takes_a_line() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = fs::read_to_string(root.join("src/rule_id.rs")).unwrap();
        let out = insert_registry_line(&text, "validity", "aaa_first", "AaaFirst").unwrap();
        assert_eq!(out.lines().count(), text.lines().count() + 1);
        assert!(out.contains("validity::aaa_first::AaaFirst,"));
    }
}
