//! Frontends: bytes in, policy model out. Each knows one syntax; none knows the rules.

pub mod cloudformation;
pub mod json;
mod placeholders;
pub mod terraform;
pub mod tfplan;

use crate::discover::Format;
use crate::model::{FileModel, Unknown};
use crate::source::{Located, ParseError, SourceMap, Span};

/// What frontends take from the command line and the config.
#[derive(Debug, Clone, Default)]
pub struct FrontendOptions {
    /// Terraform variable values (`--var`, `--var-file`, config), in the order given; the tfvars
    /// files of each linted folder come before them.
    pub terraform_vars: Vec<crate::vars::VarSetting>,
    /// `[placeholders] tokens`: ARN fields a policy template's code fills in, besides ALL-CAPS
    /// words (see `placeholders`).
    pub placeholder_tokens: Vec<String>,
}

/// Parses the main file of `sources` (and whatever it references) into a model.
pub fn parse(sources: &mut SourceMap, format: Format) -> FileModel {
    parse_with(sources, format, &FrontendOptions::default())
}

/// [`parse`] with options.
pub fn parse_with(sources: &mut SourceMap, format: Format, opts: &FrontendOptions) -> FileModel {
    let mut model = parse_format(sources, format, opts);
    another_tools_template(&sources.main().text, format, &mut model);
    placeholders::mark(&mut model, &opts.placeholder_tokens);
    model
}

fn parse_format(sources: &mut SourceMap, format: Format, opts: &FrontendOptions) -> FileModel {
    match format {
        Format::Json => json::parse_file(sources),
        Format::Yaml => cloudformation::parse_yaml(sources),
        Format::Terraform => terraform::parse_file_with(sources, &opts.terraform_vars),
        Format::Unknown => {
            let mut model = FileModel::default();
            model.errors.push(ParseError::whole(
                crate::FileId(0),
                "not a policy: expected IAM policy JSON, Terraform or a CloudFormation template",
            ));
            model
        }
    }
}

/// A file that is a template of another tool (cookiecutter, Jinja, Helm: `{{ cookiecutter.runtime }}`,
/// `{% if %}`) is not linted: its text is not yet the policy or template AWS will read. When it
/// names cookiecutter variables or holds Jinja directives (or, YAML and JSON, does not parse and
/// holds `{{ ... }}`), its errors and documents are dropped for one `unresolved-reference` at the
/// first marker, an info that does not fail the run (input errors exit 2). Terraform's own syntax
/// errors stay errors: `{{` alone is not a sign of another tool there. CloudFormation's own `{{resolve:...}}`
/// dynamic references are not markers.
fn another_tools_template(text: &str, format: Format, model: &mut FileModel) {
    let markers = template_markers(text);
    let Some(&(start, end)) = markers.first() else {
        return;
    };
    let marker = &text[start..end];
    let directive = markers.iter().any(|&(a, b)| {
        let m = &text[a..b];
        m.starts_with("{%") || m.contains("cookiecutter.")
    });
    let data = matches!(format, Format::Json | Format::Yaml);
    let unparsed_data = data && !model.errors.is_empty();
    if !(directive || unparsed_data) {
        return;
    }
    let shown: String = marker.chars().take(80).collect();
    // Recognised as the frontend judged it: a Helm chart's YAML found by a folder scan is still
    // skipped as not a policy; a SAM or Terraform template is reported.
    *model = FileModel {
        recognised: model.recognised,
        ..FileModel::default()
    };
    let mut unknown = Unknown::new(
        shown,
        "this file is a template of another tool (cookiecutter, Jinja, Helm): not linted; lint the rendered file",
    );
    unknown.kind = crate::model::UnknownKind::OtherToolsTemplate;
    model.unresolved.push(Located::new(
        unknown,
        Span::new(crate::FileId(0), start, end),
    ));
}

/// The `{{ ... }}` and `{% ... %}` of `text` (the first 64) that are not CloudFormation dynamic
/// references, each on one line.
fn template_markers(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find('{').map(|i| i + from) {
        let rest = &text[at..];
        let close = if rest.starts_with("{{") && !rest.starts_with("{{resolve:") {
            "}}"
        } else if rest.starts_with("{%") {
            "%}"
        } else {
            from = at + 1;
            continue;
        };
        // On one line, with something between the braces.
        let line = rest.split('\n').next().unwrap_or(rest);
        if let Some(end) = line[2..].find(close).map(|i| i + 2) {
            if !line[2..end].trim().is_empty() {
                out.push((at, at + end + close.len()));
                if out.len() == 64 {
                    break;
                }
            }
        }
        from = at + 2;
    }
    out
}
