//! ARNs as written in policies: splitting into fields, telling wildcards and policy variables
//! apart, and matching a policy ARN (with `*`, `?`, `${aws:username}`) against a catalog ARN template
//! (with `${Placeholder}`s).

/// The six fields of `arn:partition:service:region:account:resource` (the resource may hold more
/// colons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Splits an ARN into its fields. `None` unless it starts with `arn:` and has six fields (see
/// [`field_colons`] for what separates them).
pub fn parse_arn(s: &str) -> Option<Arn<'_>> {
    // By byte positions of the first five colons: rules split every resource of every statement,
    // and the catalog's templates once per comparison.
    let rest = s.strip_prefix("arn:")?;
    let mut colons = field_colons(rest);
    let (a, b, c, d) = (
        colons.next()?,
        colons.next()?,
        colons.next()?,
        colons.next()?,
    );
    Some(Arn {
        partition: &rest[..a],
        service: &rest[a + 1..b],
        region: &rest[b + 1..c],
        account: &rest[c + 1..d],
        resource: &rest[d + 1..],
    })
}

/// Byte positions of the colons of `s` that separate ARN fields: every colon outside a closed
/// policy variable. A policy variable is one value, whatever it holds: the colon of
/// `${aws:PrincipalAccount}` separates nothing (IAM substitutes the variable before it compares);
/// an unclosed `${` is plain text.
pub fn field_colons(s: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(&b) = bytes.get(i) {
            let at = i;
            i += 1;
            match b {
                b':' => return Some(at),
                b'$' if bytes.get(at + 1) == Some(&b'{') => {
                    if let Some(close) = bytes[at..].iter().position(|&c| c == b'}') {
                        i = at + close + 1;
                    }
                }
                _ => {}
            }
        }
        None
    })
}

/// True when the text can stand for other text: an IAM wildcard (`*`, `?`) or a policy variable
/// (`${aws:username}`).
pub fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?']) || s.contains("${")
}

/// Partitions AWS documents.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// `us-east-1`, `us-gov-west-1`, `cn-northwest-1`, `eu-isoe-west-1`: two lower-case letters, one or
/// more lower-case words, a number.
pub fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// True for `*` and for ARNs whose resource field names every resource of a type: `*`, `role/*`,
/// `user/*/*`, `table/*` (with any partition, region or account). A path or name prefix
/// (`role/service-role/*`, `role/ci-*`) is not broad.
pub fn is_broad_resource(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    let Some(arn) = parse_arn(value) else {
        // `arn:aws:*` and the like: wildcards before the resource field.
        return value.starts_with("arn:") && value.ends_with('*') && value.matches(':').count() < 5;
    };
    let rest = match arn.resource.find(['/', ':']) {
        Some(i)
            if arn.resource[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            &arn.resource[i + 1..]
        }
        _ => arn.resource,
    };
    !rest.is_empty() && rest.bytes().all(|b| b == b'*' || b == b'/')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    /// Any run of characters (zero or more), except those in `excl`.
    Star {
        excl: u8,
    },
    /// Exactly one character, except those in `excl`.
    One {
        excl: u8,
    },
}

/// `excl` bits: the character classes a token cannot match.
const NO_SLASH: u8 = 1;
const NO_COLON: u8 = 2;

/// A policy ARN: `*` any run, `?` one character, `${...}` (a policy variable) any run. A wildcard
/// may span `:` here, which errs towards a match: the catalog's ARN formats do not always lay out
/// the region and account fields the way AWS-owned resources are written (`arn:aws:ssm:*::document/x`).
fn policy_tokens(s: &str) -> Vec<Tok> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'*' => out.push(Tok::Star { excl: 0 }),
            b'?' => out.push(Tok::One { excl: 0 }),
            b'$' if b.get(i + 1) == Some(&b'{') => {
                if let Some(end) = s[i..].find('}') {
                    out.push(Tok::Star { excl: 0 });
                    i += end + 1;
                    continue;
                }
                out.push(Tok::Lit(b'$'));
            }
            c => out.push(Tok::Lit(c.to_ascii_lowercase())),
        }
        i += 1;
    }
    out
}

