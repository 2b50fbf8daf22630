//! The repository root: the one boundary for every read a run makes.
//!
//! The root of a linted path is the nearest folder at or above it that holds `.git`; without one,
//! the path given itself (a folder) or the folder of the file given. Nothing outside the root is
//! read: not by `file()`, `templatefile()`, `fileset()`, tfvars, config `var-files` and
//! `recipe-dirs`, module sources or config discovery. Paths are compared after resolving symlinks,
//! so a link inside the tree that points outside it is outside. A path the user typed on the
//! command line (`--var-file`, `--baseline`, `--config`) may name a file outside every root, but
//! one that goes through a root must stay inside it ([`read_named`]).

use std::fmt;
use std::io::{Read, Write as _};
use std::path::{Component, Path, PathBuf};

/// The most bytes read from a file that another file refers to: `file()`, `templatefile()`,
/// tfvars and `--var-file`. 16 MiB is many times the largest policy IAM accepts (a managed
/// policy is at most 6,144 characters) and bounds what a hostile reference can make a run hold.
pub const MAX_REFERENCED_BYTES: u64 = 16 << 20;

/// The most bytes read from a file named on the command line or found by a folder scan. Large
/// generated files (account authorization details, plans) are linted; a device that never ends
/// is not.
pub const MAX_LINTED_BYTES: u64 = 512 << 20;

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
    std::fs::canonicalize(path).unwrap_or_else(|_| normalize(&absolute(path)))
}

/// `path` made absolute against the current folder (symlinks left alone).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Removes `.` and `..` without touching the file system (symlinks are left alone), so printed
/// paths read `modules/iam/main.tf`, not `examples/complete/../../modules/iam/main.tf`. A
/// relative path keeps the `..` it starts with; an empty result is `.`.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Whether `path`, symlinks resolved, lies inside `root` (itself canonical, as [`of`] gives it).
pub fn contains(root: &Path, path: &Path) -> bool {
    canonical(path).starts_with(root)
}

/// Why a read was refused. Its text names the path, never the file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The path, symlinks resolved, is outside the repository root.
    Outside(PathBuf),
    /// Not a regular file: a folder, FIFO, device or socket (`kind` says which).
    NotRegular { path: PathBuf, kind: &'static str },
    /// Larger than the cap.
    TooLarge { path: PathBuf, cap: u64 },
    /// Not found, no permission, or another I/O error.
    Io { path: PathBuf, message: String },
}

impl Refusal {
    pub fn path(&self) -> &Path {
        match self {
            Refusal::Outside(path)
            | Refusal::NotRegular { path, .. }
            | Refusal::TooLarge { path, .. }
            | Refusal::Io { path, .. } => path,
        }
    }

