use crate::catalog::ConditionType;
use crate::rules::prelude::*;

declare_rule! {
    /// Flags condition operators that do not fit the type of their key, and unknown operators.
    ///
    /// ## What it does
    /// For every `Condition` entry whose key is known (see `unknown-condition-key`), compares the
    /// operator's family with the key's type from the catalog, as leniently as IAM evaluates:
    /// `String*` fits String, ARN and Bool keys (IAM compares their text); `Numeric*` fits
    /// Numeric keys (and `aws:EpochTime`, which AWS documents as date or numeric); `Date*` fits
    /// Date keys; `Bool` fits Bool keys; `IpAddress`/`NotIpAddress` fit IP address keys; `Arn*` fits
    /// ARN and String keys (many String keys hold ARNs, such as KMS encryption context values);
    /// `BinaryEquals` fits Binary keys; `Null` fits every key. A `...IfExists` suffix changes
    /// nothing. `ForAllValues:` on a single-valued key is reported: it is true whenever the key is
    /// absent (keys AWS documents with set operators though the catalog types them String, such as
    /// `codestar-connections:ProviderAction`, are exempt). `ForAnyValue:` on a single-valued key
    /// behaves like the plain operator and a single-valued operator on a multivalued key is
    /// evaluated by IAM, so neither is reported. Values of `Bool` and `Null` must be `true` or
    /// `false`, values of `Numeric*` numbers, values of `Date*` ISO 8601 dates that exist
    /// (`2025-02-28`, `2025-02-28T12:00:00Z`, with an optional fraction and offset) or seconds
    /// since the epoch, values of `IpAddress`/`NotIpAddress` IPv4 or IPv6 addresses with an optional
    /// prefix length that fits the address (`/0` to `/32`, `/128`), and values of `Arn*` ARNs
    /// (`arn:` and six fields; a bare `*` is left alone). Policy variables `${...}` are left alone, and so are
    /// placeholders of a policy template (`<my-corporate-cidr>`: `unresolved-reference` names them). An
    /// operator name that IAM does not define (`StringEqual`, `ForAllValue:StringLike`) is reported
    /// here as well.
    ///
    /// ## Why is this bad?
    /// IAM does not reject a mismatched operator: it compares the request's value in the wrong way,
    /// and the condition is then never, or always, true. A set operator on a single-valued key, or a
    /// single-valued operator on a set, quietly changes the meaning (`ForAllValues` on a missing key
    /// is true). An unknown operator makes the whole policy fail to save, or in some tools to parse.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
    ///   "Condition": {"StringEquals": {"aws:MultiFactorAuthAge": "3600"}}}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
    ///   "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}}}]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: Condition operators](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
    /// - [Set operators for multivalued context keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)
    /// - [AWS global condition context keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    pub ConditionTypeMismatch {
        id: "condition-type-mismatch",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// Base operator names (without set prefix or `IfExists`) and their family.
const OPERATORS: &[(&str, Family)] = &[
    ("StringEquals", Family::String),
    ("StringNotEquals", Family::String),
    ("StringEqualsIgnoreCase", Family::String),
    ("StringNotEqualsIgnoreCase", Family::String),
    ("StringLike", Family::String),
    ("StringNotLike", Family::String),
    ("NumericEquals", Family::Numeric),
    ("NumericNotEquals", Family::Numeric),
    ("NumericLessThan", Family::Numeric),
    ("NumericLessThanEquals", Family::Numeric),
    ("NumericGreaterThan", Family::Numeric),
    ("NumericGreaterThanEquals", Family::Numeric),
    ("DateEquals", Family::Date),
    ("DateNotEquals", Family::Date),
    ("DateLessThan", Family::Date),
    ("DateLessThanEquals", Family::Date),
    ("DateGreaterThan", Family::Date),
    ("DateGreaterThanEquals", Family::Date),
    ("Bool", Family::Bool),
    ("BinaryEquals", Family::Binary),
    ("IpAddress", Family::Ip),
    ("NotIpAddress", Family::Ip),
    ("ArnEquals", Family::Arn),
    ("ArnLike", Family::Arn),
    ("ArnNotEquals", Family::Arn),
    ("ArnNotLike", Family::Arn),
    ("Null", Family::Null),
];

struct Operator {
    family: Family,
    /// `ForAllValues:`.
    all_values: bool,
}

/// Keys the catalog types as single strings that AWS documents with set operators.
const MULTIVALUED_AS_STRING: &[&str] = &[
    "codestar-connections:ProviderAction",
    "codeconnections:ProviderAction",
];

/// `ForAnyValue:StringLikeIfExists` → String, set. Case-insensitive. `None` for unknown names.
fn parse_operator(name: &str) -> Option<Operator> {
    let lower = name.to_ascii_lowercase();
    let (all_values, rest) = match lower.split_once(':') {
        Some(("forallvalues", rest)) => (true, rest),
        Some(("foranyvalue", rest)) => (false, rest),
        Some(_) => return None,
        None => (false, lower.as_str()),
    };
    let lookup = |base: &str| {
        OPERATORS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(base))
            .map(|(_, f)| *f)
    };
    let family = lookup(rest).or_else(|| {
        rest.strip_suffix("ifexists")
            .and_then(lookup)
            .filter(|f| *f != Family::Null)
    })?;
    Some(Operator { family, all_values })
}

