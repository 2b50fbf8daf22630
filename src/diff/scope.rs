//! What each side of a diff compares: the files a folder scan finds, less those its ignore files
//! (`.gitignore`, `.ignore`, `.iamlintignore`) and its config `exclude` leave out.
//!
//! The head side compares every file that either side's settings select: a change that adds an
//! `exclude` or an ignore file cannot hide its own files from its review (they are compared as
//! the base's settings would compare them), and a change that stops excluding a folder shows
//! its policies as new.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::config::PathRules;
use crate::discover::{self, Discovered};

/// Ignore files, in the order of precedence `check`'s folder scan gives them in one folder.
const IGNORE_FILES: &[&str] = &[".iamlintignore", ".ignore", ".gitignore"];

/// One side's settings: its tree's ignore files and its config's `exclude`.
pub struct Settings {
    /// The side's root: ignore files are read below it, `exclude` is relative to it.
    root: PathBuf,
    exclude: PathRules,
    /// The matchers of each folder (relative to `root`) read so far.
    folders: Mutex<HashMap<PathBuf, Arc<Vec<Gitignore>>>>,
}

impl Settings {
    pub fn new(root: PathBuf, exclude: PathRules) -> Settings {
        Settings {
            root,
            exclude,
            folders: Mutex::new(HashMap::new()),
        }
    }

    /// The ignore files of `folder` (relative to the root), in precedence order. An ignore file
    /// is read as `check` would read it, but only when it is a regular file (never a FIFO or a
    /// link) under the cap of a referenced file.
    fn matchers(&self, folder: &Path) -> Arc<Vec<Gitignore>> {
        let cached = self
            .folders
            .lock()
            .ok()
            .and_then(|m| m.get(folder).cloned());
        if let Some(found) = cached {
            return found;
        }
        let dir = self.root.join(folder);
        let mut out = Vec::new();
        for name in IGNORE_FILES {
            let path = dir.join(name);
            let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
            if !regular {
                continue;
            }
            let Ok(bytes) = crate::root::read_regular(&path, crate::root::MAX_REFERENCED_BYTES)
            else {
                continue;
            };
            let mut builder = GitignoreBuilder::new(&dir);
            for line in String::from_utf8_lossy(&bytes).lines() {
                // A line the ignore crate cannot read is skipped, as its folder scan skips it.
                let _ = builder.add_line(Some(path.clone()), line);
            }
            if let Ok(matcher) = builder.build() {
                out.push(matcher);
            }
        }
        let out = Arc::new(out);
        if let Ok(mut m) = self.folders.lock() {
            m.insert(folder.to_path_buf(), Arc::clone(&out));
        }
        out
    }

    /// True when these settings leave out `rel` (relative to the root; a folder when `is_dir`):
    /// the deepest ignore file with a verdict decides, then `exclude` (for files).
    pub fn leaves_out(&self, rel: &Path, is_dir: bool) -> bool {
        let path = self.root.join(rel);
        for folder in rel.ancestors().skip(1) {
            for matcher in self.matchers(folder).iter() {
                match matcher.matched_path_or_any_parents(&path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return !is_dir && self.exclude.is_excluded(&path),
                    Match::None => {}
                }
            }
        }
        !is_dir && self.exclude.is_excluded(&path)
    }
}

/// The files to compare under `paths` (absolute, under `root`): a file named is read as named;
/// a folder is scanned as `check` scans it (hidden entries, `node_modules` and the like skipped,
/// links never followed), keeping each candidate file that at least one of `settings` selects.
pub fn discover(root: &Path, paths: &[PathBuf], settings: &[Arc<Settings>]) -> Vec<Discovered> {
    let mut out = Vec::new();
    for path in paths {
        if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            walk(root, path, settings, &mut out);
        } else {
            out.extend(discover::discover(std::slice::from_ref(path)));
        }
    }
    out
}

fn walk(root: &Path, dir: &Path, settings: &[Arc<Settings>], out: &mut Vec<Discovered>) {
    let repository = crate::root::of(dir);
    let rel_of = {
        let root = root.to_path_buf();
        move |p: &Path| p.strip_prefix(&root).map(Path::to_path_buf).ok()
    };
    let keep = {
        let settings: Vec<Arc<Settings>> = settings.to_vec();
        let rel_of = rel_of.clone();
        move |path: &Path, is_dir: bool| match rel_of(path) {
            Some(rel) if rel.as_os_str().is_empty() => true,
            Some(rel) => settings.iter().any(|s| !s.leaves_out(&rel, is_dir)),
            None => true,
        }
    };
    let keep_entry = keep.clone();
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(true)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| discover::SKIPPED_DIRS.contains(&n))
            {
                return false;
            }
            // Folders are pruned here; files are judged below, once they are candidates.
            !is_dir || keep_entry(entry.path(), true)
        })
        .build();
    let mut found = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                if is_file && discover::is_candidate(entry.path()) && keep(entry.path(), false) {
                    found.push(entry.into_path());
                }
            }
            Err(e) => {
                let path = match &e {
                    ignore::Error::WithPath { path, .. } => path.clone(),
                    _ => dir.to_path_buf(),
                };
                out.push(Discovered::Error {
                    path,
                    message: e.to_string(),
                });
            }
        }
    }
    found.sort();
    out.extend(found.into_iter().map(|path| Discovered::File {
        path,
        explicit: false,
        root: repository.clone(),
    }));
}
