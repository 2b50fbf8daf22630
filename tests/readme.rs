#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The README's example is what iamlint prints: the `console` block after the
//! `<!-- readme-example: ... -->` marker starts with `$ iamlint ARGS`; this test runs the binary
//! with those arguments from the repository root and compares its output with the rest of the
//! block, line by line.
//!
//! When the output changes on purpose (a new message, a new rule), regenerate the block with
//! `README_UPDATE=1 cargo test --test readme`, which rewrites it in README.md from what the binary
//! prints, then read the diff of README.md before committing it: the prose around the block may
//! need to follow.

use std::path::Path;
use std::process::Command;

const MARKER: &str = "<!-- readme-example:";

struct Example {
    /// Byte range of the output lines inside README.md (after the `$ ` line, before the fence).
    output: std::ops::Range<usize>,
    command: String,
}

fn find_example(readme: &str) -> Example {
    let marker = readme
        .find(MARKER)
        .expect("README.md has a `<!-- readme-example: ... -->` marker");
    let after_marker = marker + readme[marker..].find('\n').expect("marker line ends") + 1;
    let rest = &readme[after_marker..];
    assert!(
        rest.starts_with("```console\n"),
        "the marker must be followed by a ```console block"
    );
    let command_start = after_marker + "```console\n".len();
    let command_end = command_start + readme[command_start..].find('\n').expect("command line") + 1;
    let command = readme[command_start..command_end].trim_end().to_string();
    assert!(
        command.starts_with("$ iamlint "),
        "the block's first line must be `$ iamlint ...`, found `{command}`"
    );
    let fence = readme[command_end..]
        .find("```\n")
        .expect("the console block is closed");
    Example {
        output: command_end..command_end + fence,
        command: command["$ iamlint ".len()..].to_string(),
    }
}

fn run(args: &str, root: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(args.split_whitespace())
        .current_dir(root)
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("run iamlint");
    assert!(
        out.stderr.is_empty(),
        "iamlint {args} wrote to stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn readme_example_output_is_what_iamlint_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let example = find_example(&readme);
    let printed = run(&example.command, root);
    assert!(
        !printed.trim().is_empty(),
        "`iamlint {}` printed nothing",
        example.command
    );

    if std::env::var_os("README_UPDATE").is_some() {
        let mut updated = readme.clone();
        updated.replace_range(example.output.clone(), &printed);
        if updated != readme {
            std::fs::write(&path, updated).expect("write README.md");
            eprintln!("README.md: example output rewritten; review the diff");
        }
        return;
    }

    let documented = &readme[example.output.clone()];
    if documented != printed {
        let first = documented
            .lines()
            .zip(printed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| documented.lines().count().min(printed.lines().count()));
        panic!(
            "README.md's example differs from what `iamlint {}` prints, from output line {}:\n\
             README:  {:?}\nprinted: {:?}\n\
             If the change is intended: README_UPDATE=1 cargo test --test readme\n\n\
             full output:\n{printed}",
            example.command,
            first + 1,
            documented.lines().nth(first),
            printed.lines().nth(first),
        );
    }
}

/// The README's GitHub workflow is the file CI lints with zizmor and actionlint (`.ci/run`):
/// the ```yaml block after `<!-- readme-workflow: PATH -->` equals PATH, byte for byte.
#[test]
fn readme_workflow_is_the_file_ci_lints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let marker = "<!-- readme-workflow: ";
    let at = readme
        .find(marker)
        .expect("README.md has a `<!-- readme-workflow: PATH -->` marker")
        + marker.len();
    let line_end = at + readme[at..].find('\n').expect("marker line ends");
    let path = readme[at..line_end]
        .trim()
        .strip_suffix("-->")
        .expect("the marker ends with `-->`")
        .trim();
    let rest = readme[line_end + 1..]
        .strip_prefix("```yaml\n")
        .expect("the marker is followed by a ```yaml block");
    let block = &rest[..rest.find("```\n").expect("the yaml block is closed")];
    let file = std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        block, file,
        "README.md's workflow differs from {path}: edit both together"
    );
}

/// Every `uses:` in the README's YAML blocks is pinned to a full commit SHA with the version in a
/// comment (zizmor's `unpinned-uses`, GitHub's hardening guide).
#[test]
fn readme_pins_actions_by_commit_sha() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let mut uses = 0;
    let mut in_yaml = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_yaml = line == "```yaml";
            continue;
        }
        let Some(at) = line.find("uses: ").filter(|_| in_yaml) else {
            continue;
        };
        uses += 1;
        let reference = line[at + "uses: ".len()..].trim();
        let (action, comment) = reference
            .split_once(" # ")
            .unwrap_or_else(|| panic!("`{line}`: no `# vX.Y.Z` comment"));
        let sha = action
            .rsplit_once('@')
            .unwrap_or_else(|| panic!("`{line}`: no ref"))
            .1;
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "`{line}`: not pinned to a full commit SHA"
        );
        assert!(
            comment.starts_with('v'),
            "`{line}`: the comment names no version"
        );
    }
    assert!(uses >= 2, "the README's workflows use the Action");
}

/// `iamlint` at the repository root lints what it should: the repository's `iamlint.toml` leaves
/// out fixtures, test data and the examples that are bad on purpose, and the rest is clean.
#[test]
fn repository_root_lints_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("run iamlint");
    assert_eq!(
        out.status.code(),
        Some(0),
        "`iamlint` at the repository root:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Only examples that are bad on purpose are excluded by name (each has findings), never the
/// `examples/` folder: an example meant to be clean stays linted.
#[test]
fn repository_config_excludes_only_deliberately_bad_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(root.join("iamlint.toml")).expect("read iamlint.toml");
    let excluded: Vec<&str> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.split('"').next())
        .map(|p| p.trim_start_matches('/'))
        .filter(|p| p.starts_with("examples"))
        .collect();
    assert!(!excluded.is_empty(), "{config}");
    for path in excluded {
        assert!(
            !path.ends_with('/') && root.join(path).is_file(),
            "`{path}`: exclude example files by name"
        );
        let out = Command::new(env!("CARGO_BIN_EXE_iamlint"))
            .args(["check", "--quiet", path])
            .current_dir(root)
            .output()
            .expect("run iamlint");
        assert_eq!(
            out.status.code(),
            Some(1),
            "`{path}` is excluded but has no findings: lint it"
        );
    }
}

/// The README's first command ("Try it") lints the examples as a new user runs it: findings
/// (exit 1) and no input error. A file added under `examples/` that is not a policy (a README,
/// a report) must not turn the first command into exit 2.
#[test]
fn the_first_command_lints_the_examples_without_input_errors() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let args = readme
        .lines()
        .find_map(|l| l.strip_prefix("cargo run --release -- "))
        .expect("the README's first command");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("\"$IAMLINT\" {args}"))
        .env("IAMLINT", env!("CARGO_BIN_EXE_iamlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args}\n{stdout}\n{stderr}");
    assert!(!stdout.contains("could not be read"), "{stdout}");
    assert!(stdout.contains("3 files checked"), "{stdout}");
}
