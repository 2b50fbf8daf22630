#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Action's installer (`scripts/action-install.sh`, run by action.yml): at the release tag it
//! installs the release archive only when its sha256 matches the release's SHA256SUMS; at any other
//! ref it builds with `cargo install`. The release is faked with a `file://` URL holding an archive
//! of this build's binary, and `cargo` with a script on PATH that records its arguments.
//! Unix only (bash, tar, curl, sha256sum); skipped with the reason when a tool is missing.
#![cfg(unix)]

mod gitrepo;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const TARGET: &str = "x86_64-unknown-linux-musl";

fn tools_missing() -> Option<&'static str> {
    ["bash", "tar", "curl", "sha256sum"]
        .into_iter()
        .find(|tool| {
            Command::new(tool)
                .arg("--version")
                .output()
                .map_or(true, |o| !o.status.success())
        })
}

fn version() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// A fake release: the archive of this build's binary and SHA256SUMS.
fn release(dir: &Path) {
    let stage = tempfile::tempdir().expect("temp dir");
    std::fs::copy(env!("CARGO_BIN_EXE_iamlint"), stage.path().join("iamlint")).expect("copy");
    let archive = format!("iamlint-{TARGET}.tar.gz");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(dir.join(&archive))
        .arg("-C")
        .arg(stage.path())
        .arg("iamlint")
        .output()
        .expect("tar");
    assert!(tar.status.success());
    let sums = Command::new("sha256sum")
        .arg(&archive)
        .current_dir(dir)
        .output()
        .expect("sha256sum");
    assert!(sums.status.success());
    std::fs::write(dir.join("SHA256SUMS"), sums.stdout).expect("write SHA256SUMS");
}

fn install(reference: &str, home: &Path, release: &Path, bin: &Path) -> Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-install.sh"))
        .env("ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
        .env("ACTION_REF", reference)
        .env("ACTION_REPOSITORY", "iamlint/iamlint")
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("IAMLINT_HOME", home)
        .env(
            "IAMLINT_RELEASE_URL",
            format!("file://{}", release.display()),
        )
        .env("PATH", path)
        .output()
        .expect("run action-install.sh")
}

/// A `cargo` that records its arguments and installs nothing.
fn fake_cargo(bin: &Path) -> std::path::PathBuf {
    let log = bin.join("cargo.log");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    )
    .expect("write fake cargo");
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    log
}

#[test]
fn release_tag_installs_the_checked_binary_and_never_builds() {
    if let Some(tool) = tools_missing() {
        return eprintln!("skipping: `{tool}` is not available");
    }
    let rel = tempfile::tempdir().expect("temp dir");
    release(rel.path());
    let bin = tempfile::tempdir().expect("temp dir");
    let cargo_log = fake_cargo(bin.path());
    let home = tempfile::tempdir().expect("temp dir");

    let out = install(&version(), home.path(), rel.path(), bin.path());
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let installed = home.path().join("bin/iamlint");
    let v = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("run the installed binary");
    assert!(String::from_utf8_lossy(&v.stdout)
        .starts_with(&format!("iamlint {}", env!("CARGO_PKG_VERSION"))));
    assert!(!cargo_log.exists(), "cargo must not run at a release tag");

    // The archive changed after the checksums were written: refused, nothing installed, no build.
    let archive = rel.path().join(format!("iamlint-{TARGET}.tar.gz"));
    let mut bytes = std::fs::read(&archive).expect("read archive");
    bytes.push(0);
    std::fs::write(&archive, bytes).expect("tamper");
    let home = tempfile::tempdir().expect("temp dir");
    let out = install(&version(), home.path(), rel.path(), bin.path());
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("checksum of iamlint-x86_64-unknown-linux-musl.tar.gz does not match"),
        "{text}"
    );
    assert!(!home.path().join("bin/iamlint").exists());
    assert!(
        !cargo_log.exists(),
        "a checksum failure must not fall back to a build"
    );
}

