use std::collections::BTreeMap;

use crate::rules::prelude::*;
use crate::text::thousands;

declare_rule! {
    /// Flags policies longer than the AWS size quota for where they are used.
    ///
    /// ## What it does
    /// Counts the characters of each policy document, not counting whitespace (as IAM does), and
    /// compares them with the default IAM quotas: a managed policy (or permissions boundary) 6,144;
    /// a role trust policy 2,048; inline policies 10,240 per role, 5,120 per group and 2,048 per user,
    /// all inline policies of one principal counted together. Where a document is used comes from
    /// the input (Terraform resource, CloudFormation resource, authorization details); a standalone
    /// JSON policy of unknown use is judged as a managed policy. JSON text is measured as written;
    /// a policy written in HCL or YAML is measured as the compact JSON AWS would receive, with low
    /// confidence when some values are unknown. Resource policies (bucket, queue, key policies)
    /// have per-service quotas and are not judged.
    ///
    /// ## Why is this bad?
    /// AWS rejects the policy at deploy time (`LimitExceeded`), usually in the middle of an apply.
    /// A policy near the quota is also a sign it grants too much: long action lists are better
    /// replaced by a few scoped statements.
    ///
    /// ## Example
    /// A trust policy that lists 80 accounts one by one:
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Sid": "AccountsOne", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111111111100:root", "arn:aws:iam::111111111101:root", "arn:aws:iam::111111111102:root", "arn:aws:iam::111111111103:root", "arn:aws:iam::111111111104:root", "arn:aws:iam::111111111105:root", "arn:aws:iam::111111111106:root", "arn:aws:iam::111111111107:root", "arn:aws:iam::111111111108:root", "arn:aws:iam::111111111109:root", "arn:aws:iam::111111111110:root", "arn:aws:iam::111111111111:root", "arn:aws:iam::111111111112:root", "arn:aws:iam::111111111113:root", "arn:aws:iam::111111111114:root", "arn:aws:iam::111111111115:root", "arn:aws:iam::111111111116:root", "arn:aws:iam::111111111117:root", "arn:aws:iam::111111111118:root", "arn:aws:iam::111111111119:root"]}, "Action": "sts:AssumeRole"},
    ///   {"Sid": "AccountsTwo", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::211111111100:root", "arn:aws:iam::211111111101:root", "arn:aws:iam::211111111102:root", "arn:aws:iam::211111111103:root", "arn:aws:iam::211111111104:root", "arn:aws:iam::211111111105:root", "arn:aws:iam::211111111106:root", "arn:aws:iam::211111111107:root", "arn:aws:iam::211111111108:root", "arn:aws:iam::211111111109:root", "arn:aws:iam::211111111110:root", "arn:aws:iam::211111111111:root", "arn:aws:iam::211111111112:root", "arn:aws:iam::211111111113:root", "arn:aws:iam::211111111114:root", "arn:aws:iam::211111111115:root", "arn:aws:iam::211111111116:root", "arn:aws:iam::211111111117:root", "arn:aws:iam::211111111118:root", "arn:aws:iam::211111111119:root"]}, "Action": "sts:AssumeRole"},
    ///   {"Sid": "AccountsThree", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::311111111100:root", "arn:aws:iam::311111111101:root", "arn:aws:iam::311111111102:root", "arn:aws:iam::311111111103:root", "arn:aws:iam::311111111104:root", "arn:aws:iam::311111111105:root", "arn:aws:iam::311111111106:root", "arn:aws:iam::311111111107:root", "arn:aws:iam::311111111108:root", "arn:aws:iam::311111111109:root", "arn:aws:iam::311111111110:root", "arn:aws:iam::311111111111:root", "arn:aws:iam::311111111112:root", "arn:aws:iam::311111111113:root", "arn:aws:iam::311111111114:root", "arn:aws:iam::311111111115:root", "arn:aws:iam::311111111116:root", "arn:aws:iam::311111111117:root", "arn:aws:iam::311111111118:root", "arn:aws:iam::311111111119:root"]}, "Action": "sts:AssumeRole"},
    ///   {"Sid": "AccountsFour", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::411111111100:root", "arn:aws:iam::411111111101:root", "arn:aws:iam::411111111102:root", "arn:aws:iam::411111111103:root", "arn:aws:iam::411111111104:root", "arn:aws:iam::411111111105:root", "arn:aws:iam::411111111106:root", "arn:aws:iam::411111111107:root", "arn:aws:iam::411111111108:root", "arn:aws:iam::411111111109:root", "arn:aws:iam::411111111110:root", "arn:aws:iam::411111111111:root", "arn:aws:iam::411111111112:root", "arn:aws:iam::411111111113:root", "arn:aws:iam::411111111114:root", "arn:aws:iam::411111111115:root", "arn:aws:iam::411111111116:root", "arn:aws:iam::411111111117:root", "arn:aws:iam::411111111118:root", "arn:aws:iam::411111111119:root"]}, "Action": "sts:AssumeRole"}
    /// ]}
    /// ```
    ///
    /// Use instead: one condition on the organization.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
    ///   "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}
    /// ```
    ///
    /// ## Known limitations
    /// Only the default quotas are known; a trust policy quota raised to 4,096 through Service Quotas
    /// is still reported above 2,048.
    ///
    /// ## References
    /// - [IAM and AWS STS quotas](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
    pub PolicyTooLarge {
        id: "policy-too-large",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

const MANAGED: usize = 6_144;
const TRUST: usize = 2_048;
const ROLE_INLINE: usize = 10_240;
const GROUP_INLINE: usize = 5_120;
const USER_INLINE: usize = 2_048;

/// What a document counts against.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Quota {
    Managed,
    Trust,
    /// Inline policies of one principal: (kind, principal key).
    Inline(&'static str, String),
}

fn quota_of(doc: &PolicyDoc) -> Option<Quota> {
    match doc.kind {
        PolicyKind::Resource | PolicyKind::Unknown => None,
        PolicyKind::Trust => Some(Quota::Trust),
        PolicyKind::Boundary => Some(Quota::Managed),
        PolicyKind::Identity => {
            let managed =
                doc.origin.managed_policy.is_some()
                    || doc.origin.address.as_deref().is_some_and(|a| {
                        a.starts_with("aws_iam_policy.") || a.starts_with("policy/")
                    });
            let Some(principal) = doc.origin.attached_to.as_deref().filter(|_| !managed) else {
                return Some(Quota::Managed);
            };
            let kind = principal_kind(principal)?;
            Some(Quota::Inline(kind, principal.to_string()))
        }
    }
}

/// `role/ci`, `aws_iam_role.ci`, `module.x.aws_iam_user.u` → `role` / `user` / `group`.
fn principal_kind(principal: &str) -> Option<&'static str> {
    for kind in ["role", "user", "group"] {
        if principal.starts_with(&format!("{kind}/"))
            || principal.contains(&format!("aws_iam_{kind}."))
        {
            return Some(kind);
        }
    }
    None
}

