//! The repository root and the one path rule: every path iamlint touches, named on the command
//! line or found in the tree, read or written, on both sides of `diff`, goes through here.
//!
//! The root of a linted path is the nearest folder at or above it that holds `.git`; without one,
//! the path given itself (a folder) or the folder of the file given. A path is resolved a
//! component at a time ([`walk`]): once it is inside the root (or, for a path typed on the
//! command line, inside a root of the run or a git repository), no link, at any depth, and no
//! `..` in a link or in a path the tree names may lead out of it. Reads open regular files only,
//! and a file inside a root with more than one hard link is refused (it may be an outside file).
//! Writes never follow a link: the text goes to a temporary file beside the target, renamed over
//! it, and a target that is a link is refused. A path the user typed (`--var-file`,
//! `--baseline`, `--config`, `-o`) may name a file outside every root; its own `..` are taken as
//! typed ([`read_named`], [`write_named`]).

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

/// The repository root of `path` (a file or folder), canonical: the nearest folder holding
/// `.git` at or above it, resolved by the path rule ([`resolve`]). A path the rule refuses has
/// the root it tried to leave; a path that does not exist is taken as given, made absolute.
pub fn of(path: &Path) -> PathBuf {
    let start = match walk(path, Bounds::Named(&[]), Last::Follow) {
        Ok(walked) => walked.at,
        Err((Some(boundary), _)) => return boundary,
        Err((None, _)) => normalize(&absolute(path)),
    };
    let dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent().unwrap_or(start.as_path())
    };
    dir.ancestors()
        .find(|a| holds_git(a))
        .unwrap_or(dir)
        .to_path_buf()
}

/// How far up config discovery looks for the files of `root` ([`of`]): the root itself when it is
/// a repository (holds `.git`); outside any repository, the current folder when `root` lies
/// inside it (`iamlint check sub/deeper/p.json` run beside `sub/iamlint.toml` finds that config,
/// as ruff does), else `root`. Only the config search and the reading of the config found are
/// bounded by it: what linted files may read stays bounded by their root.
pub fn discovery_boundary(root: &Path) -> PathBuf {
    if holds_git(root) {
        return root.to_path_buf();
    }
    let cwd = canonical(Path::new("."));
    if root.starts_with(&cwd) {
        cwd
    } else {
        root.to_path_buf()
    }
}

/// A path typed on the command line (a linted file or folder, a `diff` path), resolved by the
/// path rule: its own `..` as typed, then every link followed, none leading out of a git
/// repository it has entered. Canonical.
pub fn resolve(path: &Path) -> Result<PathBuf, Refusal> {
    walk(path, Bounds::Named(&[]), Last::Follow)
        .map(|w| w.at)
        .map_err(|(_, r)| r)
}

/// `path` with symlinks resolved, or made absolute and normalised when it cannot be resolved
/// (it does not exist, or a component is unreadable). For comparing and ordering paths only:
/// whether a path may be read or written is the path rule's to say ([`walk`]).
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

/// Whether `path` resolves inside `root` (canonical, as [`of`] gives it) by the path rule. A path
/// that does not exist is judged as written, `.` and `..` taken lexically.
pub fn contains(root: &Path, path: &Path) -> bool {
    match walk(path, Bounds::Root(root), Last::Follow) {
        Ok(_) => true,
        Err((_, Refusal::Outside(_))) => false,
        Err(_) => normalize(&absolute(path)).starts_with(root),
    }
}

