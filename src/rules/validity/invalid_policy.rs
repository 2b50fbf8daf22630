use crate::rules::prelude::*;

declare_rule! {
    /// Flags policies that AWS would reject as malformed.
    ///
    /// ## What it does
    /// Reports structural problems found while reading a policy: a missing `Effect`, `Action` or
    /// `Resource`; both `Action` and `NotAction` in one statement; an `Effect` other than `Allow` or
    /// `Deny`; a `Version` that is not `2012-10-17` or `2008-10-17`; unknown or wrongly cased keys;
    /// duplicate keys; values of the wrong type; a `Principal` in an identity policy; a trust policy
    /// without a `Principal`; action strings that are not of the form `service:action`; and, in
    /// the policies IAM itself stores (identity policies, permissions boundaries, role trust
    /// policies), a `Sid` holding anything but ASCII letters and digits (`allow-read`, `Read S3`).
    /// Resource policies are left alone there: S3, KMS, SQS and SNS accept spaces and punctuation
    /// in their `Sid`s, as AWS's own default key policy (`"Enable IAM User Permissions"`) shows.
    ///
    /// ## Why is this bad?
    /// IAM refuses malformed documents, so the deployment fails late, in the apply step rather than
    /// in review. Worse, some tools quietly drop what they do not understand: a duplicate
    /// `Statement` key hides a statement from human readers while one of the two wins.
    ///
    /// ## Example
    /// ```json,fail
    /// {
    ///   "Version": "2012-10-17",
    ///   "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {
    ///   "Version": "2012-10-17",
    ///   "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]
    /// }
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy element reference](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html)
    /// - [IAM JSON policy elements: Sid](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html)
    /// - [IAM JSON policy grammar](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html)
    pub InvalidPolicy {
        id: "invalid-policy",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

impl Rule for InvalidPolicy {
    fn check_document(&self, doc: &PolicyDoc, _cx: &Ctx, out: &mut Vec<Finding>) {
        for problem in &doc.problems {
            out.push(Self::finding(problem.span, problem.message.clone()).build());
        }
        let iam_stored = matches!(
            doc.kind,
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Trust
        );
        for stmt in &doc.statements {
            if let Some(sid) = stmt.sid.as_ref().filter(|_| iam_stored) {
                if let Some(bad) = sid
                    .value
                    .as_str()
                    .and_then(|text| text.chars().find(|c| !c.is_ascii_alphanumeric()))
                {
                    let text = sid.value.as_str().unwrap_or_default();
                    let shown = if bad == ' ' {
                        "a space".to_string()
                    } else {
                        format!("`{bad}`")
                    };
                    out.push(
                        Self::finding(
                            sid.span,
                            format!("`Sid` \"{text}\" holds {shown}; IAM accepts only ASCII letters and digits"),
                        )
                        .help("write the `Sid` in letters and digits only, e.g. `AllowReadReports`")
                        .build(),
                    );
                }
            }
            let Some(actions) = &stmt.action else {
                continue;
            };
            for action in actions.known() {
                if action.value != "*" && !action.value.contains(':') {
                    out.push(
                        Self::finding(
                            action.span,
                            format!("`{}` is not of the form `service:action`", action.value),
                        )
                        .help("prefix the action with its service, e.g. `s3:GetObject`")
                        .build(),
                    );
                }
            }
        }
    }
}
