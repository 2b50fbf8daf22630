//! Frontends: bytes in, policy model out. Each knows one syntax; none knows the rules.

pub mod cloudformation;
pub mod json;
pub mod terraform;
pub mod tfplan;

use crate::discover::Format;
use crate::model::FileModel;
use crate::source::{ParseError, SourceMap};

/// What frontends take from the command line and the config.
#[derive(Debug, Clone, Default)]
pub struct FrontendOptions {
    /// Terraform variable values (`--var`, `--var-file`, config), in the order given; the tfvars
    /// files of each linted folder come before them.
    pub terraform_vars: Vec<crate::vars::VarSetting>,
}

/// Parses the main file of `sources` (and whatever it references) into a model.
pub fn parse(sources: &mut SourceMap, format: Format) -> FileModel {
    parse_with(sources, format, &FrontendOptions::default())
}

/// [`parse`] with options.
pub fn parse_with(sources: &mut SourceMap, format: Format, opts: &FrontendOptions) -> FileModel {
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
