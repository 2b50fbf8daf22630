//! Recipes: minimal policies for common jobs (`rules/recipes/*.toml`, embedded).
//!
//! A recipe lists the actions a job needs, which of them need `"*"`, and ARN templates (from the
//! catalog) for the rest; it names the AWS page that documents the set and the AWS managed
//! policies it can replace. [`Recipe::policy`] turns it into a [`PolicySpec`] with placeholders,
//! values the user gave (`--resource`), or references to resources the file declares.
//! [`grants`] judges what an AWS managed policy grants, from its own document.

pub mod grants;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::fix::{CfnValue, ConditionSpec, Flavor, PolicySpec, ResourceValue, StatementSpec};
use crate::model::Declared;

/// Every recipe file, by id (= file stem). `tests/recipes.rs` checks this list against the folder.
pub const FILES: &[(&str, &str)] = &[
    (
        "cloudfront-invalidation",
        include_str!("../../rules/recipes/cloudfront-invalidation.toml"),
    ),
    (
        "dynamodb-table-rw",
        include_str!("../../rules/recipes/dynamodb-table-rw.toml"),
    ),
    (
        "ecr-pull",
        include_str!("../../rules/recipes/ecr-pull.toml"),
    ),
    (
        "ecr-push",
        include_str!("../../rules/recipes/ecr-push.toml"),
    ),
    (
        "ecs-deploy",
        include_str!("../../rules/recipes/ecs-deploy.toml"),
    ),
    (
        "eks-kubeconfig",
        include_str!("../../rules/recipes/eks-kubeconfig.toml"),
    ),
    (
        "kms-decrypt",
        include_str!("../../rules/recipes/kms-decrypt.toml"),
    ),
    (
        "lambda-deploy",
        include_str!("../../rules/recipes/lambda-deploy.toml"),
    ),
    (
        "logs-write",
        include_str!("../../rules/recipes/logs-write.toml"),
    ),
    ("s3-read", include_str!("../../rules/recipes/s3-read.toml")),
    (
        "s3-static-site-deploy",
        include_str!("../../rules/recipes/s3-static-site-deploy.toml"),
    ),
    (
        "secrets-read",
        include_str!("../../rules/recipes/secrets-read.toml"),
    ),
    (
        "sns-publish",
        include_str!("../../rules/recipes/sns-publish.toml"),
    ),
    (
        "sqs-consume",
        include_str!("../../rules/recipes/sqs-consume.toml"),
    ),
    (
        "ssm-parameters-read",
        include_str!("../../rules/recipes/ssm-parameters-read.toml"),
    ),
    (
        "terraform-s3-backend",
        include_str!("../../rules/recipes/terraform-s3-backend.toml"),
    ),
    (
        "terraform-s3-backend-dynamodb",
        include_str!("../../rules/recipes/terraform-s3-backend-dynamodb.toml"),
    ),
    (
        "terragrunt",
        include_str!("../../rules/recipes/terragrunt.toml"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub id: String,
    pub title: String,
    /// Completes "if this role only ...": `pulls container images`.
    pub purpose: String,
    /// Pages that document the set; the first is the one shown.
    pub docs: Vec<String>,
    /// AWS managed policies this recipe can stand in for.
    pub replaces: Vec<String>,
    /// Actions a replaced policy need not grant (every principal may call `sts:GetCallerIdentity`).
    #[serde(default)]
    pub fit_ignores: Vec<String>,
    #[serde(default)]
    pub notes: Option<String>,
    pub statements: Vec<RecipeStatement>,
    #[serde(default)]
    pub resources: BTreeMap<String, RecipeResource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeStatement {
    pub sid: String,
    pub actions: Vec<String>,
    /// `"*"` or keys of [`Recipe::resources`].
    pub resources: Vec<String>,
    #[serde(default)]
    pub conditions: Vec<RecipeCondition>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeCondition {
    pub test: String,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeResource {
    /// The catalog's ARN template, verbatim.
    pub arn: String,
    /// Fixed values for template variables (`ObjectName = "*"`).
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Names shown for unfilled variables, when the default `<kebab-name>` is unclear.
    #[serde(default)]
    pub placeholders: BTreeMap<String, String>,
    /// Terraform resource type and expression (`%` = the resource's address).
    #[serde(default)]
    pub terraform: Option<(String, String)>,
    /// CloudFormation resource type and value: `%` is `!Ref`, `%.Attr` is `!GetAtt`, anything else
    /// is a `!Sub` with `%` as the logical id.
    #[serde(default)]
    pub cloudformation: Option<(String, String)>,
}

/// All recipes, sorted by id.
pub fn all() -> &'static [Recipe] {
    static ALL: OnceLock<Vec<Recipe>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<Recipe> = FILES
            .iter()
            .map(|(id, text)| {
                toml::from_str::<Recipe>(text).unwrap_or_else(|e| {
                    panic!("embedded rules/recipes/{id}.toml is checked by tests/recipes.rs: {e}")
                })
            })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    })
}

pub fn get(id: &str) -> Option<&'static Recipe> {
    all().iter().find(|r| r.id == id)
}

/// The closest recipe id to an unknown one.
pub fn suggest(id: &str) -> Option<&'static str> {
    all()
        .iter()
        .map(|r| (crate::text::edit_distance(id, &r.id), r.id.as_str()))
        .filter(|(d, _)| *d <= 3.max(id.len() / 3))
        .min()
        .map(|(_, id)| id)
}