/// Characters of the document without whitespace, and whether that is an estimate.
/// Characters that are not whitespace, as IAM counts a policy's size. Byte by byte for ASCII text
/// (a managed-policy corpus is megabytes of it), char by char otherwise.
fn non_whitespace_chars(text: &str) -> usize {
    if text.is_ascii() {
        // The ASCII characters `char::is_whitespace` accepts (`u8::is_ascii_whitespace` omits \x0b).
        let space = |b: &&u8| matches!(**b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
        return text.as_bytes().iter().filter(|b| !space(b)).count();
    }
    text.chars().filter(|c| !c.is_whitespace()).count()
}

fn size(doc: &PolicyDoc, cx: &Ctx) -> (usize, bool) {
    if doc.syntax == Syntax::Json {
        let text = cx.sources.get(doc.span.file).slice(doc.span);
        return (non_whitespace_chars(text), false);
    }
    let mut unsure = false;
    let mut n = "{\"Version\":\"2012-10-17\",\"Statement\":[]}".len();
    let mut str_len = |s: &Scalar| {
        if !s.is_known() {
            unsure = true;
        }
        // Only the known text counts (an unknown part is at least empty, never its expression).
        let text = match s {
            Scalar::Template(t) => t.with_holes(""),
            Scalar::Unknown(_) => String::new(),
            _ => s.text(),
        };
        // Quotes; whitespace inside strings counts for IAM too, but we cannot tell it apart here.
        text.chars().filter(|c| !c.is_whitespace()).count() + 2
    };
    for (i, stmt) in doc.statements.iter().enumerate() {
        n += 2 + usize::from(i > 0);
        let field = |name: &str, len: usize| name.len() + 3 + len + 1;
        if let Some(sid) = &stmt.sid {
            n += field("Sid", str_len(&sid.value));
        }
        if let Some(e) = &stmt.effect {
            n += field("Effect", str_len(&e.value));
        }
        for (name, list) in [
            (
                if stmt.action.as_ref().is_some_and(|a| a.negated) {
                    "NotAction"
                } else {
                    "Action"
                },
                &stmt.action,
            ),
            (
                if stmt.resource.as_ref().is_some_and(|a| a.negated) {
                    "NotResource"
                } else {
                    "Resource"
                },
                &stmt.resource,
            ),
        ] {
            if let Some(list) = list {
                let items: usize = list.items.iter().map(|i| str_len(&i.value) + 1).sum();
                n += field(name, items + 1);
            }
        }
        if let Some(p) = &stmt.principal {
            let mut len = 2;
            for e in &p.entries {
                len += e.kind.value.len() + 3;
                len += e
                    .values
                    .iter()
                    .map(|v| str_len(&v.value) + 1)
                    .sum::<usize>()
                    + 2;
            }
            n += field("Principal", len);
        }
        if let Some(c) = &stmt.condition {
            let mut len = 2;
            for op in &c.operators {
                len += str_len(&op.name.value) + 3;
                for e in &op.entries {
                    len += str_len(&e.key.value) + 1;
                    len += e
                        .values
                        .iter()
                        .map(|v| str_len(&v.value) + 1)
                        .sum::<usize>()
                        + 2;
                }
            }
            n += field("Condition", len);
        }
    }
    (n, unsure)
}

impl Rule for PolicyTooLarge {
    fn check_file(&self, file: &FileModel, cx: &Ctx, out: &mut Vec<Finding>) {
        // Inline policies of one principal are counted together.
        let mut inline: BTreeMap<Quota, Vec<(&PolicyDoc, usize, bool)>> = BTreeMap::new();
        for doc in &file.docs {
            let Some(quota) = quota_of(doc) else { continue };
            let (n, unsure) = size(doc, cx);
            let limit = match &quota {
                Quota::Managed => MANAGED,
                Quota::Trust => TRUST,
                Quota::Inline(..) => {
                    inline.entry(quota).or_default().push((doc, n, unsure));
                    continue;
                }
            };
            if n > limit {
                let what = if quota == Quota::Trust {
                    "a role trust policy"
                } else {
                    "a managed policy"
                };
                out.push(
                    Self::finding(
                        head(doc),
                        format!(
                            "policy has {} characters without whitespace; {what} may have {}",
                            thousands(n),
                            thousands(limit)
                        ),
                    )
                    .help(help(&quota))
                    .unsure_if(unsure)
                    .path(doc.path.clone())
                    .build(),
                );
            }
        }
        for (quota, docs) in inline {
            let Quota::Inline(kind, principal) = &quota else {
                continue;
            };
            let limit = match *kind {
                "role" => ROLE_INLINE,
                "group" => GROUP_INLINE,
                _ => USER_INLINE,
            };
            let total: usize = docs.iter().map(|(_, n, _)| n).sum();
            if total <= limit {
                continue;
            }
            let Some((last, _, _)) = docs.last() else {
                continue;
            };
            let mut finding = Self::finding(
                head(last),
                format!(
                    "inline policies of {kind} `{principal}` have {} characters without whitespace; a {kind}'s inline policies may have {} in total",
                    thousands(total),
                    thousands(limit)
                ),
            )
            .help(help(&quota))
            .unsure_if(docs.iter().any(|(_, _, u)| *u))
            .path(last.path.clone());
            for (doc, n, _) in docs.iter().rev().skip(1) {
                finding = finding.related(head(doc), format!("{} characters", thousands(*n)));
            }
            out.push(finding.build());
        }
    }
}

/// Where to point: the `Statement` key (the size is the statements'), else the document's first
/// character (its opening brace).
fn head(doc: &PolicyDoc) -> Span {
    doc.statement_key.unwrap_or(Span {
        end: doc.span.start.saturating_add(1).min(doc.span.end),
        ..doc.span
    })
}

fn help(quota: &Quota) -> String {
    match quota {
        Quota::Trust => "merge principals under one condition (`aws:PrincipalOrgID`, `aws:PrincipalArn` with wildcards), or ask for the 4,096 quota".into(),
        Quota::Managed => "split the policy into several managed policies, or replace long action lists with scoped wildcards".into(),
        Quota::Inline(..) => "move some statements into a managed policy and attach it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_counts_as_char_is_whitespace_does() {
        for text in [
            "",
            "a b",
            " \t\n\r\x0b\x0c x",
            "{\"a\": 1}",
            "é\u{a0}x\u{2003}",
            "\u{85}\u{1680}z",
        ] {
            let expected = text.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(non_whitespace_chars(text), expected, "{text:?}");
        }
    }
}
