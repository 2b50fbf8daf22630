use crate::model::action::{has_wildcard, split_action};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags actions that do not exist in their service.
    ///
    /// ## What it does
    /// Looks up every literal action of `Action` and `NotAction` (in Allow and Deny statements) in
    /// the embedded Service Authorization Reference, case-insensitively, and suggests the closest
    /// existing action. Unknown services are left to `unknown-service`, wildcards to
    /// `wildcard-matches-nothing`.
    ///
    /// ## Why is this bad?
    /// IAM stores misspelt actions without complaint. `s3:GetObjects` grants nothing, so the job
    /// fails at run time and someone widens the policy to `s3:*` to make it work; in a `Deny`, the
    /// misspelling silently removes the guard rail.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjects", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// Actions a service documents on its own IAM permissions page but the reference omits (AWS
    /// Transform's web-app APIs such as `transform:ListWorkspaces`) are known from the reviewed
    /// table `rules/reviewed/documented-actions.tsv`, each line citing the page.
    ///
    /// ## Known limitations
    /// Actions AWS has retired are no longer in the reference and are reported here too.
    ///
    /// ## References
    /// - [Service Authorization Reference](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    pub UnknownAction {
        id: "unknown-action",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

impl Rule for UnknownAction {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        let Some(actions) = &stmt.action else { return };
        for action in actions.known() {
            let Some((service, name)) = split_action(action.value) else {
                continue;
            };
            if has_wildcard(action.value) || cx.catalog.service(service).is_none() {
                continue;
            }
            if cx.catalog.action(action.value).is_some()
                || crate::catalog::reviewed::find(
                    crate::catalog::reviewed::documented_actions(),
                    service,
                    name,
                )
                .next()
                .is_some()
            {
                continue;
            }
            let message = if name.is_empty() {
                format!("`{}` names no action after the colon", action.value)
            } else {
                format!("`{name}` is not an action of `{service}`")
            };
            let mut finding = Self::finding(action.span, message);
            thread_local! {
                static SIMILAR: crate::memo::Table<Option<String>> = Default::default();
            }
            // The same misspelling recurs across a tree, and each guess scans the service.
            let similar = crate::memo::remembered(&SIMILAR, action.value, |a| {
                cx.catalog.similar_actions(a, 1).into_iter().next()
            });
            finding = match similar {
                Some(s) => finding.help(format!("did you mean `{s}`?")),
                None => finding.help(format!(
                    "run `iamlint expand '{service}:*'` to list the actions of `{service}`"
                )),
            };
            out.push(finding.path(stmt.path.clone()).build());
        }
    }
}
