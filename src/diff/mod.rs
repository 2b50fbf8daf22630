//! `iamlint diff`: the permission delta between two versions of a tree.
//!
//! Both sides are read by the frontends `check` uses (modules, tfvars, CloudFormation
//! intrinsics); policies are matched by logical address and compared semantically
//! ([`delta`]): actions expanded through the catalog, resources, principals, conditions,
//! attached managed policies ([`crate::recipes::grants`]) and `privilege-escalation` findings.
//! The base side of `--base REF` is read from the repository with gitoxide ([`git`]).

pub mod delta;
pub mod git;
pub mod links;
mod principals;
mod render;
pub mod scope;
pub mod side;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::catalog::AccessLevels;
use crate::discover;
use crate::finding::Finding;
use crate::lint::LintOptions;
use crate::vars::{VarArgs, VarSetting};

use delta::{Grants, Raw};
use side::Side;

/// Arguments of `iamlint diff`.
#[derive(clap::Args, Debug, Default)]
#[command(after_help = DIFF_HELP)]
pub struct DiffArgs {
    /// Git revision to compare the working tree with (`main`, `origin/main`, `HEAD~1`, a commit)
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,

    /// With --base: files or folders to compare [default: the repository]. Without: OLD and NEW
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,

    /// Exit with 1 when a change at or above this level is found
    #[arg(long, value_enum, default_value_t = FailOn::Widening)]
    pub fail_on: FailOn,

    /// Write the output to FILE instead of stdout (`-`: stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Markdown: link each place to URL followed by the file's path and `#L<line>`
    /// (`https://github.com/OWNER/REPO/blob/SHA/`). Without it, `--base` links to the forge
    /// on GitHub Actions and GitLab CI (from their environment), elsewhere not at all
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,

    /// Terraform variables, applied on both sides.
    #[command(flatten)]
    pub vars: VarArgs,

    /// When to use colour in human output, as `check --color`; with `auto`, NO_COLOR turns it off
    /// and FORCE_COLOR or CLICOLOR_FORCE (not `0`) turn it on
    #[arg(long, value_enum, default_value_t = DiffColor::Auto)]
    pub color: DiffColor,
}

const DIFF_HELP: &str = "Examples:
  iamlint diff --base origin/main              what this branch grants that main did not
  iamlint diff --base HEAD~1 infra/            the last commit's change under infra/
  iamlint diff old/ new/                       two checkouts (or two files)
  iamlint diff --base main --format markdown >> \"$GITHUB_STEP_SUMMARY\"

Exit codes: 0 no change at or above --fail-on, 1 changes at or above it, 2 usage or input errors.";

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiffFormat {
    /// Changes grouped by policy, widenings first
    #[default]
    Human,
    /// One JSON document (see docs/diff.md)
    Json,
    /// A table and collapsible details, for a pull-request comment or the step summary
    Markdown,
    /// GitHub Actions annotations on the changed lines
    Github,
}

/// `--color`, as `check` takes it.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiffColor {
    #[default]
    Auto,
    Always,
    Never,
}

impl DiffColor {
    /// Whether to colour: `auto` follows NO_COLOR (set and not empty: off), then FORCE_COLOR or
    /// CLICOLOR_FORCE (set, not empty, not `0`: on), then whether `terminal`.
    fn enabled(self, var: impl Fn(&str) -> Option<String>, terminal: bool) -> bool {
        match self {
            DiffColor::Always => true,
            DiffColor::Never => false,
            DiffColor::Auto => {
                if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                    return false;
                }
                let forced = |name: &str| var(name).is_some_and(|v| !v.is_empty() && v != "0");
                forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") || terminal
            }
        }
    }
}

