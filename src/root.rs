//! The repository root: the one boundary for every read a run makes.
//!
//! The root of a linted path is the nearest folder at or above it that holds `.git`; without one,
//! the path given itself (a folder) or the folder of the file given. Nothing outside the root is
//! read: not by `file()`, `templatefile()`, `fileset()`, tfvars, `--var-file`, module sources or
//! config discovery. Paths are compared after resolving symlinks, so a link inside the tree that
//! points outside it is outside.

use std::path::{Path, PathBuf};

/// The repository root of `path` (a file or folder), canonical. A path that does not exist is
/// taken as given, made absolute.
pub fn of(path: &Path) -> PathBuf {
    let start = canonical(path);
    let dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent().unwrap_or(start.as_path())
    };
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

/// `path` with symlinks resolved, or made absolute and normalised when it cannot be resolved
/// (it does not exist, or a component is unreadable).
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| crate::config::normalize(&crate::config::absolute(path)))
}

/// Whether `path`, symlinks resolved, lies inside `root` (itself canonical, as [`of`] gives it).
pub fn contains(root: &Path, path: &Path) -> bool {
    canonical(path).starts_with(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_git_folder_else_the_path_given() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = canonical(tmp.path());
        let repo = top.join("repo");
        let inner = repo.join("a/b");
        std::fs::create_dir_all(&inner).expect("dirs");
        std::fs::write(inner.join("p.json"), "{}").expect("file");
        // No .git anywhere below the temporary folder: the folder given, or the file's folder.
        assert_eq!(of(&inner), inner);
        assert_eq!(of(&inner.join("p.json")), inner);
        std::fs::create_dir(repo.join(".git")).expect(".git");
        assert_eq!(of(&inner), repo);
        assert_eq!(of(&inner.join("p.json")), repo);
        assert!(contains(&repo, &inner.join("p.json")));
        assert!(!contains(&repo, &top));
        assert!(!contains(&repo, &repo.join("../repo2/x")));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_pointing_outside_is_outside() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = canonical(tmp.path());
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("dirs");
        std::fs::write(top.join("secret"), "x").expect("file");
        std::os::unix::fs::symlink(top.join("secret"), repo.join("link")).expect("symlink");
        assert!(!contains(&repo, &repo.join("link")));
    }
}
