//! One side of a diff: the files under some paths, read by the same frontends `check` uses, with
//! their policies keyed by logical address.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::discover::{self, Discovered};
use crate::finding::Finding;
use crate::frontend;
use crate::lint::{self, LintOptions};
use crate::model::{FileModel, PolicyDoc};
use crate::output::Resolver;
use crate::principal::Facts;
use crate::rules::RuleId;
use crate::source::{SourceFile, SourceMap, Span};

/// One linted file of a side.
pub struct SideFile {
    /// The main file's path relative to the side's root, with `/` separators.
    pub rel: String,
    pub sources: SourceMap,
    /// The file's model; the documents and attachments of principals are in [`Side::principals`].
    pub model: FileModel,
    /// `privilege-escalation` findings on this file's documents that belong to no principal
    /// (a principal's paths are found on the principal, across its documents).
    pub escalations: Vec<Finding>,
    /// The index of this file's facts in [`Side::principals`], when it has some.
    pub facts: Option<usize>,
}

/// Everything read on one side.
pub struct Side {
    /// What the side is: a revision and its commit, a path, "working tree".
    pub label: String,
    /// The folder paths are shown relative to.
    pub root: PathBuf,
    pub files: Vec<SideFile>,
    /// Input errors, as `path:line:col: message`.
    pub errors: Vec<String>,
    /// For `diff OLD NEW` on two files: the name both are known by, so that they match.
    pub rename: Option<String>,
    /// The principal model of the side ([`crate::principal`]), built from its files' facts.
    pub principals: crate::principal::Model,
    /// Folders whose `.tf` files another folder of the side calls as a module: their resources
    /// are compared through the callers' instances, not again as a root of their own.
    pub called: std::collections::HashSet<PathBuf>,
    /// The side's config path rules (`exclude`, per-path ignores, `[[ignore]]`): whether a
    /// suppression by config was the base's ([`super::principals::suppression`]).
    pub paths: crate::config::PathRules,
    /// The commit the side was read from (the base of `--base`), for links to its lines.
    pub commit: Option<String>,
}

/// A policy of a side, with the address it is matched by.
pub struct Policy<'a> {
    pub address: String,
    pub file: &'a SideFile,
    pub doc: &'a PolicyDoc,
}

impl Side {
    /// Reads the files `discovered` (under `root`; [`super::scope::discover`] chose them).
    pub fn load(
        label: String,
        root: PathBuf,
        discovered: Vec<Discovered>,
        opts: &LintOptions,
    ) -> Side {
        let escalation = LintOptions {
            select: Some(vec![RuleId::PrivilegeEscalation]),
            ..opts.clone()
        };
        let results: Vec<Result<(SideFile, Option<Facts>), String>> = discovered
            .into_par_iter()
            .filter_map(|d| read(d, &root, &escalation))
            .collect();
        let mut files = Vec::new();
        let mut errors = Vec::new();
        let mut facts: Vec<Facts> = Vec::new();
        for result in results {
            match result {
                Ok((mut file, f)) => {
                    if let Some(f) = f {
                        file.facts = Some(facts.len());
                        facts.push(f);
                    }
                    for e in &file.model.errors {
                        let at = match e.span {
                            Some(span) => {
                                let loc = file.sources.locate(span);
                                format!(
                                    "{}:{}:{}",
                                    relative(&root, &file.sources.get(span.file).path),
                                    loc.start.line,
                                    loc.start.column
                                )
                            }
                            None => relative(&root, &file.sources.get(e.file).path),
                        };
                        errors.push(format!("{at}: {}", e.message));
                    }
                    files.push(file);
                }
                Err(e) => errors.push(e),
            }
        }
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        for (i, file) in files.iter().enumerate() {
            if let Some(fi) = file.facts {
                facts[fi].report = i;
            }
        }
        errors.sort();
        errors.dedup();
        let called = called_folders(&files);
        Side {
            label,
            root,
            files,
            errors,
            rename: None,
            principals: crate::principal::build(facts),
            called,
            paths: opts.paths.clone(),
            commit: None,
        }
    }

    /// True when the file is a module's that another folder of the side calls.
    pub fn is_called(&self, file: &SideFile) -> bool {
        file.sources.main().path.parent().is_some_and(|d| {
            self.called
                .contains(&crate::root::normalize(&crate::root::absolute(d)))
        })
    }

    /// The file's key: Terraform files by folder (a resource moved between the files of a module
    /// is the same resource), other files by path.
    fn key_of(&self, file: &SideFile) -> String {
        if let Some(name) = &self.rename {
            return name.clone();
        }
        if file.rel.ends_with(".tf") {
            match file.rel.rfind('/') {
                Some(i) => file.rel[..i + 1].to_string(),
                None => String::new(),
            }
        } else {
            file.rel.clone()
        }
    }

