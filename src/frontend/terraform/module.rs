//! A Terraform module as the frontend sees it: the file being linted plus the other `.tf` files of
//! its folder, where its variables, locals and policy documents may be defined.
//!
//! Each file is parsed once per run (a process-wide cache shared by the runs of one folder), so an
//! 800-file folder costs 800 parses, not 800², and a folder is dropped once its files are linted.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use hcl_edit::structure::{Block, Body};

use super::resources::{self, DocUse, PrincipalRef};

/// One parsed `.tf` file and what it defines.
#[derive(Debug)]
pub struct ParsedFile {
    pub path: PathBuf,
    pub text: String,
    pub body: Result<Body, hcl_edit::parser::Error>,
    pub defs: Defs,
}

/// Named things a file defines, by index into its body.
#[derive(Debug, Default)]
pub struct Defs {
    /// `variable "x"` → block index.
    pub variables: HashMap<String, usize>,
    /// `locals { x = ... }` → (block index, attribute key).
    pub locals: HashMap<String, usize>,
    /// `data "aws_iam_policy_document" "x"` → block index.
    pub data_docs: HashMap<String, usize>,
    /// `data "aws_iam_policy" "x"` → block index.
    pub data_policies: HashMap<String, usize>,
    /// Literal `name` of a role, user or group → its address (`aws_iam_role.ci`).
    pub principal_names: HashMap<String, String>,
    /// `aws_iam_policy` name → principals it is attached to (by attachment resources).
    pub policy_attached: HashMap<String, Vec<PrincipalRef>>,
    /// Policy slots that take a `data.aws_iam_policy_document.X.json`.
    pub doc_uses: Vec<DocUse>,
    /// Documents referenced anywhere else (locals, module inputs, outputs), except as the source
    /// or override of another document: they are linted on their own.
    pub doc_other_refs: HashSet<String>,
    /// Documents used as `source_policy_documents`/`override_policy_documents` of another.
    pub doc_source_refs: HashSet<String>,
}

impl ParsedFile {
    pub fn parse(path: PathBuf, text: String) -> ParsedFile {
        let body = super::hcl::parse_body(&text);
        let defs = match &body {
            Ok(body) => Defs::collect(body, &text),
            Err(_) => Defs::default(),
        };
        ParsedFile {
            path,
            text,
            body,
            defs,
        }
    }

    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref().ok()
    }

    /// The top-level block at `index`.
    pub fn block(&self, index: usize) -> Option<&Block> {
        self.body()?.get(index)?.as_block()
    }

    /// The value of `locals { name = ... }`.
    pub fn local(&self, name: &str) -> Option<&hcl_edit::structure::Attribute> {
        let block = self.block(*self.defs.locals.get(name)?)?;
        block.body.get_attribute(name)
    }
}

impl Defs {
    fn collect(body: &Body, text: &str) -> Defs {
        let mut defs = Defs::default();
        for (i, structure) in body.iter().enumerate() {
            let Some(block) = structure.as_block() else {
                continue;
            };
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.ident.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    defs.variables.entry(name.to_string()).or_insert(i);
                }
                ("locals", []) => {
                    for attr in block.body.attributes() {
                        defs.locals
                            .entry(attr.key.as_str().to_string())
                            .or_insert(i);
                    }
                }
                ("data", ["aws_iam_policy_document", name]) => {
                    defs.data_docs.entry(name.to_string()).or_insert(i);
                }
                ("data", ["aws_iam_policy", name]) => {
                    defs.data_policies.entry(name.to_string()).or_insert(i);
                }
                ("resource", [ty @ ("aws_iam_role" | "aws_iam_user" | "aws_iam_group"), name]) => {
                    if let Some(literal) = block
                        .body
                        .get_attribute("name")
                        .and_then(|a| a.value.as_str())
                    {
                        defs.principal_names
                            .insert(literal.to_string(), format!("{ty}.{name}"));
                    }
                }
                _ => {}
            }
        }
        resources::index_file(body, text, &mut defs);
        defs
    }
}

