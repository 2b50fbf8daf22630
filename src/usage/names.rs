//! The AWS name a principal of the repository has once deployed, read from the file declaring
//! it: Terraform `name` (or `name_prefix`), CloudFormation `RoleName`/`UserName`. A
//! CloudFormation principal without one is named `<stack>-<LogicalId>-<suffix>` by
//! CloudFormation, so its logical id is matched inside the name.

use hcl_edit::Span as _;

use crate::lint::Report;
use crate::principal::{Model, Principal, PrincipalKind};
use crate::tree::Node;
use crate::FileId;

/// What the declaring file says about a principal's name, and where it is declared.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// A literal `name` / `RoleName` / `UserName`.
    pub name: Option<String>,
    /// A literal Terraform `name_prefix`.
    pub prefix: Option<String>,
    /// A Terraform `name` that is a template (`"${var.env}-app"`), holes as `*`.
    pub pattern: Option<String>,
    /// A CloudFormation logical id, when the template sets no name.
    pub logical_id: Option<String>,
    /// The declaring file, as shown, and the 1-based line of the declaration.
    pub path: String,
    pub line: usize,
}

impl Declared {
    /// How `name` (a role or user name from a log) matches: `name`, `name_prefix` or
    /// `logical_id`.
    pub fn matches(&self, name: &str) -> Option<&'static str> {
        if self.name.as_deref() == Some(name) {
            return Some("name");
        }
        if self.prefix.as_deref().is_some_and(|p| name.starts_with(p)) {
            return Some("name_prefix");
        }
        if self
            .pattern
            .as_deref()
            .is_some_and(|p| crate::model::action::wildcard_match(p, name))
        {
            return Some("name_pattern");
        }
        if let Some(id) = &self.logical_id {
            if name.contains(&format!("-{id}-")) {
                return Some("logical_id");
            }
        }
        None
    }
}

/// Reads the declaration of `p` (nothing for a principal the tree only refers to).
pub fn declared(report: &Report, model: &Model, p: &Principal) -> Declared {
    let Some(file) = p
        .declared_in
        .and_then(|f| model.facts.get(f))
        .and_then(|f| report.files.get(f.report))
    else {
        return Declared::default();
    };
    let src = file.sources.main();
    let mut out = Declared {
        path: src.display_path(),
        line: 1,
        ..Declared::default()
    };
    let rest = &p.address[crate::principal::module_prefix(&p.address).len()..];
    let terraform = src
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tf"));
    if terraform {
        let Ok(body) = crate::frontend::terraform::hcl::parse_body(&src.text) else {
            return out;
        };
        for block in body.blocks() {
            if block.ident.as_str() != "resource" {
                continue;
            }
            let [ty, name] = block.labels.as_slice() else {
                continue;
            };
            if format!("{}.{}", ty.as_str(), name.as_str()) != rest {
                continue;
            }
            if let Some(span) = block.span() {
                out.line = src
                    .position(u32::try_from(span.start).unwrap_or(u32::MAX))
                    .line as usize;
            }
            let literal = |key: &str| {
                block
                    .body
                    .get_attribute(key)
                    .and_then(|a| a.value.as_str())
                    .map(str::to_string)
            };
            out.name = literal("name");
            out.prefix = literal("name_prefix");
            if out.name.is_none() {
                out.pattern = block
                    .body
                    .get_attribute("name")
                    .and_then(|a| template_pattern(&a.value.to_string()));
            }
            break;
        }
        return out;
    }
    let Some(id) = rest.strip_prefix("Resources.") else {
        return out;
    };
    let is_json = src
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let root: Option<Node> = if is_json {
        crate::json::parse(&src.text, FileId(0), 0).ok()
    } else {
        crate::frontend::cloudformation::yaml::parse(&src.text, FileId(0))
            .ok()
            .and_then(|f| f.root)
    };
    let Some(resources) = root.as_ref().and_then(|r| r.get("Resources")) else {
        return out;
    };
    for (key, res) in resources.entries() {
        if key.value != id {
            continue;
        }
        out.line = src.position(key.span.start).line as usize;
        let prop = match p.kind {
            PrincipalKind::User => "UserName",
            PrincipalKind::Group => "GroupName",
            _ => "RoleName",
        };
        out.name = res
            .get("Properties")
            .and_then(|props| props.get(prop))
            .and_then(Node::as_str)
            .map(str::to_string);
        if out.name.is_none() {
            out.logical_id = Some(id.to_string());
        }
        break;
    }
    out
}

/// `"${var.env}-app"` as the pattern `*-app`: a quoted template whose literal parts are at least
/// three characters (a bare `"${var.name}"` would match every name).
fn template_pattern(expr: &str) -> Option<String> {
    let inner = expr.trim().strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('"') || inner.contains("%{") {
        return None;
    }
    let mut out = String::new();
    let mut rest = inner;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        out.push('*');
        let close = rest[i..].find('}')?;
        rest = &rest[i + close + 1..];
    }
    out.push_str(rest);
    let literal = out.chars().filter(|c| *c != '*').count();
    (out.contains('*') && literal >= 3 && !out.contains('?')).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templated_names_become_patterns() {
        assert_eq!(
            template_pattern(r#""${var.env}-app""#).as_deref(),
            Some("*-app")
        );
        assert_eq!(
            template_pattern(r#""svc-${var.env}-${local.region}""#).as_deref(),
            Some("svc-*-*")
        );
        assert_eq!(template_pattern(r#""${var.name}""#), None);
        assert_eq!(template_pattern("var.name"), None);
        let d = Declared {
            pattern: Some("*-app".into()),
            ..Declared::default()
        };
        assert_eq!(d.matches("prod-app"), Some("name_pattern"));
        assert_eq!(d.matches("prod-api"), None);
    }
}