/// Recipes that can replace managed policy `policy`: those that list it in `replaces`, and those
/// whose services cover every service the policy reaches (its whole job is the recipe's kind of
/// work: `AWSLambdaBasicExecutionRole`'s three `logs` actions and `logs-write`), provided
/// `granted` says yes to each of their actions (apart from `fit_ignores`). `replaces` stays for
/// policies that reach further than the recipe (`AmazonS3FullAccess` and `s3-read`, a Lambda
/// execution role's `logs` actions beside `sqs-consume`).
pub fn fitting(policy: &str, granted: impl Fn(&str) -> bool) -> Vec<&'static Recipe> {
    // The services the policy reaches, for recipes that do not name it (`None`: every service,
    // or not a managed policy).
    let services = crate::catalog::Catalog::get()
        .managed_policy(policy)
        .and_then(|p| grants::of(p).services());
    all()
        .iter()
        .filter(|r| {
            r.replaces.iter().any(|p| p == policy)
                || services.as_ref().is_some_and(|s| r.covers_services(s))
        })
        .filter(|r| {
            r.actions()
                .iter()
                .filter(|a| !r.fit_ignores.iter().any(|i| i.eq_ignore_ascii_case(a)))
                .all(|a| granted(a))
        })
        .collect()
}

/// What the user or the file supplies to fill a recipe.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub flavor: Flavor,
    /// ARNs (`arn:aws:ecr:...:repository/app`) or `Variable=value` pairs (`RepositoryName=app`).
    pub given: &'a [String],
    /// Resources the file declares, for references.
    pub declared: &'a [Declared],
}

impl Inputs<'_> {
    pub const PLAIN: Inputs<'static> = Inputs {
        flavor: Flavor::Plain,
        given: &[],
        declared: &[],
    };
}

impl Recipe {
    /// True when every one of `services` (lower-case prefixes) is a service of the recipe's
    /// actions: a policy reaching only these services does the recipe's job, if it also grants
    /// every recipe action ([`fitting`]).
    fn covers_services(&self, services: &[String]) -> bool {
        let own: Vec<String> = self
            .actions()
            .iter()
            .filter_map(|a| a.split_once(':'))
            .map(|(service, _)| service.to_ascii_lowercase())
            .collect();
        !services.is_empty() && services.iter().all(|s| own.contains(s))
    }

