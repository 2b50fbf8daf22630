//! Reading a revision's files without spawning `git`: gitoxide resolves the revision and reads its
//! tree and blobs from the object database, and the files are written under a temporary folder so
//! that the frontends read them exactly as they read a checkout.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::text::thousands;

/// What `diff --base` writes of a revision, at most: files and bytes (a blob named twice counts
/// twice). Past either, the diff stops with an error naming the file.
pub const MAX_FILES: usize = 50_000;
pub const MAX_BYTES: u64 = 256 << 20;
/// Tree entries looked at, at most (a tree can name one subtree many times over).
pub const MAX_ENTRIES: usize = 1_000_000;
/// Folders nested deeper than this are not written (noted).
const MAX_DEPTH: usize = 128;

/// The files of a revision that `diff` reads: those a folder scan picks up, variables files,
/// templates `templatefile()` commonly reads, the config and ignore files. Nothing else is
/// written.
fn wanted(name: &str) -> bool {
    if matches!(
        name,
        "iamlint.toml" | ".iamlint.toml" | ".gitignore" | ".ignore" | ".iamlintignore"
    ) {
        return true;
    }
    let extension = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(
        extension.as_deref(),
        Some("json" | "tf" | "tfvars" | "yaml" | "yml" | "template" | "tpl" | "tftpl")
    )
}