/// Every `.tf` file of one folder, parsed, with merged name tables.
#[derive(Debug, Default)]
pub struct DirIndex {
    pub files: Vec<Arc<ParsedFile>>,
    variables: HashMap<String, usize>,
    locals: HashMap<String, usize>,
    data_docs: HashMap<String, usize>,
    data_policies: HashMap<String, usize>,
    principal_names: HashMap<String, String>,
    policy_attached: HashMap<String, Vec<PrincipalRef>>,
    doc_uses: HashMap<String, Vec<(usize, usize)>>,
    doc_other_refs: HashSet<String>,
    doc_source_refs: HashSet<String>,
    /// The folder's `.tf` files that could not be read (too large, not UTF-8, unreadable), with
    /// the reason: the module's run goes on without them, and a call says so.
    pub unread: Vec<(PathBuf, String)>,
}

impl DirIndex {
    fn build(files: Vec<Arc<ParsedFile>>) -> DirIndex {
        let mut index = DirIndex::default();
        for (i, file) in files.iter().enumerate() {
            let d = &file.defs;
            for name in d.variables.keys() {
                index.variables.entry(name.clone()).or_insert(i);
            }
            for name in d.locals.keys() {
                index.locals.entry(name.clone()).or_insert(i);
            }
            for name in d.data_docs.keys() {
                index.data_docs.entry(name.clone()).or_insert(i);
            }
            for name in d.data_policies.keys() {
                index.data_policies.entry(name.clone()).or_insert(i);
            }
            for (k, v) in &d.principal_names {
                index.principal_names.entry(k.clone()).or_insert(v.clone());
            }
            for (k, v) in &d.policy_attached {
                index
                    .policy_attached
                    .entry(k.clone())
                    .or_default()
                    .extend(v.iter().cloned());
            }
            for (j, u) in d.doc_uses.iter().enumerate() {
                index
                    .doc_uses
                    .entry(u.doc.clone())
                    .or_default()
                    .push((i, j));
            }
            index
                .doc_other_refs
                .extend(d.doc_other_refs.iter().cloned());
            index
                .doc_source_refs
                .extend(d.doc_source_refs.iter().cloned());
        }
        index.files = files;
        index
    }
}

/// One folder being linted: its `.tf` files, each parsed once by whichever run needs it first,
/// and the merged index, built once every file is parsed.
#[derive(Debug)]
struct DirEntry {
    paths: Vec<PathBuf>,
    /// The tfvars files Terraform reads by itself when the folder is a root module.
    tfvars: Vec<PathBuf>,
    cells: Vec<OnceLock<Result<Arc<ParsedFile>, String>>>,
    index: OnceLock<Arc<DirIndex>>,
    /// Files of the folder not linted yet: at zero the folder is dropped from the cache.
    remaining: AtomicUsize,
}

