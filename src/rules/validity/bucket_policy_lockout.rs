use crate::model::action::wildcard_match;
use crate::model::arn::{account_of, parse_arn};
use crate::model::{ConditionEntry, PrincipalField};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags S3 bucket policies whose Deny leaves only the account's root user able to fix them.
    ///
    /// ## What it does
    /// Looks at S3 bucket policies: Terraform `aws_s3_bucket_policy` and `aws_s3_bucket`'s
    /// `policy` (written inline or as an `aws_iam_policy_document` they use), CloudFormation
    /// `AWS::S3::BucketPolicy`, and a policy file of its own whose statements all name a
    /// `Principal` and only S3 bucket or object ARNs. A `Deny` statement is reported when all of
    /// these hold:
    ///
    /// - it denies both `s3:PutBucketPolicy` and `s3:DeleteBucketPolicy` (by name, through `s3:*`,
    ///   `*` or another pattern, or by leaving them out of a `NotAction`);
    /// - a `Resource` can be the bucket itself (`arn:aws:s3:::b`, `"*"`, a bucket ARN from a
    ///   reference), not only its objects (`arn:aws:s3:::b/*`);
    /// - and it names no IAM principal as an exception: either `Principal: "*"` with no
    ///   `Condition`, or `Principal: "*"` whose every condition entry is a negated comparison
    ///   (`StringNotEquals`, `StringNotLike`, `ArnNotEquals`, `ArnNotLike`) that exempts only root
    ///   users (`aws:PrincipalArn` on `arn:aws:iam::111122223333:root`, `aws:userid` on an account
    ///   id, `aws:PrincipalType` on `Account`), or a `NotPrincipal` that names only accounts (which
    ///   exempts their root users alone) or names users or roles without their account (AWS then
    ///   evaluates the account first and denies the listed principals too).
    ///
    /// Not reported: a Deny with any other condition (`aws:SecureTransport`, `aws:SourceVpce`,
    /// `aws:SourceIp`, `aws:PrincipalAccount`, an `aws:PrincipalArn` exception naming a role or
    /// user): someone in the account can still meet it or is exempt, and can fix the policy. A Deny
    /// on object actions or object ARNs only, a Deny of `s3:PutBucketPolicy` (or `s3:Put*`) without
    /// `s3:DeleteBucketPolicy` (an administrator can still delete the policy, and the Deny with
    /// it), a `NotPrincipal` listing a role together with its
    /// account, a `NotResource`, and principals or conditions the input does not show
    /// (`var.admin_arns`) are left alone.
    ///
    /// ## Why is this bad?
    /// Once such a policy is in place, no user or role of the account, administrators included,
    /// can read, change or delete it: every later `terraform apply` or stack update of the bucket
    /// policy fails with Access Denied. S3 lets only the bucket owner's root user (or a
    /// centralized root session) delete the policy, so recovery needs root credentials that a
    /// well-run account keeps locked away. It is a warning, not an error: the lock-out grants
    /// nothing to anyone and is recoverable, but it is rarely what the author meant.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
    ///   "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
    ///   "Condition": {"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:root"}}}]}
    /// ```
    ///
    /// Use instead: exempt the role that administers the bucket.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
    ///   "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
    ///   "Condition": {"ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/storage-admin"]}}}]}
    /// ```
    ///
    /// ## Known limitations
    /// An exception naming a role that no longer exists (or is later deleted) is not detected;
    /// iamlint does not know which roles exist.
    ///
    /// ## References
    /// - [How do I regain access to my Amazon S3 bucket after I accidentally denied everyone access?](https://repost.aws/knowledge-center/s3-accidentally-denied-access)
    /// - [DeleteBucketPolicy: the root user can always delete the policy](https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html)
    /// - [NotPrincipal with Deny: name the account of the exempt principal too](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
    /// - [Global condition keys: aws:PrincipalArn, aws:userid, aws:PrincipalType](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    pub BucketPolicyLockout {
        id: "bucket-policy-lockout",
        category: Validity,
        severity: Warning,
        fix: None,
    }
}

/// The two calls that repair a bucket policy: replacing it and deleting it.
const REPAIR: [&str; 2] = ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"];

impl Rule for BucketPolicyLockout {
    fn check_statement(
        &self,
        stmt: &Statement,
        doc: &PolicyDoc,
        _cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if stmt.effect() != Some(Effect::Deny) || !is_bucket_policy(doc) {
            return;
        }
        let (Some(action), Some(principal)) = (&stmt.action, &stmt.principal) else {
            return;
        };
        if !denies_repair(action) {
            return;
        }
        let Some(resources) = stmt.resources() else {
            return;
        };
        if !resources.items.iter().any(|r| may_be_bucket(&r.value)) {
            return;
        }
        let who = if principal.negated {
            if stmt.has_condition() {
                return;
            }
            match not_principal_exempts_nobody(principal) {
                Some(why) => why,
                None => return,
            }
        } else {
            if principal.public_values().next().is_none() {
                return;
            }
            match &stmt.condition {
                Some(c) if !c.operators.is_empty() => {
                    if !c.operators.iter().all(|op| {
                        let name = op.name.value.as_str().unwrap_or_default();
                        op.entries.iter().all(|e| exempts_only_root(name, e))
                    }) {
                        return;
                    }
                    "its only exception is the root user".to_string()
                }
                _ => "it has no exception".to_string(),
            }
        };
        let mut finding = Self::finding(
            stmt.effect.as_ref().map_or(stmt.span, |e| e.span),
            format!(
                "this Deny stops every user and role from replacing or deleting the bucket policy ({who}); only the account's root user can then fix it"
            ),
        )
        .related(action.span, "denied actions")
        .related(principal.span, "to these principals")
        .help("exempt the role that administers the bucket (`ArnNotEquals` on `aws:PrincipalArn`), or leave the policy actions out of the Deny")
        .path(stmt.path.clone());
        if let Some(c) = &stmt.condition {
            finding = finding.related(c.key, "the only exception");
        }
        out.push(finding.build());
    }
}

