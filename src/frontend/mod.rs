//! Frontends: bytes in, policy model out. Each knows one syntax; none knows the rules.

pub mod json;
pub mod terraform;
pub mod tfplan;

use crate::discover::{self, Format};
use crate::model::FileModel;
use crate::source::SourceMap;
use crate::ParseError;

/// Parses the main file of `sources` (and whatever it references) into a model.
pub fn parse(sources: &mut SourceMap, format: Format) -> FileModel {
    match format {
        Format::Json => json::parse_file(sources),
        Format::Terraform => terraform::parse_file(sources),
        Format::Yaml => {
            let mut model = FileModel::default();
            let path = &sources.main().path;
            if discover::is_candidate(path) {
                // Not read yet: directory scans stay quiet about it.
                model.recognised = false;
            } else {
                model.errors.push(ParseError::whole(
                    crate::FileId(0),
                    "this format is not supported yet",
                ));
            }
            model
        }
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