/// The level of change that fails the run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailOn {
    /// Never fail on changes
    None,
    /// Any widening
    #[default]
    Widening,
    /// Widenings that grant Write (or Permissions management) actions, or open an escalation path
    Write,
    /// Widenings that grant Permissions management actions, or open an escalation path
    PermissionsManagement,
    /// Privilege-escalation paths that become reachable, or exposure
    Escalation,
    /// A role or resource opened to anyone, another account or any identity of an OIDC
    /// provider (the top of the scale: every level but `none` fails on it)
    Exposure,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::None => "none",
            FailOn::Widening => "widening",
            FailOn::Write => "write",
            FailOn::PermissionsManagement => "permissions-management",
            FailOn::Escalation => "escalation",
            FailOn::Exposure => "exposure",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    Widening,
    Narrowing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Widening => "widening",
            Direction::Narrowing => "narrowing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    EscalationAdded,
    PolicyAdded,
    ManagedPolicyAttached,
    ActionsAdded,
    ResourceWidened,
    PrincipalAdded,
    ConditionRemoved,
    DenyRemoved,
    PolicyRemoved,
    ManagedPolicyDetached,
    ActionsRemoved,
    ResourceNarrowed,
    PrincipalRemoved,
    ConditionAdded,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ActionsAdded => "actions-added",
            Kind::ActionsRemoved => "actions-removed",
            Kind::ResourceWidened => "resource-widened",
            Kind::ResourceNarrowed => "resource-narrowed",
            Kind::PrincipalAdded => "principal-added",
            Kind::PrincipalRemoved => "principal-removed",
            Kind::ManagedPolicyAttached => "managed-policy-attached",
            Kind::ManagedPolicyDetached => "managed-policy-detached",
            Kind::ConditionRemoved => "condition-removed",
            Kind::ConditionAdded => "condition-added",
            Kind::DenyRemoved => "deny-removed",
            Kind::EscalationAdded => "escalation-added",
            Kind::PolicyAdded => "policy-added",
            Kind::PolicyRemoved => "policy-removed",
        }
    }
}

/// One located change.
#[derive(Debug, Clone)]
pub struct Change {
    pub direction: Direction,
    pub kind: Kind,
    /// The policy's logical address.
    pub policy: String,
    /// Repository-relative path (head side for what is there, base side for what was removed).
    pub path: String,
    pub line: u32,
    pub column: u32,
    /// True when the location is in the head side.
    pub in_head: bool,
    pub message: String,
    /// The first [`delta::MAX_KEPT_ACTIONS`] action names, sorted.
    pub actions: Vec<String>,
    /// How many actions the change has.
    pub actions_total: usize,
    pub access_levels: BTreeMap<&'static str, usize>,
    /// False when an unknown value (a variable without a value, a resource attribute) keeps the
    /// change from being judged: it is reported as a possible widening.
    pub judged: bool,
    /// The highest level the change reaches, for `--fail-on`.
    pub level: FailOn,
    /// A suppression this change added (a comment or config entry the base side did not have)
    /// matches it: shown as such, and still counted.
    pub suppressed_by_change: bool,
}

/// The whole diff.
#[derive(Debug, Default)]
pub struct DiffReport {
    pub base: String,
    pub head: String,
    pub changes: Vec<Change>,
    /// Input errors of the head side (exit code 2).
    pub errors: Vec<String>,
    /// Input errors of the base side (shown; the policies of such a file count as added).
    pub base_errors: Vec<String>,
    /// Who can assume each principal with changes, by the name changes give it ([`Change::policy`]),
    /// read from its head-side trust policies: `Service ec2.amazonaws.com`, `AWS * (public)`.
    pub assumable_by: BTreeMap<String, Vec<String>>,
}

impl DiffReport {
    pub fn widenings(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.direction == Direction::Widening)
            .count()
    }

    pub fn narrowings(&self) -> usize {
        self.changes.len() - self.widenings()
    }

    pub fn exit_code(&self, fail_on: FailOn) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if fail_on != FailOn::None
            && self
                .changes
                .iter()
                .any(|c| c.direction == Direction::Widening && c.level >= fail_on)
        {
            1
        } else {
            0
        }
    }
}

