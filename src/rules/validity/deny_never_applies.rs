use crate::catalog::{wildcard_match, ConditionType};
use crate::model::{ConditionEntry, ConditionField};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags Deny statements that can match no request, so they never take effect.
    ///
    /// ## What it does
    /// Reports a `Deny` statement when one of these makes it match no request at all:
    ///
    /// - `NotAction`, `NotResource` or `NotPrincipal` lists `"*"`: the statement covers every action,
    ///   resource or principal except all of them;
    /// - one single-valued condition key is compared by two operators of the same `Condition`
    ///   (which must all be true) that no single value satisfies: `StringEquals` on `us-east-1`
    ///   and `StringLike` on `eu-*` for `aws:RequestedRegion`, `NumericLessThan 10` and
    ///   `NumericGreaterThan 20` for `s3:max-keys`. Values inside one operator are alternatives
    ///   (any may match); an operator with a `StringEquals`-like list is checked value by value
    ///   against the others; `StringLike` against `StringLike` alone is not judged;
    /// - `Null` with `true` (the key must be absent) beside a plain positive operator on the same key
    ///   (`StringEquals`, `ArnLike`, `NumericLessThan`, ...), which is false when the key is absent.
    ///
    /// Only keys the embedded catalog types as single-valued (`String`, `ARN`, `Numeric`) are
    /// judged; `...IfExists`, negated and `ForAnyValue:`/`ForAllValues:` operators, values with
    /// policy variables and values the input does not show are left alone. A condition key no
    /// action of the statement has is `inapplicable-condition-key`'s finding, an operator that
    /// does not fit its key's type or a non-boolean `Bool` value `condition-type-mismatch`'s, and
    /// an action pattern that matches nothing `wildcard-matches-nothing`'s.
    ///
    /// ## Why is this bad?
    /// A Deny is a guardrail: it is written so that something cannot happen whatever else is
    /// allowed. When it can never match, the guardrail is not there, and nothing says so: IAM
    /// accepts the policy and every request it was meant to stop goes through. It is an error
    /// because the statement has no effect at all, and the one it was written for is missing.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*",
    ///   "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "StringLike": {"aws:RequestedRegion": "eu-*"}}}]}
    /// ```
    ///
    /// Use instead: one operator lists every alternative.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*",
    ///   "Condition": {"StringLike": {"aws:RequestedRegion": ["us-east-1", "eu-*"]}}}]}
    /// ```
    ///
    /// ## References
    /// - [Condition logic with multiple context keys or values](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html)
    /// - [Condition operators (`Null`, `...IfExists`)](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
    /// - [NotAction](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html), [NotResource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html), [NotPrincipal](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
    pub DenyNeverApplies {
        id: "deny-never-applies",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

impl Rule for DenyNeverApplies {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        if stmt.effect() != Some(Effect::Deny) {
            return;
        }
        let negated_star = [
            stmt.action
                .as_ref()
                .filter(|a| a.negated)
                .map(|a| ("NotAction", a)),
            stmt.resource
                .as_ref()
                .filter(|r| r.negated)
                .map(|r| ("NotResource", r)),
        ];
        for (name, field) in negated_star.into_iter().flatten() {
            if let Some(star) = field.known().find(|v| v.value == "*") {
                out.push(
                    Self::finding(
                        star.span,
                        format!(
                            "`{name}` lists `*`, so this Deny covers nothing and never applies"
                        ),
                    )
                    .help("list what the Deny is for, or use the positive element")
                    .path(stmt.path.clone())
                    .build(),
                );
                return;
            }
        }
        if let Some(p) = stmt.principal.as_ref().filter(|p| p.negated) {
            if let Some(star) = p.public_values().next() {
                out.push(
                    Self::finding(
                        star.span,
                        "`NotPrincipal` lists `*`, so this Deny covers no principal and never applies",
                    )
                    .help("name the principals to exempt, or use `Principal` with `aws:PrincipalArn` conditions")
                    .path(stmt.path.clone())
                    .build(),
                );
                return;
            }
        }
        if let Some(condition) = &stmt.condition {
            if let Some(finding) = contradiction(condition, cx) {
                out.push(
                    Self::finding(finding.span, finding.message)
                        .related(finding.other, "must also be true")
                        .help(finding.help)
                        .path(stmt.path.clone())
                        .build(),
                );
            }
        }
    }
}

