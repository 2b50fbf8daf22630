#![allow(dead_code)]
//! Set-ups shared by the test binaries (each uses part of it: `mod common;`). Temporary git
//! repositories are written with gitoxide (no `git` process): files are written, then committed as
//! the repository's one commit.

use std::path::Path;

/// Writes `files` (path, text) under `dir`, creating folders.
pub fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Writes an executable script (mode 755) at `path`.
#[cfg(unix)]
pub fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Writes the tree of `dir` (without `.git`) into the repository's object database, symbolic
/// links as links (as git stores them: the target's text).
fn write_tree(repo: &gix::Repository, dir: &Path) -> gix::ObjectId {
    use gix::objs::tree::EntryKind;
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        let kind = entry.file_type().unwrap();
        let (mode, oid) = if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).unwrap();
            let bytes = target.to_string_lossy().into_owned().into_bytes();
            (EntryKind::Link, repo.write_blob(bytes).unwrap().detach())
        } else if kind.is_dir() {
            (EntryKind::Tree, write_tree(repo, &entry.path()))
        } else {
            let bytes = std::fs::read(entry.path()).unwrap();
            (EntryKind::Blob, repo.write_blob(bytes).unwrap().detach())
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

/// A commit of `tree` with a fixed author and time, and no parent; returns its id.
pub fn commit_object(repo: &gix::Repository, tree: gix::ObjectId, message: &str) -> String {
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
        message: message.into(),
        extra_headers: Vec::new(),
    };
    repo.write_object(commit).unwrap().detach().to_string()
}

/// Commits the tree of `dir` (without `.git`) as the one commit of a new repository at `dir`;
/// returns the commit id.
pub fn commit_tree(dir: &Path) -> String {
    let repo = gix::init(dir).unwrap();
    let tree = write_tree(&repo, dir);
    commit_object(&repo, tree, "base")
}

/// A repository at `dir` whose one commit holds `files`; returns the commit id.
pub fn commit(dir: &Path, files: &[(&str, &str)]) -> String {
    write(dir, files);
    commit_tree(dir)
}
