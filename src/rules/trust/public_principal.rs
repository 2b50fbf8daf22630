use crate::rules::prelude::*;

declare_rule! {
    /// Flags statements open to `Principal: "*"` without a condition restricting the caller.
    ///
    /// ## What it does
    /// Reports an Allow statement whose `Principal` is `"*"` or `{"AWS": "*"}` unless its
    /// `Condition` pins down who or where the caller is, with a positive operator (`StringEquals`,
    /// `StringLike`, `ArnEquals`, `ArnLike`, `IpAddress`, their `IgnoreCase` forms, the same behind
    /// `ForAnyValue:`, or `Bool` with `true` for `aws:PrincipalIsAWSService`; not `...IfExists`,
    /// which is true when the key is absent, and not `ForAllValues:`, true for an empty set) on one
    /// of these keys: the caller's identity (`aws:PrincipalArn`, `aws:PrincipalAccount`,
    /// `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalServiceName`,
    /// `aws:PrincipalIsAWSService`, `aws:userid`, `kms:CallerAccount`), the resource or account a
    /// service principal acts for (`aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOwner`,
    /// `aws:SourceOrgID`, `aws:SourceOrgPaths`), the network path (`aws:SourceVpc`,
    /// `aws:SourceVpce`, `aws:SourceVpcArn`, `aws:VpceAccount`, `aws:VpceOrgID`,
    /// `aws:VpceOrgPaths`, `aws:SourceIp`, `aws:VpcSourceIp`), `s3:DataAccessPointAccount`,
    /// `s3:DataAccessPointArn`, and `lambda:FunctionUrlAuthType` (with `AWS_IAM`). A value that
    /// matches every caller does not restrict: `"*"`, `0.0.0.0/0` or `::/0`, and wildcard values
    /// whose literal parts are only structure (`StringLike aws:PrincipalOrgID "o-*"`,
    /// `arn:aws:iam::*:role/*`). Values the frontend could not evaluate are never read as `"*"`.
    /// Keys about the resource (`aws:ResourceAccount`, `aws:ResourceOrgID`) or the request
    /// (`aws:SecureTransport`) say nothing about the caller and do not count.
    /// Deny statements and `NotPrincipal` are left alone. An Allow is also left alone when another
    /// statement of the document denies every principal its actions on its resources unless one
    /// of those keys holds a named value (`StringNotEquals`, `StringNotLike`, `ArnNotEquals`,
    /// `ArnNotLike`, `NotIpAddress`): AWS's private API Gateway policy allows `"*"` and denies
    /// calls that do not come through the VPC endpoint.
    ///
    /// On a VPC endpoint policy (Terraform `aws_vpc_endpoint`, `aws_vpc_endpoint_policy`,
    /// CloudFormation `AWS::EC2::VPCEndpoint`) the finding is `info`: `Principal: "*"` is AWS's
    /// default there and grants nothing by itself (the endpoint policy only limits what calls
    /// through the endpoint may do; identity and resource policies still decide), so it is worth a
    /// look, not an error.
    ///
    /// On the access policy of an OpenSearch or Elasticsearch domain placed in a VPC (Terraform
    /// `vpc_options` on `aws_opensearch_domain`/`aws_elasticsearch_domain`, or on the domain a
    /// `*_domain_policy` of the same file names; CloudFormation `VPCOptions`) the finding is
    /// `info` too: such a domain has no public endpoint, and AWS documents an open access policy
    /// there, leaving access to the VPC's security groups (and fine-grained access control). A
    /// `dynamic "vpc_options"` block depends on its `for_each` and is not taken as a VPC.
    ///
    /// ## Why is this bad?
    /// `"*"` means every AWS account and, for many services, anonymous callers. A bucket, queue,
    /// topic, key or role open to `"*"` is reachable by anyone on the internet who learns its name.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:orders"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:orders",
    ///   "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:order-events"}}}]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: Principal](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)
    /// - [AWS global condition context keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    /// - [Set operators for multivalued context keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)
    /// - [The confused deputy problem](https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)
    /// - [Control access to VPC endpoints using endpoint policies](https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html)
    /// - [Launching your Amazon OpenSearch Service domains within a VPC](https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html)
    pub PublicPrincipal {
        id: "public-principal",
        category: Trust,
        severity: Error,
        fix: None,
    }
}