impl DirEntry {
    fn read(dir: &Path) -> DirEntry {
        // (path, a regular file and not a symlink)
        let files: Vec<(PathBuf, bool)> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_file())))
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut paths: Vec<PathBuf> = files
            .iter()
            .filter(|(p, regular)| *regular && p.extension().is_some_and(|e| e == "tf"))
            .map(|(p, _)| p.clone())
            .collect();
        paths.sort();
        DirEntry {
            cells: paths.iter().map(|_| OnceLock::new()).collect(),
            remaining: AtomicUsize::new(paths.len()),
            paths,
            tfvars: automatic_tfvars(files),
            index: OnceLock::new(),
        }
    }

    /// File `i`, parsed from `text` when given (the text the run already read), else from disk.
    fn file(&self, i: usize, text: Option<&str>) -> Option<Arc<ParsedFile>> {
        self.file_read(i, text).ok()
    }

    /// File `i`, or why it could not be read.
    fn file_read(&self, i: usize, text: Option<&str>) -> Result<Arc<ParsedFile>, String> {
        let Some(cell) = self.cells.get(i) else {
            return Err("no such file".to_string());
        };
        cell.get_or_init(|| {
            let path = self.paths.get(i).ok_or("no such file")?.clone();
            // The folder was checked to lie inside the repository root and `paths` are its
            // regular files, never links: each is read as any referenced file is, opened
            // without blocking or following a link, one hard link, at most 16 MiB
            // ([`crate::root::read_resolved`]).
            let text = match text {
                Some(t) => t.to_string(),
                None => crate::source::bytes_to_text(
                    crate::root::read_resolved(&path, crate::root::MAX_REFERENCED_BYTES)
                        .map_err(|r| r.reason())?,
                )?,
            };
            Ok(Arc::new(ParsedFile::parse(path, text)))
        })
        .clone()
    }

    /// Parses every file (starting after `from`, so runs of one folder on several threads share
    /// the work instead of waiting on each other), then merges the index.
    fn index(&self, from: usize) -> Arc<DirIndex> {
        let n = self.paths.len();
        for k in 1..=n {
            let _ = self.file((from + k) % n.max(1), None);
        }
        self.index
            .get_or_init(|| {
                let mut files = Vec::new();
                let mut unread = Vec::new();
                for i in 0..n {
                    match self.file_read(i, None) {
                        Ok(f) => files.push(f),
                        Err(why) => unread.push((self.paths[i].clone(), why)),
                    }
                }
                let mut index = DirIndex::build(files);
                index.unread = unread;
                Arc::new(index)
            })
            .clone()
    }
}

/// The tfvars files among a folder's files, in the order Terraform reads them (later wins):
/// `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars` and `*.auto.tfvars.json` in
/// lexical order of their names. Unlike `.tf` files, a tfvars file may be a symlink to a file.
fn automatic_tfvars(files: Vec<(PathBuf, bool)>) -> Vec<PathBuf> {
    let mut found: Vec<(u8, PathBuf)> = files
        .into_iter()
        .map(|(p, _)| p)
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let rank = match name {
                "terraform.tfvars" => 0,
                "terraform.tfvars.json" => 1,
                _ if name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json") => 2,
                _ => return None,
            };
            p.is_file().then_some((rank, p))
        })
        .collect();
    found.sort_by(|(ra, a), (rb, b)| ra.cmp(rb).then_with(|| a.file_name().cmp(&b.file_name())));
    found.into_iter().map(|(_, p)| p).collect()
}

/// Folder → its files. A folder leaves the cache once each of its files was linted; a host that
/// edits files between runs of the same file can call [`clear_cache`].
static DIRS: LazyLock<Mutex<HashMap<PathBuf, Arc<DirEntry>>>> = LazyLock::new(Default::default);

fn dirs() -> std::sync::MutexGuard<'static, HashMap<PathBuf, Arc<DirEntry>>> {
    match DIRS.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn dir_entry(dir: &Path) -> Arc<DirEntry> {
    let mut dirs = dirs();
    dirs.entry(dir.to_path_buf())
        .or_insert_with(|| Arc::new(DirEntry::read(dir)))
        .clone()
}

/// Forgets every parsed folder.
pub fn clear_cache() {
    dirs().clear();
}

/// Which file of a [`Module`]: 0 is the file being linted, `n` is `dir.files[n - 1]`.
pub type FileKey = usize;

/// The file being linted and its folder.
pub struct Module {
    pub main: Arc<ParsedFile>,
    pub dir: Option<Arc<DirIndex>>,
    /// The folder (for `path.module`), when the file is on disk.
    pub dir_path: Option<PathBuf>,
    /// The folder's own tfvars files, in Terraform's order (read when it is a root module).
    pub tfvars: Vec<PathBuf>,
    entry: Option<Arc<DirEntry>>,
}

impl Drop for Module {
    fn drop(&mut self) {
        let Some(entry) = self.entry.take() else {
            return;
        };
        if entry.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            if let Some(dir) = &self.dir_path {
                let mut dirs = dirs();
                if dirs.get(dir).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
                    dirs.remove(dir);
                }
            }
        }
    }
}

