//! The minimum supported Rust version the README and Cargo.toml state is one every locked
//! dependency builds with: a dependency whose own `rust-version` is newer makes the claim false.
//! And `cargo build`, `cargo test` and `cargo xtask` resolve the library's dependencies with the
//! same features, so that each builds the library once for all three.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `rust-version = "1.88"` (or `"1.85.0"`) in a manifest, as (major, minor).
fn rust_version(manifest: &str) -> Option<(u32, u32)> {
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("rust-version"))?;
    let value = line.split('"').nth(1)?;
    let mut parts = value.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
}

/// Every `(name, version)` the lockfile takes from crates.io.
fn locked_registry_packages(lock: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        let from_registry = field("source").is_some_and(|s| s.starts_with("registry+"));
        if let (true, Some(name), Some(version)) = (from_registry, field("name"), field("version"))
        {
            out.push((name, version));
        }
    }
    out
}

/// The unpacked sources of the registry (`$CARGO_HOME/registry/src/<index>/`).
fn registry_sources() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("neither CARGO_HOME nor HOME is set");
    std::fs::read_dir(home.join("registry/src"))
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn the_stated_msrv_covers_every_locked_dependency() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stated = rust_version(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap())
        .expect("Cargo.toml states no rust-version");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let indexes = registry_sources();
    let (mut read, mut newer) = (0, Vec::new());
    for (name, version) in locked_registry_packages(&lock) {
        // Packages for other platforms are locked but never downloaded here: not built here.
        let Some(manifest) = indexes.iter().find_map(|i| {
            std::fs::read_to_string(i.join(format!("{name}-{version}/Cargo.toml"))).ok()
        }) else {
            continue;
        };
        read += 1;
        if let Some(needs) = rust_version(&manifest) {
            if needs > stated {
                newer.push(format!(
                    "{name} {version} needs Rust {}.{}",
                    needs.0, needs.1
                ));
            }
        }
    }
    // The build that runs this test downloaded the dependencies: finding none means the search
    // looked in the wrong place, not that there is nothing to check.
    assert!(
        read > 100,
        "only {read} locked manifests found in {indexes:?}"
    );
    assert!(
        newer.is_empty(),
        "Cargo.toml says rust-version {}.{}, but: {newer:#?}",
        stated.0,
        stated.1
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let claim = format!("Rust {}.{} or later", stated.0, stated.1);
    assert!(readme.contains(&claim), "the README does not say `{claim}`");
}

/// Each package of a `cargo tree` selection with the features it is built with.
fn tree_features(args: &[&str]) -> BTreeMap<String, Vec<String>> {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "--prefix",
            "none",
            "-f",
            "{p}|{f}",
        ])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut packages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).expect("UTF-8").lines() {
        let Some((package, features)) = line
            .replace(" (*)", "")
            .split_once('|')
            .map(|(p, f)| (p.trim().to_string(), f.trim().to_string()))
        else {
            continue;
        };
        let known = packages.entry(package).or_default();
        for feature in features.split(',').filter(|f| !f.is_empty()) {
            if !known.iter().any(|k| k == feature) {
                known.push(feature.to_string());
            }
        }
        known.sort();
    }
    packages
}

/// The features that `cargo test` (dev-dependencies) and `cargo xtask` turn on in the library's
/// dependencies are turned on by the library too (Cargo.toml, "One build for..."): else each of
/// `cargo build` (the wheel), `cargo test` and `cargo xtask` (the CONTRIBUTING.md walk-through)
/// compiles the library and gix once more, a minute and more of `.ci/run` each.
#[test]
fn build_test_and_xtask_share_one_build_of_the_library() {
    let build = tree_features(&["-p", "iamlint", "-e", "normal,build"]);
    let test = tree_features(&["-p", "iamlint", "-e", "normal,build,dev"]);
    let xtask = tree_features(&["-p", "xtask", "-e", "normal,build"]);
    assert!(
        build.keys().any(|k| k.starts_with("gix v")),
        "no gix in `cargo tree`: {build:?}"
    );
    let mut differ = Vec::new();
    for (package, features) in &build {
        for (name, other) in [("cargo test", &test), ("cargo xtask", &xtask)] {
            if let Some(theirs) = other.get(package).filter(|theirs| *theirs != features) {
                differ.push(format!(
                    "{package}: `cargo build` {features:?}, `{name}` {theirs:?}"
                ));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "turn these features on in Cargo.toml's [dependencies] (\"One build for...\"):\n{}",
        differ.join("\n")
    );
}