fn base_type(ty: ConditionType) -> ConditionType {
    match ty {
        ConditionType::ArrayOfString => ConditionType::String,
        ConditionType::ArrayOfArn => ConditionType::Arn,
        ConditionType::ArrayOfBool => ConditionType::Bool,
        ConditionType::ArrayOfNumeric => ConditionType::Numeric,
        ConditionType::ArrayOfDate => ConditionType::Date,
        ConditionType::ArrayOfIpAddress => ConditionType::IpAddress,
        other => other,
    }
}

fn fits(family: Family, ty: ConditionType, key: &str) -> bool {
    match (family, base_type(ty)) {
        (Family::Null, _) | (_, ConditionType::Unknown) => true,
        (Family::String, ConditionType::String | ConditionType::Arn | ConditionType::Bool) => true,
        (Family::Numeric, ConditionType::Numeric) => true,
        (Family::Numeric, ConditionType::Date) => key.eq_ignore_ascii_case("aws:EpochTime"),
        (Family::Date, ConditionType::Date) => true,
        (Family::Bool, ConditionType::Bool) => true,
        (Family::Binary, ConditionType::Binary) => true,
        (Family::Ip, ConditionType::IpAddress) => true,
        (Family::Arn, ConditionType::Arn | ConditionType::String) => true,
        _ => false,
    }
}

/// Operators to suggest for a key type.
fn operators_for(ty: ConditionType) -> &'static str {
    match base_type(ty) {
        ConditionType::String => "`StringEquals` or `StringLike`",
        ConditionType::Arn => "`ArnEquals` or `ArnLike`",
        ConditionType::Bool => "`Bool`",
        ConditionType::Numeric => "a `Numeric...` operator",
        ConditionType::Date => "a `Date...` operator",
        ConditionType::IpAddress => "`IpAddress` or `NotIpAddress`",
        ConditionType::Binary => "`BinaryEquals`",
        _ => "an operator of the key's type",
    }
}

impl Rule for ConditionTypeMismatch {
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
        for op in &condition.operators {
            let Some(name) = op.name.value.as_str() else {
                continue;
            };
            let Some(operator) = parse_operator(name) else {
                out.push(
                    Self::finding(
                        op.name.span,
                        format!("`{name}` is not a condition operator"),
                    )
                    .help(suggest_operator(name))
                    .path(stmt.path.clone())
                    .build(),
                );
                continue;
            };
            for entry in &op.entries {
                let Some(key) = entry.key.value.as_str() else {
                    continue;
                };
                let Some(info) = cx.catalog.condition_key(key) else {
                    continue;
                };
                let ty = info.ty;
                let mut problem: Option<(Span, String, String)> = None;
                if !fits(operator.family, ty, key) {
                    problem = Some((
                        op.name.span,
                        format!(
                            "`{name}` does not fit `{key}`, whose type is {}",
                            ty.as_str()
                        ),
                        format!("use {} with `{key}`", operators_for(ty)),
                    ));
                } else if operator.all_values
                    && !ty.is_array()
                    && ty != ConditionType::Unknown
                    && !MULTIVALUED_AS_STRING
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(key))
                {
                    problem = Some((
                        op.name.span,
                        format!("`{name}` is a set operator, but `{key}` has a single value"),
                        format!(
                            "drop the `ForAllValues:` prefix: `{key}` is not multivalued, and `ForAllValues` is true when the key is absent"
                        ),
                    ));
                } else if let Some(bad) = bad_value(operator.family, entry) {
                    problem = Some(bad);
                }
                if let Some((span, message, help)) = problem {
                    out.push(
                        Self::finding(span, message)
                            .related(entry.key.span, format!("{} key", ty.as_str()))
                            .help(help)
                            .path(stmt.path.clone())
                            .build(),
                    );
                }
            }
        }
    }
}