    /// Every policy with its address: `folder/aws_iam_policy.x.policy` for Terraform,
    /// `file.json` or `template.yaml:<path>` otherwise. The same address twice (a
    /// CloudFormation condition's variants) gets `#2`, `#3`.
    pub fn policies(&self) -> Vec<Policy<'_>> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        let linked = &self.principals.linked_docs();
        for file in &self.files {
            if self.is_called(file) {
                continue;
            }
            let key = self.key_of(file);
            // Documents of no principal: the file's own, and principal facts no principal reads
            // (a customer managed policy attached to nothing in the tree).
            let unlinked = file.facts.into_iter().flat_map(|fi| {
                self.principals.facts[fi]
                    .docs
                    .iter()
                    .enumerate()
                    .filter(move |(di, _)| !linked.contains(&(fi, *di)))
                    .map(|(_, d)| d)
            });
            let docs: Vec<&PolicyDoc> = file.model.docs.iter().chain(unlinked).collect();
            for doc in docs {
                let mut address = if key.ends_with('/') || key.is_empty() {
                    format!("{key}{}", doc.path)
                } else if doc.path.is_empty() {
                    key.clone()
                } else {
                    format!("{key}:{}", doc.path)
                };
                let n = seen.entry(address.clone()).or_default();
                *n += 1;
                if *n > 1 {
                    // A Terraform document seen from two files of one folder is one document.
                    if key.ends_with('/') || key.is_empty() {
                        continue;
                    }
                    address.push_str(&format!("#{n}"));
                }
                out.push(Policy { address, file, doc });
            }
        }
        out
    }

    /// Positions in this side's files ([`Locator`]).
    pub fn locator(&self) -> Locator<'_> {
        Locator {
            side: self,
            resolvers: self
                .files
                .iter()
                .map(|f| (f as *const SideFile as usize, Resolver::new(&f.sources)))
                .collect(),
        }
    }
}

/// Positions in a side's files through `check`'s resolver: a file's character table is built
/// once, so thousands of changes on one line of a minified policy cost no more than a few
/// (counting the characters from the line's start for each was quadratic).
pub struct Locator<'a> {
    side: &'a Side,
    /// By the address of the file.
    resolvers: HashMap<usize, Resolver<'a>>,
}

impl Locator<'_> {
    /// `path:line:col` of a span of `file`, relative to the side's root.
    pub fn locate(&self, file: &SideFile, span: Span) -> (String, u32, u32) {
        let start = match self.resolvers.get(&(file as *const SideFile as usize)) {
            Some(resolver) => resolver.position(span.file, span.start),
            None => file.sources.locate(span).start,
        };
        (
            relative(&self.side.root, &file.sources.get(span.file).path),
            start.line,
            start.column,
        )
    }
}

fn read(
    d: Discovered,
    root: &Path,
    opts: &LintOptions,
) -> Option<Result<(SideFile, Option<Facts>), String>> {
    match d {
        Discovered::File {
            path,
            explicit,
            root: repository,
        } => {
            // `exclude` was applied when the files were chosen. The same reads as `check`: by
            // the path rule inside its repository root, a regular file, capped, and everything it
            // references confined to that root.
            let text = match crate::root::read_linted(&repository, &path, explicit)
                .map_err(|r| format!("cannot read file: {}", r.reason()))
                .and_then(crate::source::bytes_to_text)
            {
                Ok(text) => text,
                Err(e) => return Some(Err(format!("{}: {e}", relative(root, &path)))),
            };
            let mut sources = SourceMap::with_root(SourceFile::new(&path, text), repository);
            let format = discover::detect_format(&path, &sources.main().text);
            let mut model = frontend::parse_with(&mut sources, format, &opts.frontend);
            if !model.recognised && !explicit {
                return None;
            }
            let mut escalations = lint::run_rules(&model, &sources, opts);
            // Principals' documents go to the principal model, the rest stay in the file's.
            let (theirs, rest): (Vec<PolicyDoc>, Vec<PolicyDoc>) = std::mem::take(&mut model.docs)
                .into_iter()
                .partition(crate::principal::diffview::belongs_to_principals);
            let theirs_paths: std::collections::HashSet<String> =
                theirs.iter().map(|d| d.path.clone()).collect();
            model.docs = theirs;
            let facts = Facts::take(&mut model, &sources);
            if facts.is_some() {
                model.docs = rest;
                // A principal's escalation paths are found on the principal ([`super::principals`]).
                escalations.retain(|f| {
                    let doc = f
                        .logical_path
                        .as_deref()
                        .map(|p| p.split("/Statement[").next().unwrap_or(p))
                        .unwrap_or("");
                    !theirs_paths.contains(doc)
                });
            } else {
                model.docs.extend(rest);
            }
            Some(Ok((
                SideFile {
                    rel: relative(root, &path),
                    sources,
                    model,
                    escalations,
                    facts: None,
                },
                facts,
            )))
        }
        Discovered::Error { path, message } => {
            Some(Err(format!("{}: {message}", relative(root, &path))))
        }
        Discovered::Skipped { .. } => None,
    }
}

/// `path` relative to `root` with `/` separators; as given when it is not under `root`.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        text
    }
}

/// Folders whose `.tf` files are read by a file of another folder (a module call).
fn called_folders(files: &[SideFile]) -> std::collections::HashSet<PathBuf> {
    let norm = |p: &Path| crate::root::normalize(&crate::root::absolute(p));
    let mut out = std::collections::HashSet::new();
    for file in files {
        let main = file.sources.main();
        let Some(own) = main.path.parent().map(norm) else {
            continue;
        };
        for source in file.sources.files().iter().skip(1) {
            if !source
                .path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tf"))
            {
                continue;
            }
            if let Some(dir) = source.path.parent().map(norm) {
                if dir != own {
                    out.insert(dir);
                }
            }
        }
    }
    out
}
