use crate::model::action::{has_wildcard, split_action};
use crate::rules::prelude::*;
use crate::text::list_some;

declare_rule! {
    /// Flags Allow statements whose action wildcards grant write or permissions-management access.
    ///
    /// ## What it does
    /// Expands every wildcard in the `Action` of an Allow statement against the embedded Service
    /// Authorization Reference. `*` is an error; a whole service (`s3:*`) or a pattern spanning
    /// services (`*:Get*`) is a warning; a partial pattern (`iam:Put*`) is a warning only when it
    /// reaches Write or Permissions management actions. Read-only patterns such as `s3:Get*` and all
    /// Deny statements are left alone. On a VPC endpoint policy, `*` is info only: it is AWS's
    /// default endpoint policy, which limits what calls through the endpoint may do and grants
    /// nothing by itself (identity and resource policies still decide). A policy file of its own
    /// whose every statement names `Principal: "*"` and a `Resource`, with an Allow of `"*"` for
    /// principal, action and resource, has that shape and is read as one. Also info: `*` in a
    /// bucket policy statement conditioned on `s3:DataAccessPointAccount` or
    /// `s3:DataAccessPointArn` (AWS's delegation of access control to access points), a pattern
    /// that matches exactly one action that does not manage permissions (`sqs:SendMessage*`), and
    /// `service:*` for a service whose every action an AWS agent calls
    /// (`rules/reviewed/agent-services.tsv`: `ssmmessages`, `ec2messages`).
    ///
    /// In the access policy of an OpenSearch or Elasticsearch domain, an `es:` pattern is judged
    /// by the domain's HTTP methods it allows (`es:ESHttp*`): only they are requests to the domain
    /// (the rest of `es:` configures domains through identity policies), so `es:*` there is "every
    /// request to this domain", not 137 actions of the service.
    ///
    /// In a KMS key policy (the `policy` of Terraform's `aws_kms_key`, `aws_kms_key_policy` and
    /// `aws_kms_replica_key`, the `KeyPolicy` of `AWS::KMS::Key` and `AWS::KMS::ReplicaKey`, or a
    /// resource policy, or a policy document of its own whose every statement names a principal,
    /// that grants only `kms:` actions) every `kms:` pattern acts on that one key.
    /// There `kms:*` for the account (`arn:aws:iam::<account>:root` or the bare account id) is AWS's
    /// default key policy, which hands the key's control to the account's IAM policies, and partial
    /// patterns such as `kms:Encrypt*`, `kms:ReEncrypt*`, `kms:GenerateDataKey*` or `kms:Create*`
    /// are the ones AWS's default policies for key users and key administrators list; neither is
    /// reported. `kms:*` for any other principal still is: it lets that principal rewrite the key
    /// policy and schedule the key's deletion.
    ///
    /// ## Why is this bad?
    /// A wildcard grants every action that matches it today and every action AWS adds tomorrow.
    /// `s3:*` on a bucket includes `s3:PutBucketPolicy` and `s3:DeleteBucket`, which no deploy job
    /// needs and which turn a leaked CI credential into a lost bucket.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::site/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::site/*"}]}
    /// ```
    ///
    /// ## References
    /// - [Grant least privilege](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
    /// - [IAM JSON policy elements: Action](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
    /// - [Default key policy](https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html) (the account statement, key administrators, key users)
    pub WildcardAction {
        id: "wildcard-action",
        category: LeastPrivilege,
        severity: Warning,
        fix: None,
    }
}

impl Rule for WildcardAction {
    fn check_statement(&self, stmt: &Statement, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        if !stmt.allows() {
            return;
        }
        let Some(actions) = stmt.actions() else {
            return;
        };
        let key_policy = is_key_policy(doc);
        for action in actions.known() {
            if !has_wildcard(action.value) {
                continue;
            }
            if key_policy && is_prescribed_key_pattern(action.value, stmt) {
                continue;
            }
            let everything = action.value == "*";
            let judged = if doc.kind == PolicyKind::Resource && doc.origin.is_search_domain_policy()
            {
                judge_in_domain_policy(action.clone(), cx).or_else(|| judge(action, cx))
            } else {
                judge(action, cx)
            };
            if let Some(finding) = judged {
                let mut finding = finding
                    .help("list only the actions this principal calls")
                    .path(stmt.path.clone());
                if everything && doc.is_vpc_endpoint_policy() {
                    // AWS's default endpoint policy: it limits nothing, and grants nothing.
                    finding = finding.severity(Severity::Info);
                } else if doc.kind == PolicyKind::Resource && delegates_to_access_points(stmt) {
                    // AWS's bucket policy that hands access control to the account's access
                    // points: each access point's own policy decides.
                    finding = finding.severity(Severity::Info);
                }
                if let Some(resources) = stmt.resources() {
                    finding = finding.related(resources.span, "on these resources");
                }
                out.push(finding.build());
            }
        }
    }
}

