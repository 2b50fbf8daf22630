//! `iamlint server`: a Language Server Protocol server over stdio (`lsp-server`, `lsp-types`).
//!
//! Open `.json`, `.tf`, `.tfvars`, `.yaml`/`.yml` and `.template` documents are linted by the
//! engine as `check` lints a named file ([`diagnostics`]), their in-memory text overriding the
//! disk; changes are debounced. Fixes become code actions, catalog names and diagnostics get hovers
//! ([`hover`]), action names and condition keys are completed ([`completion`]). Positions are
//! converted in the negotiated encoding ([`position`]). A request the server cannot answer gets an
//! error response; nothing from a document stops the loop.

// `lsp_types::Uri` caches parts of its parse in `Cell`s, which clippy sees as a mutable key;
// its `Hash` and `Eq` read only the URI's text, which never changes.
#![allow(clippy::mutable_key_type)]

pub mod completion;
pub mod diagnostics;
pub mod hover;
pub mod position;
pub mod uri;
pub mod worker;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CodeAction, CodeActionDisabled, CodeActionKind, CodeActionOptions, CodeActionOrCommand,
    CodeActionParams, CodeActionProviderCapability, CompletionOptions, CompletionParams,
    CompletionResponse, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, Hover, HoverContents, HoverParams,
    HoverProviderCapability, InitializeParams, MarkupContent, MarkupKind, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri, WorkspaceEdit,
};

use crate::finding::Applicability;
use diagnostics::Item;
use position::{Encoding, Lines};

/// How long after the last change a document is linted.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Extensions of the files the server lints (as `check` reads them).
const EXTENSIONS: &[&str] = &["json", "tf", "tfvars", "yaml", "yml", "template"];

/// Whether the server lints documents at `path`.
pub fn handles(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// A name for a buffer with no file (`untitled:Untitled-1`), linted alone: the URI's last
/// segment in angle brackets (no file has that name) with an extension for its language.
fn unsaved_path(uri: &Uri, language: &str) -> PathBuf {
    let ext = match language {
        "json" | "jsonc" => "json",
        "terraform" | "hcl" | "tf" => "tf",
        "terraform-vars" | "tfvars" => "tfvars",
        "yaml" | "cloudformation" => "yaml",
        _ => "unknown",
    };
    let name: String = uri
        .as_str()
        .rsplit([':', '/'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    PathBuf::from(format!("<{name}>.{ext}"))
}

/// Serves one client over stdin and stdout until it sends `exit`. `Ok(0)` after a `shutdown`
/// request, `Ok(1)` when `exit` (or the end of input) comes without one, as LSP specifies.
pub fn run() -> Result<u8, String> {
    let (connection, io_threads) = Connection::stdio();
    let code = serve(&connection)?;
    drop(connection);
    io_threads.join().map_err(|e| format!("stdio: {e}"))?;
    Ok(code)
}

struct Document {
    path: PathBuf,
    text: String,
    version: i32,
    lines: Lines,
}

struct Server {
    encoding: Encoding,
    docs: HashMap<Uri, Document>,
    /// Documents to lint, at this time.
    due: HashMap<Uri, Instant>,
    /// The lint thread, and what it published for each open document.
    worker: worker::Worker,
    sender: crossbeam_channel::Sender<Message>,
}

fn serve(connection: &Connection) -> Result<u8, String> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("initialize: {e}"))?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let encoding = Encoding::negotiate(
        params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref()),
    );
    let capabilities = ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), "\"".into()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    };
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo {
            name: "iamlint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("initialize: {e}"))?;
    let mut server = Server {
        encoding,
        docs: HashMap::new(),
        due: HashMap::new(),
        worker: worker::Worker::spawn(connection.sender.clone())?,
        sender: connection.sender.clone(),
    };
    let code = server.serve(connection);
    server.worker.stop();
    code
}

