use foldhash::{HashMap, HashMapExt};

use crate::catalog::PatternIndex;
use crate::model::action::{has_wildcard, wildcard_match};
use crate::rules::prelude::*;

declare_rule! {
    /// Flags actions already covered by a wildcard (or repeated) in the same statement.
    ///
    /// ## What it does
    /// Within one statement's `Action` (or `NotAction`) list, reports an item whose every match is
    /// also matched by another item: `s3:GetObject` next to `s3:Get*` or `s3:*`, `s3:Get*` next to
    /// `*`, or the same action written twice (ignoring case). Of two items that cover each other,
    /// the later one is reported. Matching is IAM's, case-insensitive; items with unknown parts are
    /// left alone.
    ///
    /// ## Why is this bad?
    /// The item adds nothing: the statement grants (or denies) exactly the same without it. It makes
    /// the policy longer (policies have size quotas) and misleads reviewers into thinking the grant
    /// is narrower than the wildcard beside it.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:GetObject"], "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "arn:aws:s3:::reports/*"}]}
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the fix removes the redundant item and its separating comma. The covering item stays,
    /// so the statement matches exactly the same actions. When a named action is covered by a
    /// wider wildcard, the fix title says what the wildcard still grants (`ssm:Get*` grants
    /// `ssm:GetParameter` with 29 other actions) and the help offers the other reading: if the
    /// named action is the one needed, the wildcard is what to narrow. When two neighbouring items at the start
    /// of a list are both redundant, their edits touch the same comma; apply them one at a time.
    ///
    /// ## References
    /// - [IAM JSON policy elements: Action](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
    pub RedundantAction {
        id: "redundant-action",
        category: Validity,
        severity: Info,
        fix: Always,
    }
}

/// True when every action `inner` matches is matched by `outer` (both IAM patterns).
fn covers(outer: &str, inner: &str) -> bool {
    if outer.eq_ignore_ascii_case(inner) {
        return true;
    }
    if !has_wildcard(outer) {
        return false;
    }
    // With `?` in `outer`, matching `inner`'s text would let `?` stand for one of `inner`'s `*`.
    if has_wildcard(inner) && outer.contains('?') {
        return false;
    }
    wildcard_match(outer, inner)
}

impl Rule for RedundantAction {
    fn check_statement(
        &self,
        stmt: &Statement,
        _doc: &PolicyDoc,
        cx: &Ctx,
        out: &mut Vec<Finding>,
    ) {
        let Some(list) = &stmt.action else { return };
        let items = &list.items;
        if items.len() < 2 {
            return;
        }
        // Only an equal item or a wildcard can cover another. Index them so a long list (AWS's
        // ReadOnlyAccess has 2,900 entries) costs one pass, not every pair.
        let lower: Vec<Option<String>> = items
            .iter()
            .map(|item| item.value.as_str().map(str::to_ascii_lowercase))
            .collect();
        let mut first_of: HashMap<&str, usize> = HashMap::with_capacity(items.len());
        for (j, text) in lower.iter().enumerate() {
            if let Some(text) = text {
                first_of.entry(text).or_insert(j);
            }
        }
        // Wildcards by their literal head and tail: only a wildcard whose head starts and whose
        // tail ends the covered text can cover it, so each item looks up its own prefixes and
        // suffixes instead of comparing with every wildcard. The first of equal ones stands for
        // them all (a later one is reported as listed twice).
        let wildcards = PatternIndex::new(
            lower
                .iter()
                .enumerate()
                .filter_map(|(j, t)| Some((j, t.as_deref()?)))
                .filter(|(j, t)| has_wildcard(t) && first_of.get(t) == Some(j)),
        );
        // Wildcards the index cannot tell apart (`*x1*`, `*x2*`, ...) are still compared pairwise:
        // past this many comparisons the rest of the list is left alone.
        let mut budget = crate::catalog::MAX_PATTERN_MATCHES;
        // The first item the budget left (partly) unchecked.
        let mut stopped_at: Option<usize> = None;
        for (i, item) in items.iter().enumerate() {
            let (Some(inner), Some(inner_lower)) = (item.value.as_str(), &lower[i]) else {
                continue;
            };
            let equal = first_of
                .get(inner_lower.as_str())
                .copied()
                .filter(|j| *j < i);
            if budget == 0 {
                stopped_at.get_or_insert(i);
                break;
            }
            let wider = wildcards
                .candidates(inner_lower)
                .take_while(|_| {
                    budget = budget.saturating_sub(1);
                    if budget == 0 {
                        stopped_at.get_or_insert(i);
                    }
                    budget > 0
                })
                .filter(|j| {
                    let Some(outer) = items[*j].value.as_str() else {
                        return false;
                    };
                    *j != i && covers(outer, inner) && (!covers(inner, outer) || *j < i)
                })
                .min();
            let Some(coverer) = equal.into_iter().chain(wider).min() else {
                continue;
            };
            let outer = &items[coverer];
            let outer_text = outer.value.text();
            let duplicate = outer_text.eq_ignore_ascii_case(inner);
            // A misspelt action is `unknown-action`'s to report: calling it covered would hide
            // that it grants nothing.
            if !duplicate
                && !crate::model::action::has_wildcard(inner)
                && cx.catalog.action(inner).is_none()
            {
                continue;
            }
            let message = if duplicate {
                format!("`{inner}` is listed twice")
            } else {
                format!("`{inner}` is already covered by `{outer_text}`")
            };
            // A named action under a wider wildcard: the fix keeps the wildcard, so it says what
            // the wildcard grants, and the help offers the other reading (the named action is the
            // one needed, the wildcard the excess).
            let breadth = (!duplicate && !has_wildcard(inner))
                .then(|| wildcard_breadth(cx, &outer_text))
                .flatten();
            let (note, help, title) = match &breadth {
                Some(breadth) => (
                    format!("covered here: `{outer_text}` grants it {breadth}"),
                    format!(
                        "remove `{inner}`; or, if it is the action this statement needs, replace \
                         `{outer_text}` with the actions it needs"
                    ),
                    format!("remove `{inner}` (`{outer_text}` still grants it {breadth})"),
                ),
                None => (
                    "covered here".to_string(),
                    format!("remove `{inner}`"),
                    format!("remove `{inner}`"),
                ),
            };
            let mut finding = Self::finding(item.span, message)
                .related(outer.span, note)
                .help(help)
                .path(stmt.path.clone());
            if let Some(edit) = removal(items, i) {
                finding = finding.fix(Fix {
                    title,
                    applicability: Applicability::Safe,
                    edits: vec![edit],
                    snippet: None,
                });
            }
            out.push(finding.build());
        }
        // The check was partial: say so, or a clean result would read as "nothing redundant".
        if let Some(i) = stopped_at {
            let left = items.len() - i;
            out.push(
                Self::finding(
                    items[i].span,
                    format!(
                        "redundant-action checked this list in part: past {} wildcard \
                         comparisons, this item and the {} after it were not (fully) checked",
                        crate::text::thousands(crate::catalog::MAX_PATTERN_MATCHES),
                        crate::text::thousands(left - 1),
                    ),
                )
                .severity(Severity::Info)
                .help("split the list, or write fewer wildcards that differ only inside (`*x1*`, `*x2*`)")
                .path(stmt.path.clone())
                .build(),
            );
        }
    }
}