/// Keys that, compared positively, restrict who can use the grant.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalServiceName",
    "aws:PrincipalIsAWSService",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceVpcArn",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:SourceIp",
    "aws:VpcSourceIp",
    "aws:userid",
    "kms:CallerAccount",
    "s3:DataAccessPointAccount",
    "s3:DataAccessPointArn",
    "lambda:FunctionUrlAuthType",
];

/// Base operators (after an optional `ForAnyValue:`) that require the key to hold a listed value.
const POSITIVE_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
    "IpAddress",
    "Bool",
];

/// True for an operator that is false when the key is absent or holds none of the values:
/// a positive base operator, alone or behind `ForAnyValue:`. `ForAllValues:` is true for a
/// missing key and `...IfExists` for an absent one, so neither restricts.
fn is_positive(op: &str) -> bool {
    let base = match op.split_once(':') {
        Some((set, base)) if set.eq_ignore_ascii_case("ForAnyValue") => base,
        Some(_) => return false,
        None => op,
    };
    POSITIVE_OPERATORS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(base))
}

/// True when the statement's condition restricts the caller (see the rule doc).
pub fn restricts_caller(stmt: &Statement) -> bool {
    let Some(condition) = &stmt.condition else {
        return false;
    };
    condition.entries().any(|(op, entry)| {
        let (Some(op), Some(key)) = (op.name.value.as_str(), entry.key.value.as_str()) else {
            return false;
        };
        if !is_positive(op) || !RESTRICTING_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return false;
        }
        let values: Vec<&str> = entry
            .values
            .iter()
            .filter_map(|v| v.value.literal())
            .collect();
        let all_known = values.len() == entry.values.len();
        if all_known && values.iter().any(|v| matches_every_value(v)) {
            return false;
        }
        if op
            .rsplit(':')
            .next()
            .is_some_and(|b| b.eq_ignore_ascii_case("Bool"))
        {
            return key.eq_ignore_ascii_case("aws:PrincipalIsAWSService")
                && values.iter().all(|v| v.eq_ignore_ascii_case("true"));
        }
        if key.eq_ignore_ascii_case("lambda:FunctionUrlAuthType") {
            return values.iter().all(|v| *v == "AWS_IAM");
        }
        !entry.values.is_empty()
    })
}

/// Base operators that deny when the key does not hold a listed value (a sibling `Deny` with one
/// of them on a restricting key leaves the `Allow` only to the callers it names).
const NEGATED_OPERATORS: &[&str] = &[
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NotIpAddress",
];

/// True when another statement of the document denies, to every principal, each action and
/// resource of `stmt` unless a restricting key (`aws:SourceVpce`, `aws:SourceVpc`,
/// `aws:SourceIp`, `aws:PrincipalOrgID`...) holds a named value: AWS's private API Gateway
/// policy allows `*` and denies calls from outside the VPC endpoint in a second statement.
fn denied_outside_network_or_org(stmt: &Statement, doc: &PolicyDoc) -> bool {
    let covers = |deny: Option<&ListField>, allow: Option<&ListField>| match (deny, allow) {
        (Some(deny), Some(allow)) if !deny.negated && !allow.negated && !allow.has_unknown() => {
            deny.has_star()
                || allow
                    .known()
                    .all(|a| deny.known().any(|d| d.value.eq_ignore_ascii_case(a.value)))
        }
        _ => false,
    };
    doc.statements.iter().any(|deny| {
        deny.index != stmt.index
            && deny.effect() == Some(Effect::Deny)
            && deny
                .principal
                .as_ref()
                .is_some_and(|p| !p.negated && p.public_values().next().is_some())
            && covers(deny.actions(), stmt.actions())
            && covers(deny.resources(), stmt.resources())
            && deny.condition.as_ref().is_some_and(|c| {
                c.entries().any(|(op, entry)| {
                    let (Some(op), Some(key)) = (op.name.value.as_str(), entry.key.value.as_str())
                    else {
                        return false;
                    };
                    let base = op.strip_suffix("IfExists").unwrap_or(op);
                    let values: Vec<&str> = entry
                        .values
                        .iter()
                        .filter_map(|v| v.value.literal())
                        .collect();
                    NEGATED_OPERATORS
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(base))
                        && RESTRICTING_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
                        && !values.is_empty()
                        && values.len() == entry.values.len()
                        && !values.iter().any(|v| matches_every_value(v))
                })
            })
    })
}