/// The level a widening reaches: exposure, escalation, else from the access levels of what it
/// grants.
fn level_of(raw: &Raw) -> FailOn {
    if raw.not_effective {
        return FailOn::None;
    }
    if raw.exposure.is_some() {
        return FailOn::Exposure;
    }
    let (kind, levels) = (raw.kind, raw.levels);
    if kind == Kind::EscalationAdded {
        FailOn::Escalation
    } else if levels.contains(AccessLevels::PERMISSIONS_MANAGEMENT) {
        FailOn::PermissionsManagement
    } else if levels.contains(AccessLevels::WRITE) || levels.contains(AccessLevels::TAGGING) {
        FailOn::Write
    } else {
        FailOn::Widening
    }
}

/// Compares two sides.
pub fn compare(base: &Side, head: &Side) -> DiffReport {
    let base_policies = base.policies();
    let head_policies = head.policies();
    let by_address: HashMap<&str, &side::Policy<'_>> = base_policies
        .iter()
        .map(|p| (p.address.as_str(), p))
        .collect();
    let head_addresses: HashSet<&str> = head_policies.iter().map(|p| p.address.as_str()).collect();
    let mut changes: Vec<Change> = Vec::new();
    let (base_at, head_at) = (base.locator(), head.locator());
    let locate = |raw: Raw,
                  policy: &str,
                  file_b: Option<&side::SideFile>,
                  file_h: Option<&side::SideFile>| {
        let (side, file) = if raw.head {
            (&head_at, file_h)
        } else {
            (&base_at, file_b)
        };
        let (path, line, column) = match file {
            Some(f) => side.locate(f, raw.span),
            None => (String::new(), 0, 0),
        };
        Change {
            level: level_of(&raw),
            direction: raw.direction,
            kind: raw.kind,
            policy: policy.to_string(),
            path,
            line,
            column,
            in_head: raw.head,
            message: raw.message,
            actions: raw.actions,
            actions_total: raw.actions_total,
            access_levels: raw.access_levels,
            judged: raw.judged,
            suppressed_by_change: false,
        }
    };
    // Matched policies and policies added, in parallel (each expands its actions).
    use rayon::prelude::*;
    let found: Vec<Vec<Change>> = head_policies
        .par_iter()
        .map(|h| {
            let mut raws = Vec::new();
            let b = by_address.get(h.address.as_str());
            match b {
                Some(b) => {
                    if delta::fingerprint(b.doc) != delta::fingerprint(h.doc) {
                        let (gb, gh) = (Grants::of(b.doc), Grants::of(h.doc));
                        delta::compare(&gb, &gh, &mut raws);
                    }
                }
                None => raws.push(delta::whole(&Grants::of(h.doc), true, what(h.doc))),
            }
            raws.into_iter()
                .map(|r| locate(r, &h.address, b.map(|b| b.file), Some(h.file)))
                .collect()
        })
        .collect();
    changes.extend(found.into_iter().flatten());
    for b in &base_policies {
        if !head_addresses.contains(b.address.as_str()) {
            let raw = delta::whole(&Grants::of(b.doc), false, what(b.doc));
            changes.push(locate(raw, &b.address, Some(b.file), None));
        }
    }
    let assumable_by = principals::compare(base, head, (&base_at, &head_at), &mut changes);
    escalations(
        base,
        head,
        &head_at,
        (&base_policies, &head_policies),
        &mut changes,
    );
    changes.sort_by(|a, b| {
        (
            a.direction,
            &a.policy,
            a.kind,
            &a.path,
            a.line,
            a.column,
            &a.message,
        )
            .cmp(&(
                b.direction,
                &b.policy,
                b.kind,
                &b.path,
                b.line,
                b.column,
                &b.message,
            ))
    });
    DiffReport {
        base: base.label.clone(),
        head: head.label.clone(),
        changes,
        errors: head.errors.clone(),
        base_errors: base.errors.clone(),
        assumable_by,
    }
}

