//! `iamlint principals [PATH]`: one row per role, user and group of the tree: who can assume it,
//! what it may do by service and access level, its escalation paths and what could not be
//! resolved. Human (a table), JSON (the contract in `docs/principals.md`), Markdown and a
//! self-contained HTML report with an inline SVG graph.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::config::Config;
use crate::discover::Discovered;
use crate::lint::{self, LintOptions, Report};
use crate::model::action::wildcard_match;
use crate::principal::effective::{self, ActionSet, Entry, Expander};
use crate::principal::trust::{self, Trusted};
use crate::principal::{DocRef, Model, PolicySource, Principal, Unresolved};
use crate::rules::escalation::privilege_escalation::check_principal;
use crate::rules::RuleId;
use crate::source::Span;
use crate::vars::{VarArgs, VarSetting};

/// The version of the JSON contract (`docs/principals.md`).
pub const JSON_VERSION: u32 = 2;

#[derive(clap::Args, Debug, Default, Clone)]
pub struct PrincipalsArgs {
    /// Files or folders to read [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = PrincipalsFormat::Human)]
    pub format: PrincipalsFormat,

    /// Only principals whose name or address matches (`*` and `?` wildcards; repeatable)
    #[arg(long = "principal", value_name = "NAME")]
    pub principal: Vec<String>,

    /// Only principals granted an action of this access level (repeatable)
    #[arg(long = "access-level", value_enum, value_name = "LEVEL")]
    pub access_level: Vec<LevelArg>,

    /// With `--format json`: also list every (action, resource, conditions) each principal is
    /// granted (`expanded`; large: one entry per catalog action a pattern matches)
    #[arg(long)]
    pub expand: bool,

    /// Write the output to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Wrap the human table to this many columns [default: the terminal's width, else
    /// `$COLUMNS`; not wrapped when writing to a pipe or file]
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,

    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrincipalsFormat {
    /// A table
    #[default]
    Human,
    /// One JSON document (see docs/principals.md)
    Json,
    /// A Markdown table
    Markdown,
    /// A self-contained HTML report with a graph of principals, policies and escalation paths
    Html,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelArg {
    List,
    Read,
    Write,
    Tagging,
    PermissionsManagement,
}

impl LevelArg {
    fn name(self) -> &'static str {
        match self {
            LevelArg::List => "List",
            LevelArg::Read => "Read",
            LevelArg::Write => "Write",
            LevelArg::Tagging => "Tagging",
            LevelArg::PermissionsManagement => "Permissions management",
        }
    }
}

/// What the command produced: the text, and input errors to show on stderr (exit code 2).
pub struct Output {
    pub text: String,
    pub errors: Vec<String>,
    /// The run's repository roots: `-o` is written by the path rule inside the root it enters.
    pub roots: Vec<PathBuf>,
}

/// One principal as the outputs show it (the JSON contract).
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    /// Stable across renames (`moved {}`): `<scope>#<first address>`.
    pub identity: String,
    /// Fingerprint of trust and effective permissions (as written), for pairing by content.
    pub content_key: String,
    pub kind: &'static str,
    pub name: String,
    pub address: String,
    /// The folder (Terraform) or template it belongs to, relative to the repository root.
    pub scope: String,
    /// `path:line` of its declaration or trust policy, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved_from: Vec<String>,
    /// For a user: its groups (their policies are listed in `policies` with `via_group`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// For a role: the instance profiles holding it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instance_profiles: Vec<String>,
    pub trust: Vec<Trusted>,
    pub policies: Vec<PolicyRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<PolicyRow>,
    /// Service → access level → number of distinct actions.
    #[serde(serialize_with = "shared")]
    pub access: Arc<effective::Access>,
    pub escalations: Vec<EscalationRow>,
    pub unknowns: Vec<UnknownRow>,
    /// The Allow statements on each resource, as written, with what they grant.
    pub effective: Vec<Entry<'a>>,
    /// Actions a conditional or partial Deny names (for `--expand`).
    #[serde(skip)]
    pub may_be_denied: ActionSet,
}

