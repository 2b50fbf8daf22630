use super::common::{resolve, Resolved};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags attachments of AWS managed policies that do not exist.
    ///
    /// ## What it does
    /// Looks up every attached policy written as an AWS managed policy (`arn:aws:iam::aws:policy/...`,
    /// or a bare name in a SAM `Policies` list) in the embedded list of AWS managed policies. A name
    /// that is not there is reported with the closest existing names; a name that exists under
    /// another path (`service-role/`) is reported with its real ARN. Only the literal account field
    /// `aws` makes a policy AWS managed: customer managed policies (with an account id, or an account
    /// iamlint cannot evaluate, such as `${data.aws_caller_identity.current.account_id}` or
    /// `${AWS::AccountId}`) and ARNs that are wholly unknown (`!Sub '${Policy.PolicyArn}'`) are left
    /// alone. An unknown partition still counts as AWS managed.
    ///
    /// ## Why is this bad?
    /// The attachment fails at deploy time, or, worse, a typo sits in a template that is rarely
    /// applied. Names are case-sensitive: `AmazonEC2ContainerRegistryReadonly` is not
    /// `AmazonEC2ContainerRegistryReadOnly`.
    ///
    /// ## Example
    /// ```json,fail
    /// {"RoleDetailList": [{"RoleName": "web", "RolePolicyList": [], "AttachedManagedPolicies": [
    ///   {"PolicyName": "AmazonEC2ContainerRegistryReadonly", "PolicyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadonly"}
    /// ]}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"RoleDetailList": [{"RoleName": "web", "RolePolicyList": [], "AttachedManagedPolicies": [
    ///   {"PolicyName": "AmazonEC2ContainerRegistryPullOnly", "PolicyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"}
    /// ]}]}
    /// ```
    ///
    /// ## Known limitations
    /// A policy AWS published after the embedded data (see `iamlint --version`) is reported until
    /// iamlint is updated.
    ///
    /// ## References
    /// - [AWS managed policy reference](https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html)
    /// - [IAM identifiers: ARNs](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns)
    pub UnknownManagedPolicy {
        id: "unknown-managed-policy",
        category: Managed,
        severity: Error,
        fix: None,
    }
}

impl Rule for UnknownManagedPolicy {
    fn check_file(&self, file: &FileModel, cx: &Ctx, out: &mut Vec<Finding>) {
        for att in &file.attachments {
            let Resolved::Unknown {
                name,
                written,
                unsure,
            } = resolve(att, cx.catalog)
            else {
                continue;
            };
            let same_name = cx.catalog.managed_policy(&name);
            let (message, help) = match same_name {
                Some(p) if written.starts_with("arn:") => (
                    format!("`{written}` has the wrong path for `{name}`"),
                    format!("use `{}`", p.arn),
                ),
                _ => {
                    let similar = cx.catalog.similar_managed_policies(&name, 3);
                    let help = if similar.is_empty() {
                        format!(
                            "check the name against the AWS managed policy reference (iamlint's list is from {})",
                            cx.catalog.meta().managed_policies_date
                        )
                    } else {
                        let names: Vec<String> = similar.iter().map(|s| format!("`{s}`")).collect();
                        format!("did you mean {}?", names.join(" or "))
                    };
                    (format!("`{name}` is not an AWS managed policy"), help)
                }
            };
            let mut finding = Self::finding(att.policy_arn.span, message)
                .help(help)
                .unsure_if(unsure);
            if let Some(path) = &att.origin.address {
                finding = finding.path(path.clone());
            }
            out.push(finding.build());
        }
    }
}
