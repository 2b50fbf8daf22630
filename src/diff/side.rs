//! One side of a diff: the files under some paths, read by the same frontends `check` uses, with
//! their policies keyed by logical address.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::discover::{self, Discovered};
use crate::finding::Finding;
use crate::frontend;
use crate::lint::{self, LintOptions};
use crate::model::{Attachment, FileModel, PolicyDoc};
use crate::output::Resolver;
use crate::rules::RuleId;
use crate::source::{SourceFile, SourceMap, Span};

/// One linted file of a side.
pub struct SideFile {
    /// The main file's path relative to the side's root, with `/` separators.
    pub rel: String,
    pub sources: SourceMap,
    pub model: FileModel,
    /// `privilege-escalation` findings on this file's documents.
    pub escalations: Vec<Finding>,
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
}

/// A policy of a side, with the address it is matched by.
pub struct Policy<'a> {
    pub address: String,
    pub file: &'a SideFile,
    pub doc: &'a PolicyDoc,
}

/// An attachment of a side, with the key it is matched by.
pub struct Attached<'a> {
    /// Folder or file, the principal (or the attachment's address) and the policy ARN as written.
    pub key: (String, String, String),
    pub file: &'a SideFile,
    pub attachment: &'a Attachment,
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
        let results: Vec<Result<SideFile, String>> = discovered
            .into_par_iter()
            .filter_map(|d| read(d, &root, &escalation))
            .collect();
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(file) => {
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
        errors.sort();
        errors.dedup();
        Side {
            label,
            root,
            files,
            errors,
            rename: None,
        }
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
        for file in &self.files {
            let key = self.key_of(file);
            for doc in &file.model.docs {
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

    /// Every attachment that grants (permissions boundaries limit, they are left out).
    pub fn attachments(&self) -> Vec<Attached<'_>> {
        let mut out: Vec<Attached<'_>> = Vec::new();
        let mut seen: std::collections::HashSet<(String, String, String)> =
            std::collections::HashSet::new();
        for file in &self.files {
            let key = self.key_of(file);
            for attachment in &file.model.attachments {
                if attachment.is_permissions_boundary() {
                    continue;
                }
                let to = attachment
                    .origin
                    .attached_to
                    .clone()
                    .or_else(|| attachment.origin.address.clone())
                    .unwrap_or_default();
                let k = (key.clone(), to, attachment.policy_arn.value.text());
                if !seen.insert(k.clone()) {
                    continue;
                }
                out.push(Attached {
                    key: k,
                    file,
                    attachment,
                });
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

fn read(d: Discovered, root: &Path, opts: &LintOptions) -> Option<Result<SideFile, String>> {
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
                .and_then(lint::bytes_to_text)
            {
                Ok(text) => text,
                Err(e) => return Some(Err(format!("{}: {e}", relative(root, &path)))),
            };
            let mut sources = SourceMap::with_root(SourceFile::new(&path, text), repository);
            let format = discover::detect_format(&path, &sources.main().text);
            let model = frontend::parse_with(&mut sources, format, &opts.frontend);
            if !model.recognised && !explicit {
                return None;
            }
            let escalations = lint::run_rules(&model, &sources, opts);
            Some(Ok(SideFile {
                rel: relative(root, &path),
                sources,
                model,
                escalations,
            }))
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
