//! Renders a report: human, json, sarif, github.
//!
//! STUB: one line per finding for every format until the real renderers land.

use std::io::{self, Write};

use crate::lint::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    pub color: bool,
    pub quiet: bool,
}

pub fn render(
    report: &Report,
    _format: OutputFormat,
    _opts: &OutputOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    for (file, e) in report.errors() {
        match e.span {
            Some(span) => {
                let loc = file.sources.locate(span);
                writeln!(
                    w,
                    "{}:{}:{}: {}",
                    loc.path, loc.start.line, loc.start.column, e.message
                )?;
            }
            None => writeln!(
                w,
                "{}: {}",
                file.sources.get(e.file).display_path(),
                e.message
            )?,
        }
    }
    for (file, f) in report.findings() {
        let loc = file.sources.locate(f.span);
        writeln!(
            w,
            "{}:{}:{}: {} [{}] {}",
            loc.path, loc.start.line, loc.start.column, f.severity, f.rule, f.message
        )?;
    }
    Ok(())
}
