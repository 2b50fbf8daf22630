use crate::rules::prelude::*;

declare_rule! {
    /// Flags Allow statements that use `NotResource`.
    ///
    /// ## What it does
    /// Reports every Allow statement with `NotResource`. Deny statements with `NotResource` are left
    /// alone.
    ///
    /// ## Why is this bad?
    /// `NotResource` with `Allow` grants the actions on every resource except the listed ones,
    /// including resources created later and resources in other accounts that trust this one.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secrets/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: NotResource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html)
    pub AllowNotResource {
        id: "allow-not-resource",
        category: LeastPrivilege,
        severity: Warning,
        fix: None,
    }
}

impl Rule for AllowNotResource {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        _cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if !stmt.allows() {
            return;
        }
        let Some(not_resource) = stmt.resource.as_ref().filter(|r| r.negated) else {
            return;
        };
        let mut finding = Self::finding(
            not_resource.key,
            "`NotResource` in an Allow grants the actions on every resource except the ones listed",
        )
        .help("list the resources to allow in `Resource` instead")
        .path(stmt.path.clone());
        if let Some(actions) = &stmt.action {
            finding = finding.related(actions.span, "these actions");
        }
        out.push(finding.build());
    }
}
