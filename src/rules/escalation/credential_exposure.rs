use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::action::{has_wildcard, split_action, wildcard_match};
use crate::rules::prelude::*;
use crate::text::list_some;

declare_rule! {
    /// Flags actions that hand out other principals' or resources' credentials, granted on `"*"`.
    ///
    /// ## What it does
    /// Reads the actions of `rules/credential-exposure.toml` (each with the AWS page that describes
    /// what it returns): `ec2:GetPasswordData`, `iam:CreateServiceSpecificCredential`,
    /// `sts:AssumeRole`, `redshift:GetClusterCredentials`, `rds-db:connect`,
    /// `lightsail:GetInstanceAccessDetails`, ... An Allow statement of an identity policy that
    /// grants one of them, by name or through a partial pattern (`ec2:Get*`, `sts:Assume*`), on
    /// `Resource: "*"` (or with `NotResource`) and without a `Condition` is reported, once per
    /// `Action` item, naming what the actions expose. Each action has its own severity in the data:
    /// `warning` for another principal's or resource's secret (a database user's token, any role
    /// that trusts the account), `info` where the credentials are bounded by the caller's own
    /// permissions or a job (`sts:GetFederationToken`, `codepipeline:PollForJobs`) or are useless
    /// without another secret (`ec2:GetPasswordData`: the password comes encrypted for the
    /// instance's key pair).
    ///
    /// Left alone: `*` and whole-service wildcards (`ec2:*`), which `wildcard-action` reports;
    /// resource policies, trust policies and boundaries; statements with a condition; and actions
    /// whose credentials are the caller's own or only authenticate it, such as
    /// `ecr:GetAuthorizationToken` (every image pull needs it on `"*"`; repository permissions
    /// still decide) and `sts:GetSessionToken`. `iam:CreateAccessKey` and `iam:CreateLoginProfile`
    /// are reported by `privilege-escalation`. The data file says why each of cloudsplaining's
    /// credential-exposure actions is in or out.
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
    /// Any condition takes the statement out, including ones that do not narrow the resources
    /// (`aws:SecureTransport`); a resource ARN that names every resource of a type
    /// (`arn:aws:ec2:*:*:instance/*`) is not reported.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exposing {
    action: String,
    severity: String,
    exposes: String,
    source: String,
}

#[derive(Deserialize)]
struct ExposingFile {
    action: Vec<Exposing>,
}

fn exposing() -> &'static [Exposing] {
    static ACTIONS: OnceLock<Vec<Exposing>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        toml::from_str::<ExposingFile>(CREDENTIAL_EXPOSURE_TOML)
            .expect("embedded credential-exposure.toml: [[action]] tables with action, severity, exposes, source")
            .action
    })
}

impl Rule for CredentialExposure {
    fn check_statement(
        &self,
        stmt: &Statement,
        doc: &PolicyDoc,
        _cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if !stmt.allows()
            || stmt.has_condition()
            || !matches!(doc.kind, PolicyKind::Identity | PolicyKind::Unknown)
        {
            return;
        }
        let Some(resources) = &stmt.resource else {
            return;
        };
        let on_star = resources.negated || resources.has_star();
        if !on_star {
            return;
        }
        let Some(actions) = stmt.actions() else {
            return;
        };
        for item in actions.known() {
            let Some((_, name)) = split_action(item.value) else {
                continue;
            };
            if name == "*" {
                continue; // `*` and `ec2:*`: wildcard-action's
            }
            let hits: Vec<&Exposing> = exposing()
                .iter()
                .filter(|e| wildcard_match(item.value, &e.action))
                .collect();
            let Some(first) = hits.first() else {
                continue;
            };
            let severity = hits
                .iter()
                .filter_map(|e| Severity::parse(&e.severity))
                .max()
                .unwrap_or(Severity::Warning);
            let scope = if resources.negated {
                "with `NotResource`"
            } else {
                "on `\"*\"`"
            };
            let message = if !has_wildcard(item.value) {
                format!("`{}` {scope} hands out {}", item.value, first.exposes)
            } else if hits.len() == 1 {
                format!(
                    "`{}` includes `{}`, which {scope} hands out {}",
                    item.value, first.action, first.exposes
                )
            } else {
                let names: Vec<String> = hits.iter().map(|e| e.action.clone()).collect();
                format!(
                    "`{}` includes {} that hand out credentials {scope} ({})",
                    item.value,
                    plural(hits.len(), "action"),
                    list_some(&names, 3)
                )
            };
            let help = format!(
                "grant it only on the resources this principal needs (ARNs or a resource-tag condition); see {}",
                first.source
            );
            let mut finding = Self::finding(item.span, message)
                .severity(severity)
                .help(help)
                .path(stmt.path.clone());
            let note = if resources.negated {
                "every resource but these"
            } else {
                "every resource"
            };
            finding = finding.related(resources.span, note);
            out.push(finding.build());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_a_catalog_action_with_a_severity_and_an_aws_source() {
        let catalog = crate::catalog::Catalog::get();
        assert!(exposing().len() >= 10);
        for e in exposing() {
            assert!(catalog.action(&e.action).is_some(), "{}", e.action);
            assert!(
                matches!(
                    Severity::parse(&e.severity),
                    Some(Severity::Info | Severity::Warning)
                ),
                "{}: {}",
                e.action,
                e.severity
            );
            assert!(
                e.source.starts_with("https://docs.aws.amazon.com/"),
                "{}: {}",
                e.action,
                e.source
            );
        }
    }
}
