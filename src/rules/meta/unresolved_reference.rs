use std::collections::hash_map::{Entry, HashMap};

use crate::model::{Unknown, UnknownKind};
use crate::rules::prelude::*;
use crate::source::FileId;

declare_rule! {
    /// Reports values iamlint could not evaluate, so nothing passes silently.
    ///
    /// ## What it does
    /// Lists every value in a policy that the frontend could not evaluate: a Terraform variable
    /// without a default, a resource attribute known only after apply, a CloudFormation pseudo
    /// parameter without a default. An unknown value is never read as `*` and never dropped; the
    /// other rules judge the statement on what is known. This finding says what was left out and why.
    ///
    /// Each root cause is reported once per file (a variable without a default, a parameter, a
    /// remote module, ...), at its first use, with its other uses as related locations. A value
    /// that reaches no policy is not reported: a remote Terraform module whose outputs no policy
    /// reads is simply not fetched.
    ///
    /// The deploying account's own coordinates are not reported: CloudFormation pseudo parameters
    /// (`AWS::AccountId`, `AWS::Region`, `AWS::Partition`, `AWS::URLSuffix`, `AWS::StackName`, ...)
    /// and Terraform's `data.aws_caller_identity`, `data.aws_region` and `data.aws_partition`. They
    /// stand for "this account" or "this region", which every rule already treats as a specific
    /// value, so reporting them would only add noise to every template.
    ///
    /// Nor are references to a resource declared in the same CloudFormation template (`!Ref Queue`,
    /// `!GetAtt Bucket.Arn`, `!Sub '${Bucket.Arn}/*'`) or to a Terraform resource or data source
    /// (`aws_s3_bucket.b.arn`, `data.aws_caller_identity.current.account_id`): such a value names
    /// the one resource the template or module creates or reads, which is as narrow as a written
    /// ARN, and real code uses it everywhere. The value stays unknown to the other rules (it is
    /// never read as `*`); only this report is skipped. A `!GetAtt` of a resource the template does
    /// not declare is still reported.
    ///
    /// Placeholders of a policy template (an ALL-CAPS `ACCOUNT_ID` in an ARN's account field, a
    /// `[placeholders] tokens` entry, or an `<angle-bracket>` placeholder anywhere, as in AWS's
    /// documentation examples: `<account-id>`, `<my-corporate-cidr>`) are one finding per file
    /// naming them all, with every value that holds one as a related location; the rest of those
    /// values is judged by the other rules.
    ///
    /// ## Why is this bad?
    /// It is not bad in itself; it is information. A linter that guessed would either flag things
    /// that are fine or pass things that are not. Give the variable a default, a `.tfvars` value, or
    /// a `--var` to have it checked.
    ///
    /// ## Example
    /// ```hcl,fail
    /// variable "bucket_arn" {}
    ///
    /// resource "aws_iam_policy" "read" {
    ///   policy = jsonencode({
    ///     Version   = "2012-10-17"
    ///     Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = var.bucket_arn }]
    ///   })
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```hcl,pass
    /// resource "aws_iam_policy" "read" {
    ///   policy = jsonencode({
    ///     Version   = "2012-10-17"
    ///     Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::reports/*" }]
    ///   })
    /// }
    /// ```
    pub UnresolvedReference {
        id: "unresolved-reference",
        category: Meta,
        severity: Info,
        fix: None,
    }
}

impl Rule for UnresolvedReference {
    fn check_file(&self, file: &FileModel, _cx: &Ctx, out: &mut Vec<Finding>) {
        let mut found: Vec<(&Unknown, Span)> = Vec::new();
        for u in &file.unresolved {
            found.push((&u.value, u.span));
        }
        for doc in &file.docs {
            unknowns(doc, &mut found);
        }
        report_grouped(found, out);
    }

    fn check_document(&self, doc: &PolicyDoc, _cx: &Ctx, out: &mut Vec<Finding>) {
        let mut found = Vec::new();
        unknowns(doc, &mut found);
        report_grouped(found, out);
    }
}

/// Every unknown of a document, where it is used.
fn unknowns<'d>(doc: &'d PolicyDoc, found: &mut Vec<(&'d Unknown, Span)>) {
    for u in &doc.unresolved {
        found.push((&u.value, u.span));
    }
    for stmt in &doc.statements {
        let mut scalars: Vec<&Located<Scalar>> = Vec::new();
        scalars.extend(stmt.sid.iter());
        scalars.extend(stmt.effect.iter());
        for list in [&stmt.action, &stmt.resource].into_iter().flatten() {
            scalars.extend(list.items.iter());
        }
        if let Some(p) = &stmt.principal {
            scalars.extend(p.entries.iter().flat_map(|e| e.values.iter()));
        }
        if let Some(c) = &stmt.condition {
            for (op, entry) in c.entries() {
                scalars.push(&op.name);
                scalars.push(&entry.key);
                scalars.extend(entry.values.iter());
            }
        }
        for scalar in scalars {
            for unknown in scalar.value.unknowns() {
                found.push((unknown, scalar.span));
            }
        }
    }
}

/// One finding per root cause and file: the first use, with the others as related locations. A
/// reason that names what is missing (a variable, a module, a parameter) is the root cause;
/// otherwise the expression and the reason together are.
fn report_grouped(found: Vec<(&Unknown, Span)>, out: &mut Vec<Finding>) {
    let mut groups: Vec<(&Unknown, Span, Vec<Span>)> = Vec::new();
    let mut index: HashMap<(FileId, &str, &str), usize> = HashMap::new();
    for (u, span) in found {
        if u.local_resource || u.reference.is_some() || is_own_coordinate(&u.expr) {
            continue;
        }
        let expr = if u.reason.contains('`') {
            ""
        } else {
            u.expr.as_str()
        };
        match index.entry((span.file, expr, u.reason.as_str())) {
            Entry::Occupied(e) => {
                let group = &mut groups[*e.get()];
                if group.1 != span && !group.2.contains(&span) {
                    group.2.push(span);
                }
            }
            Entry::Vacant(e) => {
                e.insert(groups.len());
                groups.push((u, span, Vec::new()));
            }
        }
    }
    for (u, span, others) in groups {
        out.extend(report(u, span, &others));
    }
}

/// Expressions that stand for the deploying account, region or partition.
fn is_own_coordinate(expr: &str) -> bool {
    let expr = expr.trim_start_matches("!Ref ").trim_start_matches("Ref ");
    expr.starts_with("AWS::")
        || [
            "data.aws_caller_identity.",
            "data.aws_region.",
            "data.aws_partition.",
        ]
        .iter()
        .any(|p| expr.starts_with(p))
}

fn report(unknown: &Unknown, span: Span, others: &[Span]) -> Option<Finding> {
    let message = match unknown.kind {
        // The reason names the placeholders already.
        UnknownKind::Placeholder => unknown.reason.clone(),
        _ => format!(
            "`{}` could not be evaluated: {}",
            unknown.expr, unknown.reason
        ),
    };
    let mut finding = UnresolvedReference::finding(span, message)
    .help(match unknown.kind {
        UnknownKind::Value => "give it a known value to have it checked: a variable default, a .tfvars entry or --var in Terraform, a parameter Default in CloudFormation",
        UnknownKind::Placeholder => "fill in the placeholders before the policy is used; the rest of each value is checked, and `[placeholders] tokens` in iamlint.toml names the tokens of your own templates",
        UnknownKind::OtherToolsTemplate => "render the template with its tool and lint the output, or exclude the file in .iamlintignore",
    })
    .confidence(Confidence::Low);
    for other in others {
        finding = finding.related(*other, "also used here");
    }
    finding.build().into()
}
