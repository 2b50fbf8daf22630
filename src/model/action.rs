//! Action strings: `service:Action`, possibly with `*` and `?` wildcards.

/// `s3:GetObject` → `("s3", "GetObject")`. `None` when there is no colon.
pub fn split_action(action: &str) -> Option<(&str, &str)> {
    action.split_once(':')
}

pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// IAM's wildcard match: `*` matches any run, `?` one character, case-insensitive (ASCII).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_iam() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:get*", "s3:GetObject"));
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("ec2:*Instances", "ec2:DescribeInstances"));
        assert!(wildcard_match("s3:?etObject", "s3:GetObject"));
        assert!(!wildcard_match("s3:?etObject", "s3:GGetObject"));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
    }
}