    /// The reason alone, without the path (for messages that name the path themselves).
    pub fn reason(&self) -> String {
        match self {
            Refusal::Outside(_) => "it is outside the repository root: not read".to_string(),
            Refusal::NotRegular { kind, .. } => format!("it is a {kind}, not a regular file"),
            Refusal::TooLarge { cap, .. } => {
                format!("it is larger than {} MiB: not read", cap >> 20)
            }
            Refusal::Io { message, .. } => message.clone(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read `{}`: {}",
            crate::text::escape_control(&crate::source::display_path(self.path())),
            self.reason()
        )
    }
}

/// Reads `path` if, symlinks resolved, it lies inside `root` (canonical, as [`of`] gives it), is
/// a regular file and holds at most `cap` bytes. Every read a linted file or a config can cause
/// goes through here: `file()`, `templatefile()`, `fileset()`, tfvars, config `var-files`, the
/// config file found by discovery. (Paths typed on the command line go through [`read_named`].)
pub fn read_confined(root: &Path, path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    let resolved = std::fs::canonicalize(path).map_err(|e| io_refusal(path, &e))?;
    if !resolved.starts_with(root) {
        return Err(Refusal::Outside(path.to_path_buf()));
    }
    read_regular(&resolved, cap).map_err(|r| r.renamed(path))
}

/// Reads a path the user typed on the command line (`--var-file`, `--baseline`, `--config`): the
/// user's choice, so a path that names a place outside every root in `roots` is read as named
/// (a regular file of at most `cap` bytes). A path that enters a root on the way (a prefix of
/// it, symlinks resolved, lies inside one) names something the repository controls: it must
/// then resolve inside that root, as [`read_confined`] requires. So `--var-file ../ci.tfvars`
/// is read, while `--var-file env/prod.tfvars` turned into a link to `/proc/self/environ` by a
/// pull request is refused.
pub fn read_named(roots: &[PathBuf], path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    match entered_root(roots, path) {
        Some(root) => read_confined(root, path, cap),
        None => read_regular(path, cap),
    }
}

/// The root of `roots` that `path`, as typed, enters: one that a prefix of it (made absolute,
/// `.` and `..` taken lexically, then symlinks resolved) lies in.
pub fn entered_root<'r>(roots: &'r [PathBuf], path: &Path) -> Option<&'r Path> {
    let lexical = normalize(&absolute(path));
    let prefixes: Vec<PathBuf> = lexical.ancestors().map(canonical).collect();
    roots
        .iter()
        .find(|root| prefixes.iter().any(|p| p.starts_with(root)))
        .map(PathBuf::as_path)
}

/// Reads `path` if it is a regular file of at most `cap` bytes; a FIFO, device, socket or folder
/// is refused at once (opened without blocking, checked before any byte is read).
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO without a writer would block `open` itself.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|e| io_refusal(path, &e))?;
    let meta = file.metadata().map_err(|e| io_refusal(path, &e))?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&meta.file_type()),
        });
    }
    if meta.len() > cap {
        return Err(Refusal::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow after the check: never read past the cap.
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_refusal(path, &e))?;
    if bytes.len() as u64 > cap {
        return Err(Refusal::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    Ok(bytes)
}

impl Refusal {
    fn renamed(self, path: &Path) -> Refusal {
        let path = path.to_path_buf();
        match self {
            Refusal::Outside(_) => Refusal::Outside(path),
            Refusal::NotRegular { kind, .. } => Refusal::NotRegular { path, kind },
            Refusal::TooLarge { cap, .. } => Refusal::TooLarge { path, cap },
            Refusal::Io { message, .. } => Refusal::Io { path, message },
        }
    }
}

fn io_refusal(path: &Path, e: &std::io::Error) -> Refusal {
    let message = match e.kind() {
        std::io::ErrorKind::NotFound => "not found".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            let mut chars = s.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => s,
            }
        }
    };
    Refusal::Io {
        path: path.to_path_buf(),
        message,
    }
}