/// A catalog ARN template: each `${Name}` is one or more characters, without `:` in the fields
/// before the resource. S3 bucket names cannot hold `/`, so `${BucketName}` does not match one (this
/// tells bucket ARNs from object ARNs).
fn template_tokens(s: &str) -> Vec<Tok> {
    template_tokens_after(s, 0)
}

/// [`template_tokens`] of text that follows `colons` colons of a template.
fn template_tokens_after(s: &str, colons: usize) -> Vec<Tok> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut colons = colons;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            if let Some(end) = s[i..].find('}') {
                let name = &s[i + 2..i + end];
                let mut excl = if colons < 5 { NO_COLON } else { 0 };
                if name == "BucketName" {
                    excl |= NO_SLASH;
                }
                out.push(Tok::One { excl });
                out.push(Tok::Star { excl });
                i += end + 1;
                continue;
            }
        }
        if b[i] == b':' {
            colons += 1;
        }
        out.push(Tok::Lit(b[i].to_ascii_lowercase()));
        i += 1;
    }
    out
}

/// Whether some concrete ARN is matched both by the policy ARN `arn` (wildcards, policy variables)
/// and by the catalog template (placeholders), ignoring ASCII case.
pub fn matches_template(arn: &str, template: &str) -> bool {
    ArnPattern::new(arn).matches_template(template)
}

/// A policy ARN prepared for [`matches_template`] against many templates: split and tokenised
/// once, not once per template.
pub struct ArnPattern<'a> {
    text: &'a str,
    /// The fields, when the ARN has six and no wildcard or variable before its resource field
    /// (so its fields line up with a template's).
    fields: Option<Arn<'a>>,
    tokens: std::cell::OnceCell<Vec<Tok>>,
}

impl<'a> ArnPattern<'a> {
    pub fn new(text: &'a str) -> ArnPattern<'a> {
        let fields =
            parse_arn(text).filter(|a| !is_pattern(&text[..text.len() - a.resource.len()]));
        ArnPattern {
            text,
            fields,
            tokens: std::cell::OnceCell::new(),
        }
    }

    /// See [`matches_template`].
    pub fn matches_template(&self, template: &str) -> bool {
        if !self.may_match(template) {
            return false;
        }
        let tokens = self.tokens.get_or_init(|| policy_tokens(self.text));
        globs_intersect(tokens, &template_tokens(template))
    }

    /// A quick necessary condition, without allocating: when the fields line up, the service
    /// fields must agree, and so must the literal heads of the resource fields
    /// (`repository/` against `repository/${RepositoryName}`), ignoring ASCII case.
    fn may_match(&self, template: &str) -> bool {
        let (Some(a), Some(t)) = (self.fields, parse_arn(template)) else {
            return true;
        };
        if !t.service.contains('$') && !t.service.eq_ignore_ascii_case(a.service) {
            return false;
        }
        resource_heads_agree(a.resource, t.resource)
    }
}

/// A policy ARN's resource field, tokenised once to be compared with the resource fields of many
/// templates (the other fields taken to agree).
pub struct ResourcePattern(Vec<Tok>);

impl ResourcePattern {
    pub fn new(resource: &str) -> ResourcePattern {
        ResourcePattern(policy_tokens(resource))
    }