const ALTERNATIVES: &str =
    "put the alternatives in one operator (its values are OR'ed), or drop the operator that cannot hold";

struct Contradiction {
    span: Span,
    other: Span,
    message: String,
    help: &'static str,
}

/// A plain operator's family, for the ones judged here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `StringEquals`, `StringEqualsIgnoreCase`: a list of exact values.
    Exact,
    /// `StringLike`, `ArnEquals`, `ArnLike`: glob patterns.
    Glob,
    /// `NumericEquals`: a list of numbers.
    NumEq,
    /// `NumericLessThan[Equals]` (`true` for `...Equals`).
    NumBelow(bool),
    /// `NumericGreaterThan[Equals]`.
    NumAbove(bool),
    /// `Null` with `true`.
    Absent,
    /// Any other plain positive operator: false when the key is absent.
    OtherPositive,
}

fn family(op: &str, entry: &ConditionEntry) -> Option<Family> {
    let lower = op.to_ascii_lowercase();
    if lower.contains(':') || lower.ends_with("ifexists") {
        return None;
    }
    Some(match lower.as_str() {
        "null" => {
            let v: Vec<_> = entry.values.iter().map(|v| v.value.literal()).collect();
            if v.len() == 1 && v[0].is_some_and(|s| s.eq_ignore_ascii_case("true")) {
                Family::Absent
            } else {
                return None;
            }
        }
        "stringequals" | "stringequalsignorecase" => Family::Exact,
        "stringlike" | "arnequals" | "arnlike" => Family::Glob,
        "numericequals" => Family::NumEq,
        "numericlessthan" => Family::NumBelow(false),
        "numericlessthanequals" => Family::NumBelow(true),
        "numericgreaterthan" => Family::NumAbove(false),
        "numericgreaterthanequals" => Family::NumAbove(true),
        "dateequals"
        | "datelessthan"
        | "datelessthanequals"
        | "dategreaterthan"
        | "dategreaterthanequals"
        | "bool"
        | "binaryequals"
        | "ipaddress" => Family::OtherPositive,
        _ => return None,
    })
}

