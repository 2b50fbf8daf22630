//! Finding the files to lint: paths and folders (recursive, honouring `.gitignore` and
//! `.iamlintignore` from the repository root down), and telling their format apart by extension
//! and content.

#[cfg(feature = "native")]
use std::collections::HashMap;
use std::path::{Path, PathBuf};
#[cfg(feature = "native")]
use std::sync::{Arc, Mutex};

#[cfg(feature = "native")]
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// A file to lint, or a path that could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovered {
    /// `explicit` files were named on the command line: they are reported even when they turn out
    /// not to be policies.
    File {
        path: PathBuf,
        explicit: bool,
        /// The repository root of the path named on the command line ([`crate::root::of`]).
        root: PathBuf,
    },
    Error {
        path: PathBuf,
        message: String,
    },
    /// Found by a folder scan and not read: a symbolic link (never followed, so a link cannot
    /// lead a scan out of the tree) or a FIFO, device or socket.
    Skipped {
        path: PathBuf,
        kind: Skip,
    },
}

/// Why a folder scan passed an entry by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    Symlink,
    Special,
}

/// The syntax family of a file. What it holds (a policy, a template, a plan) is decided by the
/// frontend from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Terraform,
    Yaml,
    Unknown,
}

/// Folders never worth walking into.
pub const SKIPPED_DIRS: &[&str] = &[".terraform", ".terragrunt-cache", "node_modules", ".git"];

/// Extensions picked up in folder scans.
pub fn is_candidate(path: &Path) -> bool {
    matches!(
        extension(path).as_deref(),
        Some("json" | "tf" | "yaml" | "yml" | "template")
    )
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

/// The files under `paths`. A path named on the command line is resolved by the path rule
/// ([`crate::root::resolve`]): a link in it, at any depth, may be followed (the user named it)
/// only while it stays inside the repository it lies in, so a committed `infra -> ../outside`
/// is an error entry, never walked. It must be a folder or a regular file; a FIFO, device or
/// socket is an error at once, never opened. Each file carries the repository root of the path
/// it was found from.
#[cfg(feature = "native")]
pub fn discover(paths: &[PathBuf]) -> Vec<Discovered> {
    let mut out = Vec::new();
    for path in paths {
        let resolved = match crate::root::resolve(path) {
            Ok(resolved) => resolved,
            Err(refusal) => {
                let message = match refusal {
                    crate::root::Refusal::Outside(_) => format!(
                        "not read: a link leads out of its repository `{}`",
                        crate::source::display_path(&crate::root::of(path))
                    ),
                    other => format!("cannot read path: {}", other.reason()),
                };
                out.push(Discovered::Error {
                    path: path.clone(),
                    message,
                });
                continue;
            }
        };
        let root = crate::root::of(path);
        match std::fs::metadata(&resolved) {
            Err(e) => out.push(Discovered::Error {
                path: path.clone(),
                message: format!("cannot read path: {}", lower_first(&e.to_string())),
            }),
            Ok(meta) if meta.is_dir() => walk(path, &resolved, &root, &mut out),
            Ok(meta) if meta.is_file() => out.push(Discovered::File {
                path: path.clone(),
                explicit: true,
                root,
            }),
            Ok(meta) => out.push(Discovered::Error {
                path: path.clone(),
                message: format!(
                    "not read: a {}, not a regular file",
                    crate::root::kind_of(&meta.file_type())
                ),
            }),
        }
    }
    out
}

/// The ignore files of one folder, by precedence: `.iamlintignore`, `.ignore`, `.gitignore`,
/// then (at the root) `.git/info/exclude`.
#[cfg(feature = "native")]
const IGNORE_FILES: &[&str] = &[
    ".iamlintignore",
    ".ignore",
    ".gitignore",
    ".git/info/exclude",
];

/// The ignore rules of the folders from the repository root down, read once per folder. Only
/// folders at or below the root are read (never one above it, nor `$TMPDIR` above a `diff` base
/// tree), each file through [`crate::root::read_confined`] (a link or hard link out of the tree
/// is not read).
#[cfg(feature = "native")]
struct Ignores {
    root: PathBuf,
    /// Folder → its matchers, one per entry of [`IGNORE_FILES`] (empty when absent).
    by_dir: Mutex<HashMap<PathBuf, Arc<Vec<Gitignore>>>>,
}

#[cfg(feature = "native")]
impl Ignores {
    fn of_dir(&self, dir: &Path) -> Arc<Vec<Gitignore>> {
        let mut cache = self.by_dir.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(dir) {
            return found.clone();
        }
        let matchers: Vec<Gitignore> = IGNORE_FILES
            .iter()
            .map(|name| {
                let file = dir.join(name);
                let mut builder = GitignoreBuilder::new(dir);
                if let Ok(bytes) =
                    crate::root::read_confined(&self.root, &file, crate::root::MAX_REFERENCED_BYTES)
                {
                    for line in String::from_utf8_lossy(&bytes).lines() {
                        // A pattern git cannot read is skipped, as git skips it.
                        let _ = builder.add_line(Some(file.clone()), line);
                    }
                }
                builder.build().unwrap_or_else(|_| Gitignore::empty())
            })
            .collect();
        let matchers = Arc::new(matchers);
        cache.insert(dir.to_path_buf(), matchers.clone());
        matchers
    }

    /// Whether `path` (absolute, below the root) is ignored: for each kind of file in order,
    /// the nearest folder's file that says anything about it decides (a `!` re-includes), as
    /// git and the `ignore` crate decide.
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Some(parent) = path.parent() else {
            return false;
        };
        let Ok(below) = parent.strip_prefix(&self.root) else {
            return false;
        };
        let mut dirs = vec![self.root.clone()];
        let mut dir = self.root.clone();
        for c in below.components() {
            dir.push(c);
            dirs.push(dir.clone());
        }
        let chain: Vec<Arc<Vec<Gitignore>>> = dirs.iter().rev().map(|d| self.of_dir(d)).collect();
        for kind in 0..IGNORE_FILES.len() {
            for matchers in &chain {
                let Some(m) = matchers.get(kind) else {
                    continue;
                };
                let matched = m.matched(path, is_dir);
                if matched.is_ignore() {
                    return true;
                }
                if matched.is_whitelist() {
                    return false;
                }
            }
        }
        false
    }
}

