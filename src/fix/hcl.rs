//! Terraform rendering: `jsonencode({...})` objects and `data "aws_iam_policy_document"` blocks,
//! laid out as `terraform fmt` would (aligned `=` in runs of one-line attributes).

use super::{snake, CfnValue, ConditionSpec, HclStyle, PolicySpec, PrincipalKind, ResourceValue};

/// The replacement for an attachment: an inline policy of the principal (or a standalone
/// `aws_iam_policy` when there is none), written with `jsonencode` or a policy document.
pub fn replacement(
    spec: &PolicySpec,
    style: HclStyle,
    principal: &Option<(PrincipalKind, String)>,
    name: &str,
) -> String {
    let id = snake(name);
    let (resource_type, principal_attr) = match principal {
        Some((kind, expr)) => (
            format!("aws_iam_{}_policy", kind.as_str()),
            Some((kind.as_str().to_string(), vec![expr.clone()])),
        ),
        None => ("aws_iam_policy".to_string(), None),
    };
    let mut out = String::new();
    let mut attrs: Vec<(String, Vec<String>)> = vec![("name".to_string(), vec![string(name)])];
    attrs.extend(principal_attr);
    match style {
        HclStyle::Jsonencode => {
            let mut policy = vec!["jsonencode({".to_string()];
            let mut doc: Vec<(String, Vec<String>)> =
                vec![("Version".to_string(), vec![string("2012-10-17")])];
            let mut list = vec!["[".to_string()];
            for line in jsonencode_statement_lines(spec) {
                list.push(format!("  {line}"));
            }
            list.push("]".to_string());
            doc.push(("Statement".to_string(), list));
            for line in attributes(&doc) {
                policy.push(format!("  {line}"));
            }
            policy.push("})".to_string());
            attrs.push(("policy".to_string(), policy));
        }
        HclStyle::PolicyDocument => {
            out.push_str(&format!("data \"aws_iam_policy_document\" \"{id}\" {{\n"));
            for line in document_statement_lines(spec) {
                push_line(&mut out, 1, &line);
            }
            out.push_str("}\n\n");
            attrs.push((
                "policy".to_string(),
                vec![format!("data.aws_iam_policy_document.{id}.json")],
            ));
        }
    }
    out.push_str(&format!("resource \"{resource_type}\" \"{id}\" {{\n"));
    for line in attributes(&attrs) {
        push_line(&mut out, 1, &line);
    }
    out.push_str("}\n");
    out
}

/// The statements as `jsonencode` objects (`{ ... },` each), to replace one statement.
pub fn jsonencode_statements(spec: &PolicySpec) -> String {
    lines_to_text(&jsonencode_statement_lines(spec))
}

/// The statements as `statement { ... }` blocks, to replace one block.
pub fn document_statements(spec: &PolicySpec) -> String {
    lines_to_text(&document_statement_lines(spec))
}

fn lines_to_text(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        push_line(&mut out, 0, line);
    }
    out
}

fn push_line(out: &mut String, indent: usize, line: &str) {
    if !line.is_empty() {
        out.push_str(&"  ".repeat(indent));
        out.push_str(line);
    }
    out.push('\n');
}

fn jsonencode_statement_lines(spec: &PolicySpec) -> Vec<String> {
    let mut lines = Vec::new();
    for s in &spec.statements {
        let mut attrs: Vec<(String, Vec<String>)> = Vec::new();
        if !s.sid.is_empty() {
            attrs.push(("Sid".to_string(), vec![string(&s.sid)]));
        }
        attrs.push(("Effect".to_string(), vec![string("Allow")]));
        let actions: Vec<String> = s.actions.iter().map(|a| string(a)).collect();
        attrs.push(("Action".to_string(), one_or_list(&actions)));
        let resources: Vec<String> = s.resources.iter().map(resource).collect();
        attrs.push(("Resource".to_string(), one_or_list(&resources)));
        if !s.conditions.is_empty() {
            attrs.push(("Condition".to_string(), condition_object(&s.conditions)));
        }
        lines.push("{".to_string());
        for line in attributes(&attrs) {
            lines.push(format!("  {line}"));
        }
        lines.push("},".to_string());
    }
    lines
}

fn condition_object(conditions: &[ConditionSpec]) -> Vec<String> {
    let mut tests: Vec<(&str, Vec<&ConditionSpec>)> = Vec::new();
    for c in conditions {
        match tests.iter_mut().find(|(t, _)| *t == c.test) {
            Some((_, v)) => v.push(c),
            None => tests.push((&c.test, vec![c])),
        }
    }
    let mut outer: Vec<(String, Vec<String>)> = Vec::new();
    for (test, entries) in tests {
        let inner: Vec<(String, Vec<String>)> = entries
            .iter()
            .map(|c| {
                let values: Vec<String> = c.values.iter().map(|v| string(v)).collect();
                (string(&c.key), one_or_list(&values))
            })
            .collect();
        let mut lines = vec!["{".to_string()];
        for line in attributes(&inner) {
            lines.push(format!("  {line}"));
        }
        lines.push("}".to_string());
        outer.push((test.to_string(), lines));
    }
    let mut lines = vec!["{".to_string()];
    for line in attributes(&outer) {
        lines.push(format!("  {line}"));
    }
    lines.push("}".to_string());
    lines
}