/// A revision written under a folder.
pub struct Materialised {
    pub commit: String,
    /// Files not written, as `path: reason` (shown as notes of the base side).
    pub notes: Vec<String>,
}

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

    /// Why `rev` cannot be resolved, in git's terms and with what to run, instead of the git
    /// library's internals: a shallow clone lacks the ancestors (`HEAD~1` after a depth-1
    /// checkout), a remote-tracking ref (`origin/main`) was never fetched.
    fn unresolved(&self, rev: &str) -> String {
        let remote_branch = rev
            .split_once('/')
            .filter(|(remote, _)| self.repo.find_remote(*remote).is_ok());
        match (self.repo.is_shallow(), remote_branch) {
            (true, Some((remote, branch))) => format!(
                "revision `{rev}` is not in this clone, which is shallow (fetched with a depth): \
                 run `git fetch --depth=50 {remote} {branch}` (in GitHub Actions, `fetch-depth: 0` \
                 on actions/checkout)"
            ),
            (true, None) => format!(
                "revision `{rev}` is not in this clone, which is shallow (fetched with a depth): \
                 run `git fetch --unshallow` (in GitHub Actions, `fetch-depth: 0` on \
                 actions/checkout)"
            ),
            (false, Some((remote, branch))) => format!(
                "revision `{rev}` not found: the branch was not fetched; run \
                 `git fetch {remote} {branch}`"
            ),
            (false, None) => format!(
                "revision `{rev}` not found in this repository (`git log --oneline` lists \
                 commits, `git branch -a` branches)"
            ),
        }
    }

    /// Writes the files of the tree at `rev` that `diff` reads ([`wanted`]) under `dest` (which
    /// must exist), plus an empty `.git` folder so that the copy has the same repository root as
    /// the working tree. Symbolic links and submodules are not written; a blob named twice is
    /// written twice (not linked: the reader refuses files with several links). Past [`MAX_FILES`], [`MAX_BYTES`] or [`MAX_ENTRIES`] it stops
    /// with an error naming the file where the bound was reached.
    pub fn materialise(&self, rev: &str, dest: &Path) -> Result<Materialised, String> {
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|_| self.unresolved(rev))?;
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
        signals::guard(|| std::fs::create_dir_all(dest.join(".git")))
            .map_err(|e| format!("cannot write to {}: {e}", dest.display()))?;
        let notes = self.write_tree(tree.id, dest, rev)?;
        Ok(Materialised { commit, notes })
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
            .map_err(|_| self.unresolved(rev))?;
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

    fn write_tree(
        &self,
        tree: gix::ObjectId,
        dest: &Path,
        rev: &str,
    ) -> Result<Vec<String>, String> {
        let mut notes = Vec::new();
        let (mut files, mut bytes, mut entries) = (0usize, 0u64, 0usize);
        let mut folders: HashSet<PathBuf> = HashSet::new();
        let over = |rel: &str, what: String| {
            format!(
                "{rel}: the base revision `{rev}` holds more than {what} of the files `diff` reads, a bound that keeps a revision from filling memory: not compared"
            )
        };
        // Folders to write: (tree, path relative to `dest`, depth).
        let mut stack: Vec<(gix::ObjectId, String, usize)> = vec![(tree, String::new(), 0)];
        while let Some((id, rel, depth)) = stack.pop() {
            let object = self
                .repo
                .find_object(id)
                .map_err(|e| format!("cannot read tree `{rel}`: {e}"))?;
            let tree = object.into_tree();
            for entry in tree.iter() {
                let entry = entry.map_err(|e| format!("cannot decode tree `{rel}`: {e}"))?;
                entries += 1;
                let name = entry.filename().to_string();
                let child = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                if entries > MAX_ENTRIES {
                    return Err(over(
                        &child,
                        format!("{} tree entries", thousands(MAX_ENTRIES)),
                    ));
                }
                // A name git would not check out here (`..`, a separator) is skipped, never
                // followed.
                if name.is_empty()
                    || name == "."
                    || name == ".."
                    || name == ".git"
                    || name.contains(['/', '\\', '\0'])
                {
                    continue;
                }
                let mode = entry.mode();
                if mode.is_tree() {
                    if depth + 1 > MAX_DEPTH {
                        notes.push(format!(
                            "{child}: not read: folders nested more than {MAX_DEPTH} deep"
                        ));
                        continue;
                    }
                    stack.push((entry.oid().to_owned(), child, depth + 1));
                    continue;
                }
                if !mode.is_blob() || !wanted(&name) {
                    continue;
                }
                files += 1;
                if files > MAX_FILES {
                    return Err(over(&child, format!("{} files", thousands(MAX_FILES))));
                }
                let path = dest.join(&child);
                if let Some(parent) = path.parent() {
                    if !folders.contains(parent) {
                        signals::guard(|| std::fs::create_dir_all(parent))
                            .map_err(|e| format!("cannot write {}: {e}", parent.display()))?;
                        folders.insert(parent.to_path_buf());
                    }
                }
                // Every name is its own file: a hard link of a blob named twice would be refused
                // by the reader, which takes a file with several links for one that may have a
                // name outside the repository (every copy counts toward `MAX_BYTES`).
                let oid = entry.oid().to_owned();
                let size = self
                    .repo
                    .find_header(oid)
                    .map_err(|e| format!("cannot read blob `{child}`: {e}"))?
                    .size();
                if size > crate::root::MAX_LINTED_BYTES {
                    notes.push(format!(
                        "{child}: not read: it is larger than {} MiB",
                        crate::root::MAX_LINTED_BYTES >> 20
                    ));
                    continue;
                }
                bytes += size;
                if bytes > MAX_BYTES {
                    return Err(over(&child, format!("{} MiB", MAX_BYTES >> 20)));
                }
                let blob = self
                    .repo
                    .find_object(oid)
                    .map_err(|e| format!("cannot read blob `{child}`: {e}"))?;
                signals::guard(|| std::fs::write(&path, &blob.data))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
        Ok(notes)
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
        // Before the folder exists, so that no signal can leave it behind.
        signals::install();
        let base = crate::root::canonical(base);
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "iamlint-diff-{}-{nanos:x}-{attempt}",
                std::process::id()
            ));
            match signals::create(&path) {
                Ok(()) => return Ok(TempDir(path)),
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
        signals::remove(&self.0);
    }
}

