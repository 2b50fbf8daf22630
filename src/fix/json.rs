//! JSON rendering: policy documents, statement lists, CloudFormation `Policies` entries.

use super::{quote, CfnValue, PolicySpec, ResourceValue, StatementSpec};

/// A whole policy document, two-space indented.
pub fn document(spec: &PolicySpec) -> String {
    let mut out = String::from("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n");
    push_statements(&mut out, spec, 4);
    out.push_str("  ]\n}\n");
    out
}

/// The statements alone, comma-separated, to paste in place of one statement.
pub fn statements(spec: &PolicySpec) -> String {
    let mut out = String::new();
    push_statements(&mut out, spec, 0);
    out
}

/// An entry of a CloudFormation resource's `Policies` list, in JSON.
pub fn cfn_policies_entry(spec: &PolicySpec, name: &str) -> String {
    let mut out = format!(
        "{{\n  \"PolicyName\": {},\n  \"PolicyDocument\": {{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n",
        quote(name)
    );
    push_statements(&mut out, spec, 6);
    out.push_str("    ]\n  }\n}\n");
    out
}

fn push_statements(out: &mut String, spec: &PolicySpec, indent: usize) {
    let n = spec.statements.len();
    for (i, s) in spec.statements.iter().enumerate() {
        push_statement(out, s, indent);
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
}

fn push_statement(out: &mut String, s: &StatementSpec, indent: usize) {
    let pad = " ".repeat(indent);
    let inner = " ".repeat(indent + 2);
    out.push_str(&pad);
    out.push_str("{\n");
    let mut fields: Vec<String> = Vec::new();
    if !s.sid.is_empty() {
        fields.push(format!("\"Sid\": {}", quote(&s.sid)));
    }
    fields.push("\"Effect\": \"Allow\"".to_string());
    fields.push(format!(
        "\"Action\": {}",
        list(
            &s.actions.iter().map(|a| quote(a)).collect::<Vec<_>>(),
            indent + 2
        )
    ));
    fields.push(format!(
        "\"Resource\": {}",
        list(
            &s.resources.iter().map(resource).collect::<Vec<_>>(),
            indent + 2
        )
    ));
    if !s.conditions.is_empty() {
        let mut tests: Vec<(&str, Vec<String>)> = Vec::new();
        for c in &s.conditions {
            let values: Vec<String> = c.values.iter().map(|v| quote(v)).collect();
            let entry = format!(
                "{}: {}",
                quote(&c.key),
                if values.len() == 1 {
                    values[0].clone()
                } else {
                    format!("[{}]", values.join(", "))
                }
            );
            match tests.iter_mut().find(|(t, _)| *t == c.test) {
                Some((_, entries)) => entries.push(entry),
                None => tests.push((&c.test, vec![entry])),
            }
        }
        let body: Vec<String> = tests
            .iter()
            .map(|(t, e)| format!("{}: {{{}}}", quote(t), e.join(", ")))
            .collect();
        fields.push(format!("\"Condition\": {{{}}}", body.join(", ")));
    }
    for (i, f) in fields.iter().enumerate() {
        out.push_str(&inner);
        out.push_str(f);
        if i + 1 < fields.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str(&pad);
    out.push('}');
}

/// One item as a string, several as an indented list.
fn list(items: &[String], indent: usize) -> String {
    if items.len() == 1 {
        return items[0].clone();
    }
    let pad = " ".repeat(indent + 2);
    let body: Vec<String> = items.iter().map(|i| format!("{pad}{i}")).collect();
    format!("[\n{}\n{}]", body.join(",\n"), " ".repeat(indent))
}

fn resource(r: &ResourceValue) -> String {
    match r {
        ResourceValue::Arn(a) => quote(a),
        // A Terraform reference has no JSON form: keep it visible as a placeholder.
        ResourceValue::Terraform(e) => quote(&format!("<{e}>")),
        ResourceValue::CloudFormation(CfnValue::Ref(id)) => format!("{{\"Ref\": {}}}", quote(id)),
        ResourceValue::CloudFormation(CfnValue::GetAtt(id, attr)) => {
            format!("{{\"Fn::GetAtt\": [{}, {}]}}", quote(id), quote(attr))
        }
        ResourceValue::CloudFormation(CfnValue::Sub(s)) => format!("{{\"Fn::Sub\": {}}}", quote(s)),
    }
}
