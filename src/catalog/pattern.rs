//! Hand-written matchers: IAM action wildcards and catalog `${Placeholder}` condition-key patterns.
//! Both compare ASCII case-insensitively, as IAM does for action names and condition keys.

/// IAM wildcard match: `*` matches any run (including empty), `?` exactly one character, everything
/// else matches itself ignoring ASCII case. Greedy matching with backtracking to the last `*` (the
/// classic algorithm): linear on the patterns policies hold, up to length × length on contrived
/// ones (`*aaa…ab` against `aaa…a`), hence [`wildcard_match_within`]; works on bytes, so `?` matches
/// one byte (names are ASCII).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut steps = u64::MAX;
    wildcard_match_within(pattern, text, &mut steps).unwrap_or(false)
}

/// [`wildcard_match`] within a budget of steps, spent from `steps`: `None` when it runs out.
pub fn wildcard_match_within(pattern: &str, text: &str, steps: &mut u64) -> Option<bool> {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position of the last `*` seen in the pattern, and the text position it is currently covering up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        *steps = steps.checked_sub(1)?;
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry from there.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return Some(false),
            },
        }
    }
    Some(p[pi..].iter().all(|&c| c == b'*'))
}

/// IAM wildcard patterns indexed by their literal head (the text before the first `*` or `?`) and
/// tail (after the last one), lowercased: a pattern can only match a text that starts with its
/// head and ends with its tail, so a text looks up its own prefixes and suffixes (one per distinct
/// length) instead of trying every pattern. Long `NotAction` and `Action` lists (a 5 MB policy
/// holds 200,000 patterns) cost a few lookups per name, not a pass over the list.
#[derive(Debug, Default)]
pub struct PatternIndex {
    heads: foldhash::HashMap<Box<str>, Tails>,
    /// Distinct head lengths, ascending.
    head_lengths: Vec<usize>,
}

#[derive(Debug, Default)]
struct Tails {
    by_tail: foldhash::HashMap<Box<str>, Vec<usize>>,
    /// Distinct tail lengths, ascending.
    lengths: Vec<usize>,
}

impl PatternIndex {
    /// Indexes `patterns` (id, pattern); only patterns with a wildcard belong here.
    pub fn new<'a>(patterns: impl IntoIterator<Item = (usize, &'a str)>) -> PatternIndex {
        let mut index = PatternIndex::default();
        for (id, pattern) in patterns {
            let lower = pattern.to_ascii_lowercase();
            let first = lower.find(['*', '?']).unwrap_or(lower.len());
            let last = lower.rfind(['*', '?']).map_or(lower.len(), |i| i + 1);
            let (head, tail) = (&lower[..first], &lower[last.max(first)..]);
            let tails = index.heads.entry(head.into()).or_default();
            tails.by_tail.entry(tail.into()).or_default().push(id);
            tails.lengths.push(tail.len());
        }
        for tails in index.heads.values_mut() {
            tails.lengths.sort_unstable();
            tails.lengths.dedup();
        }
        index.head_lengths = index.heads.keys().map(|h| h.len()).collect();
        index.head_lengths.sort_unstable();
        index.head_lengths.dedup();
        index
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// Ids of the patterns whose head starts and whose tail ends `lower` (lowercased text): the
    /// only ones that can match it (or, for a pattern text, cover it).
    pub fn candidates<'s>(&'s self, lower: &'s str) -> impl Iterator<Item = usize> + 's {
        let len = lower.len();
        self.head_lengths
            .iter()
            .take_while(move |&&n| n <= len)
            .filter_map(move |&n| {
                let tails = self.heads.get(lower.get(..n)?)?;
                Some((n, tails))
            })
            .flat_map(move |(n, tails)| {
                tails
                    .lengths
                    .iter()
                    .take_while(move |&&m| n + m <= len)
                    .filter_map(move |&m| tails.by_tail.get(lower.get(len - m..)?))
                    .flatten()
                    .copied()
            })
    }
}