fn what(doc: &crate::model::PolicyDoc) -> &'static str {
    match doc.kind {
        crate::model::PolicyKind::Trust => "trust policy",
        crate::model::PolicyKind::Resource => "resource policy",
        crate::model::PolicyKind::Boundary => "permissions boundary",
        _ => "policy",
    }
}

/// `privilege-escalation` findings of the head side on documents of no principal: those with a
/// path (by name, from the finding's data) that the same policy (by address, in the same folder
/// or file) did not reach on the base side.
fn escalations(
    base: &Side,
    head: &Side,
    head_at: &side::Locator<'_>,
    (base_policies, head_policies): (&[side::Policy<'_>], &[side::Policy<'_>]),
    out: &mut Vec<Change>,
) {
    type Addresses<'p> = HashMap<(*const side::SideFile, &'p str), &'p str>;
    // The address of each policy by its file and document path.
    fn addresses<'p>(policies: &'p [side::Policy<'_>]) -> Addresses<'p> {
        policies
            .iter()
            .rev()
            .map(|p| {
                (
                    (p.file as *const side::SideFile, p.doc.path.as_str()),
                    p.address.as_str(),
                )
            })
            .collect()
    }
    let (base_addresses, head_addresses) = (addresses(base_policies), addresses(head_policies));
    // The folder (Terraform) or file, and the policy address, a finding is on.
    let place = |side: &Side, addresses: &Addresses<'_>, file: &side::SideFile, f: &Finding| {
        let scope = side.rename.clone().unwrap_or_else(|| {
            if file.rel.ends_with(".tf") {
                file.rel.rsplit_once('/').map_or("", |(d, _)| d).to_string()
            } else {
                file.rel.clone()
            }
        });
        let doc_path = f
            .logical_path
            .as_deref()
            .map(|p| p.split("/Statement[").next().unwrap_or(p))
            .unwrap_or("");
        let policy = addresses
            .get(&(file as *const side::SideFile, doc_path))
            .map_or_else(|| file.rel.clone(), |a| a.to_string());
        (scope, policy)
    };
    let before: HashSet<(String, String, &'static str)> = base
        .files
        .iter()
        .flat_map(|f| f.escalations.iter().map(move |e| (f, e)))
        .flat_map(|(f, e)| {
            let (scope, policy) = place(base, &base_addresses, f, e);
            e.escalation
                .iter()
                .map(move |p| (scope.clone(), policy.clone(), p.name))
        })
        .collect();
    for file in &head.files {
        for finding in &file.escalations {
            let (scope, policy) = place(head, &head_addresses, file, finding);
            if finding
                .escalation
                .iter()
                .all(|p| before.contains(&(scope.clone(), policy.clone(), p.name)))
            {
                continue;
            }
            // A suppression may hide it only when the base side had it too.
            let new_suppression = finding.suppressed
                && principals::suppression(
                    head,
                    base,
                    file,
                    &file.model.suppressions,
                    finding,
                    true,
                ) != Some(false);
            if finding.suppressed && !new_suppression {
                continue;
            }
            out.push(principals::escalation_change(
                policy,
                file,
                finding,
                new_suppression,
                head_at,
            ));
        }
    }
}

/// What `iamlint diff` produced, for the command line to write: nothing below the CLI prints.
pub struct Ran {
    /// The rendered report.
    pub text: Vec<u8>,
    /// Where to write it (`None`: stdout; `-o -` is stdout too).
    pub output_file: Option<std::path::PathBuf>,
    /// Input errors to show on stderr (the human report lists them itself: empty then).
    pub errors: Vec<String>,
    /// The exit code for `--fail-on`.
    pub code: u8,
}

