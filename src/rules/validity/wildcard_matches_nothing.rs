use crate::model::action::{has_wildcard, split_action};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags action wildcards that match no action.
    ///
    /// ## What it does
    /// Expands every action pattern with `*` or `?` in `Action` and `NotAction` against the embedded
    /// Service Authorization Reference and reports the ones that match nothing. Patterns in an
    /// unknown service are left to `unknown-service`.
    ///
    /// ## Why is this bad?
    /// A pattern like `s3:Gett*` is accepted by IAM and grants nothing; a pattern that matched
    /// actions AWS has since retired is dead weight that hides what the policy really needs.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Gett*", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: Action](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
    pub WildcardMatchesNothing {
        id: "wildcard-matches-nothing",
        category: Validity,
        severity: Warning,
        fix: None,
    }
}

/// How many patterns with a wildcard in the service part one statement has checked.
const MAX_ACROSS_SERVICES: usize = 1_000;

impl Rule for WildcardMatchesNothing {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        let Some(actions) = &stmt.action else { return };
        // A pattern with a wildcard in its service part is matched against every service: past
        // this many in one statement (megabytes of `*:NameN`), the rest are not checked.
        let mut across_services = MAX_ACROSS_SERVICES;
        // The patterns past the cap: the first one's span, and how many.
        let mut unchecked: Option<(Span, usize)> = None;
        for action in actions.known() {
            if !has_wildcard(action.value) {
                continue;
            }
            let Some((service, _)) = split_action(action.value) else {
                continue;
            };
            if !has_wildcard(service) && cx.catalog.service(service).is_none() {
                continue;
            }
            if has_wildcard(service) {
                let Some(left) = across_services.checked_sub(1) else {
                    unchecked.get_or_insert((action.span, 0)).1 += 1;
                    continue;
                };
                across_services = left;
            }
            if !cx.catalog.matches_any(action.value) {
                out.push(
                    Self::finding(action.span, format!("`{}` matches no action", action.value))
                        .help(format!(
                            "fix the pattern or remove it; `iamlint expand '{}'` shows what a pattern matches",
                            service.to_owned() + ":*"
                        ))
                        .path(stmt.path.clone())
                        .build(),
                );
            }
        }
        // The check was partial: say so, or a clean result would read as "every pattern matches".
        if let Some((span, count)) = unchecked {
            out.push(
                Self::finding(
                    span,
                    format!(
                        "wildcard-matches-nothing checked this statement in part: past {} patterns \
                         with a wildcard in the service part, {} (from this one on) were not checked",
                        crate::text::thousands(MAX_ACROSS_SERVICES),
                        crate::text::thousands(count),
                    ),
                )
                .severity(Severity::Info)
                .help("name the services: a pattern like `*:Get*` is matched against every service")
                .path(stmt.path.clone())
                .build(),
            );
        }
    }
}
