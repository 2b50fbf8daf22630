use crate::rules::prelude::*;

declare_rule! {
    /// Flags policies that AWS would reject as malformed.
    ///
    /// ## What it does
    /// Reports structural problems found while reading a policy: a missing `Effect`, `Action` or
    /// `Resource`; both `Action` and `NotAction` in one statement; an `Effect` other than `Allow` or
    /// `Deny`; a `Version` that is not `2012-10-17` or `2008-10-17`; unknown or wrongly cased keys;
    /// duplicate keys; values of the wrong type; a `Principal` in an identity policy; a trust policy
    /// without a `Principal`; and action strings that are not of the form `service:action`.
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
        for stmt in &doc.statements {
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
