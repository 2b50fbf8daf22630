#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The pre-commit hooks, for real: `pre-commit try-repo <a snapshot of this tree> HOOK
//! --all-files` in a sample git repository, and the hook's command line (`check --force-exclude
//! --skip-non-policies FILES`) run directly.
//!
//! pre-commit itself is not installed by this test (builds and tests never touch the network):
//! it is the executable named by `IAMLINT_PRE_COMMIT`, else `pre-commit` on PATH. `.ci/run`
//! installs it into its tools virtualenv and sets the variable. Without it, the two `try-repo`
//! tests say so and pass; the direct tests always run.
//!
//! `try-repo` clones a repository: this tree is snapshotted first, untracked files included (a
//! commit in a scratch repository that borrows this one's objects), so a new file need not be
//! `git add`ed before the test sees it. The `iamlint` hook builds with `cargo install --locked`;
//! to keep that to one incremental build shared by every run, it builds into
//! `<target>/tmp/precommit-target` with a cheap release profile.
//! Unix only: the hook's shell and the virtualenv layout differ on Windows.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{write, write_script};

fn run(cmd: &mut Command) -> Output {
    // Git variables from an outer hook or worktree must not leak into the sample repo.
    for var in [
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
        "GIT_OBJECT_DIRECTORY",
    ] {
        cmd.env_remove(var);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn skip(reason: &str) {
    eprintln!("skipping the pre-commit test: {reason}");
    println!("skipping the pre-commit test: {reason}");
}

/// The pre-commit executable: `IAMLINT_PRE_COMMIT`, else `pre-commit` on PATH. `Err` says why
/// there is none.
fn pre_commit() -> Result<PathBuf, String> {
    let exe = std::env::var_os("IAMLINT_PRE_COMMIT")
        .map_or_else(|| PathBuf::from("pre-commit"), PathBuf::from);
    match Command::new(&exe).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(exe),
        _ => Err(format!(
            "`{}` cannot be run: install pre-commit (`pip install pre-commit`, as .ci/run does \
             into target/ci-tools) and put it on PATH or name it in IAMLINT_PRE_COMMIT",
            exe.display()
        )),
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = run(Command::new("git")
        .args([
            "-c",
            "user.name=iamlint",
            "-c",
            "user.email=iamlint@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir));
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// This source tree as it is (tracked and untracked files, `.gitignore` honoured), committed in
/// a scratch repository that borrows this repository's objects. Returns the scratch repository
/// and the commit, or `None` when this tree is not a git checkout.
fn snapshot() -> Option<(tempfile::TempDir, String)> {
    let this_repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let objects = run(Command::new("git")
        .args(["rev-parse", "--path-format=absolute", "--git-common-dir"])
        .current_dir(this_repo));
    if !objects.status.success() {
        return None;
    }
    let objects = PathBuf::from(String::from_utf8_lossy(&objects.stdout).trim()).join("objects");
    let scratch = tempfile::tempdir().expect("temp dir");
    git(scratch.path(), &["init", "--quiet"]);
    std::fs::write(
        scratch.path().join(".git/objects/info/alternates"),
        format!("{}\n", objects.display()),
    )
    .expect("write alternates");
    let git_dir = scratch.path().join(".git");
    let with_tree = |args: &[&str]| {
        let out = run(Command::new("git")
            .args([
                "-c",
                "user.name=iamlint",
                "-c",
                "user.email=iamlint@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .arg("--git-dir")
            .arg(&git_dir)
            .arg("--work-tree")
            .arg(this_repo)
            .args(args)
            .current_dir(this_repo));
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    with_tree(&["add", "--all"]);
    with_tree(&["commit", "--quiet", "--no-verify", "-m", "snapshot"]);
    let head = with_tree(&["rev-parse", "HEAD"]);
    Some((scratch, head))
}

const MODULE: &str = r#"data "aws_iam_policy_document" "ci" {
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::logs/*"]
  }
}
"#;

/// A git repository with a config, a bad policy, a good one, a file that is not a policy, an
/// excluded file, an ignored one, a tfvars file, and a Terraform module with eight callers, all
/// staged. Enough files for pre-commit to split them into parallel batches on two cores.
fn sample_repo() -> tempfile::TempDir {
    let sample = tempfile::tempdir().expect("temp dir");
    let mut files = vec![
        (
            "iamlint.toml",
            "select = [\"missing-version\", \"invalid-policy\", \"wildcard-action\"]\nexclude = [\"legacy\"]\n",
        ),
        (
            "policies/ci.json",
            "{\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]\n}\n",
        ),
        (
            "policies/ok.json",
            "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}\n",
        ),
        // Named by pre-commit, and not a policy: skipped.
        ("package.json", "{\"name\": \"sample\", \"version\": \"1.0.0\"}\n"),
        // Excluded by the config, though pre-commit names it.
        ("legacy/old.json", "{\"Statement\": []}\n"),
        // Ignored by `.iamlintignore`, though pre-commit names it.
        (".iamlintignore", "generated/\n"),
        ("generated/policy.json", "{\"Statement\": []}\n"),
        // Sets variables that policies are built from: the hook's `files` must name it.
        ("infra/prod.tfvars", "bucket = \"logs\"\n"),
        ("modules/ci/main.tf", MODULE),
    ];
    let callers: Vec<(String, String)> = (1..=8)
        .map(|i| {
            (
                format!("env{i}/main.tf"),
                "module \"ci\" {\n  source = \"../modules/ci\"\n}\n".to_string(),
            )
        })
        .collect();
    files.extend(callers.iter().map(|(p, c)| (p.as_str(), c.as_str())));
    write(sample.path(), &files);
    git(sample.path(), &["init", "--quiet"]);
    git(sample.path(), &["add", "."]);
    sample
}

/// What every run of the hooks shows: the bad policy, the module's finding once (pre-commit would
/// report it once per parallel batch naming a caller), nothing from the skipped files.
fn assert_hook_output(output: &str, hook: &str) {
    assert!(output.contains(&format!("- hook id: {hook}\n")), "{output}");
    assert!(
        output.contains("policies/ci.json:2:3: warning[missing-version] policy has no `Version`"),
        "{output}"
    );
    let module = "modules/ci/main.tf:3:18: warning[wildcard-action]";
    assert_eq!(
        output.matches(module).count(),
        1,
        "the module's finding, once per run:\n{output}"
    );
    for skipped in [
        "package.json",
        "legacy/old.json",
        "generated/policy.json",
        "ok.json:",
    ] {
        assert!(!output.contains(skipped), "{skipped}:\n{output}");
    }
}

/// A PATH with `bin` first.
fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The `iamlint` hook builds iamlint from the hook's clone with `cargo install --locked` (a
/// `cargo` on PATH records its arguments, then runs the real one) and runs it.
#[test]
fn pre_commit_try_repo_runs_the_hook() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let exe = match pre_commit() {
        Ok(exe) => exe,
        Err(reason) => return skip(&reason),
    };
    let Some((snapshot_repo, rev)) = snapshot() else {
        return skip("this source tree is not a git checkout, which `try-repo` needs");
    };
    let sample = sample_repo();

    let bin = tempfile::tempdir().expect("temp dir");
    let cargo_log = bin.path().join("cargo.log");
    let real_cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    write_script(
        &bin.path().join("cargo"),
        &format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{real_cargo}' \"$@\"\n",
            cargo_log.display()
        ),
    );
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(Command::new(&exe)
        .args(["try-repo", "--color=never", "--ref", &rev])
        .arg(snapshot_repo.path())
        .args(["iamlint", "--all-files"])
        .current_dir(sample.path())
        .env("PATH", path_with(bin.path()))
        .env("PRE_COMMIT_HOME", home.path())
        // One build of iamlint shared by every run of this test, with a release profile that
        // compiles quickly: the hook's output is what is tested here, not its speed.
        .env("CARGO_TARGET_DIR", tmp.join("precommit-target"))
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("CARGO_TERM_COLOR", "never"));
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "the hook must fail:\n{output}");
    assert_hook_output(&output, "iamlint");
    let args = std::fs::read_to_string(&cargo_log).expect("the hook ran cargo");
    assert!(
        args.lines()
            .any(|l| l.starts_with("install ") && l.contains(" --locked")),
        "the hook builds with the lockfile: {args}"
    );
}

/// The `iamlint-system` hook runs the `iamlint` on PATH (here: a wrapper that records the files
/// pre-commit names, then runs this build's binary), builds nothing, is named the tfvars files,
/// and gets every file in one run.
#[test]
fn pre_commit_system_hook_runs_the_installed_binary() {
    let exe = match pre_commit() {
        Ok(exe) => exe,
        Err(reason) => return skip(&reason),
    };
    let Some((snapshot_repo, rev)) = snapshot() else {
        return skip("this source tree is not a git checkout, which `try-repo` needs");
    };
    let sample = sample_repo();
    let bin = tempfile::tempdir().expect("temp dir");
    let log = bin.path().join("args.log");
    write_script(
        &bin.path().join("iamlint"),
        &format!(
            "#!/bin/sh\necho run >> '{log}'\nprintf '%s\\n' \"$@\" >> '{log}'\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_iamlint"),
            log = log.display(),
        ),
    );

    let home = tempfile::tempdir().expect("temp dir");
    let out = run(Command::new(&exe)
        .args(["try-repo", "--color=never", "--ref", &rev])
        .arg(snapshot_repo.path())
        .args(["iamlint-system", "--all-files"])
        .current_dir(sample.path())
        .env("PRE_COMMIT_HOME", home.path())
        .env("PATH", path_with(bin.path())));
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "the hook must fail:\n{output}");
    assert_hook_output(&output, "iamlint-system");
    let args = std::fs::read_to_string(&log).expect("the wrapper ran");
    assert!(args.lines().any(|a| a == "infra/prod.tfvars"), "{args}");
    assert!(args.lines().any(|a| a == "policies/ci.json"), "{args}");
    assert_eq!(
        args.lines().filter(|a| *a == "run").count(),
        1,
        "one run for every file: {args}"
    );
}

fn hook(dir: &Path, files: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args([
            "check",
            "--force-exclude",
            "--skip-non-policies",
            "--color",
            "never",
        ])
        .args(files)
        .current_dir(dir))
}

/// The hook's command line, as pre-commit runs it: named files honour `.iamlintignore` (and a
/// folder's pattern) as a folder walk does, and the config's `baseline` is `--baseline`'s default.
#[test]
fn named_files_honour_ignore_files_and_the_config_baseline() {
    let sample = sample_repo();
    let dir = sample.path();
    let out = hook(dir, &["generated/policy.json", "policies/ci.json"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(output.contains("policies/ci.json:2:3"), "{output}");
    assert!(!output.contains("generated/"), "{output}");
    assert!(output.contains("(1 file checked)"), "{output}");
    // Without --force-exclude a named file is the user's choice: linted.
    let out = run(Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", "--color", "never", "generated/policy.json"])
        .current_dir(dir));
    assert!(
        text(&out).contains("generated/policy.json"),
        "{}",
        text(&out)
    );

    // The config names the baseline; `--write-baseline` writes it, and then nothing is new.
    let config = std::fs::read_to_string(dir.join("iamlint.toml")).expect("config");
    std::fs::write(
        dir.join("iamlint.toml"),
        format!("{config}baseline = \".iamlint-baseline.json\"\n"),
    )
    .expect("write config");
    let out = run(Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", "--write-baseline", ".iamlint-baseline.json"])
        .current_dir(dir));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = hook(dir, &["policies/ci.json", "env1/main.tf"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(0), "{output}");
    assert!(output.contains("suppressed"), "{output}");
    // `--baseline` on the command line wins.
    std::fs::write(dir.join("empty.json"), "{\"version\": 2, \"findings\": []}").expect("write");
    let out = hook(dir, &["--baseline", "empty.json", "policies/ci.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
