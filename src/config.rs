//! `iamlint.toml`: finding it, reading it strictly, and the path rules it defines.
//!
//! ```toml
//! select = ["resource-star", "wildcard-action"]   # default: every rule
//! ignore = ["missing-version"]
//! fail-on = "error"                               # error | warning | info | none
//! exclude = ["legacy/", "**/*.generated.json"]
//! recipe-dirs = ["iam/recipes"]
//! baseline = ".iamlint-baseline.json"            # `--baseline`'s default
//!
//! [severity]
//! resource-star = "error"
//!
//! [per-path-ignores]
//! "sandbox/**" = ["wildcard-action"]
//!
//! [[ignore]]                 # JSON has no comments: suppress one finding here, with a reason
//! path = "policies/ci.json"
//! rule = "resource-star"
//! sid = "PullImages"         # optional: only in this statement (or `line = 12`)
//! reason = "ecr:GetAuthorizationToken cannot be scoped"
//! ```
//!
//! Each file uses the nearest config at or above its folder, up to the repository root
//! ([`nearest`]): `.iamlint.toml` first, then `iamlint.toml` in each folder, like ruff. Unknown keys, rule ids and severities are errors with a did-you-mean,
//! located at `path:line:col`. Globs are relative to the folder holding the config file; a pattern
//! without `/` matches a file or folder name at any depth (like `.gitignore`), and a folder pattern
//! covers everything inside it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::finding::Severity;
use crate::root::{absolute, normalize};
use crate::rules::RuleId;
use crate::source::SourceFile;

/// Config file names, in the order they are looked for in each folder.
pub const FILE_NAMES: [&str; 2] = [".iamlint.toml", "iamlint.toml"];

/// A configuration that cannot be used. Stops the run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read config: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}:{line}:{column}: {message}", path.display())]
    At {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
}

/// The typed configuration. Paths are absolute; globs are compiled into [`PathRules`].
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from (`None`: defaults).
    pub path: Option<PathBuf>,
    pub select: Option<Vec<RuleId>>,
    pub ignore: Vec<RuleId>,
    pub severity: HashMap<RuleId, Severity>,
    /// `fail-on` (`None`: not set, the default `warning` applies).
    pub fail_on: Option<Threshold>,
    /// Extra recipe folders, absolute. Checked to exist; read by the recipes loader.
    pub recipe_dirs: Vec<PathBuf>,
    pub paths: PathRules,
    /// `[terraform]`: variable values for the linted root modules, `var-files` (absolute) then
    /// `vars`. Command-line `--var-file`/`--var` come after them and win.
    pub terraform_vars: Vec<crate::vars::VarSetting>,
    /// `[placeholders] tokens`: ARN partition, region or account fields that a policy template's
    /// code fills in (`account-id`), besides ALL-CAPS words, which always are.
    pub placeholder_tokens: Vec<String>,
    /// `baseline`: the baseline file `check` reads when `--baseline` is not given (absolute; it
    /// may not exist yet: `--write-baseline` writes it).
    pub baseline: Option<PathBuf>,
}

/// When findings fail a run (`fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// A finding at or above this severity exits 1.
    At(Severity),
    /// `"none"`: findings never fail the run (input errors still exit 2), as `--fail-on none`.
    Never,
}

impl Threshold {
    /// The lowest severity that fails the run, if any does.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Threshold::At(level) => Some(level),
            Threshold::Never => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.severity().map_or("none", Severity::as_str)
    }
}

/// One `[[ignore]]` entry: a finding in a file that cannot carry comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    pub path: String,
    pub rule: RuleId,
    /// Only findings inside the statement with this `Sid`.
    pub sid: Option<String>,
    /// Only findings whose primary location starts on this 1-based line.
    pub line: Option<u32>,
    pub reason: String,
    /// Byte range of the entry in the config file, where an unused entry is reported.
    pub span: (u32, u32),
}