/// What a non-regular file is, in words.
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    if t.is_dir() {
        "folder"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

/// Writes `text` to a temporary file beside `path` with `path`'s permissions (when it exists),
/// then renames it over `path`: a reader sees the old file or the new one, never a part. On
/// failure the temporary file is removed and `path` is untouched. `--fix` and `--write-baseline`
/// write through here.
pub fn replace_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = match std::fs::metadata(path) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{name}.iamlint-tmp.{}.{attempt}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Some(permissions) = permissions {
            std::fs::set_permissions(&tmp, permissions)?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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

    #[cfg(unix)]
    #[test]
    fn named_paths_outside_every_root_are_the_users_choice() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = canonical(tmp.path());
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("dirs");
        std::fs::create_dir_all(repo.join("env")).expect("dirs");
        std::fs::write(top.join("ci.tfvars"), "a = 1").expect("file");
        std::fs::write(repo.join("env/prod.tfvars"), "b = 2").expect("file");
        std::os::unix::fs::symlink(top.join("ci.tfvars"), repo.join("env/link.tfvars"))
            .expect("symlink");
        std::os::unix::fs::symlink(&top, repo.join("up")).expect("symlink");
        std::os::unix::fs::symlink(&repo, top.join("alias")).expect("symlink");
        let roots = vec![repo.clone()];
        // Outside the root as typed: read.
        assert_eq!(
            read_named(&roots, &top.join("ci.tfvars"), 100).expect("outside"),
            b"a = 1"
        );
        assert_eq!(
            read_named(&roots, &repo.join("../ci.tfvars"), 100).expect("outside"),
            b"a = 1"
        );
        // Inside: read when it stays inside.
        assert_eq!(
            read_named(&roots, &repo.join("env/prod.tfvars"), 100).expect("inside"),
            b"b = 2"
        );
        // Entering the root, then leaving it through a link: refused, however the root is named.
        for bad in [
            repo.join("env/link.tfvars"),
            repo.join("up/ci.tfvars"),
            top.join("alias/env/link.tfvars"),
        ] {
            let e = read_named(&roots, &bad, 100).expect_err("through the repository");
            assert!(matches!(e, Refusal::Outside(_)), "{}: {e:?}", bad.display());
        }
        // Still only regular files of at most the cap.
        let e = read_named(&roots, &top.join("ci.tfvars"), 2).expect_err("large");
        assert!(matches!(e, Refusal::TooLarge { .. }), "{e:?}");
        let e = read_named(&roots, Path::new("/dev/zero"), 100).expect_err("device");
        assert!(matches!(e, Refusal::NotRegular { .. }), "{e:?}");
    }

    #[cfg(unix)]
    #[test]
    fn confined_reads_refuse_outside_special_and_large_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = canonical(tmp.path());
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("dirs");
        std::fs::write(top.join("secret"), "TOPSECRET").expect("file");
        std::fs::write(repo.join("ok.json"), "{}").expect("file");
        std::os::unix::fs::symlink(top.join("secret"), repo.join("link")).expect("symlink");
        std::os::unix::fs::symlink(repo.join("ok.json"), repo.join("inner")).expect("symlink");
        assert_eq!(
            read_confined(&repo, &repo.join("ok.json"), 10).expect("read"),
            b"{}"
        );
        assert_eq!(
            read_confined(&repo, &repo.join("inner"), 10).expect("read"),
            b"{}"
        );
        for bad in [repo.join("link"), repo.join("../secret")] {
            let e = read_confined(&repo, &bad, 100).expect_err("outside");
            assert!(matches!(e, Refusal::Outside(_)), "{e:?}");
            assert!(!e.to_string().contains("TOPSECRET"));
        }
        let e = read_confined(&repo, &repo.join("ok.json"), 1).expect_err("large");
        assert!(matches!(e, Refusal::TooLarge { .. }), "{e:?}");
        let e = read_confined(&repo, &repo.join("none"), 1).expect_err("missing");
        assert!(matches!(e, Refusal::Io { .. }), "{e:?}");
        let e = read_confined(&repo, &repo.join(".git"), 1).expect_err("folder");
        assert!(matches!(e, Refusal::NotRegular { .. }), "{e:?}");
        let fifo = repo.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let e = read_regular(&fifo, 100).expect_err("fifo");
        assert_eq!(e.reason(), "it is a FIFO, not a regular file");
        let e = read_regular(Path::new("/dev/zero"), 100).expect_err("device");
        assert!(
            matches!(e, Refusal::NotRegular { kind: "device", .. }),
            "{e:?}"
        );
    }

    #[test]
    fn replace_atomically_creates_or_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("baseline.json");
        replace_atomically(&path, "first").expect("create");
        replace_atomically(&path, "second").expect("replace");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "second");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["baseline.json"]);
        // A folder that does not exist: an error, nothing written.
        let missing = dir.path().join("no/such/baseline.json");
        assert!(replace_atomically(&missing, "x").is_err());
        assert!(!dir.path().join("no").exists());
    }
}
