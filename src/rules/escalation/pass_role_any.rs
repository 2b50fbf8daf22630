use crate::model::action::{split_action, wildcard_match};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags `iam:PassRole` on every role without an `iam:PassedToService` condition.
    ///
    /// ## What it does
    /// Reports an Allow statement of an identity policy whose `Action` grants `iam:PassRole`
    /// (`iam:PassRole`, `iam:Pass*`, `iam:*`; the catch-all `*` is left to `wildcard-action`) on
    /// `Resource: "*"` or on every role (`arn:aws:iam::*:role/*`, `arn:aws:iam::111122223333:role/*`),
    /// unless the statement's `Condition` uses `iam:PassedToService`, or narrows the roles by
    /// `iam:ResourceTag/...`, `aws:ResourceTag/...` or `iam:AssociatedResourceArn`.
    ///
    /// ## Why is this bad?
    /// Passing a role hands its permissions to a service that then acts on the principal's behalf.
    /// With every role passable to every service, the principal can run code (a Lambda function, an
    /// EC2 instance, a build) under the most privileged role in the account.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecs:RegisterTaskDefinition", "iam:PassRole"], "Resource": "*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "ecs:RegisterTaskDefinition", "Resource": "*"},
    ///   {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app-task",
    ///    "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}
    /// ]}
    /// ```
    ///
    /// ## References
    /// - [Granting a user permissions to pass a role to an AWS service](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html)
    /// - [IAM condition keys: iam:PassedToService](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService)
    pub PassRoleAny {
        id: "pass-role-any",
        category: Escalation,
        severity: Warning,
        fix: None,
    }
}

/// Every role: `*`, or an IAM ARN whose resource part is `*` or `role/*`.
fn every_role(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    let Some(arn) = crate::model::arn::parse_arn(value) else {
        return false;
    };
    (arn.service == "iam" || arn.service == "*")
        && matches!(arn.resource, "*" | "role/*" | "role*" | "role/*/*")
}

fn narrows_roles(stmt: &Statement) -> bool {
    stmt.condition.as_ref().is_some_and(|c| {
        c.entries().any(|(_, e)| {
            e.key.value.as_str().is_some_and(|k| {
                let k = k.to_ascii_lowercase();
                k == "iam:passedtoservice"
                    || k == "iam:associatedresourcearn"
                    || k.starts_with("iam:resourcetag/")
                    || k.starts_with("aws:resourcetag/")
            })
        })
    })
}

impl Rule for PassRoleAny {
    fn check_statement(
        &self,
        stmt: &Statement,
        doc: &PolicyDoc,
        _cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if !stmt.allows() || doc.kind != PolicyKind::Identity || narrows_roles(stmt) {
            return;
        }
        let (Some(actions), Some(resources)) = (stmt.actions(), stmt.resources()) else {
            return;
        };
        // A template with holes only outside the resource part (`arn:aws:iam::${AWS::AccountId}:role/*`)
        // still names every role; a hole in the resource part (`role/${var.name}`) does not.
        let Some(resource) = resources.items.iter().find(|r| match &r.value {
            Scalar::Str(s) => every_role(s),
            Scalar::Template(t) => every_role(&t.with_holes("x")),
            Scalar::Other(_) | Scalar::Unknown(_) => false,
        }) else {
            return;
        };
        for action in actions.known() {
            let Some((service, _)) = split_action(action.value) else {
                continue;
            };
            if !service.eq_ignore_ascii_case("iam") || !wildcard_match(action.value, "iam:PassRole")
            {
                continue;
            }
            let what = if action.value.eq_ignore_ascii_case("iam:PassRole") {
                "`iam:PassRole`".to_string()
            } else {
                format!("`{}` grants `iam:PassRole`", action.value)
            };
            out.push(
                Self::finding(
                    action.span,
                    format!("{what} on every role, to any service"),
                )
                .related(resource.span, "every role")
                .help("list the roles this principal passes, and add `\"StringEquals\": {\"iam:PassedToService\": \"<service>.amazonaws.com\"}`")
                .path(stmt.path.clone())
                .build(),
            );
        }
    }
}