#[derive(Debug, Serialize)]
pub struct PolicyRow {
    pub source: PolicySource,
    /// The policy's address, or an AWS managed policy's name.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The group a user holds it through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_group: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EscalationRow {
    pub message: String,
    pub location: String,
    /// Indexes into `policies` of the policies the path takes actions from.
    pub policies: Vec<usize>,
}

#[derive(Debug, Serialize)]
pub struct UnknownRow {
    pub what: String,
    pub value: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Reads the paths and renders their principals.
pub fn run(args: &PrincipalsArgs) -> Result<Output, String> {
    VarSetting::validate(&args.vars.settings)?;
    if args.expand && args.format != PrincipalsFormat::Json {
        return Err("`--expand` applies to `--format json` only".to_string());
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let plan = lint::plan(&paths);
    let settings = Settings::resolve(&plan, &args.vars.settings)?;
    let (report, model) = lint::run_principals(&plan, &|planned| settings.of(planned));
    let root = plan
        .roots()
        .get(1)
        .cloned()
        .unwrap_or_else(|| crate::root::of(Path::new(".")));
    // A module folder another folder calls is shown per call; named alone, it is shown alone.
    let mut expander = Expander::default();
    let rows = rows(&report, &model, &root, &mut expander, |p| {
        in_scope(&report, &model, p, plan.scope.as_ref())
            && wanted(p, args)
            && (plan.scope.is_some() || !model.is_called(&p.scope))
    });
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| {
            args.access_level.is_empty() || args.access_level.iter().any(|l| has_level(r, l.name()))
        })
        .collect();
    let text = match args.format {
        PrincipalsFormat::Human => human(&rows, table_width(args)),
        PrincipalsFormat::Json => json(&rows, args.expand.then_some(&expander))?,
        PrincipalsFormat::Markdown => markdown(&rows),
        PrincipalsFormat::Html => html(&rows),
    };
    let errors = report
        .errors()
        .map(|(file, e)| {
            let src = file.sources.get(e.file);
            match e.span {
                Some(span) => {
                    let at = src.position(span.start);
                    format!(
                        "{}:{}:{}: {}",
                        src.display_path(),
                        at.line,
                        at.column,
                        e.message
                    )
                }
                None => format!("{}: {}", src.display_path(), e.message),
            }
        })
        .collect();
    Ok(Output {
        text,
        errors,
        roots: plan.roots(),
    })
}

/// Each file's options, from its nearest config as `check` reads it: the config's `exclude` and
/// Terraform variables apply (the ignore files are honoured by discovery already); its rule
/// selection does not (the command reads, it does not lint).
#[derive(Default)]
struct Settings {
    /// Config file (`None`: none) → options.
    by_config: HashMap<Option<PathBuf>, Arc<LintOptions>>,
    /// Folder → config file.
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
    default: Arc<LintOptions>,
}

impl Settings {
    fn resolve(plan: &lint::Plan, vars: &[VarSetting]) -> Result<Settings, String> {
        let options = |config: &Config| {
            Arc::new(LintOptions {
                select: Some(vec![RuleId::PrivilegeEscalation]),
                principals: true,
                paths: config.paths.clone(),
                frontend: crate::frontend::FrontendOptions {
                    terraform_vars: config.terraform_vars.iter().chain(vars).cloned().collect(),
                    placeholder_tokens: config.placeholder_tokens.clone(),
                },
                ..LintOptions::default()
            })
        };
        let mut settings = Settings {
            default: options(&Config::default()),
            ..Settings::default()
        };
        for planned in &plan.files {
            let dir = dir_of(planned_path(planned));
            if settings.by_dir.contains_key(&dir) {
                continue;
            }
            let found = crate::config::nearest(&dir, &planned.root);
            if let (Some(path), false) = (&found, settings.by_config.contains_key(&found)) {
                let config = Config::load(path, &planned.root).map_err(|e| e.to_string())?;
                settings.by_config.insert(found.clone(), options(&config));
            }
            settings.by_dir.insert(dir, found);
        }
        Ok(settings)
    }