/// An S3 bucket policy, by the resource that holds it or, for a file of its own, by its shape.
fn is_bucket_policy(doc: &PolicyDoc) -> bool {
    if doc.kind != PolicyKind::Resource && doc.kind != PolicyKind::Unknown {
        return false;
    }
    if let Some(ty) = &doc.origin.resource_type {
        return ty == "AWS::S3::BucketPolicy";
    }
    if let Some(address) = &doc.origin.address {
        return address.split('.').any(|part| {
            let ty = part.split('[').next().unwrap_or(part);
            ty == "aws_s3_bucket_policy" || ty == "aws_s3_bucket"
        });
    }
    !doc.statements.is_empty()
        && doc.statements.iter().all(|s| {
            s.principal.is_some()
                && s.resources().is_some_and(|r| {
                    r.items.iter().all(|i| {
                        i.value.as_str().and_then(parse_arn).is_some_and(|a| {
                            a.service == "s3" && a.region.is_empty() && a.account.is_empty()
                        })
                    })
                })
        })
}

/// Whether the action list denies both repair calls; unknown items are not assumed to.
fn denies_repair(action: &ListField) -> bool {
    if action.has_unknown() {
        return false;
    }
    let matched = |name: &str| action.known().any(|a| wildcard_match(a.value, name));
    if action.negated {
        REPAIR.iter().all(|name| !matched(name))
    } else {
        REPAIR.iter().all(|name| matched(name))
    }
}

/// Whether a `Resource` item can stand for the bucket itself (not only its objects). A value
/// from a reference counts when its known text has no `/` (`${aws_s3_bucket.b.arn}`).
fn may_be_bucket(value: &Scalar) -> bool {
    let text = value.text();
    if text == "*" {
        return true;
    }
    match parse_arn(&text) {
        Some(arn) => arn.service == "s3" && !arn.resource.contains('/'),
        None => !value.is_known() && !text.contains('/'),
    }
}

/// Why a `NotPrincipal` leaves no IAM user or role exempt: it names only accounts (their root
/// users), or users and roles but none of their accounts. `None` when someone is exempt; unknown
/// values may exempt anyone.
fn not_principal_exempts_nobody(principal: &PrincipalField) -> Option<String> {
    let mut accounts = Vec::new();
    let mut others = Vec::new();
    for entry in &principal.entries {
        for v in &entry.values {
            let text = v.value.as_str()?;
            if entry.kind.value != "AWS" {
                continue; // a service or federated principal cannot edit the policy
            }
            if is_account(text) {
                accounts.push(account_of(text).unwrap_or(text));
            } else {
                others.push((text, account_of(text)));
            }
        }
    }
    let Some((first, _)) = others.first() else {
        return Some(
            "`NotPrincipal` names only accounts, which exempts their root users alone".into(),
        );
    };
    // A user or role stays exempt only with its account listed too.
    if others
        .iter()
        .any(|(_, acct)| acct.is_none_or(|a| accounts.contains(&a)))
    {
        return None;
    }
    Some(format!(
        "`NotPrincipal` names `{first}` without its account, so AWS denies it too"
    ))
}

/// `111122223333` or `arn:aws:iam::111122223333:root`.
fn is_account(text: &str) -> bool {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    parse_arn(text).is_some_and(|a| a.service == "iam" && a.resource == "root")
}

/// A negated comparison on a principal key whose every value names only root users.
fn exempts_only_root(op: &str, entry: &ConditionEntry) -> bool {
    let op = op.to_ascii_lowercase();
    let op = op.strip_suffix("ifexists").unwrap_or(&op);
    if !matches!(
        op,
        "stringnotequals" | "stringnotlike" | "arnnotequals" | "arnnotlike"
    ) {
        return false;
    }
    let Some(key) = entry.key.value.as_str() else {
        return false;
    };
    let key = key.to_ascii_lowercase();
    let root = |v: &str| match key.as_str() {
        "aws:principalarn" => {
            parse_arn(v).is_some_and(|a| a.service == "iam" && a.resource == "root")
        }
        "aws:userid" => v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()),
        "aws:principaltype" => v.eq_ignore_ascii_case("Account"),
        _ => false,
    };
    !entry.values.is_empty()
        && entry
            .values
            .iter()
            .all(|v| v.value.literal().is_some_and(root))
}
