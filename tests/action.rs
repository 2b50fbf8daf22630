#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Action's installer (`scripts/action-install.sh`, run by action.yml): at the release tag it
//! installs the release archive only when its sha256 matches the release's SHA256SUMS; at any other
//! ref it builds with `cargo install`. The release is faked with a `file://` URL holding an archive
//! of this build's binary, and `cargo` with a script on PATH that records its arguments.
//! Unix only (bash, tar, curl, sha256sum); skipped with the reason when a tool is missing.
#![cfg(unix)]

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
