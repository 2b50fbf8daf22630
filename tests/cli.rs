#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end: the `iamlint` binary, every subcommand and flag, config discovery and its errors,
//! the baseline round trip and exit codes.
//!
//! The tests run only `missing-version` and `invalid-policy` (via `--select` or the config's
//! `select`), which do not depend on the contents of the embedded AWS catalog.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// No `Version`: one `missing-version` warning.
const NO_VERSION: &str = r#"{
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
  ]
}
"#;

/// A lower-case `Effect`: one `invalid-policy` error.
const BAD_EFFECT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Bad", "Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}
  ]
}
"#;

const CLEAN: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
  ]
}
"#;

const SELECT: &str = "--select=missing-version,invalid-policy";
const CONFIG_SELECT: &str = "select = [\"missing-version\", \"invalid-policy\"]\n";

fn iamlint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("iamlint").expect("the binary is built");
    cmd.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// A temporary repo with the given files (and a `.git` folder: the repository root, where config
/// discovery stops).
fn repo(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("create .git");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("create folders");
    }
    std::fs::write(full, text).expect("write file");
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn json_of(cmd: &mut Command) -> Value {
    serde_json::from_str(&stdout_of(cmd)).expect("JSON output")
}

// ---------------------------------------------------------------------------------------------
// Help, version, subcommands

#[test]
fn every_subcommand_has_help() {
    let dir = repo(&[]);
    for (args, expected) in [
        (vec!["--help"], "Without a subcommand"),
        (vec!["check", "--help"], "Examples:"),
        (vec!["rules", "--help"], "List every rule"),
        (vec!["explain", "--help"], "Rule id"),
        (vec!["completions", "--help"], "completions bash"),
        (vec!["help", "check"], "--write-baseline"),
    ] {
        iamlint(dir.path())
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains(expected));
    }
}

/// Every flag `check --help` lists appears, quoted, in a test in this file.
#[test]
fn every_flag_is_tested() {
    let dir = repo(&[]);
    let help = stdout_of(iamlint(dir.path()).args(["check", "--help"]));
    let source = include_str!("cli.rs");
    let mut flags: Vec<&str> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .collect();
    flags.sort_unstable();
    flags.dedup();
    assert!(flags.len() > 15, "{flags:?}");
    for flag in flags {
        if flag == "--help" {
            continue;
        }
        assert!(
            source.contains(&format!("\"{flag}")),
            "`{flag}` has no CLI test"
        );
    }
}

#[test]
fn version() {
    let dir = repo(&[]);
    for flag in ["--version", "-V"] {
        iamlint(dir.path())
            .arg(flag)
            .assert()
            .success()
            .stdout(predicate::str::starts_with(concat!(
                "iamlint ",
                env!("CARGO_PKG_VERSION"),
                " (AWS data "
            )));
    }
}

#[test]
fn rules_lists_every_rule() {
    let dir = repo(&[]);
    iamlint(dir.path())
        .arg("rules")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("rule "))
        .stdout(predicate::str::contains("missing-version"))
        .stdout(predicate::str::contains("resource-star"));
}

