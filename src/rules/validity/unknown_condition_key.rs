use crate::rules::prelude::*;
use crate::text::edit_distance;

declare_rule! {
    /// Flags condition keys that no AWS service defines.
    ///
    /// ## What it does
    /// Looks up every known key of a `Condition` block, case-insensitively, among the global `aws:`
    /// and cross-service keys (`rules/global-condition-keys.toml`), the keys of every service in the
    /// embedded Service Authorization Reference (including patterns such as
    /// `aws:RequestTag/${TagKey}` or `s3:ExistingObjectTag/<key>`), and identity-provider claim keys
    /// of the form `<issuer-host>:<claim>` (`token.actions.githubusercontent.com:sub`). Keys of
    /// retired services (`deprecated-service`) are left alone. Whether a key applies to the
    /// statement's actions is not judged here.
    ///
    /// ## Why is this bad?
    /// IAM accepts any key name. A misspelt key is simply absent from every request: `StringEquals`
    /// on it never matches, so an Allow grants nothing, while a `...IfExists` or negated operator on
    /// it always matches, so a guard rail silently allows everything.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*",
    ///   "Condition": {"StringEquals": {"aws:SourceAcount": "111122223333"}}}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*",
    ///   "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}]}
    /// ```
    ///
    /// ## References
    /// - [AWS global condition context keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    pub UnknownConditionKey {
        id: "unknown-condition-key",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

impl Rule for UnknownConditionKey {
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
        for (_, entry) in condition.entries() {
            let Some(key) = entry.key.value.as_str() else {
                continue;
            };
            if cx.catalog.condition_key(key).is_some() {
                continue;
            }
            let prefix = key.split_once(':').map_or(key, |(p, _)| p);
            if cx.catalog.retired_service(prefix).is_some() {
                continue;
            }
            let mut finding = Self::finding(
                entry.key.span,
                format!("`{key}` is not a condition key of any AWS service"),
            );
            finding = match suggest(cx, prefix, key) {
                Some(s) => finding.help(format!("did you mean `{s}`?")),
                None => finding.help(
                    "check the key against the service's condition keys in the Service Authorization Reference",
                ),
            };
            out.push(finding.path(stmt.path.clone()).build());
        }
    }
}

/// The closest key of the same service (or among the global keys), within about a third of the
/// key's length.
fn suggest(cx: &Ctx, prefix: &str, key: &str) -> Option<String> {
    let mut candidates: Vec<String> = cx
        .catalog
        .global_condition_keys()
        .into_iter()
        .map(|k| k.key)
        .collect();
    if let Some(service) = cx.catalog.service(prefix) {
        candidates.extend(service.condition_keys.iter().map(|k| k.key.clone()));
    }
    let bound = (key.len() / 3).clamp(1, 4);
    candidates
        .into_iter()
        .map(|c| {
            (
                edit_distance(&c.to_ascii_lowercase(), &key.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= bound)
        .min()
        .map(|(_, c)| c)
}
