use crate::model::arn::{
    field_colons, is_pattern, looks_like_region, parse_arn, resource_heads_agree, ResourcePattern,
    PARTITIONS,
};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags `Resource` and `Principal` values that are not well-formed ARNs.
    ///
    /// ## What it does
    /// Checks each known value of `Resource` and `NotResource` other than `"*"`:
    /// it must start with `arn:` (a name or path such as `reports/*` is not an ARN, wildcard or
    /// not; only a pattern whose literal start can begin an ARN, `*` or `arn*`, stands for ARNs)
    /// and have six colon-separated fields (fewer only when the last is a bare `*` standing for the
    /// rest, `arn:aws:s3:*`); the partition must be one AWS has (`aws`, `aws-cn`, `aws-us-gov`,
    /// the ISO partitions); the service must appear in some ARN format of the Service Authorization
    /// Reference (retired services are left to `deprecated-service`). The resource part may not
    /// hold more colons than every format of the service has (`arn:aws:sqs:REGION:ACCOUNT:q:extra`
    /// has seven fields; colons inside policy variables do not count); this is judged only for a
    /// resource part without wildcards, since some formats' placeholders hold colons the reference
    /// does not show (AWS's own policies write `plan/*:*` for `plan/${ResourceId}`). The region and account
    /// fields are compared with the ARN formats of that service whose resource part can match (all
    /// of the service's formats when none does): a region where every format has none
    /// (`arn:aws:s3:us-east-1::bucket`, `arn:aws:iam:us-east-1:...`) or none where every format
    /// has one; no account and no region where every format has an account
    /// (`arn:aws:iam:::role/app`; AWS-owned resources such as public AMIs name a region and no
    /// account, and are left alone); a region that is not of the form `us-east-1`; an account that
    /// is not 12 digits (or `aws`, as in AWS managed policy ARNs). Fields holding a wildcard or a
    /// policy variable (`${aws:username}`), and unknown parts of Terraform or CloudFormation
    /// values, are not judged. An `<angle-bracket>` placeholder left from a suggested or documented
    /// policy (`<region>`, `<account-id>`) is a hole of a policy template, as an ALL-CAPS
    /// `ACCOUNT_ID` is: `unresolved-reference` names the file's placeholders once, and the rest of
    /// the ARN is judged here. A message echoes a value as written (`${AWS::AccountId}`). In a resource policy, API Gateway's abbreviated
    /// `execute-api:/stage/VERB/path` (`execute-api:/*`), which API Gateway expands to the API's
    /// ARN when it saves the policy, is not judged. `arn-resource-mismatch` leaves the ARNs this
    /// rule reports alone.
    ///
    /// In `Principal` and `NotPrincipal`, each known `AWS` value other than `"*"` must be a 12-digit
    /// account id or an IAM principal ARN: `arn:<partition>:iam::<account>:root`, `...:user/<name>`,
    /// `...:role/<name>`, or `arn:<partition>:sts::<account>:assumed-role/<role>/<session>` or
    /// `...:federated-user/<name>`, with six fields, no region and a 12-digit account (CloudFront's
    /// `arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <id>` is left alone); a
    /// `Federated` ARN must be an `oidc-provider/` or `saml-provider/` ARN of `iam`. A wildcard
    /// anywhere in such a value (`arn:aws:iam::*:root`, `arn:aws:iam::111122223333:role/ci-*`) is
    /// reported: AWS does not match principals by pattern. Unique ids (`AROA...`, shown by AWS for
    /// deleted principals), service principals and canonical user ids are not judged.
    ///
    /// ## Why is this bad?
    /// IAM compares `Resource` with request ARNs as text. A malformed ARN matches nothing, so an
    /// Allow grants nothing and the job fails (and is then often "fixed" with `"*"`), while a Deny on
    /// it protects nothing.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1:111122223333:reports/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// ## References
    /// - [IAM identifiers: ARNs](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html)
    /// - [Amazon Resource Names (ARNs)](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html)
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - [IAM JSON policy elements: Principal](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)
    /// - [API Gateway resource policy examples](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html) (the abbreviated `execute-api:/` syntax)
    pub InvalidArn {
        id: "invalid-arn",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

impl Rule for InvalidArn {
    fn check_statement(&self, stmt: &Statement, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        if let Some(principal) = &stmt.principal {
            for entry in &principal.entries {
                let federated = match entry.kind.value.as_str() {
                    "AWS" | "*" => false,
                    "Federated" => true,
                    _ => continue,
                };
                for item in &entry.values {
                    let (text, template) = match &item.value {
                        Scalar::Str(s) => (s.clone(), None),
                        Scalar::Template(t) => (t.with_holes("${?}"), Some(t)),
                        _ => continue,
                    };
                    let unsure = template.is_some();
                    if let Some((message, help)) = check_principal(&text, federated) {
                        let (message, help) = as_written(template, message, help);
                        out.push(
                            Self::finding(item.span, message)
                                .help(help)
                                .unsure_if(unsure)
                                .path(stmt.path.clone())
                                .build(),
                        );
                    }
                }
            }
        }
        let Some(resources) = &stmt.resource else {
            return;
        };
        let resource_policy = matches!(doc.kind, PolicyKind::Resource | PolicyKind::Unknown);
        for item in &resources.items {
            let (text, template) = match &item.value {
                Scalar::Str(s) => (s.clone(), None),
                Scalar::Template(t) => (t.with_holes("${?}"), Some(t)),
                _ => continue,
            };
            let unsure = template.is_some();
            if text == "*" || resource_policy && text.starts_with(API_GATEWAY_SHORT) {
                continue;
            }
            if let Some((message, help)) = check_remembered(cx, &text, unsure) {
                let (message, help) = as_written(template, message, help);
                out.push(
                    Self::finding(item.span, message)
                        .help(help)
                        .unsure_if(unsure)
                        .path(stmt.path.clone())
                        .build(),
                );
            }
        }
    }
}

/// What is wrong with a principal value (`AWS`, or `Federated` when `federated`), if anything:
/// (message, help). Holes of unknown values are written `${?}` and never judged.
fn check_principal(text: &str, federated: bool) -> Option<(String, String)> {
    if text == "*" {
        return None;
    }
    let literal = without_holes(text);
    if literal.contains(['*', '?']) {
        let help = if federated {
            "name the identity provider's ARN exactly"
        } else {
            "name each principal exactly; to admit several, use `\"AWS\": \"*\"` with an `ArnLike` condition on `aws:PrincipalArn` or a `StringEquals` condition on `aws:PrincipalOrgID`"
        };
        return Some((
            format!("`{text}` holds a wildcard, which a principal cannot"),
            help.into(),
        ));
    }
    if !text.starts_with("arn:") {
        // An account id, or a unique id, service or provider name: only account ids are judged.
        if !federated
            && !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && text.len() != 12
        {
            return Some((
                format!("`{text}` is not an account id"),
                "write the 12-digit account id".into(),
            ));
        }
        return None;
    }
    let expected = if federated {
        "`arn:aws:iam::<account>:oidc-provider/<issuer>` or `arn:aws:iam::<account>:saml-provider/<name>`"
    } else {
        "`arn:aws:iam::<account>:root`, `arn:aws:iam::<account>:role/<name>` or `arn:aws:iam::<account>:user/<name>`"
    };
    // Principal ARNs hold no colon in their resource part: every colon separates a field.
    let fields = field_colons(text).count() + 1;
    let Some(arn) = parse_arn(text).filter(|_| fields == 6) else {
        return Some((
            format!("`{text}` has {fields} fields; an ARN has six"),
            format!("write a principal ARN such as {expected}"),
        ));
    };
    if !is_pattern(arn.partition) && !PARTITIONS.contains(&arn.partition) {
        return Some((
            format!("`{}` is not an AWS partition", arn.partition),
            "use `aws` (or `aws-cn`, `aws-us-gov`)".into(),
        ));
    }
    let resource_kind = arn.resource.split('/').next().unwrap_or_default();
    let fits = match (arn.service, federated) {
        ("iam", false) => {
            matches!(resource_kind, "root" | "user" | "role")
                && (resource_kind == "root") == (arn.resource == "root")
        }
        ("sts", false) => matches!(resource_kind, "assumed-role" | "federated-user"),
        ("iam", true) => matches!(resource_kind, "oidc-provider" | "saml-provider"),
        _ => false,
    };
    if is_pattern(arn.service) || is_pattern(arn.resource) {
        // A policy variable or an unknown part: not judged further.
    } else if !fits {
        return Some((
            format!("`{text}` is not a principal ARN"),
            format!("write a principal ARN such as {expected}"),
        ));
    }
    if !arn.region.is_empty() && !is_pattern(arn.region) {
        return Some((
            format!(
                "principal ARNs have no region, but `{text}` names `{}`",
                arn.region
            ),
            format!("leave the region empty, as in {expected}"),
        ));
    }
    let account_ok = is_pattern(arn.account)
        || arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit())
        || arn.account == "cloudfront" && arn.resource.starts_with("user/CloudFront ");
    if !account_ok {
        return Some((
            if arn.account.is_empty() {
                format!("`{text}` has no account")
            } else {
                format!("`{}` is not an account id", arn.account)
            },
            "write the 12-digit account id".into(),
        ));
    }
    None
}

