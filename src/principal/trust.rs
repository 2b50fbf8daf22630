//! Who can assume a role, read from its trust policies.

use serde::Serialize;

use crate::model::{PolicyDoc, Scalar};

/// One principal a trust policy lets assume the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trusted {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*`.
    pub kind: String,
    /// The value as written (`*`, an account, an ARN, `lambda.amazonaws.com`).
    pub value: String,
    /// What it means, when it deserves attention: `public`, `cross-account` (a literal account
    /// other than the tree's own, when that is known), `unverified-account` (a literal account
    /// while the tree's own is not known: it may be its own), `oidc`, `saml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// The statement has a `Condition` (it may narrow who really can).
    pub conditional: bool,
    /// The statement's actions (`sts:AssumeRole`, `sts:AssumeRoleWithWebIdentity`).
    pub actions: Vec<String>,
}

impl Trusted {
    /// One line for tables and fingerprints: `AWS * (public, conditional)`.
    pub fn line(&self) -> String {
        let mut notes: Vec<&str> = self
            .note
            .map(|n| match n {
                UNVERIFIED => "other account, not known to be own",
                n => n,
            })
            .into_iter()
            .collect();
        if self.conditional {
            notes.push("conditional");
        }
        if notes.is_empty() {
            format!("{} {}", self.kind, self.value)
        } else {
            format!("{} {} ({})", self.kind, self.value, notes.join(", "))
        }
    }
}

const UNVERIFIED: &str = "unverified-account";

/// Who the Allow statements of a trust policy trust; `own` lists the accounts the tree is known
/// to deploy to (empty when unknown).
pub fn of(doc: &PolicyDoc, own: &[String]) -> Vec<Trusted> {
    let mut out = Vec::new();
    for stmt in doc.statements.iter().filter(|s| s.allows()) {
        let Some(principal) = stmt.principal.as_deref() else {
            continue;
        };
        let actions: Vec<String> = stmt
            .actions()
            .map(|a| a.items.iter().map(|i| i.value.text()).collect())
            .unwrap_or_default();
        for entry in &principal.entries {
            for v in &entry.values {
                let kind = entry.kind.value.clone();
                let note = note_of(&kind, &v.value, principal.negated, own);
                out.push(Trusted {
                    kind,
                    value: v.value.text(),
                    note,
                    conditional: stmt.has_condition(),
                    actions: actions.clone(),
                });
            }
        }
    }
    out
}

/// Public for `*` (or `NotPrincipal`); for an account written literally, cross-account when it
/// differs from the tree's own accounts and those are known, else "unverified" (it may be the
/// tree's own: iamlint does not guess); a reference such as
/// `data.aws_caller_identity.current.account_id` or `${AWS::AccountId}` is the tree's own and not
/// called out; OIDC and SAML for federated identity providers.
fn note_of(kind: &str, value: &Scalar, negated: bool, own: &[String]) -> Option<&'static str> {
    if negated {
        return Some("public");
    }
    let v = value.as_str()?;
    match kind {
        "*" => Some("public"),
        "AWS" if v == "*" => Some("public"),
        "AWS" => {
            let account = crate::model::arn::account_of(v)?;
            if own.is_empty() {
                Some(UNVERIFIED)
            } else if own.iter().any(|o| o == account) {
                None
            } else {
                Some("cross-account")
            }
        }
        "Federated" if v.contains(":saml-provider/") => Some("saml"),
        "Federated"
            if v.contains(":oidc-provider/")
                || v.contains("token.actions.githubusercontent.com")
                || v == "cognito-identity.amazonaws.com"
                || v == "accounts.google.com"
                || v == "graph.facebook.com"
                || v == "www.amazon.com" =>
        {
            Some("oidc")
        }
        _ => None,
    }
}
