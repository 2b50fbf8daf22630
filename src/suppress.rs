//! Suppressions: inline `iamlint: ignore[rule-id] reason` comments collected by the frontends.
//! Suppressed findings are marked, not dropped, so output can count them.

use crate::finding::Finding;
use crate::lint::LintOptions;
use crate::model::FileModel;
use crate::rules::RuleId;
use crate::source::{SourceMap, Span};

/// Marks every finding covered by a valid suppression comment.
pub fn apply(
    findings: &mut [Finding],
    model: &FileModel,
    _sources: &SourceMap,
    _opts: &LintOptions,
) {
    for finding in findings.iter_mut() {
        if model.suppressions.iter().any(|s| {
            s.reason.is_some()
                && s.rules
                    .iter()
                    .any(|r| RuleId::parse(&r.value) == Some(finding.rule))
                && s.scope.is_none_or(|scope| covers(scope, finding))
        }) {
            finding.suppressed = true;
        }
    }
}

fn covers(scope: Span, finding: &Finding) -> bool {
    std::iter::once(finding.span)
        .chain(finding.related.iter().map(|l| l.span))
        .any(|span| {
            span.file == scope.file
                && span.start >= scope.start
                && span.start < scope.end.max(scope.start + 1)
        })
}
