//! Reviewed corrections to the Service Authorization Reference (`rules/reviewed/*.tsv`): where AWS's
//! documentation and the reference data disagree, one line per entry with the AWS page that
//! justifies it. Rules ask the catalog; no rule carries an exception of its own.
//!
//! - `actions-on-star.tsv`: `action \t url \t reason`: actions whose only resource types are
//!   optional and whose documented use is `"Resource": "*"` (`cloudwatch:PutMetricData`).
//! - `arn-formats.tsv`: `action \t ARN template \t url \t reason`: ARN formats AWS documents for an
//!   action beside the reference's (the SAM transform for `cloudformation:CreateChangeSet`).
//! - `cross-service-arns.tsv`: `action service \t ARN service \t url \t reason`: actions of one
//!   service that AWS uses on resources of another the reference does not list for them.
//! - `service-required-policies.tsv`: `policy \t service principal \t url \t reason`: AWS managed
//!   policies AWS requires on the role a service assumes (`AmazonEKSClusterPolicy` for
//!   `eks.amazonaws.com`).
//! - `action-condition-keys.tsv`: `action \t key \t url \t reason`: condition keys AWS's own
//!   managed policies use with actions the reference does not list them for.
//! - `companion-policies.tsv`: `policy \t companion \t url \t reason`: AWS managed policies AWS
//!   requires on a role that also has the companion policy (the EKS node role's ECR policy).
//! - `job-policies.tsv`: `policy \t job \t url \t reason`: AWS managed policies whose whole grant
//!   is one job a documented control requires a principal to have (`AWSSupportAccess` for the CIS
//!   support role).
//! - `documented-actions.tsv`: `action \t url \t reason`: actions a service's own IAM
//!   permissions page documents that the reference does not list (AWS Transform's web-app APIs).

use std::sync::OnceLock;

const ACTIONS_ON_STAR_TSV: &str = include_str!("../../rules/reviewed/actions-on-star.tsv");
const ARN_FORMATS_TSV: &str = include_str!("../../rules/reviewed/arn-formats.tsv");
const CROSS_SERVICE_TSV: &str = include_str!("../../rules/reviewed/cross-service-arns.tsv");
const AGENT_SERVICES_TSV: &str = include_str!("../../rules/reviewed/agent-services.tsv");
const SAM_NON_ACTIONS_TSV: &str = include_str!("../../rules/reviewed/sam-template-non-actions.tsv");
const SERVICE_REQUIRED_TSV: &str =
    include_str!("../../rules/reviewed/service-required-policies.tsv");
const ACTION_KEYS_TSV: &str = include_str!("../../rules/reviewed/action-condition-keys.tsv");
const COMPANION_TSV: &str = include_str!("../../rules/reviewed/companion-policies.tsv");
const JOB_POLICIES_TSV: &str = include_str!("../../rules/reviewed/job-policies.tsv");
const DOCUMENTED_ACTIONS_TSV: &str = include_str!("../../rules/reviewed/documented-actions.tsv");

/// One reviewed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    /// `service:Action` as written in the table.
    pub action: &'static str,
    /// The ARN template (`arn-formats.tsv` only; empty otherwise).
    pub arn: &'static str,
    /// The AWS documentation page behind the entry.
    pub url: &'static str,
    pub reason: &'static str,
}

/// The data lines of a table (comments and blank lines skipped), split on tabs.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

/// A three-column table (`action \t url \t reason`) as entries.
fn actions_table(text: &'static str) -> Vec<Reviewed> {
    rows(text)
        .filter_map(|f| match f.as_slice() {
            [action, url, reason] => Some(Reviewed {
                action,
                arn: "",
                url,
                reason,
            }),
            _ => None,
        })
        .collect()
}

/// `actions-on-star.tsv`.
pub fn actions_on_star() -> &'static [Reviewed] {
    static TABLE: OnceLock<Vec<Reviewed>> = OnceLock::new();
    TABLE.get_or_init(|| actions_table(ACTIONS_ON_STAR_TSV))
}

/// `sam-template-non-actions.tsv`: strings SAM's policy templates list as actions that IAM
/// does not have.
pub fn sam_template_non_actions() -> &'static [Reviewed] {
    static TABLE: OnceLock<Vec<Reviewed>> = OnceLock::new();
    TABLE.get_or_init(|| actions_table(SAM_NON_ACTIONS_TSV))
}