/// Removing the temporary folders when the run is interrupted (SIGINT, SIGTERM, SIGHUP). The
/// handler only writes the signal's number to a pipe (async-signal-safe); a thread waiting on
/// the pipe removes the folders, then ends the process by the same signal, with the default
/// action restored, so that the caller sees the usual status.
#[cfg(unix)]
pub mod signals {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicI32, Ordering};
    use std::sync::{Mutex, Once};

    static FOLDERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    static PIPE: AtomicI32 = AtomicI32::new(-1);
    static INSTALL: Once = Once::new();
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    extern "C" fn on_signal(signal: libc::c_int) {
        let fd = PIPE.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = signal as u8;
            // SAFETY: write(2) is async-signal-safe; the buffer is a live local byte.
            unsafe {
                libc::write(fd, (&byte as *const u8).cast(), 1);
            }
        }
    }

    fn wait(fd: libc::c_int) {
        loop {
            let mut byte = 0u8;
            // SAFETY: reads one byte into a live local from the pipe this module owns.
            let n = unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) };
            if n == 1 {
                // Held until the process ends: a thread dropping its folder meanwhile (a read
                // failing in the removed folder) waits here instead of exiting with an error.
                // Every write into the folders is made under this lock ([`guard`]): none is
                // half done now, and none comes after.
                let folders = FOLDERS.lock().unwrap_or_else(|e| e.into_inner());
                for folder in folders.iter() {
                    let _ = std::fs::remove_dir_all(folder);
                }
                let signal = libc::c_int::from(byte);
                // SAFETY: restores the default action and raises the signal that arrived;
                // `_exit` only if the process is still alive after that.
                unsafe {
                    libc::signal(signal, libc::SIG_DFL);
                    libc::raise(signal);
                    libc::_exit(128 + signal);
                }
            }
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
    }

    /// Installs the handlers once; without a pipe or a thread, the folders are removed only on
    /// the ordinary exit paths.
    pub fn install() {
        INSTALL.call_once(|| {
            let mut fds = [0 as libc::c_int; 2];
            // SAFETY: pipe(2) fills the two-element array.
            if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
                return;
            }
            let [read, write] = fds;
            let spawned = std::thread::Builder::new()
                .name("iamlint-signals".to_string())
                .spawn(move || wait(read));
            if spawned.is_err() {
                return;
            }
            PIPE.store(write, Ordering::Relaxed);
            for signal in SIGNALS {
                // SAFETY: zeroed sigactions: the old one read, a new one with a plain handler and
                // no flags beyond SA_RESTART. A signal the caller ignores (`nohup`) stays ignored.
                unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    libc::sigaction(signal, std::ptr::null(), &mut old);
                    if old.sa_sigaction == libc::SIG_IGN {
                        continue;
                    }
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                    action.sa_flags = libc::SA_RESTART;
                    libc::sigemptyset(&mut action.sa_mask);
                    libc::sigaction(signal, &action, std::ptr::null_mut());
                }
            }
        });
    }

    /// Creates a folder and registers it, under the lock a signal's removal holds: a signal
    /// comes either before the folder exists or after it is registered.
    pub fn create(folder: &Path) -> std::io::Result<()> {
        let mut folders = FOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        std::fs::create_dir(folder)?;
        folders.push(folder.to_path_buf());
        Ok(())
    }

    /// Runs `write` (a write into a temporary folder) under the lock a signal's removal holds
    /// until the process ends: a write is either done before the removal or never.
    pub fn guard<T>(write: impl FnOnce() -> T) -> T {
        let _folders = FOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        write()
    }

    /// Removes a folder on an ordinary exit path (under the lock a signal's removal holds).
    pub fn remove(folder: &Path) {
        let mut folders = FOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        let _ = std::fs::remove_dir_all(folder);
        folders.retain(|p| p != folder);
    }
}

#[cfg(not(unix))]
pub mod signals {
    use std::path::Path;

    pub fn install() {}
    pub fn guard<T>(write: impl FnOnce() -> T) -> T {
        write()
    }
    pub fn create(folder: &Path) -> std::io::Result<()> {
        std::fs::create_dir(folder)
    }
    pub fn remove(folder: &Path) {
        let _ = std::fs::remove_dir_all(folder);
    }
}
