//! Action strings: `service:Action`, possibly with `*` and `?` wildcards.

/// `s3:GetObject` → `("s3", "GetObject")`. `None` when there is no colon.
pub fn split_action(action: &str) -> Option<(&str, &str)> {
    action.split_once(':')
}

/// Whether a name holds `*` or `?`, and IAM's wildcard match (`*` any run, `?` one character,
/// ASCII case-insensitive): the catalog's, one of each for the whole crate.
pub use crate::catalog::{has_wildcard, wildcard_match};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_iam() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:get*", "s3:GetObject"));
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("ec2:*Instances", "ec2:DescribeInstances"));
        // A `*` in the text is text: the pattern's `*` still stands for any run over it.
        assert!(wildcard_match("a*", "a*b"));
        assert!(wildcard_match("s3:Get*", "s3:Get*Tagging"));
        assert!(wildcard_match("s3:?etObject", "s3:GetObject"));
        assert!(!wildcard_match("s3:?etObject", "s3:GGetObject"));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
    }
}