/// Whether a walk of the repository `root` would pass the file `path` by because of an ignore
/// file ([`IGNORE_FILES`], from the root down): the file or one of its folders is ignored. For
/// files named on the command line with `--force-exclude` (pre-commit names every staged file):
/// they then honour `.iamlintignore` as a folder walk does, not just the config's `exclude`.
/// Without the `native` feature (the playground) there is no folder to read ignore files from.
#[cfg(not(feature = "native"))]
pub fn is_ignored(_path: &Path, _root: &Path) -> bool {
    false
}

/// With the file system: see above.
#[cfg(feature = "native")]
pub fn is_ignored(path: &Path, root: &Path) -> bool {
    let path = crate::root::canonical(path);
    let root = crate::root::canonical(root);
    let Ok(below) = path.strip_prefix(&root) else {
        return false;
    };
    let ignores = Ignores {
        root: root.clone(),
        by_dir: Mutex::new(HashMap::new()),
    };
    let mut at = root;
    let mut components = below.components().peekable();
    while let Some(c) = components.next() {
        at.push(c);
        let is_dir = components.peek().is_some();
        if ignores.ignored(&at, is_dir) {
            return true;
        }
    }
    false
}

/// Walks the folder `resolved` (the canonical form of `named`, as the user typed it), whose
/// repository root is `root`. Files are reported under `named`. Ignore files are read by
/// [`Ignores`], from the root down only; hidden entries and [`SKIPPED_DIRS`] are passed by; a
/// link is never followed.
#[cfg(feature = "native")]
fn walk(named: &Path, resolved: &Path, repo_root: &Path, out: &mut Vec<Discovered>) {
    let ignores = Arc::new(Ignores {
        root: repo_root.to_path_buf(),
        by_dir: Mutex::new(HashMap::new()),
    });
    let filter = ignores.clone();
    let walker = ignore::WalkBuilder::new(resolved)
        .hidden(true)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let skipped_dir = is_dir
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n));
            !skipped_dir && !filter.ignored(entry.path(), is_dir)
        })
        .build();
    // Shown as the user named the folder: `infra/x.json`, `./x.json`.
    let shown = |path: &Path| match path.strip_prefix(resolved) {
        Ok(rel) => named.join(rel),
        Err(_) => path.to_path_buf(),
    };
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let Some(t) = entry.file_type() else { continue };
                if t.is_file() {
                    if is_candidate(entry.path()) {
                        found.push(shown(entry.path()));
                    }
                } else if t.is_symlink() {
                    skipped.push((shown(entry.path()), Skip::Symlink));
                } else if !t.is_dir() {
                    skipped.push((shown(entry.path()), Skip::Special));
                }
            }
            Err(e) => {
                // Unreadable folders and loops are reported, and the walk goes on.
                let path = match &e {
                    ignore::Error::WithPath { path, .. } => shown(path),
                    _ => named.to_path_buf(),
                };
                out.push(Discovered::Error {
                    path,
                    message: lower_first(&e.to_string()),
                });
            }
        }
    }
    found.sort();
    out.extend(found.into_iter().map(|path| Discovered::File {
        path,
        explicit: false,
        root: repo_root.to_path_buf(),
    }));
    skipped.sort();
    out.extend(
        skipped
            .into_iter()
            .map(|(path, kind)| Discovered::Skipped { path, kind }),
    );
}

