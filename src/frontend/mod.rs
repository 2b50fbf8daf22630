//! Frontends: bytes in, policy model out. Each knows one syntax; none knows the rules.

pub mod cloudformation;
pub mod json;
pub mod terraform;
pub mod tfplan;

use crate::discover::Format;
use crate::model::FileModel;
use crate::source::SourceMap;
use crate::ParseError;

/// Parses the main file of `sources` (and whatever it references) into a model.
pub fn parse(sources: &mut SourceMap, format: Format) -> FileModel {
    match format {
        Format::Json => json::parse_file(sources),
        Format::Yaml => cloudformation::parse_yaml(sources),
        Format::Terraform => terraform::parse_file(sources),
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
