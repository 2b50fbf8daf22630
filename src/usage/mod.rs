//! `iamlint usage --logs LOGS... [PATH]`: what CloudTrail saw each principal of the repository
//! do, against what its policies grant; the unused grants, the denied calls and the minimal
//! policy that covers what was used. Offline: files only, no AWS credentials.
//!
//! Data flows one way: [`read`] streams the logs into a [`read::Tally`] (distinct calls with
//! counts), [`events`] maps each event to IAM actions, the principal model of the tree
//! ([`crate::principal`]) gives each principal's effective permissions, [`names`] the name it
//! has in AWS; [`report`] joins them and renders. Nothing here prints: the CLI does.

pub mod events;
pub mod fix;
pub mod names;
pub mod read;
pub mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::lint::{self, LintOptions};
use crate::rules::RuleId;
use crate::vars::{VarArgs, VarSetting};

/// The version of the JSON contract (`docs/usage.md`).
pub const JSON_VERSION: u32 = 1;

#[derive(clap::Args, Debug, Default, Clone)]
pub struct UsageArgs {
    /// Files or folders with the policies (Terraform, CloudFormation, JSON) [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// CloudTrail log files or folders: delivered `.json`/`.json.gz` (any tree, the
    /// `AWSLogs/...` layout included), JSON Lines, or `aws cloudtrail lookup-events` output
    #[arg(long = "logs", value_name = "LOGS", required = true, num_args = 1..)]
    pub logs: Vec<PathBuf>,

    /// Count only events at or after this time (UTC: `2024-05-01`, `2024-05-01T10:00:00Z`)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Count only events at or before this time (`2024-05-31` takes the whole day)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Match a role or user of the logs (ARN or name) to a principal of the tree (address, e.g.
    /// `aws_iam_role.app`), where the name is generated; repeatable
    #[arg(long = "map", value_name = "ARN=ADDRESS")]
    pub map: Vec<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = UsageFormat::Human)]
    pub format: UsageFormat,

    /// Syntax of the minimal policies in human and Markdown output
    #[arg(long, value_enum, default_value_t = PolicyFormat::Json)]
    pub policy_format: PolicyFormat,

    /// Keep a granted wildcard (`s3:Get*`) in the minimal policy when any action it matches was
    /// used (by default only when every one was)
    #[arg(long)]
    pub allow_wildcards: bool,

    /// A window shorter than this many days gets a confidence note
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub min_days: u32,

    /// Write the output to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Narrow the statements granting unused actions in place; the edit grants less, so it is
    /// unsafe and applied only with --unsafe-fixes
    #[arg(long)]
    pub fix: bool,

    /// Apply the unsafe fix (review the diff: a code path the window did not see may need what
    /// it removes); implies --fix
    #[arg(long)]
    pub unsafe_fixes: bool,

    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UsageFormat {
    /// A report per principal
    #[default]
    Human,
    /// One JSON document (see docs/usage.md)
    Json,
    /// Markdown, for a pull-request comment
    Markdown,
    /// SARIF 2.1.0: unused grants as findings on the policy lines
    Sarif,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyFormat {
    /// A JSON policy document
    #[default]
    Json,
    /// Terraform with `jsonencode`
    Hcl,
    /// Terraform `data "aws_iam_policy_document"`
    HclDocument,
    /// A CloudFormation `Policies` entry
    Yaml,
}

/// What the command produced: the text, and errors to show on stderr (exit code 2).
pub struct Output {
    pub text: String,
    pub errors: Vec<String>,
    pub roots: Vec<PathBuf>,
    /// Notes for stderr: what `--fix` did or why not.
    pub notes: Vec<String>,
}

/// A `--map` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// An ARN or a role/user name.
    pub identity: String,
    pub address: String,
}

impl Mapping {
    pub fn parse(s: &str) -> Result<Mapping, String> {
        match s.rsplit_once('=') {
            Some((identity, address)) if !identity.is_empty() && !address.is_empty() => {
                Ok(Mapping {
                    identity: identity.to_string(),
                    address: address.to_string(),
                })
            }
            _ => Err(format!(
                "`--map {s}`: expected ARN=ADDRESS, e.g. `arn:aws:iam::111122223333:role/app-1a2b=aws_iam_role.app`"
            )),
        }
    }
}

/// Runs the command; `progress` is told how many log files are read (out of the total).
pub fn run(args: &UsageArgs, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Output, String> {
    VarSetting::validate(&args.vars.settings)?;
    let window = read::Window {
        since: args
            .since
            .as_deref()
            .map(read::Window::parse_bound)
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(read::Window::parse_bound)
            .transpose()?,
    };
    let maps = args
        .map
        .iter()
        .map(|m| Mapping::parse(m))
        .collect::<Result<Vec<_>, _>>()?;

    let mut log_errors = Vec::new();
    let files = read::discover(&args.logs, &mut log_errors);
    let total = files.len();
    let (tally, errors) = read::read_all(&files, &window, &|done| progress(done, total));
    log_errors.extend(errors);

    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let plan = lint::plan(&paths);
    let opts = Arc::new(LintOptions {
        select: Some(vec![RuleId::PrivilegeEscalation]),
        principals: true,
        frontend: crate::frontend::FrontendOptions {
            terraform_vars: args.vars.settings.clone(),
            ..Default::default()
        },
        ..LintOptions::default()
    });
    let (lint_report, model) = lint::run_principals(&plan, &|_| opts.clone());
    let root = plan
        .roots()
        .get(1)
        .cloned()
        .unwrap_or_else(|| crate::root::of(Path::new(".")));

    let settings = report::Settings {
        window: &window,
        maps: &maps,
        allow_wildcards: args.allow_wildcards,
        min_days: args.min_days,
        root: &root,
    };
    let keep = |p: &crate::principal::Principal| {
        crate::commands::principals::in_scope(&lint_report, &model, p, plan.scope.as_ref())
    };
    let usage = report::build(
        &tally,
        &lint_report,
        &model,
        &settings,
        log_errors.len(),
        &keep,
    );
    let text = match args.format {
        UsageFormat::Human => report::human(&usage, args.policy_format),
        UsageFormat::Json => report::json(&usage)?,
        UsageFormat::Markdown => report::markdown(&usage, args.policy_format),
        UsageFormat::Sarif => report::sarif(&usage)?,
    };
    let mut errors: Vec<String> = log_errors.iter().map(ToString::to_string).collect();
    let named = |file: &crate::lint::FileReport| {
        plan.scope
            .as_ref()
            .is_none_or(|scope| scope.contains(&file.sources.main().path))
    };
    errors.extend(
        lint_report
            .errors()
            .filter(|(file, _)| named(file))
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
            }),
    );
    let mut notes = Vec::new();
    if args.unsafe_fixes {
        let applied = fix::apply(&usage, &lint_report, &model)
            .map_err(|e| format!("cannot write fixes: {e}"))?;
        for why in &applied.withheld {
            notes.push(format!("not fixed: {why}"));
        }
        if applied.fixed > 0 {
            notes.push(format!(
                "narrowed {} in {} (unsafe: review the diff)",
                crate::text::plural(applied.fixed, "statement"),
                crate::text::plural(applied.files.len(), "file")
            ));
        }
    } else if args.fix {
        notes.push(
            "the usage fix grants less (a code path the window did not see may need what it \
             removes): it is unsafe, applied only with --unsafe-fixes"
                .to_string(),
        );
    }
    Ok(Output {
        text,
        errors,
        roots: plan.roots(),
        notes,
    })
}
