#![allow(clippy::unwrap_used, clippy::expect_used)]
//! CONTRIBUTING.md's "Adding a rule" steps work as written: in a copy of this repository (its
//! tracked and untracked files, `.gitignore` honoured), the test writes each code block after a
//! `<!-- scratch: FILE -->` marker to FILE, inserts each `<!-- scratch-line: FILE -->` line at its
//! alphabetical place among the lines of its kind, and runs each line of the `<!-- scratch-run -->`
//! blocks with `sh`, in order; every command must succeed, and the scratch rule must end up
//! registered, documented and snapshotted.
//!
//! Ignored by default (it compiles iamlint again, in the copy): `cargo test --test contributing
//! -- --ignored`, which `.ci/run` runs last. The copy builds in this build's target folder, and
//! its files keep their times, so only what the steps change is compiled: the library with the
//! scratch rule, the rules test and xtask, not the dependencies nor the hcl-edit fork.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

enum Step {
    File { path: String, body: String },
    Line { path: String, line: String },
    Run { commands: Vec<String> },
}

/// The marked blocks of the "Adding a rule" section, in order.
fn steps(doc: &str) -> Vec<Step> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Adding a rule"))
        .expect("CONTRIBUTING.md has an `## Adding a rule` section");
    let mut steps = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().expect("a code block after the marker");
        assert!(
            fence.starts_with("```"),
            "`{line}` is not followed by a code block"
        );
        let mut body = String::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        let step = if let Some(path) = marker.strip_prefix("scratch: ") {
            Step::File {
                path: path.to_string(),
                body,
            }
        } else if let Some(path) = marker.strip_prefix("scratch-line: ") {
            Step::Line {
                path: path.to_string(),
                line: body.trim_end_matches('\n').to_string(),
            }
        } else if marker == "scratch-run" {
            Step::Run {
                commands: body
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .map(str::to_string)
                    .collect(),
            }
        } else {
            continue;
        };
        steps.push(step);
    }
    steps
}

/// Inserts `line` into `text` before the first line of the same kind (same indentation and
/// shape: `pub mod` lines, or `category::file::Type,` lines) that sorts after it.
fn insert_sorted(text: &str, line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let kind = |l: &str| {
        l.len() - l.trim_start().len() == indent
            && (l.trim_start().starts_with("pub mod ") == line.trim_start().starts_with("pub mod "))
            && (l.contains("::") == line.contains("::"))
            && !l.trim().is_empty()
    };
    // Lines of a registry list sort by type name, module lines by name.
    let key = |l: &str| l.trim().rsplit("::").next().unwrap_or_default().to_string();
    let mut out: Vec<&str> = text.lines().collect();
    let same: Vec<usize> = (0..out.len()).filter(|&i| kind(out[i])).collect();
    assert!(!same.is_empty(), "no line like `{line}`");
    let at = same
        .iter()
        .copied()
        .find(|&i| key(out[i]) > key(line))
        .unwrap_or_else(|| same[same.len() - 1] + 1);
    out.insert(at, line);
    out.join("\n") + "\n"
}

fn copy_tree(from: &Path, to: &Path) {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(from)
        .output()
        .expect("git ls-files");
    assert!(listed.status.success());
    for name in listed.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let source = from.join(&name);
        // Deleted but not yet staged: not part of the tree.
        if !source.is_file() {
            continue;
        }
        let dest = to.join(&name);
        std::fs::create_dir_all(dest.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(&source, &dest).unwrap_or_else(|e| panic!("copy {name}: {e}"));
        // The file's own time, as a checkout that has not touched it: cargo compiles again only
        // the crates whose files the steps change, as in the contributor's own checkout.
        let modified = source.metadata().and_then(|m| m.modified()).expect("mtime");
        std::fs::File::options()
            .write(true)
            .open(&dest)
            .and_then(|f| f.set_modified(modified))
            .unwrap_or_else(|e| panic!("set the time of {name}: {e}"));
    }
}

#[test]
#[ignore = "compiles iamlint again in a copy of the repository (minutes): .ci/run runs it"]
fn adding_a_rule_as_contributing_md_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("CONTRIBUTING.md")).expect("read CONTRIBUTING.md");
    let steps = steps(&doc);
    assert!(
        steps.iter().any(|s| matches!(s, Step::Run { .. })),
        "no commands to run"
    );

    let copy = tempfile::tempdir().expect("temp dir");
    let repo = copy.path();
    copy_tree(root, repo);
    let target: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder holds tmp/")
        .to_path_buf();

    for step in &steps {
        match step {
            Step::File { path, body } => {
                let full = repo.join(path);
                assert!(
                    !full.exists(),
                    "{path} exists already: pick another scratch rule"
                );
                std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
                std::fs::write(full, body).expect("write");
            }
            Step::Line { path, line } => {
                let full = repo.join(path);
                let text = std::fs::read_to_string(&full).expect("read");
                std::fs::write(full, insert_sorted(&text, line)).expect("write");
            }
            Step::Run { commands } => {
                for command in commands {
                    let out = Command::new("sh")
                        .args(["-c", command])
                        .current_dir(repo)
                        .env("CARGO_TARGET_DIR", &target)
                        .env("CARGO_TERM_COLOR", "never")
                        .env_remove("README_UPDATE")
                        .output()
                        .expect("run sh");
                    assert!(
                        out.status.success(),
                        "`{command}` failed:\n{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
    }

    // The scratch rule is documented and snapshotted; no snapshot is left pending.
    let rules_md = std::fs::read_to_string(repo.join("docs/rules.md")).expect("docs/rules.md");
    assert!(rules_md.contains("statement-without-sid"), "docs/rules.md");
    let snapshots: Vec<String> = std::fs::read_dir(repo.join("tests/snapshots"))
        .expect("snapshots")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        snapshots
            .iter()
            .any(|n| n.starts_with("statement-without-sid__fail_no_sid") && n.ends_with(".snap")),
        "{snapshots:?}"
    );
    assert!(
        !snapshots.iter().any(|n| n.ends_with(".snap.new")),
        "{snapshots:?}"
    );
}

#[test]
fn scratch_lines_go_in_alphabetical_order() {
    let mods = "pub mod alpha;\npub mod gamma;\n";
    assert_eq!(
        insert_sorted(mods, "pub mod beta;"),
        "pub mod alpha;\npub mod beta;\npub mod gamma;\n"
    );
    let list =
        "        $then! {\n            a::x::Alpha,\n            b::y::Gamma,\n\n        }\n";
    assert_eq!(
        insert_sorted(list, "            c::z::Beta,"),
        "        $then! {\n            a::x::Alpha,\n            c::z::Beta,\n            b::y::Gamma,\n\n        }\n"
    );
    assert_eq!(
        insert_sorted(mods, "pub mod zeta;"),
        "pub mod alpha;\npub mod gamma;\npub mod zeta;\n"
    );
}
