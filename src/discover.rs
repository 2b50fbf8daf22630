//! Finding the files to lint: paths and folders (recursive, honouring `.gitignore` and
//! `.iamlintignore`), and telling their format apart by extension and content.

use std::path::{Path, PathBuf};

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

/// The files under `paths`. A path named on the command line must be a folder or a regular file
/// (a symlink to one is followed: the user named it); a FIFO, device or socket is an error at
/// once, never opened. Each file carries the repository root of the path it was found from.
pub fn discover(paths: &[PathBuf]) -> Vec<Discovered> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) => out.push(Discovered::Error {
                path: path.clone(),
                message: format!("cannot read path: {}", lower_first(&e.to_string())),
            }),
            Ok(meta) if meta.is_dir() => walk(path, &crate::root::of(path), &mut out),
            Ok(meta) if meta.is_file() => match link_out_of_repository(path) {
                Some(repository) => out.push(Discovered::Error {
                    path: path.clone(),
                    message: format!(
                        "not read: a link to a file outside its repository `{}`",
                        crate::source::display_path(&repository)
                    ),
                }),
                None => out.push(Discovered::File {
                    path: path.clone(),
                    explicit: true,
                    root: crate::root::of(path),
                }),
            },
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

/// For a file named on the command line that is a symlink: the git repository its link lies in
/// when the link points outside it. Names handed over by a hook or by `git diff --name-only`
/// come from the change under review, so a committed link to `../../secret.json` is not followed
/// out of the repository. A link outside every repository is the user's own and is followed.
fn link_out_of_repository(path: &Path) -> Option<PathBuf> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return None;
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let folder = crate::root::canonical(folder);
    let repository = folder.ancestors().find(|a| a.join(".git").exists())?;
    (!crate::root::canonical(path).starts_with(repository)).then(|| repository.to_path_buf())
}

fn walk(dir: &Path, repo_root: &Path, out: &mut Vec<Discovered>) {
    let root = dir;
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .add_custom_ignore_filename(".iamlintignore")
        .follow_links(false)
        .filter_entry(|entry| {
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        })
        .build();
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let Some(t) = entry.file_type() else { continue };
                if t.is_file() {
                    if is_candidate(entry.path()) {
                        found.push(entry.into_path());
                    }
                } else if t.is_symlink() {
                    skipped.push((entry.into_path(), Skip::Symlink));
                } else if !t.is_dir() {
                    skipped.push((entry.into_path(), Skip::Special));
                }
            }
            Err(e) => {
                // Unreadable folders and loops are reported, and the walk goes on.
                let path = match &e {
                    ignore::Error::WithPath { path, .. } => path.clone(),
                    _ => root.to_path_buf(),
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
