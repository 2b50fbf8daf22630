//! The embedded AWS managed policies (`rules/managed-policies.tsv`: one policy per line, sorted by
//! name, `name \t arn \t version \t updated \t document`). Parsed on first use; documents stay
//! slices of the embedded text.

use std::sync::OnceLock;

use super::ManagedPolicy;

const MANAGED_TSV: &str = include_str!("../../rules/managed-policies.tsv");

static POLICIES: OnceLock<Vec<ManagedPolicy>> = OnceLock::new();

/// All policies, sorted by name (byte order).
pub(super) fn policies() -> &'static [ManagedPolicy] {
    POLICIES.get_or_init(|| {
        MANAGED_TSV
            .split_terminator('\n')
            .map(|line| {
                let mut f = line.splitn(5, '\t');
                let mut next = || {
                    f.next().expect(
                        "embedded managed-policies.tsv: every line has five tab-separated fields",
                    )
                };
                let (name, arn, version, updated, document) =
                    (next(), next(), next(), next(), next());
                ManagedPolicy {
                    name: name.to_string(),
                    arn: arn.to_string(),
                    version: version.to_string(),
                    updated: updated.to_string(),
                    document,
                }
            })
            .collect()
    })
}

pub(super) fn by_name(name: &str) -> Option<&'static ManagedPolicy> {
    let all = policies();
    all.binary_search_by(|p| p.name.as_str().cmp(name))
        .ok()
        .map(|i| &all[i])
}

/// `arn:<partition>:iam::aws:policy/<path/><name>` in the `aws`, `aws-cn` or `aws-us-gov` partition;
/// the path must be the policy's own (`service-role/`, `job-function/`, ...).
pub(super) fn by_arn(arn: &str) -> Option<&'static ManagedPolicy> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return None;
    }
    let path = rest.strip_prefix("iam::aws:")?;
    let name = path.rsplit('/').next()?;
    let policy = by_name(name)?;
    let own_path = policy.arn.strip_prefix("arn:aws:iam::aws:")?;
    (own_path == path).then_some(policy)
}

/// A policy name from a name or an ARN (the ARN's last segment).
pub(super) fn name_part(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
    } else {
        name_or_arn
    }
}
