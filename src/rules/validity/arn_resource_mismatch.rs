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
    /// resource types they accept. A known ARN (not `"*"`) of a service those formats name, that can
    /// match none of them, is reported: `s3:GetObject` on a bucket ARN, `s3:ListBucket` on `bucket/*`. Wildcards and policy
    /// variables in the ARN may match anything they can stand for; `codeconnections` and
    /// `codestar-connections` ARNs count as one service. Statements with `NotAction` or
    /// `NotResource`, or with an action that is `*`, unknown (a typo, a retired or newer service),
    /// a pattern that matches nothing, or an action the reference lists without resource types
    /// (IAM matches some of those against ARNs, as `s3:ListAllMyBuckets` on `arn:aws:s3:::*`), are
    /// left alone: something in them might accept the ARN.
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
    /// An ARN of a service none of the actions' formats names (an EKS cluster ARN next to
    /// `ssm:StartSession`) is not judged: the reference does not always list cross-service
    /// resources. The catalog's ARN formats are matched as text with each `${Placeholder}` standing for one or
    /// more characters (an S3 `${BucketName}` never holds `/`), so an ARN with a placeholder-like
    /// overlap may pass unnoticed.
    ///
    /// ## References
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - [IAM JSON policy elements: Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
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
        // Resource types the actions accept, once each.
        let mut types: Vec<&'static ResourceType> = Vec::new();
        for a in &resolved {
            for t in a.resource_types() {
                if !types.iter().any(|x| std::ptr::eq(*x, t)) {
                    types.push(t);
                }
            }
        }
        for item in &resources.items {
            let (text, unsure) = match &item.value {
                Scalar::Str(s) => (s.clone(), false),
                Scalar::Template(t) => (t.with_holes("${?}"), true),
                _ => continue,
            };
            if text == "*" || parse_arn(&text).is_none() {
                continue;
            }
            let accepted = aliases(&text).iter().any(|arn| {
                let arn = ArnPattern::new(arn);
                types
                    .iter()
                    .any(|t| t.arns.iter().any(|tmpl| arn.matches_template(tmpl)))
            });
            if accepted {
                continue;
            }
            // Only a resource of a service the actions act on is judged: the reference does not
            // always list cross-service resources (an EKS cluster for `ssm:StartSession`).
            let same_service = parse_arn(&text).is_some_and(|arn| {
                aliases(&text).iter().any(|a| {
                    let svc = parse_arn(a).map_or(arn.service, |p| p.service);
                    types.iter().any(|t| {
                        t.arns.iter().any(|tmpl| {
                            tmpl.split(':')
                                .nth(2)
                                .is_some_and(|s| s.eq_ignore_ascii_case(svc))
                        })
                    })
                })
            });
            if !same_service {
                continue;
            }
            let names: Vec<String> = resolved.iter().map(ActionRef::full_name).collect();
            let message = format!(
                "no action in this statement applies to `{}`",
                item.value.text()
            );
            let help = {
                let mut formats: Vec<String> = types
                    .iter()
                    .flat_map(|t| t.arns.iter().map(|a| a.to_string()))
                    .collect();
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