/// `documented-actions.tsv`: actions a service documents on its own permissions page that the
/// reference does not list.
pub fn documented_actions() -> &'static [Reviewed] {
    static TABLE: OnceLock<Vec<Reviewed>> = OnceLock::new();
    TABLE.get_or_init(|| actions_table(DOCUMENTED_ACTIONS_TSV))
}

/// `agent-services.tsv`: whether every action of `service` is one an AWS agent calls, as the
/// table's page lists.
pub fn is_agent_service(service: &str) -> bool {
    static TABLE: OnceLock<Vec<&'static str>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            rows(AGENT_SERVICES_TSV)
                .filter_map(|f| match f.as_slice() {
                    [service, _url, _reason] => Some(*service),
                    _ => None,
                })
                .collect()
        })
        .iter()
        .any(|s| s.eq_ignore_ascii_case(service))
}

/// `arn-formats.tsv`.
pub fn arn_formats() -> &'static [Reviewed] {
    static TABLE: OnceLock<Vec<Reviewed>> = OnceLock::new();
    TABLE.get_or_init(|| {
        rows(ARN_FORMATS_TSV)
            .filter_map(|f| match f.as_slice() {
                [action, arn, url, reason] => Some(Reviewed {
                    action,
                    arn,
                    url,
                    reason,
                }),
                _ => None,
            })
            .collect()
    })
}

/// The rows of a table of four columns (two keys, its AWS page, the reason) as (key, key, url);
/// rows of another shape are left out.
fn triples(text: &'static str) -> Vec<(&'static str, &'static str, &'static str)> {
    rows(text)
        .filter_map(|f| match f.as_slice() {
            [a, b, url, _reason] => Some((*a, *b, *url)),
            _ => None,
        })
        .collect()
}

/// `cross-service-arns.tsv`: (action service, ARN service, url).
pub fn cross_service_arns() -> &'static [(&'static str, &'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| triples(CROSS_SERVICE_TSV))
}

/// Whether AWS uses actions of `action_service` on ARNs of `arn_service` (case-insensitive).
pub fn cross_service(action_service: &str, arn_service: &str) -> bool {
    cross_service_arns().iter().any(|(a, r, _)| {
        a.eq_ignore_ascii_case(action_service) && r.eq_ignore_ascii_case(arn_service)
    })
}

/// `service-required-policies.tsv`: (policy name, service principal, url).
pub fn service_required_policies() -> &'static [(&'static str, &'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| triples(SERVICE_REQUIRED_TSV))
}

/// Whether AWS requires the managed policy `policy` on a role `service` assumes.
pub fn service_requires(policy: &str, service: &str) -> bool {
    service_required_policies()
        .iter()
        .any(|(p, s, _)| *p == policy && s.eq_ignore_ascii_case(service))
}

/// `action-condition-keys.tsv`: (action, condition key, url).
pub fn action_condition_keys() -> &'static [(&'static str, &'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| triples(ACTION_KEYS_TSV))
}

/// Whether the reviewed table says `key` is in the request context of `action` (both
/// case-insensitive; `action` is `service:Action`).
pub fn action_has_key(action: &str, key: &str) -> bool {
    action_condition_keys()
        .iter()
        .any(|(a, k, _)| a.eq_ignore_ascii_case(action) && k.eq_ignore_ascii_case(key))
}

/// `companion-policies.tsv`: (policy name, companion policy name, url).
pub fn companion_policies() -> &'static [(&'static str, &'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| triples(COMPANION_TSV))
}

/// Whether AWS requires the managed policy `policy` on a role that has `companion` attached.
pub fn required_with(policy: &str, companion: &str) -> bool {
    companion_policies()
        .iter()
        .any(|(p, c, _)| *p == policy && *c == companion)
}

/// `job-policies.tsv`: (policy name, job, url).
pub fn job_policies() -> &'static [(&'static str, &'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| triples(JOB_POLICIES_TSV))
}

/// The documented job (and its AWS page) whose whole grant the managed policy `policy` is.
pub fn job_policy(policy: &str) -> Option<(&'static str, &'static str)> {
    job_policies()
        .iter()
        .find(|(p, _, _)| *p == policy)
        .map(|(_, job, url)| (*job, *url))
}

