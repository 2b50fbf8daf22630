//! Variable values for a root module from outside its `.tf` files, in Terraform's order (later
//! wins): `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars` and `*.auto.tfvars.json`
//! in lexical order of their names (all in the module's folder), then `--var-file` and `--var` in
//! the order given. Every file read joins the source map, so a value's span points where it was
//! written; a malformed file is a located error and the other files still count.

use std::path::Path;

use hcl_edit::expr::Expression;
use hcl_edit::Span as _;

use super::eval::{Eval, Src};
use crate::source::{FileId, ParseError, SourceFile, Span};
use crate::tree::{Node, NodeKind};

pub use crate::vars::VarSetting;

/// Fills `ev.inputs` for a root module from its folder's tfvars files and `settings`.
pub(super) fn load(ev: &mut Eval<'_>, settings: &[VarSetting], errors: &mut Vec<ParseError>) {
    for path in ev.module.tfvars.clone() {
        load_file(ev, &path, Origin::Repository, errors);
    }
    for setting in settings {
        match setting {
            VarSetting::File(path) => load_file(ev, path, Origin::CommandLine, errors),
            VarSetting::ConfigFile(path) => load_file(ev, path, Origin::Repository, errors),
            VarSetting::Value { name, value } => {
                let node = command_line_value(ev, name, value);
                ev.inputs.insert(name.clone(), node);
            }
        }
    }
}

const NO_REFERENCES: &str = "a variables file cannot refer to other values";

/// Who named a variables file: the repository (tfvars beside the module, config `var-files`) or
/// the user on the command line.
#[derive(Clone, Copy)]
enum Origin {
    Repository,
    CommandLine,
}

fn load_file(ev: &mut Eval<'_>, path: &Path, origin: Origin, errors: &mut Vec<ParseError>) {
    // A regular file of at most 16 MiB (`crate::root`), inside the repository root: a symlinked
    // `terraform.tfvars` or a `var-files` entry pointing outside is refused, naming the path. A
    // `--var-file` outside the repository is the user's choice, one inside must stay inside.
    let root = ev.sources.root().to_path_buf();
    let cap = crate::root::MAX_REFERENCED_BYTES;
    let read = match origin {
        Origin::Repository => crate::root::read_confined(&root, path, cap),
        Origin::CommandLine => crate::root::read_named(&[root], path, cap),
    };
    let text = match read
        .map_err(|r| r.reason())
        .and_then(crate::source::bytes_to_text)
    {
        Ok(text) => text,
        Err(message) => {
            let id = ev.sources.add(SourceFile::new(path, String::new()));
            errors.push(ParseError::whole(
                id,
                format!("cannot read variables file: {message}"),
            ));
            return;
        }
    };
    let id = ev.sources.add(SourceFile::new(path, text.clone()));
    let json = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".json"));
    if json {
        match crate::json::parse(&text, id, 0) {
            Ok(Node {
                kind: NodeKind::Object(entries),
                ..
            }) => {
                for (name, value) in entries {
                    ev.inputs.insert(name.value, value);
                }
            }
            Ok(other) => errors.push(ParseError::at(
                other.span,
                format!(
                    "expected an object of variable values, found {}",
                    other.type_name()
                ),
            )),
            Err(e) => errors.push(crate::frontend::json::json_error(id, &text, e)),
        }
        return;
    }
    let body = match super::hcl::parse_body(&text) {
        Ok(body) => body,
        Err(e) => {
            let mut at = e.location().offset().min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let next = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            errors.push(ParseError::at(
                Span::new(id, at, next),
                format!(
                    "invalid HCL in variables file: {}",
                    super::embedded::lower_first(e.message())
                ),
            ));
            return;
        }
    };
    let src = Src {
        key: 0,
        id,
        text: &text,
    };
    for structure in body.iter() {
        if let Some(attr) = structure.as_attribute() {
            let node = ev.eval_literal(src, &attr.value, NO_REFERENCES);
            ev.inputs.insert(attr.key.as_str().to_string(), node);
        } else if let Some(block) = structure.as_block() {
            let r = block.ident.span().unwrap_or(0..0);
            errors.push(ParseError::at(
                Span::new(id, r.start, r.end),
                format!(
                    "unexpected block `{}` in a variables file: expected `NAME = VALUE` lines",
                    block.ident.as_str()
                ),
            ));
        }
    }
}

/// `--var NAME=VALUE`: like Terraform, a list, map or quoted value is read as HCL; anything else
/// is the string as typed (`--var bucket=arn:aws:s3:::logs`). The text joins the source map as
/// `--var NAME`, so findings can show it.
fn command_line_value(ev: &mut Eval<'_>, name: &str, value: &str) -> Node {
    let id: FileId = ev
        .sources
        .add(SourceFile::new(format!("--var {name}"), value.to_string()));
    let span = Span::new(id, 0, value.len());
    let trimmed = value.trim_start();
    if trimmed.starts_with(['[', '{', '"']) {
        if let Ok(expr) = hcl_edit::parser::parse_expr(value) {
            if !matches!(expr, Expression::Variable(_) | Expression::Traversal(_)) {
                let src = Src {
                    key: 0,
                    id,
                    text: value,
                };
                return ev.eval_literal(src, &expr, NO_REFERENCES);
            }
        }
    }
    Node::new(
        NodeKind::Str(crate::model::Scalar::Str(value.to_string())),
        span,
    )
}