/// Why a read was refused. Its text names the path, never the file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The path leads outside the repository root (through a link or `..`).
    Outside(PathBuf),
    /// A link where none may be: the target of a write.
    Link(PathBuf),
    /// A file inside a root with more than one hard link: the other name may be anywhere.
    HardLinks { path: PathBuf, count: u64 },
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
            | Refusal::Link(path)
            | Refusal::HardLinks { path, .. }
            | Refusal::NotRegular { path, .. }
            | Refusal::TooLarge { path, .. }
            | Refusal::Io { path, .. } => path,
        }
    }

    /// The reason alone, without the path (for messages that name the path themselves).
    pub fn reason(&self) -> String {
        match self {
            Refusal::Outside(_) => "it is outside the repository root: not read".to_string(),
            Refusal::Link(_) => "it is a symbolic link: not written".to_string(),
            Refusal::HardLinks { count, .. } => {
                format!("it has {count} hard links (one may be outside the repository): not read")
            }
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

/// Reads `path` if it resolves inside `root` (canonical, as [`of`] gives it) by the path rule,
/// is a regular file with one hard link and holds at most `cap` bytes. Every read a linted file
/// or a config can cause goes through here: the linted files themselves, `file()`,
/// `templatefile()`, tfvars, config `var-files`, the config file found by discovery, ignore
/// files. (Paths typed on the command line go through [`read_named`].)
pub fn read_confined(root: &Path, path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    let walked = walk(path, Bounds::Root(root), Last::Follow).map_err(|(_, r)| r)?;
    open_regular(&walked.at, cap, true).map_err(|r| r.renamed(path))
}

/// Reads a file already resolved inside a root (an entry of a folder that [`contains`]
/// accepted, itself no link): opened without following a link, a regular file with one hard
/// link, at most `cap` bytes.
pub fn read_resolved(path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    open_regular(path, cap, true)
}

/// Reads a linted file (at most [`MAX_LINTED_BYTES`]): one named on the command line through
/// [`read_confined`]; one a folder scan found through [`read_resolved`], since the scan entered
/// no link below the folder the rule resolved (a second walk per file cost a `check` of 4,000
/// small files about 5 `lstat` calls each).
pub fn read_linted(root: &Path, path: &Path, named: bool) -> Result<Vec<u8>, Refusal> {
    if named {
        read_confined(root, path, MAX_LINTED_BYTES)
    } else {
        read_resolved(path, MAX_LINTED_BYTES)
    }
}

/// `path` resolved by the path rule inside `root` (canonical, as [`of`] gives it): canonical, or
/// why not ([`Refusal::Outside`] when a link or `..` leads out).
pub fn resolve_in(root: &Path, path: &Path) -> Result<PathBuf, Refusal> {
    walk(path, Bounds::Root(root), Last::Follow)
        .map(|w| w.at)
        .map_err(|(_, r)| r)
}

/// Reads a path the user typed on the command line (`--var-file`, `--baseline`, `--config`): the
/// user's choice, so a path that stays outside every root in `roots` is read as named (a regular
/// file of at most `cap` bytes). A path that enters a root on the way (a prefix of it, its own
/// `..` taken as typed, then links followed, lies inside one) names something the repository
/// controls: it must then resolve inside that root, as [`read_confined`] requires. So
/// `--var-file ../ci.tfvars` is read, while `--var-file env/prod.tfvars` turned into a link to
/// `/proc/self/environ` by a pull request is refused.
pub fn read_named(roots: &[PathBuf], path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    let walked = walk(path, Bounds::Named(roots), Last::Follow).map_err(|(_, r)| r)?;
    let inside = walked.boundary.is_some();
    open_regular(&walked.at, cap, inside).map_err(|r| r.renamed(path))
}

/// The root of `roots` (or the git repository) that `path`, as typed, enters: the boundary the
/// path rule holds it to ([`read_named`], [`write_named`]).
pub fn entered_root(roots: &[PathBuf], path: &Path) -> Option<PathBuf> {
    match walk(path, Bounds::Named(roots), Last::Keep) {
        Ok(walked) => walked.boundary,
        Err((boundary, _)) => boundary,
    }
}

/// Reads `path` if it is a regular file of at most `cap` bytes; a FIFO, device, socket or folder
/// is refused at once (opened without blocking, checked before any byte is read). For a file
/// outside every root (the user's) or one already resolved; others go through [`read_confined`].
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    open_regular(path, cap, false)
}

/// [`read_regular`]; `confined` (a resolved path inside a root) also opens without following a
/// link and refuses a file with more than one hard link.
fn open_regular(path: &Path, cap: u64, confined: bool) -> Result<Vec<u8>, Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO without a writer would block `open` itself; a resolved path whose last
        // component became a link since is not followed.
        let nofollow = if confined { libc::O_NOFOLLOW } else { 0 };
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
    }
    let file = options.open(path).map_err(|e| io_refusal(path, &e))?;
    let meta = file.metadata().map_err(|e| io_refusal(path, &e))?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&meta.file_type()),
        });
    }
    #[cfg(not(unix))]
    let _ = confined;
    #[cfg(unix)]
    if confined {
        use std::os::unix::fs::MetadataExt;
        // git never checks out a hard link: a second name is one made on this machine, and it
        // may be outside the repository.
        if meta.nlink() > 1 {
            return Err(Refusal::HardLinks {
                path: path.to_path_buf(),
                count: meta.nlink(),
            });
        }
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
            Refusal::Link(_) => Refusal::Link(path),
            Refusal::HardLinks { count, .. } => Refusal::HardLinks { path, count },
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

/// Writes a file the tree holds (`--fix`): `path` must resolve inside `root` by the path rule
/// and must not be a link; see [`replace_atomically`].
pub fn write_confined(root: &Path, path: &Path, text: impl AsRef<[u8]>) -> std::io::Result<()> {
    let walked = walk(path, Bounds::Root(root), Last::Keep).map_err(|(_, r)| write_error(r))?;
    replace_atomically(&walked.at, text)
}

/// Writes a file the user named (`-o`, `--write-baseline`): anywhere outside the run's roots
/// `roots`, but a path that enters a root (or a git repository) must resolve inside it; the
/// target is never a link, even outside ([`replace_atomically`]). One exception: a path outside
/// every root and repository that leads (through links, as `/dev/stdout` does) to a character
/// device or a FIFO is a stream, not a file: it is written in place, since no file is replaced
/// and nothing in a tree changes ([`is_stream`]). Inside a root a link is never written through,
/// even to a device.
pub fn write_named(roots: &[PathBuf], path: &Path, text: impl AsRef<[u8]>) -> std::io::Result<()> {
    // Neither the path as typed nor its links, as far as they lead to paths, enter a root or a
    // repository (`/proc/self/fd/1` names a pipe `pipe:[N]`, which is no path: the walk ends
    // there, and the system opens it).
    let entered = |last| match walk(path, Bounds::Named(roots), last) {
        Ok(walked) => walked.boundary,
        Err((boundary, _)) => boundary,
    };
    let outside = || entered(Last::Keep).is_none() && entered(Last::Follow).is_none();
    if is_stream(path) && outside() {
        use std::io::Write;
        // Neither created nor truncated: a device or FIFO is only opened to write.
        let mut stream = std::fs::OpenOptions::new().write(true).open(path)?;
        return stream
            .write_all(text.as_ref())
            .and_then(|()| stream.flush());
    }
    let walked = walk(path, Bounds::Named(roots), Last::Keep).map_err(|(_, r)| write_error(r))?;
    replace_atomically(&walked.at, text)
}

/// Whether `path`, links followed, is a character device or a FIFO (`/dev/stdout` to a terminal
/// or a pipe, `/dev/null`).
fn is_stream(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| {
            let t = m.file_type();
            t.is_char_device() || t.is_fifo()
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

fn write_error(r: Refusal) -> std::io::Error {
    let reason = match &r {
        Refusal::Outside(_) => "it is outside the repository root: not written".to_string(),
        _ => r.reason(),
    };
    let kind = match &r {
        Refusal::Io { .. } => std::io::ErrorKind::NotFound,
        _ => std::io::ErrorKind::PermissionDenied,
    };
    std::io::Error::new(kind, reason)
}

/// Writes `text` to a temporary file beside `path` with `path`'s permissions (when it exists),
/// then renames it over `path`: a reader sees the old file or the new one, never a part, and a
/// link or hard link at `path` is replaced, never written through. A target that is not a
/// regular file (a link, a folder, a FIFO) is refused. On failure the temporary file is removed
/// and `path` is untouched. Callers resolve `path` first ([`write_confined`], [`write_named`]).
pub(crate) fn replace_atomically(path: &Path, text: impl AsRef<[u8]>) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Some(meta.permissions()),
        Ok(meta) => {
            let kind = kind_of(&meta.file_type());
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("it is a {kind}, not a regular file: not written"),
            ));
        }
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
        file.write_all(text.as_ref())?;
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

/// Where a walk ([`walk`]) must stay once it is inside.
#[derive(Clone, Copy)]
enum Bounds<'a> {
    /// A known repository root (canonical): a read or write a linted file or config causes. The
    /// path must end inside it.
    Root(&'a Path),
    /// A path typed on the command line: the user's `..` is taken as typed, but once a prefix
    /// lies inside one of `roots` or in a git repository (a folder holding `.git`), no link may
    /// lead out of it.
    Named(&'a [PathBuf]),
}

/// How a walk takes the path's last component.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Followed when it is a link (a read).
    Follow,
    /// Never followed, and may be missing (a write): a link there is refused.
    Keep,
}

/// Where a walk ended, and the boundary it entered on the way.
struct Walked {
    at: PathBuf,
    boundary: Option<PathBuf>,
}

/// The most links one walk follows (Linux's `MAXSYMLINKS`).
const MAX_LINKS: u32 = 40;

/// One step of a walk: a component still to take, or the end of a link's target, where the walk
/// has settled and is checked against the boundary.
enum Step {
    Part(std::ffi::OsString),
    Root(PathBuf),
    Up,
    Settled,
}

/// The steps of `path`; `settle_each` checks the walk after every component (a path as given),
/// else only at the end (a link's target).
fn steps(path: &Path, settle_each: bool) -> Vec<Step> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => {
                // A prefix and the root that follows it form one step (`C:\`, `/`).
                if matches!(out.last(), Some(Step::Settled)) {
                    out.pop();
                }
                let mut root = match out.pop() {
                    Some(Step::Root(p)) => p,
                    Some(other) => {
                        out.push(other);
                        PathBuf::new()
                    }
                    None => PathBuf::new(),
                };
                root.push(c.as_os_str());
                out.push(Step::Root(root));
            }
            Component::CurDir => {}
            Component::ParentDir => out.push(Step::Up),
            Component::Normal(name) => out.push(Step::Part(name.to_os_string())),
        }
        if settle_each {
            out.push(Step::Settled);
        }
    }
    out
}

