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

/// Byte ranges of the nodes of a YAML text that carry an anchor (`&name`) some alias (`*name`,
/// `<<: *name`) refers to: text that several places of the file read. An edit there (or one
/// removing the anchor) would change, or break, every node that aliases it, so `--fix` leaves
/// them alone ([`crate::fix::apply`]). `None` when the text does not read as YAML here (then no
/// edit is known to be safe). A text without `&` has no anchor and is not parsed.
pub fn aliased_ranges(text: &str) -> Option<Vec<std::ops::Range<usize>>> {
    use saphyr_parser::{Event, Parser};
    if !text.contains('&') {
        return Some(Vec::new());
    }
    // Character index → byte offset.
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let byte = |index: usize| offsets.get(index).copied().unwrap_or(text.len());
    let read = || -> Option<Vec<std::ops::Range<usize>>> {
        // Anchored nodes by anchor id, and open collections: (anchor, start, furthest end).
        let mut anchored: std::collections::HashMap<usize, std::ops::Range<usize>> =
            std::collections::HashMap::new();
        let mut aliased = std::collections::HashSet::new();
        let mut open: Vec<(usize, usize, usize)> = Vec::new();
        let mut parser = Parser::new_from_str(text);
        while let Some(event) = parser.next_event() {
            let (event, span) = event.ok()?;
            let (start, end) = (byte(span.start.index()), byte(span.end.index()));
            if let Some(top) = open.last_mut() {
                top.2 = top.2.max(end);
            }
            match event {
                Event::Scalar(_, _, anchor, _) if anchor > 0 => {
                    anchored.insert(anchor, start..end);
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    open.push((anchor, start, end));
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let (anchor, start, reach) = open.pop()?;
                    if let Some(parent) = open.last_mut() {
                        parent.2 = parent.2.max(reach);
                    }
                    if anchor > 0 {
                        anchored.insert(anchor, start..reach);
                    }
                }
                Event::Alias(id) => {
                    aliased.insert(id);
                }
                _ => {}
            }
        }
        let mut ranges: Vec<_> = anchored
            .into_iter()
            .filter(|(id, _)| aliased.contains(id))
            .map(|(_, range)| range)
            .collect();
        ranges.sort_by_key(|r| (r.start, r.end));
        Some(ranges)
    };
    // The parser checks internal invariants with `unwrap`: a panic is "not YAML" here too.
    std::panic::catch_unwind(read).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::aliased_ranges;

    #[test]
    fn aliased_anchors_only() {
        let text = "a: &x [s3:GetObject, s3:Get*]\nb: *x\nc: &y s3:PutObject\nd:\n  - &z s3:List*\ne: *z\n";
        let ranges = aliased_ranges(text).expect("YAML");
        let shown: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        // `&y` has no alias: editing it changes nothing else.
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].contains("[s3:GetObject, s3:Get*]"), "{shown:?}");
        assert!(shown[1].contains("s3:List*"), "{shown:?}");
        assert_eq!(aliased_ranges("a: [s3:*]\n"), Some(Vec::new()));
        assert_eq!(aliased_ranges("a: &x [\n"), None);
    }

    #[test]
    fn a_block_list_anchor_covers_its_items() {
        let text = "A: &acts\n  - s3:Get*\n  - s3:GetObject\nB: *acts\n";
        let ranges = aliased_ranges(text).expect("YAML");
        assert_eq!(ranges.len(), 1);
        let item = text.find("s3:GetObject").expect("item");
        assert!(
            ranges[0].start <= item && item + 12 <= ranges[0].end,
            "{ranges:?}"
        );
    }
}