/// Literal words every value of a restricting key may share: `o-*` is every organization id,
/// `arn:aws:iam::*:role/*` every role of every account.
const STRUCTURAL_WORDS: &[&str] = &[
    "arn",
    "aws",
    "aws-cn",
    "aws-us-gov",
    "cn",
    "us",
    "gov",
    "o",
    "r",
    "ou",
    "iam",
    "sts",
    "role",
    "user",
    "root",
    "assumed",
    "federated",
];

/// True for a value that holds a wildcard and, besides it, only separators and structural words:
/// `*`, `o-*`, `arn:aws:*`, `arn:aws:iam::*:role/*`; and the IP ranges of every address,
/// `0.0.0.0/0` and `::/0`. Such a value matches every caller.
fn matches_every_value(value: &str) -> bool {
    if matches!(value.trim(), "0.0.0.0/0" | "::/0") {
        return true;
    }
    value.contains(['*', '?'])
        && value
            .split(['*', '?', ':', '/', '-'])
            .filter(|w| !w.is_empty())
            .all(|w| STRUCTURAL_WORDS.iter().any(|s| s.eq_ignore_ascii_case(w)))
}

impl Rule for PublicPrincipal {
    fn check_statement(
        &self,
        stmt: &Statement,
        doc: &PolicyDoc,
        _cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if !stmt.allows() {
            return;
        }
        let Some(principal) = stmt.principal.as_ref().filter(|p| !p.negated) else {
            return;
        };
        let Some(public) = principal.public_values().next() else {
            return;
        };
        if restricts_caller(stmt) || denied_outside_network_or_org(stmt, doc) {
            return;
        }
        let endpoint = doc.is_vpc_endpoint_policy();
        let in_vpc = doc.kind == PolicyKind::Resource && doc.origin.in_vpc;
        let whom = if doc.kind == PolicyKind::Trust {
            "anyone can assume this role"
        } else if endpoint {
            "any principal may call through this VPC endpoint"
        } else if in_vpc {
            "anyone who reaches this domain inside its VPC can use this grant"
        } else {
            "anyone can use this grant"
        };
        let mut finding = Self::finding(public.span, format!("`Principal` is `\"*\"`: {whom}"))
            .help("name the principals, or add a condition such as `aws:PrincipalOrgID`, `aws:SourceArn` or `aws:SourceAccount`")
            .path(stmt.path.clone());
        if in_vpc {
            finding = finding.help("access rests on the VPC's security groups: keep them narrow, or name the principals");
        }
        if endpoint || in_vpc {
            // AWS's default endpoint policy grants nothing by itself; a domain in a VPC is
            // reached only through its VPC and security groups.
            finding = finding.severity(Severity::Info);
        }
        if let Some(actions) = stmt.actions() {
            finding = finding.related(actions.span, "allowed to everyone");
        }
        if let Some(c) = &stmt.condition {
            finding = finding.related(c.key, "this condition does not restrict the caller");
        }
        out.push(finding.build());
    }
}
