use crate::rules::prelude::*;
use crate::rules::trust::public_principal::restricts_caller;

declare_rule! {
    /// Flags Allow statements that use `NotPrincipal`.
    ///
    /// ## What it does
    /// Reports every Allow statement with `NotPrincipal` (Terraform's `not_principals`). When the
    /// statement's `Condition` restricts the caller as `public-principal` requires (an
    /// `aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:SourceVpce`... condition), the finding is
    /// a warning instead of an error. `NotPrincipal` in a Deny statement, its documented use
    /// ("deny everyone except these principals"), is left alone.
    ///
    /// ## Why is this bad?
    /// `Allow` with `NotPrincipal` grants the actions to every principal except the listed ones:
    /// every other AWS account and, for services that accept them, anonymous callers. The policy
    /// reads like a list of principals, so reviewers miss that it is a public grant. AWS's
    /// documentation recommends against combining `NotPrincipal` with `Allow`.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/intruder"},
    ///   "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/reporting"},
    ///   "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: NotPrincipal](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
    pub AllowNotPrincipal {
        id: "allow-not-principal",
        category: Trust,
        severity: Error,
        fix: None,
    }
}

impl Rule for AllowNotPrincipal {
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
        let Some(not_principal) = stmt.principal.as_ref().filter(|p| p.negated) else {
            return;
        };
        let mut finding = Self::finding(
            not_principal.key,
            "`NotPrincipal` in an Allow grants the actions to every principal except the ones listed",
        )
        .help("name the principals to allow in `Principal` instead; keep `NotPrincipal` for Deny statements")
        .path(stmt.path.clone());
        if restricts_caller(stmt) {
            finding = finding.severity(Severity::Warning);
            if let Some(c) = &stmt.condition {
                finding = finding.related(c.key, "this condition limits the callers");
            }
        }
        if let Some(actions) = stmt.actions() {
            finding = finding.related(actions.span, "allowed to everyone else");
        }
        out.push(finding.build());
    }
}