    /// Every action, in statement order, without repeats.
    pub fn actions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.statements {
            for a in &s.actions {
                if !out.contains(&a.as_str()) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// Resource keys in the order statements use them.
    pub fn resource_keys(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.statements {
            for r in &s.resources {
                if r != "*" && !out.contains(&r.as_str()) {
                    out.push(r);
                }
            }
        }
        out
    }

    /// The recipe as a policy. Errors name a given value that fits none of the recipe's ARNs.
    pub fn policy(&self, inputs: Inputs) -> Result<PolicySpec, String> {
        let binding = self.bind(inputs.given)?;
        if let Some(reference) = binding.references.values().next() {
            if inputs.flavor != Flavor::Terraform {
                return Err(format!(
                    "`{reference}` is a Terraform reference: use `--format hcl` or \
                     `--format hcl-document`, or give an ARN"
                ));
            }
        }
        let mut spec = PolicySpec::default();
        for s in &self.statements {
            let mut resources = Vec::new();
            for key in &s.resources {
                let value = if key == "*" {
                    ResourceValue::Arn("*".to_string())
                } else {
                    self.resource_value(key, &binding, inputs)
                };
                if !resources.contains(&value) {
                    resources.push(value);
                }
            }
            spec.statements.push(StatementSpec {
                sid: s.sid.clone(),
                actions: s.actions.clone(),
                resources,
                conditions: s
                    .conditions
                    .iter()
                    .map(|c| ConditionSpec {
                        test: c.test.clone(),
                        key: c.key.clone(),
                        values: c.values.clone(),
                    })
                    .collect(),
            });
        }
        Ok(spec)
    }

    fn resource_value(&self, key: &str, binding: &Binding, inputs: Inputs) -> ResourceValue {
        let Some(res) = self.resources.get(key) else {
            return ResourceValue::Arn(format!("<{key}>"));
        };
        if let Some(arn) = binding.explicit.get(key) {
            return ResourceValue::Arn(arn.clone());
        }
        if let Some(reference) = binding.references.get(key) {
            return ResourceValue::Terraform(reference.clone());
        }
        let unique = |kind: &str| {
            let mut found = inputs.declared.iter().filter(|d| d.kind == kind);
            match (found.next(), found.next()) {
                (Some(d), None) => Some(d.name.clone()),
                _ => None,
            }
        };
        match inputs.flavor {
            Flavor::Terraform => {
                if let Some((kind, expr)) = &res.terraform {
                    if let Some(name) = unique(kind) {
                        let address = format!("{kind}.{name}");
                        let bare = expr.strip_prefix("%.").is_some_and(|a| {
                            a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        });
                        return ResourceValue::Terraform(if bare {
                            expr.replace('%', &address)
                        } else {
                            format!("\"{}\"", expr.replace('%', &address))
                        });
                    }
                }
            }
            Flavor::CloudFormation => {
                if let Some((kind, expr)) = &res.cloudformation {
                    if let Some(name) = unique(kind) {
                        return ResourceValue::CloudFormation(if expr == "%" {
                            CfnValue::Ref(name)
                        } else if let Some(attr) = expr
                            .strip_prefix("%.")
                            .filter(|a| a.chars().all(|c| c.is_ascii_alphanumeric()))
                        {
                            CfnValue::GetAtt(name, attr.to_string())
                        } else {
                            CfnValue::Sub(expr.replace('%', &name))
                        });
                    }
                }
            }
            Flavor::Plain => {}
        }
        let mut text = String::new();
        let mut pseudo = false;
        for token in tokens(&res.arn) {
            match token {
                Token::Lit(s) => text.push_str(s),
                Token::Var(var) => {
                    let placeholder = placeholder(res, var);
                    if let Some(v) = res.values.get(var) {
                        text.push_str(v);
                    } else if let Some(v) =
                        binding.vars.get(&(var.to_string(), placeholder.clone()))
                    {
                        text.push_str(v);
                    } else if inputs.flavor == Flavor::CloudFormation
                        && matches!(var, "Partition" | "Region" | "Account")
                    {
                        pseudo = true;
                        text.push_str(match var {
                            "Partition" => "${AWS::Partition}",
                            "Region" => "${AWS::Region}",
                            _ => "${AWS::AccountId}",
                        });
                    } else {
                        text.push_str(&placeholder);
                    }
                }
            }
        }
        if pseudo {
            ResourceValue::CloudFormation(CfnValue::Sub(text))
        } else {
            ResourceValue::Arn(text)
        }
    }

    /// Assigns each given ARN to the first unassigned resource whose template it fits, and keeps
    /// its variable values for the other resources that show the same placeholder.
    fn bind(&self, given: &[String]) -> Result<Binding, String> {
        let mut binding = Binding::default();
        for value in given {
            if !value.starts_with("arn:") {
                if let Some((var, v)) = value.split_once('=') {
                    let var = var.trim();
                    let mut used = false;
                    for key in self.resource_keys() {
                        if let Some(res) = self.resources.get(key) {
                            if tokens(&res.arn).contains(&Token::Var(var)) {
                                binding.vars.insert(
                                    (var.to_string(), placeholder(res, var)),
                                    v.trim().to_string(),
                                );
                                used = true;
                            }
                        }
                    }
                    if used {
                        continue;
                    }
                    let names = self.variables();
                    return Err(format!(
                        "`{var}` is not a variable of recipe `{}` ({})",
                        self.id,
                        if names.is_empty() {
                            "it has none: every action is on `*`".to_string()
                        } else {
                            format!(
                                "its variables: {}",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ));
                }
                if is_terraform_reference(value) {
                    let key = self.reference_key(value, &binding).ok_or_else(|| {
                        format!(
                            "`{value}` fits no resource of recipe `{}`: every resource is given",
                            self.id
                        )
                    })?;
                    binding.references.insert(key, value.clone());
                    continue;
                }
                return Err(format!(
                    "expected an ARN, `Variable=value` or a Terraform reference \
                     (`aws_ecr_repository.app.arn`), found `{value}`"
                ));
            }
            let mut matched = false;
            // The most specific template first: `bucket/object` before `bucket`.
            let mut keys = self.resource_keys();
            keys.sort_by_key(|k| {
                std::cmp::Reverse(self.resources.get(*k).map_or(0, |r| tokens(&r.arn).len()))
            });
            for key in keys {
                if binding.explicit.contains_key(key) || binding.references.contains_key(key) {
                    continue;
                }
                let Some(res) = self.resources.get(key) else {
                    continue;
                };
                if let Some(vars) = match_template(&res.arn, value) {
                    binding.explicit.insert(key.to_string(), value.clone());
                    for (var, v) in vars {
                        if !res.values.contains_key(var) {
                            binding
                                .vars
                                .entry((var.to_string(), placeholder(res, var)))
                                .or_insert_with(|| v.to_string());
                        }
                    }
                    matched = true;
                    break;
                }
            }
            if !matched {
                let forms: Vec<String> = self
                    .resource_keys()
                    .iter()
                    .filter_map(|k| self.resources.get(*k))
                    .map(|r| r.arn.clone())
                    .collect();
                return Err(format!(
                    "`{value}` fits no resource of recipe `{}` (expected {})",
                    self.id,
                    if forms.is_empty() {
                        "none: every action is on `*`".to_string()
                    } else {
                        crate::text::list_some(&forms, forms.len())
                    }
                ));
            }
        }
        Ok(binding)
    }
}

/// True for a Terraform reference as a user writes one for an ARN: `aws_ecr_repository.app.arn`,
/// `module.repo.arn`, `data.aws_s3_bucket.b.arn`, `var.bucket_arn`, `aws_s3_bucket.b["x"].arn`.
fn is_terraform_reference(value: &str) -> bool {
    let mut parts = value.split('.');
    let first = parts.next().unwrap_or_default();
    first.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && value.contains('.')
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '"' | '*')
        })
        && !value.ends_with('.')
}

impl Recipe {
    /// The names `--resource Variable=value` takes: every variable of the recipe's ARN templates,
    /// in order, without repeats.
    pub fn variables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for key in self.resource_keys() {
            if let Some(res) = self.resources.get(key) {
                for token in tokens(&res.arn) {
                    if let Token::Var(var) = token {
                        if !out.contains(&var) {
                            out.push(var);
                        }
                    }
                }
            }
        }
        out
    }

