//! Fixes rendered in the file's own syntax.
//!
//! Rules describe a replacement format-neutrally, as a [`PolicySpec`] (statements of actions,
//! resources and conditions); the renderers here write it as JSON, as Terraform (`jsonencode` or
//! `data "aws_iam_policy_document"`) or as CloudFormation YAML. [`apply`] writes `Safe` edits back
//! to files for `--fix`. The `Fix`, `Edit` and `Applicability` types live in [`crate::finding`].

pub mod apply;
pub mod hcl;
pub mod json;
pub mod yaml;

pub use crate::finding::{Applicability, Edit, Fix};

/// A policy to render: Allow statements only (replacements never need a Deny).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySpec {
    pub statements: Vec<StatementSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementSpec {
    /// Letters and digits only; empty for none.
    pub sid: String,
    pub actions: Vec<String>,
    pub resources: Vec<ResourceValue>,
    pub conditions: Vec<ConditionSpec>,
}

/// `"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionSpec {
    pub test: String,
    pub key: String,
    pub values: Vec<String>,
}

/// A `Resource` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceValue {
    /// A literal ARN or `*`, possibly with `<placeholders>`.
    Arn(String),
    /// A Terraform expression, written as is (`aws_ecr_repository.app.arn`).
    Terraform(String),
    /// A CloudFormation intrinsic.
    CloudFormation(CfnValue),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CfnValue {
    /// `!Ref Topic`
    Ref(String),
    /// `!GetAtt Repo.Arn`
    GetAtt(String, String),
    /// `!Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"`
    Sub(String),
}

impl PolicySpec {
    /// True when a value still needs a human: a `<placeholder>` in an ARN.
    pub fn has_placeholders(&self) -> bool {
        self.statements.iter().any(|s| {
            s.resources.iter().any(|r| match r {
                ResourceValue::Arn(a) => has_placeholder(a),
                ResourceValue::CloudFormation(CfnValue::Sub(a)) => has_placeholder(a),
                _ => false,
            })
        })
    }
}

/// `<account-id>`-style placeholder in a value.
pub fn has_placeholder(s: &str) -> bool {
    s.find('<').is_some_and(|i| s[i..].contains('>'))
}

/// How the Terraform file writes its policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HclStyle {
    /// `policy = jsonencode({ ... })`
    #[default]
    Jsonencode,
    /// `data "aws_iam_policy_document" "x" { statement { ... } }`
    PolicyDocument,
}

/// The kind of principal a replacement is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Role,
    User,
    Group,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
        }
    }

    /// Guesses from an address or description: `aws_iam_user_policy_attachment.x`, `user/ci`.
    pub fn guess(text: &str) -> Option<PrincipalKind> {
        let t = text.to_ascii_lowercase();
        [
            ("role", PrincipalKind::Role),
            ("user", PrincipalKind::User),
            ("group", PrincipalKind::Group),
        ]
        .into_iter()
        .filter_map(|(w, k)| t.find(w).map(|i| (i, k)))
        .min_by_key(|(i, _)| *i)
        .map(|(_, k)| k)
    }
}

/// Where a replacement goes, decided from the file it replaces something in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A JSON policy document (to create as a customer managed policy).
    Json,
    /// Terraform: an inline policy resource for `principal` (an HCL expression such as
    /// `aws_iam_role.web.name`, or a quoted name), or a standalone `aws_iam_policy` when `None`.
    Terraform {
        style: HclStyle,
        principal: Option<(PrincipalKind, String)>,
    },
    /// CloudFormation: an entry for the principal's `Policies` list, YAML or JSON.
    CloudFormation { yaml: bool },
}

impl Target {
    pub fn flavor(&self) -> Flavor {
        match self {
            Target::Json => Flavor::Plain,
            Target::Terraform { .. } => Flavor::Terraform,
            Target::CloudFormation { .. } => Flavor::CloudFormation,
        }
    }
}

/// Which references a replacement may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Plain,
    Terraform,
    CloudFormation,
}

/// Renders a replacement policy for `target`; `name` names the new policy (`ecr-pull`).
pub fn render(spec: &PolicySpec, target: &Target, name: &str) -> String {
    match target {
        Target::Json => json::document(spec),
        Target::Terraform { style, principal } => hcl::replacement(spec, *style, principal, name),
        Target::CloudFormation { yaml: true } => yaml::policies_entry(spec, name),
        Target::CloudFormation { yaml: false } => json::cfn_policies_entry(spec, name),
    }
}

/// Renders only the statements (to replace one statement in place), in the document's syntax.
pub fn render_statements(spec: &PolicySpec, syntax: crate::model::Syntax) -> String {
    use crate::model::Syntax;
    match syntax {
        Syntax::Json => json::statements(spec),
        Syntax::HclObject => hcl::jsonencode_statements(spec),
        Syntax::HclPolicyDocument => hcl::document_statements(spec),
        Syntax::Yaml => yaml::statements(spec),
    }
}

/// `ecr-pull` → `ecr_pull` (a Terraform name).
pub fn snake(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `ecr-pull` → `EcrPull` (a CloudFormation logical id).
pub fn camel(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A JSON string literal.
pub(crate) fn quote(s: &str) -> String {
    // Action names and ARN templates need no escape: skip the serializer for them.
    if !s
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || b < 0x20 || b == 0x7f)
    {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return out;
    }
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// A fixed file as a unified diff (`--diff`): `--- a/path`, `+++ b/path`, hunks with three lines
/// of context, the paths shown as everywhere else. The caller escapes it for the terminal.
pub fn unified_diff(fixed: &apply::FixedFile) -> String {
    let path = crate::source::display_path(&fixed.path);
    similar::TextDiff::from_lines(fixed.original(), fixed.text.as_str())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    /// The shortcut for plain text quotes as the serializer does.
    #[test]
    fn quote_is_json() {
        for s in [
            "",
            "ecr:BatchGetImage",
            "arn:aws:s3:::<bucket-name>/*",
            "a\"b",
            "back\\slash",
            "tab\there",
            "line\nbreak",
            "\u{7f}del",
            "ünïcödé ✓",
        ] {
            let expected = serde_json::to_string(s).expect("a string serializes");
            assert_eq!(super::quote(s), expected, "{s:?}");
        }
    }
}