/// The one path rule. Follows `path` a component at a time as the system would, every link
/// expanded where it stands (at most [`MAX_LINKS`]). The walk is checked where it settles: after
/// each component of `path`, and at the end of each link's target (a link may pass outside on
/// the way, as `../repo/x` does, but must land inside). Once settled inside the boundary of
/// `bounds`, it must settle inside it every time after; with [`Bounds::Root`] it must end there.
/// On a refusal the boundary entered (if any) is returned beside it.
fn walk(path: &Path, bounds: Bounds<'_>, last: Last) -> Result<Walked, (Option<PathBuf>, Refusal)> {
    let start = match bounds {
        Bounds::Root(_) => absolute(path),
        Bounds::Named(_) => normalize(&absolute(path)),
    };
    let mut at = PathBuf::new();
    let mut boundary: Option<PathBuf> = None;
    // The root is canonical: a path written under it starts there, one lstat per component
    // below it (every linted file goes through here).
    let mut pending: Vec<Step> = match bounds {
        Bounds::Root(root) if start.starts_with(root) => {
            at = root.to_path_buf();
            boundary = Some(root.to_path_buf());
            steps(start.strip_prefix(root).unwrap_or(&start), true)
        }
        _ => steps(&start, true),
    };
    pending.reverse();
    // The last folder whose ancestors were probed for `.git` (a plain step down probes only the
    // new folder).
    let mut probed: Option<PathBuf> = None;
    let mut links = 0u32;
    let refuse = |boundary: &Option<PathBuf>, r: Refusal| Err((boundary.clone(), r));
    while let Some(step) = pending.pop() {
        match step {
            Step::Root(root) => at = root,
            Step::Up => {
                at.pop();
            }
            Step::Part(name) => {
                let next = at.join(&name);
                let is_last = pending.iter().all(|s| matches!(s, Step::Settled));
                match std::fs::symlink_metadata(&next) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        if is_last && last == Last::Keep {
                            return refuse(&boundary, Refusal::Link(path.to_path_buf()));
                        }
                        links += 1;
                        if links > MAX_LINKS {
                            let message = "too many levels of symbolic links".to_string();
                            let path = path.to_path_buf();
                            return refuse(&boundary, Refusal::Io { path, message });
                        }
                        let target = match std::fs::read_link(&next) {
                            Ok(target) => target,
                            Err(e) => return refuse(&boundary, io_refusal(path, &e)),
                        };
                        pending.push(Step::Settled);
                        let mut expanded = steps(&target, false);
                        expanded.reverse();
                        pending.extend(expanded);
                    }
                    Ok(_) => at = next,
                    Err(e)
                        if is_last
                            && last == Last::Keep
                            && e.kind() == std::io::ErrorKind::NotFound =>
                    {
                        at = next;
                    }
                    Err(e) => return refuse(&boundary, io_refusal(path, &e)),
                }
            }
            Step::Settled => match (&boundary, bounds) {
                (Some(b), _) => {
                    if !at.starts_with(b) {
                        return refuse(&boundary, Refusal::Outside(path.to_path_buf()));
                    }
                }
                (None, Bounds::Root(root)) => {
                    if at.starts_with(root) {
                        boundary = Some(root.to_path_buf());
                    }
                }
                (None, Bounds::Named(roots)) => {
                    if let Some(root) = roots.iter().find(|r| at.starts_with(r)) {
                        boundary = Some(root.clone());
                    } else {
                        let from_parent = probed.as_deref() == at.parent();
                        boundary = if from_parent {
                            holds_git(&at).then(|| at.clone())
                        } else {
                            at.ancestors().find(|a| holds_git(a)).map(Path::to_path_buf)
                        };
                        probed = Some(at.clone());
                    }
                }
            },
        }
    }
    if let Bounds::Root(root) = bounds {
        if !at.starts_with(root) {
            return refuse(&boundary, Refusal::Outside(path.to_path_buf()));
        }
    }
    Ok(Walked { at, boundary })
}

