use crate::rules::prelude::*;

declare_rule! {
    /// Flags web-identity trust for shared CI issuers that does not pin the `sub` and `aud` claims.
    ///
    /// ## What it does
    /// For Allow statements of trust policies whose `Federated` principal is the OIDC provider of a
    /// multi-tenant CI service (GitHub Actions `token.actions.githubusercontent.com`, GitLab.com
    /// `gitlab.com`, HCP Terraform `app.terraform.io`, Buildkite `agent.buildkite.com`), checks the
    /// `Condition`:
    /// - the `<issuer>:sub` claim must be compared with a positive string operator (`StringEquals`,
    ///   `StringLike`, not `...IfExists`), and none of its values may match every owner: `*`,
    ///   `repo:*` (GitHub), `project_path:*` (GitLab), `organization:*` (Terraform, Buildkite), or any
    ///   value whose owner part holds a wildcard (`repo:my-org*/app:*` also matches `my-org-evil`);
    /// - the `<issuer>:aud` claim is worth comparing too, but its absence is only `info`: STS
    ///   itself accepts a token only when its `aud` is one of the client ids (audiences)
    ///   registered on the IAM OIDC provider, so a trust without an `aud` condition still admits
    ///   only the provider's audiences. A `ForAllValues:StringEquals` on it (also true when the
    ///   token has no such claim) is reported as such, as `info` too.
    ///
    /// The issuer is read from the provider ARN (also when the account part is unknown), or, when
    /// the ARN is not known, from the claim keys of the condition. Self-hosted GitLab, GitHub
    /// Enterprise Server and other private issuers are left alone: only their owners can mint tokens.
    ///
    /// ## Why is this bad?
    /// Every repository, project or workspace on these platforms can obtain a token from the same
    /// issuer. Without a `sub` condition naming yours, any of them can assume the role; with
    /// `repo:*` the same holds. An `aud` condition states in the policy what the provider's client
    /// ids already enforce, which helps a reviewer and guards against a provider registered with a
    /// broad client id; hence `info`.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    ///   "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
    ///   "Action": "sts:AssumeRoleWithWebIdentity",
    ///   "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
    ///                 "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    ///   "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
    ///   "Action": "sts:AssumeRoleWithWebIdentity",
    ///   "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    ///                                  "token.actions.githubusercontent.com:sub": "repo:my-org/app:ref:refs/heads/main"}}}]}
    /// ```
    ///
    /// ## References
    /// - [Creating a role for web identity or OIDC federation](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html)
    /// - [Create an OpenID Connect (OIDC) identity provider in IAM](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html) (the provider's client ids are the accepted audiences)
    /// - [Available keys for AWS web identity federation](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif)
    /// - [GitHub: Configuring OpenID Connect in Amazon Web Services](https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services)
    /// - [GitLab: Configure OpenID Connect in AWS](https://docs.gitlab.com/ci/cloud_services/aws/)
    /// - [HCP Terraform: dynamic provider credentials for AWS](https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration)
    pub OidcTrustUnrestricted {
        id: "oidc-trust-unrestricted",
        category: Trust,
        severity: Error,
        fix: None,
    }
}

/// A shared issuer: host (as in the provider ARN and claim keys), display name, the prefix of the
/// `sub` claim that names the owner, and an example `sub`.
struct Issuer {
    host: &'static str,
    name: &'static str,
    owner_prefix: &'static str,
    example: &'static str,
}

const ISSUERS: &[Issuer] = &[
    Issuer {
        host: "token.actions.githubusercontent.com",
        name: "GitHub Actions",
        owner_prefix: "repo:",
        example: "repo:<org>/<repo>:ref:refs/heads/main",
    },
    Issuer {
        host: "gitlab.com",
        name: "GitLab.com",
        owner_prefix: "project_path:",
        example: "project_path:<group>/<project>:ref_type:branch:ref:main",
    },
    Issuer {
        host: "app.terraform.io",
        name: "HCP Terraform",
        owner_prefix: "organization:",
        example: "organization:<org>:project:<project>:workspace:<workspace>:run_phase:apply",
    },
    Issuer {
        host: "agent.buildkite.com",
        name: "Buildkite",
        owner_prefix: "organization:",
        example: "organization:<org>:pipeline:<pipeline>:ref:refs/heads/main:commit:*:step:*",
    },
];

fn issuer_for(issuer_path: &str) -> Option<&'static Issuer> {
    // GitHub's enterprise-specific issuers keep the host: `token.actions.githubusercontent.com/<enterprise>`.
    let host = issuer_path.split('/').next().unwrap_or(issuer_path);
    ISSUERS.iter().find(|i| i.host.eq_ignore_ascii_case(host))
}

/// The issuer (host and path) of a `Federated` value: `arn:aws:iam::1:oidc-provider/<issuer>` or a
/// bare issuer.
fn issuer_of_principal(value: &str) -> Option<&str> {
    match value.split_once(":oidc-provider/") {
        Some((_, issuer)) => Some(issuer),
        None if !value.starts_with("arn:") => Some(value),
        None => None,
    }
}

const POSITIVE: &[&str] = &[
    "StringEquals",
    "StringLike",
    "StringEqualsIgnoreCase",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
];

/// A `sub` value that lets any owner in: `*`, `repo:*`, or a wildcard in the owner part.
fn matches_any_owner(value: &str, issuer: &Issuer) -> bool {
    if value.starts_with(['*', '?']) {
        return true;
    }
    let Some(rest) = value.strip_prefix(issuer.owner_prefix) else {
        return false;
    };
    let owner_end = rest.find(['/', ':']).unwrap_or(rest.len());
    rest[..owner_end].contains(['*', '?']) || rest.is_empty()
}

