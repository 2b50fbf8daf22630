use crate::model::action::{has_wildcard, split_action};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags actions whose service prefix does not exist.
    ///
    /// ## What it does
    /// Checks the service part of every action in `Action` and `NotAction` (in Allow and Deny
    /// statements) against the embedded Service Authorization Reference, and suggests the closest
    /// prefix. Patterns whose service part has a wildcard are left to `wildcard-matches-nothing`.
    ///
    /// ## Why is this bad?
    /// IAM accepts any service prefix, so a typo such as `s3-objectlambda:*` is stored without
    /// complaint and grants nothing. In a `Deny` statement the typo is worse: the guard rail the
    /// author meant to add does not exist.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sss:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// ## Known limitations
    /// Services AWS has retired (`rules/deprecated-services.toml`) are left to `deprecated-service`.
    ///
    /// ## References
    /// - [Service Authorization Reference](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    pub UnknownService {
        id: "unknown-service",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

impl Rule for UnknownService {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        let Some(actions) = &stmt.action else { return };
        for action in actions.known() {
            let Some((service, _)) = split_action(action.value) else {
                continue;
            };
            if has_wildcard(service)
                || cx.catalog.service(service).is_some()
                || cx.catalog.retired_service(service).is_some()
            {
                continue;
            }
            let mut finding = Self::finding(
                action.span,
                format!(
                    "`{service}` is not a known service prefix (in `{}`)",
                    action.value
                ),
            );
            let similar = cx.catalog.similar_services(service, 1);
            finding = match similar.first() {
                Some(s) => finding.help(format!("did you mean `{s}`?")),
                None => finding.help(format!(
                    "check the prefix against the Service Authorization Reference (catalog of {})",
                    cx.catalog.meta().date
                )),
            };
            out.push(finding.path(stmt.path.clone()).build());
        }
    }
}