/// The entries of `table` for `service:action` (case-insensitive).
pub fn find<'t, 'q>(
    table: &'t [Reviewed],
    service: &'q str,
    action: &'q str,
) -> impl Iterator<Item = &'t Reviewed> + use<'t, 'q> {
    table.iter().filter(move |r| {
        r.action
            .split_once(':')
            .is_some_and(|(s, a)| s.eq_ignore_ascii_case(service) && a.eq_ignore_ascii_case(action))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    /// Every data line has its columns (a malformed line would be skipped silently otherwise).
    #[test]
    fn every_line_parses() {
        for (text, table_len, columns) in [
            (ACTIONS_ON_STAR_TSV, actions_on_star().len(), 3),
            (ARN_FORMATS_TSV, arn_formats().len(), 4),
            (SERVICE_REQUIRED_TSV, service_required_policies().len(), 4),
            (JOB_POLICIES_TSV, job_policies().len(), 4),
            (COMPANION_TSV, companion_policies().len(), 4),
            (ACTION_KEYS_TSV, action_condition_keys().len(), 4),
            (CROSS_SERVICE_TSV, cross_service_arns().len(), 4),
            (SAM_NON_ACTIONS_TSV, sam_template_non_actions().len(), 3),
            (DOCUMENTED_ACTIONS_TSV, documented_actions().len(), 3),
            (AGENT_SERVICES_TSV, rows(AGENT_SERVICES_TSV).count(), 3),
        ] {
            let lines: Vec<_> = rows(text).collect();
            assert!(!lines.is_empty());
            assert_eq!(lines.len(), table_len);
            for l in lines {
                assert_eq!(l.len(), columns, "{l:?}");
                assert!(l.iter().all(|f| !f.trim().is_empty()), "{l:?}");
            }
        }
    }

    #[test]
    fn entries_name_catalog_actions_and_aws_pages() {
        let catalog = Catalog::get();
        for r in actions_on_star().iter().chain(arn_formats()) {
            let a = catalog
                .action(r.action)
                .unwrap_or_else(|| panic!("{} is not in the catalog", r.action));
            assert!(
                r.url.starts_with("https://docs.aws.amazon.com/"),
                "{}: {}",
                r.action,
                r.url
            );
            assert!(a.action.is_scopable(), "{}", r.action);
        }
        // On "*" only when every resource type is optional: a required type means the data says
        // the action needs an ARN, and the table would contradict it rather than complete it.
        for r in actions_on_star() {
            let a = catalog.action(r.action).expect("checked above");
            assert!(
                a.action.resources.iter().all(|t| !t.required),
                "{}",
                r.action
            );
        }
        for r in arn_formats() {
            let parsed = crate::model::arn::parse_arn(r.arn).expect("six ARN fields");
            let service = r.action.split_once(':').expect("service:action").0;
            assert!(parsed.service.eq_ignore_ascii_case(service), "{}", r.arn);
        }
    }

    /// The table completes the reference for services it knows: the service is in the catalog,
    /// the action is not (a repeat would hide a catalog update that made the line stale).
    #[test]
    fn documented_actions_complete_known_services() {
        let catalog = Catalog::get();
        for r in documented_actions() {
            let (service, _) = r.action.split_once(':').expect("service:action");
            assert!(catalog.service(service).is_some(), "{}", r.action);
            assert!(
                catalog.action(r.action).is_none(),
                "{} is in the catalog",
                r.action
            );
            assert!(
                r.url.starts_with("https://docs.aws.amazon.com/"),
                "{}",
                r.url
            );
        }
        assert_eq!(
            find(documented_actions(), "Transform", "listworkspaces").count(),
            1
        );
    }

    #[test]
    fn action_condition_keys_name_catalog_actions_and_keys() {
        let catalog = Catalog::get();
        for (action, key, url) in action_condition_keys() {
            let a = catalog
                .action(action)
                .unwrap_or_else(|| panic!("{action} is not in the catalog"));
            let info = catalog
                .condition_key(key)
                .unwrap_or_else(|| panic!("{key} is not in the catalog"));
            assert!(!info.global, "{key}");
            // The table completes the reference, never repeats it.
            assert!(
                !a.applicable_condition_keys()
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(key)),
                "{action} already lists {key}"
            );
            assert!(url.starts_with("https://docs.aws.amazon.com/"), "{url}");
        }
        assert!(action_has_key(
            "AWS-Marketplace:subscribe",
            "aws-marketplace:productid"
        ));
        assert!(!action_has_key(
            "aws-marketplace:ViewSubscriptions",
            "aws-marketplace:ProductId"
        ));
    }

    #[test]
    fn companion_policies_are_managed_policies_with_aws_pages() {
        let catalog = Catalog::get();
        for (policy, companion, url) in companion_policies() {
            assert!(catalog.managed_policy(policy).is_some(), "{policy}");
            assert!(catalog.managed_policy(companion).is_some(), "{companion}");
            assert!(url.starts_with("https://docs.aws.amazon.com/"), "{url}");
        }
        assert!(required_with(
            "AmazonEC2ContainerRegistryReadOnly",
            "AmazonEKSWorkerNodePolicy"
        ));
        assert!(!required_with(
            "AmazonEC2ContainerRegistryReadOnly",
            "AmazonSSMManagedInstanceCore"
        ));
    }

    #[test]
    fn job_policies_are_managed_policies_with_aws_pages() {
        let catalog = Catalog::get();
        for (policy, _, url) in job_policies() {
            assert!(catalog.managed_policy(policy).is_some(), "{policy}");
            assert!(url.starts_with("https://docs.aws.amazon.com/"), "{url}");
        }
        assert!(job_policy("AWSSupportAccess").is_some());
        assert!(job_policy("AdministratorAccess").is_none());
    }

    #[test]
    fn service_required_policies_are_managed_policies() {
        let catalog = Catalog::get();
        for (policy, service, url) in service_required_policies() {
            assert!(catalog.managed_policy(policy).is_some(), "{policy}");
            assert!(service.ends_with(".amazonaws.com"), "{service}");
            assert!(url.starts_with("https://docs.aws.amazon.com/"), "{url}");
        }
        assert!(service_requires(
            "AmazonEKSClusterPolicy",
            "eks.amazonaws.com"
        ));
        assert!(!service_requires(
            "AmazonEKSClusterPolicy",
            "ec2.amazonaws.com"
        ));
        assert!(!service_requires(
            "AmazonEC2ContainerRegistryReadOnly",
            "ec2.amazonaws.com"
        ));
    }

    #[test]
    fn cross_service_pairs_name_catalog_services() {
        let catalog = Catalog::get();
        for (action, arn, url) in cross_service_arns() {
            assert!(catalog.service(action).is_some(), "{action}");
            assert!(catalog.is_arn_service(arn), "{arn}");
            assert!(url.starts_with("https://docs.aws.amazon.com/"), "{url}");
        }
        assert!(cross_service("SSM", "eks"));
        assert!(!cross_service("s3", "dynamodb"));
    }

    #[test]
    fn agent_services_are_catalog_services_on_aws_pages() {
        let catalog = Catalog::get();
        for row in rows(AGENT_SERVICES_TSV) {
            assert!(catalog.service(row[0]).is_some(), "{}", row[0]);
            assert!(is_agent_service(row[0]));
            assert!(
                row[1].starts_with("https://docs.aws.amazon.com/"),
                "{}",
                row[1]
            );
        }
        assert!(!is_agent_service("ssm"));
    }

    #[test]
    fn sam_non_actions_are_not_catalog_actions() {
        let catalog = Catalog::get();
        for r in sam_template_non_actions() {
            assert!(
                catalog.action(r.action).is_none(),
                "{} is an IAM action",
                r.action
            );
            assert!(
                r.url.starts_with("https://docs.aws.amazon.com/"),
                "{}",
                r.url
            );
        }
    }

    #[test]
    fn lookups_are_case_insensitive() {
        assert_eq!(
            find(actions_on_star(), "CloudWatch", "putmetricdata").count(),
            1
        );
        assert_eq!(
            find(actions_on_star(), "cloudwatch", "GetMetricData").count(),
            0
        );
        assert_eq!(
            find(arn_formats(), "cloudformation", "CreateChangeSet").count(),
            1
        );
    }
}