    /// The resource a Terraform reference stands for: the first not yet given whose Terraform
    /// resource type the reference names (`aws_ecr_repository.app.arn`), else the first not yet
    /// given.
    fn reference_key(&self, reference: &str, binding: &Binding) -> Option<String> {
        let free: Vec<&str> = self
            .resource_keys()
            .into_iter()
            .filter(|k| !binding.explicit.contains_key(*k) && !binding.references.contains_key(*k))
            .collect();
        let kind = reference
            .strip_prefix("data.")
            .unwrap_or(reference)
            .split('.')
            .next()
            .unwrap_or_default();
        free.iter()
            .find(|k| {
                self.resources
                    .get(**k)
                    .and_then(|r| r.terraform.as_ref())
                    .is_some_and(|(t, _)| t == kind)
            })
            .or(free.first())
            .map(|k| k.to_string())
    }
}

#[derive(Debug, Default)]
struct Binding {
    /// Resource key → ARN given for it.
    explicit: BTreeMap<String, String>,
    /// Resource key → Terraform reference given for it (an expression, emitted unquoted).
    references: BTreeMap<String, String>,
    /// (variable, placeholder) → value.
    vars: BTreeMap<(String, String), String>,
}

/// The name shown for an unfilled variable.
pub fn placeholder(res: &RecipeResource, var: &str) -> String {
    if let Some(p) = res.placeholders.get(var) {
        return p.clone();
    }
    default_placeholder(var)
}

