use crate::rules::prelude::*;

declare_rule! {
    /// Flags `aws:MultiFactorAuthPresent` conditions that let requests without MFA through.
    ///
    /// ## What it does
    /// Looks at conditions on `aws:MultiFactorAuthPresent` (any case) with a known value:
    /// - in an Allow, `BoolIfExists` with `true`: the condition is also true when the key is absent,
    ///   which it is for every request signed with long-term access keys, so the Allow does not
    ///   require MFA for them;
    /// - in an Allow, `Bool` (or `BoolIfExists`) with `false`: the grant is for sessions *without*
    ///   MFA, usually a Deny's condition pasted into an Allow;
    /// - in a Deny, `Bool` with `false`: the key is absent for long-term access keys, and `Bool` is
    ///   then false, so the Deny does not stop them; AWS documents `BoolIfExists` there.
    ///
    /// `Bool` with `true` in an Allow, `BoolIfExists` with `false` in a Deny, and
    /// `aws:MultiFactorAuthAge` comparisons are left alone.
    ///
    /// ## Why is this bad?
    /// These conditions read as "MFA required" but are not: a leaked access key, which never
    /// carries MFA, passes them. Policies that guard administrator or destructive actions with MFA
    /// then guard nothing against the most common leak.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*",
    ///   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*",
    ///   "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}
    /// ```
    ///
    /// ## References
    /// - [AWS global condition context keys: aws:MultiFactorAuthPresent](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent)
    /// - [Condition operators: ...IfExists](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists)
    /// - [Configuring MFA-protected API access](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html)
    pub MfaConditionBypassable {
        id: "mfa-condition-bypassable",
        category: LeastPrivilege,
        severity: Warning,
        fix: None,
    }
}

const MFA_PRESENT: &str = "aws:MultiFactorAuthPresent";

impl Rule for MfaConditionBypassable {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        _cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        let Some(effect) = stmt.effect() else {
            return;
        };
        let Some(condition) = &stmt.condition else {
            return;
        };
        for (op, entry) in condition.entries() {
            let (Some(op_name), Some(key)) = (op.name.value.as_str(), entry.key.value.as_str())
            else {
                continue;
            };
            if !key.eq_ignore_ascii_case(MFA_PRESENT) {
                continue;
            }
            let if_exists = op_name.eq_ignore_ascii_case("BoolIfExists");
            if !if_exists && !op_name.eq_ignore_ascii_case("Bool") {
                continue;
            }
            // One known value, as IAM compares a Bool key with a list as "any of".
            let values: Vec<&str> = entry
                .values
                .iter()
                .filter_map(|v| v.value.literal())
                .collect();
            if values.len() != entry.values.len() || values.is_empty() {
                continue;
            }
            let any_true = values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            let any_false = values.iter().any(|v| v.eq_ignore_ascii_case("false"));
            let problem = match (effect, if_exists) {
                (Effect::Allow, true) if any_true => Some((
                    "`BoolIfExists` is also true without the key: requests signed with access keys pass this Allow without MFA".to_string(),
                    "use `Bool` with `true` to require MFA, and grant what access keys need in a statement of its own".to_string(),
                )),
                (Effect::Allow, _) if any_false => Some((
                    format!("`{op_name}` with `false` grants this to sessions without MFA"),
                    "require MFA with `\"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}`, or move this condition into a Deny".to_string(),
                )),
                (Effect::Deny, false) if any_false => Some((
                    "`Bool` is false when the key is absent: requests signed with access keys, which never carry MFA, are not denied".to_string(),
                    "use `\"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"}`".to_string(),
                )),
                _ => None,
            };
            if let Some((message, help)) = problem {
                out.push(
                    Self::finding(op.name.span, message)
                        .related(entry.key.span, "the MFA key")
                        .help(help)
                        .path(stmt.path.clone())
                        .build(),
                );
            }
        }
    }
}