/// What a run saw of one `[[ignore]]` entry, shared by the threads linting files (flags only go
/// from false to true).
#[derive(Debug, Default)]
struct EntryUse {
    /// A linted file matched its `path`.
    matched: AtomicBool,
    /// It suppressed a finding.
    used: AtomicBool,
    /// The `Sid`s of the statements of the files it matched (only for an entry with a `sid`).
    sids: Mutex<Vec<String>>,
}

/// An `[[ignore]]` entry that suppressed nothing in a run ([`PathRules::unused`]).
#[derive(Debug)]
pub struct UnusedEntry<'a> {
    pub entry: &'a IgnoreEntry,
    /// A linted file matched its `path` (else its path matched no file of the run).
    pub matched: bool,
    /// With a `sid`: the `Sid`s seen in the files it matched, sorted.
    pub sids_seen: Vec<String>,
}

/// Glob-based rules: which files to skip and which findings to suppress where.
#[derive(Debug, Clone, Default)]
pub struct PathRules {
    /// Folder the patterns are relative to (absolute); `None` means the current directory.
    root: Option<PathBuf>,
    exclude: GlobSet,
    per_path: Vec<(GlobSet, Vec<RuleId>)>,
    entries: Vec<(GlobSet, IgnoreEntry)>,
    /// Per entry, what the run saw of it (shared by every clone of these rules).
    entry_use: Arc<[EntryUse]>,
    /// The config file these rules come from and its text, to report unused entries in it.
    origin: Option<Arc<(PathBuf, String)>>,
}

/// What the path rules say about one file.
#[derive(Debug, Default)]
pub struct FileIgnores<'a> {
    /// Rules whose findings are suppressed in the whole file.
    pub rules: Vec<RuleId>,
    pub entries: Vec<&'a IgnoreEntry>,
}

impl FileIgnores<'_> {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.entries.is_empty()
    }
}

impl PathRules {
    /// True when `path` matches an `exclude` pattern.
    pub fn is_excluded(&self, path: &Path) -> bool {
        !self.exclude.is_empty() && self.exclude.is_match(self.relative(path))
    }

    pub fn is_empty(&self) -> bool {
        self.exclude.is_empty() && self.per_path.is_empty() && self.entries.is_empty()
    }

