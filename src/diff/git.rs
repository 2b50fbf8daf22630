//! Reading a revision's files without spawning `git`: gitoxide resolves the revision and reads its
//! tree and blobs from the object database, and the files are written under a temporary folder so
//! that the frontends read them exactly as they read a checkout.

use std::path::{Path, PathBuf};

/// Blobs larger than this are not written (a policy, template or module is far smaller).
const MAX_BLOB: usize = 64 << 20;

/// A repository opened for `diff --base`.
pub struct Repo {
    repo: gix::Repository,
    /// The working tree, canonical.
    pub workdir: PathBuf,
}

impl Repo {
    /// The repository holding `path` (a file or folder).
    pub fn discover(path: &Path) -> Result<Repo, String> {
        let start = crate::root::canonical(path);
        let dir = if start.is_dir() {
            start.clone()
        } else {
            start
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or(start.clone())
        };
        let repo = gix::discover(&dir)
            .map_err(|e| format!("`{}` is not in a git repository: {e}", path.display()))?;
        let workdir = repo
            .workdir()
            .map(crate::root::canonical)
            .ok_or_else(|| "the git repository has no working tree (bare)".to_string())?;
        Ok(Repo { repo, workdir })
    }

    /// Writes every file of the tree at `rev` under `dest` (which must exist), plus an empty
    /// `.git` folder so that the copy has the same repository root as the working tree. Returns
    /// the commit id. Symbolic links and submodules are not written.
    pub fn materialise(&self, rev: &str, dest: &Path) -> Result<String, String> {
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| format!("cannot resolve revision `{rev}`: {e}"))?;
        let read =
            |e: gix::object::find::existing::Error| format!("cannot read revision `{rev}`: {e}");
        let commit = id
            .object()
            .map_err(read)?
            .peel_to_commit()
            .map(|c| c.id.to_string())
            .unwrap_or_else(|_| id.to_string());
        let tree = id
            .object()
            .map_err(read)?
            .peel_to_tree()
            .map_err(|e| format!("revision `{rev}` has no tree: {e}"))?;
        std::fs::create_dir_all(dest.join(".git"))
            .map_err(|e| format!("cannot write to {}: {e}", dest.display()))?;
        self.write_tree(&tree, dest)?;
        Ok(commit)
    }

    /// The blob at `rel` (relative, `.` and `..` already taken) in the tree of `rev`, at most
    /// `cap` bytes: the base side's copy of a `--var-file` inside the repository, read from the
    /// revision, never from the working tree. `None` when the revision has no file there; an
    /// error when a component of `rel` is a symbolic link there (not followed) or the blob is
    /// too large.
    pub fn blob_at(&self, rev: &str, rel: &Path, cap: u64) -> Result<Option<Vec<u8>>, String> {
        let read =
            |e: gix::object::find::existing::Error| format!("cannot read revision `{rev}`: {e}");
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| format!("cannot resolve revision `{rev}`: {e}"))?;
        let mut tree = id
            .object()
            .map_err(read)?
            .peel_to_tree()
            .map_err(|e| format!("revision `{rev}` has no tree: {e}"))?;
        let names: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let mut prefix = PathBuf::new();
        for (i, name) in names.iter().enumerate() {
            prefix.push(name);
            let Some(entry) = tree.find_entry(name.as_str()) else {
                return Ok(None);
            };
            let mode = entry.mode();
            if mode.is_link() {
                return Err(format!(
                    "`{}` is a symbolic link in `{rev}`: not followed",
                    prefix.display()
                ));
            }
            let object = entry.id().object().map_err(read)?;
            if i + 1 == names.len() {
                if !mode.is_blob() {
                    return Ok(None);
                }
                if object.data.len() as u64 > cap {
                    return Err(format!(
                        "`{}` is larger than {} MiB in `{rev}`: not read",
                        prefix.display(),
                        cap >> 20
                    ));
                }
                return Ok(Some(object.data.clone()));
            }
            if !mode.is_tree() {
                return Ok(None);
            }
            tree = object.into_tree();
        }
        Ok(None)
    }

    fn write_tree(&self, tree: &gix::Tree<'_>, dir: &Path) -> Result<(), String> {
        for entry in tree.iter() {
            let entry = entry.map_err(|e| format!("cannot decode a tree: {e}"))?;
            let name = entry.filename().to_string();
            // A name git would not check out here (`..`, a separator) is skipped, never followed.
            if name.is_empty()
                || name == "."
                || name == ".."
                || name == ".git"
                || name.contains(['/', '\\'])
            {
                continue;
            }
            let path = dir.join(&name);
            let mode = entry.mode();
            if mode.is_tree() {
                let object = entry
                    .id()
                    .object()
                    .map_err(|e| format!("cannot read tree `{name}`: {e}"))?;
                std::fs::create_dir_all(&path)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                self.write_tree(&object.into_tree(), &path)?;
            } else if mode.is_blob() {
                let object = entry
                    .id()
                    .object()
                    .map_err(|e| format!("cannot read blob `{name}`: {e}"))?;
                if object.data.len() > MAX_BLOB {
                    continue;
                }
                std::fs::write(&path, &object.data)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
        Ok(())
    }
}

/// A folder under the system's temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

/// Where the base tree is written: `$TMPDIR` when set; else, on Linux, the memory-backed
/// `/dev/shm` when it is a writable folder (creating and removing a tree's hundreds of small
/// files on a disk-backed `/tmp` cost `diff` 3-5x the time of a `check` of the same tree, see
/// BENCHMARKS.md); else the system's temporary folder.
fn temp_base() -> PathBuf {
    if std::env::var_os("TMPDIR").is_none() && cfg!(target_os = "linux") {
        let shm = Path::new("/dev/shm");
        let writable =
            std::fs::metadata(shm).is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
        if writable {
            return shm.to_path_buf();
        }
    }
    std::env::temp_dir()
}

impl TempDir {
    pub fn new() -> Result<TempDir, String> {
        let base = temp_base();
        let fallback = std::env::temp_dir();
        match TempDir::in_dir(&base) {
            // `/dev/shm` refused (read-only, no permission, full): the usual folder.
            Err(_) if base != fallback => TempDir::in_dir(&fallback),
            made => made,
        }
    }

    fn in_dir(base: &Path) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "iamlint-diff-{}-{nanos:x}-{attempt}",
                std::process::id()
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(crate::root::canonical(&path))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(format!("cannot create a temporary folder: {e}")),
            }
        }
        Err("cannot create a temporary folder".to_string())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
