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
    /// What it means, when it deserves attention: `public`, `cross-account`, `oidc`, `saml`.
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
        let mut notes: Vec<&str> = self.note.into_iter().collect();
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

/// Who the Allow statements of a trust policy trust.
pub fn of(doc: &PolicyDoc) -> Vec<Trusted> {
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
                let note = note_of(&kind, &v.value, principal.negated);
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

/// Public for `*` (or `NotPrincipal`), cross-account for an account written literally (iamlint
/// does not know which account the tree deploys to: an account id of its own is called out too,
/// a reference such as `data.aws_caller_identity.current.account_id` is not), OIDC and SAML for
/// federated identity providers.
fn note_of(kind: &str, value: &Scalar, negated: bool) -> Option<&'static str> {
    if negated {
        return Some("public");
    }
    let v = value.as_str()?;
    match kind {
        "*" => Some("public"),
        "AWS" if v == "*" => Some("public"),
        "AWS" => {
            let account = if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
                true
            } else {
                crate::model::arn::parse_arn(v).is_some_and(|a| {
                    a.account.len() == 12 && a.account.bytes().all(|b| b.is_ascii_digit())
                })
            };
            account.then_some("cross-account")
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
