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
    /// `false`, values of `Numeric*` numbers (policy variables `${...}` are left alone). An
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
/// `Numeric*` with a non-number.
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
            _ => {}
        }
    }
    None
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
}