/// The first key of the condition that two of its operators can never both match.
fn contradiction(condition: &ConditionField, cx: &Ctx) -> Option<Contradiction> {
    // (key, family, op name, entry) for every judged entry.
    let mut judged: Vec<(String, Family, &str, &ConditionEntry)> = Vec::new();
    for (op, entry) in condition.entries() {
        let (Some(name), Some(key)) = (op.name.value.as_str(), entry.key.value.as_str()) else {
            continue;
        };
        let Some(fam) = family(name, entry) else {
            continue;
        };
        // Every value known, with no policy variable: otherwise the values are not what is seen.
        let known = entry
            .values
            .iter()
            .all(|v| v.value.literal().is_some_and(|s| !s.contains("${")));
        if !known || entry.values.is_empty() {
            continue;
        }
        judged.push((key.to_ascii_lowercase(), fam, name, entry));
    }
    for (i, (key, fam, name, entry)) in judged.iter().enumerate() {
        let others: Vec<_> = judged
            .iter()
            .enumerate()
            .filter(|(j, (k, ..))| *j != i && k == key)
            .map(|(_, x)| x)
            .collect();
        if others.is_empty() {
            continue;
        }
        let single = cx.catalog.condition_key(key).is_some_and(|info| {
            matches!(
                info.ty,
                ConditionType::String | ConditionType::Arn | ConditionType::Numeric
            )
        });
        let shown = entry.key.value.as_str().unwrap_or(key);
        if *fam == Family::Absent {
            if let Some((_, _, other_name, other)) =
                others.iter().find(|(_, f, ..)| *f != Family::Absent)
            {
                return Some(Contradiction {
                    span: other.key.span,
                    other: entry.key.span,
                    message: format!(
                        "`{other_name}` on `{shown}` is false when `Null` requires the key to be absent, so this Deny never applies"
                    ),
                    help: "split it into two Deny statements, one with the `Null` test and one with the comparison (operators are AND'ed, statements are not)",
                });
            }
            continue;
        }
        if !single {
            continue;
        }
        let values: Vec<&str> = entry
            .values
            .iter()
            .filter_map(|v| v.value.literal())
            .collect();
        match fam {
            Family::Exact => {
                let fits = |v: &str| {
                    others.iter().all(|(_, f, _, o)| {
                        let vals = o.values.iter().filter_map(|x| x.value.literal());
                        match f {
                            Family::Exact => vals.into_iter().any(|x| x.eq_ignore_ascii_case(v)),
                            Family::Glob => vals.into_iter().any(|x| wildcard_match(x, v)),
                            _ => true,
                        }
                    })
                };
                let judged_others = others
                    .iter()
                    .filter(|(_, f, ..)| matches!(f, Family::Exact | Family::Glob))
                    .collect::<Vec<_>>();
                if let Some((_, _, other_name, other)) = judged_others.first() {
                    if !values.iter().any(|v| fits(v)) {
                        return Some(Contradiction {
                            span: entry.key.span,
                            other: other.key.span,
                            message: format!(
                                "no value of `{shown}` can match both `{name}` and `{other_name}`, so this Deny never applies"
                            ),
                            help: ALTERNATIVES,
                        });
                    }
                }
            }
            Family::NumEq | Family::NumBelow(_) | Family::NumAbove(_) => {
                let mut all = vec![(*fam, values.clone())];
                for (_, f, _, o) in &others {
                    if matches!(f, Family::NumEq | Family::NumBelow(_) | Family::NumAbove(_)) {
                        all.push((
                            *f,
                            o.values.iter().filter_map(|x| x.value.literal()).collect(),
                        ));
                    }
                }
                if all.len() < 2 {
                    continue;
                }
                if numeric_empty(&all) == Some(true) {
                    let other = others.iter().find(|(_, f, ..)| {
                        matches!(f, Family::NumEq | Family::NumBelow(_) | Family::NumAbove(_))
                    });
                    let (other_name, other_span) =
                        other.map_or(("", entry.key.span), |(_, _, n, o)| (*n, o.key.span));
                    return Some(Contradiction {
                        span: entry.key.span,
                        other: other_span,
                        message: format!(
                            "no number can satisfy both `{name}` and `{other_name}` on `{shown}`, so this Deny never applies"
                        ),
                        help: ALTERNATIVES,
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether no number satisfies every operator (each one the OR of its values); `None` when a
/// value is not a number (`condition-type-mismatch` reports it).
fn numeric_empty(ops: &[(Family, Vec<&str>)]) -> Option<bool> {
    // Lower and upper bounds, with whether they are included.
    let mut lo: Option<(f64, bool)> = None;
    let mut hi: Option<(f64, bool)> = None;
    let mut sets: Vec<Vec<f64>> = Vec::new();
    for (fam, vals) in ops {
        let nums: Vec<f64> = vals
            .iter()
            .map(|v| v.trim().parse::<f64>().ok())
            .collect::<Option<_>>()?;
        match fam {
            Family::NumEq => sets.push(nums),
            Family::NumBelow(incl) => {
                // x < any value: the largest bound is the weakest.
                let b = nums.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                if hi.is_none_or(|(h, hi_incl)| b < h || (b == h && hi_incl && !incl)) {
                    hi = Some((b, *incl));
                }
            }
            Family::NumAbove(incl) => {
                let b = nums.iter().cloned().fold(f64::INFINITY, f64::min);
                if lo.is_none_or(|(l, lo_incl)| b > l || (b == l && lo_incl && !incl)) {
                    lo = Some((b, *incl));
                }
            }
            _ => {}
        }
    }
    let in_range = |x: f64| {
        lo.is_none_or(|(l, incl)| x > l || (incl && x == l))
            && hi.is_none_or(|(h, incl)| x < h || (incl && x == h))
    };
    if let Some((first, rest)) = sets.split_first() {
        return Some(
            !first
                .iter()
                .any(|x| in_range(*x) && rest.iter().all(|s| s.contains(x))),
        );
    }
    Some(match (lo, hi) {
        (Some((l, li)), Some((h, hi_incl))) => l > h || (l == h && !(li && hi_incl)),
        _ => false,
    })
}
