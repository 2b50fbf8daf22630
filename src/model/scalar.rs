use std::fmt;

/// What could not be evaluated, and why. Shown by `unresolved-reference`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unknown {
    /// The expression as written: `var.bucket_arn`, `!Ref BucketName`, `${AWS::AccountId}`.
    pub expr: String,
    /// Why it has no value: "variable has no default", "resource attribute known after apply".
    pub reason: String,
    /// The resource or data source attribute the value stands for, when it is one: the value is
    /// unknown but specific (one bucket's ARN), never "anything".
    pub reference: Option<AttrRef>,
    /// The value names a resource declared in the same file (`!GetAtt Bucket.Arn`, `!Ref Queue`):
    /// one specific resource, unknown only in spelling until deployment. Still unknown to the
    /// rules (never `*`), but `unresolved-reference` does not report it.
    pub local_resource: bool,
    /// The value is the JSON text of a policy document the frontend has built (Terraform's
    /// `data.aws_iam_policy_document.x.json`, passed on through a variable or `replace()`): a
    /// handle into that frontend's table of documents, so that where the text becomes a policy
    /// the document is linted, with the spans of its statements. The rules never read it.
    pub doc: Option<DocRef>,
    /// What kind of gap this is, which decides what `unresolved-reference` asks the user to do.
    pub kind: UnknownKind,
}

/// What kind of gap an [`Unknown`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UnknownKind {
    /// A value to be given: a variable, a parameter, a resource attribute.
    #[default]
    Value,
    /// A placeholder of a policy template written into the text (`ACCOUNT_ID`, `<account-id>`),
    /// filled in by someone before the policy is used. A template shows it as written.
    Placeholder,
    /// The whole file is a template of another tool (cookiecutter, Jinja).
    OtherToolsTemplate,
}

/// A document in a frontend's table of built documents (see [`Unknown::doc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocRef(pub u32);

/// An attribute of a resource or data source of the same module: `aws_s3_bucket.b` and `arn`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrRef {
    /// `aws_s3_bucket.b`, `data.aws_region.current`, `aws_iam_role.r[0]`.
    pub address: String,
    /// `arn`, `name`, or empty when the whole object is referenced.
    pub attribute: String,
}

impl Unknown {
    pub fn new(expr: impl Into<String>, reason: impl Into<String>) -> Self {
        Unknown {
            expr: expr.into(),
            reason: reason.into(),
            reference: None,
            local_resource: false,
            doc: None,
            kind: UnknownKind::Value,
        }
    }

    /// The same unknown under another expression (a call or traversal that contains it). The
    /// containing expression's value is not the document's text, so [`Unknown::doc`] is dropped.
    pub fn renamed(&self, expr: impl Into<String>) -> Self {
        Unknown {
            expr: expr.into(),
            doc: None,
            ..self.clone()
        }
    }

    /// An attribute or reference of a resource declared in the same file.
    pub fn local_resource(expr: impl Into<String>, reason: impl Into<String>) -> Self {
        Unknown {
            local_resource: true,
            ..Unknown::new(expr, reason)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TemplatePart {
    Lit(String),
    Hole(Unknown),
}

/// A string with known text and unknown holes: `arn:aws:s3:::${var.bucket}/*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

impl Template {
    pub fn holes(&self) -> impl Iterator<Item = &Unknown> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Hole(u) => Some(u),
            TemplatePart::Lit(_) => None,
        })
    }

    /// The text with every hole written as `${expr}`.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Lit(s) => out.push_str(s),
                TemplatePart::Hole(u) if u.kind == UnknownKind::Placeholder => {
                    out.push_str(&u.expr);
                }
                TemplatePart::Hole(u) => {
                    out.push_str("${");
                    out.push_str(&u.expr);
                    out.push('}');
                }
            }
        }
        out
    }

    /// A message (or help) written about [`Template::with_holes`]`(fill)` with the template as
    /// written instead: the whole text becomes [`Template::display`], and a `fill` quoted on its
    /// own (one field of the text) becomes the hole's expression when the template has one hole.
    /// So `${AWS::AccountId}` is echoed, never the `${?}` a rule judged in its place.
    pub fn as_written(&self, message: &str, fill: &str) -> String {
        let judged = self.with_holes(fill);
        let mut out = message.replace(&judged, &self.display());
        let mut holes = self.parts.iter().filter_map(|p| match p {
            TemplatePart::Hole(u) => Some(u),
            TemplatePart::Lit(_) => None,
        });
        if let (Some(only), None) = (holes.next(), holes.next()) {
            if out.contains(fill) {
                let shown = Template {
                    parts: vec![TemplatePart::Hole(only.clone())],
                }
                .display();
                out = out.replace(fill, &shown);
            }
        }
        out
    }

    /// The text with every hole replaced by `fill`, for structural checks that treat a hole as
    /// "some value" (an ARN with an unknown account still has six fields).
    pub fn with_holes(&self, fill: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Lit(s) => out.push_str(s),
                TemplatePart::Hole(_) => out.push_str(fill),
            }
        }
        out
    }
}

/// A scalar value in a policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// A known string.
    Str(String),
    /// A known non-string literal (number, boolean, null) as written in the source. Legal only in
    /// condition values; elsewhere the frontend reports it.
    Other(String),
    /// A string made of known text and unknown parts.
    Template(Template),
    /// Nothing is known about the value. Boxed: it is rare and large, and every value of a parsed
    /// file is a `Scalar` (a big JSON file's tree is a third the size this way).
    Unknown(Box<Unknown>),
}

impl Scalar {
    pub fn unknown(u: Unknown) -> Self {
        Scalar::Unknown(Box::new(u))
    }

    pub fn str(s: impl Into<String>) -> Self {
        Scalar::Str(s.into())
    }

    /// The string, when fully known.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as text: strings and literals as they are, templates with `${...}` holes.
    pub fn text(&self) -> String {
        match self {
            Scalar::Str(s) | Scalar::Other(s) => s.clone(),
            Scalar::Template(t) => t.display(),
            Scalar::Unknown(u) => format!("${{{}}}", u.expr),
        }
    }

    /// Known string or the literal text of a number/boolean; condition values use this.
    pub fn literal(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) | Scalar::Other(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_known(&self) -> bool {
        matches!(self, Scalar::Str(_) | Scalar::Other(_))
    }

    /// Everything unknown in this value.
    pub fn unknowns(&self) -> Vec<&Unknown> {
        match self {
            Scalar::Unknown(u) => vec![u],
            Scalar::Template(t) => t.holes().collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_echo_the_template_as_written() {
        let t = Template {
            parts: vec![
                TemplatePart::Lit("arn:aws:kms::".into()),
                TemplatePart::Hole(Unknown::new("AWS::AccountId", "pseudo parameter")),
                TemplatePart::Lit(":key/*".into()),
            ],
        };
        let judged = t.with_holes("${?}");
        assert_eq!(
            t.as_written(&format!("`{judged}` has no region"), "${?}"),
            "`arn:aws:kms::${AWS::AccountId}:key/*` has no region"
        );
        assert_eq!(
            t.as_written("`${?}` is not an account id", "${?}"),
            "`${AWS::AccountId}` is not an account id"
        );
        let mut placeholder = Unknown::new("<account-id>", "placeholder");
        placeholder.kind = UnknownKind::Placeholder;
        let p = Template {
            parts: vec![
                TemplatePart::Lit("arn:aws:iam::".into()),
                TemplatePart::Hole(placeholder),
            ],
        };
        assert_eq!(p.display(), "arn:aws:iam::<account-id>");
    }
}
