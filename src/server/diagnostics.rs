//! One document's diagnostics: the file linted by the engine exactly as `check` lints it when
//! named on the command line (its repository's plan, so a module is seen with its callers; each
//! file's nearest config), with the texts of open buffers instead of their files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range,
    TextEdit, Uri,
};

use super::position::{Encoding, Lines};
use super::uri;
use crate::config::Config;
use crate::discover::Discovered;
use crate::finding::{Applicability, Finding, Severity};
use crate::lint::{self, FileReport, LintOptions, Overlay};
use crate::rules::RuleId;
use crate::source::{SourceMap, Span};

/// A fix offered as a code action, its edits in LSP terms.
#[derive(Debug, Clone)]
pub struct Action {
    pub title: String,
    pub applicability: Applicability,
    pub edits: HashMap<Uri, Vec<TextEdit>>,
    pub snippet: Option<String>,
}

/// What the server keeps of a published diagnostic, for code actions and hover.
#[derive(Debug, Clone)]
pub struct Item {
    pub diagnostic: Diagnostic,
    pub rule: Option<RuleId>,
    pub action: Option<Action>,
}

/// Lints the document `uri` at `path` (absolute; a bare name for a buffer without a file, linted
/// alone) with the open buffers of `overlay` (canonical paths).
pub fn lint(path: &Path, uri: &Uri, overlay: &Overlay, enc: Encoding) -> Vec<Item> {
    let root = crate::root::of(path);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let options = Options::new(root.clone());
    let opts = match options.of_dir(&dir) {
        Ok(opts) => opts,
        Err(message) => {
            return vec![whole_file_error(format!(
                "config error: {}",
                text(&message)
            ))]
        }
    };
    let canonical = crate::root::canonical(path);
    let report = if path.is_file() {
        let plan = lint::plan(&[path.to_path_buf()]);
        let opts_for = |planned: &lint::Planned| {
            let at = match &planned.item {
                Discovered::File { path, .. }
                | Discovered::Error { path, .. }
                | Discovered::Skipped { path, .. } => path,
            };
            let dir = at
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            options.of_dir(dir).unwrap_or_else(|_| opts.clone())
        };
        lint::run_with_overlay(&plan, &opts_for, overlay).files
    } else {
        // A buffer not saved yet: its text alone.
        let text = overlay.get(&canonical).cloned().unwrap_or_default();
        vec![lint::lint_text_in(path, text, Some(root), &opts)]
    };
    let mut items = Vec::new();
    for file in &report {
        collect(file, (&canonical, uri), enc, &mut items);
    }
    items
}

/// Each file's options from its nearest config, as `check` without flags resolves them; a
/// config is read once per run.
struct Options {
    root: PathBuf,
    by_dir: Mutex<HashMap<PathBuf, Result<Arc<LintOptions>, String>>>,
}

impl Options {
    fn new(root: PathBuf) -> Options {
        Options {
            root,
            by_dir: Mutex::new(HashMap::new()),
        }
    }

    fn of_dir(&self, dir: &Path) -> Result<Arc<LintOptions>, String> {
        let mut cache = self.by_dir.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(dir) {
            return found.clone();
        }
        let built = match crate::config::nearest(dir, &self.root) {
            Some(path) => Config::load(&path, &self.root)
                .map(|config| Arc::new(options(&config)))
                .map_err(|e| e.to_string()),
            None => Ok(Arc::new(options(&Config::default()))),
        };
        cache.insert(dir.to_path_buf(), built.clone());
        built
    }
}

/// A config's options for an editor: `check`'s without command-line flags, with the config's
/// `exclude` applied to the named file (an excluded file gets no diagnostics) and a file that is
/// not a policy skipped (`package.json`), as pre-commit asks.
fn options(config: &Config) -> LintOptions {
    LintOptions {
        force_exclude: true,
        skip_non_policies: true,
        ..LintOptions::from_config(config, crate::lint::Overrides::default())
    }
}

/// What is published when linting panicked (a bug): the server goes on.
pub fn internal_error() -> Item {
    whole_file_error(
        "internal error: iamlint could not lint this file (please report it)".to_string(),
    )
}

/// A message for the editor ([`crate::escape::text`]).
fn text(s: &str) -> String {
    crate::escape::text(s).into_owned()
}

fn whole_file_error(message: String) -> Item {
    Item {
        diagnostic: Diagnostic {
            range: Range::default(),
            severity: Some(DiagnosticSeverity::ERROR),
            source: Some("iamlint".into()),
            message,
            ..Diagnostic::default()
        },
        rule: None,
        action: None,
    }
}