/// Runs `iamlint diff`; `Err` is a usage, input or config error (exit 2), unescaped.
pub fn run(args: &DiffArgs) -> Result<Ran, String> {
    VarSetting::validate(&args.vars.settings)?;
    // A `--link-base` that is not an https URL of a host is a usage error, before any work.
    let explicit = match args.link_base.as_deref().map(links::Links::explicit) {
        None => None,
        Some(Ok(links)) => Some(links),
        Some(Err(e)) => return Err(e),
    };
    let sides = match &args.base {
        Some(rev) => git_sides(rev, &args.paths, &args.vars.settings),
        None => path_sides(&args.paths, &args.vars.settings),
    };
    let mut links = explicit;
    let report = match sides {
        Ok((base, head, _tmp, named)) => {
            // Paths are repository-relative with `--base` only: the forge's links need them so.
            if links.is_none() && args.base.is_some() {
                links = links::Links::from_env(base.commit.as_deref(), &|name| {
                    std::env::var(name).ok()
                });
            }
            let mut report = compare(&base, &head);
            if let Some(named) = named {
                report.changes.retain(|c| caused_by(&c.path, &named));
                let at = |e: &String| caused_by(e.split(':').next().unwrap_or(""), &named);
                report.errors.retain(at);
                report.base_errors.retain(at);
            }
            report
        }
        // Input and config errors quote the repository's files: the CLI escapes them.
        Err(e) => return Err(e),
    };
    let mut text = Vec::new();
    // `-o -` is stdout, as `check` takes it.
    let output_file = args
        .output_file
        .as_deref()
        .filter(|path| *path != Path::new("-"));
    let color = args.color.enabled(
        |name| std::env::var(name).ok(),
        output_file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()),
    );
    render::render(&report, args.format, color, links.as_ref(), &mut text)
        .map_err(|e| format!("cannot write output: {e}"))?;
    let errors = if args.format == DiffFormat::Human {
        Vec::new()
    } else {
        report.errors.clone()
    };
    Ok(Ran {
        text,
        output_file: output_file.map(Path::to_path_buf),
        errors,
        code: report.exit_code(args.fail_on),
    })
}

/// The two sides, the temporary folder of the base (removed when dropped), and for a partial
/// run the named paths (repository-relative, `/`-separated) whose changes are reported.
type Sides = (Side, Side, Option<git::TempDir>, Option<Vec<String>>);

/// How one side is read, as `check` reads it: the side's own config (the `iamlint.toml` or
/// `.iamlint.toml` at its root, so a change to the config's variables or `exclude` is part of
/// the change), its Terraform variables (`var-files`, `vars`), then the command line's `--var-file`
/// and `--var`, which apply to both sides.
fn side_options(root: &Path, vars: &[VarSetting]) -> Result<LintOptions, String> {
    // As `check` discovers it: in a repository (the work tree, or the base's temporary folder
    // with its own `.git`), at the side's root only; outside any repository, up to the current
    // folder ([`crate::root::discovery_boundary`]).
    let boundary = crate::root::discovery_boundary(&crate::root::of(root));
    let config = match crate::config::nearest(root, &boundary) {
        Some(path) => crate::config::Config::load(&path, &boundary).map_err(|e| e.to_string())?,
        None => crate::config::Config::default(),
    };
    let mut opts = LintOptions {
        paths: config.paths,
        ..LintOptions::default()
    };
    opts.frontend.terraform_vars = config.terraform_vars;
    opts.frontend.terraform_vars.extend(vars.iter().cloned());
    opts.frontend.placeholder_tokens = config.placeholder_tokens;
    Ok(opts)
}