impl Module {
    /// Loads the module of a file. Sibling files are read only when the file itself is on disk (not
    /// for stdin or in-memory text).
    pub fn load(path: &Path, text: &str) -> Module {
        let on_disk = path.is_file();
        let dir_path = on_disk.then(|| match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        });
        let entry = dir_path.as_deref().map(dir_entry);
        let pos = entry
            .as_ref()
            .and_then(|e| e.paths.iter().position(|p| same_file(p, path)));
        let cached = match (&entry, pos) {
            (Some(e), Some(i)) => e.file(i, Some(text)).filter(|f| f.text == text),
            _ => None,
        };
        let main = cached
            .unwrap_or_else(|| Arc::new(ParsedFile::parse(path.to_path_buf(), text.to_string())));
        let dir = entry.as_ref().map(|e| e.index(pos.unwrap_or(0)));
        Module {
            main,
            dir,
            dir_path,
            tfvars: entry.as_ref().map(|e| e.tfvars.clone()).unwrap_or_default(),
            entry: entry.filter(|_| pos.is_some()),
        }
    }

    /// The module of a folder reached through a module call (not a file being linted): every
    /// `.tf` file, parsed once per run like the folders being linted. `None` without `.tf` files.
    pub fn load_dir(dir: &Path) -> Option<Module> {
        let entry = dir_entry(dir);
        if entry.paths.is_empty() {
            return None;
        }
        let index = entry.index(0);
        let main = index.files.first()?.clone();
        Some(Module {
            main,
            dir: Some(index),
            dir_path: Some(dir.to_path_buf()),
            // A called module takes its variables from the call, not from tfvars files.
            tfvars: Vec::new(),
            // Not counted as one of the folder's runs: its own lint still drops it from the cache.
            entry: None,
        })
    }

    /// Every file of the module once: the main file, then the others.
    pub fn keys(&self) -> Vec<FileKey> {
        let mut keys = vec![0];
        if let Some(dir) = &self.dir {
            keys.extend((0..dir.files.len()).filter_map(|i| self.sibling(Some(&i))));
        }
        keys
    }

    /// `data "aws_iam_policy_document" name` as defined in file `key`.
    pub fn data_doc_in(&self, key: FileKey, name: &str) -> Option<(FileKey, &Block)> {
        let file = self.file(key);
        Some((key, file.block(*file.defs.data_docs.get(name)?)?))
    }

    pub fn file(&self, key: FileKey) -> &ParsedFile {
        if key == 0 {
            return &self.main;
        }
        match self.dir.as_ref().and_then(|d| d.files.get(key - 1)) {
            Some(f) => f,
            None => &self.main,
        }
    }

    /// A sibling's index, unless it is the linted file itself (whose fresh text wins).
    fn sibling(&self, index: Option<&usize>) -> Option<FileKey> {
        let i = *index?;
        let dir = self.dir.as_ref()?;
        let file = dir.files.get(i)?;
        (!same_file(&file.path, &self.main.path)).then_some(i + 1)
    }

    pub fn variable(&self, name: &str) -> Option<(FileKey, &Block)> {
        let key = if self.main.defs.variables.contains_key(name) {
            0
        } else {
            self.sibling(self.dir.as_ref()?.variables.get(name))?
        };
        let file = self.file(key);
        Some((key, file.block(*file.defs.variables.get(name)?)?))
    }

    pub fn local(&self, name: &str) -> Option<(FileKey, &hcl_edit::structure::Attribute)> {
        let key = if self.main.defs.locals.contains_key(name) {
            0
        } else {
            self.sibling(self.dir.as_ref()?.locals.get(name))?
        };
        Some((key, self.file(key).local(name)?))
    }

    /// Where `data "aws_iam_policy_document" name` is defined.
    pub fn data_doc(&self, name: &str) -> Option<(FileKey, &Block)> {
        let key = if self.main.defs.data_docs.contains_key(name) {
            0
        } else {
            self.sibling(self.dir.as_ref()?.data_docs.get(name))?
        };
        let file = self.file(key);
        Some((key, file.block(*file.defs.data_docs.get(name)?)?))
    }

    pub fn data_policy(&self, name: &str) -> Option<(FileKey, &Block)> {
        let key = if self.main.defs.data_policies.contains_key(name) {
            0
        } else {
            self.sibling(self.dir.as_ref()?.data_policies.get(name))?
        };
        let file = self.file(key);
        Some((key, file.block(*file.defs.data_policies.get(name)?)?))
    }

    /// The address of the role, user or group with this literal name, if the module defines one.
    pub fn principal_named(&self, name: &str) -> Option<&str> {
        self.main
            .defs
            .principal_names
            .get(name)
            .or_else(|| self.dir.as_ref()?.principal_names.get(name))
            .map(String::as_str)
    }

    /// Principals an `aws_iam_policy` is attached to, module-wide.
    pub fn policy_attached(&self, policy: &str) -> Vec<PrincipalRef> {
        let mut out: Vec<PrincipalRef> = self
            .main
            .defs
            .policy_attached
            .get(policy)
            .cloned()
            .unwrap_or_default();
        if let Some(dir) = &self.dir {
            for file in &dir.files {
                if same_file(&file.path, &self.main.path) {
                    continue;
                }
                if let Some(v) = file.defs.policy_attached.get(policy) {
                    out.extend(v.iter().cloned());
                }
            }
        }
        out.dedup();
        out
    }

    /// Slots in other files of the module that take the document `name` (defined in this file).
    pub fn foreign_doc_uses(&self, name: &str) -> Vec<(FileKey, &DocUse)> {
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        dir.doc_uses
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&(i, j)| {
                let key = self.sibling(Some(&i))?;
                let file = self.file(key);
                // A file defining its own document of that name uses its own (fixture folders
                // hold several one-file examples; Terraform would reject the folder).
                if file.defs.data_docs.contains_key(name) {
                    return None;
                }
                Some((key, file.defs.doc_uses.get(j)?))
            })
            .collect()
    }

    /// True when the document is referenced outside policy slots anywhere in the module.
    pub fn doc_referenced_elsewhere(&self, name: &str) -> bool {
        self.main.defs.doc_other_refs.contains(name)
            || self.dir.as_ref().is_some_and(|d| {
                d.doc_other_refs.contains(name)
                    && d.files.iter().any(|f| {
                        !same_file(&f.path, &self.main.path) && f.defs.doc_other_refs.contains(name)
                    })
            })
    }

    /// True when another document of the module merges this one in.
    pub fn doc_is_source(&self, name: &str) -> bool {
        self.main.defs.doc_source_refs.contains(name)
            || self.dir.as_ref().is_some_and(|d| {
                d.doc_source_refs.contains(name)
                    && d.files.iter().any(|f| {
                        !same_file(&f.path, &self.main.path)
                            && f.defs.doc_source_refs.contains(name)
                    })
            })
    }

    /// True when the document is linted on its own: no policy slot uses it, and it is either
    /// referenced elsewhere (a local, a module input, an output) or not merged into another.
    pub fn doc_stands_alone(&self, name: &str) -> bool {
        !self.doc_used(name) && (self.doc_referenced_elsewhere(name) || !self.doc_is_source(name))
    }

    /// True when the document is used by any slot of the module (this file included).
    fn doc_used(&self, name: &str) -> bool {
        self.main.defs.doc_uses.iter().any(|u| u.doc == name)
            || !self.foreign_doc_uses(name).is_empty()
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    fn folder(p: &Path) -> &Path {
        match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.strip_prefix(".").unwrap_or(d),
            _ => Path::new(""),
        }
    }
    a == b || a.file_name() == b.file_name() && folder(a) == folder(b)
}
