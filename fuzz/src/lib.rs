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