/// `--base REF [PATH...]`: the revision's tree, written under a temporary folder, and the
/// working tree.
fn git_sides(rev: &str, paths: &[PathBuf], vars: &[VarSetting]) -> Result<Sides, String> {
    // The path rule: a named path that leads out of its repository through a link is refused,
    // so `policies -> ../other-repo` never names another repository.
    let mut resolved = Vec::with_capacity(paths.len());
    for p in paths {
        resolved.push(match crate::root::resolve(p) {
            Ok(path) => path,
            // Gone from the working tree, maybe still in the revision.
            Err(crate::root::Refusal::Io { .. }) => crate::root::canonical(p),
            Err(refusal) => return Err(refusal.to_string()),
        });
    }
    let start = resolved
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let repo = git::Repo::discover(&start)?;
    let root = repo.workdir.clone();
    let mut rels: Vec<PathBuf> = Vec::new();
    if paths.is_empty() {
        rels.push(PathBuf::new());
    }
    for (p, abs) in paths.iter().zip(resolved) {
        let rel = abs.strip_prefix(&root).map_err(|_| {
            format!(
                "`{}` is outside the repository at `{}`",
                p.display(),
                root.display()
            )
        })?;
        rels.push(rel.to_path_buf());
    }
    // A partial run that touches Terraform (a folder, a `.tf` or variables file) reads the whole
    // repository, as `check`'s partial runs do, so that a module is seen with its callers and
    // tfvars; then it reports the changes located in the named paths (a variable's default, a
    // tfvars value, a module's body that widens a policy of its caller).
    let partial = !rels.iter().any(|r| r.as_os_str().is_empty())
        && rels.iter().any(|r| {
            let name = r.to_string_lossy().to_ascii_lowercase();
            root.join(r).is_dir()
                || name.ends_with(".tf")
                || name.ends_with(".tfvars")
                || name.ends_with(".tfvars.json")
        });
    let named: Option<Vec<String>> = partial.then(|| {
        rels.iter()
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .collect()
    });
    if partial {
        rels = vec![PathBuf::new()];
    }
    let tmp = git::TempDir::new()?;
    let written = repo.materialise(rev, tmp.path())?;
    let short: String = written.commit.chars().take(12).collect();
    let in_base: Vec<PathBuf> = rels
        .iter()
        .map(|r| tmp.path().join(r))
        .filter(|p| p.exists())
        .collect();
    let in_head: Vec<PathBuf> = rels.iter().map(|r| root.join(r)).collect();
    let (base_vars, base_notes) = base_var_files(vars, &repo, rev, &root, tmp.path())?;
    let base_opts = side_options(tmp.path(), &base_vars)?;
    let head_opts = side_options(&root, vars)?;
    let (base_found, head_found) = scoped(
        tmp.path(),
        &in_base,
        &base_opts,
        &root,
        &in_head,
        &head_opts,
    );
    let (mut base, head) = rayon::join(
        || {
            Side::load(
                format!("{rev} ({short})"),
                tmp.path().to_path_buf(),
                base_found,
                &base_opts,
            )
        },
        || {
            Side::load(
                "working tree".to_string(),
                root.clone(),
                head_found,
                &head_opts,
            )
        },
    );
    base.errors.extend(base_notes);
    base.errors.extend(written.notes);
    base.commit = Some(written.commit);
    Ok((base, head, Some(tmp), named))
}

/// The command line's settings for the base side of `--base`, which reads committed content
/// only. A `--var-file` inside the repository (its path as typed, `.` and `..` taken
/// lexically) is read from the revision's blob at that path ([`git::Repo::blob_at`], a link
/// there refused) and copied under the base tree, its own root; one outside the repository is
/// the user's, read as named by both sides. A file the revision does not have gives a note
/// (returned beside the settings) and the base side is read without it.
fn base_var_files(
    vars: &[VarSetting],
    repo: &git::Repo,
    rev: &str,
    root: &Path,
    base: &Path,
) -> Result<(Vec<VarSetting>, Vec<String>), String> {
    let mut out = Vec::with_capacity(vars.len());
    let mut notes = Vec::new();
    for setting in vars {
        let VarSetting::File(path) = setting else {
            out.push(setting.clone());
            continue;
        };
        let lexical = crate::root::normalize(&crate::root::absolute(path));
        let Ok(rel) = lexical.strip_prefix(root) else {
            if crate::root::entered_root(&[root.to_path_buf()], path).is_some() {
                // Into the repository through a link of the user's: which committed file it
                // names is not known without following the tree's own links.
                return Err(format!(
                    "variables file `{}` enters the repository through a link: name it by its \
                     path in the repository",
                    path.display()
                ));
            }
            out.push(setting.clone());
            continue;
        };
        let bytes = repo
            .blob_at(rev, rel, crate::root::MAX_REFERENCED_BYTES)
            .map_err(|e| {
                format!(
                    "cannot read variables file `{}` for the base side: {e}",
                    path.display()
                )
            })?;
        let Some(bytes) = bytes else {
            notes.push(format!(
                "{}: variables file not in `{rev}`: the base side is read without it",
                rel.display()
            ));
            continue;
        };
        let copy = base.join(".iamlint-diff-vars").join(rel);
        let written = git::signals::guard(|| {
            copy.parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&copy, bytes))
        });
        written.map_err(|e| format!("cannot copy variables file `{}`: {e}", path.display()))?;
        out.push(VarSetting::File(copy));
    }
    Ok((out, notes))
}

