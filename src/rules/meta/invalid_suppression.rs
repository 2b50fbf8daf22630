use crate::rules::prelude::*;

declare_rule! {
    /// Reports `iamlint: ignore` comments that are malformed, name unknown rules or give no reason.
    ///
    /// ## What it does
    /// Checks every inline suppression comment (`# iamlint: ignore[rule-id] reason`, also `//` in
    /// HCL, and `ignore-file[...]`). It reports a comment that names no rule, each rule id that does
    /// not exist (with the closest real id), and a comment without a reason. A comment without a
    /// reason suppresses nothing; an unknown id in a comment with a reason is skipped while the
    /// known ids still apply.
    ///
    /// ## Why is this bad?
    /// A suppression that silently does nothing is worse than none: the author believes a finding
    /// is handled and reviewers read it as a decision. The reason is the record of that decision;
    /// without one nobody can tell later whether the exception still holds.
    ///
    /// ## Example
    /// ```hcl,fail
    /// resource "aws_iam_policy" "ci" {
    ///   # iamlint: ignore[wildcard-actions] the deploy job needs every S3 action
    ///   policy = jsonencode({
    ///     Version   = "2012-10-17"
    ///     Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "arn:aws:s3:::ci/*" }]
    ///   })
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```hcl,pass
    /// resource "aws_iam_policy" "ci" {
    ///   # iamlint: ignore[wildcard-action] the deploy job needs every S3 action
    ///   policy = jsonencode({
    ///     Version   = "2012-10-17"
    ///     Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "arn:aws:s3:::ci/*" }]
    ///   })
    /// }
    /// ```
    ///
    /// ## References
    /// - [Suppressing findings](https://github.com/iamlint/iamlint/blob/main/docs/rules.md)
    pub InvalidSuppression {
        id: "invalid-suppression",
        category: Meta,
        severity: Warning,
        fix: None,
    }
}

impl Rule for InvalidSuppression {
    fn check_file(&self, file: &FileModel, _cx: &Ctx, out: &mut Vec<Finding>) {
        for s in &file.suppressions {
            // Comments of other files are checked in their own run.
            if s.span.file != crate::source::FileId(0) {
                continue;
            }
            for (span, message) in crate::suppress::problems(s) {
                out.push(
                    Self::finding(span, message)
                        .help(
                            "write `iamlint: ignore[rule-id] reason` with ids from `iamlint rules`",
                        )
                        .build(),
                );
            }
        }
    }
}