/// A bucket policy statement that applies only to requests made through an access point of a
/// named account or ARN (`s3:DataAccessPointAccount`, `s3:DataAccessPointArn` with a positive
/// operator): AWS documents `"Action": "*"` there to delegate access control to access points.
fn delegates_to_access_points(stmt: &Statement) -> bool {
    stmt.condition.as_ref().is_some_and(|c| {
        c.entries().any(|(op, e)| {
            let positive = op
                .name
                .value
                .as_str()
                .is_some_and(|o| !o.to_ascii_lowercase().contains("not") && !o.contains(':'));
            let key = e.key.value.as_str().is_some_and(|k| {
                k.eq_ignore_ascii_case("s3:DataAccessPointAccount")
                    || k.eq_ignore_ascii_case("s3:DataAccessPointArn")
            });
            positive
                && key
                && !e.values.is_empty()
                && e.values
                    .iter()
                    .all(|v| v.value.literal().is_none_or(|l| l != "*" && !l.is_empty()))
        })
    })
}

/// A KMS key policy: the key resources' policy attributes (by the address or CloudFormation
/// type of the document's origin), or a resource policy whose known actions are all `kms:`.
fn is_key_policy(doc: &PolicyDoc) -> bool {
    const KEY_RESOURCES: &[&str] = &["aws_kms_key", "aws_kms_key_policy", "aws_kms_replica_key"];
    if let Some(ty) = &doc.origin.resource_type {
        return ty == "AWS::KMS::Key" || ty == "AWS::KMS::ReplicaKey";
    }
    if let Some(address) = &doc.origin.address {
        let key_resource = address.split('.').any(|part| {
            let part = part.split('[').next().unwrap_or(part);
            KEY_RESOURCES.contains(&part)
        });
        // Another resource's policy is not a key policy; a policy document on its own may be.
        if key_resource || !address.contains("aws_iam_policy_document") {
            return key_resource;
        }
    }
    let mut actions = doc
        .statements
        .iter()
        .filter_map(|s| s.actions())
        .flat_map(|a| a.known())
        .peekable();
    // A resource policy, or a document of no known kind (a Terraform policy document linted on
    // its own) whose every statement names a principal: a resource policy in shape.
    let resource_shaped = doc.kind == PolicyKind::Resource
        || doc.kind == PolicyKind::Unknown
            && !doc.statements.is_empty()
            && doc.statements.iter().all(|s| s.principal.is_some());
    resource_shaped
        && actions.peek().is_some()
        && actions.all(|a| {
            split_action(a.value).is_some_and(|(service, _)| service.eq_ignore_ascii_case("kms"))
        })
}

