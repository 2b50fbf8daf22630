//! What both managed-policy rules need: reading an attachment's ARN as an AWS managed policy, and
//! deciding which syntax a replacement is written in.

use crate::catalog::{Catalog, ManagedPolicy};
use crate::fix::{HclStyle, PrincipalKind, Target};
use crate::model::{Attachment, FileModel, Scalar, Syntax, Template, TemplatePart};

/// An attachment's policy, as far as the catalog knows it.
#[derive(Debug)]
pub enum Resolved {
    /// An AWS managed policy; `unsure` when part of the ARN could not be evaluated (the partition
    /// of `arn:${data.aws_partition.current.partition}:iam::aws:policy/X`).
    Managed {
        policy: &'static ManagedPolicy,
        unsure: bool,
    },
    /// Written as an AWS managed policy (`arn:aws:iam::aws:policy/...` or a bare name), but no such
    /// policy exists. `name` is the last segment, `written` the value as written.
    Unknown {
        name: String,
        written: String,
        unsure: bool,
    },
    /// A customer managed policy, or a value that could not be evaluated.
    Other,
}

pub fn resolve(att: &Attachment, catalog: &Catalog) -> Resolved {
    let (text, unsure) = match &att.policy_arn.value {
        Scalar::Str(s) => (s.trim().to_string(), false),
        Scalar::Template(t) => match aws_managed_template(t) {
            Some(text) => (text, true),
            None => return Resolved::Other,
        },
        Scalar::Unknown(_) | Scalar::Other(_) => return Resolved::Other,
    };
    let aws_managed = if text.starts_with("arn:") {
        text.split(':').nth(4) == Some("aws")
            && text.split(':').nth(2) == Some("iam")
            && text
                .split(':')
                .nth(5)
                .is_some_and(|r| r.starts_with("policy/"))
    } else {
        // SAM lists AWS managed policies by bare name.
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_+=,.@".contains(c))
    };
    if !aws_managed {
        return Resolved::Other;
    }
    match catalog.managed_policy(&text) {
        Some(policy) => Resolved::Managed { policy, unsure },
        None => Resolved::Unknown {
            name: text.rsplit('/').next().unwrap_or(&text).to_string(),
            written: text,
            unsure,
        },
    }
}

/// A template that can only be an AWS managed policy ARN, as text with its partition filled in:
/// only the partition may be unknown (`arn:${data.aws_partition.current.partition}:iam::aws:
/// policy/X`). The literal account field `aws` is what makes a policy AWS managed, so a hole
/// anywhere else (an interpolated account id, the whole ARN of a policy of the same template, a
/// name) leaves a policy iamlint cannot name, never one to judge.
fn aws_managed_template(t: &Template) -> Option<String> {
    let mut parts = t.parts.iter();
    let Some(TemplatePart::Lit(head)) = parts.next() else {
        return None;
    };
    let Some(TemplatePart::Hole(_)) = parts.next() else {
        return None;
    };
    let Some(TemplatePart::Lit(rest)) = parts.next() else {
        return None;
    };
    if parts.next().is_some() || head.trim_start() != "arn:" || !rest.starts_with(':') {
        return None;
    }
    Some(format!("arn:aws{}", rest.trim_end()))
}

/// "role", "user" or "group" for messages; "principal" when the input does not say.
pub fn principal_word(att: &Attachment) -> &'static str {
    principal_kind(att).map_or("principal", PrincipalKind::as_str)
}

fn principal_kind(att: &Attachment) -> Option<PrincipalKind> {
    let o = &att.origin;
    [&o.attached_to, &o.address, &o.description]
        .into_iter()
        .flatten()
        .find_map(|s| PrincipalKind::guess(s))
}

/// Where a replacement for `att` is written: Terraform for `.tf` files and Terraform addresses,
/// CloudFormation for `Resources.*` addresses (YAML unless the file is `.json`), otherwise a JSON
/// policy document.
pub fn target(att: &Attachment, file: &FileModel, path: &std::path::Path) -> Target {
    let address = att.origin.address.as_deref().unwrap_or("");
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if address.starts_with("Resources.") {
        return Target::CloudFormation {
            yaml: ext != "json",
        };
    }
    let terraform_address =
        |s: &str| s.starts_with("aws_") || s.starts_with("module.") || s.starts_with("data.");
    if ext == "tf" || terraform_address(address) {
        let hcl_object = file.docs.iter().any(|d| d.syntax == Syntax::HclObject);
        let document = file
            .docs
            .iter()
            .any(|d| d.syntax == Syntax::HclPolicyDocument);
        let style = if document && !hcl_object {
            HclStyle::PolicyDocument
        } else {
            HclStyle::Jsonencode
        };
        let kind = principal_kind(att).unwrap_or(PrincipalKind::Role);
        let principal = att.origin.attached_to.as_ref().map(|p| {
            let expr = if terraform_address(p) && !p.contains(' ') {
                format!("{p}.name")
            } else if p.contains('.') || p.contains('(') {
                p.clone()
            } else {
                crate::fix::hcl::string(p)
            };
            (kind, expr)
        });
        return Target::Terraform { style, principal };
    }
    Target::Json
}
