//! What `credential-exposure` and `resource-policy-write` share: a hand-kept table of actions
//! (`rules/*.toml`, each with its AWS page) that are dangerous when granted on every resource, and
//! the search for them in an identity policy's Allow statements on `"*"`.

use serde::Deserialize;

use crate::model::action::{split_action, wildcard_match};
use crate::rules::prelude::*;

/// One `[[action]]` of such a table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Listed {
    /// As the Service Authorization Reference spells it.
    pub action: String,
    /// `warning` or `info`.
    pub severity: String,
    /// What the action does on every resource, for messages (`exposes` in
    /// `credential-exposure.toml`, `allows` in `resource-policy-write.toml`).
    #[serde(alias = "exposes", alias = "allows")]
    pub what: String,
    pub source: String,
}

#[derive(Deserialize)]
struct Table {
    action: Vec<Listed>,
}

/// Parses an embedded table; `name` is its file name, for the invariant's message.
pub(crate) fn load(text: &str, name: &str) -> Vec<Listed> {
    toml::from_str::<Table>(text)
        .unwrap_or_else(|e| panic!("embedded {name}: [[action]] tables with action, severity, a description, source: {e}"))
        .action
}

/// An `Action` item of a statement and the listed actions it grants.
pub(crate) struct Hit<'t> {
    pub item: Located<&'t str>,
    pub listed: Vec<&'t Listed>,
    /// The highest severity of `listed` (`warning` when unreadable).
    pub severity: Severity,
}

/// The listed actions an Allow statement of an identity policy grants on `"*"` (or with
/// `NotResource`) without a condition that narrows it ([`restricting_condition`]), by name or by a partial pattern; `*` and whole-service
/// patterns (`ec2:*`) are `wildcard-action`'s. `None` when the statement is not such a grant.
pub(crate) fn on_every_resource<'s>(
    stmt: &'s Statement,
    doc: &PolicyDoc,
    table: &'s [Listed],
) -> Option<(&'s ListField, Vec<Hit<'s>>)> {
    if !stmt.allows()
        || restricting_condition(stmt)
        || !matches!(doc.kind, PolicyKind::Identity | PolicyKind::Unknown)
    {
        return None;
    }
    let resources = stmt.resource.as_ref()?;
    if !resources.negated && !resources.has_star() {
        return None;
    }
    let actions = stmt.actions()?;
    let hits = actions
        .known()
        .filter(|item| split_action(item.value).is_some_and(|(_, name)| name != "*"))
        .filter_map(|item| {
            let listed: Vec<&Listed> = table
                .iter()
                .filter(|e| wildcard_match(item.value, &e.action))
                .collect();
            let severity = listed
                .iter()
                .filter_map(|e| Severity::parse(&e.severity))
                .max()
                .unwrap_or(Severity::Warning);
            (!listed.is_empty()).then_some(Hit {
                item,
                listed,
                severity,
            })
        })
        .collect();
    Some((resources, hits))
}

/// Global keys that narrow which resources a grant reaches or which path its calls come through:
/// the resource's tags, account and organization; the AWS service calling on the principal's
/// behalf; the network the call comes from; the source resource or account of a service call.
const RESTRICTING_GLOBAL_KEYS: &[&str] = &[
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ViaAWSService",
    "aws:SourceIp",
    "aws:VpcSourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceVpcArn",
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
];

/// Whether a statement's `Condition` narrows the grant: some entry, with an operator that is not
/// `...IfExists` (true when the key is absent) and a value other than `"*"`, compares a key that
/// is about the resource or the way the call is made: a service-specific key
/// (`kms:GrantIsForAWSResource`, `ec2:ResourceTag/team`, `rds-db:...`), `aws:ResourceTag/...`, or
/// one of [`RESTRICTING_GLOBAL_KEYS`]. Keys about the request's manner or the principal itself do
/// not narrow which resources an identity policy reaches and do not count: `aws:SecureTransport`,
/// `aws:MultiFactorAuthPresent`, `aws:CurrentTime`, `aws:RequestedRegion`, `aws:PrincipalTag/...`,
/// `aws:PrincipalOrgID`, `aws:RequestTag/...`, `aws:TagKeys`. A key or operator the frontend could
/// not evaluate counts (never read as narrowing nothing).
pub(crate) fn restricting_condition(stmt: &Statement) -> bool {
    let Some(condition) = &stmt.condition else {
        return false;
    };
    condition.entries().any(|(op, entry)| {
        let (Some(op), Some(key)) = (op.name.value.as_str(), entry.key.value.as_str()) else {
            return true;
        };
        if op.to_ascii_lowercase().ends_with("ifexists") {
            return false;
        }
        if !entry.values.is_empty()
            && entry
                .values
                .iter()
                .all(|v| v.value.literal().is_some_and(|t| t == "*"))
        {
            return false;
        }
        restricting_key(key)
    })
}