/// In a key policy: a partial `kms:` pattern, or `kms:*` granted only to accounts (AWS's default
/// key policy, see the rule doc).
fn is_prescribed_key_pattern(pattern: &str, stmt: &Statement) -> bool {
    let Some((service, name)) = split_action(pattern) else {
        return false;
    };
    if !service.eq_ignore_ascii_case("kms") {
        return false;
    }
    if name != "*" {
        return true;
    }
    let Some(principal) = stmt.principal.as_ref().filter(|p| !p.negated) else {
        return false;
    };
    let mut values = principal
        .entries
        .iter()
        .flat_map(|e| {
            e.values
                .iter()
                .map(move |v| (e.kind.value.as_str(), &v.value))
        })
        .peekable();
    values.peek().is_some()
        && values.all(|(kind, value)| {
            // The account may be unknown: `${data.aws_caller_identity.current.account_id}`.
            let text = match value {
                Scalar::Str(s) => s.clone(),
                Scalar::Template(t) => t.with_holes("${?}"),
                _ => return false,
            };
            let account = text
                .strip_prefix("arn:")
                .and_then(|rest| rest.split_once(":iam::"))
                .and_then(|(_, rest)| rest.strip_suffix(":root"))
                .unwrap_or(&text);
            kind == "AWS"
                && (account == "${?}"
                    || account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// In a search domain's access policy, an `es:` pattern that reaches the domain's HTTP methods
/// (`es:*`, `es:ESHttp*`): only those (`es:ESHttp*`) are requests to the domain, the others are
/// configuration calls an identity policy grants. The message counts what the pattern allows
/// there, not the whole service.
fn judge_in_domain_policy(
    action: Located<&str>,
    cx: &Ctx,
) -> Option<crate::finding::FindingBuilder> {
    let (service, _) = split_action(action.value)?;
    if !service.eq_ignore_ascii_case("es") {
        return None;
    }
    let http: Vec<ActionRef> = cx
        .catalog
        .expand(action.value)
        .into_iter()
        .filter(|a| a.action.name.starts_with("ESHttp"))
        .collect();
    if http.len() < 2 {
        return None;
    }
    let writes = http
        .iter()
        .filter(|a| a.action.access.contains(AccessLevels::WRITE))
        .count();
    let all = cx.catalog.expand("es:ESHttp*").len() == http.len();
    let names: Vec<String> = http.iter().map(ActionRef::full_name).collect();
    let message = if all {
        format!(
            "`{}` allows every request to this domain (all {} `es:ESHttp*` methods, {writes} of them write)",
            action.value,
            http.len()
        )
    } else {
        format!(
            "`{}` allows {} of this domain's HTTP methods ({}), {writes} of them write",
            action.value,
            http.len(),
            list_some(&names, 6)
        )
    };
    Some(WildcardAction::finding(action.span, message))
}

fn judge(action: Located<&str>, cx: &Ctx) -> Option<crate::finding::FindingBuilder> {
    if action.value == "*" {
        return Some(
            WildcardAction::finding(action.span, "`*` allows every action of every service")
                .severity(Severity::Error),
        );
    }
    thread_local! {
        static MESSAGES: crate::memo::Table<Option<String>> = Default::default();
        static SINGLE: crate::memo::Table<bool> = Default::default();
    }
    let message = crate::memo::remembered(&MESSAGES, action.value, |p| message(p, cx))?;
    let finding = WildcardAction::finding(action.span, message);
    // `ssmmessages:*`: every action of the service is one the SSM agent calls (reviewed table).
    if let Some(("*", service)) = split_action(action.value).map(|(s, n)| (n, s)) {
        if crate::catalog::reviewed::is_agent_service(service) {
            return Some(finding.severity(Severity::Info));
        }
    }
    // A pattern that matches one action grants what that action's name grants (`sqs:SendMessage*`
    // is `sqs:SendMessage`), unless it manages permissions: worth a look, not likely too broad.
    let single = crate::memo::remembered(&SINGLE, action.value, |p| {
        let matched = cx.catalog.expand(p);
        matched.len() == 1
            && !matched[0]
                .action
                .access
                .contains(AccessLevels::PERMISSIONS_MANAGEMENT)
    });
    Some(if single {
        finding.severity(Severity::Info)
    } else {
        finding
    })
}

/// The finding's message for a pattern other than `*`; `None` when it grants no write or
/// permissions management.
fn message(pattern: &str, cx: &Ctx) -> Option<String> {
    let (service, name) = split_action(pattern)?;
    let matched = cx.catalog.expand(pattern);
    if matched.is_empty() {
        return None;
    }
    if has_wildcard(service) {
        let mut services: Vec<&str> = matched.iter().map(|a| a.service.prefix.as_str()).collect();
        services.dedup();
        return Some(format!(
            "`{pattern}` matches {} across {}",
            plural(matched.len(), "action"),
            plural(services.len(), "service")
        ));
    }
    let mut powerful: Vec<String> = matched
        .iter()
        .filter(|a| {
            a.action
                .access
                .contains(AccessLevels::PERMISSIONS_MANAGEMENT)
        })
        .map(|a| a.full_name())
        .collect();
    // Name the ones a reader recognises first: those that rewrite policies and ACLs.
    powerful.sort_by_key(|name| {
        (
            !name.contains("Policy"),
            !name.contains(":Put"),
            !name.contains("Acl"),
            name.clone(),
        )
    });
    let writes = matched
        .iter()
        .filter(|a| a.action.access.contains(AccessLevels::WRITE))
        .count();
    let detail = if powerful.is_empty() {
        format!(
            "{} of them {}",
            writes,
            if writes == 1 { "writes" } else { "write" }
        )
    } else {
        format!(
            "including {} that {} permissions ({})",
            plural(powerful.len(), "action"),
            if powerful.len() == 1 {
                "manages"
            } else {
                "manage"
            },
            list_some(&powerful, 2)
        )
    };
    if name == "*" {
        return Some(format!(
            "`{pattern}` allows all {} of `{service}`, {detail}",
            plural(matched.len(), "action")
        ));
    }
    if powerful.is_empty() && writes == 0 {
        return None;
    }
    Some(format!(
        "`{pattern}` matches {}, {detail}",
        plural(matched.len(), "action")
    ))
}