/// A value that cannot be of the operator's family: `Bool`/`Null` with anything but true/false,
/// `Numeric*` with a non-number, `Date*` with a non-date, `IpAddress` with a non-address, `Arn*`
/// with a non-ARN.
fn bad_value(
    family: Family,
    entry: &crate::model::ConditionEntry,
) -> Option<(Span, String, String)> {
    for v in &entry.values {
        let Some(text) = v.value.literal() else {
            continue;
        };
        if text.contains("${") {
            continue;
        }
        match family {
            Family::Bool | Family::Null
                if !text.eq_ignore_ascii_case("true") && !text.eq_ignore_ascii_case("false") =>
            {
                return Some((
                    v.span,
                    format!("`{text}` is not `true` or `false`"),
                    "write `true` or `false`".to_string(),
                ));
            }
            Family::Numeric if text.trim().parse::<f64>().is_err() => {
                return Some((
                    v.span,
                    format!("`{text}` is not a number"),
                    "write a number".to_string(),
                ));
            }
            Family::Date if !is_date(text) => {
                return Some((
                    v.span,
                    format!("`{text}` is not a date"),
                    "write an ISO 8601 date that exists, such as `2025-02-28T23:59:59Z`, or seconds since the epoch".to_string(),
                ));
            }
            Family::Ip if !is_ip_range(text) => {
                return Some((
                    v.span,
                    format!("`{text}` is not an IP address or range"),
                    "write an address or CIDR range such as `203.0.113.0/24` or `2001:db8::/32`"
                        .to_string(),
                ));
            }
            Family::Arn if text != "*" && !is_arn_value(text) => {
                return Some((
                    v.span,
                    format!("`{text}` is not an ARN, so it matches no request"),
                    "write a full ARN (`arn:aws:service:region:account:resource`, wildcards allowed), or compare with `StringEquals`".to_string(),
                ));
            }
            _ => {}
        }
    }
    None
}

/// An ISO 8601 date IAM can compare: `YYYY-MM-DD` (or `YYYYMMDD`), optionally followed by `T` and
/// a time (`HH:MM`, `HH:MM:SS`, `HHMMSS`, with a fraction) and `Z` or an offset; or seconds since
/// the epoch. The day must exist in its month.
fn is_date(text: &str) -> bool {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return true; // epoch seconds
    }
    let (date, time) = match text.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let num = |s: &str| s.parse::<u32>().ok();
    let (y, m, d) = match date.len() {
        10 if date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-' => {
            (&date[..4], &date[5..7], &date[8..])
        }
        8 => (&date[..4], &date[4..6], &date[6..]),
        _ => return false,
    };
    if ![y, m, d].iter().all(|p| digits(p)) {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (num(y), num(m), num(d)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days {
        return false;
    }
    let Some(time) = time else {
        return true;
    };
    // The zone: `Z`, or `+HH:MM` / `-HHMM` / `+HH`.
    let (clock, zone) = match time.find(['Z', 'z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, ""),
    };
    let zone_ok = match zone.as_bytes().first() {
        None => true,
        Some(b'Z' | b'z') => zone.len() == 1,
        Some(_) => {
            let z = zone[1..].replace(':', "");
            digits(&z)
                && matches!(z.len(), 2 | 4)
                && num(&z[..2]).is_some_and(|h| h <= 23)
                && (z.len() == 2 || num(&z[2..]).is_some_and(|m| m <= 59))
        }
    };
    let (clock, fraction) = match clock.split_once(['.', ',']) {
        Some((c, f)) => (c, Some(f)),
        None => (clock, None),
    };
    let parts: Vec<&str> = if clock.contains(':') {
        clock.split(':').collect()
    } else {
        clock
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap_or("x"))
            .collect()
    };
    let limits = [23, 59, 60];
    zone_ok
        && fraction.is_none_or(digits)
        && (2..=3).contains(&parts.len())
        && parts
            .iter()
            .zip(limits)
            .all(|(p, max)| p.len() == 2 && digits(p) && num(p).is_some_and(|n| n <= max))
}

/// An IPv4 or IPv6 address with an optional prefix length that fits it.
fn is_ip_range(text: &str) -> bool {
    let text = text.trim();
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let Ok(address) = address.parse::<std::net::IpAddr>() else {
        return false;
    };
    let most = if address.is_ipv4() { 32 } else { 128 };
    prefix.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= most)
    })
}