/// Positions in one report's files, each file's line index built once.
struct Positions<'a> {
    /// The linted document: canonical path and URI.
    doc: (&'a Path, &'a Uri),
    sources: &'a SourceMap,
    lines: HashMap<u32, Lines>,
    canonical: HashMap<u32, PathBuf>,
    enc: Encoding,
}

impl Positions<'_> {
    fn path(&mut self, span: Span) -> &Path {
        let sources = self.sources;
        self.canonical
            .entry(span.file.0)
            .or_insert_with(|| crate::root::canonical(&sources.get(span.file).path))
    }

    fn range(&mut self, span: Span) -> Range {
        let text = &self.sources.get(span.file).text;
        let lines = self
            .lines
            .entry(span.file.0)
            .or_insert_with(|| Lines::new(text));
        lines.range(text, span.range(), self.enc)
    }

    fn location(&mut self, span: Span) -> Option<Location> {
        let (doc, doc_uri) = self.doc;
        let path = self.path(span);
        // The document's own URI (a buffer without a file has no `file:` one).
        let uri = if path == doc {
            doc_uri.clone()
        } else {
            uri::from_path(path)?
        };
        Some(Location::new(uri, self.range(span)))
    }
}

fn collect(file: &FileReport, doc: (&Path, &Uri), enc: Encoding, items: &mut Vec<Item>) {
    let (doc, doc_uri) = doc;
    let mut at = Positions {
        doc: (doc, doc_uri),
        sources: &file.sources,
        lines: HashMap::new(),
        canonical: HashMap::new(),
        enc,
    };
    let main_is_doc = crate::root::canonical(&file.sources.main().path) == doc;
    for error in &file.errors {
        let range = match error.span {
            Some(span) if at.path(span) == doc => at.range(span),
            Some(_) => continue,
            None if main_is_doc => Range::default(),
            None => continue,
        };
        let mut item = whole_file_error(text(&error.message));
        item.diagnostic.range = range;
        items.push(item);
    }
    for finding in file.active() {
        if let Some(item) = finding_item(finding, doc, &mut at) {
            items.push(item);
        }
    }
}

/// A finding located in the document: at its primary location, or, when that is in another file
/// (a module's policy reached through this caller), at its first label here.
fn finding_item(finding: &Finding, doc: &Path, at: &mut Positions<'_>) -> Option<Item> {
    let (range, elsewhere) = if at.path(finding.span) == doc {
        (at.range(finding.span), None)
    } else {
        let label = finding.related.iter().find(|l| at.path(l.span) == doc)?;
        (at.range(label.span), Some(label.note.to_string()))
    };
    // Values quoted from the files go through the one escaping layer: no control or bidi
    // character reaches the editor's text.
    let mut message = text(&finding.message);
    if let Some(note) = &elsewhere {
        message = format!("{message} ({})", text(note));
    }
    if let Some(help) = &finding.help {
        message = format!("{message}\nhelp: {}", text(help));
    }
    let mut related: Vec<DiagnosticRelatedInformation> = Vec::new();
    if elsewhere.is_some() {
        if let Some(location) = at.location(finding.span) {
            related.push(DiagnosticRelatedInformation {
                location,
                message: text(&finding.message),
            });
        }
    }
    for label in &finding.related {
        if let Some(location) = at.location(label.span) {
            related.push(DiagnosticRelatedInformation {
                location,
                message: text(&label.note),
            });
        }
    }
    let meta = finding.rule.meta();
    let diagnostic = Diagnostic {
        range,
        severity: Some(match finding.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(meta.id.to_string())),
        code_description: meta
            .docs_url()
            .parse::<Uri>()
            .ok()
            .map(|href| lsp_types::CodeDescription { href }),
        source: Some("iamlint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    };
    let action = finding.fix.as_deref().map(|fix| {
        let mut edits: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for edit in &fix.edits {
            if let Some(location) = at.location(edit.span) {
                edits
                    .entry(location.uri)
                    .or_default()
                    .push(TextEdit::new(location.range, edit.replacement.clone()));
            }
        }
        Action {
            title: fix.title.clone(),
            applicability: fix.applicability,
            edits,
            snippet: fix.snippet.clone(),
        }
    });
    Some(Item {
        diagnostic,
        rule: Some(finding.rule),
        action,
    })
}
