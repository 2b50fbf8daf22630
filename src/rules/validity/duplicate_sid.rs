use crate::rules::prelude::*;

declare_rule! {
    /// Flags a `Sid` used by more than one statement of the same policy.
    ///
    /// ## What it does
    /// Compares the known `Sid` values of a document's statements (case-sensitive, as AWS does) and
    /// reports every repeat, pointing at the first use. Empty `Sid`s are left alone.
    ///
    /// Each repeat is its own finding at the repeated `Sid`, with one related location: the first
    /// use (as ruff and clippy report each duplicate where it is). A `Sid` written N times gives
    /// N - 1 findings, never one per pair, and no finding lists the other repeats.
    ///
    /// ## Why is this bad?
    /// IAM requires statement ids to be unique within a policy, and several services that store
    /// resource policies (SQS, SNS, S3, KMS) reject or silently merge duplicates. Duplicates also
    /// break tools that address statements by `Sid`, such as suppressions and policy diffs.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"},
    ///   {"Sid": "Read", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports"}
    /// ]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Sid": "ReadObjects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"},
    ///   {"Sid": "ListBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports"}
    /// ]}
    /// ```
    ///
    /// ## References
    /// - [IAM JSON policy elements: Sid](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html)
    pub DuplicateSid {
        id: "duplicate-sid",
        category: Validity,
        severity: Error,
        fix: None,
    }
}

impl Rule for DuplicateSid {
    fn check_document(&self, doc: &PolicyDoc, _cx: &Ctx, out: &mut Vec<Finding>) {
        // By hash: a policy with hundreds of thousands of statements stays linear.
        let mut seen: foldhash::HashMap<&str, Span> = foldhash::HashMap::default();
        for stmt in &doc.statements {
            let Some(sid) = &stmt.sid else { continue };
            let Some(text) = sid.value.as_str().filter(|s| !s.is_empty()) else {
                continue;
            };
            match seen.get(text) {
                Some(&first) => out.push(
                    Self::finding(
                        sid.span,
                        format!("`Sid` \"{text}\" is already used by another statement"),
                    )
                    .related(first, "first used here")
                    .help("give each statement its own `Sid`")
                    .path(stmt.path.clone())
                    .build(),
                ),
                None => {
                    seen.insert(text, sid.span);
                }
            }
        }
    }
}