/// The text without the `${?}` holes [`InvalidArn`] writes for unknown parts.
fn without_holes(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("${?}") {
        text.replace("${?}", "").into()
    } else {
        text.into()
    }
}

/// The message and help of a value judged with its holes written `${?}`, echoing the value as
/// written (`${AWS::AccountId}`, `${var.account}`).
pub(crate) fn as_written(
    template: Option<&crate::model::Template>,
    message: String,
    help: String,
) -> (String, String) {
    match template {
        Some(t) => (t.as_written(&message, "${?}"), t.as_written(&help, "${?}")),
        None => (message, help),
    }
}

/// API Gateway's abbreviated resource in its resource policies: `execute-api:/stage/VERB/path`.
pub(crate) const API_GATEWAY_SHORT: &str = "execute-api:/";

/// [`check`], remembered per thread: module instances and repeated statements name the same ARNs.
pub(crate) fn check_remembered(cx: &Ctx, text: &str, has_holes: bool) -> Option<(String, String)> {
    thread_local! {
        static WITH_HOLES: crate::memo::Table<Option<(String, String)>> = Default::default();
        static PLAIN: crate::memo::Table<Option<(String, String)>> = Default::default();
    }
    let table = if has_holes { &WITH_HOLES } else { &PLAIN };
    crate::memo::remembered(table, text, |t| check(cx, t, has_holes))
}

