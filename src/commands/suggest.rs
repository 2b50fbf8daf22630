//! `iamlint suggest [RECIPE]`: the minimal policy of a recipe, in JSON, Terraform or
//! CloudFormation YAML; without a recipe, the list of recipes.

use std::fmt::Write as _;

use crate::fix::{self, Flavor, HclStyle, Target};
use crate::recipes::{self, Inputs};

/// Output syntax of `suggest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuggestFormat {
    /// A JSON policy document.
    #[default]
    Json,
    /// A Terraform `aws_iam_policy` with `jsonencode`.
    Hcl,
    /// A Terraform `data "aws_iam_policy_document"` and `aws_iam_policy`.
    HclDocument,
    /// A CloudFormation template holding one `AWS::IAM::ManagedPolicy` resource.
    Yaml,
}

/// The list of recipes, as an aligned table.
pub fn list() -> String {
    let rows: Vec<[String; 3]> = recipes::all()
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.title.clone(),
                if r.replaces.is_empty() {
                    "-".to_string()
                } else {
                    r.replaces.join(", ")
                },
            ]
        })
        .collect();
    crate::commands::managed::columns(&["recipe", "job", "replaces"], &rows)
}

/// The recipe rendered in `format`, filled with `resources` (ARNs or `Variable=value`).
pub fn run(id: &str, resources: &[String], format: SuggestFormat) -> Result<String, String> {
    let Some(recipe) = recipes::get(id) else {
        return Err(match recipes::suggest(id) {
            Some(s) => format!("unknown recipe `{id}` (did you mean `{s}`?)"),
            None => format!("unknown recipe `{id}` (`iamlint suggest` lists them)"),
        });
    };
    let flavor = match format {
        SuggestFormat::Json => Flavor::Plain,
        SuggestFormat::Hcl | SuggestFormat::HclDocument => Flavor::Terraform,
        SuggestFormat::Yaml => Flavor::CloudFormation,
    };
    let spec = recipe.policy(Inputs {
        flavor,
        given: resources,
        declared: &[],
    })?;
    let body = match format {
        SuggestFormat::Json => return Ok(fix::json::document(&spec)),
        SuggestFormat::Hcl => fix::render(
            &spec,
            &Target::Terraform {
                style: HclStyle::Jsonencode,
                principal: None,
            },
            &recipe.id,
        ),
        SuggestFormat::HclDocument => fix::render(
            &spec,
            &Target::Terraform {
                style: HclStyle::PolicyDocument,
                principal: None,
            },
            &recipe.id,
        ),
        SuggestFormat::Yaml => template(&fix::yaml::managed_policy_resource(&spec, &recipe.id)),
    };
    let mut out = String::new();
    let _ = writeln!(out, "# {}: {}", recipe.id, recipe.title);
    for url in &recipe.docs {
        let _ = writeln!(out, "# {url}");
    }
    if let Some(notes) = &recipe.notes {
        let _ = writeln!(out, "# {notes}");
    }
    out.push_str(&body);
    Ok(out)
}

/// A complete CloudFormation template around one resource (YAML lines at the top level).
fn template(resource: &str) -> String {
    let mut out = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n");
    for line in resource.lines() {
        if !line.is_empty() {
            out.push_str("  ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