impl Rule for OidcTrustUnrestricted {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        _cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if !stmt.allows() {
            return;
        }
        let Some(principal) = stmt.principal.as_ref().filter(|p| !p.negated) else {
            return;
        };
        // The federated principals: known issuers with their key prefix and span.
        let mut found: Vec<(&'static Issuer, String, Span, bool)> = Vec::new();
        let mut unknown_federated: Option<Span> = None;
        for entry in principal
            .entries
            .iter()
            .filter(|e| e.kind.value == "Federated")
        {
            for v in &entry.values {
                let (text, unsure) = match &v.value {
                    Scalar::Str(s) => (s.clone(), false),
                    Scalar::Template(t) => (t.with_holes("x"), true),
                    _ => {
                        unknown_federated = Some(v.span);
                        continue;
                    }
                };
                if let Some(issuer_path) = issuer_of_principal(&text) {
                    if let Some(issuer) = issuer_for(issuer_path) {
                        found.push((issuer, issuer_path.to_string(), v.span, unsure));
                    }
                }
            }
        }
        if found.is_empty() {
            // An unknown provider ARN: judge by the claim keys the condition names, if any.
            let Some(span) = unknown_federated else {
                return;
            };
            let Some(condition) = &stmt.condition else {
                return;
            };
            for (_, e) in condition.entries() {
                let Some(key) = e.key.value.as_str() else {
                    continue;
                };
                let Some((issuer_path, _)) = key.rsplit_once(':') else {
                    continue;
                };
                if let Some(issuer) = issuer_for(issuer_path) {
                    if !found
                        .iter()
                        .any(|(_, p, ..)| p.eq_ignore_ascii_case(issuer_path))
                    {
                        found.push((issuer, issuer_path.to_string(), span, true));
                    }
                }
            }
        }
        for (issuer, issuer_path, span, unsure) in found {
            let sub_key = format!("{issuer_path}:sub");
            let aud_key = format!("{issuer_path}:aud");
            let mut sub_seen = false;
            let mut aud_seen = false;
            let mut aud_for_all: Option<(Span, String)> = None;
            let mut wide: Option<(Span, String)> = None;
            if let Some(condition) = &stmt.condition {
                for (op, e) in condition.entries() {
                    let (Some(op), Some(key)) = (op.name.value.as_str(), e.key.value.as_str())
                    else {
                        continue;
                    };
                    let positive = POSITIVE.iter().any(|p| p.eq_ignore_ascii_case(op));
                    if key.eq_ignore_ascii_case(&aud_key) && positive {
                        aud_seen = true;
                    }
                    // `ForAllValues:` on a single-valued claim is true when the claim is absent.
                    if key.eq_ignore_ascii_case(&aud_key)
                        && op.len() > 14
                        && op[..14].eq_ignore_ascii_case("ForAllValues:S")
                    {
                        aud_for_all = Some((e.key.span, op.to_string()));
                    }
                    if key.eq_ignore_ascii_case(&sub_key) && positive {
                        sub_seen = true;
                        for v in &e.values {
                            if let Some(text) = v.value.as_str() {
                                if matches_any_owner(text, issuer) && wide.is_none() {
                                    wide = Some((v.span, text.to_string()));
                                }
                            }
                        }
                    }
                }
            }
            let mut push = |at: Span, message: String, help: String, severity: Severity| {
                let mut f = Self::finding(at, message)
                    .severity(severity)
                    .help(help)
                    .unsure_if(unsure)
                    .path(stmt.path.clone());
                f = f.related(span, format!("{} OIDC provider", issuer.name));
                out.push(f.build());
            };
            let sub_help = format!(
                "compare `{sub_key}` with `StringEquals` or `StringLike` on your own {}, e.g. `{}`",
                if issuer.owner_prefix == "repo:" {
                    "repositories"
                } else {
                    "projects"
                },
                issuer.example
            );
            if let Some((at, value)) = wide {
                push(
                    at,
                    format!("`{value}` lets every {} user assume this role", issuer.name),
                    sub_help,
                    Severity::Error,
                );
            } else if !sub_seen {
                push(
                    stmt.condition.as_ref().map_or(span, |c| c.key),
                    format!(
                        "no condition on `{sub_key}`: every {} user can assume this role",
                        issuer.name
                    ),
                    sub_help,
                    Severity::Error,
                );
            }
            if let (false, Some((at, op))) = (aud_seen, &aud_for_all) {
                push(
                    *at,
                    format!(
                        "`{op}` on `{aud_key}` also accepts a token without the claim; it pins no audience"
                    ),
                    format!(
                        "use `\"StringEquals\": {{\"{aud_key}\": \"sts.amazonaws.com\"}}` (or your provider's audience): `{aud_key}` has one value"
                    ),
                    Severity::Info,
                );
            } else if !aud_seen {
                push(
                    stmt.condition.as_ref().map_or(span, |c| c.key),
                    format!("no condition on `{aud_key}`: the policy does not state the audience (STS still checks the provider's client ids)"),
                    format!(
                        "add `\"StringEquals\": {{\"{aud_key}\": \"sts.amazonaws.com\"}}` (or your provider's audience)"
                    ),
                    Severity::Info,
                );
            }
        }
    }
}