    fn of(&self, planned: &lint::Planned) -> Arc<LintOptions> {
        self.by_dir
            .get(&dir_of(planned_path(planned)))
            .and_then(|found| self.by_config.get(found))
            .unwrap_or(&self.default)
            .clone()
    }
}

fn planned_path(planned: &lint::Planned) -> &Path {
    match &planned.item {
        Discovered::File { path, .. }
        | Discovered::Error { path, .. }
        | Discovered::Skipped { path, .. } => path,
    }
}

/// The folder of a path, as a key: a file's parent, `.` for a bare name.
fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn wanted(p: &Principal, args: &PrincipalsArgs) -> bool {
    args.principal.is_empty()
        || args
            .principal
            .iter()
            .any(|pat| wildcard_match(pat, p.name()) || wildcard_match(pat, &p.address))
}

/// A partial run keeps the principals declared (or, undeclared, given policies) in a named path
/// (`principals` and `usage`).
pub fn in_scope(
    report: &Report,
    model: &Model,
    p: &Principal,
    scope: Option<&lint::Scope>,
) -> bool {
    let Some(scope) = scope else {
        return true;
    };
    let facts = p.declared_in.or_else(|| {
        p.policies.iter().find_map(|l| match l.doc {
            DocRef::Tree { facts, .. } => Some(facts),
            DocRef::Managed(_) => None,
        })
    });
    facts
        .and_then(|f| model.facts.get(f))
        .and_then(|f| report.files.get(f.report))
        .is_some_and(|file| scope.contains(&file.sources.main().path))
}

/// `path:line` of a span of the facts' report.
fn location(report: &Report, model: &Model, facts: usize, span: Span) -> Option<String> {
    let file = report.files.get(model.facts.get(facts)?.report)?;
    let src = file.sources.get(span.file);
    Some(format!(
        "{}:{}",
        src.display_path(),
        src.position(span.start).line
    ))
}

fn policy_row(report: &Report, model: &Model, link: &crate::principal::PolicyLink) -> PolicyRow {
    let (name, location) = match link.doc {
        DocRef::Managed(policy) => (
            policy.name.clone(),
            link.attached_at
                .and_then(|(f, span)| location(report, model, f, span)),
        ),
        DocRef::Tree { facts, .. } => {
            let d = model.doc(link.doc);
            let name = d
                .and_then(|d| d.origin.address.clone())
                .unwrap_or_else(|| d.map_or_else(String::new, |d| d.path.clone()));
            (name, d.and_then(|d| location(report, model, facts, d.span)))
        }
    };
    PolicyRow {
        source: link.source,
        name,
        location,
        via_group: link.via_group.clone(),
    }
}

fn unknown_row(report: &Report, model: &Model, u: &Unresolved) -> UnknownRow {
    UnknownRow {
        what: u.what.clone(),
        value: u.value.clone(),
        reason: u.reason.clone(),
        location: u.at.and_then(|(f, span)| location(report, model, f, span)),
    }
}

/// The rows of the principals `keep` accepts, each with its effective permissions.
fn rows<'a>(
    report: &Report,
    model: &'a Model,
    root: &Path,
    expander: &mut Expander<'a>,
    keep: impl Fn(&Principal) -> bool,
) -> Vec<Row<'a>> {
    let mut out = Vec::new();
    for p in model.principals.iter().filter(|p| keep(p)) {
        let eff = effective::of(model, p, expander);
        let own = model.own_accounts(&p.scope);
        let mut trusted: Vec<Trusted> = Vec::new();
        let mut location_of_p = None;
        for t in &p.trust {
            if let (Some(doc), DocRef::Tree { facts, .. }) = (model.doc(*t), t) {
                trusted.extend(trust::of(doc, own));
                location_of_p = location_of_p.or_else(|| location(report, model, *facts, doc.span));
            }
        }
        if location_of_p.is_none() {
            location_of_p = p
                .declared_in
                .and_then(|f| model.facts.get(f))
                .and_then(|f| report.files.get(f.report))
                .map(|file| file.sources.main().display_path());
        }
        let lines: Vec<String> = trusted.iter().map(Trusted::line).collect();
        let (input, members) = model.escalation_input(p, false);
        let mut found = Vec::new();
        check_principal(&input, &mut found);
        let escalations = found
            .into_iter()
            .map(|(f, places)| {
                let mut policies: Vec<usize> = places
                    .iter()
                    .filter_map(|&m| members.get(m).map(|&(_, link)| link))
                    .collect();
                policies.sort_unstable();
                policies.dedup();
                let location = places
                    .first()
                    .and_then(|&m| members.get(m))
                    .and_then(|&(facts, _)| location(report, model, facts, f.span))
                    .unwrap_or_default();
                EscalationRow {
                    message: f.message.to_string(),
                    location,
                    policies,
                }
            })
            .collect();
        let row = Row {
            identity: p.identity(root),
            content_key: eff.content_key(&lines),
            kind: p.kind.as_str(),
            name: p.name().to_string(),
            address: p.address.clone(),
            scope: crate::principal::shown_scope(&p.scope, root),
            location: location_of_p,
            moved_from: p.moved_from.clone(),
            groups: p.groups.clone(),
            instance_profiles: p.instance_profiles.clone(),
            trust: trusted,
            policies: p
                .policies
                .iter()
                .map(|l| policy_row(report, model, l))
                .collect(),
            boundary: p.boundary.as_ref().map(|l| policy_row(report, model, l)),
            access: expander.access(&eff.actions),
            escalations,
            unknowns: p
                .unresolved
                .iter()
                .map(|u| unknown_row(report, model, u))
                .collect(),
            effective: eff.entries,
            may_be_denied: eff.may_be_denied,
        };
        out.push(row);
    }
    out
}