#[test]
fn other_refs_build_with_cargo() {
    if let Some(tool) = tools_missing() {
        return eprintln!("skipping: `{tool}` is not available");
    }
    let rel = tempfile::tempdir().expect("temp dir");
    let bin = tempfile::tempdir().expect("temp dir");
    let cargo_log = fake_cargo(bin.path());
    let home = tempfile::tempdir().expect("temp dir");
    let out = install("main", home.path(), rel.path(), bin.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = std::fs::read_to_string(&cargo_log).expect("cargo ran");
    assert!(args.starts_with("install --locked --path "), "{args}");
    assert!(
        args.contains(&format!("--root {}", home.path().display())),
        "{args}"
    );
}

/// Runs `scripts/action-run.sh` (the Action's run step) in `dir` with `env`; returns the
/// script's output, what it wrote to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY, and the diff
/// report it left in $RUNNER_TEMP.
fn run_step(dir: &Path, env: &[(&str, &str)]) -> (Output, String, String, String) {
    let files = tempfile::tempdir().expect("temp dir");
    let (output, summary) = (files.path().join("output"), files.path().join("summary"));
    let mut command = Command::new("bash");
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-run.sh"))
        .current_dir(dir)
        .env("IAMLINT", env!("CARGO_BIN_EXE_iamlint"))
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", files.path())
        .env_remove("BASE")
        .env_remove("PR_BASE");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("run action-run.sh");
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let report = files.path().join("iamlint-diff.md");
    let outputs = read(&output).replace(
        &report.display().to_string(),
        "$RUNNER_TEMP/iamlint-diff.md",
    );
    (out, outputs, read(&summary), read(&report))
}

const NARROW: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}]}"#;
const WIDE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::logs/*"}]}"#;

#[test]
fn diff_mode_reports_the_delta_in_the_summary_and_fails_on_widening() {
    let repo = tempfile::tempdir().expect("temp dir");
    let base = gitrepo::commit(repo.path(), &[("policy.json", NARROW)]);
    gitrepo::write(repo.path(), &[("policy.json", WIDE)]);

    // The pull request's base commit, as the runner gives it.
    let (out, outputs, summary, report) =
        run_step(repo.path(), &[("MODE", "diff"), ("PR_BASE", &base)]);
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{log}");
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(
        outputs.contains("diff-file=$RUNNER_TEMP/iamlint-diff.md\n"),
        "{outputs}"
    );
    assert!(summary.contains("s3:PutObject"), "{summary}");
    assert_eq!(report, summary, "the step summary is the report");
    assert!(
        !repo.path().join("iamlint-diff.md").exists(),
        "nothing is written into the checkout"
    );
    assert!(
        log.lines().any(|l| l.starts_with("::")
            && l.contains("file=policy.json")
            && l.contains("s3:PutObject")),
        "an annotation on the changed policy: {log}"
    );

    // `fail-on: escalation`: the same widening does not fail the step.
    let (_, outputs, _, _) = run_step(
        repo.path(),
        &[("MODE", "diff"), ("BASE", &base), ("FAIL_ON", "escalation")],
    );
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");

    // The reverse change only narrows: nothing fails.
    let wide = tempfile::tempdir().expect("temp dir");
    let base = gitrepo::commit(wide.path(), &[("policy.json", WIDE)]);
    gitrepo::write(wide.path(), &[("policy.json", NARROW)]);
    let (_, outputs, summary, _) = run_step(wide.path(), &[("MODE", "diff"), ("BASE", &base)]);
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");
    assert!(
        summary.contains("s3:PutObject"),
        "the narrowing is listed: {summary}"
    );
}

#[test]
fn diff_mode_without_a_base_is_an_input_error() {
    let repo = tempfile::tempdir().expect("temp dir");
    gitrepo::commit(repo.path(), &[("policy.json", NARROW)]);
    let (out, outputs, summary, _) = run_step(repo.path(), &[("MODE", "diff")]);
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(outputs.contains("exit-code=2\n"), "{outputs}");
    assert!(
        log.starts_with("::error title=iamlint::mode diff needs a base revision"),
        "{log}"
    );
    assert!(summary.is_empty(), "{summary}");
}
