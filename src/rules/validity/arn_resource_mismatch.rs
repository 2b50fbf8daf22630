use crate::catalog::ResourceType;
use crate::model::action::has_wildcard;
use crate::model::arn::{parse_arn, ArnPattern};
use crate::rules::prelude::*;
use crate::text::list_some;

declare_rule! {
    /// Flags resource ARNs that no action of the statement applies to.
    ///
    /// ## What it does
    /// For a statement with `Action` and `Resource` lists, resolves every action in the embedded
    /// Service Authorization Reference (expanding wildcards) and collects the ARN formats of the
    /// resource types they accept, plus the formats AWS documents beyond the reference
    /// (`rules/reviewed/arn-formats.tsv`: the SAM transform
    /// `arn:aws:cloudformation:REGION:aws:transform/Serverless-2016-10-31` for `CreateChangeSet`).
    /// A known ARN (not `"*"`) that can match none of them is reported when it is of a service those
    /// formats name (`s3:GetObject` on a bucket ARN, `s3:ListBucket` on `bucket/*`) or of another
    /// service none of whose actions is in the statement (`s3:GetObject` on a DynamoDB table,
    /// `sqs:SendMessage` on an SNS topic), unless the actions' formats already name several
    /// services (`ssm:StartSession` on an EC2 instance): those may take more than the
    /// reference lists. Pairs of services AWS's own policies use together although the reference
    /// does not say so (`ec2:CreateVpcEndpointServiceConfiguration` on a load balancer) are listed,
    /// with the page, in `rules/reviewed/cross-service-arns.tsv` and not reported. Wildcards and policy variables in the ARN may match
    /// anything they can stand for; `codeconnections` and `codestar-connections` ARNs count as one
    /// service. Statements with `NotAction` or `NotResource`, or with an action that is `*`, unknown
    /// (a typo, a retired or newer service), a pattern that matches nothing, or an action the
    /// reference lists without resource types (IAM matches some of those against ARNs, as
    /// `s3:ListAllMyBuckets` on `arn:aws:s3:::*`), are left alone: something in them might accept
    /// the ARN. ARNs whose service field the reference does not know are left to `invalid-arn`.
    ///
    /// ## Why is this bad?
    /// IAM grants an action only on resources of the types it acts on. A resource no action applies
    /// to grants nothing: the job fails, and the usual "fix" is `"*"`. In a Deny, the ARN protects
    /// nothing.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports"}]}
    /// ```
    ///
    /// ## Known limitations
    /// An ARN of a service that one of the statement's actions belongs to, but whose formats none of
    /// the actions names, is not judged. The catalog's ARN formats are matched as text with each `${Placeholder}` standing
    /// for one or more characters (an S3 `${BucketName}` never holds `/`), so an ARN with a
    /// placeholder-like overlap may pass unnoticed.
    ///
    /// ## References
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - [IAM JSON policy elements: Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
    /// - [Controlling access with IAM (CloudFormation transforms)](https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-template.html)
    pub ArnResourceMismatch {
        id: "arn-resource-mismatch",
        category: Validity,
        severity: Warning,
        fix: None,
    }
}

impl Rule for ArnResourceMismatch {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        let (Some(actions), Some(resources)) = (stmt.actions(), stmt.resources()) else {
            return;
        };
        if actions.has_unknown() {
            return;
        }
        let mut resolved: Vec<ActionRef> = Vec::new();
        for action in actions.known() {
            let Some((service, _)) = action.value.split_once(':') else {
                return;
            };
            if has_wildcard(service) {
                return;
            }
            let matched = if has_wildcard(action.value) {
                cx.catalog.expand(action.value)
            } else {
                cx.catalog.action(action.value).into_iter().collect()
            };
            // An action the reference lists without resource types cannot be judged: IAM matches
            // some of them against ARNs anyway (`s3:ListAllMyBuckets` on `arn:aws:s3:::*`).
            if matched.is_empty() || matched.iter().any(|a| !a.action.is_scopable()) {
                return;
            }
            resolved.extend(matched);
        }
        // Resource types the actions accept, once each, and the ARN formats AWS documents beyond
        // them (`rules/reviewed/arn-formats.tsv`).
        let mut types: Vec<&'static ResourceType> = Vec::new();
        let mut extra: Vec<&'static str> = Vec::new();
        for a in &resolved {
            for t in a.resource_types() {
                if !types.iter().any(|x| std::ptr::eq(*x, t)) {
                    types.push(t);
                }
            }
            for arn in a.reviewed_arns() {
                if !extra.contains(&arn) {
                    extra.push(arn);
                }
            }
        }
        let templates = || {
            types
                .iter()
                .flat_map(|t| t.arns.iter().copied())
                .chain(extra.iter().copied())
        };
        // Whether every format names one service: actions that already take resources of several
        // (`ssm:StartSession` on an ECS task or an EC2 instance) may take more than the reference
        // lists, and an ARN of yet another service is not judged.
        let mut fields = templates().filter_map(|tmpl| tmpl.split(':').nth(2));
        let first = fields.next();
        let own_services_only =
            first.is_some_and(|f| fields.all(|other| other.eq_ignore_ascii_case(f)));
        for item in &resources.items {
            let (text, unsure) = match &item.value {
                Scalar::Str(s) => (s.clone(), false),
                Scalar::Template(t) => (t.with_holes("${?}"), true),
                _ => continue,
            };
            let Some(parsed) = parse_arn(&text) else {
                continue;
            };
            if text == "*" || crate::model::arn::is_pattern(parsed.service) {
                continue;
            }
            // A malformed ARN is `invalid-arn`'s (one finding, from the rule that names the fault).
            if crate::rules::validity::invalid_arn::check_remembered(cx, &text, unsure).is_some() {
                continue;
            }
            let accepted = aliases(&text).iter().any(|arn| {
                let arn = ArnPattern::new(arn);
                templates().any(|tmpl| arn.matches_template(tmpl))
            });
            if accepted {
                continue;
            }
            // A resource of a service the actions' formats name is judged, and so is one of a
            // service whose own actions are all absent from the statement (`s3:GetObject` on a
            // DynamoDB table, `sqs:SendMessage` on an SNS topic). A service neither names nor
            // owns (an ARN service the reference does not know) is left alone.
            let named = aliases(&text).iter().any(|a| {
                let svc = parse_arn(a).map_or(parsed.service, |p| p.service);
                templates().any(|tmpl| {
                    tmpl.split(':')
                        .nth(2)
                        .is_some_and(|s| s.eq_ignore_ascii_case(svc))
                })
            });
            let foreign =
                !named && own_services_only && cx.catalog.is_arn_service(parsed.service) && {
                    let owners = cx.catalog.resource_types_for_arn_service(parsed.service);
                    !resolved.iter().any(|a| {
                        owners.iter().any(|(s, _)| std::ptr::eq(*s, a.service))
                            || crate::catalog::reviewed::cross_service(
                                &a.service.prefix,
                                parsed.service,
                            )
                    })
                };
            if !named && !foreign {
                continue;
            }
            let names: Vec<String> = resolved.iter().map(ActionRef::full_name).collect();
            let message = if foreign {
                format!(
                    "no action in this statement applies to `{}`, an ARN of another service (`{}`)",
                    item.value.text(),
                    parsed.service
                )
            } else {
                format!(
                    "no action in this statement applies to `{}`",
                    item.value.text()
                )
            };
            let help = {
                let mut formats: Vec<String> = templates().map(str::to_string).collect();
                formats.sort_by_key(|f| (f.len(), f.clone()));
                formats.dedup();
                format!(
                    "{} {} ARNs of the form {}",
                    list_some(&names, 2),
                    if names.len() == 1 {
                        "acts on"
                    } else {
                        "act on"
                    },
                    list_some(&formats, 3)
                )
            };
            out.push(
                Self::finding(item.span, message)
                    .related(actions.span, "these actions")
                    .help(help)
                    .unsure_if(unsure)
                    .path(stmt.path.clone())
                    .build(),
            );
        }
    }
}

/// ARN service names AWS treats as one service: CodeStar Connections was renamed CodeConnections,
/// and both ARN forms work with both action prefixes.
const ARN_SERVICE_ALIASES: &[(&str, &str)] = &[("codeconnections", "codestar-connections")];

/// The ARN, and the same ARN under each alias of its service.
fn aliases(arn: &str) -> Vec<String> {
    let mut out = vec![arn.to_string()];
    if let Some(parsed) = parse_arn(arn) {
        for (a, b) in ARN_SERVICE_ALIASES {
            for (from, to) in [(a, b), (b, a)] {
                if parsed.service.eq_ignore_ascii_case(from) {
                    out.push(format!(
                        "arn:{}:{to}:{}:{}:{}",
                        parsed.partition, parsed.region, parsed.account, parsed.resource
                    ));
                }
            }
        }
    }
    out
}