/// A value shared between rows, as itself.
fn shared<T: Serialize, S: serde::Serializer>(v: &Arc<T>, s: S) -> Result<S::Ok, S::Error> {
    T::serialize(v, s)
}

/// True when the row grants some action of this access level.
fn has_level(row: &Row, level: &str) -> bool {
    row.access
        .values()
        .any(|levels| levels.keys().any(|l| l.eq_ignore_ascii_case(level)))
}

/// The JSON contract; with an expander (`--expand`), each principal's expanded grants too, built
/// one principal at a time while writing. Keys are in alphabetical order, as a `serde_json` map
/// writes them.
fn json(rows: &[Row<'_>], expand: Option<&Expander<'_>>) -> Result<String, String> {
    use serde::ser::{Error as _, SerializeSeq as _};

    struct Principals<'a> {
        rows: &'a [Row<'a>],
        expand: Option<&'a Expander<'a>>,
    }
    impl Serialize for Principals<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.rows.len()))?;
            for row in self.rows {
                let mut value = serde_json::to_value(row).map_err(S::Error::custom)?;
                if let (Some(ex), Some(map)) = (self.expand, value.as_object_mut()) {
                    let expanded = serde_json::to_value(effective::expand(
                        &row.effective,
                        &row.may_be_denied,
                        ex,
                    ))
                    .map_err(S::Error::custom)?;
                    map.insert("expanded".to_string(), expanded);
                }
                seq.serialize_element(&value)?;
            }
            seq.end()
        }
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        principals: Principals<'a>,
        version: u32,
    }
    let doc = Doc {
        principals: Principals { rows, expand },
        version: JSON_VERSION,
    };
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