/// Whether `dir` is the top of a git working tree (or of a base tree `diff` wrote).
fn holds_git(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(".git")).is_ok()
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

    /// The path rule's idioms, one each: a folder link at any depth, a link that passes outside
    /// on its way back in, a link loop, the user's `..`, a hard link, and the root of a path
    /// that tries to leave.
    #[cfg(unix)]
    #[test]
    fn the_path_rule_component_by_component() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = canonical(tmp.path());
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("dirs");
        std::fs::create_dir_all(repo.join("a/b")).expect("dirs");
        std::fs::create_dir_all(top.join("outside")).expect("dirs");
        std::fs::write(top.join("outside/p.json"), "SECRET").expect("file");
        std::fs::write(repo.join("a/b/p.json"), "{}").expect("file");
        // A folder link in the middle of the path, not the last component.
        symlink("../../outside", repo.join("a/out")).expect("symlink");
        // Out and back in: lands inside, so it is followed.
        symlink("../../repo/a/b", repo.join("a/back")).expect("symlink");
        symlink("loop2", repo.join("loop1")).expect("symlink");
        symlink("loop1", repo.join("loop2")).expect("symlink");
        let through = repo.join("a/out/p.json");
        assert!(matches!(resolve(&through), Err(Refusal::Outside(_))));
        assert!(matches!(
            read_confined(&repo, &through, 100),
            Err(Refusal::Outside(_))
        ));
        assert!(!contains(&repo, &through));
        assert_eq!(of(&repo.join("a/out")), repo, "the root it tried to leave");
        assert_eq!(
            resolve(&repo.join("a/back/p.json")).expect("in"),
            repo.join("a/b/p.json")
        );
        assert_eq!(
            read_confined(&repo, &repo.join("a/back/p.json"), 10).expect("in"),
            b"{}"
        );
        let e = resolve(&repo.join("loop1")).expect_err("loop");
        assert!(e.reason().contains("too many levels"), "{e:?}");
        // A `..` the tree names leaves the root; the user's own `..` is taken as typed.
        let up = repo.join("a/../../outside/p.json");
        assert!(matches!(
            read_confined(&repo, &up, 100),
            Err(Refusal::Outside(_))
        ));
        assert_eq!(
            read_named(std::slice::from_ref(&repo), &up, 100).expect("user's"),
            b"SECRET"
        );
        // A second name inside the root for an outside file.
        std::fs::hard_link(top.join("outside/p.json"), repo.join("hard.json")).expect("link");
        let e = read_confined(&repo, &repo.join("hard.json"), 100).expect_err("hard link");
        assert!(matches!(e, Refusal::HardLinks { count: 2, .. }), "{e:?}");
        assert!(!e.to_string().contains("SECRET"));
        let e = read_named(&[], &repo.join("hard.json"), 100).expect_err("in a git repository");
        assert!(matches!(e, Refusal::HardLinks { .. }), "{e:?}");
        assert_eq!(
            read_regular(&top.join("outside/p.json"), 100).expect("user's"),
            b"SECRET"
        );
    }

    #[cfg(unix)]
    #[test]
    fn writes_never_follow_a_link() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = canonical(tmp.path());
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("dirs");
        std::fs::create_dir_all(top.join("outside")).expect("dirs");
        std::fs::write(top.join("victim"), "kept").expect("file");
        symlink(top.join("victim"), repo.join("out.sarif")).expect("symlink");
        symlink(top.join("outside"), repo.join("dir")).expect("symlink");
        let roots = vec![repo.clone()];
        for (path, why) in [
            (repo.join("out.sarif"), "symbolic link"),
            (repo.join("dir/new.sarif"), "outside the repository"),
        ] {
            let e = write_named(&roots, &path, "x").expect_err("refused");
            assert!(e.to_string().contains(why), "{}: {e}", path.display());
            let e = write_confined(&repo, &path, "x").expect_err("refused");
            assert!(e.to_string().contains(why), "{}: {e}", path.display());
        }
        // Even outside every root, a target that is a link is replaced by nothing.
        symlink(top.join("victim"), top.join("user-link")).expect("symlink");
        assert!(write_named(&roots, &top.join("user-link"), "x").is_err());
        assert_eq!(
            std::fs::read_to_string(top.join("victim")).expect("read"),
            "kept"
        );
        assert_eq!(
            std::fs::read_dir(top.join("outside")).expect("dir").count(),
            0
        );
        // Plain targets, inside and outside: written.
        write_named(&roots, &repo.join("report.sarif"), "in").expect("inside");
        write_named(&roots, &repo.join("../user.sarif"), "out").expect("outside");
        write_confined(&repo, &repo.join("fixed.json"), "fix").expect("confined");
        assert_eq!(
            std::fs::read_to_string(top.join("user.sarif")).expect("read"),
            "out"
        );
        assert_eq!(
            std::fs::read_to_string(repo.join("fixed.json")).expect("read"),
            "fix"
        );
    }
}
