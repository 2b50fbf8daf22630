use crate::model::action::wildcard_match;
use crate::model::Template;
use crate::rules::prelude::*;

declare_rule! {
    /// Flags trust policies that let another account assume the role with no condition on the caller.
    ///
    /// ## What it does
    /// For an Allow statement of a role's trust policy whose actions include `sts:AssumeRole`
    /// (by name or pattern), looks at each `AWS` principal that names an account: a 12-digit id,
    /// `arn:aws:iam::<account>:root`, a role or user of that account, or an assumed-role session.
    /// An account is this role's own when the value says so (CloudFormation's `${AWS::AccountId}`,
    /// Terraform's `data.aws_caller_identity`), when a `Resource` ARN of the same file names it
    /// (the file manages that account's resources), or when the Terraform folder's `provider
    /// "aws"` names it in `allowed_account_ids` or its `assume_role` `role_arn` (the account the
    /// configuration deploys to). Any other literal account is another account.
    /// A principal of another account is reported unless the statement's `Condition` (with an
    /// operator other than `...IfExists`) checks `sts:ExternalId`, `aws:PrincipalOrgID`,
    /// `aws:PrincipalOrgPaths`, `aws:SourceAccount`, `aws:SourceArn`, `aws:SourceOrgID`,
    /// `aws:PrincipalArn`, `aws:MultiFactorAuthPresent` or `aws:MultiFactorAuthAge`. Accounts the
    /// frontend could not evaluate (a variable), `"*"` (`public-principal`), service and federated
    /// principals are left alone.
    ///
    /// ## Why is this bad?
    /// Trusting another account's root hands the decision of who may assume the role to that
    /// account's administrators: any of its principals with `sts:AssumeRole` on the role gets in.
    /// When the other account is a vendor serving many customers, the vendor can be tricked into
    /// using your role for another customer (the confused deputy problem); AWS asks for a
    /// per-customer `sts:ExternalId` there. Inside your organization, `aws:PrincipalOrgID` keeps
    /// the trust from outliving an account that leaves it, and for people MFA is the usual check.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole",
    ///   "Condition": {"StringEquals": {"sts:ExternalId": "4f6c0a2e-customer-7731"}}}]}
    /// ```
    ///
    /// ## Known limitations
    /// A policy file names no role, so its own account is known only from the file's ARNs: a trust
    /// policy of a role that trusts its own account by a literal id, in a file without other ARNs
    /// of that account, is reported as cross-account.
    ///
    /// ## References
    /// - [The confused deputy problem](https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)
    /// - [Access to AWS accounts owned by third parties (external ID)](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html)
    /// - [AWS global condition context keys: aws:PrincipalOrgID](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid)
    /// - [Providing access to an IAM user in another AWS account that you own](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html)
    pub CrossAccountTrust {
        id: "cross-account-trust",
        category: Trust,
        severity: Warning,
        fix: None,
    }
}

/// Condition keys that tie an assumption to a customer, an organization, a source or a person.
const CALLER_KEYS: &[&str] = &[
    "sts:ExternalId",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:PrincipalArn",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
];

impl Rule for CrossAccountTrust {
    fn check_statement(&self, stmt: &Statement, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        if doc.kind != PolicyKind::Trust || !stmt.allows() {
            return;
        }
        let Some(principal) = stmt.principal.as_ref().filter(|p| !p.negated) else {
            return;
        };
        let Some(actions) = stmt.actions() else {
            return;
        };
        if !actions
            .known()
            .any(|a| wildcard_match(a.value, "sts:AssumeRole"))
        {
            return;
        }
        if checks_caller(stmt) {
            return;
        }
        for entry in principal.entries.iter().filter(|e| e.kind.value == "AWS") {
            for value in &entry.values {
                let Some(account) = other_account(&value.value, cx.file) else {
                    continue;
                };
                let shown = value.value.text();
                let whom = if shown == account {
                    format!("account `{account}`")
                } else {
                    format!("`{shown}` of account `{account}`")
                };
                out.push(
                    Self::finding(
                        value.span,
                        format!(
                            "{whom} can assume this role with no `sts:ExternalId`, `aws:PrincipalOrgID`, `aws:SourceAccount` or MFA condition"
                        ),
                    )
                    .related(actions.span, "these actions")
                    .help("for a third party, require its `sts:ExternalId`; for your organization's accounts, require `aws:PrincipalOrgID`; for people, require MFA (`aws:MultiFactorAuthPresent`)")
                    .path(stmt.path.clone())
                    .build(),
                );
            }
        }
    }
}

/// Whether the statement's condition checks one of [`CALLER_KEYS`] (not `...IfExists`), or holds
/// a key or operator the frontend could not evaluate.
fn checks_caller(stmt: &Statement) -> bool {
    let Some(condition) = &stmt.condition else {
        return false;
    };
    condition.entries().any(|(op, entry)| {
        let (Some(op), Some(key)) = (op.name.value.as_str(), entry.key.value.as_str()) else {
            return true;
        };
        !op.to_ascii_lowercase().ends_with("ifexists")
            && CALLER_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
    })
}

/// The account a principal value names, when it is known to be another account than the role's:
/// not named by the file's own resources, nor by its Terraform provider (`allowed_account_ids`,
/// `assume_role.role_arn`).
fn other_account(value: &Scalar, file: &FileModel) -> Option<String> {
    let account = named_account(value, file)?;
    (!file.links.own_accounts.contains(&account)).then_some(account)
}

fn named_account(value: &Scalar, file: &FileModel) -> Option<String> {
    match value {
        Scalar::Str(text) => {
            let account = account_of(text)?;
            (!named_by_own_resources(&account, file)).then_some(account)
        }
        // An account field that is a hole: this account (`${AWS::AccountId}`) or unknown.
        Scalar::Template(t) => {
            let literal = literal_account(t)?;
            (!named_by_own_resources(&literal, file)).then_some(literal)
        }
        _ => None,
    }
}

/// The account of a template whose account field is literal text (`arn:${AWS::Partition}:iam::
/// 444455556666:root`); `None` when the account is a hole (`${AWS::AccountId}`, a variable).
fn literal_account(t: &Template) -> Option<String> {
    account_of(&t.with_holes("\u{0}"))
}

/// The 12-digit account a principal text names: a bare id, or the account field of an `iam` or
/// `sts` ARN.
fn account_of(text: &str) -> Option<String> {
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_account(text) {
        return Some(text.to_string());
    }
    let fields: Vec<&str> = text.splitn(6, ':').collect();
    match fields.as_slice() {
        ["arn", _, "iam" | "sts", "", account, _] if is_account(account) => {
            Some((*account).to_string())
        }
        _ => None,
    }
}

/// Whether a `Resource` or `NotResource` ARN of the file names `account`: the file manages that
/// account's resources, so it is the role's own.
fn named_by_own_resources(account: &str, file: &FileModel) -> bool {
    file.docs
        .iter()
        .flat_map(|d| d.statements.iter())
        .filter_map(|s| s.resource.as_ref())
        .flat_map(|r| r.items.iter())
        .any(|item| {
            let text = match &item.value {
                Scalar::Str(s) => s.clone(),
                Scalar::Template(t) => t.with_holes("${?}"),
                _ => return false,
            };
            text.split(':').nth(4) == Some(account)
        })
}