/// See [`restricting_condition`].
fn restricting_key(key: &str) -> bool {
    let Some((service, name)) = key.split_once(':') else {
        return false;
    };
    if !service.eq_ignore_ascii_case("aws") {
        return true;
    }
    name.len() > "ResourceTag/".len()
        && name[.."ResourceTag/".len()].eq_ignore_ascii_case("ResourceTag/")
        || RESTRICTING_GLOBAL_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
}

/// `on "*"` or `with NotResource`, for messages.
pub(crate) fn scope(resources: &ListField) -> &'static str {
    if resources.negated {
        "with `NotResource`"
    } else {
        "on `\"*\"`"
    }
}

/// The related label's note on the resources.
pub(crate) fn resources_note(resources: &ListField) -> &'static str {
    if resources.negated {
        "every resource but these"
    } else {
        "every resource"
    }
}

/// Test helper: every entry names a catalog action, has a severity IAM findings use and an AWS
/// page.
#[cfg(test)]
pub(crate) fn check_table(table: &[Listed]) {
    let catalog = crate::catalog::Catalog::get();
    assert!(table.len() >= 10);
    for e in table {
        assert!(catalog.action(&e.action).is_some(), "{}", e.action);
        assert!(
            matches!(
                Severity::parse(&e.severity),
                Some(Severity::Info | Severity::Warning | Severity::Error)
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

/// How a rule over such a table words its findings: `does` (`hands out`, `rewrites`) before a
/// listed action's description, `many` for an item that includes several listed actions (`hand
/// out credentials`), and `whose` in the help (`this principal needs`).
pub(crate) struct Words {
    pub does: &'static str,
    pub many: &'static str,
    pub whose: &'static str,
}

/// Reports each `Action` item of `stmt` that grants a listed action on every resource: one
/// finding (from `finding`, the rule's own constructor) per item, at the listed action's severity,
/// citing its AWS page.
pub(crate) fn report(
    stmt: &Statement,
    doc: &PolicyDoc,
    table: &[Listed],
    words: &Words,
    finding: fn(Span, String) -> crate::finding::FindingBuilder,
    cx: &Ctx,
    out: &mut Vec<Finding>,
) {
    let Some((resources, hits)) = on_every_resource(stmt, doc, table) else {
        return;
    };
    let scope = scope(resources);
    for hit in hits {
        let first = hit.listed[0];
        let item = hit.item;
        let message = if !crate::model::action::has_wildcard(item.value) {
            format!("`{}` {scope} {} {}", item.value, words.does, first.what)
        } else if hit.listed.len() == 1 {
            format!(
                "`{}` includes `{}`, which {scope} {} {}",
                item.value, first.action, words.does, first.what
            )
        } else {
            let names: Vec<String> = hit.listed.iter().map(|e| e.action.clone()).collect();
            format!(
                "`{}` includes {} that {} {scope} ({})",
                item.value,
                plural(hit.listed.len(), "action"),
                words.many,
                crate::text::list_some(&names, 3)
            )
        };
        // An action that takes no resource ARN can only be granted on `"*"`: the `Resource`
        // is not the fault, and AWS documents some of them on `"*"` (`logs:PutResourcePolicy`
        // for Step Functions and EventBridge logging). Worth a look, not likely too broad.
        let unscopable = hit.listed.iter().all(|e| {
            cx.catalog
                .action(&e.action)
                .is_some_and(|a| !a.action.is_scopable())
        });
        let (severity, help) = if unscopable {
            (
                Severity::Info,
                format!(
                    "`{}` takes no resource ARN, so only a condition narrows it (`aws:CalledVia`, a source network); keep it on the principal whose job needs it; see {}",
                    first.action, first.source
                ),
            )
        } else {
            (
                hit.severity,
                format!(
                    "grant it only on the resources {}; see {}",
                    words.whose, first.source
                ),
            )
        };
        let mut f = finding(item.span, message)
            .severity(severity)
            .help(help)
            .related(resources.span, resources_note(resources))
            .path(stmt.path.clone());
        if let Some(c) = &stmt.condition {
            f = f.related(c.key, "this condition does not narrow the resources");
        }
        out.push(f.build());
    }
}
