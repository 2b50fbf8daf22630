#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The pre-commit hook, for real: install pre-commit from PyPI into a virtualenv, make a sample
//! git repo with a bad policy, and run `pre-commit try-repo <this repo> iamlint --all-files`.
//!
//! pre-commit builds the hook with `cargo install --path .` in its own clone of this repository,
//! which is a release build of iamlint: minutes on a small machine. To keep that to one build
//! shared by every run, the hook builds into `<target>/tmp/precommit-target` with a cheap release
//! profile, and the virtualenv is kept in `<target>/tmp/precommit-venv`.
//!
//! `try-repo` clones this repository at HEAD; tracked files with uncommitted changes are added on
//! top (pre-commit makes a shadow commit of them), but untracked files are not seen: commit or
//! `git add` a new file before running this test.
//!
//! The test is skipped, with the reason printed, only when it cannot run here: pre-commit cannot
//! be installed (no network to PyPI, no Python venv) or this source tree is not a git checkout.
//! Unix only: the virtualenv layout (`bin/`) and the hook's shell differ on Windows.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Pinned, so that a new pre-commit release cannot change the test under us.
const PRE_COMMIT: &str = "pre-commit==4.7.0";

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

/// A virtualenv with pre-commit, reused between runs. `Err` holds why it cannot be had.
fn pre_commit(tmp: &Path) -> Result<PathBuf, String> {
    // The tests of this file run in parallel: one of them makes the virtualenv.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _making = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let venv = tmp.join("precommit-venv");
    let bin = venv.join("bin");
    let exe = bin.join("pre-commit");
    if Command::new(&exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(exe);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .map_err(|e| format!("python3 is not available ({e})"))?;
    if !made.status.success() {
        return Err(format!(
            "cannot create a virtualenv: {}",
            text(&made).trim()
        ));
    }
    let pip = run(Command::new(bin.join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(PRE_COMMIT));
    if !pip.status.success() {
        let out = text(&pip);
        let offline = [
            "Could not find a version",
            "No matching distribution",
            "NewConnectionError",
            "Max retries exceeded",
            "Temporary failure in name resolution",
            "Network is unreachable",
            "Connection refused",
            "ConnectTimeout",
            "timed out",
        ];
        if offline.iter().any(|s| out.contains(s)) {
            return Err(format!("PyPI cannot be reached: {}", last_line(&out)));
        }
        panic!("pip install {PRE_COMMIT} failed:\n{out}");
    }
    Ok(exe)
}

fn last_line(s: &str) -> &str {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

fn git(dir: &Path, args: &[&str]) {
    let out = run(Command::new("git")
        .args([
            "-c",
            "user.name=iamlint",
            "-c",
            "user.email=iamlint@example.com",
        ])
        .args(args)
        .current_dir(dir));
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

/// A git repository with a config, a bad policy, a good one, a file that is not a policy, an
/// excluded file and a tfvars file, all staged.
fn sample_repo() -> tempfile::TempDir {
    let sample = tempfile::tempdir().expect("temp dir");
    let files = [
        (
            "iamlint.toml",
            "select = [\"missing-version\", \"invalid-policy\"]\nexclude = [\"legacy\"]\n",
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
        // Sets variables that policies are built from: the hook's `files` must name it.
        ("infra/prod.tfvars", "bucket = \"logs\"\n"),
    ];
    for (path, content) in files {
        let full = sample.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }
    git(sample.path(), &["init", "--quiet"]);
    git(sample.path(), &["add", "."]);
    sample
}

#[test]
fn pre_commit_try_repo_runs_the_hook() {
    let this_repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let is_checkout = run(Command::new("git")
        .args(["rev-parse", "--verify", "HEAD"])
        .current_dir(this_repo))
    .status
    .success();
    if !is_checkout {
        return skip("this source tree is not a git checkout, which `try-repo` needs");
    }
    let exe = match pre_commit(tmp) {
        Ok(exe) => exe,
        Err(reason) => return skip(&reason),
    };

    let sample = sample_repo();

    let home = tempfile::tempdir().expect("temp dir");
    let out = run(Command::new(&exe)
        .args(["try-repo", "--color=never"])
        .arg(this_repo)
        .args(["iamlint", "--all-files"])
        .current_dir(sample.path())
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
    assert!(output.contains("- hook id: iamlint"), "{output}");
    assert!(
        output.contains("policies/ci.json:2:3: warning[missing-version] policy has no `Version`"),
        "{output}"
    );
    assert!(!output.contains("package.json"), "{output}");
    assert!(!output.contains("legacy/old.json"), "{output}");
    assert!(!output.contains("ok.json:"), "{output}");
}

/// The `iamlint-system` hook runs the `iamlint` on PATH (here: a wrapper that records the files
/// pre-commit names, then runs this build's binary), builds nothing, and is named the tfvars files.
#[test]
fn pre_commit_system_hook_runs_the_installed_binary() {
    let this_repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let is_checkout = run(Command::new("git")
        .args(["rev-parse", "--verify", "HEAD"])
        .current_dir(this_repo))
    .status
    .success();
    if !is_checkout {
        return skip("this source tree is not a git checkout, which `try-repo` needs");
    }
    let exe = match pre_commit(tmp) {
        Ok(exe) => exe,
        Err(reason) => return skip(&reason),
    };

    let sample = sample_repo();
    let bin = tempfile::tempdir().expect("temp dir");
    let log = bin.path().join("args.log");
    let wrapper = bin.path().join("iamlint");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            env!("CARGO_BIN_EXE_iamlint")
        ),
    )
    .expect("write the wrapper");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let home = tempfile::tempdir().expect("temp dir");
    let out = run(Command::new(&exe)
        .args(["try-repo", "--color=never"])
        .arg(this_repo)
        .args(["iamlint-system", "--all-files"])
        .current_dir(sample.path())
        .env("PRE_COMMIT_HOME", home.path())
        .env("PATH", path));
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "the hook must fail:\n{output}");
    assert!(output.contains("- hook id: iamlint-system"), "{output}");
    assert!(
        output.contains("policies/ci.json:2:3: warning[missing-version] policy has no `Version`"),
        "{output}"
    );
    let args = std::fs::read_to_string(&log).expect("the wrapper ran");
    assert!(args.lines().any(|a| a == "infra/prod.tfvars"), "{args}");
    assert!(args.lines().any(|a| a == "policies/ci.json"), "{args}");
}