#[cfg(feature = "native")]
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Format by extension, falling back to the first significant character.
pub fn detect_format(path: &Path, text: &str) -> Format {
    match extension(path).as_deref() {
        Some("json") => Format::Json,
        Some("tf") => Format::Terraform,
        Some("yaml" | "yml") => Format::Yaml,
        _ => match text.trim_start().chars().next() {
            Some('{' | '[') => Format::Json,
            Some(_) if text.contains("AWSTemplateFormatVersion") || text.contains("Resources:") => {
                Format::Yaml
            }
            Some(_) if text.contains("resource \"") || text.contains("data \"") => {
                Format::Terraform
            }
            _ => Format::Unknown,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(dir: &Path) -> Vec<String> {
        discover(&[dir.to_path_buf()])
            .into_iter()
            .filter_map(|d| match d {
                Discovered::File { path, .. } => Some(
                    path.strip_prefix(dir)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .into_owned(),
                ),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn ignore_files_from_the_root_down_nearest_first_custom_over_git() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = crate::root::canonical(tmp.path());
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("dirs");
        std::fs::create_dir_all(repo.join("sub")).expect("dirs");
        for name in [
            "a.json",
            "keep.json",
            "x.json",
            "sub/keep.json",
            "sub/x.json",
        ] {
            std::fs::write(repo.join(name), "{}").expect("file");
        }
        // Above the root: never read.
        std::fs::write(top.join(".iamlintignore"), "*.json\n").expect("file");
        std::fs::write(repo.join(".gitignore"), "keep.json\n[\n").expect("file");
        std::fs::write(repo.join("sub/.gitignore"), "!keep.json\n").expect("file");
        std::fs::write(repo.join(".iamlintignore"), "x.json\n").expect("file");
        std::fs::write(repo.join("sub/.ignore"), "!x.json\n").expect("file");
        // The nearer `!` wins within a kind; `.iamlintignore` wins over `.ignore`.
        assert_eq!(found(&repo), ["a.json", "sub/keep.json"]);
        // Named below the root, the root's files still apply.
        assert_eq!(found(&repo.join("sub")), ["keep.json"]);
    }

    /// A named file is ignored when the walk would pass it by: by its own pattern or a folder's.
    #[test]
    fn named_files_are_ignored_as_a_walk_ignores_them() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = crate::root::canonical(tmp.path());
        std::fs::create_dir_all(repo.join(".git")).expect("dirs");
        std::fs::create_dir_all(repo.join("legacy/deep")).expect("dirs");
        std::fs::create_dir_all(repo.join("sub")).expect("dirs");
        for name in [
            "a.json",
            "x.json",
            "legacy/deep/p.json",
            "sub/x.json",
            "sub/y.json",
        ] {
            std::fs::write(repo.join(name), "{}").expect("file");
        }
        std::fs::write(repo.join(".iamlintignore"), "x.json\nlegacy/\n").expect("file");
        std::fs::write(repo.join("sub/.iamlintignore"), "!x.json\n").expect("file");
        let ignored = |name: &str| is_ignored(&repo.join(name), &repo);
        assert!(ignored("x.json"));
        assert!(ignored("legacy/deep/p.json"), "ignored by its folder");
        assert!(!ignored("a.json"));
        assert!(!ignored("sub/x.json"), "the nearer `!` wins");
        assert!(!ignored("sub/y.json"));
        // The walk agrees.
        assert_eq!(found(&repo), ["a.json", "sub/x.json", "sub/y.json"]);
    }
}