#[test]
fn explain_prints_the_doc_or_suggests() {
    let dir = repo(&[]);
    iamlint(dir.path())
        .args(["explain", "missing-version"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("# missing-version\n"))
        .stdout(predicate::str::contains("## What it does"));
    iamlint(dir.path())
        .args(["explain", "missing-versoin"])
        .assert()
        .code(2)
        .stderr("error: unknown rule `missing-versoin` (did you mean `missing-version`?)\n");
}

#[test]
fn completions_for_each_shell() {
    let dir = repo(&[]);
    for (shell, marker) in [
        ("bash", "_iamlint()"),
        ("zsh", "#compdef iamlint"),
        ("fish", "complete -c iamlint"),
    ] {
        let out = stdout_of(iamlint(dir.path()).args(["completions", shell]));
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("write-baseline"), "{shell}");
    }
    iamlint(dir.path())
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------------------------
// Exit codes and rule selection

#[test]
fn exit_codes() {
    let dir = repo(&[
        ("clean.json", CLEAN),
        ("warn.json", NO_VERSION),
        ("bad.json", BAD_EFFECT),
        ("broken.json", "{\"Version\": "),
    ]);
    let run = |args: &[&str]| {
        iamlint(dir.path())
            .args(args)
            .arg(SELECT)
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(run(&["clean.json"]), Some(0));
    assert_eq!(run(&["warn.json"]), Some(1));
    assert_eq!(run(&["check", "warn.json"]), Some(1));
    assert_eq!(run(&["warn.json", "--fail-on", "error"]), Some(0));
    assert_eq!(run(&["bad.json", "--fail-on", "error"]), Some(1));
    assert_eq!(run(&["clean.json", "--fail-on", "info"]), Some(0));
    assert_eq!(run(&["broken.json"]), Some(2));
    assert_eq!(run(&["missing.json"]), Some(2));
    assert_eq!(run(&["clean.json", "warn.json", "broken.json"]), Some(2));
    // No path: the current folder, as `iamlint .` (broken.json makes it exit 2).
    let bare = iamlint(dir.path()).arg(SELECT).output().expect("runs");
    let dot = iamlint(dir.path())
        .arg(SELECT)
        .arg(".")
        .output()
        .expect("runs");
    assert_eq!(bare.status.code(), Some(1));
    assert_eq!(bare.stdout, dot.stdout);
    let out = String::from_utf8_lossy(&bare.stdout);
    assert!(
        out.contains("bad.json:") && out.contains("warn.json:"),
        "{out}"
    );
    iamlint(dir.path())
        .args(["--select", "missing-versio", "clean.json"])
        .assert()
        .code(2)
        .stderr("error: unknown rule `missing-versio` (did you mean `missing-version`?)\n");
    iamlint(dir.path())
        .args(["--fail-on", "critical", "clean.json"])
        .assert()
        .code(2);
}

#[test]
fn select_ignore_and_extend() {
    let dir = repo(&[("warn.json", NO_VERSION), ("bad.json", BAD_EFFECT)]);
    let rules_of = |args: &[&str]| -> Vec<String> {
        let j = json_of(
            iamlint(dir.path())
                .args(["--format", "json", "warn.json", "bad.json"])
                .args(args),
        );
        let mut rules: Vec<String> = j["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().expect("rule").to_string())
            .collect();
        rules.dedup();
        rules
    };
    assert_eq!(
        rules_of(&["--select", "missing-version"]),
        ["missing-version"]
    );
    assert_eq!(
        rules_of(&[SELECT, "--ignore", "missing-version"]),
        ["invalid-policy"]
    );
    assert_eq!(
        rules_of(&[
            "--select",
            "missing-version",
            "--extend-select",
            "invalid-policy"
        ]),
        ["invalid-policy", "missing-version"]
    );
    assert_eq!(
        rules_of(&[SELECT, "--extend-ignore", "invalid-policy"]),
        ["missing-version"]
    );
    // Repeated flags add up like commas do.
    assert_eq!(
        rules_of(&["--select", "missing-version", "--select", "invalid-policy"]),
        ["invalid-policy", "missing-version"]
    );
}

// ---------------------------------------------------------------------------------------------
// Output

#[test]
fn human_output_ends_with_a_per_rule_summary() {
    let dir = repo(&[("warn.json", NO_VERSION), ("bad.json", BAD_EFFECT)]);
    let out = stdout_of(iamlint(dir.path()).args([SELECT, "--color", "never", "."]));
    assert!(
        out.contains("bad.json:4:30: error[invalid-policy] `Effect` must be"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "1  invalid-policy\n1  missing-version\n\n\
             Found 2 findings: 1 error, 1 warning, 0 infos in 2 files (2 files checked)\n"
        ),
        "{out}"
    );
}

#[test]
fn quiet_and_color() {
    let dir = repo(&[("warn.json", NO_VERSION)]);
    let quiet = stdout_of(iamlint(dir.path()).args([SELECT, "--quiet", "warn.json"]));
    assert_eq!(
        quiet,
        "warn.json:2:3: warning[missing-version] policy has no `Version`, so policy variables are not expanded\n"
    );
    let short = stdout_of(iamlint(dir.path()).args([SELECT, "-q", "warn.json"]));
    assert_eq!(short, quiet);
    let always = stdout_of(iamlint(dir.path()).args([SELECT, "--color", "always", "warn.json"]));
    assert!(always.contains("\u{1b}["), "{always}");
    let never = stdout_of(iamlint(dir.path()).args([SELECT, "--color", "never", "warn.json"]));
    assert!(!never.contains('\u{1b}'));
    // `auto` is off when stdout is not a terminal, as here.
    let auto = stdout_of(iamlint(dir.path()).args([SELECT, "--color", "auto", "warn.json"]));
    assert!(!auto.contains('\u{1b}'));
}

/// Issue 26: `unresolved-reference` infos are counted and summarized per cause in human output;
/// `--show-infos` prints each, and `--quiet` (no summary) lists them one line each.
#[test]
fn show_infos_prints_each_unresolved_reference() {
    let tf = "variable \"bucket\" {}\nresource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"arn:aws:s3:::${var.bucket}/*\" }] })\n}\n";
    let dir = repo(&[("main.tf", tf)]);
    let args = ["check", "--select=unresolved-reference", "main.tf"];
    let summarized = stdout_of(iamlint(dir.path()).args(args));
    assert!(
        !summarized.contains("info[unresolved-reference]"),
        "{summarized}"
    );
    assert!(
        summarized.contains("0 warnings, 1 info in 1 file"),
        "{summarized}"
    );
    assert!(
        summarized.contains("1 unresolved-reference info not shown")
            && summarized.contains("variable `bucket` has no default value (first at main.tf:3:"),
        "{summarized}"
    );
    let full = stdout_of(iamlint(dir.path()).args(args).arg("--show-infos"));
    assert!(full.contains("main.tf:3:"), "{full}");
    assert!(full.contains("info[unresolved-reference]"), "{full}");
    assert!(!full.contains("not shown"), "{full}");
    let quiet = stdout_of(iamlint(dir.path()).args(args).arg("--quiet"));
    assert_eq!(
        quiet.matches("info[unresolved-reference]").count(),
        1,
        "{quiet}"
    );
}

#[test]
fn machine_formats() {
    let dir = repo(&[("warn.json", NO_VERSION), ("bad.json", BAD_EFFECT)]);
    let run = |format: &str| stdout_of(iamlint(dir.path()).args([SELECT, "--format", format, "."]));

    let json: Value = serde_json::from_str(&run("json")).expect("json");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(2));

    let sarif: Value = serde_json::from_str(&run("sarif")).expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(2)
    );

    let github = run("github");
    assert!(
        github.starts_with("::error file=bad.json,line=4,col=30,"),
        "{github}"
    );
    assert!(github.contains("\n::warning file=warn.json,line=2,col=3,"));
    assert!(github.ends_with(
        "::notice title=iamlint::Found 2 findings: 1 error, 1 warning, 0 infos in 2 files (2 files checked)\n"
    ));

    let gitlab: Value = serde_json::from_str(&run("gitlab")).expect("gitlab");
    let issues = gitlab.as_array().expect("an array");
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0]["check_name"], "invalid-policy");
    assert_eq!(issues[0]["severity"], "major");
    assert_eq!(issues[0]["location"]["path"], "bad.json");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 4);
    assert_eq!(issues[1]["severity"], "minor");
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    assert_eq!(issues[0]["fingerprint"].as_str().map(str::len), Some(16));
}

#[test]
fn statistics_counts_per_rule() {
    let dir = repo(&[
        ("a.json", NO_VERSION),
        ("b.json", NO_VERSION),
        ("bad.json", BAD_EFFECT),
    ]);
    let out = stdout_of(iamlint(dir.path()).args([SELECT, "--statistics", "."]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("2  missing-version  "), "{out}");
    assert!(lines[1].starts_with("1  invalid-policy   "), "{out}");
    let json = json_of(iamlint(dir.path()).args([SELECT, "--statistics", "--format", "json", "."]));
    assert_eq!(json[0]["rule"], "missing-version");
    assert_eq!(json[0]["count"], 2);
    iamlint(dir.path())
        .args([SELECT, "--statistics", "--format", "sarif", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`--statistics` prints text or JSON",
        ));
}

#[test]
fn output_file() {
    let dir = repo(&[("warn.json", NO_VERSION)]);
    iamlint(dir.path())
        .args([
            SELECT,
            "--format",
            "sarif",
            "--output-file",
            "out.sarif",
            "warn.json",
        ])
        .assert()
        .code(1)
        .stdout("");
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out.sarif")).expect("written"),
    )
    .expect("SARIF");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(1)
    );
    iamlint(dir.path())
        .args([SELECT, "-o", "human.txt", "warn.json"])
        .assert()
        .code(1);
    let human = std::fs::read_to_string(dir.path().join("human.txt")).expect("written");
    assert!(human.starts_with("warn.json:2:3: warning[missing-version]"));
    assert!(!human.contains('\u{1b}'));
    iamlint(dir.path())
        .args([SELECT, "-o", "no/such/dir/x", "warn.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot write no/such/dir/x"));
    // A stream named outside the repository (`/dev/stdout`, a pipe here; `/dev/null`) is written
    // in place: no file is replaced.
    iamlint(dir.path())
        .args([SELECT, "-o", "/dev/stdout", "warn.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "warn.json:2:3: warning[missing-version]",
        ));
    // `-o -` is stdout, as tools commonly spell it.
    iamlint(dir.path())
        .args([SELECT, "-o", "-", "warn.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "warn.json:2:3: warning[missing-version]",
        ));
    assert!(!dir.path().join("-").exists());
    iamlint(dir.path())
        .args([SELECT, "-o", "/dev/null", "warn.json"])
        .assert()
        .code(1)
        .stdout("");
    // Inside the repository a link is still never written through, even to a device.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/null", dir.path().join("null")).unwrap();
        iamlint(dir.path())
            .args([SELECT, "-o", "null", "warn.json"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("cannot write null"));
    }
}

#[test]
fn stdin_with_a_file_name() {
    let dir = repo(&[]);
    iamlint(dir.path())
        .args([SELECT, "-q", "-", "--stdin-filename", "policies/p.json"])
        .write_stdin(NO_VERSION)
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "policies/p.json:2:3: warning[missing-version]",
        ));
    iamlint(dir.path())
        .args([SELECT, "-q", "-"])
        .write_stdin(CLEAN)
        .assert()
        .success();
}

#[test]
fn files_that_are_not_policies() {
    let dir = repo(&[
        ("package.json", "{\"name\": \"x\", \"version\": \"1.0.0\"}"),
        ("p.json", CLEAN),
    ]);
    // Found by walking: skipped.
    iamlint(dir.path()).args([SELECT, "."]).assert().success();
    // Named: reported, unless asked to skip as pre-commit does.
    iamlint(dir.path())
        .args([SELECT, "package.json", "p.json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "package.json: error: not a policy",
        ));
    iamlint(dir.path())
        .args([SELECT, "--skip-non-policies", "package.json", "p.json"])
        .assert()
        .success();
}

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn config_is_found_upward_and_applied() {
    let config =
        format!("{CONFIG_SELECT}fail-on = \"error\"\n[severity]\nmissing-version = \"info\"\n");
    let dir = repo(&[("iamlint.toml", &config), ("a/b/warn.json", NO_VERSION)]);
    let out = stdout_of(iamlint(&dir.path().join("a")).args(["-q", "b"]));
    assert_eq!(
        out,
        "b/warn.json:2:3: info[missing-version] policy has no `Version`, so policy variables are not expanded\n"
    );
    // fail-on = "error" from the config: an info finding passes...
    iamlint(&dir.path().join("a")).arg("b").assert().success();
    // ...and the flag overrides it.
    iamlint(&dir.path().join("a"))
        .args(["b", "--fail-on", "info"])
        .assert()
        .code(1);
    // Found from the first path, not from the current folder.
    let elsewhere = repo(&[]);
    let target = dir.path().join("a/b/warn.json");
    let out = stdout_of(iamlint(elsewhere.path()).arg("-q").arg(&target));
    assert!(out.contains("info[missing-version]"), "{out}");
}

#[test]
fn dotfile_config_wins_in_the_same_folder() {
    let dir = repo(&[
        ("iamlint.toml", "select = [\"invalid-policy\"]\n"),
        (".iamlint.toml", "select = [\"missing-version\"]\n"),
        ("warn.json", NO_VERSION),
    ]);
    iamlint(dir.path()).arg("warn.json").assert().code(1);
}

#[test]
fn config_flag_and_no_config() {
    let dir = repo(&[
        ("iamlint.toml", "select = [\"invalid-policy\"]\n"),
        ("ci/strict.toml", "select = [\"missing-version\"]\n"),
        ("warn.json", NO_VERSION),
    ]);
    // The discovered config only runs invalid-policy.
    iamlint(dir.path()).arg("warn.json").assert().success();
    iamlint(dir.path())
        .args(["--config", "ci/strict.toml", "warn.json"])
        .assert()
        .code(1);
    // No config: every rule runs (missing-version among them).
    let out = stdout_of(iamlint(dir.path()).args(["--no-config", "-q", "warn.json"]));
    assert!(out.contains("warning[missing-version]"), "{out}");
    iamlint(dir.path())
        .args(["--config", "missing.toml", "warn.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: missing.toml: cannot read config: ",
        ));
    // CLI `--select` replaces the config's.
    iamlint(dir.path())
        .args(["--select", "missing-version", "warn.json"])
        .assert()
        .code(1);
}

#[test]
fn config_errors_are_located_with_a_suggestion() {
    let cases = [
        (
            "selct = []\n",
            "error: iamlint.toml:1:1: unknown key `selct` (did you mean `select`?)\n",
        ),
        (
            "# comment\nignore = [\"resource-str\"]\n",
            "error: iamlint.toml:2:11: unknown rule `resource-str` (did you mean `resource-star`?)\n",
        ),
        (
            "fail-on = \"warn\"\n",
            "error: iamlint.toml:1:11: unknown `fail-on` level `warn` (expected `error`, `warning`, `info` or `none`, did you mean `warning`?)\n",
        ),
        (
            "[per-path-ignores]\n\"a/**\" = [\"wildcard-actoin\"]\n",
            "error: iamlint.toml:2:11: unknown rule `wildcard-actoin` (did you mean `wildcard-action`?)\n",
        ),
        (
            "[[ignore]]\npath = \"a.json\"\nrule = \"resource-star\"\n",
            "error: iamlint.toml:1:1: `[[ignore]]` entry needs a `reason`: say why the finding is acceptable\n",
        ),
        (
            "select = \"resource-star\"\n",
            "error: iamlint.toml:1:10: invalid type: string \"resource-star\", expected a sequence\n",
        ),
        ("select = [\n", "error: iamlint.toml:2:1: "),
    ];
    for (config, expected) in cases {
        let dir = repo(&[("iamlint.toml", config), ("p.json", CLEAN)]);
        let out = iamlint(dir.path()).arg("p.json").output().expect("runs");
        let stderr = String::from_utf8(out.stderr).expect("UTF-8");
        assert_eq!(out.status.code(), Some(2), "{config}");
        assert!(stderr.starts_with(expected), "{config}\n{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn per_path_ignores_and_ignore_entries_suppress() {
    let config = format!(
        "{CONFIG_SELECT}\
         [per-path-ignores]\n\"sandbox/\" = [\"missing-version\"]\n\n\
         [[ignore]]\npath = \"prod/bad.json\"\nrule = \"invalid-policy\"\nsid = \"Bad\"\nreason = \"fixed upstream\"\n\n\
         [[ignore]]\npath = \"prod/warn.json\"\nrule = \"missing-version\"\nline = 99\nreason = \"wrong line: no effect\"\n"
    );
    let dir = repo(&[
        ("iamlint.toml", &config),
        ("sandbox/deep/warn.json", NO_VERSION),
        ("prod/bad.json", BAD_EFFECT),
        ("prod/warn.json", NO_VERSION),
    ]);
    let json = json_of(iamlint(dir.path()).args(["--format", "json", "."]));
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["path"], "prod/warn.json");
    assert_eq!(json["summary"]["suppressed"], 2, "{json}");
    // The right line suppresses it.
    let config = config.replace("line = 99", "line = 2");
    write(dir.path(), "iamlint.toml", &config);
    iamlint(dir.path()).arg(".").assert().success();
}

#[test]
fn exclude_and_force_exclude() {
    let config = format!("{CONFIG_SELECT}exclude = [\"legacy\", \"gen/*.json\"]\n");
    let dir = repo(&[
        ("iamlint.toml", &config),
        ("legacy/old/warn.json", NO_VERSION),
        ("gen/warn.json", NO_VERSION),
        ("gen/sub/ok.json", CLEAN),
        ("p.json", CLEAN),
    ]);
    let json = json_of(iamlint(dir.path()).args(["--format", "json", "."]));
    assert_eq!(json["summary"]["files_checked"], 2, "{json}");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(0));
    // A file named on the command line is linted, unless --force-exclude.
    iamlint(dir.path())
        .arg("legacy/old/warn.json")
        .assert()
        .code(1);
    iamlint(dir.path())
        .args(["--force-exclude", "legacy/old/warn.json", "gen/warn.json"])
        .assert()
        .success();
    iamlint(dir.path())
        .args(["--force-exclude", "-", "--stdin-filename", "legacy/x.json"])
        .write_stdin(NO_VERSION)
        .assert()
        .success();
}

// ---------------------------------------------------------------------------------------------
// Baseline

#[test]
fn baseline_round_trip() {
    let dir = repo(&[
        ("iamlint.toml", CONFIG_SELECT),
        ("policies/warn.json", NO_VERSION),
        ("policies/bad.json", BAD_EFFECT),
    ]);
    iamlint(dir.path()).arg(".").assert().code(1);
    iamlint(dir.path())
        .args(["--write-baseline", "baseline.json", "."])
        .assert()
        .success()
        .stdout("")
        .stderr("wrote 2 findings to baseline.json\n");
    let baseline: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("baseline.json")).expect("written"),
    )
    .expect("JSON");
    assert_eq!(baseline["version"], 2);
    assert_eq!(baseline["findings"][0]["path"], "policies/bad.json");
    assert_eq!(baseline["findings"][0]["rule"], "invalid-policy");

    iamlint(dir.path())
        .args(["--baseline", "baseline.json", "."])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 findings suppressed"));

    // Moved down and reformatted: still known.
    let reformatted = format!(
        "\n\n{}",
        BAD_EFFECT
            .replace("{\"Sid\"", "{\n      \"Sid\"")
            .replace(", \"", ",\n      \"")
    );
    write(dir.path(), "policies/bad.json", &reformatted);
    iamlint(dir.path())
        .args(["--baseline", "baseline.json", "."])
        .assert()
        .success();
    // Run from another folder: paths are relative to the baseline file.
    iamlint(&dir.path().join("policies"))
        .args(["--baseline", "../baseline.json", "."])
        .assert()
        .success();

    // A new finding is reported, and only it.
    write(dir.path(), "policies/new.json", NO_VERSION);
    let out = stdout_of(iamlint(dir.path()).args(["--baseline", "baseline.json", "-q", "."]));
    assert_eq!(
        out,
        "policies/new.json:2:3: warning[missing-version] policy has no `Version`, so policy variables are not expanded\n"
    );
    std::fs::remove_file(dir.path().join("policies/new.json")).expect("remove");

    // Fixed findings: a note says the baseline has stale entries.
    write(dir.path(), "policies/warn.json", CLEAN);
    iamlint(dir.path())
        .args(["--baseline", "baseline.json", "."])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: 1 baseline entry in baseline.json matched nothing",
        ));
}

/// Identical findings are matched by count: a baseline with one hides one.
#[test]
fn baseline_counts_duplicates() {
    let dir = repo(&[("iamlint.toml", CONFIG_SELECT), ("bad.json", BAD_EFFECT)]);
    iamlint(dir.path())
        .args(["--write-baseline", "b.json", "bad.json"])
        .assert()
        .success()
        .stderr("wrote 1 finding to b.json\n");
    let statement =
        r#"{"Sid": "Bad", "Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}"#;
    write(
        dir.path(),
        "bad.json",
        &BAD_EFFECT.replace(statement, &format!("{statement},\n    {statement}")),
    );
    let out = stdout_of(iamlint(dir.path()).args(["--baseline", "b.json", "-q", "bad.json"]));
    assert_eq!(
        out,
        "bad.json:5:30: error[invalid-policy] `Effect` must be \"Allow\" or \"Deny\", found \"allow\"\n"
    );
}

/// A baselined `"Resource": "*"` statement hides only itself: statements added above, below and
/// between, moved or copied, are reported (issue 25). Fingerprints name the statement by content.
#[test]
fn baseline_tells_statements_apart() {
    let statement = |sid: &str, action: &str| {
        format!(r#"{{"Sid": "{sid}", "Effect": "Allow", "Action": "{action}", "Resource": "*"}}"#)
    };
    let policy = |statements: &[String]| {
        format!(
            "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}\n",
            statements.join(",\n    ")
        )
    };
    let old = statement("Old", "s3:GetObject");
    let other = statement("Other", "sqs:SendMessage");
    let dir = repo(&[("p.json", &policy(&[old.clone(), other.clone()]))]);
    let select = "--select=resource-star";
    iamlint(dir.path())
        .args([select, "--write-baseline", "b.json", "p.json"])
        .assert()
        .success()
        .stderr("wrote 2 findings to b.json\n");
    let reported = |statements: &[String]| -> Vec<String> {
        write(dir.path(), "p.json", &policy(statements));
        let json = json_of(iamlint(dir.path()).args([
            select,
            "--baseline",
            "b.json",
            "--format",
            "json",
            "p.json",
        ]));
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                let line = f["line"].as_u64().expect("line") as usize;
                let text = policy(statements);
                let sid = text.lines().nth(line - 1).expect("the line").to_string();
                sid.split('"').nth(3).unwrap_or_default().to_string()
            })
            .collect()
    };
    let new = statement("New", "iam:PassRole");
    let wide = statement("Wide", "s3:*");
    // Unchanged, and moved: nothing new.
    assert_eq!(
        reported(&[old.clone(), other.clone()]),
        Vec::<String>::new()
    );
    assert_eq!(
        reported(&[other.clone(), old.clone()]),
        Vec::<String>::new()
    );
    // Added above, between and below the baselined ones: each new one is reported, only it.
    assert_eq!(
        reported(&[new.clone(), old.clone(), other.clone()]),
        ["New"]
    );
    assert_eq!(
        reported(&[old.clone(), wide.clone(), other.clone()]),
        ["Wide"]
    );
    assert_eq!(
        reported(&[old.clone(), other.clone(), new.clone(), wide.clone()]),
        ["New", "Wide"]
    );
    // A baselined statement changed (its `"*"` now grants more) is new.
    assert_eq!(
        reported(&[statement("Old", "s3:*"), other.clone()]),
        ["Old"]
    );
    // Copied: the baseline holds one, so one of the two is reported.
    assert_eq!(
        reported(&[old.clone(), old.clone(), other.clone()]).len(),
        1
    );
}

/// A version 1 baseline (fingerprints without the statement) is refused with what to do.
#[test]
fn an_old_baseline_is_refused_with_what_to_do() {
    let dir = repo(&[
        ("warn.json", NO_VERSION),
        (
            "old.json",
            r#"{"version": 1, "findings": [{"path": "warn.json", "rule": "missing-version", "fingerprint": "0123456789abcdef", "message": "m"}]}"#,
        ),
    ]);
    iamlint(dir.path())
        .args(["--baseline", "old.json", "warn.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "old.json: not an iamlint baseline: version 1 fingerprints do not tell statements apart",
        ))
        .stderr(predicate::str::contains("--write-baseline"));
}

#[test]
fn baseline_errors() {
    let dir = repo(&[
        ("iamlint.toml", CONFIG_SELECT),
        ("warn.json", NO_VERSION),
        ("broken.json", "{"),
        ("not-a-baseline.json", "{\"findings\": 3}"),
    ]);
    iamlint(dir.path())
        .args(["--baseline", "nope.json", "warn.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: nope.json: cannot read baseline: ",
        ));
    iamlint(dir.path())
        .args(["--baseline", "not-a-baseline.json", "warn.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: not-a-baseline.json: not an iamlint baseline: ",
        ));
    // Input errors cannot be baselined: the file is written, and the run says what is missing.
    iamlint(dir.path())
        .args(["--write-baseline", "b.json", "warn.json", "broken.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrote 1 finding to b.json"))
        .stderr(predicate::str::contains("broken.json"));
    iamlint(dir.path())
        .args([
            "--baseline",
            "b.json",
            "--write-baseline",
            "c.json",
            "warn.json",
        ])
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------------------------
// Fixes and the catalog subcommands

#[test]
fn fix_writes_nothing_without_safe_fixes() {
    let dir = repo(&[("warn.json", NO_VERSION)]);
    iamlint(dir.path())
        .args(["warn.json", "--fix", SELECT])
        .assert()
        .code(1);
    let after = std::fs::read_to_string(dir.path().join("warn.json")).unwrap();
    assert_eq!(after, NO_VERSION, "--fix changed a file without a safe fix");
}

#[test]
fn expand_lists_matching_actions_with_levels() {
    let dir = repo(&[]);
    let out = stdout_of(iamlint(dir.path()).args(["expand", "ecr:BatchGet*"]));
    assert!(out.contains("ecr:BatchGetImage"), "{out}");
    assert!(out.contains("Read"), "{out}");
    assert!(!out.contains("ecr:PutImage"), "{out}");
    let json = json_of(iamlint(dir.path()).args(["expand", "s3:GetObject", "--format", "json"]));
    assert!(json.to_string().contains("s3:GetObject"), "{json}");
}

#[test]
fn managed_shows_grants_and_suggests_names() {
    let dir = repo(&[]);
    let out =
        stdout_of(iamlint(dir.path()).args(["managed", "AmazonEC2ContainerRegistryReadOnly"]));
    assert!(out.contains("ecr:GetAuthorizationToken"), "{out}");
    assert!(out.contains("ecr-pull"), "{out}");
    iamlint(dir.path())
        .args(["managed", "AmazonEC2ContainerRegistryReadOnli"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "AmazonEC2ContainerRegistryReadOnly",
        ));
}

#[test]
fn suggest_renders_a_recipe_in_each_syntax() {
    let dir = repo(&[]);
    let json = stdout_of(iamlint(dir.path()).args(["suggest", "ecr-pull"]));
    assert!(
        json.contains("ecr:GetAuthorizationToken") && json.contains("ecr:BatchGetImage"),
        "{json}"
    );
    let arn = "arn:aws:ecr:us-east-1:111122223333:repository/app";
    let hcl = stdout_of(iamlint(dir.path()).args([
        "suggest",
        "ecr-pull",
        "--resource",
        arn,
        "--format",
        "hcl",
    ]));
    assert!(hcl.contains("jsonencode") && hcl.contains(arn), "{hcl}");
    let yaml = stdout_of(iamlint(dir.path()).args(["suggest", "ecr-pull", "--format", "yaml"]));
    assert!(yaml.contains("AWS::IAM::ManagedPolicy"), "{yaml}");
    iamlint(dir.path())
        .args(["suggest", "ecr-pul"])
        .assert()
        .code(2);
}

#[test]
fn fix_removes_a_redundant_action() {
    let before = r#"{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*"], "Resource": "arn:aws:s3:::b/*"}]
}
"#;
    let dir = repo(&[("p.json", before)]);
    iamlint(dir.path())
        .args([
            "p.json",
            "--select",
            "redundant-action",
            "--fail-on",
            "info",
            "--fix",
        ])
        .assert()
        .code(0);
    let after = std::fs::read_to_string(dir.path().join("p.json")).unwrap();
    assert!(after.contains(r#""Action": ["s3:Get*"]"#), "{after}");
    assert!(serde_json::from_str::<Value>(&after).is_ok(), "{after}");
}

/// `--fix` keeps a UTF-8 byte order mark and CRLF line endings, in every format (issue 25): the
/// BOM was dropped with the fix.
#[test]
fn fix_keeps_the_bom_and_crlf_line_endings() {
    let files = [
        (
            "p.json",
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\n    \"s3:Get*\",\n    \"s3:GetObject\"\n  ], \"Resource\": \"arn:aws:s3:::b/*\"}]\n}\n",
        ),
        (
            "main.tf",
            "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{\n      Effect = \"Allow\"\n      Action = [\n        \"s3:Get*\",\n        \"s3:GetObject\",\n      ]\n      Resource = \"arn:aws:s3:::b/*\"\n    }]\n  })\n}\n",
        ),
        (
            "t.yaml",
            "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action:\n              - s3:Get*\n              - s3:GetObject\n            Resource: 'arn:aws:s3:::b/*'\n",
        ),
    ];
    let dir = repo(&[]);
    for (name, text) in files {
        let bytes = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    iamlint(dir.path())
        .args(["--select", "redundant-action", "--fix", "."])
        .assert()
        .success()
        .stderr(predicate::str::contains("fixed 3 problems"));
    for (name, text) in files {
        let after = std::fs::read(dir.path().join(name)).unwrap();
        let after = String::from_utf8(after).unwrap();
        assert!(
            after.starts_with('\u{feff}'),
            "{name}: the BOM is kept\n{after:?}"
        );
        assert!(!after.contains("s3:GetObject"), "{name}: fixed\n{after:?}");
        assert!(
            !after.replace("\r\n", "").contains('\n'),
            "{name}: CRLF kept\n{after:?}"
        );
        // Only the item went: the file is the original without that line.
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("s3:GetObject"))
            .collect();
        let after_lines: Vec<&str> = after.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(after_lines.len(), kept.len(), "{name}\n{after:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform variables from outside the module

#[test]
fn var_and_var_file_set_terraform_variables_in_command_line_order() {
    const MAIN: &str = "variable \"actions\" {\n  default = [\"s3:GetObject\"]\n}\n\n\
        resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    \
        Statement = [{ Effect = \"Allow\", Action = var.actions, Resource = \"arn:aws:s3:::r/*\" }]\n  \
        })\n}\n";
    let dir = repo(&[
        ("main.tf", MAIN),
        ("narrow.tfvars", "actions = [\"s3:GetObject\"]\n"),
        ("broad.tfvars.json", "{\"actions\": [\"s3:*\"]}\n"),
    ]);
    let run = |args: &[&str]| {
        iamlint(dir.path())
            .args(["--select=wildcard-action", "main.tf"])
            .args(args)
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(run(&[]), Some(0));
    assert_eq!(run(&["--var", "actions=[\"s3:*\"]"]), Some(1));
    assert_eq!(run(&["--var-file", "broad.tfvars.json"]), Some(1));
    // The later setting wins, whichever flag it comes from.
    assert_eq!(
        run(&[
            "--var-file",
            "broad.tfvars.json",
            "--var-file",
            "narrow.tfvars"
        ]),
        Some(0)
    );
    assert_eq!(
        run(&["--var", "actions=[\"s3:*\"]", "--var-file", "narrow.tfvars"]),
        Some(0)
    );
    assert_eq!(
        run(&["--var-file", "narrow.tfvars", "--var", "actions=[\"s3:*\"]"]),
        Some(1)
    );
    // The finding points into the file that set the value.
    let out = stdout_of(
        iamlint(dir.path())
            .args(["--select=wildcard-action", "--quiet", "main.tf"])
            .args(["--var-file", "broad.tfvars.json"]),
    );
    assert!(out.contains("broad.tfvars.json:1:14"), "{out}");
    iamlint(dir.path())
        .args(["main.tf", "--var", "no-equals-sign"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected `NAME=VALUE` for `--var`",
        ));
    iamlint(dir.path())
        .args(["main.tf", "--var-file", "missing.tfvars"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read variables file `missing.tfvars`",
        ));

    // The config's `[terraform]` values come before the command line's.
    let configured = repo(&[
        ("main.tf", MAIN),
        ("narrow.tfvars", "actions = [\"s3:GetObject\"]\n"),
        (
            "iamlint.toml",
            "[terraform]\nvars = { actions = [\"s3:*\"] }\n",
        ),
    ]);
    let code = |args: &[&str]| {
        iamlint(configured.path())
            .args(["--select=wildcard-action", "main.tf"])
            .args(args)
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(code(&[]), Some(1));
    assert_eq!(code(&["--var-file", "narrow.tfvars"]), Some(0));
    let bad = repo(&[
        ("main.tf", MAIN),
        (
            "iamlint.toml",
            "[terraform]\nvar-files = [\"nope.tfvars\"]\n",
        ),
    ]);
    iamlint(bad.path())
        .arg("main.tf")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "iamlint.toml:2:14: variables file `nope.tfvars` does not exist",
        ));
}

/// An annotation sits in one file: a finding inside a module names the call that brought it there
/// on a line of its own (`%0A` in the workflow command).
#[test]
fn github_annotations_of_module_findings_name_the_call() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terraform/modules/repo");
    let out = iamlint(&root)
        .args([
            "check",
            // This repository's iamlint.toml excludes fixtures/ from folder walks.
            "--no-config",
            "examples/broad",
            "--format",
            "github",
            "--select",
            "wildcard-action",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let module_line = out
        .lines()
        .find(|l| l.contains("`logs:*`"))
        .unwrap_or_else(|| panic!("no annotation for the module statement in:\n{out}"));
    assert!(
        module_line.starts_with("::warning file=main.tf,line=11,"),
        "{module_line}"
    );
    // A partial run sees the module's other callers too (the fixture repository's root is this
    // crate's): the same finding, with the same labels, as a run over the root.
    assert!(
        module_line.contains("%0Ain module `ci` called here: examples/broad/main.tf:1"),
        "{module_line}"
    );
    // The caller's own finding is in the caller's file: no extra line.
    let caller_line = out.lines().find(|l| l.contains("`s3:*`")).unwrap();
    assert!(
        caller_line.starts_with("::warning file=examples/broad/main.tf,line=4,")
            && !caller_line.contains("%0A"),
        "{caller_line}"
    );
}

// ---------------------------------------------------------------------------------------------
// The same verdict however iamlint is called (issue 19)

/// Each file uses the nearest config between it and the repository root, whatever the order of
/// the arguments; `--config` replaces it for every file and `--no-config` drops it.
#[test]
fn each_file_uses_its_nearest_config_whatever_the_order() {
    let dir = repo(&[
        ("a/iamlint.toml", "select = [\"invalid-policy\"]\n"),
        ("a/w.json", NO_VERSION),
        ("b/w.json", NO_VERSION),
        ("iamlint.toml", "select = [\"missing-version\"]\n"),
        ("ci/none.toml", "select = [\"invalid-policy\"]\n"),
    ]);
    let run = |args: &[&str]| {
        let out = iamlint(dir.path())
            .arg("-q")
            .args(args)
            .output()
            .expect("runs");
        (String::from_utf8(out.stdout).unwrap(), out.status.code())
    };
    let expected = "b/w.json:2:3: warning[missing-version] policy has no `Version`, so policy variables are not expanded\n";
    assert_eq!(
        run(&["a/w.json", "b/w.json"]),
        (expected.to_string(), Some(1))
    );
    assert_eq!(
        run(&["b/w.json", "a/w.json"]),
        (expected.to_string(), Some(1))
    );
    assert_eq!(run(&["a/w.json"]), (String::new(), Some(0)));
    // The folder walk too: a/ has its own config.
    assert_eq!(run(&["."]), (expected.to_string(), Some(1)));
    // `--config FILE` is every file's config; `--no-config` runs every rule on both.
    assert_eq!(
        run(&["--config", "ci/none.toml", "b/w.json", "a/w.json"]).1,
        Some(0)
    );
    let (out, code) = run(&[
        "--no-config",
        "--select",
        "missing-version",
        "a/w.json",
        "b/w.json",
    ]);
    assert_eq!((out.lines().count(), code), (2, Some(1)), "{out}");
    // Each file's `fail-on` is its config's.
    write(
        dir.path(),
        "a/iamlint.toml",
        "fail-on = \"error\"\nselect = [\"missing-version\"]\n",
    );
    assert_eq!(run(&["a/w.json"]).1, Some(0));
    assert_eq!(run(&["b/w.json", "a/w.json"]).1, Some(1));
    // Discovery stops at the repository root: a config above it is not read.
    let outer = tempfile::tempdir().unwrap();
    write(
        outer.path(),
        "iamlint.toml",
        "select = [\"invalid-policy\"]\n",
    );
    write(outer.path(), "r/w.json", NO_VERSION);
    std::fs::create_dir(outer.path().join("r/.git")).unwrap();
    iamlint(&outer.path().join("r"))
        .args(["-q", "--select", "missing-version,invalid-policy", "w.json"])
        .assert()
        .code(1);
    iamlint(&outer.path().join("r"))
        .arg("w.json")
        .assert()
        .code(1);
}

/// A module whose statement takes its actions from callers in `examples/`, and a default in its
/// `variables.tf`.
fn module_repo() -> TempDir {
    repo(&[
        (
            "modules/kms/main.tf",
            r#"resource "aws_iam_policy" "this" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = var.actions
      Resource = "*"
    }]
  })
}
"#,
        ),
        (
            "modules/kms/variables.tf",
            "variable \"actions\" {\n  type    = list(string)\n  default = [\"kms:*\"]\n}\n",
        ),
        (
            "examples/complete/main.tf",
            "module \"kms\" {\n  source  = \"../../modules/kms\"\n  actions = [\"iam:*\"]\n}\n",
        ),
        (
            "examples/other/main.tf",
            "module \"kms\" {\n  source  = \"../../modules/kms\"\n  actions = [\"s3:*\"]\n}\n",
        ),
        ("policies/p.json", NO_VERSION),
    ])
}

/// Findings of a JSON report, without the volatile parts, in output order.
fn findings_of(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.as_object_mut().unwrap().remove("help");
            f
        })
        .collect()
}

fn locations(f: &Value) -> Vec<String> {
    let mut out = vec![f["path"].as_str().unwrap().to_string()];
    for r in f["related"].as_array().into_iter().flatten() {
        out.push(r["path"].as_str().unwrap().to_string());
    }
    out
}

/// Baseline entries (fingerprints) written by a run over `args`.
fn baseline_of(dir: &Path, args: &[&str]) -> Vec<Value> {
    let file = dir.join("base.tmp.json");
    iamlint(dir)
        .args(args)
        .arg("--write-baseline")
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let mut entries = serde_json::from_str::<Value>(&text).unwrap()["findings"]
        .as_array()
        .unwrap()
        .clone();
    entries.sort_by_key(|e| e.to_string());
    entries
}

/// Naming files gives exactly the findings a whole run reports with a location in them: the
/// module's statement is evaluated with its callers' arguments and its `variables.tf` default.
#[test]
fn partial_runs_agree_with_the_whole_run() {
    let dir = module_repo();
    let whole = json_of(iamlint(dir.path()).args(["--format", "json", "."]));
    let whole_findings = findings_of(&whole);
    let whole_base = baseline_of(dir.path(), &["."]);
    let cases: &[&[&str]] = &[
        &["modules/kms/main.tf"],
        &["modules/kms/variables.tf"],
        &["modules/kms"],
        &["examples/complete/main.tf"],
        &["policies/p.json", "modules/kms/main.tf"],
        &["modules/kms/main.tf", "policies/p.json"],
    ];
    for named in cases {
        let partial = json_of(iamlint(dir.path()).args(["--format", "json"]).args(*named));
        let in_named = |path: &str| {
            named
                .iter()
                .any(|n| path == *n || path.starts_with(&format!("{n}/")))
        };
        let expected: Vec<Value> = whole_findings
            .iter()
            .filter(|f| locations(f).iter().any(|p| in_named(p)))
            .cloned()
            .collect();
        assert!(!expected.is_empty(), "{named:?}");
        assert_eq!(findings_of(&partial), expected, "{named:?}");
        // Same fingerprints: the partial baseline is the whole one's entries for those findings.
        let base = baseline_of(dir.path(), named);
        assert_eq!(base.len(), expected.len(), "{named:?}");
        for entry in &base {
            assert!(whole_base.contains(entry), "{named:?}: {entry}");
        }
    }
    // The callers' actions reach the module's file, and its variables.tf holds a finding.
    let main = json_of(iamlint(dir.path()).args(["--format", "json", "modules/kms/main.tf"]));
    let text = main.to_string();
    assert!(
        text.contains("`iam:*`") && text.contains("`s3:*`") && text.contains("`kms:*`"),
        "{text}"
    );
    let vars = findings_of(&json_of(iamlint(dir.path()).args([
        "--format",
        "json",
        "modules/kms/variables.tf",
    ])));
    assert!(
        vars.iter().any(|f| f["path"] == "modules/kms/variables.tf"),
        "{vars:?}"
    );
    // The same from inside a sub-folder: paths are shown from there.
    let sub =
        json_of(iamlint(&dir.path().join("modules")).args(["--format", "json", "kms/main.tf"]));
    assert_eq!(findings_of(&sub).len(), findings_of(&main).len());
}

/// A partial run never advises rewriting the baseline (it would drop the other files' entries).
#[test]
fn partial_runs_do_not_suggest_rewriting_the_baseline() {
    let dir = repo(&[("a/w.json", NO_VERSION), ("b/w.json", NO_VERSION)]);
    iamlint(dir.path())
        .args([SELECT, ".", "--write-baseline", "base.json"])
        .assert()
        .success();
    // b/w.json fixed: the whole run suggests refreshing the baseline...
    write(dir.path(), "b/w.json", CLEAN);
    iamlint(dir.path())
        .args([SELECT, ".", "--baseline", "base.json"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("1 baseline entry")
                .and(predicate::str::contains("--write-baseline")),
        );
    // ...a run on a/ alone sees nothing unmatched in a/, and on b/ says so without the advice.
    iamlint(dir.path())
        .args([SELECT, "a/w.json", "--baseline", "base.json"])
        .assert()
        .success()
        .stderr("");
    iamlint(dir.path())
        .args([SELECT, "b/w.json", "--baseline", "base.json"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("1 baseline entry")
                .and(predicate::str::contains("--write-baseline").not()),
        );
}

#[test]
fn a_mistyped_command_gets_a_did_you_mean() {
    let dir = repo(&[]);
    iamlint(dir.path())
        .args(["explian", "wildcard-action"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown command `explian` (did you mean `explain`?)",
        ));
    iamlint(dir.path())
        .arg("rulse")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `rules`?"));
    // An existing path that looks like a command is linted, and a far-off name is a missing path.
    write(dir.path(), "rule", CLEAN);
    iamlint(dir.path())
        .args([SELECT, "rule"])
        .assert()
        .success();
    iamlint(dir.path())
        .arg("policies")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("cannot read path"));
}

#[test]
fn categories_and_prefixes_select_rules() {
    let dir = repo(&[("warn.json", NO_VERSION), ("bad.json", BAD_EFFECT)]);
    let rules = |args: &[&str]| -> Vec<String> {
        let report = json_of(iamlint(dir.path()).args(["--format", "json"]).args(args));
        let mut ids: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    // missing-version and invalid-policy are validity rules; resource-star is least-privilege.
    assert_eq!(
        rules(&["--select", "validity", "."]),
        ["invalid-policy", "missing-version"]
    );
    assert_eq!(
        rules(&["--select", "least-privilege", "warn.json"]),
        ["resource-star"]
    );
    assert_eq!(rules(&["--select", "missing-", "."]), ["missing-version"]);
    assert_eq!(
        rules(&[
            "--select",
            "all",
            "--ignore",
            "least-privilege,missing-",
            "."
        ]),
        ["invalid-policy"]
    );
    write(
        dir.path(),
        "iamlint.toml",
        "select = [\"validity\"]\nignore = [\"invalid-\"]\n",
    );
    assert_eq!(rules(&["."]), ["missing-version"]);
    iamlint(dir.path())
        .args(["--select", "nothing-", "."])
        .assert()
        .code(2)
        .stderr("error: no rule id starts with `nothing-` (`iamlint rules` lists them)\n");
    iamlint(dir.path())
        .args(["--select", "validty", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `validity`?"));
}

#[test]
fn rules_as_json() {
    let dir = repo(&[]);
    let rules = json_of(iamlint(dir.path()).args(["rules", "--format", "json"]));
    let rules = rules.as_array().unwrap();
    let text = stdout_of(iamlint(dir.path()).arg("rules"));
    assert_eq!(rules.len(), text.lines().count() - 1);
    let star = rules.iter().find(|r| r["id"] == "resource-star").unwrap();
    assert_eq!(star["category"], "least-privilege");
    assert!(star["severity"].is_string() && star["fix"].is_string() && star["summary"].is_string());
}

#[test]
fn unsafe_fixes_are_applied_only_when_asked() {
    // `--unsafe-fixes` implies `--fix`: the safe fix (a redundant action dropped) is applied.
    let before = r#"{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*"], "Resource": "arn:aws:s3:::b/*"}]
}
"#;
    // broad-managed-policy's fix (the ecr-pull recipe as an inline policy in place of a broad
    // managed policy) is a resource to add, not an edit: display-only, never applied.
    let tf = r#"resource "aws_ecr_repository" "app" {
  name = "app"
}

resource "aws_iam_role_policy_attachment" "pull" {
  role       = "app"
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
}
"#;
    let dir = repo(&[("p.json", before), ("main.tf", tf)]);
    let select = "--select=redundant-action,broad-managed-policy";
    let human = stdout_of(iamlint(dir.path()).args([select, "main.tf"]));
    assert!(human.contains("fix (display-only)"), "{human}");
    iamlint(dir.path())
        .args([select, "--unsafe-fixes", "--fail-on", "error", "."])
        .assert()
        .success()
        .stderr(predicate::str::contains("fixed 1 problem"));
    let after = std::fs::read_to_string(dir.path().join("p.json")).unwrap();
    assert!(after.contains(r#""Action": ["s3:Get*"]"#), "{after}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        tf
    );
    // `--fix` again: nothing left to apply, nothing said.
    iamlint(dir.path())
        .args([select, "--fix", "--fail-on", "error", "."])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn sarif_rules_carry_security_severity_and_tags_and_results_their_fixes() {
    let dir = repo(&[(
        "p.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*"], "Resource": "arn:aws:s3:::b/*"}]}"#,
    )]);
    let sarif = json_of(iamlint(dir.path()).args(["--format", "sarif", "p.json"]));
    let run = &sarif["runs"][0];
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let props = &rule["properties"];
        let score: f64 = props["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let expected = match rule["defaultConfiguration"]["level"].as_str().unwrap() {
            "error" => 8.0,
            "warning" => 5.0,
            _ => 2.0,
        };
        assert_eq!(score, expected, "{rule}");
        let tags = props["tags"].as_array().unwrap();
        assert!(tags.contains(&Value::from("security")), "{rule}");
        assert!(tags.contains(&props["category"]), "{rule}");
    }
    let fixed = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "redundant-action")
        .expect("a redundant-action result");
    let replacement = &fixed["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert!(
        replacement["deletedRegion"]["startLine"].is_number(),
        "{fixed}"
    );
    assert!(
        replacement["insertedContent"]["text"].is_string(),
        "{fixed}"
    );
}

/// Past the annotation cap, findings are plain log lines: shown as written, one line per line.
#[test]
fn github_log_lines_past_the_cap_are_not_escaped() {
    let dir = module_repo();
    // Eleven warnings in files before `examples/`: the module's findings come past the cap.
    for i in 0..11 {
        write(dir.path(), &format!("a/w{i:02}.json"), NO_VERSION);
    }
    let out = stdout_of(iamlint(dir.path()).args([
        "--format",
        "github",
        "--select",
        "missing-version,wildcard-action",
        ".",
    ]));
    let log: Vec<&str> = out.lines().filter(|l| !l.starts_with("::")).collect();
    assert!(!log.is_empty(), "{out}");
    assert!(log.iter().all(|l| !l.contains("%0A")), "{out}");
    // A finding's locations in other files are continuation lines of their own.
    assert!(
        log.iter()
            .any(|l| l.starts_with("  on these resources: modules/kms/main.tf:7")),
        "{out}"
    );
    assert!(
        log.iter()
            .any(|l| l
                .starts_with("warning[wildcard-action] examples/complete/main.tf:3:14: `iam:*`")),
        "{out}"
    );
}

#[test]
fn force_color_and_clicolor_force() {
    let dir = repo(&[("warn.json", NO_VERSION)]);
    let colored = |envs: &[(&str, &str)], args: &[&str]| {
        let mut cmd = iamlint(dir.path());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        stdout_of(cmd.args([SELECT, "warn.json"]).args(args)).contains('\u{1b}')
    };
    assert!(!colored(&[], &[]));
    assert!(colored(&[("FORCE_COLOR", "1")], &[]));
    assert!(colored(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!colored(&[("FORCE_COLOR", "0")], &[]));
    assert!(!colored(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[]));
    assert!(!colored(&[("FORCE_COLOR", "1")], &["--color", "never"]));
    assert!(colored(&[("NO_COLOR", "1")], &["--color", "always"]));
}

#[test]
fn suggest_names_variables_takes_references_and_prints_a_template_that_lints_clean() {
    let dir = repo(&[]);
    iamlint(dir.path())
        .args(["suggest", "ecr-pull", "--resource", "state-bucket=x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`state-bucket` is not a variable of recipe `ecr-pull` (its variables: `Partition`, `Region`, `Account`, `RepositoryName`)",
        ));
    let hcl = stdout_of(iamlint(dir.path()).args([
        "suggest",
        "ecr-pull",
        "--resource",
        "aws_ecr_repository.app.arn",
        "--format",
        "hcl",
    ]));
    assert!(
        hcl.contains("Resource = aws_ecr_repository.app.arn\n"),
        "{hcl}"
    );
    let doc = stdout_of(iamlint(dir.path()).args([
        "suggest",
        "ecr-pull",
        "--resource",
        "aws_ecr_repository.app.arn",
        "--format",
        "hcl-document",
    ]));
    assert!(
        doc.contains("aws_ecr_repository.app.arn")
            && !doc.contains("\"aws_ecr_repository.app.arn\""),
        "{doc}"
    );
    iamlint(dir.path())
        .args([
            "suggest",
            "ecr-pull",
            "--resource",
            "aws_ecr_repository.app.arn",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a Terraform reference"));
    // Every recipe's YAML is a whole template that iamlint reads and, once the recipe's variables
    // are given (the error above lists them; partition, region and account become pseudo
    // parameters), finds nothing in. Left unfilled, its `<placeholders>` are reported as a template's.
    let list = stdout_of(iamlint(dir.path()).arg("suggest"));
    for recipe in list
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
    {
        let listed = iamlint(dir.path())
            .args(["suggest", recipe, "--resource", "nosuchvar=1"])
            .output()
            .expect("run iamlint");
        let listed = String::from_utf8_lossy(&listed.stderr).into_owned();
        let vars: Vec<&str> = listed
            .split("its variables: ")
            .nth(1)
            .unwrap_or_else(|| panic!("no variable list in {listed}"))
            .split('`')
            .filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric()) && !v.is_empty())
            .filter(|v| !matches!(*v, "Partition" | "Region" | "Account"))
            .collect();
        let mut args = vec!["suggest", recipe, "--format", "yaml"];
        let values: Vec<String> = vars.iter().map(|v| format!("{v}=example1")).collect();
        for value in &values {
            args.extend(["--resource", value.as_str()]);
        }
        let yaml = stdout_of(iamlint(dir.path()).args(&args));
        assert!(
            yaml.contains("AWSTemplateFormatVersion") && yaml.contains("\nResources:\n"),
            "{yaml}"
        );
        let name = format!("{recipe}.yaml");
        write(dir.path(), &name, &yaml);
        iamlint(dir.path())
            .args(["--fail-on", "info", &name])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("no findings"));
        if !vars.is_empty() {
            let unfilled =
                stdout_of(iamlint(dir.path()).args(["suggest", recipe, "--format", "yaml"]));
            let name = format!("{recipe}-unfilled.yaml");
            write(dir.path(), &name, &unfilled);
            // A template's placeholders are one info (`unresolved-reference`), not an error per value.
            iamlint(dir.path())
                .args(["--fail-on", "info", &name])
                .assert()
                .code(1)
                .stdout(predicate::str::contains("of this policy template"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 29: CLI habits of peer linters, config outside a repository, content.

/// `ssm:GetParameter` beside `ssm:Get*`: one safe `redundant-action` fix.
const REDUNDANT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Deploy", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:Get*"],
     "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/app/*"}
  ]
}
"#;

#[test]
fn peer_spellings_of_format_and_exit_zero() {
    let dir = repo(&[("w.json", NO_VERSION), ("bad.json", "{\"Statement\": [")]);
    // ruff's `--output-format` is our `--format`, not clap's guess `--output-file`.
    let json = json_of(iamlint(dir.path()).args([SELECT, "--output-format", "json", "w.json"]));
    assert_eq!(json["summary"]["warnings"], 1, "{json}");
    // `--exit-zero` and `--fail-on none`: findings never fail; input errors still do.
    for flag in [&["--exit-zero"][..], &["--fail-on", "none"][..]] {
        iamlint(dir.path())
            .args([SELECT, "w.json"])
            .args(flag)
            .assert()
            .code(0);
        iamlint(dir.path())
            .args([SELECT, "w.json", "bad.json"])
            .args(flag)
            .assert()
            .code(2);
    }
    iamlint(dir.path())
        .args([SELECT, "--exit-zero", "--fail-on", "error", "w.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    // The config's `fail-on = "none"` is the flag's `none`; the flag still wins over it.
    write(dir.path(), "iamlint.toml", "fail-on = \"none\"\n");
    iamlint(dir.path())
        .args([SELECT, "w.json"])
        .assert()
        .code(0);
    iamlint(dir.path())
        .args([SELECT, "w.json", "bad.json"])
        .assert()
        .code(2);
    iamlint(dir.path())
        .args([SELECT, "--fail-on", "warning", "w.json"])
        .assert()
        .code(1);
    let settings = stdout_of(iamlint(dir.path()).args(["--show-settings", "w.json"]));
    assert!(settings.contains("fail-on: none (config)"), "{settings}");
}

#[test]
fn help_groups_the_options_and_promises_no_missing_fixes() {
    let dir = repo(&[]);
    let help = stdout_of(iamlint(dir.path()).args(["check", "--help"]));
    for heading in [
        "\nInput:\n",
        "\nConfiguration:\n",
        "\nRules:\n",
        "\nExit status:\n",
        "\nBaseline:\n",
        "\nOutput:\n",
        "\nFixes:\n",
        "\nTerraform:\n",
    ] {
        assert!(help.contains(heading), "no {heading:?} in\n{help}");
    }
    let unsafe_help = help
        .split("--unsafe-fixes")
        .nth(1)
        .and_then(|rest| rest.split("\n  -").next())
        .expect("--unsafe-fixes is listed");
    assert!(
        unsafe_help.contains("where a command offers them"),
        "{unsafe_help}"
    );
    assert!(!unsafe_help.contains("wildcard replaced"), "{unsafe_help}");
}

#[test]
fn verbose_says_which_config_and_how_long() {
    let dir = repo(&[
        ("iamlint.toml", CONFIG_SELECT),
        ("a/w.json", NO_VERSION),
        ("b/iamlint.toml", CONFIG_SELECT),
        ("b/w.json", NO_VERSION),
    ]);
    let out = iamlint(dir.path())
        .args(["--verbose", "a", "b"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("iamlint: config iamlint.toml for a\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("iamlint: config b/iamlint.toml for b\n"),
        "{stderr}"
    );
    assert!(stderr.contains("iamlint: read a/w.json\n"), "{stderr}");
    assert!(stderr.contains("iamlint: read b/w.json\n"), "{stderr}");
    assert!(stderr.contains("iamlint: 2 files read in "), "{stderr}");
    // Nothing of it on stdout: the findings stay machine-readable.
    let quiet = iamlint(dir.path()).args(["a", "b"]).output().expect("runs");
    assert_eq!(out.stdout, quiet.stdout);
    let stderr = String::from_utf8(
        iamlint(dir.path())
            .args(["-v", "--no-config", SELECT, "a"])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    assert!(
        stderr.contains("no config file for a: defaults"),
        "{stderr}"
    );
}

#[test]
fn show_settings_prints_the_resolved_config_and_its_file() {
    let dir = repo(&[
        (
            "iamlint.toml",
            "select = [\"missing-version\"]\nfail-on = \"error\"\n[severity]\nmissing-version = \"info\"\n",
        ),
        ("w.json", NO_VERSION),
    ]);
    let out = iamlint(dir.path())
        .args([
            "--show-settings",
            "--extend-ignore",
            "invalid-policy",
            "w.json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "config file: iamlint.toml\n  used for: .\n  select: missing-version\n  \
         ignore: invalid-policy\n  severity: missing-version = info\n  fail-on: error (config)\n"
    );
    let stdout = stdout_of(iamlint(dir.path()).args([
        "--show-settings",
        "--no-config",
        "--fail-on",
        "none",
        "w.json",
    ]));
    assert!(
        stdout.starts_with("config file: (none: defaults)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("  select: all\n"), "{stdout}");
    assert!(stdout.contains("  fail-on: none (--fail-on)\n"), "{stdout}");
    // Stdin's settings are those of `--stdin-filename`'s folder.
    let stdout = stdout_of(
        iamlint(dir.path())
            .args(["--show-settings", "-", "--stdin-filename", "sub/p.json"])
            .write_stdin(""),
    );
    assert_eq!(
        stdout.lines().take(2).collect::<Vec<_>>(),
        ["config file: iamlint.toml", "  used for: sub"],
        "{stdout}"
    );
}

#[test]
fn diff_and_show_fixes_print_a_unified_diff_and_write_nothing() {
    let dir = repo(&[("p.json", REDUNDANT), ("clean.json", CLEAN)]);
    for flag in ["--diff", "--show-fixes"] {
        let out = iamlint(dir.path())
            .args([flag, "--select", "redundant-action", "."])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.starts_with("--- a/p.json\n+++ b/p.json\n@@ "),
            "{stdout}"
        );
        assert!(
            stdout.contains(
                "-    {\"Sid\": \"Deploy\", \"Effect\": \"Allow\", \"Action\": [\"ssm:GetParameter\", \"ssm:Get*\"],\n\
                 +    {\"Sid\": \"Deploy\", \"Effect\": \"Allow\", \"Action\": [\"ssm:Get*\"],\n"
            ),
            "{stdout}"
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("would fix 1 problem in 1 file"), "{stderr}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("p.json")).unwrap(),
            REDUNDANT
        );
    }
    iamlint(dir.path())
        .args(["--diff", "--select", "redundant-action", "clean.json"])
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("no fixes to apply"));
}

#[test]
fn human_output_counts_fixable_findings_and_links_each_rule() {
    let dir = repo(&[("p.json", REDUNDANT), ("w.json", NO_VERSION)]);
    let out =
        stdout_of(iamlint(dir.path()).args(["--select", "redundant-action,missing-version", "."]));
    assert!(
        out.contains("\n1 fixable with `--fix` (`--diff` shows the changes)\n"),
        "{out}"
    );
    assert!(
        out.contains("  = docs: https://github.com/iamlint/iamlint/blob/main/docs/rules.md#redundant-action\n"),
        "{out}"
    );
    assert!(
        out.contains("  = docs: https://github.com/iamlint/iamlint/blob/main/docs/rules.md#missing-version\n"),
        "{out}"
    );
    let json = json_of(iamlint(dir.path()).args([
        "--select",
        "redundant-action,missing-version",
        "--format",
        "json",
        ".",
    ]));
    for finding in json["findings"].as_array().unwrap() {
        let url = finding["url"].as_str().expect("each finding has a url");
        assert!(
            url.ends_with(&format!(
                "docs/rules.md#{}",
                finding["rule"].as_str().unwrap()
            )),
            "{url}"
        );
    }
    // Nothing fixable: no such line.
    let out = stdout_of(iamlint(dir.path()).args([SELECT, "w.json"]));
    assert!(!out.contains("fixable"), "{out}");
}

#[test]
fn a_toml_syntax_error_is_one_located_line() {
    let dir = repo(&[("iamlint.toml", "select = [\n\"a\"\n"), ("p.json", CLEAN)]);
    let out = iamlint(dir.path()).arg("p.json").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("\\n"), "{stderr}");
    assert_eq!(
        stderr,
        "error: iamlint.toml:3:1: invalid array: expected `]`\n"
    );
}

/// `git` with a fixed identity, in `dir`.
fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args([
            "-c",
            "protocol.file.allow=always",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn diff_base_missing_in_a_shallow_clone_says_what_to_fetch() {
    let top = tempfile::tempdir().unwrap();
    let origin = top.path().join("origin");
    std::fs::create_dir(&origin).unwrap();
    git(&origin, &["init", "-q"]);
    write(&origin, "p.json", CLEAN);
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-qm", "one"]);
    write(&origin, "p.json", NO_VERSION);
    git(&origin, &["commit", "-qam", "two"]);
    let url = format!("file://{}", origin.display());
    git(top.path(), &["clone", "-q", "--depth=1", &url, "clone"]);
    let clone = top.path().join("clone");
    for (base, hint) in [
        ("HEAD~1", "run `git fetch --unshallow`"),
        (
            "origin/release",
            "run `git fetch --depth=50 origin release`",
        ),
    ] {
        let out = iamlint(&clone)
            .args(["diff", "--base", base])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{base}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with(&format!(
                "error: revision `{base}` is not in this clone, which is shallow"
            )),
            "{stderr}"
        );
        assert!(stderr.contains(hint), "{stderr}");
        assert!(!stderr.contains("delegate"), "{stderr}");
    }
    // Not shallow: a remote branch never fetched.
    let out = iamlint(&origin)
        .args(["diff", "--base", "upstream/main"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("revision `upstream/main` not found"),
        "{stderr}"
    );
    git(&origin, &["remote", "add", "upstream", &url]);
    let out = iamlint(&origin)
        .args(["diff", "--base", "upstream/main"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("run `git fetch upstream main`"), "{stderr}");
}

#[test]
fn outside_a_repository_config_discovery_reaches_the_working_directory() {
    // No `.git` anywhere: the named file's own folder is its root, yet `sub/iamlint.toml`, between
    // it and the current folder, is its config (as ruff finds it).
    let dir = tempfile::tempdir().unwrap();
    assert!(!dir.path().ancestors().any(|d| d.join(".git").exists()));
    write(dir.path(), "sub/deeper/p.json", NO_VERSION);
    write(
        dir.path(),
        "sub/iamlint.toml",
        "select = [\"invalid-policy\"]\n",
    );
    iamlint(dir.path())
        .arg("sub/deeper/p.json")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no findings"));
    // Its errors are reported too.
    write(
        dir.path(),
        "sub/iamlint.toml",
        "select = [\"invalid-polcy\"]\n",
    );
    iamlint(dir.path())
        .arg("sub/deeper/p.json")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: sub/iamlint.toml:1:11: unknown rule `invalid-polcy`",
        ));
    // Not above the working directory: run from `sub/deeper`, `sub`'s config is not the user's.
    iamlint(&dir.path().join("sub/deeper"))
        .args([SELECT, "p.json"])
        .assert()
        .code(1);
}

#[test]
fn files_with_findings_counts_the_files_findings_are_in() {
    // `main.tf` reads `p.json` with templatefile(): p.json's findings come in main.tf's report.
    let dir = repo(&[
        ("p.json", NO_VERSION),
        (
            "main.tf",
            "resource \"aws_iam_policy\" \"p\" {\n  policy = templatefile(\"${path.module}/p.json\", {})\n}\n\
             resource \"aws_iam_policy\" \"q\" {\n  policy = jsonencode({Statement = [{Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"*\"}]})\n}\n",
        ),
    ]);
    let json = json_of(iamlint(dir.path()).args([SELECT, "--format", "json", "."]));
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["main.tf", "p.json"], "{json}");
    assert_eq!(json["summary"]["files_with_findings"], 2, "{json}");
    let human = stdout_of(iamlint(dir.path()).args([SELECT, "."]));
    assert!(human.contains(" in 2 files (2 files checked)"), "{human}");
}

#[test]
fn fixing_an_action_under_a_wildcard_names_the_wildcard_it_keeps() {
    let dir = repo(&[("p.json", REDUNDANT)]);
    let json = json_of(iamlint(dir.path()).args([
        "--select",
        "redundant-action",
        "--format",
        "json",
        "p.json",
    ]));
    let finding = &json["findings"][0];
    let title = finding["fix"]["title"].as_str().unwrap();
    assert!(
        title.starts_with("remove `ssm:GetParameter` (`ssm:Get*` still grants it with ")
            && title.ends_with(" other actions)"),
        "{title}"
    );
    assert!(
        finding["help"]
            .as_str()
            .unwrap()
            .contains("if it is the action this statement needs, replace `ssm:Get*`"),
        "{finding}"
    );
    assert!(
        finding["related"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("covered here: `ssm:Get*` grants it with "),
        "{finding}"
    );
    // `--fix` says what it did, by the fix's title.
    let out = iamlint(dir.path())
        .args(["--select", "redundant-action", "--fix", "p.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("fixed p.json:4:53: {title} [redundant-action]\n")),
        "{stderr}"
    );
    assert!(stderr.ends_with("fixed 1 problem\n"), "{stderr}");
}

#[test]
fn stale_and_misspelt_ignore_entries_are_reported_in_the_config() {
    let config = "select = [\"missing-version\", \"invalid-policy\", \"unused-suppression\"]\n\n\
         [[ignore]]\npath = \"prod/bad.json\"\nrule = \"invalid-policy\"\nsid = \"Bda\"\nreason = \"misspelt\"\n\n\
         [[ignore]]\npath = \"prod/bad.json\"\nrule = \"invalid-policy\"\nsid = \"Bad\"\nreason = \"used\"\n\n\
         [[ignore]]\npath = \"prod/bad.json\"\nrule = \"missing-version\"\nreason = \"stale\"\n\n\
         [[ignore]]\npath = \"prd/bad.json\"\nrule = \"invalid-policy\"\nreason = \"no such file\"\n";
    let dir = repo(&[
        ("iamlint.toml", config),
        ("prod/bad.json", BAD_EFFECT),
        ("other/ok.json", CLEAN),
    ]);
    let out = iamlint(dir.path())
        .args(["-q", "."])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "iamlint.toml:3:1: warning[unused-suppression] `[[ignore]]` entry names `sid = \"Bda\"`, which no statement in `prod/bad.json` has (did you mean `Bad`?)\n\
         iamlint.toml:15:1: warning[unused-suppression] `[[ignore]]` entry for `missing-version` in `prod/bad.json` suppresses nothing\n\
         iamlint.toml:20:1: warning[unused-suppression] `[[ignore]]` entry's path `prd/bad.json` matches no linted file\n"
    );
    // A partial run cannot tell a path that matches no file: only the file's own entries.
    let out = stdout_of(iamlint(dir.path()).args(["-q", "prod/bad.json"]));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(!out.contains("prd/bad.json"), "{out}");
    // Linting another file says nothing of other files' entries (pre-commit runs so), even of a
    // Terraform file the partial run reads as context.
    let tf = "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({Version = \"2012-10-17\", Statement = [{Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"*\"}]})\n}\n";
    write(dir.path(), "tf/a.tf", tf);
    write(dir.path(), "tf/b.tf", tf);
    let stale_tf = format!(
        "{config}\n[[ignore]]\npath = \"tf/a.tf\"\nrule = \"invalid-policy\"\nreason = \"stale\"\n"
    );
    write(dir.path(), "iamlint.toml", &stale_tf);
    let out = stdout_of(iamlint(dir.path()).args(["-q", "tf/a.tf"]));
    assert!(
        out.contains("`[[ignore]]` entry for `invalid-policy` in `tf/a.tf`"),
        "{out}"
    );
    iamlint(dir.path())
        .args(["-q", "tf/b.tf"])
        .assert()
        .code(0)
        .stdout("");
    iamlint(dir.path())
        .args(["-q", "other/ok.json"])
        .assert()
        .code(0)
        .stdout("");
    write(dir.path(), "iamlint.toml", config);
    // The summary counts the four linted files as checked, not the config.
    let json = json_of(iamlint(dir.path()).args(["--format", "json", "."]));
    assert_eq!(json["summary"]["files_checked"], 4, "{json}");
    assert_eq!(json["findings"][0]["path"], "iamlint.toml", "{json}");
    // Not enabled: nothing.
    let quiet = config.replace(", \"unused-suppression\"", "");
    write(dir.path(), "iamlint.toml", &quiet);
    iamlint(dir.path()).arg(".").assert().success();
}

#[test]
fn managed_finds_recipes_by_what_the_policy_grants() {
    let dir = repo(&[]);
    // No recipe names AWSLambdaBasicExecutionRole, but its three `logs` actions are `logs-write`'s
    // job: every service it reaches is the recipe's, and it grants every recipe action.
    let out = stdout_of(iamlint(dir.path()).args(["managed", "AWSLambdaBasicExecutionRole"]));
    assert!(
        out.contains("Recipes that can replace it:\n  logs-write "),
        "{out}"
    );
    let json = json_of(iamlint(dir.path()).args([
        "managed",
        "AWSLambdaBasicExecutionRole",
        "--format",
        "json",
    ]));
    assert_eq!(json["recipes"], serde_json::json!(["logs-write"]), "{json}");
    // A policy reaching other services too is not a logs recipe's to replace unless named.
    let json = json_of(iamlint(dir.path()).args([
        "managed",
        "AWSLambdaVPCAccessExecutionRole",
        "--format",
        "json",
    ]));
    assert_eq!(json["recipes"], serde_json::json!([]), "{json}");
    // `*` reaches every service: no recipe by services.
    let json =
        json_of(iamlint(dir.path()).args(["managed", "AdministratorAccess", "--format", "json"]));
    assert_eq!(json["recipes"], serde_json::json!([]), "{json}");
}

/// A fix `--fix` refuses because an alias reads the anchored YAML node it edits is shown as
/// display-only, saying why, and not counted as fixable.
#[test]
fn a_fix_to_an_aliased_yaml_node_is_not_called_safe() {
    let yaml = "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: &acts\n              - s3:Get*\n              - s3:GetObject\n            Resource: 'arn:aws:s3:::b/*'\n          - Effect: Allow\n            Action: *acts\n            Resource: 'arn:aws:s3:::c/*'\n";
    let dir = repo(&[("t.yaml", yaml)]);
    let out = stdout_of(iamlint(dir.path()).args([
        "--select",
        "redundant-action",
        "--color",
        "never",
        "t.yaml",
    ]));
    assert!(
        out.contains("fix (display-only): remove `s3:GetObject`"),
        "{out}"
    );
    assert!(out.contains("not applied by `--fix`: an alias"), "{out}");
    assert!(!out.contains("fixable with `--fix`"), "{out}");
    // Without the alias the same fix is safe and applied.
    let plain = yaml.replace("&acts", "").replace("*acts", "[s3:PutObject]");
    write(dir.path(), "t.yaml", &plain);
    let out = stdout_of(iamlint(dir.path()).args([
        "--select",
        "redundant-action",
        "--color",
        "never",
        "t.yaml",
    ]));
    assert!(out.contains("fix (safe): remove `s3:GetObject`"), "{out}");
    assert!(out.contains("1 fixable with `--fix`"), "{out}");
}
