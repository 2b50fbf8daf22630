use crate::rules::prelude::*;

declare_rule! {
    /// Reports `iamlint: ignore` comments that suppress no finding.
    ///
    /// ## What it does
    /// After all rules have run, reports each rule id of a valid suppression comment (one with a
    /// reason) that covered no finding of that rule. An id of a rule that is not enabled in the
    /// run (`--select`, `--ignore`) is reported too, saying so: its comment has no effect either.
    /// Comments without a reason or with unknown ids are `invalid-suppression`'s.
    ///
    /// `[[ignore]]` entries of `iamlint.toml` are judged the same way after the run, and reported
    /// in the config file: an entry whose `path` matched a linted file but that suppressed
    /// nothing (a misspelt `sid` gets a did-you-mean from the `Sid`s of the files it matched),
    /// and, when the run linted the config's whole folder, an entry whose `path` matched no file.
    ///
    /// ## Why is this bad?
    /// Stale suppressions pile up when policies are fixed or moved, and a stale one silently hides
    /// the next real finding that lands in its scope. Removing them keeps each exception tied to a
    /// finding someone decided to accept.
    ///
    /// ## Example
    /// ```hcl,fail
    /// resource "aws_iam_policy" "read" {
    ///   # iamlint: ignore[allow-not-action] kept from an older version of this policy
    ///   policy = jsonencode({
    ///     Version   = "2012-10-17"
    ///     Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::reports/*" }]
    ///   })
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```hcl,pass
    /// resource "aws_iam_policy" "read" {
    ///   policy = jsonencode({
    ///     Version   = "2012-10-17"
    ///     Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::reports/*" }]
    ///   })
    /// }
    /// ```
    ///
    /// ## References
    /// - [Suppressing findings](https://github.com/iamlint/iamlint/blob/main/docs/rules.md)
    pub UnusedSuppression {
        id: "unused-suppression",
        category: Meta,
        severity: Warning,
        fix: None,
    }
}

impl Rule for UnusedSuppression {
    // Needs every other rule's findings: reported by `crate::suppress::apply` after they ran.
    fn check_file(&self, _file: &FileModel, _cx: &Ctx, _out: &mut Vec<Finding>) {}
}