/// What a covering wildcard grants besides the action it covers, for the fix title: "with 29
/// other actions", "with every action of every service"; `None` when the count is unknown.
fn wildcard_breadth(cx: &Ctx, wildcard: &str) -> Option<String> {
    if wildcard == "*" {
        return Some("with every action of every service".to_string());
    }
    let others = cx.catalog.expand(wildcard).len().checked_sub(1)?;
    Some(match others {
        0 => "and nothing else".to_string(),
        1 => "with 1 other action".to_string(),
        n => format!("with {} other actions", crate::text::thousands(n)),
    })
}

/// The edit removing item `i` with one separating comma: from the end of the previous item to the
/// end of this one, or for the first item from its start to the start of the next one.
fn removal(items: &[Located<Scalar>], i: usize) -> Option<Edit> {
    let item = items.get(i)?.span;
    let span = if i > 0 {
        let prev = items[i - 1].span;
        (prev.file == item.file && prev.end <= item.start).then_some(Span {
            file: item.file,
            start: prev.end,
            end: item.end,
        })?
    } else {
        let next = items.get(1)?.span;
        (next.file == item.file && item.end <= next.start).then_some(Span {
            file: item.file,
            start: item.start,
            end: next.start,
        })?
    };
    Some(Edit {
        span,
        replacement: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::lint::{lint_text, LintOptions};

    fn only_this() -> LintOptions {
        LintOptions {
            select: Some(vec![RuleId::RedundantAction]),
            ..LintOptions::default()
        }
    }

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut out = text.to_string();
        let mut edits = edits.to_vec();
        edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        for e in edits {
            out.replace_range(e.span.range(), &e.replacement);
        }
        out
    }

    #[test]
    fn covers_like_iam() {
        assert!(covers("s3:*", "s3:GetObject"));
        assert!(covers("s3:Get*", "s3:GetObject"));
        assert!(covers("*", "s3:Get*"));
        // The inner pattern's `*` is covered by the outer's, wherever it stands.
        assert!(covers("s3:Get*", "s3:Get*Tagging"));
        assert!(!covers("s3:Get*Tagging", "s3:Get*"));
        assert!(covers("S3:GETOBJECT", "s3:GetObject"));
        assert!(!covers("s3:GetObject", "s3:Get*"));
        assert!(!covers("s3:?et*", "s3:*et*"));
        assert!(!covers("s3:Put*", "s3:GetObject"));
    }

    /// Applying each fix of the fixtures, one at a time, leaves valid JSON and removes the finding.
    #[test]
    fn fixes_apply_and_remove_the_finding() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/redundant-action");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("fixture folder") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if !name.starts_with("fail_") || !name.ends_with(".json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("fixture text");
            let report = lint_text(&path, text.clone(), &only_this());
            assert!(!report.findings.is_empty(), "{name}");
            for f in &report.findings {
                let fix = f.fix.as_ref().expect("redundant-action always has a fix");
                assert_eq!(fix.applicability, Applicability::Safe);
                let fixed = apply(&text, &fix.edits);
                serde_json::from_str::<serde_json::Value>(&fixed)
                    .unwrap_or_else(|e| panic!("{name}: fix gives invalid JSON ({e}):\n{fixed}"));
                let after = lint_text(&path, fixed.clone(), &only_this());
                assert!(after.errors.is_empty(), "{name}: {:?}", after.errors);
                assert!(
                    !after.findings.iter().any(|g| g.message == f.message),
                    "{name}: finding `{}` survives its fix:\n{fixed}",
                    f.message
                );
                assert_eq!(after.findings.len(), report.findings.len() - 1, "{name}");
                checked += 1;
            }
        }
        assert!(checked >= 2);
    }
}