    /// Whether some resource field matches both this one and the template's resource field: what
    /// [`matches_template`] says of two ARNs that differ only there.
    pub fn matches(&self, template_resource: &str) -> bool {
        globs_intersect(&self.0, &template_tokens_after(template_resource, 5))
    }
}

/// Whether the literal heads of a policy ARN's resource field (up to its first wildcard or
/// variable) and a template's resource field (up to its first placeholder) agree, ignoring ASCII
/// case: `repository/app*` and `repository/${RepositoryName}` do, `user/x` and `role/${Name}` do
/// not. A necessary condition for the two to match once their other fields line up.
pub fn resource_heads_agree(arn_resource: &str, template_resource: &str) -> bool {
    let literal = |s: &str, stops: &[char]| s.find(stops).unwrap_or(s.len());
    let a_len = literal(arn_resource, &['*', '?', '$']);
    let t_len = literal(template_resource, &['$']);
    let n = a_len.min(t_len);
    arn_resource.as_bytes()[..n].eq_ignore_ascii_case(&template_resource.as_bytes()[..n])
}

/// Non-emptiness of the intersection of two glob languages, by a search over position pairs.
fn globs_intersect(a: &[Tok], b: &[Tok]) -> bool {
    let (n, m) = (a.len(), b.len());
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let idx = i * (m + 1) + j;
        if seen[idx] {
            continue;
        }
        seen[idx] = true;
        if i == n && j == m {
            return true;
        }
        if let Some(Tok::Star { .. }) = a.get(i) {
            stack.push((i + 1, j));
        }
        if let Some(Tok::Star { .. }) = b.get(j) {
            stack.push((i, j + 1));
        }
        let (Some(&ta), Some(&tb)) = (a.get(i), b.get(j)) else {
            continue;
        };
        if matches!(ta, Tok::Star { .. }) && matches!(tb, Tok::Star { .. }) {
            continue;
        }
        if !chars_meet(ta, tb) {
            continue;
        }
        let ni = if matches!(ta, Tok::Star { .. }) {
            i
        } else {
            i + 1
        };
        let nj = if matches!(tb, Tok::Star { .. }) {
            j
        } else {
            j + 1
        };
        stack.push((ni, nj));
    }
    false
}

/// Whether one character can be consumed by both tokens.
fn chars_meet(a: Tok, b: Tok) -> bool {
    let class = |t: Tok| match t {
        Tok::Lit(c) => (Some(c), 0),
        Tok::Star { excl } | Tok::One { excl } => (None, excl),
    };
    let allowed = |c: u8, excl: u8| {
        !((excl & NO_SLASH != 0 && c == b'/') || (excl & NO_COLON != 0 && c == b':'))
    };
    match (class(a), class(b)) {
        ((Some(x), _), (Some(y), _)) => x == y,
        ((Some(c), _), (None, excl)) | ((None, excl), (Some(c), _)) => allowed(c, excl),
        // Some letter is always allowed.
        ((None, _), (None, _)) => true,
    }
}