impl Server {
    fn serve(&mut self, connection: &Connection) -> Result<u8, String> {
        loop {
            let wait = self
                .due
                .values()
                .min()
                .map_or(Duration::from_secs(3600), |at| {
                    at.saturating_duration_since(Instant::now())
                });
            match connection.receiver.recv_timeout(wait) {
                Ok(Message::Request(req)) => {
                    if connection
                        .handle_shutdown(&req)
                        .map_err(|e| format!("shutdown: {e}"))?
                    {
                        return Ok(0);
                    }
                    let response = self.request(req);
                    // The writer is gone only when the client is: the loop ends on the next read.
                    let _ = connection.sender.send(response.into());
                }
                Ok(Message::Notification(n)) => {
                    if n.method == lsp_types::notification::Exit::METHOD {
                        return Ok(1);
                    }
                    self.notification(n);
                }
                Ok(Message::Response(_)) => {}
                Err(e) if e.is_timeout() => {}
                // The client closed stdin without `exit`.
                Err(_) => return Ok(1),
            }
            self.lint_due();
        }
    }

    fn notification(&mut self, n: Notification) {
        use lsp_types::notification::{
            DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
        };
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                    return;
                };
                let doc = p.text_document;
                let path = match uri::to_path(&doc.uri) {
                    Some(path) => path,
                    None => unsaved_path(&doc.uri, &doc.language_id),
                };
                if !handles(&path) {
                    return;
                }
                self.worker.published.set_version(&doc.uri, doc.version);
                self.docs.insert(
                    doc.uri.clone(),
                    Document {
                        path,
                        lines: Lines::new(&doc.text),
                        text: doc.text,
                        version: doc.version,
                    },
                );
                self.due.insert(doc.uri, Instant::now());
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                    return;
                };
                let enc = self.encoding;
                let Some(doc) = self.docs.get_mut(&p.text_document.uri) else {
                    return;
                };
                for change in p.content_changes {
                    match change.range {
                        Some(range) => {
                            let start = doc.lines.offset(&doc.text, range.start, enc);
                            let end = doc.lines.offset(&doc.text, range.end, enc).max(start);
                            doc.text.replace_range(start..end, &change.text);
                        }
                        None => doc.text = change.text,
                    }
                    doc.lines = Lines::new(&doc.text);
                }
                doc.version = p.text_document.version;
                self.worker
                    .published
                    .set_version(&p.text_document.uri, doc.version);
                self.touch(p.text_document.uri, Instant::now() + DEBOUNCE);
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(n.params) {
                    if self.docs.contains_key(&p.text_document.uri) {
                        self.touch(p.text_document.uri, Instant::now());
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) {
                    let uri = p.text_document.uri;
                    self.due.remove(&uri);
                    self.docs.remove(&uri);
                    self.worker.published.close(&uri, &self.sender);
                }
            }
            _ => {}
        }
    }

    /// Schedules a changed document, and with a Terraform file the other open Terraform
    /// files of its repository: a module and its callers judge each other's values.
    fn touch(&mut self, uri: Uri, at: Instant) {
        let terraform = |path: &Path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("tf") || e.eq_ignore_ascii_case("tfvars"))
        };
        if let Some(doc) = self.docs.get(&uri).filter(|d| terraform(&d.path)) {
            let root = crate::root::of(&doc.path);
            for (other, d) in &self.docs {
                if *other != uri && terraform(&d.path) && crate::root::of(&d.path) == root {
                    self.due.insert(other.clone(), at);
                }
            }
        }
        self.due.insert(uri, at);
    }

    /// Hands the documents whose time has come to the lint thread.
    fn lint_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Uri> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(uri, _)| uri.clone())
            .collect();
        if due.is_empty() {
            return;
        }
        let overlay: Arc<crate::lint::Overlay> = Arc::new(
            self.docs
                .values()
                .map(|d| (crate::root::canonical(&d.path), d.text.clone()))
                .collect(),
        );
        for uri in due {
            self.due.remove(&uri);
            let Some(doc) = self.docs.get(&uri) else {
                continue;
            };
            self.worker.submit(worker::Job {
                uri,
                version: doc.version,
                path: doc.path.clone(),
                overlay: overlay.clone(),
                encoding: self.encoding,
            });
        }
    }

    fn request(&mut self, req: Request) -> Response {
        use lsp_types::request::{CodeActionRequest, Completion, HoverRequest};
        let id = req.id.clone();
        let answer = std::panic::catch_unwind(AssertUnwindSafe(|| match req.method.as_str() {
            HoverRequest::METHOD => {
                parse::<HoverParams>(req.params).map(|p| serde_json::to_value(self.hover(&p)))
            }
            Completion::METHOD => parse::<CompletionParams>(req.params)
                .map(|p| serde_json::to_value(self.completion(&p))),
            CodeActionRequest::METHOD => parse::<CodeActionParams>(req.params)
                .map(|p| serde_json::to_value(self.code_actions(&p))),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("iamlint does not handle `{other}`"),
            )),
        }));
        match answer {
            Ok(Ok(Ok(value))) => Response::new_ok(id, value),
            Ok(Ok(Err(e))) => error(id, ErrorCode::InternalError, e.to_string()),
            Ok(Err((code, message))) => error(id, code, message),
            Err(_) => error(id, ErrorCode::InternalError, "internal error".into()),
        }
    }

    fn hover(&self, p: &HoverParams) -> Option<Hover> {
        let at = &p.text_document_position_params;
        let doc = self.docs.get(&at.text_document.uri)?;
        let offset = doc.lines.offset(&doc.text, at.position, self.encoding);
        let mut parts = Vec::new();
        let mut range = None;
        if let Some(token) = hover::token_at(&doc.text, offset) {
            let in_actions =
                completion::context(&doc.text, token.start) == Some(completion::Context::Action);
            if let Some(markdown) = hover::catalog_markdown(&doc.text[token.clone()], in_actions) {
                parts.push(markdown);
                range = Some(doc.lines.range(&doc.text, token, self.encoding));
            }
        }
        self.worker
            .published
            .with_items(&at.text_document.uri, |items| {
                for item in items {
                    let r = item.diagnostic.range;
                    if r.start <= at.position && at.position <= r.end {
                        parts.push(hover::diagnostic_markdown(item));
                    }
                }
            });
        if parts.is_empty() {
            return None;
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: parts.join("\n---\n\n"),
            }),
            range,
        })
    }

    fn completion(&self, p: &CompletionParams) -> Option<CompletionResponse> {
        let at = &p.text_document_position;
        let doc = self.docs.get(&at.text_document.uri)?;
        let offset = doc.lines.offset(&doc.text, at.position, self.encoding);
        let start = completion::token_start(&doc.text, offset);
        let context = completion::context(&doc.text, start)?;
        let range = doc.lines.range(&doc.text, start..offset, self.encoding);
        let items = completion::items(&doc.text[start..offset], context, range);
        Some(CompletionResponse::Array(items))
    }

    fn code_actions(&self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let mut out = Vec::new();
        let overlaps = |r: &lsp_types::Range| r.start <= p.range.end && p.range.start <= r.end;
        let items = self
            .worker
            .published
            .with_items(&p.text_document.uri, <[Item]>::to_vec);
        for item in &items {
            let Some(action) = &item.action else {
                continue;
            };
            if !overlaps(&item.diagnostic.range) {
                continue;
            }
            let applicable =
                action.applicability != Applicability::DisplayOnly && !action.edits.is_empty();
            let title = match action.applicability {
                Applicability::Safe => action.title.clone(),
                Applicability::Unsafe => format!("{} (unsafe: grants less)", action.title),
                Applicability::DisplayOnly => format!("{} (preview)", action.title),
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![item.diagnostic.clone()]),
                edit: applicable.then(|| WorkspaceEdit {
                    changes: Some(action.edits.clone()),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(action.applicability == Applicability::Safe && applicable),
                disabled: (!applicable).then(|| CodeActionDisabled {
                    reason: "needs a human value: the replacement is shown in the diagnostic's \
                             hover"
                        .into(),
                }),
                data: action
                    .snippet
                    .as_ref()
                    .map(|s| serde_json::json!({ "preview": s })),
                ..CodeAction::default()
            }));
        }
        out
    }
}

fn parse<P: serde::de::DeserializeOwned>(
    params: serde_json::Value,
) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn error(id: RequestId, code: ErrorCode, message: String) -> Response {
    Response::new_err(id, code as i32, message)
}

fn notification<N: lsp_types::notification::Notification>(params: N::Params) -> Message {
    Message::Notification(Notification::new(N::METHOD.to_string(), params))
}
