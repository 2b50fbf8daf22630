//! CloudFormation YAML rendering: a `Policies` entry, or statements alone.

use super::{CfnValue, PolicySpec, ResourceValue};

/// An entry of a role's (user's, group's) `Policies` list.
pub fn policies_entry(spec: &PolicySpec, name: &str) -> String {
    let mut out = format!(
        "- PolicyName: {}\n  PolicyDocument:\n    Version: \"2012-10-17\"\n    Statement:\n",
        scalar(name)
    );
    push_statements(&mut out, spec, 6);
    out
}

/// The statements alone, as list items, to replace one statement.
pub fn statements(spec: &PolicySpec) -> String {
    let mut out = String::new();
    push_statements(&mut out, spec, 0);
    out
}

/// A standalone `AWS::IAM::ManagedPolicy` resource (for `iamlint suggest --format yaml`).
pub fn managed_policy_resource(spec: &PolicySpec, name: &str) -> String {
    let mut out = format!(
        "{}:\n  Type: AWS::IAM::ManagedPolicy\n  Properties:\n    PolicyDocument:\n      Version: \"2012-10-17\"\n      Statement:\n",
        super::camel(name)
    );
    push_statements(&mut out, spec, 8);
    out
}

fn push_statements(out: &mut String, spec: &PolicySpec, indent: usize) {
    let pad = " ".repeat(indent);
    for s in &spec.statements {
        let mut first = true;
        let mut field = |out: &mut String, text: String| {
            out.push_str(&pad);
            out.push_str(if first { "- " } else { "  " });
            first = false;
            out.push_str(&text);
            out.push('\n');
        };
        if !s.sid.is_empty() {
            field(out, format!("Sid: {}", scalar(&s.sid)));
        }
        field(out, "Effect: Allow".to_string());
        let actions: Vec<String> = s.actions.iter().map(|a| scalar(a)).collect();
        field(out, format!("Action:{}", list(&actions, indent + 2)));
        let resources: Vec<String> = s.resources.iter().map(resource).collect();
        field(out, format!("Resource:{}", list(&resources, indent + 2)));
        if !s.conditions.is_empty() {
            let mut text = String::from("Condition:");
            let mut tests: Vec<&str> = Vec::new();
            for c in &s.conditions {
                if !tests.contains(&c.test.as_str()) {
                    tests.push(&c.test);
                }
            }
            let inner = " ".repeat(indent + 4);
            for t in tests {
                text.push_str(&format!("\n{inner}{}:", scalar(t)));
                for c in s.conditions.iter().filter(|c| c.test == t) {
                    let values: Vec<String> = c.values.iter().map(|v| scalar(v)).collect();
                    text.push_str(&format!(
                        "\n{inner}  {}:{}",
                        scalar(&c.key),
                        list(&values, indent + 6)
                    ));
                }
            }
            field(out, text);
        }
    }
}

/// ` value` for one item, else `\n  - a\n  - b` at `indent`.
fn list(items: &[String], indent: usize) -> String {
    if items.len() == 1 {
        return format!(" {}", items[0]);
    }
    let pad = " ".repeat(indent);
    items.iter().map(|i| format!("\n{pad}  - {i}")).collect()
}

fn resource(r: &ResourceValue) -> String {
    match r {
        ResourceValue::Arn(a) => scalar(a),
        ResourceValue::Terraform(e) => scalar(&format!("<{e}>")),
        ResourceValue::CloudFormation(CfnValue::Ref(id)) => format!("!Ref {id}"),
        ResourceValue::CloudFormation(CfnValue::GetAtt(id, attr)) => format!("!GetAtt {id}.{attr}"),
        ResourceValue::CloudFormation(CfnValue::Sub(s)) => format!("!Sub {}", super::quote(s)),
    }
}

/// A plain scalar when YAML reads it back as the same string, else a double-quoted one.
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/._-<>*?$".contains(c))
        && !s.contains(": ")
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        super::quote(s)
    }
}
