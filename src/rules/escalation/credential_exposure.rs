use std::sync::OnceLock;

use crate::rules::escalation::common::{self, Listed};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags actions that hand out other principals' or resources' credentials, granted on `"*"`.
    ///
    /// ## What it does
    /// Reads the actions of `rules/credential-exposure.toml` (each with the AWS page that describes
    /// what it returns): `ec2:GetPasswordData`, `iam:CreateServiceSpecificCredential`,
    /// `sts:AssumeRole`, `redshift:GetClusterCredentials`, `rds-db:connect`,
    /// `lightsail:GetInstanceAccessDetails`, ... An Allow statement of an identity policy that
    /// grants one of them, by name or through a partial pattern (`ec2:Get*`, `sts:Assume*`), on
    /// `Resource: "*"` (or with `NotResource`) without a condition that narrows it is reported, once per `Action` item, naming what the actions expose. A
    /// condition narrows when some entry (not `...IfExists`, not only `"*"`) compares a key about
    /// the resource or the way the call is made: a service-specific key (`kms:GrantIsForAWSResource`,
    /// `ec2:ResourceTag/team`), `aws:ResourceTag/...`, `aws:ResourceAccount`, `aws:ResourceOrgID`,
    /// `aws:ResourceOrgPaths`, `aws:CalledVia...`, `aws:ViaAWSService`, the network keys
    /// (`aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`, ...) or the source keys (`aws:SourceArn`,
    /// `aws:SourceAccount`, ...). Conditions on the request's manner or on the principal itself
    /// (`aws:SecureTransport`, `aws:MultiFactorAuthPresent`, `aws:RequestedRegion`,
    /// `aws:PrincipalTag/...`, `aws:CurrentTime`) leave every resource reachable and do not take
    /// the statement out. Each action has its own severity in the data:
    /// `warning` for another principal's or resource's secret (a database user's token, any role
    /// that trusts the account), `info` where the credentials are bounded by the caller's own
    /// permissions or a job (`sts:GetFederationToken`, `codepipeline:PollForJobs`) or are useless
    /// without another secret (`ec2:GetPasswordData`: the password comes encrypted for the
    /// instance's key pair).
    ///
    /// Left alone: `*` and whole-service wildcards (`ec2:*`), which `wildcard-action` reports;
    /// resource policies, trust policies and boundaries; statements with a narrowing condition; and actions
    /// whose credentials are the caller's own or only authenticate it, such as
    /// `ecr:GetAuthorizationToken` (every image pull needs it on `"*"`; repository permissions
    /// still decide) and `sts:GetSessionToken`. `iam:CreateAccessKey` and `iam:CreateLoginProfile`
    /// are reported by `privilege-escalation`. The data file says why each of cloudsplaining's
    /// credential-exposure actions is in or out.
    ///
    /// A listed action that takes no resource ARN can only be granted on `"*"`: it is reported
    /// at `info`, with a help about conditions instead of resources.
    ///
    /// ## Why is this bad?
    /// These actions return secrets: a password, a key, a token. On `"*"` they reach every
    /// instance, database, user or role of the account, so one leaked credential of this principal
    /// becomes the credentials of many others, including stronger ones.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:GetPasswordData"], "Resource": "*"}]}
    /// ```
    ///
    /// Use instead: read the password only of the instances this principal manages.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
    ///   {"Effect": "Allow", "Action": "ec2:GetPasswordData", "Resource": "arn:aws:ec2:us-east-1:111122223333:instance/*",
    ///    "Condition": {"StringEquals": {"aws:ResourceTag/team": "web"}}}
    /// ]}
    /// ```
    ///
    /// ## Known limitations
    /// A resource ARN that names every resource of a type (`arn:aws:ec2:*:*:instance/*`) is not
    /// reported.
    ///
    /// ## References
    /// - [cloudsplaining: credentials exposure](https://github.com/salesforce/cloudsplaining)
    /// - [GetPasswordData](https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetPasswordData.html)
    /// - [Creating and using an IAM policy for IAM database access](https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html)
    /// - [AssumeRole](https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)
    pub CredentialExposure {
        id: "credential-exposure",
        category: Escalation,
        severity: Warning,
        fix: None,
    }
}

const CREDENTIAL_EXPOSURE_TOML: &str = include_str!("../../../rules/credential-exposure.toml");

fn exposing() -> &'static [Listed] {
    static ACTIONS: OnceLock<Vec<Listed>> = OnceLock::new();
    ACTIONS.get_or_init(|| common::load(CREDENTIAL_EXPOSURE_TOML, "credential-exposure.toml"))
}

impl Rule for CredentialExposure {
    fn check_statement(&self, stmt: &Statement, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        common::report(
            stmt,
            doc,
            exposing(),
            &common::Words {
                does: "hands out",
                many: "hand out credentials",
                whose: "this principal needs (ARNs or a resource-tag condition)",
            },
            Self::finding,
            cx,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_a_catalog_action_with_a_severity_and_an_aws_source() {
        common::check_table(exposing());
        assert!(exposing().iter().all(|e| matches!(
            Severity::parse(&e.severity),
            Some(Severity::Info | Severity::Warning)
        )));
    }
}
