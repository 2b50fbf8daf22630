use crate::rules::prelude::*;

declare_rule! {
    /// Flags policy documents without a `Version`.
    ///
    /// ## What it does
    /// Reports a JSON policy document that has no `Version` element. Terraform's
    /// `aws_iam_policy_document` always writes one, so it is never flagged.
    ///
    /// ## Why is this bad?
    /// Without `Version`, IAM evaluates the policy with the 2008-10-17 language, in which policy
    /// variables such as `${aws:username}` are plain text. A statement meant to scope access to each
    /// user's own prefix then matches nothing, or the literal string, and the author does not notice.
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
        if doc.version.is_some() || doc.syntax == Syntax::HclPolicyDocument {
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