    /// The per-path ignores and `[[ignore]]` entries that apply to `path`.
    pub fn for_file(&self, path: &Path) -> FileIgnores<'_> {
        if self.per_path.is_empty() && self.entries.is_empty() {
            return FileIgnores::default();
        }
        let relative = self.relative(path);
        let mut out = FileIgnores::default();
        for (globs, rules) in &self.per_path {
            if globs.is_match(&relative) {
                out.rules.extend(rules.iter().copied());
            }
        }
        for (globs, entry) in &self.entries {
            if globs.is_match(&relative) {
                out.entries.push(entry);
            }
        }
        out
    }

    /// Records that a linted file at `path` was seen: the entries its path matches are not stale
    /// for want of a file. `sids` gives the file's statement `Sid`s, asked only when an entry
    /// with a `sid` matches (a misspelt `sid` then gets a did-you-mean).
    pub fn note_file(&self, path: &Path, sids: impl FnOnce() -> Vec<String>) {
        if self.entries.is_empty() {
            return;
        }
        let relative = self.relative(path);
        let mut sids = Some(sids);
        let mut seen: Vec<String> = Vec::new();
        for ((globs, entry), usage) in self.entries.iter().zip(self.entry_use.iter()) {
            if !globs.is_match(&relative) {
                continue;
            }
            usage.matched.store(true, Ordering::Relaxed);
            if entry.sid.is_some() {
                if let Some(get) = sids.take() {
                    seen = get();
                }
                if let Ok(mut list) = usage.sids.lock() {
                    for sid in &seen {
                        if !list.contains(sid) {
                            list.push(sid.clone());
                        }
                    }
                }
            }
        }
    }

    /// Records that `entry` (one of [`PathRules::for_file`]'s) suppressed a finding.
    pub fn mark_used(&self, entry: &IgnoreEntry) {
        if let Some(i) = self
            .entries
            .iter()
            .position(|(_, e)| std::ptr::eq(e, entry))
        {
            if let Some(usage) = self.entry_use.get(i) {
                usage.used.store(true, Ordering::Relaxed);
            }
        }
    }

    /// The entries that suppressed nothing so far, in file order.
    pub fn unused(&self) -> Vec<UnusedEntry<'_>> {
        self.entries
            .iter()
            .zip(self.entry_use.iter())
            .filter(|(_, usage)| !usage.used.load(Ordering::Relaxed))
            .map(|((_, entry), usage)| {
                let mut sids_seen = usage.sids.lock().map(|l| l.clone()).unwrap_or_default();
                sids_seen.sort();
                UnusedEntry {
                    entry,
                    matched: usage.matched.load(Ordering::Relaxed),
                    sids_seen,
                }
            })
            .collect()
    }

    /// True when `entry` (one of [`PathRules::unused`]'s) names the file at `path`.
    pub fn entry_matches(&self, entry: &IgnoreEntry, path: &Path) -> bool {
        let relative = self.relative(path);
        self.entries
            .iter()
            .any(|(globs, e)| std::ptr::eq(e, entry) && globs.is_match(&relative))
    }

    /// The config file these rules were read from, and its text.
    pub fn origin(&self) -> Option<(&Path, &str)> {
        self.origin
            .as_deref()
            .map(|(p, t)| (p.as_path(), t.as_str()))
    }

    /// The folder the patterns are relative to (`None`: the current folder).
    pub fn folder(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// `path` relative to the config folder, with forward slashes; the whole normalised path when
    /// it lies outside (then only patterns without `/` can match).
    fn relative(&self, path: &Path) -> String {
        let full = normalize(&absolute(path));
        let base = match &self.root {
            Some(root) => root.clone(),
            None => normalize(&absolute(Path::new("."))),
        };
        let shown = full.strip_prefix(&base).unwrap_or(&full);
        shown
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl Config {
    /// Reads and checks a config file found by discovery ([`nearest`]): a regular file inside the
    /// repository root `root` (canonical, [`crate::root::of`]), symlinks resolved, of at most
    /// [`crate::root::MAX_REFERENCED_BYTES`]. Files it names (`var-files`, `recipe-dirs`) must lie
    /// inside `root` too.
    pub fn load(path: &Path, root: &Path) -> Result<Config, ConfigError> {
        let bytes = crate::root::read_confined(root, path, crate::root::MAX_REFERENCED_BYTES);
        Config::from_bytes(path, bytes, Some(root))
    }

    /// Reads and checks the config file the user named with `--config`, which may lie outside
    /// the repository ([`crate::root::read_named`]; `roots` are the run's repository roots). A
    /// config inside a repository is the repository's text: the files it names must lie inside
    /// that root. One outside every root is the user's, as is every file it names.
    pub fn load_named(path: &Path, roots: &[PathBuf]) -> Result<Config, ConfigError> {
        let bytes = crate::root::read_named(roots, path, crate::root::MAX_REFERENCED_BYTES);
        let boundary = crate::root::entered_root(roots, path);
        Config::from_bytes(path, bytes, boundary.as_deref())
    }

    fn from_bytes(
        path: &Path,
        bytes: Result<Vec<u8>, crate::root::Refusal>,
        boundary: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        let read_error = |message: String| ConfigError::Read {
            path: path.to_path_buf(),
            message,
        };
        let bytes = bytes.map_err(|r| read_error(r.reason()))?;
        let text = String::from_utf8(bytes).map_err(|_| read_error("not UTF-8 text".into()))?;
        let folder = normalize(&absolute(path))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Config::parse(path, &text, &folder, boundary)
    }

    /// Parses config text; `root` is the folder globs and `recipe-dirs` are relative to. With a
    /// `boundary` (the repository root of a config written in a repository), the files and
    /// folders it names must lie inside it, symlinks resolved; without one (a config the user
    /// named outside every repository) they may lie anywhere.
    pub fn parse(
        path: &Path,
        text: &str,
        root: &Path,
        boundary: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        let file = SourceFile::new(path, text.to_string());
        let at = |span: Option<std::ops::Range<usize>>, message: String| {
            let offset = span.map_or(0, |s| s.start);
            let position = file.position(u32::try_from(offset).unwrap_or(u32::MAX));
            ConfigError::At {
                path: path.to_path_buf(),
                line: position.line,
                column: position.column,
                message,
            }
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| at(e.span(), improve_message(e.message())))?;

        let rule = |s: &Spanned<String>| -> Result<RuleId, ConfigError> {
            RuleId::parse(s.get_ref()).ok_or_else(|| at(Some(s.span()), unknown_rule(s.get_ref())))
        };
        let selector = |s: &Spanned<String>| -> Result<Vec<RuleId>, ConfigError> {
            parse_selector(s.get_ref()).map_err(|message| at(Some(s.span()), message))
        };
        let rules = |list: &[Spanned<String>]| -> Result<Vec<RuleId>, ConfigError> {
            let mut out = Vec::new();
            for item in list {
                for rule in selector(item)? {
                    if !out.contains(&rule) {
                        out.push(rule);
                    }
                }
            }
            Ok(out)
        };
        let severity = |s: &Spanned<String>| -> Result<Severity, ConfigError> {
            Severity::parse(s.get_ref()).ok_or_else(|| {
                let hint = did_you_mean(s.get_ref(), ["error", "warning", "info"])
                    .map_or(String::new(), |m| format!(", did you mean `{m}`?"));
                at(
                    Some(s.span()),
                    format!(
                        "unknown severity `{}` (expected `error`, `warning` or `info`{hint})",
                        s.get_ref()
                    ),
                )
            })
        };
        // `fail-on` takes the severities and `none`, as `--fail-on` does.
        let threshold = |s: &Spanned<String>| -> Result<Threshold, ConfigError> {
            if s.get_ref() == "none" {
                return Ok(Threshold::Never);
            }
            Severity::parse(s.get_ref()).map(Threshold::At).ok_or_else(|| {
                let hint = did_you_mean(s.get_ref(), ["error", "warning", "info", "none"])
                    .map_or(String::new(), |m| format!(", did you mean `{m}`?"));
                at(
                    Some(s.span()),
                    format!(
                        "unknown `fail-on` level `{}` (expected `error`, `warning`, `info` or `none`{hint})",
                        s.get_ref()
                    ),
                )
            })
        };
        let glob = |s: &Spanned<String>| -> Result<GlobSet, ConfigError> {
            compile_glob(s.get_ref()).map_err(|message| at(Some(s.span()), message))
        };

        let mut config = Config {
            path: Some(path.to_path_buf()),
            select: raw.select.as_deref().map(rules).transpose()?,
            fail_on: raw.fail_on.as_ref().map(threshold).transpose()?,
            ..Config::default()
        };
        for (id, value) in &raw.severity {
            config.severity.insert(rule(id)?, severity(value)?);
        }
        let mut paths = PathRules {
            root: Some(root.to_path_buf()),
            ..PathRules::default()
        };
        let mut exclude = GlobSetBuilder::new();
        for pattern in &raw.exclude {
            for g in globs_for(pattern.get_ref()).map_err(|m| at(Some(pattern.span()), m))? {
                exclude.add(g);
            }
        }
        paths.exclude = exclude
            .build()
            .map_err(|e| at(None, format!("invalid `exclude` pattern: {e}")))?;
        for (pattern, ids) in &raw.per_path_ignores {
            paths.per_path.push((glob(pattern)?, rules(ids)?));
        }
        for item in &raw.ignore {
            match item.get_ref() {
                toml::Value::String(id) => {
                    config
                        .ignore
                        .extend(selector(&Spanned::new(item.span(), id.clone()))?);
                }
                toml::Value::Table(table) => {
                    let entry: RawIgnoreEntry = toml::Value::Table(table.clone())
                        .try_into()
                        .map_err(|e: toml::de::Error| {
                            at(
                                Some(item.span()),
                                format!("in `[[ignore]]`: {}", improve_message(e.message())),
                            )
                        })?;
                    let reason = entry.reason.unwrap_or_default();
                    if reason.trim().is_empty() {
                        return Err(at(
                            Some(item.span()),
                            "`[[ignore]]` entry needs a `reason`: say why the finding is acceptable"
                                .into(),
                        ));
                    }
                    let rule_id = RuleId::parse(&entry.rule)
                        .ok_or_else(|| at(Some(item.span()), unknown_rule(&entry.rule)))?;
                    let globs = compile_glob(&entry.path)
                        .map_err(|m| at(Some(item.span()), format!("in `[[ignore]]`: {m}")))?;
                    paths.entries.push((
                        globs,
                        IgnoreEntry {
                            path: entry.path,
                            rule: rule_id,
                            sid: entry.sid,
                            line: entry.line,
                            reason,
                            span: (
                                u32::try_from(item.span().start).unwrap_or(u32::MAX),
                                u32::try_from(item.span().end).unwrap_or(u32::MAX),
                            ),
                        },
                    ));
                }
                _ => {
                    return Err(at(
                        Some(item.span()),
                        "`ignore` takes rule ids, or `[[ignore]]` tables with `path`, `rule` and `reason`".into(),
                    ))
                }
            }
        }
        // A path the config names, resolved from its folder: inside the repository root (checked
        // before existence, so that an error never tells whether an outside path exists), then
        // present as `present` says.
        let named = |path: &Spanned<String>, noun: &str, present: fn(&Path) -> bool| {
            let full = normalize(&root.join(path.get_ref()));
            let problem = if boundary.is_some_and(|b| !crate::root::contains(b, &full)) {
                "is outside the repository root: not read"
            } else if !present(&full) {
                "does not exist"
            } else {
                return Ok(full);
            };
            Err(at(
                Some(path.span()),
                format!("{noun} `{}` {problem}", path.get_ref()),
            ))
        };
        if let Some(file) = &raw.baseline {
            // Checked when read: `--write-baseline` may be about to create it.
            config.baseline = Some(named(file, "baseline file", |_| true)?);
        }
        for dir in &raw.recipe_dirs {
            config
                .recipe_dirs
                .push(named(dir, "recipe folder", Path::is_dir)?);
        }
        for file in &raw.terraform.var_files {
            let full = named(file, "variables file", Path::is_file)?;
            use crate::vars::VarSetting;
            config.terraform_vars.push(match boundary {
                // Read again inside the root of each linted input, like tfvars files.
                Some(_) => VarSetting::ConfigFile(full),
                None => VarSetting::File(full),
            });
        }
        for (name, value) in &raw.terraform.vars {
            // Lists and maps go through JSON text, which `--var` reads as HCL; a string is the
            // value as written.
            let value = match value {
                toml::Value::String(s) => s.clone(),
                other => serde_json::to_string(other).unwrap_or_default(),
            };
            config.terraform_vars.push(crate::vars::VarSetting::Value {
                name: name.clone(),
                value,
            });
        }
        for token in &raw.placeholders.tokens {
            let t = token.get_ref();
            if t.is_empty() || t.contains(':') || t.chars().any(char::is_whitespace) {
                return Err(at(
                    Some(token.span()),
                    format!("placeholder token `{t}` must be one ARN field: not empty, no `:` or spaces"),
                ));
            }
            config.placeholder_tokens.push(t.clone());
        }
        paths.entry_use = paths.entries.iter().map(|_| EntryUse::default()).collect();
        if !paths.entries.is_empty() {
            paths.origin = Some(Arc::new((path.to_path_buf(), text.to_string())));
        }
        config.paths = paths;
        // Assigned last so that an error above never leaves a half-read list behind.
        config.ignore.sort();
        config.ignore.dedup();
        Ok(config)
    }
}

/// The config file of the files in folder `dir`: the nearest `.iamlint.toml` or `iamlint.toml` in
/// `dir` or a folder above it, up to the repository root `root` ([`crate::root::of`]) and never
/// above it (ruff's hierarchical rule: the closest config wins, configs are not merged). Both are
/// taken with symlinks resolved. `None` when `dir` lies outside `root`.
pub fn nearest(dir: &Path, root: &Path) -> Option<PathBuf> {
    let dir = crate::root::canonical(dir);
    let root = crate::root::canonical(root);
    if !dir.starts_with(&root) {
        return None;
    }
    let found = dir
        .ancestors()
        .take_while(|d| d.starts_with(&root))
        .find_map(|d| {
            FILE_NAMES
                .iter()
                .map(|name| d.join(name))
                .find(|candidate| candidate.is_file())
        })?;
    // Shown in error messages: relative to the current folder when inside it.
    let cwd = crate::root::canonical(Path::new("."));
    Some(match found.strip_prefix(&cwd) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => found,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<toml::Value>>,
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    per_path_ignores: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    recipe_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    terraform: RawTerraform,
    #[serde(default)]
    placeholders: RawPlaceholders,
    baseline: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPlaceholders {
    #[serde(default)]
    tokens: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTerraform {
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
    #[serde(default)]
    var_files: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnoreEntry {
    path: String,
    rule: String,
    sid: Option<String>,
    line: Option<u32>,
    reason: Option<String>,
}

/// Reads a rule selector as `select`, `ignore` and `per-path-ignores` (and `--select`/`--ignore`)
/// take it: a rule id (`resource-star`), a category (`least-privilege`, as `iamlint rules` shows
/// it), a prefix of rule ids ending in `-` (`unknown-` selects `unknown-action`, `unknown-service`
/// and every other id starting so), or `all`. An unknown selector gets a did-you-mean.
pub fn parse_selector(selector: &str) -> Result<Vec<RuleId>, String> {
    if let Some(rule) = RuleId::parse(selector) {
        return Ok(vec![rule]);
    }
    if selector == "all" {
        return Ok(RuleId::ALL.to_vec());
    }
    let of_category: Vec<RuleId> = RuleId::ALL
        .iter()
        .copied()
        .filter(|r| r.meta().category.as_str() == selector)
        .collect();
    if !of_category.is_empty() {
        return Ok(of_category);
    }
    if selector.ends_with('-') {
        let prefixed: Vec<RuleId> = RuleId::ALL
            .iter()
            .copied()
            .filter(|r| r.id().starts_with(selector))
            .collect();
        if !prefixed.is_empty() {
            return Ok(prefixed);
        }
        return Err(format!(
            "no rule id starts with `{selector}` (`iamlint rules` lists them)"
        ));
    }
    let categories = RuleId::ALL.iter().map(|r| r.meta().category.as_str());
    let hint = RuleId::suggest(selector).or_else(|| did_you_mean(selector, categories));
    Err(match hint {
        Some(s) => format!("unknown rule `{selector}` (did you mean `{s}`?)"),
        None => format!(
            "unknown rule `{selector}` (expected a rule id, a category, a prefix ending in `-` or \
             `all`; `iamlint rules` lists them)"
        ),
    })
}

fn unknown_rule(id: &str) -> String {
    match RuleId::suggest(id) {
        Some(s) => format!("unknown rule `{id}` (did you mean `{s}`?)"),
        None => format!("unknown rule `{id}` (`iamlint rules` lists them)"),
    }
}

pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (crate::text::edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 3.max(word.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// Turns serde's and toml's wording into ours: unknown keys get a did-you-mean, and the clash
/// between `ignore = [...]` and `[[ignore]]` says how to have both.
fn improve_message(message: &str) -> String {
    let joined;
    let mut message = message.trim();
    // The TOML parser's syntax errors come on several lines ("invalid array\nexpected `]`"):
    // one line, as every other located error (the stderr escaping would show `\n`).
    if message.contains('\n') {
        joined = message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        message = &joined;
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, tail)) = rest.split_once('`') {
            // serde lists the expected fields in backticks: "expected one of `a`, `b`".
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            return match did_you_mean(field, expected.iter().copied()) {
                Some(m) => format!("unknown key `{field}` (did you mean `{m}`?)"),
                None => format!(
                    "unknown key `{field}` (expected one of {})",
                    expected
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
    }
    if message.contains("duplicate key `ignore`") {
        return "duplicate key `ignore`: to list rule ids and `[[ignore]]` entries together, write \
                them in one array: `ignore = [\"rule-id\", { path = \"...\", rule = \"...\", reason = \"...\" }]`"
            .into();
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        if let Some((field, _)) = rest.split_once('`') {
            return format!("missing key `{field}`");
        }
    }
    message.to_string()
}

/// Globs for one user pattern: `name` matches at any depth, `a/b` from the config folder, and a
/// folder pattern covers what is inside.
fn globs_for(pattern: &str) -> Result<Vec<globset::Glob>, String> {
    let trimmed = pattern.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(format!("empty glob pattern `{pattern}`"));
    }
    let anchored = trimmed.contains('/');
    let base = trimmed.trim_start_matches("./").trim_start_matches('/');
    let base = if anchored || base.starts_with("**") {
        base.to_string()
    } else {
        format!("**/{base}")
    };
    [base.clone(), format!("{base}/**")]
        .iter()
        .map(|p| {
            GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("invalid glob `{pattern}`: {}", e.kind()))
        })
        .collect()
}

fn compile_glob(pattern: &str) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for g in globs_for(pattern)? {
        set.add(g);
    }
    set.build()
        .map_err(|e| format!("invalid glob `{pattern}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(
            Path::new("iamlint.toml"),
            text,
            Path::new("/repo"),
            Some(Path::new("/repo")),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn baseline_is_relative_to_the_config_and_inside_the_root() {
        let config = parse("baseline = \".iamlint-baseline.json\"").expect("parses");
        assert_eq!(
            config.baseline.as_deref(),
            Some(Path::new("/repo/.iamlint-baseline.json"))
        );
        assert_eq!(parse("").expect("parses").baseline, None);
        let err = parse("baseline = \"../outside.json\"").unwrap_err();
        assert!(
            err.contains("baseline file `../outside.json` is outside the repository root"),
            "{err}"
        );
    }

    #[test]
    fn fail_on_takes_none_as_the_flag_does() {
        let config = parse("fail-on = \"none\"").expect("parses");
        assert_eq!(config.fail_on, Some(Threshold::Never));
        let err = parse("fail-on = \"nome\"").unwrap_err();
        assert!(err.contains("did you mean `none`?"), "{err}");
    }

    #[test]
    fn reads_every_key() {
        let config = parse(
            r#"
select = ["resource-star", "wildcard-action"]
ignore = ["missing-version"]
fail-on = "error"
exclude = ["legacy/"]

[severity]
resource-star = "error"

[per-path-ignores]
"sandbox/**" = ["wildcard-action"]
"#,
        )
        .unwrap();
        assert_eq!(
            config.select,
            Some(vec![RuleId::ResourceStar, RuleId::WildcardAction])
        );
        assert_eq!(config.ignore, vec![RuleId::MissingVersion]);
        assert_eq!(config.fail_on, Some(Threshold::At(Severity::Error)));
        assert_eq!(config.severity[&RuleId::ResourceStar], Severity::Error);
        assert!(config.paths.is_excluded(Path::new("/repo/legacy/a/b.json")));
        assert!(config.paths.is_excluded(Path::new("/repo/x/legacy/b.json")));
        assert!(!config.paths.is_excluded(Path::new("/repo/legacy.json")));
        let ignores = config.paths.for_file(Path::new("/repo/sandbox/a/p.json"));
        assert_eq!(ignores.rules, vec![RuleId::WildcardAction]);
        assert!(config.paths.for_file(Path::new("/repo/p.json")).is_empty());
    }

    #[test]
    fn ignore_entries_and_rule_ids_share_the_key() {
        let config = parse(
            r#"
[[ignore]]
path = "policies/ci.json"
rule = "resource-star"
sid = "Pull"
reason = "cannot be scoped"
"#,
        )
        .unwrap();
        let ignores = config.paths.for_file(Path::new("/repo/policies/ci.json"));
        assert_eq!(ignores.entries.len(), 1);
        assert_eq!(ignores.entries[0].sid.as_deref(), Some("Pull"));
        assert!(config
            .paths
            .for_file(Path::new("/repo/other/policies/ci.json"))
            .is_empty());
        let mixed = parse(
            r#"ignore = ["missing-version", { path = "a.json", rule = "resource-star", line = 3, reason = "r" }]"#,
        )
        .unwrap();
        assert_eq!(mixed.ignore, vec![RuleId::MissingVersion]);
        assert_eq!(mixed.paths.entries[0].1.line, Some(3));
    }

    #[test]
    fn errors_are_located_and_suggest() {
        assert_eq!(
            parse("selct = []").unwrap_err(),
            "iamlint.toml:1:1: unknown key `selct` (did you mean `select`?)"
        );
        assert_eq!(
            parse("\nselect = [\"resource-str\"]").unwrap_err(),
            "iamlint.toml:2:11: unknown rule `resource-str` (did you mean `resource-star`?)"
        );
        assert_eq!(
            parse("[severity]\nresource-star = \"eror\"").unwrap_err(),
            "iamlint.toml:2:17: unknown severity `eror` (expected `error`, `warning` or `info`, did you mean `error`?)"
        );
        assert_eq!(
            parse("[severity]\nresorce-star = \"error\"").unwrap_err(),
            "iamlint.toml:2:1: unknown rule `resorce-star` (did you mean `resource-star`?)"
        );
        let err = parse("[[ignore]]\npath = \"a.json\"\nrule = \"resource-star\"").unwrap_err();
        assert!(err.contains("needs a `reason`"), "{err}");
        let err = parse("[[ignore]]\npath = \"a.json\"\nrule = \"resource-star\"\nreasn = \"x\"")
            .unwrap_err();
        assert!(
            err.contains("unknown key `reasn` (did you mean `reason`?)"),
            "{err}"
        );
        let err = parse("ignore = [\"x\"]\n[[ignore]]\n").unwrap_err();
        assert!(err.contains("in one array"), "{err}");
        let err = parse("exclude = [\"a[\"]").unwrap_err();
        assert!(
            err.starts_with("iamlint.toml:1:12: invalid glob `a[`"),
            "{err}"
        );
        let err = parse("recipe-dirs = [\"nope\"]").unwrap_err();
        assert!(err.contains("recipe folder `nope` does not exist"), "{err}");
        // Outside the repository: refused before looking, whether it exists or not.
        for dir in ["../", "/", "../no/such/folder"] {
            let err = parse(&format!("recipe-dirs = [\"{dir}\"]")).unwrap_err();
            assert!(err.contains("is outside the repository root"), "{err}");
        }
        for file in ["../etc/passwd", "/etc/passwd", "/no/such.tfvars"] {
            let err = parse(&format!("[terraform]\nvar-files = [\"{file}\"]")).unwrap_err();
            assert!(
                err.starts_with("iamlint.toml:2:14: variables file")
                    && err.contains("is outside the repository root"),
                "{err}"
            );
        }
    }

    #[test]
    fn placeholder_tokens_are_single_arn_fields() {
        let config = parse("[placeholders]\ntokens = [\"account-id\", \"{region}\"]").unwrap();
        assert_eq!(config.placeholder_tokens, ["account-id", "{region}"]);
        assert!(parse("").unwrap().placeholder_tokens.is_empty());
        for bad in ["", "a:b", "two words"] {
            let err = parse(&format!("[placeholders]\ntokens = [\"{bad}\"]")).unwrap_err();
            assert!(
                err.starts_with("iamlint.toml:2:11: placeholder token"),
                "{err}"
            );
        }
        let err = parse("[placeholders]\ntoken = []").unwrap_err();
        assert!(err.contains("unknown"), "{err}");
    }
}
