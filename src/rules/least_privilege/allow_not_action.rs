use crate::rules::prelude::*;

declare_rule! {
    /// Flags Allow statements that use `NotAction`.
    ///
    /// ## What it does
    /// Reports every Allow statement with `NotAction`, and counts how many actions of the embedded
    /// Service Authorization Reference it grants (a list too long to count within a fixed amount of
    /// work, megabytes of patterns, is reported without the count). It is an error when the
    /// resource is `"*"`. Deny
    /// statements with `NotAction` (the usual "deny everything except" guard rail) are left alone.
    ///
    /// ## Why is this bad?
    /// `NotAction` with `Allow` grants every action except the listed ones, including every action
    /// of every service AWS launches later. It reads like a restriction and behaves like
    /// administrator access minus a few services.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: NotAction](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html)
    pub AllowNotAction {
        id: "allow-not-action",
        category: LeastPrivilege,
        severity: Warning,
        fix: None,
    }
}

impl Rule for AllowNotAction {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if !stmt.allows() {
            return;
        }
        let Some(not_action) = stmt.action.as_ref().filter(|a| a.negated) else {
            return;
        };
        let granted = cx
            .catalog
            .count_unmatched(not_action.known().map(|a| a.value));
        let counted = match granted {
            Some(n) => format!(" ({} today)", plural(n, "action")),
            None => " (too many patterns to count)".to_string(),
        };
        let on_star = stmt.resources().is_some_and(|r| r.has_star());
        let mut finding = Self::finding(
            not_action.key,
            format!("`NotAction` in an Allow grants every action except the ones listed{counted}"),
        )
        .help("list the actions to allow in `Action` instead")
        .unsure_if(not_action.has_unknown())
        .path(stmt.path.clone());
        if on_star {
            finding = finding.severity(Severity::Error);
            if let Some(r) = stmt.resources() {
                finding = finding.related(r.span, "on every resource");
            }
        }
        out.push(finding.build());
    }
}
