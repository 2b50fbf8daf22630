use crate::model::action::{has_wildcard, split_action};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags actions of services that AWS has retired.
    ///
    /// ## What it does
    /// Checks the service part of every action in `Action` and `NotAction` (Allow and Deny statements)
    /// against the hand-kept list of retired prefixes in `rules/deprecated-services.toml` (CodeStar,
    /// DeepComposer, DeepLens, DeepRacer, Elastic Inference, CloudWatch Evidently, IoT 1-Click,
    /// IoT Events, IoT RoboRunner, Mobile Hub, WorkDocs' `zocalo`), each with the page that announces
    /// its end. Such prefixes are not reported by `unknown-service`. Patterns whose service part has
    /// a wildcard are left alone.
    ///
    /// ## Why is this bad?
    /// An action of a retired service grants nothing any more: it is dead weight that makes the
    /// policy harder to review, and it hints that the policy has not been revisited since the
    /// service was in use. In a `Deny` it guards nothing.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codestar:ListProjects", "Resource": "*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codecommit:GitPull", "Resource": "arn:aws:codecommit:us-east-1:111122223333:app"}]}
    /// ```
    ///
    /// ## References
    /// - [Service Authorization Reference](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - Per-service retirement notices: the `source` of each entry in `rules/deprecated-services.toml`
    pub DeprecatedService {
        id: "deprecated-service",
        category: Validity,
        severity: Warning,
        fix: None,
    }
}

impl Rule for DeprecatedService {
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
            if has_wildcard(service) {
                continue;
            }
            let Some(retired) = cx.catalog.retired_service(service) else {
                continue;
            };
            let help = match &retired.replacement {
                Some(r) => format!(
                    "remove `{}`; AWS points to {r} instead (see {})",
                    action.value, retired.source
                ),
                None => format!("remove `{}` (see {})", action.value, retired.source),
            };
            out.push(
                Self::finding(
                    action.span,
                    format!(
                        "`{service}` belongs to {}, which AWS retired ({})",
                        retired.name, retired.retired
                    ),
                )
                .help(help)
                .path(stmt.path.clone())
                .build(),
            );
        }
    }
}