/// The files each side compares ([`scope`]): the base side's by its own settings, the head
/// side's by either side's, so that the change cannot take its own files out of the comparison.
fn scoped(
    base_root: &Path,
    base_paths: &[PathBuf],
    base_opts: &LintOptions,
    head_root: &Path,
    head_paths: &[PathBuf],
    head_opts: &LintOptions,
) -> (Vec<discover::Discovered>, Vec<discover::Discovered>) {
    use std::sync::Arc;
    let base_settings = Arc::new(scope::Settings::new(
        base_root.to_path_buf(),
        base_opts.paths.clone(),
    ));
    let head_settings = Arc::new(scope::Settings::new(
        head_root.to_path_buf(),
        head_opts.paths.clone(),
    ));
    // The base's settings judge the head's files by their paths under the base's root.
    (
        scope::discover(base_root, base_paths, &[Arc::clone(&base_settings)]),
        scope::discover(head_root, head_paths, &[head_settings, base_settings]),
    )
}

/// `OLD NEW`: two files or two folders.
fn path_sides(paths: &[PathBuf], vars: &[VarSetting]) -> Result<Sides, String> {
    let [old, new] = paths else {
        return Err(
            "give `--base REF` (and optional paths), or two paths: `iamlint diff OLD NEW`"
                .to_string(),
        );
    };
    for p in [old, new] {
        if !p.exists() {
            return Err(format!("cannot read `{}`: not found", p.display()));
        }
    }
    if old.is_dir() != new.is_dir() {
        return Err("compare two files or two folders, not one of each".to_string());
    }
    let mut resolved = Vec::with_capacity(2);
    for p in [old, new] {
        // The path rule, as `check` takes a named path.
        resolved.push(crate::root::resolve(p).map_err(|r| r.to_string())?);
    }
    let root_of = |abs: &Path| {
        let abs = abs.to_path_buf();
        let root = if abs.is_dir() {
            abs.clone()
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone())
        };
        (abs, root)
    };
    let ((old_abs, old_root), (new_abs, new_root)) = (root_of(&resolved[0]), root_of(&resolved[1]));
    let (old_opts, new_opts) = (
        side_options(&old_root, vars)?,
        side_options(&new_root, vars)?,
    );
    let (old_found, new_found) = scoped(
        &old_root,
        &[old_abs],
        &old_opts,
        &new_root,
        &[new_abs],
        &new_opts,
    );
    let (mut base, mut head) = rayon::join(
        || Side::load(old.display().to_string(), old_root, old_found, &old_opts),
        || Side::load(new.display().to_string(), new_root, new_found, &new_opts),
    );
    if !new.is_dir() {
        let name = new
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        base.rename = Some(name.clone());
        head.rename = Some(name);
    }
    Ok((base, head, None, None))
}

/// Whether a change located at `path` (repository-relative) is in one of the `named` paths.
fn caused_by(path: &str, named: &[String]) -> bool {
    named.iter().any(|n| {
        let n = n.trim_end_matches('/');
        path == n
            || path
                .strip_prefix(n)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}
