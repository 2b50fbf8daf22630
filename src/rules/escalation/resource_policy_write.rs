use std::sync::OnceLock;

use crate::rules::escalation::common::{self, Listed};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags grants to rewrite resource-based policies (bucket, key, function, queue...) on `"*"`.
    ///
    /// ## What it does
    /// Reads the actions of `rules/resource-policy-write.toml`, each with its AWS API page:
    /// `s3:PutBucketPolicy`, `s3:PutBucketAcl`, `kms:PutKeyPolicy`, `kms:CreateGrant`,
    /// `lambda:AddPermission`, `sqs:SetQueueAttributes`, `sns:SetTopicAttributes`,
    /// `secretsmanager:PutResourcePolicy`, `ecr:SetRepositoryPolicy`, ... An Allow statement of an
    /// identity policy that grants one of them, by name or through a partial pattern
    /// (`s3:PutBucket*`), on `Resource: "*"` (or with `NotResource`) without a condition that narrows it is reported, once per `Action` item. A
    /// condition narrows when some entry (not `...IfExists`, not only `"*"`) compares a key about
    /// the resource or the way the call is made: a service-specific key (`kms:GrantIsForAWSResource`,
    /// `ec2:ResourceTag/team`), `aws:ResourceTag/...`, `aws:ResourceAccount`, `aws:ResourceOrgID`,
    /// `aws:ResourceOrgPaths`, `aws:CalledVia...`, `aws:ViaAWSService`, the network keys
    /// (`aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`, ...) or the source keys (`aws:SourceArn`,
    /// `aws:SourceAccount`, ...). Conditions on the request's manner or on the principal itself
    /// (`aws:SecureTransport`, `aws:MultiFactorAuthPresent`, `aws:RequestedRegion`,
    /// `aws:PrincipalTag/...`, `aws:CurrentTime`) leave every resource reachable and do not take
    /// the statement out. `*` and whole-service wildcards (`s3:*`) are left to
    /// `wildcard-action`, resource policies and trust policies alone, and a role's trust policy
    /// (`iam:UpdateAssumeRolePolicy`) to `privilege-escalation`.
    ///
    /// A listed action that takes no resource ARN (`logs:PutResourcePolicy`, which AWS documents
    /// on `"*"` for Step Functions and EventBridge logging) can only be granted on `"*"`: it is
    /// reported at `info`, with a help about conditions instead of resources.
    ///
    /// ## Why is this bad?
    /// A resource policy decides who else may use a resource. With these actions on every resource
    /// the principal can open any bucket, key, function, queue or secret of the account to
    /// another account or to everyone, or grant itself what its identity policy withholds (a key
    /// policy or bucket policy naming it). That is escalation and exfiltration in one step, and it
    /// outlives the principal's own credentials.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:PutBucketPolicy"], "Resource": "*"}]}
    /// ```
    ///
    /// Use instead: let the deployment write the policy of its own buckets only.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:PutBucketPolicy"], "Resource": "arn:aws:s3:::site-*"}]}
    /// ```
    ///
    /// ## Known limitations
    /// A resource ARN naming every resource of a type (`arn:aws:s3:::*`) is not reported.
    ///
    /// ## References
    /// - [Identity-based policies and resource-based policies](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html)
    /// - [PutBucketPolicy](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html)
    /// - [PutKeyPolicy](https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html)
    /// - [Lambda AddPermission](https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html)
    pub ResourcePolicyWrite {
        id: "resource-policy-write",
        category: Escalation,
        severity: Warning,
        fix: None,
    }
}

const RESOURCE_POLICY_WRITE_TOML: &str = include_str!("../../../rules/resource-policy-write.toml");

fn writers() -> &'static [Listed] {
    static ACTIONS: OnceLock<Vec<Listed>> = OnceLock::new();
    ACTIONS.get_or_init(|| common::load(RESOURCE_POLICY_WRITE_TOML, "resource-policy-write.toml"))
}

impl Rule for ResourcePolicyWrite {
    fn check_statement(&self, stmt: &Statement, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        common::report(
            stmt,
            doc,
            writers(),
            &common::Words {
                does: "rewrites",
                many: "rewrite resource policies",
                whose: "this principal manages (their ARNs or a resource-tag condition)",
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
        common::check_table(writers());
    }
}
