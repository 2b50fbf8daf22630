//! The lint thread: documents are linted here, one at a time, while the loop keeps answering
//! hovers, completions and code actions. What was published for each open document is kept in
//! [`Published`], shared with the loop.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use lsp_server::Message;
use lsp_types::{PublishDiagnosticsParams, Uri};

use super::diagnostics::{self, Item};
use super::position::Encoding;
use crate::lint::Overlay;

/// One document to lint at one version, with the open buffers of that moment.
pub struct Job {
    pub uri: Uri,
    pub version: i32,
    pub path: PathBuf,
    pub overlay: Arc<Overlay>,
    pub encoding: Encoding,
}

/// The open documents' versions and last published diagnostics.
#[derive(Default)]
pub struct Published {
    docs: Mutex<HashMap<Uri, (i32, Vec<Item>)>>,
    stopping: AtomicBool,
}

impl Published {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uri, (i32, Vec<Item>)>> {
        self.docs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A document opened or changed: results for older versions are dropped.
    pub fn set_version(&self, uri: &Uri, version: i32) {
        self.lock()
            .entry(uri.clone())
            .and_modify(|e| e.0 = version)
            .or_insert((version, Vec::new()));
    }

    /// A document closed: its diagnostics cleared (under the lock, so no result of the lint
    /// thread follows).
    pub fn close(&self, uri: &Uri, sender: &crossbeam_channel::Sender<Message>) {
        let mut docs = self.lock();
        if docs.remove(uri).is_some() {
            publish(sender, uri.clone(), Vec::new(), None);
        }
    }

    /// `f` of the last published items of `uri` (none: empty).
    pub fn with_items<T>(&self, uri: &Uri, f: impl FnOnce(&[Item]) -> T) -> T {
        let docs = self.lock();
        f(docs.get(uri).map_or(&[][..], |e| e.1.as_slice()))
    }

    fn is_current(&self, uri: &Uri, version: i32) -> bool {
        self.lock().get(uri).is_some_and(|e| e.0 == version)
    }

    /// Keeps and publishes `items` if `version` is still the document's.
    fn finish(
        &self,
        uri: &Uri,
        version: i32,
        items: Vec<Item>,
        sender: &crossbeam_channel::Sender<Message>,
    ) {
        let mut docs = self.lock();
        let Some(entry) = docs.get_mut(uri).filter(|e| e.0 == version) else {
            return;
        };
        let diagnostics = items.iter().map(|i| i.diagnostic.clone()).collect();
        entry.1 = items;
        publish(sender, uri.clone(), diagnostics, Some(version));
    }
}

fn publish(
    sender: &crossbeam_channel::Sender<Message>,
    uri: Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
    version: Option<i32>,
) {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    // The writer is gone only when the client is; the loop ends on its next read.
    let _ = sender.send(super::notification::<
        lsp_types::notification::PublishDiagnostics,
    >(params));
}

/// The lint thread and the way to give it work.
pub struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    pub published: Arc<Published>,
}

impl Worker {
    pub fn spawn(sender: crossbeam_channel::Sender<Message>) -> Result<Worker, String> {
        let published = Arc::new(Published::default());
        let (jobs, queue) = mpsc::channel::<Job>();
        let shared = published.clone();
        let thread = std::thread::Builder::new()
            .name("iamlint-lint".into())
            .spawn(move || work(&queue, &shared, &sender))
            .map_err(|e| format!("cannot start the lint thread: {e}"))?;
        Ok(Worker {
            jobs: Some(jobs),
            thread: Some(thread),
            published,
        })
    }

    pub fn submit(&self, job: Job) {
        if let Some(jobs) = &self.jobs {
            // Fails only when the thread ended, which only `stop` does.
            let _ = jobs.send(job);
        }
    }

    /// Drops the queued jobs and waits for the one under way.
    pub fn stop(&mut self) {
        self.published.stopping.store(true, Ordering::SeqCst);
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn work(
    queue: &mpsc::Receiver<Job>,
    published: &Published,
    sender: &crossbeam_channel::Sender<Message>,
) {
    while let Ok(first) = queue.recv() {
        // What queued up while the last lint ran: the newest job of each document, in order.
        let mut jobs: Vec<Job> = Vec::new();
        for job in std::iter::once(first).chain(queue.try_iter()) {
            jobs.retain(|j| j.uri != job.uri);
            jobs.push(job);
        }
        for job in jobs {
            if published.stopping.load(Ordering::SeqCst) {
                return;
            }
            if !published.is_current(&job.uri, job.version) {
                continue;
            }
            let items = std::panic::catch_unwind(AssertUnwindSafe(|| {
                diagnostics::lint(&job.path, &job.uri, &job.overlay, job.encoding)
            }))
            .unwrap_or_else(|_| vec![diagnostics::internal_error()]);
            published.finish(&job.uri, job.version, items, sender);
        }
    }
}
