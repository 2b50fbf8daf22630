#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Action's installer (`scripts/action-install.sh`, run by action.yml): whichever ref the
//! workflow uses (a tag, a commit SHA, a branch), it installs the release binary of the version in
//! the Action's own Cargo.toml, only when its sha256 matches the release's SHA256SUMS; it builds
//! with `cargo install --locked` only when asked, or when the release cannot be downloaded. The
//! release is faked with a `file://` URL holding an archive of a script named `iamlint`, and `cargo`
//! with a script on PATH that records its arguments. The macOS path (no `sha256sum`, `shasum -a
//! 256` instead) runs with a PATH that holds only the tools the script needs.
//! Unix only (bash, tar, curl, sha256sum); skipped with the reason when a tool is missing.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::write_script;

const LINUX: &str = "x86_64-unknown-linux-musl";
const MACOS: &str = "aarch64-apple-darwin";

/// Refs a workflow may use: the tag, a commit SHA (pinned, as zizmor asks), a release branch.
const REFS: &[&str] = &[
    "v0.0.0-not-the-tag",
    "3d3c42e5aac5ba805825da76410c181273ba90b1",
    "releases/v0",
];

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

/// A fake release for `target`: an archive holding an `iamlint` that prints this version (a
/// script: what is tested is the installer, and archiving the debug binary took seconds per
/// release), and SHA256SUMS.
fn release(dir: &Path, target: &str) {
    let stage = tempfile::tempdir().expect("temp dir");
    write_script(
        &stage.path().join("iamlint"),
        &format!(
            "#!/bin/sh\necho 'iamlint {} (fake release binary)'\n",
            env!("CARGO_PKG_VERSION")
        ),
    );
    let archive = format!("iamlint-{target}.tar.gz");
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

/// How the installer runs: the runner's platform, the Action's ref, and what else is set.
struct Runner<'a> {
    os: &'a str,
    arch: &'a str,
    reference: &'a str,
    env: &'a [(&'a str, &'a str)],
    /// The whole PATH (the macOS shim), else `bin` in front of the host's PATH.
    path: Option<String>,
}

const LINUX_RUNNER: Runner<'static> = Runner {
    os: "Linux",
    arch: "X64",
    reference: "main",
    env: &[],
    path: None,
};