fn document_statement_lines(spec: &PolicySpec) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, s) in spec.statements.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        let mut attrs: Vec<(String, Vec<String>)> = Vec::new();
        if !s.sid.is_empty() {
            attrs.push(("sid".to_string(), vec![string(&s.sid)]));
        }
        let actions: Vec<String> = s.actions.iter().map(|a| string(a)).collect();
        attrs.push(("actions".to_string(), list(&actions)));
        let resources: Vec<String> = s.resources.iter().map(resource).collect();
        attrs.push(("resources".to_string(), list(&resources)));
        lines.push("statement {".to_string());
        for line in attributes(&attrs) {
            lines.push(format!("  {line}"));
        }
        for c in &s.conditions {
            let values: Vec<String> = c.values.iter().map(|v| string(v)).collect();
            let cattrs = vec![
                ("test".to_string(), vec![string(&c.test)]),
                ("variable".to_string(), vec![string(&c.key)]),
                ("values".to_string(), list(&values)),
            ];
            lines.push(String::new());
            lines.push("  condition {".to_string());
            for line in attributes(&cattrs) {
                lines.push(format!("    {line}"));
            }
            lines.push("  }".to_string());
        }
        lines.push("}".to_string());
    }
    lines
}

/// `key = value` lines; runs of one-line attributes get their `=` aligned, as `terraform fmt`
/// does; an attribute whose value spans lines is not aligned and ends the run.
fn attributes(attrs: &[(String, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < attrs.len() {
        let mut j = i;
        while j < attrs.len() && attrs[j].1.len() == 1 {
            j += 1;
        }
        let width = attrs[i..j].iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, value) in &attrs[i..j] {
            out.push(format!("{k:width$} = {}", value[0]));
        }
        if let Some((k, value)) = attrs.get(j) {
            for (n, line) in value.iter().enumerate() {
                if n == 0 {
                    out.push(format!("{k} = {line}"));
                } else {
                    out.push(line.clone());
                }
            }
        }
        i = j + 1;
    }
    out
}

fn one_or_list(items: &[String]) -> Vec<String> {
    if items.len() == 1 {
        vec![items[0].clone()]
    } else {
        multiline_list(items)
    }
}

/// `["a"]` on one line for one item, else one item per line with a trailing comma.
fn list(items: &[String]) -> Vec<String> {
    if items.len() == 1 {
        vec![format!("[{}]", items[0])]
    } else {
        multiline_list(items)
    }
}

fn multiline_list(items: &[String]) -> Vec<String> {
    let mut lines = vec!["[".to_string()];
    lines.extend(items.iter().map(|i| format!("  {i},")));
    lines.push("]".to_string());
    lines
}

fn resource(r: &ResourceValue) -> String {
    match r {
        ResourceValue::Arn(a) => string(a),
        ResourceValue::Terraform(e) => e.clone(),
        ResourceValue::CloudFormation(CfnValue::Ref(id)) => string(&format!("<{id}>")),
        ResourceValue::CloudFormation(CfnValue::GetAtt(id, attr)) => {
            string(&format!("<{id}.{attr}>"))
        }
        ResourceValue::CloudFormation(CfnValue::Sub(s)) => string(s),
    }
}

/// An HCL string literal: JSON escapes, plus `$${` and `%%{` so nothing is interpolated.
pub fn string(s: &str) -> String {
    if !s.contains(['$', '%']) {
        return super::quote(s);
    }
    super::quote(s).replace("${", "$${").replace("%{", "%%{")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::{PolicySpec, StatementSpec};

    #[test]
    fn inline_role_policy_refers_to_the_role() {
        let spec = PolicySpec {
            statements: vec![StatementSpec {
                sid: "PullImages".into(),
                actions: vec!["ecr:BatchGetImage".into()],
                resources: vec![ResourceValue::Terraform(
                    "aws_ecr_repository.app.arn".into(),
                )],
                conditions: Vec::new(),
            }],
        };
        let principal = Some((PrincipalKind::Role, "aws_iam_role.web.name".to_string()));
        let out = replacement(&spec, HclStyle::Jsonencode, &principal, "ecr-pull");
        assert_eq!(
            out,
            r#"resource "aws_iam_role_policy" "ecr_pull" {
  name = "ecr-pull"
  role = aws_iam_role.web.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PullImages"
        Effect   = "Allow"
        Action   = "ecr:BatchGetImage"
        Resource = aws_ecr_repository.app.arn
      },
    ]
  })
}
"#
        );
        let doc = replacement(&spec, HclStyle::PolicyDocument, &principal, "ecr-pull");
        assert!(
            doc.contains("resources = [aws_ecr_repository.app.arn]"),
            "{doc}"
        );
        assert!(
            doc.contains("policy = data.aws_iam_policy_document.ecr_pull.json"),
            "{doc}"
        );
        assert_eq!(string("${x}"), "\"$${x}\"");
    }
}