/// The 12-digit account a principal value names: the value itself (`111122223333`) or its ARN's
/// account (`arn:aws:iam::111122223333:root`).
pub fn account_of(v: &str) -> Option<&str> {
    let digits = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if digits(v) {
        return Some(v);
    }
    parse_arn(v).map(|a| a.account).filter(|a| digits(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arns() {
        let a = parse_arn("arn:aws:s3:::bucket/key:with:colons").expect("six fields");
        assert_eq!(a.service, "s3");
        assert_eq!(a.resource, "bucket/key:with:colons");
        assert!(parse_arn("arn:aws:s3::bucket").is_none());
        assert_eq!(
            parse_arn("arn:aws:iam::111122223333:role/ci"),
            Some(Arn {
                partition: "aws",
                service: "iam",
                region: "",
                account: "111122223333",
                resource: "role/ci",
            })
        );
        assert_eq!(parse_arn("arn:::::").map(|a| a.resource), Some(""));
        assert!(parse_arn("arn::::").is_none());
        assert!(parse_arn("arn").is_none());
        assert!(parse_arn("s3:::bucket").is_none());
        // A policy variable is one value: its colon separates nothing.
        assert_eq!(
            parse_arn("arn:aws:ec2:${aws:RequestedRegion}:${aws:PrincipalAccount}:instance/*"),
            Some(Arn {
                partition: "aws",
                service: "ec2",
                region: "${aws:RequestedRegion}",
                account: "${aws:PrincipalAccount}",
                resource: "instance/*",
            })
        );
        assert_eq!(
            parse_arn("arn:aws:s3:::b/${aws:PrincipalTag/a:b}:x").map(|a| a.resource),
            Some("b/${aws:PrincipalTag/a:b}:x")
        );
        // Unclosed, `${` is plain text.
        assert_eq!(
            parse_arn("arn:aws:iam::${aws:x:role/r").map(|a| a.account),
            Some("${aws")
        );
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "eu-isoe-west-1",
        ] {
            assert!(looks_like_region(ok), "{ok}");
        }
        for bad in ["us-east", "useast1", "US-EAST-1", "global"] {
            assert!(!looks_like_region(bad), "{bad}");
        }
    }

    #[test]
    fn broad_resources() {
        for broad in [
            "*",
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::*:*",
            "arn:*:iam::*:user/*",
            "arn:aws:*",
        ] {
            assert!(is_broad_resource(broad), "{broad}");
        }
        for narrow in [
            "arn:aws:iam::111122223333:role/service-role/*",
            "arn:aws:iam::111122223333:role/ci-*",
            "arn:aws:iam::111122223333:role/deploy",
        ] {
            assert!(!is_broad_resource(narrow), "{narrow}");
        }
    }

    #[test]
    fn template_matching() {
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        assert!(matches_template("arn:aws:s3:::reports", bucket));
        assert!(!matches_template("arn:aws:s3:::reports/*", bucket));
        assert!(matches_template("arn:aws:s3:::reports/*", object));
        assert!(!matches_template("arn:aws:s3:::reports", object));
        assert!(matches_template("arn:aws:s3:::*", bucket));
        assert!(matches_template("arn:aws:s3:::*", object));
        assert!(matches_template(
            "arn:aws:s3:::home/${aws:username}/*",
            object
        ));
        let role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        assert!(matches_template("arn:aws:iam::*:role/ci/*", role));
        assert!(!matches_template("arn:aws:iam::111122223333:user/ci", role));
        assert!(matches_template("arn:aws:iam::*:*", role));
        assert!(matches_template("ARN:AWS:IAM::1:ROLE/X", role));
    }

    /// The quick check never rejects what the full intersection accepts.
    #[test]
    fn resource_patterns_match_as_whole_arns() {
        let resources = [
            "reports",
            "reports/*",
            "accesspoint/ap",
            "role/ci",
            "*",
            "instance/*",
            "Instance/i-1",
            "log-group:/aws/x:*",
            "document/x",
            "abc/*/GET/x",
            "${aws:username}",
            "user/?",
        ];
        let catalog = crate::catalog::Catalog::get();
        for prefix in ["s3", "iam", "ec2", "logs", "ssm", "execute-api"] {
            let service = catalog.service(prefix).expect("in the catalog");
            for t in service.resource_types.iter().flat_map(|t| t.arns.iter()) {
                let r = t.splitn(6, ':').nth(5).expect("six fields");
                for a in resources {
                    let whole =
                        matches_template(&format!("arn:x:x:x:x:{a}"), &format!("arn:x:x:x:x:{r}"));
                    assert_eq!(ResourcePattern::new(a).matches(r), whole, "{a} vs {r}");
                }
            }
        }
    }

    #[test]
    fn quick_check_is_a_necessary_condition() {
        let arns = [
            "arn:aws:s3:::reports",
            "arn:aws:s3:::reports/*",
            "arn:aws:s3:us-east-1:111122223333:accesspoint/ap",
            "arn:aws:iam::111122223333:role/ci",
            "arn:aws:iam::*:x",
            "arn:aws:iam::111122223333:*",
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-east-1:111122223333:Instance/i-1",
            "arn:aws:logs:us-east-1:111122223333:log-group:/aws/x:*",
            "arn:aws:sqs:us-east-1:111122223333:orders",
            "arn:aws:ssm:*::document/x",
            "arn:aws:execute-api:us-east-1:1:abc/*/GET/x",
            "arn:aws:s3:::${aws:username}",
            "arn:aws:*:*:*:*",
        ];
        let catalog = crate::catalog::Catalog::get();
        let mut rejected = 0;
        for prefix in ["s3", "iam", "ec2", "logs", "sqs", "ssm", "execute-api"] {
            let service = catalog.service(prefix).expect("in the catalog");
            for t in service.resource_types.iter().flat_map(|t| t.arns.iter()) {
                for arn in arns {
                    let full = globs_intersect(&policy_tokens(arn), &template_tokens(t));
                    if !ArnPattern::new(arn).may_match(t) {
                        rejected += 1;
                        assert!(!full, "{arn} vs {t}");
                    }
                    assert_eq!(matches_template(arn, t), full, "{arn} vs {t}");
                }
            }
        }
        assert!(
            rejected > 1_000,
            "the quick check rejects most pairs: {rejected}"
        );
    }
}
