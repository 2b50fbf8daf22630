#![allow(dead_code)]
//! Temporary git repositories for the tests, written with gitoxide (no `git` process): files are
//! written, then committed as the repository's one commit.

use std::path::Path;

/// Writes `files` (path, text) under `dir`, creating folders.
pub fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Writes the tree of `dir` (without `.git`) into the repository's object database.
fn write_tree(repo: &gix::Repository, dir: &Path) -> gix::ObjectId {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        let (mode, oid) = if entry.file_type().unwrap().is_dir() {
            (
                gix::objs::tree::EntryKind::Tree,
                write_tree(repo, &entry.path()),
            )
        } else {
            let bytes = std::fs::read(entry.path()).unwrap();
            (
                gix::objs::tree::EntryKind::Blob,
                repo.write_blob(bytes).unwrap().detach(),
            )
        };
        entries.push(gix::objs::tree::Entry {
            mode: mode.into(),
            filename: name.into(),
            oid,
        });
    }
    entries.sort();
    repo.write_object(gix::objs::Tree { entries })
        .unwrap()
        .detach()
}

/// A repository at `dir` whose one commit holds `files`; returns the commit id.
pub fn commit(dir: &Path, files: &[(&str, &str)]) -> String {
    write(dir, files);
    let repo = gix::init(dir).unwrap();
    let tree = write_tree(&repo, dir);
    let signature = gix::actor::Signature {
        name: "test".into(),
        email: "test@example.com".into(),
        time: gix::date::Time::new(1_700_000_000, 0),
    };
    let commit = gix::objs::Commit {
        tree,
        parents: Default::default(),
        author: signature.clone(),
        committer: signature,
        encoding: None,
        message: "base".into(),
        extra_headers: Vec::new(),
    };
    repo.write_object(commit).unwrap().detach().to_string()
}
