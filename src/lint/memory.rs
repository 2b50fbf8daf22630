//! Linting one text held in memory: the entry point for callers without a file system (the
//! WebAssembly playground, `crates/iamlint-wasm`). The text is linted as a run over that one
//! file lints it, principals included, so the findings are the ones `iamlint check` prints.

use std::path::Path;
use std::sync::Arc;

use super::{judge_principals, lint_text_facts, split_facts, LintOptions, Report, Skipped};

/// Lints `text` as the file `path` (its format from the extension, else from the content) and
/// judges the principals it declares (`privilege-escalation` across a role's policies), as
/// [`super::lint_paths`] does for a run of one file. Files the text refers to (module sources,
/// `file()`) are read through [`crate::root`] relative to `path`; where there is no file system
/// (WebAssembly) every such read fails and the value is unknown, as for a missing file.
pub fn lint_one(path: &Path, text: String, opts: &LintOptions) -> Report {
    let (report, facts) = lint_text_facts(path, text, None, opts);
    let shared = Arc::new(opts.clone());
    let (mut files, facts) = split_facts(vec![(report, facts)], |_| shared.clone());
    judge_principals(&mut files, facts);
    Report {
        files,
        skipped: Skipped::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    /// A role whose inline policy and an AWS managed policy attached to it together make an
    /// escalation path: only the judging of principals (not one document's check) sees it, so
    /// `lint_one` must run it as a run does.
    #[test]
    fn principals_are_judged() {
        let text = r#"
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
}
resource "aws_iam_role_policy" "pass" {
  role   = aws_iam_role.app.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "arn:aws:iam::111122223333:role/*" }] })
}
resource "aws_iam_role_policy_attachment" "lambda" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/AWSLambda_FullAccess"
}
"#;
        let opts = LintOptions::default();
        let one = lint_one(Path::new("main.tf"), text.to_string(), &opts);
        let alone = super::super::lint_text(Path::new("main.tf"), text.to_string(), &opts);
        let escalations = |r: &[crate::finding::Finding]| {
            r.iter()
                .filter(|f| f.rule == RuleId::PrivilegeEscalation)
                .count()
        };
        assert_eq!(one.files.len(), 1);
        assert!(
            escalations(&one.files[0].findings) > escalations(&alone.findings),
            "{:#?}",
            one.files[0].findings
        );
    }
}
