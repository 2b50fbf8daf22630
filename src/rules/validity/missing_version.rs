use crate::rules::prelude::*;

declare_rule! {
    /// Flags policy documents without a `Version`, or with the old `2008-10-17` one.
    ///
    /// ## What it does
    /// Reports a JSON policy document that has no `Version` element, or whose `Version` is
    /// `2008-10-17` (in any syntax, Terraform's `version` argument included). Terraform's
    /// `aws_iam_policy_document` writes `2012-10-17` when `version` is not set, so a document
    /// without one is not flagged there.
    ///
    /// ## Why is this bad?
    /// Without `Version`, IAM evaluates the policy with the 2008-10-17 language, in which policy
    /// variables such as `${aws:username}` are plain text. A statement meant to scope access to each
    /// user's own prefix then matches nothing, or the literal string, and the author does not notice.
    /// Writing `"Version": "2008-10-17"` has the same effect; AWS still generates it for some
    /// default resource policies (SNS topics), which is why it is often copied.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports"}]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: Version](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html)
    pub MissingVersion {
        id: "missing-version",
        category: Validity,
        severity: Warning,
        fix: None,
    }
}

impl Rule for MissingVersion {
    fn check_document(&self, doc: &PolicyDoc, _cx: &Ctx, out: &mut Vec<Finding>) {
        if let Some(version) = &doc.version {
            if version.value.as_str() == Some("2008-10-17") {
                out.push(
                    Self::finding(
                        version.span,
                        "`2008-10-17` is the old policy language: policy variables are not expanded",
                    )
                    .help("use the current version, `2012-10-17`")
                    .path(doc.path.clone())
                    .build(),
                );
            }
            return;
        }
        if doc.syntax == Syntax::HclPolicyDocument {
            return;
        }
        // Point at the `Statement` key rather than the whole document.
        let span = doc.statement_key.unwrap_or(doc.span);
        out.push(
            Self::finding(
                span,
                "policy has no `Version`, so policy variables are not expanded",
            )
            .help("add a `Version` element with the value `2012-10-17`")
            .path(doc.path.clone())
            .build(),
        );
    }
}
