//! Shared checks for the fuzz targets: lint one input under a file name and assert that nothing
//! it reports points outside the text.

use std::path::Path;

use iamlint::lint::{bytes_to_text, lint_text, LintOptions};

pub fn check(name: &str, data: &[u8]) {
    let Ok(text) = bytes_to_text(data.to_vec()) else {
        return;
    };
    let report = lint_text(Path::new(name), text, &LintOptions::default());
    for e in &report.errors {
        assert!(!e.message.is_empty());
        if let Some(span) = e.span {
            let text = &report.sources.get(span.file).text;
            assert!(span.start <= span.end && span.end as usize <= text.len());
            assert!(text.is_char_boundary(span.start as usize));
            assert!(text.is_char_boundary(span.end as usize));
        }
    }
    for f in &report.findings {
        let text = &report.sources.get(f.span.file).text;
        assert!(f.span.start <= f.span.end && f.span.end as usize <= text.len());
    }
    // Rendering touches the line index and every label: it must not panic either.
    let mut out = Vec::new();
    let file_report = iamlint::lint::Report {
        files: vec![report],
        ..Default::default()
    };
    for format in [
        iamlint::output::OutputFormat::Human,
        iamlint::output::OutputFormat::Json,
        iamlint::output::OutputFormat::Sarif,
        iamlint::output::OutputFormat::Github,
    ] {
        out.clear();
        let _ = iamlint::output::render(
            &file_report,
            format,
            &iamlint::output::OutputOptions::default(),
            &mut out,
        );
    }
}

/// Applies the safe fixes of one input (the format picked by its first byte) and checks that
/// the fixed text parses as well as the input did, and that only removals of whole literals
/// happened: the fixed text is the input with some byte ranges taken out.
pub fn check_fix(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let name = match first % 3 {
        0 => "policy.json",
        1 => "main.tf",
        _ => "template.yaml",
    };
    let Ok(text) = bytes_to_text(rest.to_vec()) else {
        return;
    };
    let opts = LintOptions::default();
    let report = lint_text(Path::new(name), text.clone(), &opts);
    let safe = iamlint::fix::Applicability::Safe;
    for fixed in iamlint::fix::apply::fixed_files(&report, safe) {
        if fixed.path != Path::new(name) {
            continue;
        }
        assert!(fixed.text.len() < text.len(), "a safe fix only removes text");
        assert!(is_subsequence(&fixed.text, &text), "a safe fix only removes text");
        let again = lint_text(Path::new(name), fixed.text.clone(), &opts);
        assert!(
            again.errors.len() <= report.errors.len(),
            "a fix broke the file: {:?}",
            again.errors
        );
    }
}

fn is_subsequence(small: &str, big: &str) -> bool {
    let mut it = big.chars();
    small.chars().all(|c| it.any(|b| b == c))
}
