use crate::model::action::has_wildcard;
use crate::rules::prelude::*;
use crate::text::list_some;

declare_rule! {
    /// Flags condition keys that none of the statement's actions ever has in its request context.
    ///
    /// ## What it does
    /// For a statement with a positive `Action` list whose items are all known and expand to at
    /// most 500 actions, looks up each known service-specific condition key in the embedded
    /// Service Authorization Reference (`s3:prefix`, `ec2:ResourceTag/${TagKey}`), then the keys
    /// the reference lists for each of the statement's actions, their own and those of their
    /// resource types (the rows of the action table and the resource types' own keys). A key that
    /// no action lists is reported. Tag keys with a service prefix (`secretsmanager:ResourceTag/x`,
    /// `dms:task-tag/x`), which stand beside the global tag keys, are not judged. Global and cross-service keys
    /// (`aws:SourceIp`, `aws:ResourceTag/...`, `ec2:SourceInstanceARN`, the
    /// `rules/global-condition-keys.toml` list) always apply and are left alone, as are keys no
    /// service defines (`unknown-condition-key`), keys of retired services, identity-provider claim keys
    /// (`token.actions.githubusercontent.com:sub`), `*` and `NotAction`.
    ///
    /// The message says what the absent key does to the statement: with a positive operator
    /// (`StringEquals`, `ForAnyValue:`..., `Null` with `false`) the condition is false, so an
    /// Allow grants nothing and a Deny never applies; with a negated or `...IfExists` operator
    /// (`StringNotEquals`, `Null` with `true`, `ForAllValues:`) it is true, so it restricts nothing.
    ///
    /// ## Why is this bad?
    /// IAM does not check that a key fits the actions; it evaluates the condition on a request
    /// without that key. The statement then does the opposite of what it reads like: a guard
    /// that never triggers, or a grant that never works (and is later "fixed" by dropping the
    /// condition altogether).
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*",
    ///   "Condition": {"StringLike": {"s3:prefix": "2025/*"}}}]}
    /// ```
    ///
    /// Use instead: `s3:prefix` is a key of `s3:ListBucket`; `GetObject` is scoped by its ARN.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports", "Condition": {"StringLike": {"s3:prefix": "2025/*"}}},
    ///   {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/2025/*"}
    /// ]}
    /// ```
    ///
    /// ## Known limitations
    /// The reference's per-action key lists are not complete for every service; a key AWS adds to
    /// an action before the embedded data is refreshed is reported until then. Keys AWS's own
    /// managed policies use with actions the reference does not list them for
    /// (`aws-marketplace:ProductId` with `aws-marketplace:Subscribe`, `iottwinmaker:linkedServices`
    /// with TwinMaker entity actions, two Alexa for Business keys) are in the reviewed table
    /// `rules/reviewed/action-condition-keys.tsv`, each with the AWS page of the policy, and count
    /// as applying.
    ///
    /// ## References
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - [Condition operators: what happens when a key is absent](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists)
    pub InapplicableConditionKey {
        id: "inapplicable-condition-key",
        category: Validity,
        severity: Warning,
        fix: None,
    }
}

/// Past this many actions the statement is not judged (a broad pattern is someone else's finding).
const MAX_ACTIONS: usize = 500;

impl Rule for InapplicableConditionKey {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        let Some(condition) = &stmt.condition else {
            return;
        };
        let Some(actions) = stmt.actions() else {
            return;
        };
        if actions.has_unknown() || actions.items.is_empty() {
            return;
        }
        // Expanded lazily: most conditions use global keys only.
        let mut expanded: Option<Option<Vec<ActionRef>>> = None;
        for (op, entry) in condition.entries() {
            let (Some(op_name), Some(key)) = (op.name.value.as_str(), entry.key.value.as_str())
            else {
                continue;
            };
            let Some((prefix, _)) = key.split_once(':') else {
                continue;
            };
            // Service-prefixed tag keys (`secretsmanager:ResourceTag/x`, `dms:task-tag/x`) stand
            // beside the global `aws:` tag keys wherever those apply; the reference lists them
            // unevenly.
            let name = &key[prefix.len() + 1..];
            if prefix.eq_ignore_ascii_case("aws")
                || prefix.contains('.')
                || name.to_ascii_lowercase().contains("tag")
            {
                continue;
            }
            if cx.catalog.retired_service(prefix).is_some() {
                continue; // `deprecated-service` says what matters
            }
            let Some(info) = cx.catalog.condition_key(key) else {
                continue;
            };
            if info.global {
                continue;
            }
            let expanded = expanded.get_or_insert_with(|| {
                let mut all = Vec::new();
                for a in actions.known() {
                    if a.value == "*" {
                        return None;
                    }
                    all.extend(cx.catalog.expand(a.value));
                    if all.len() > MAX_ACTIONS {
                        return None;
                    }
                }
                Some(all)
            });
            let Some(expanded) = expanded.as_ref().filter(|e| !e.is_empty()) else {
                return;
            };
            let applies = expanded.iter().any(|a| {
                let resource_type_keys = a.resource_types().flat_map(|t| t.condition_keys.iter());
                a.applicable_condition_keys()
                    .iter()
                    .chain(resource_type_keys)
                    .any(|k| k.eq_ignore_ascii_case(&info.key))
                    || crate::catalog::reviewed::action_has_key(&a.full_name(), &info.key)
            });
            if applies {
                continue;
            }
            let names: Vec<String> = actions.known().map(|a| a.value.to_string()).collect();
            let whom = if names.len() == 1 && !has_wildcard(&names[0]) {
                format!("`{}`", names[0])
            } else {
                format!("any of {}", list_some(&names, 3))
            };
            let effect = stmt.effect();
            let outcome = match (absent_makes_true(op_name, entry), effect) {
                (true, _) => "so the condition is always true and restricts nothing",
                (false, Some(Effect::Deny)) => {
                    "so the condition is never true and this Deny never applies"
                }
                (false, _) => "so the condition is never true and this Allow grants nothing",
            };
            out.push(
                Self::finding(
                    entry.key.span,
                    format!("`{key}` is never in the request context of {whom}, {outcome}"),
                )
                .related(actions.span, "these actions")
                .help("use a condition key these actions support (the Service Authorization Reference lists them per action), or move the condition to the statement of the actions it is for")
                .path(stmt.path.clone())
                .build(),
            );
        }
    }
}

/// Whether a condition with this operator is true when its key is absent from the request:
/// `...IfExists`, negated operators, `ForAllValues:`, and `Null` with `true`.
fn absent_makes_true(op: &str, entry: &crate::model::ConditionEntry) -> bool {
    let lower = op.to_ascii_lowercase();
    if lower == "null" {
        return entry
            .values
            .iter()
            .filter_map(|v| v.value.literal())
            .any(|v| v.eq_ignore_ascii_case("true"));
    }
    let base = lower.rsplit(':').next().unwrap_or(&lower);
    lower.starts_with("forallvalues:") || base.ends_with("ifexists") || base.contains("not")
}