/// Text from the input made safe for one line of a terminal: control characters and
/// bidirectional overrides shown escaped.
fn plain(s: &str) -> String {
    let escaped = crate::text::escape_control(s);
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// A Markdown table cell: the one escaping layer's code span ([`crate::escape::markdown_code`]),
/// which no value can close, so no link, image, HTML, heading or `@mention` is made.
fn md(s: &str) -> String {
    crate::escape::markdown_code(s, true)
}

/// HTML text or attribute value: [`plain`], then `& < > " '` as entities.
fn html_text(s: &str) -> String {
    let mut out = String::new();
    for c in plain(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who can assume it, in short.
fn trust_cell(row: &Row) -> String {
    if row.trust.is_empty() {
        return "-".to_string();
    }
    row.trust
        .iter()
        .map(Trusted::line)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Access by service, most powerful level first: `iam: 3 permissions management, 2 read`.
fn access_cell(row: &Row) -> String {
    if row.access.is_empty() {
        return "-".to_string();
    }
    let order = crate::catalog::AccessLevels::LISTING_ORDER;
    row.access
        .iter()
        .map(|(service, levels)| {
            let parts: Vec<String> = order
                .iter()
                .filter_map(|l| {
                    levels
                        .get(l)
                        .map(|n| format!("{n} {}", l.to_ascii_lowercase()))
                })
                .collect();
            format!("{service}: {}", parts.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn unknown_cell(row: &Row) -> String {
    if row.unknowns.is_empty() {
        return "-".to_string();
    }
    row.unknowns
        .iter()
        .map(|u| format!("{} `{}`: {}", u.what, u.value, u.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The width the human table wraps to: `--width`, else the terminal's (stdout a terminal, no
/// `-o`), else `$COLUMNS`; `None` (not wrapped) when writing to a pipe or a file.
fn table_width(args: &PrincipalsArgs) -> Option<usize> {
    if args.width.is_some() {
        return args.width;
    }
    if args.output_file.is_some() {
        return None;
    }
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_columns().or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
    })
}

/// The columns of the terminal on stdout.
#[cfg(unix)]
#[allow(unsafe_code)]
fn terminal_columns() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own; fd 1 is only queried.
    let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

/// The narrowest a wrapped column gets (a narrower cell keeps its width); when the terminal cannot
/// give every column this much, rows are stacked instead: a table of 10-character columns is
/// harder to read than one field a line.
const MIN_COLUMN: usize = 20;

const HEADER: [&str; 6] = [
    "PRINCIPAL",
    "ADDRESS",
    "TRUSTED BY",
    "ACCESS",
    "ESCALATION",
    "UNKNOWN",
];

fn human(rows: &[Row], width: Option<usize>) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("No principals found.\n");
        return out;
    }
    let table: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                plain(&format!("{} {}", r.kind, r.name)),
                plain(&match &r.location {
                    Some(l) => format!("{} ({l})", r.address),
                    None => r.address.clone(),
                }),
                plain(&trust_cell(r)),
                plain(&access_cell(r)),
                plain(&if r.escalations.is_empty() {
                    "-".to_string()
                } else {
                    r.escalations
                        .iter()
                        .map(|e| e.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
                plain(&unknown_cell(r)),
            ]
        })
        .collect();
    match width {
        None => unwrapped(&table, &mut out),
        Some(total) => match column_widths(&table, total) {
            Some(widths) => wrapped(&table, &widths, &mut out),
            None => stacked(&table, total, &mut out),
        },
    }
    let escalating = rows.iter().filter(|r| !r.escalations.is_empty()).count();
    let _ = writeln!(
        out,
        "\n{}, {} with escalation paths",
        crate::text::plural(rows.len(), "principal"),
        escalating
    );
    out
}

/// One line per principal, columns padded to their widest cell (up to 60 characters).
fn unwrapped(table: &[[String; 6]], out: &mut String) {
    let mut widths = HEADER.map(str::len);
    for row in table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count().min(60));
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                let pad = w.saturating_sub(cell.chars().count());
                s.push_str(cell);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&HEADER.map(str::to_string)));
    for row in table {
        let _ = writeln!(out, "{}", line(row));
    }
}

/// Column widths that fit `total` columns (two spaces between columns): each column its widest
/// cell when all fit, else the space shared out (columns narrower than their share keep their
/// width, the rest split what is left); `None` when not even [`MIN_COLUMN`] each fits.
fn column_widths(table: &[[String; 6]], total: usize) -> Option<[usize; 6]> {
    let mut natural = HEADER.map(str::len);
    for row in table {
        for (w, cell) in natural.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let available = total.checked_sub(2 * (HEADER.len() - 1))?;
    if natural.iter().sum::<usize>() <= available {
        return Some(natural);
    }
    let floor = natural.map(|n| n.min(MIN_COLUMN));
    if floor.iter().sum::<usize>() > available {
        return None;
    }
    // Water-filling: the narrowest columns take their natural width while it is under the fair
    // share of what is left.
    let mut widths = [0usize; 6];
    let mut order: Vec<usize> = (0..6).collect();
    order.sort_by_key(|&i| natural[i]);
    let mut left = available;
    for (k, &i) in order.iter().enumerate() {
        let share = left / (order.len() - k);
        widths[i] = natural[i].min(share).max(floor[i]);
        left = left.saturating_sub(widths[i]);
    }
    Some(widths)
}

/// `text` broken into lines of at most `width` characters, at spaces where it can, inside a word
/// where it must.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        if len > 0 && len + 1 + word.len() <= width {
            line.push(' ');
            line.extend(&word);
            len += 1 + word.len();
            continue;
        }
        if len > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            // After the last `/ : , ( - .` that fits, else at the width.
            let at = word[..width]
                .iter()
                .rposition(|c| matches!(c, '/' | ':' | ',' | '(' | '-' | '.'))
                .filter(|&i| i > 0)
                .map_or(width, |i| i + 1);
            let rest = word.split_off(at);
            lines.push(word.iter().collect());
            word = rest;
        }
        line.extend(&word);
        len = word.len();
    }
    if len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The table with each cell wrapped to its column.
fn wrapped(table: &[[String; 6]], widths: &[usize; 6], out: &mut String) {
    let mut emit = |cells: &[String]| {
        let wrapped: Vec<Vec<String>> =
            cells.iter().zip(widths).map(|(c, w)| wrap(c, *w)).collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            let mut s = String::new();
            for (col, (lines, w)) in wrapped.iter().zip(widths).enumerate() {
                let cell = lines.get(i).map_or("", String::as_str);
                s.push_str(cell);
                if col + 1 < wrapped.len() {
                    let pad = w.saturating_sub(cell.chars().count());
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            let _ = writeln!(out, "{}", s.trim_end());
        }
    };
    emit(&HEADER.map(str::to_string));
    for row in table {
        emit(row);
    }
}

/// On a terminal too narrow for six columns: one block per principal, a field a line (wrapped,
/// continuation lines indented).
fn stacked(table: &[[String; 6]], total: usize, out: &mut String) {
    for (n, row) in table.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        for line in wrap(&row[0], total) {
            let _ = writeln!(out, "{line}");
        }
        for (label, cell) in HEADER.iter().zip(row).skip(1) {
            let head = format!("  {}: ", label.to_ascii_lowercase());
            let indent = "    ";
            let first = total.saturating_sub(head.len()).max(MIN_COLUMN);
            let mut lines = wrap(cell, first).into_iter();
            let _ = writeln!(out, "{head}{}", lines.next().unwrap_or_default());
            let rest: String = lines.collect::<Vec<_>>().join(" ");
            if !rest.is_empty() {
                for line in wrap(&rest, total.saturating_sub(indent.len()).max(MIN_COLUMN)) {
                    let _ = writeln!(out, "{indent}{line}");
                }
            }
        }
    }
}

fn markdown(rows: &[Row]) -> String {
    let mut out =
        String::from("| Principal | Address | Trusted by | Access | Escalation | Unknown |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for r in rows {
        let esc = if r.escalations.is_empty() {
            "-".to_string()
        } else {
            r.escalations
                .iter()
                .map(|e| md(&e.message))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            md(&format!("{} {}", r.kind, r.name)),
            md(&r.address),
            md(&trust_cell(r)),
            md(&access_cell(r)),
            esc,
            md(&unknown_cell(r)),
        );
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin-top:1em}td,th{border:1px solid #ccc;padding:4px 8px;\
vertical-align:top;text-align:left}th{background:#f3f3f3}.esc{color:#b00020}\
svg text{font-size:12px;font-family:system-ui,sans-serif}";

fn html(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
    let _ = write!(
        out,
        "<title>iamlint principals</title><style>{CSS}</style></head><body>"
    );
    let _ = write!(
        out,
        "<h1>Principals</h1><p>{}</p>",
        html_text(&crate::text::plural(rows.len(), "principal"))
    );
    out.push_str(&graph(rows));
    out.push_str("<table><thead><tr><th>Principal</th><th>Address</th><th>Trusted by</th><th>Access</th><th>Escalation</th><th>Unknown</th></tr></thead><tbody>");
    for r in rows {
        let esc: Vec<String> = r
            .escalations
            .iter()
            .map(|e| html_text(&e.message))
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"esc\">{}</td><td>{}</td></tr>",
            html_text(&format!("{} {}", r.kind, r.name)),
            html_text(&r.address),
            html_text(&trust_cell(r)),
            html_text(&access_cell(r)),
            if esc.is_empty() { "-".to_string() } else { esc.join("<br>") },
            html_text(&unknown_cell(r)),
        );
    }
    out.push_str("</tbody></table></body></html>\n");
    out
}

/// An inline SVG: principals on the left, their policies on the right, an edge per attachment;
/// edges of policies an escalation path takes actions from are red and thick.
fn graph(rows: &[Row]) -> String {
    let mut policies: Vec<String> = Vec::new();
    for r in rows {
        for p in &r.policies {
            if !policies.contains(&p.name) {
                policies.push(p.name.clone());
            }
        }
    }
    let row_h = 28;
    let height = 20 + row_h * rows.len().max(policies.len()).max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"{height}\" role=\"img\" aria-label=\"principals and their policies\">"
    );
    let y = |i: usize| 20 + row_h * i;
    for (i, r) in rows.iter().enumerate() {
        for (pi, p) in r.policies.iter().enumerate() {
            let Some(j) = policies.iter().position(|n| *n == p.name) else {
                continue;
            };
            let escalates = r.escalations.iter().any(|e| e.policies.contains(&pi));
            let (class, color, width) = if escalates {
                ("edge escalation", "#b00020", 3)
            } else {
                ("edge", "#999", 1)
            };
            let _ = write!(
                out,
                "<line class=\"{class}\" x1=\"300\" y1=\"{}\" x2=\"560\" y2=\"{}\" stroke=\"{color}\" stroke-width=\"{width}\"/>",
                y(i),
                y(j)
            );
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let fill = if r.escalations.is_empty() {
            "#4a78c2"
        } else {
            "#b00020"
        };
        let _ = write!(
            out,
            "<circle class=\"principal\" cx=\"300\" cy=\"{}\" r=\"7\" fill=\"{fill}\"/><text x=\"290\" y=\"{}\" text-anchor=\"end\">{}</text>",
            y(i),
            y(i) + 4,
            html_text(&format!("{} {}", r.kind, r.name))
        );
    }
    for (j, name) in policies.iter().enumerate() {
        let _ = write!(
            out,
            "<rect class=\"policy\" x=\"560\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#6a6\"/><text x=\"580\" y=\"{}\">{}</text>",
            y(j) - 6,
            y(j) + 4,
            html_text(name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup_or_control_characters() {
        let evil = "a|b<script>&\"'\u{1b}[31m\u{202e}`*_";
        let h = html_text(evil);
        assert!(!h.contains('<') && !h.contains('"') && !h.contains('\'') && !h.contains('\u{1b}'));
        assert!(!h.contains('\u{202e}'), "{h}");
        let m = md(evil);
        assert!(
            !m.contains("a|b") && m.contains("a\\|b") && m.starts_with("``"),
            "{m}"
        );
        assert!(!plain(evil)
            .chars()
            .any(|c| c.is_control() || c == '\u{202e}'));
    }
}