/// What is wrong with an ARN, if anything: (message, help).
fn check(cx: &Ctx, text: &str, has_holes: bool) -> Option<(String, String)> {
    // A `<placeholder>` from a suggested policy (`iamlint suggest`, a fix, a README) left as is.
    if let Some(start) = text.find('<') {
        if let Some(len) = text[start..].find('>') {
            let placeholder = &text[start..=start + len];
            return Some((
                format!("`{placeholder}` in `{text}` is an unfilled placeholder"),
                format!("replace `{placeholder}` with the real value, or `*`"),
            ));
        }
    }
    let Some(arn) = parse_arn(text) else {
        if has_holes && !text.starts_with("arn:") {
            return None;
        }
        if !text.starts_with("arn:") {
            // A pattern whose literal head can still begin an ARN (`*`, `arn*`, `*/reports`)
            // stands for ARNs; any other text (`reports/*`, `bucket-name`) is a name, not an ARN.
            let head = &text[..text.find(['*', '?']).unwrap_or(text.len())];
            if head.len() < text.len() && "arn:".starts_with(head) {
                return None;
            }
            return Some((
                format!("`{text}` is not an ARN"),
                "write a full ARN (`arn:aws:service:region:account:resource`) or `\"*\"`".into(),
            ));
        }
        // Too few fields: fine only when the last field is a bare wildcard that can stand for the
        // missing ones (`arn:aws:*`, `arn:aws:s3:*`).
        let last = text.rsplit(':').next().unwrap_or_default();
        if !last.is_empty() && last.bytes().all(|b| b == b'*') {
            return None;
        }
        let fields = text.split(':').count();
        return Some((
            format!("`{text}` has {fields} fields; an ARN has six"),
            "write `arn:partition:service:region:account:resource`, leaving empty fields empty (`arn:aws:s3:::bucket`)".into(),
        ));
    };
    if !is_pattern(arn.partition) && !PARTITIONS.contains(&arn.partition) {
        return Some((
            format!("`{}` is not an AWS partition", arn.partition),
            "use `aws` (or `aws-cn`, `aws-us-gov`)".into(),
        ));
    }
    if is_pattern(arn.service) {
        return None;
    }
    if !cx.catalog.is_arn_service(arn.service) {
        if cx.catalog.retired_service(arn.service).is_some()
            || cx.catalog.service(arn.service).is_some()
        {
            // A retired service, or a service whose ARN formats the reference does not list.
            return None;
        }
        return Some((
            format!(
                "`{}` is not the service of any known ARN format",
                arn.service
            ),
            "check the service part of the ARN against the service's resource types".into(),
        ));
    }
    // The service's ARN formats whose resource part can match, or all of them.
    let types = cx.catalog.resource_types_for_arn_service(arn.service);
    let formats: Vec<&str> = types
        .iter()
        .flat_map(|(_, t)| t.arns.iter())
        .copied()
        .filter(|t| {
            t.split(':')
                .nth(2)
                .is_some_and(|s| s.eq_ignore_ascii_case(arn.service))
        })
        .collect();
    let written = ResourcePattern::new(arn.resource);
    let candidates: Vec<&str> = formats
        .iter()
        .copied()
        .filter(|t| {
            parse_arn(t).is_some_and(|t| {
                resource_heads_agree(arn.resource, t.resource) && written.matches(t.resource)
            })
        })
        .collect();
    let formats = if candidates.is_empty() {
        formats
    } else {
        candidates
    };
    if formats.is_empty() {
        return None;
    }
    let field = |t: &str, i: usize| t.split(':').nth(i).unwrap_or_default().to_string();
    let example = formats[0];
    // Too many fields: more colons in the resource than any format of the service has (a colon is
    // literal even beside a wildcard, so no value can supply it).
    // Colons inside policy variables (`${aws:username}`) are not fields.
    let colons = |r: &str| field_colons(r).count();
    let written_colons = colons(arn.resource);
    let most = types
        .iter()
        .flat_map(|(_, t)| t.arns.iter())
        .filter_map(|t| parse_arn(t))
        .filter(|t| t.service.eq_ignore_ascii_case(arn.service))
        .map(|t| colons(t.resource))
        .max()
        .unwrap_or(0);
    // Only a resource without wildcards is judged: AWS's own policies write `plan/*:*` where the
    // reference's placeholder (`plan/${ResourceId}`) evidently holds a colon.
    if written_colons > most && !arn.resource.contains(['*', '?']) {
        return Some((
            format!(
                "`{text}` has {} fields; `{}` ARNs have {}",
                written_colons + 6,
                arn.service,
                most + 6
            ),
            format!("write the ARN as `{example}`"),
        ));
    }
    if !is_pattern(arn.region) {
        let regions: Vec<String> = formats.iter().map(|t| field(t, 3)).collect();
        if arn.region.is_empty() {
            // AWS-owned resources (public SSM documents and parameters) leave region or account
            // empty; a customer resource (with an account) without its region is a mistake.
            let customer = !arn.account.is_empty() && arn.account != "aws";
            if customer && regions.iter().all(|r| !r.is_empty()) {
                return Some((
                    format!(
                        "`{text}` has no region, but `{}` ARNs need one",
                        arn.service
                    ),
                    format!("write the ARN as `{example}`"),
                ));
            }
        } else if regions.iter().all(String::is_empty) {
            return Some((
                format!(
                    "`{}` ARNs have no region, but `{text}` names `{}`",
                    arn.service, arn.region
                ),
                format!("leave the region empty: `{example}`"),
            ));
        } else if !looks_like_region(arn.region) && !regions.iter().any(|r| r == arn.region) {
            return Some((
                format!("`{}` is not a region", arn.region),
                "write a region such as `us-east-1`, or `*`".into(),
            ));
        }
    }
    if !is_pattern(arn.account) {
        let accounts: Vec<String> = formats.iter().map(|t| field(t, 4)).collect();
        if arn.account.is_empty() {
            // AWS-owned resources (public images, SSM parameters) have a region but no account;
            // with neither, and formats that all want an account, the account was left out.
            let regions_empty = arn.region.is_empty();
            if regions_empty && accounts.iter().all(|a| !a.is_empty()) {
                return Some((
                    format!(
                        "`{text}` has no account, but `{}` ARNs need one",
                        arn.service
                    ),
                    format!("write the ARN as `{example}`, with the 12-digit account id or `*`"),
                ));
            }
        } else if accounts.iter().all(String::is_empty) {
            return Some((
                format!(
                    "`{}` ARNs have no account, but `{text}` names `{}`",
                    arn.service, arn.account
                ),
                format!("leave the account empty: `{example}`"),
            ));
        } else if !(arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit()))
            && arn.account != "aws"
            && !accounts.iter().any(|a| a == arn.account)
        {
            return Some((
                format!("`{}` is not an account id", arn.account),
                "write the 12-digit account id, or `*`".into(),
            ));
        }
    }
    None
}