/// A value an `Arn*` operator can match: `arn:` and six fields (wildcards allowed in each), or a
/// pattern whose literal start can begin one (`arn:aws:s3:::*` needs all six, `arn*` or `*:role/x`
/// stands for ARNs).
fn is_arn_value(text: &str) -> bool {
    if let Some(rest) = text.strip_prefix("arn:") {
        // A wildcard may stand for the missing fields only at the end (`arn:aws:s3:*`).
        return crate::model::arn::field_colons(rest).count() >= 4 || rest.ends_with('*');
    }
    let head = &text[..text.find(['*', '?']).unwrap_or(text.len())];
    head.len() < text.len() && "arn:".starts_with(head)
}

fn suggest_operator(name: &str) -> String {
    let mut names: Vec<String> = OPERATORS.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(
        OPERATORS
            .iter()
            .filter(|(_, f)| *f != Family::Null)
            .map(|(n, _)| format!("{n}IfExists")),
    );
    let base = name.rsplit(':').next().unwrap_or(name);
    let best = names
        .iter()
        .map(|n| {
            (
                crate::text::edit_distance(&n.to_ascii_lowercase(), &base.to_ascii_lowercase()),
                n,
            )
        })
        .min();
    let prefix_ok = match name.split_once(':') {
        Some((p, _)) => {
            p.eq_ignore_ascii_case("ForAllValues") || p.eq_ignore_ascii_case("ForAnyValue")
        }
        None => true,
    };
    match best {
        Some((d, n)) if d <= 3 && prefix_ok => format!("did you mean `{n}`?"),
        _ if !prefix_ok => {
            "set operators are written `ForAllValues:` or `ForAnyValue:`".to_string()
        }
        _ => "use an operator from the IAM condition operator reference".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operators() {
        let op = parse_operator("ForAnyValue:StringLikeIfExists").expect("known");
        assert!(!op.all_values && op.family == Family::String);
        assert!(parse_operator("ForAllValues:StringEquals").is_some_and(|o| o.all_values));
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("StringEqual").is_none());
        assert!(parse_operator("ForAllValue:StringLike").is_none());
        assert_eq!(
            parse_operator("numericlessthan").map(|o| o.family),
            Some(Family::Numeric)
        );
    }

    #[test]
    fn dates() {
        for good in [
            "2025-02-28",
            "2024-02-29T12:00:00Z",
            "2025-12-31T23:59:59.999Z",
            "2025-01-01T00:00Z",
            "2025-01-01T00:00:00+02:00",
            "2025-01-01T00:00:00-0500",
            "20250101T000000Z",
            "1735689600",
        ] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2025-02-30T12:00:00Z",
            "2025-02-29",
            "2025-13-01",
            "bad",
            "",
            "2025-01-01T24:00:00Z",
            "2025-01-01T12:00:00Q",
            "2025-1-1",
            "2025-02-30T",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn ip_ranges() {
        for good in [
            "10.0.0.0/8",
            "203.0.113.7",
            "0.0.0.0/0",
            "2001:db8::/32",
            "::1/128",
        ] {
            assert!(is_ip_range(good), "{good}");
        }
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "2001:db8::/129",
            "10.0.0.0/",
            "host",
            "10.0.0.0/-1",
        ] {
            assert!(!is_ip_range(bad), "{bad}");
        }
    }

    #[test]
    fn arn_values() {
        for good in [
            "arn:aws:s3:::b",
            "arn:aws:sns:*:*:topic",
            "arn:aws:s3:*",
            "arn*",
            "*:role/x",
        ] {
            assert!(is_arn_value(good), "{good}");
        }
        for bad in ["bucket", "arn:aws:s3", "sns:topic", "arn:aws:s3:bucket"] {
            assert!(!is_arn_value(bad), "{bad}");
        }
    }
}