/// Whether `s` contains an IAM wildcard character.
pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Matches a concrete key against a catalog key that may hold `${Name}` placeholders
/// (`aws:RequestTag/${TagKey}`, `token.actions.${Domain}.ghe.com:sub`) or, as the S3 keys write them,
/// `<name>` placeholders (`s3:ExistingObjectTag/<key>`). Two more spellings of a tag-key placeholder
/// occur in the catalog and are read the same way: a trailing `/tag-key` (`ssm:resourceTag/tag-key`,
/// `secretsmanager:ResourceTag/tag-key`) and a bare trailing `/` (`glacier:ResourceTag/`,
/// `sagemaker:ResourceTag/`, `elasticloadbalancing:ResourceTag/`). A placeholder matches one or
/// more characters of any kind (tag keys may contain `/` and `:`); the rest compares ignoring ASCII
/// case. Without placeholders this is a plain case-insensitive comparison.
pub fn placeholder_match(pattern: &str, key: &str) -> bool {
    let mut segments = Vec::new();
    let (mut rest, trailing) = split_trailing_tag_key(pattern);
    while let Some((start, end)) = next_placeholder(rest) {
        segments.push(Segment::Literal(&rest[..start]));
        segments.push(Segment::Placeholder);
        rest = &rest[end..];
    }
    segments.push(Segment::Literal(rest));
    if trailing {
        segments.push(Segment::Placeholder);
    }
    match_segments(&segments, key.as_bytes())
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Literal(&'a str),
    Placeholder,
}

fn match_segments(segments: &[Segment<'_>], text: &[u8]) -> bool {
    match segments.split_first() {
        None => text.is_empty(),
        Some((Segment::Literal(lit), rest)) => {
            let lit = lit.as_bytes();
            text.len() >= lit.len()
                && text[..lit.len()].eq_ignore_ascii_case(lit)
                && match_segments(rest, &text[lit.len()..])
        }
        // One or more characters; try every split (keys are short, placeholders few).
        Some((Segment::Placeholder, rest)) => {
            (1..=text.len()).any(|n| match_segments(rest, &text[n..]))
        }
    }
}

/// Byte range of the first `${...}` or `<...>` placeholder.
fn next_placeholder(s: &str) -> Option<(usize, usize)> {
    let dollar = s
        .find("${")
        .and_then(|i| s[i..].find('}').map(|len| (i, i + len + 1)));
    let angle = s
        .find('<')
        .and_then(|i| s[i..].find('>').map(|len| (i, i + len + 1)));
    match (dollar, angle) {
        (Some(d), Some(a)) => Some(if d.0 < a.0 { d } else { a }),
        (d, a) => d.or(a),
    }
}

/// `(key without its trailing tag-key spelling, whether it had one)`: `x:ResourceTag/tag-key` and
/// `x:ResourceTag/` both give `(x:ResourceTag/, true)`.
fn split_trailing_tag_key(key: &str) -> (&str, bool) {
    const TAG_KEY: &str = "tag-key";
    if key.ends_with('/') {
        return (key, true);
    }
    let n = key.len();
    if n > TAG_KEY.len()
        && key.is_char_boundary(n - TAG_KEY.len())
        && key[n - TAG_KEY.len()..].eq_ignore_ascii_case(TAG_KEY)
        && key[..n - TAG_KEY.len()].ends_with('/')
    {
        return (&key[..n - TAG_KEY.len()], true);
    }
    (key, false)
}

/// Whether a catalog key contains a placeholder in any of the spellings [`placeholder_match`] reads.
pub fn has_placeholder(key: &str) -> bool {
    next_placeholder(key).is_some() || split_trailing_tag_key(key).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*", "GetObject"));
        assert!(wildcard_match("Get*", "GetObject"));
        assert!(wildcard_match("get*", "GetObject"));
        assert!(wildcard_match("*Object", "GetObject"));
        assert!(wildcard_match("G*t*j*", "GetObject"));
        assert!(wildcard_match("Get?bject", "GetObject"));
        assert!(!wildcard_match("Get?Object", "GetObject"));
        assert!(!wildcard_match("Get", "GetObject"));
        assert!(!wildcard_match("GetObject?", "GetObject"));
        assert!(wildcard_match("*a*a*a", "aaaa"));
        assert!(!wildcard_match("*a*a*b", "aaaa"));
        assert!(wildcard_match("**", "x"));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("s3:*", "s3:GetObject"));
        assert!(!wildcard_match("s3:*", "s3express:CreateSession"));
    }

    #[test]
    fn placeholders() {
        assert!(placeholder_match(
            "aws:RequestTag/${TagKey}",
            "aws:RequestTag/env"
        ));
        assert!(placeholder_match(
            "aws:RequestTag/${TagKey}",
            "AWS:requesttag/a:b/c"
        ));
        assert!(!placeholder_match(
            "aws:RequestTag/${TagKey}",
            "aws:RequestTag/"
        ));
        assert!(!placeholder_match(
            "aws:RequestTag/${TagKey}",
            "aws:ResourceTag/env"
        ));
        assert!(placeholder_match(
            "token.actions.${Domain}.ghe.com:sub",
            "token.actions.acme.ghe.com:sub"
        ));
        assert!(!placeholder_match(
            "token.actions.${Domain}.ghe.com:sub",
            "token.actions.acme.ghe.com:aud"
        ));
        assert!(placeholder_match(
            "s3:ExistingObjectTag/<key>",
            "s3:ExistingObjectTag/team"
        ));
        assert!(!placeholder_match(
            "s3:ExistingObjectTag/<key>",
            "s3:ExistingObjectTag/"
        ));
        assert!(placeholder_match(
            "ssm:resourceTag/tag-key",
            "ssm:ResourceTag/env"
        ));
        assert!(placeholder_match(
            "glacier:ResourceTag/",
            "glacier:ResourceTag/env"
        ));
        assert!(!placeholder_match(
            "glacier:ResourceTag/",
            "glacier:ResourceTag/"
        ));
        assert!(has_placeholder("secretsmanager:ResourceTag/tag-key"));
        assert!(!has_placeholder("s3:prefix"));
        assert!(placeholder_match("s3:prefix", "S3:Prefix"));
        assert!(!placeholder_match("s3:prefix", "s3:prefixes"));
    }
}

#[cfg(test)]
mod index_tests {
    use super::{wildcard_match, PatternIndex};

    /// The index never leaves out a pattern that matches (checked against every pattern).
    #[test]
    fn candidates_hold_every_match() {
        let patterns = [
            "s3:Get*",
            "s3:*Object",
            "*",
            "*:Nope1",
            "s3:G?t*",
            "ec2:Describe*s",
            "s3:GetObject*",
            "iam:*Role*",
            "?3:*",
        ];
        let index = PatternIndex::new(patterns.iter().copied().enumerate());
        for text in [
            "s3:GetObject",
            "S3:GETOBJECT",
            "ec2:DescribeInstances",
            "iam:PassRole",
            "x:Nope1",
            "s3:",
        ] {
            let lower = text.to_ascii_lowercase();
            let mut found: Vec<usize> = index
                .candidates(&lower)
                .filter(|&i| wildcard_match(patterns[i], text))
                .collect();
            found.sort_unstable();
            let all: Vec<usize> = (0..patterns.len())
                .filter(|&i| wildcard_match(patterns[i], text))
                .collect();
            assert_eq!(found, all, "{text}");
        }
    }
}