fn script(command: &str, runner: &Runner, home: &Path, release: &Path, bin: &Path) -> Output {
    let path = runner.path.clone().unwrap_or_else(|| {
        format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    });
    let mut cmd = Command::new(which("bash"));
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-install.sh"))
        .arg(command)
        .env("ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
        // The ref is not read: it is here to show that it does not matter.
        .env("ACTION_REF", runner.reference)
        .env("ACTION_REPOSITORY", "iamlint/iamlint")
        .env("RUNNER_OS", runner.os)
        .env("RUNNER_ARCH", runner.arch)
        .env("IAMLINT_HOME", home)
        .env("GITHUB_OUTPUT", home.join("github-output"))
        .env(
            "IAMLINT_RELEASE_URL",
            format!("file://{}", release.display()),
        )
        .env_remove("BUILD_FROM_SOURCE")
        .env("PATH", path);
    for (key, value) in runner.env {
        cmd.env(key, value);
    }
    cmd.output().expect("run action-install.sh")
}

fn install(runner: &Runner, home: &Path, release: &Path, bin: &Path) -> Output {
    script("install", runner, home, release, bin)
}

fn log(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// The absolute path of a host tool.
fn which(tool: &str) -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .expect("sh");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A `cargo` that records its arguments and installs nothing.
fn fake_cargo(bin: &Path) -> PathBuf {
    let log = bin.join("cargo.log");
    write_script(
        &bin.join("cargo"),
        &format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    );
    log
}

fn assert_installed(home: &Path) {
    let installed = home.join("bin/iamlint");
    let v = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("run the installed binary");
    assert!(String::from_utf8_lossy(&v.stdout)
        .starts_with(&format!("iamlint {}", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn any_ref_installs_the_checked_release_binary_and_never_builds() {
    if let Some(tool) = tools_missing() {
        return eprintln!("skipping: `{tool}` is not available");
    }
    let rel = tempfile::tempdir().expect("temp dir");
    release(rel.path(), LINUX);
    let bin = tempfile::tempdir().expect("temp dir");
    let cargo_log = fake_cargo(bin.path());

    let tag = version();
    for reference in std::iter::once(tag.as_str()).chain(REFS.iter().copied()) {
        let home = tempfile::tempdir().expect("temp dir");
        let runner = Runner {
            reference,
            ..LINUX_RUNNER
        };
        let plan = script("plan", &runner, home.path(), rel.path(), bin.path());
        assert!(plan.status.success(), "{}", log(&plan));
        let outputs = std::fs::read_to_string(home.path().join("github-output")).expect("outputs");
        assert_eq!(outputs, "release=true\n", "at {reference}");

        let out = install(&runner, home.path(), rel.path(), bin.path());
        let text = log(&out);
        assert!(out.status.success(), "at {reference}: {text}");
        assert!(
            text.contains(&format!("installed the {tag} release binary for {LINUX}")),
            "at {reference}: {text}"
        );
        assert_installed(home.path());
        assert!(!cargo_log.exists(), "cargo must not run at {reference}");
    }

    // The archive changed after the checksums were written: refused, nothing installed, no build.
    let archive = rel.path().join(format!("iamlint-{LINUX}.tar.gz"));
    let mut bytes = std::fs::read(&archive).expect("read archive");
    bytes.push(0);
    std::fs::write(&archive, bytes).expect("tamper");
    for reference in REFS {
        let home = tempfile::tempdir().expect("temp dir");
        let runner = Runner {
            reference,
            ..LINUX_RUNNER
        };
        let out = install(&runner, home.path(), rel.path(), bin.path());
        let text = log(&out);
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
}

/// A macOS runner has `shasum`, not `sha256sum`: with a PATH of only the tools the script uses
/// (and a `shasum` that records its arguments), the release binary is checked and installed, and
/// a source build's cache key is the one `sha256sum` gives.
#[test]
fn macos_runners_check_with_shasum() {
    if let Some(tool) = tools_missing() {
        return eprintln!("skipping: `{tool}` is not available");
    }
    let rel = tempfile::tempdir().expect("temp dir");
    release(rel.path(), MACOS);
    let shim = tempfile::tempdir().expect("temp dir");
    let tools = [
        "bash", "sed", "head", "mktemp", "rm", "curl", "awk", "cut", "mkdir", "tar", "gzip",
        "find", "sort", "xargs", "cat",
    ];
    for tool in tools {
        let real = which(tool);
        assert!(real.is_absolute(), "`{tool}` is not on PATH");
        std::os::unix::fs::symlink(&real, shim.path().join(tool)).expect("symlink");
    }
    let shasum_log = shim.path().join("shasum.log");
    write_script(
        &shim.path().join("shasum"),
        &format!(
            "#!{}\necho \"$@\" >> '{}'\n[ \"$1 $2\" = '-a 256' ] || exit 9\nshift 2\nexec '{}' \"$@\"\n",
            which("bash").display(),
            shasum_log.display(),
            which("sha256sum").display()
        ),
    );
    let cargo_log = fake_cargo(shim.path());
    let only_shim = Some(shim.path().display().to_string());
    assert!(
        !shim.path().join("sha256sum").exists(),
        "the shim PATH has no sha256sum"
    );

    let home = tempfile::tempdir().expect("temp dir");
    let macos = Runner {
        os: "macOS",
        arch: "ARM64",
        reference: REFS[1],
        env: &[],
        path: only_shim.clone(),
    };
    let out = install(&macos, home.path(), rel.path(), shim.path());
    let text = log(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("release binary for {MACOS}")),
        "{text}"
    );
    assert_installed(home.path());
    assert!(!cargo_log.exists(), "{text}");
    let calls = std::fs::read_to_string(&shasum_log).expect("shasum ran");
    assert!(calls.starts_with("-a 256 "), "{calls}");

    // The cache key of a source build: the same through shasum and through sha256sum.
    let from_source = [("BUILD_FROM_SOURCE", "true")];
    let key = |runner: &Runner| {
        let home = tempfile::tempdir().expect("temp dir");
        let out = script("plan", runner, home.path(), rel.path(), shim.path());
        assert!(out.status.success(), "{}", log(&out));
        std::fs::read_to_string(home.path().join("github-output")).expect("outputs")
    };
    let with_shasum = key(&Runner {
        env: &from_source,
        ..macos
    });
    let with_sha256sum = key(&Runner {
        os: "macOS",
        arch: "ARM64",
        reference: "main",
        env: &from_source,
        path: None,
    });
    assert!(
        with_shasum.starts_with("key=iamlint-macOS-ARM64-"),
        "{with_shasum}"
    );
    assert_eq!(with_shasum, with_sha256sum);
}

#[test]
fn builds_with_cargo_when_asked_or_without_a_release() {
    if let Some(tool) = tools_missing() {
        return eprintln!("skipping: `{tool}` is not available");
    }
    let rel = tempfile::tempdir().expect("temp dir");
    release(rel.path(), LINUX);
    let empty = tempfile::tempdir().expect("temp dir");
    let cases: [(&Runner, &Path, &str); 3] = [
        (
            &Runner {
                env: &[("BUILD_FROM_SOURCE", "true")],
                ..LINUX_RUNNER
            },
            rel.path(),
            "build-from-source: true",
        ),
        // A version not released yet (a branch after the version bump).
        (&LINUX_RUNNER, empty.path(), "cannot be downloaded"),
        (
            &Runner {
                os: "FreeBSD",
                ..LINUX_RUNNER
            },
            rel.path(),
            "no release binary",
        ),
    ];
    for (runner, release, why) in cases {
        let bin = tempfile::tempdir().expect("temp dir");
        let cargo_log = fake_cargo(bin.path());
        let home = tempfile::tempdir().expect("temp dir");
        let out = install(runner, home.path(), release, bin.path());
        let text = log(&out);
        assert!(out.status.success(), "{text}");
        assert!(text.contains(why), "{text}");
        let args = std::fs::read_to_string(&cargo_log).expect("cargo ran");
        assert!(args.starts_with("install --locked --path "), "{args}");
        assert!(
            args.contains(&format!("--root {}", home.path().display())),
            "{args}"
        );
    }
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
    let base = common::commit(repo.path(), &[("policy.json", NARROW)]);
    common::write(repo.path(), &[("policy.json", WIDE)]);

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
    let base = common::commit(wide.path(), &[("policy.json", WIDE)]);
    common::write(wide.path(), &[("policy.json", NARROW)]);
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
    common::commit(repo.path(), &[("policy.json", NARROW)]);
    let (out, outputs, summary, _) = run_step(repo.path(), &[("MODE", "diff")]);
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(outputs.contains("exit-code=2\n"), "{outputs}");
    assert!(
        log.starts_with("::error title=iamlint::mode diff needs a base revision"),
        "{log}"
    );
    assert!(summary.is_empty(), "{summary}");
}