/// `Account` → `<account-id>`, `Region` → `<region>`, `Partition` → `aws`,
/// `RepositoryName` → `<repository-name>`.
pub fn default_placeholder(var: &str) -> String {
    match var {
        "Partition" => "aws".to_string(),
        "Account" => "<account-id>".to_string(),
        "Region" => "<region>".to_string(),
        _ => {
            let mut out = String::from("<");
            for (i, c) in var.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    out.push('-');
                }
                out.push(c.to_ascii_lowercase());
            }
            out.push('>');
            out
        }
    }
}

/// A catalog ARN template with every variable replaced by its default placeholder:
/// `arn:aws:ecr:<region>:<account-id>:repository/<repository-name>`.
pub fn fill_with_placeholders(template: &str) -> String {
    tokens(template)
        .into_iter()
        .map(|t| match t {
            Token::Lit(s) => s.to_string(),
            Token::Var(v) => default_placeholder(v),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Lit(&'a str),
    Var(&'a str),
}

fn tokens(template: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            out.push(Token::Lit(&rest[..start]));
        }
        out.push(Token::Var(&rest[start + 2..start + len]));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(Token::Lit(rest));
    }
    out
}

/// Matches an ARN against a template: a variable is one or more characters without `:`, and
/// without `/` unless it is the template's last part. Returns the variables' values.
fn match_template<'a, 't>(template: &'t str, arn: &'a str) -> Option<Vec<(&'t str, &'a str)>> {
    fn go<'a, 't>(toks: &[Token<'t>], s: &'a str, out: &mut Vec<(&'t str, &'a str)>) -> bool {
        match toks.split_first() {
            None => s.is_empty(),
            Some((Token::Lit(l), rest)) => {
                s.get(..l.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(l))
                    && go(rest, &s[l.len()..], out)
            }
            Some((Token::Var(v), rest)) => {
                let last = rest.is_empty();
                let mut end = 0;
                for (i, c) in s.char_indices() {
                    if c == ':' || (c == '/' && !last) {
                        break;
                    }
                    end = i + c.len_utf8();
                    out.push((v, &s[..end]));
                    if go(rest, &s[end..], out) {
                        return true;
                    }
                    out.pop();
                }
                let _ = end;
                false
            }
        }
    }
    let toks = tokens(template);
    let mut out = Vec::new();
    go(&toks, arn, &mut out).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_arns() {
        let t = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        let m = match_template(t, "arn:aws:s3:::site/a/b.html").unwrap();
        assert_eq!(
            m,
            vec![
                ("Partition", "aws"),
                ("BucketName", "site"),
                ("ObjectName", "a/b.html")
            ]
        );
        assert!(match_template(t, "arn:aws:s3:::site").is_none());
    }

    #[test]
    fn placeholders_are_kebab_case() {
        assert_eq!(default_placeholder("RepositoryName"), "<repository-name>");
        assert_eq!(
            fill_with_placeholders(
                "arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}"
            ),
            "arn:aws:ecr:<region>:<account-id>:repository/<repository-name>"
        );
    }

    #[test]
    fn given_arns_fill_the_recipe() {
        let r = get("s3-static-site-deploy").unwrap();
        let given = vec!["arn:aws:s3:::www.example.com".to_string()];
        let spec = r
            .policy(Inputs {
                given: &given,
                ..Inputs::PLAIN
            })
            .unwrap();
        assert_eq!(
            spec.statements[1].resources,
            vec![ResourceValue::Arn("arn:aws:s3:::www.example.com/*".into())]
        );
        assert!(!spec.has_placeholders());
        assert!(r
            .policy(Inputs {
                given: &["arn:aws:sqs:us-east-1:1:q".to_string()],
                ..Inputs::PLAIN
            })
            .is_err());
        let given = vec!["arn:aws:s3:::site/*".to_string()];
        let spec = r
            .policy(Inputs {
                given: &given,
                ..Inputs::PLAIN
            })
            .unwrap();
        assert_eq!(
            spec.statements[0].resources,
            vec![ResourceValue::Arn("arn:aws:s3:::site".into())]
        );
    }
}
