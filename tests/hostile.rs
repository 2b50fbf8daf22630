//! A hostile pull request (issue #17): `tests/data/hostile/` copied into a temporary repository
//! with secret marker files beside it, outside its root. No byte of an outside file may reach
//! any output format, special files must not hang the run, control characters in names must
//! not reach a terminal or open a GitHub workflow command, and `--fix` must not write outside.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

use common::commit_tree;

const MARKER: &str = "SECRETMARKERZQ";
const ENV_MARKER: &str = "ENVSECRETZQ";
const FORMATS: &[&str] = &["human", "json", "sarif", "github", "gitlab"];
const EVIL_NAME: &str = "evil\n::error file=x::pwned\u{1b}[31m.json";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary folder holding the secret files and `repo/`, the hostile repository.
struct Setup {
    _tmp: TempDir,
    top: PathBuf,
    repo: PathBuf,
}

fn policy_with_marker() -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{MARKER}", "Effect": "Allow", "Action": ["{MARKER}:GetObject", "s3:*", "s3:GetObject"], "Resource": "*"}}]}}"#
    )
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(tmp.path()).unwrap();
    let repo = top.join("repo");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile"),
        &repo,
    );
    std::fs::create_dir(repo.join(".git")).unwrap();
    // Outside the root: files whose content must never be shown.
    std::fs::write(top.join("secret.json"), policy_with_marker()).unwrap();
    std::fs::write(top.join("outside_fix.json"), policy_with_marker()).unwrap();
    std::fs::write(
        top.join("secret.tfvars"),
        format!("actions = [\"{MARKER}:GetObject\", \"s3:*\"]\n"),
    )
    .unwrap();
    std::fs::create_dir(top.join("outside_module")).unwrap();
    std::fs::write(
        top.join("outside_module/main.tf"),
        format!(
            "resource \"aws_iam_policy\" \"p\" {{\n  policy = jsonencode({{ Version = \"2012-10-17\", Statement = [{{ Effect = \"Allow\", Action = \"{MARKER}:Get\", Resource = \"*\" }}] }})\n}}\n\noutput \"action\" {{\n  value = \"{MARKER}:Out\"\n}}\n"
        ),
    )
    .unwrap();
    // A name that `fileset()` would list, were it to look outside.
    std::fs::write(top.join(format!("{MARKER}.json")), "{}").unwrap();
    symlink(top.join("outside_module"), repo.join("modlink/out")).unwrap();
    symlink(
        top.join("secret.json"),
        repo.join("fileset/policies/link.json"),
    )
    .unwrap();
    symlink(&top, repo.join("fileset/policies/up")).unwrap();
    // Absolute paths (they depend on where the test runs): inside the root read as relative
    // ones are, outside refused.
    std::fs::create_dir(repo.join("abspath")).unwrap();
    std::fs::write(
        repo.join("abspath/inside.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:role/x"}]}"#,
    )
    .unwrap();
    std::fs::write(
        repo.join("abspath/main.tf"),
        format!(
            "resource \"aws_iam_policy\" \"inside\" {{\n  policy = file(\"{inside}\")\n}}\n\nresource \"aws_iam_policy\" \"outside\" {{\n  policy = file(\"{outside}\")\n}}\n\nresource \"aws_iam_policy\" \"template\" {{\n  policy = templatefile(\"{outside}\", {{}})\n}}\n\nlocals {{\n  stolen = file(\"{outside}\")\n}}\n\nresource \"aws_iam_policy\" \"via_local\" {{\n  policy = jsonencode({{ Version = \"2012-10-17\", Statement = [{{ Effect = \"Allow\", Action = local.stolen, Resource = \"*\" }}] }})\n}}\n",
            inside = repo.join("abspath/inside.json").display(),
            outside = top.join("secret.json").display(),
        ),
    )
    .unwrap();
    // Links into the outside, a FIFO, and a name with control characters.
    symlink(
        top.join("secret.tfvars"),
        repo.join("tfvars/terraform.tfvars"),
    )
    .unwrap();
    symlink(top.join("outside_fix.json"), repo.join("fixme/linked.json")).unwrap();
    symlink(top.join("secret.json"), repo.join("exfil/link.json")).unwrap();
    symlink(&top, repo.join("exfil/up")).unwrap();
    let fifo = repo.join("fifo.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::write(
        repo.join(EVIL_NAME),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    Setup {
        _tmp: tmp,
        top,
        repo,
    }
}

fn iamlint(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("iamlint").unwrap();
    cmd.current_dir(cwd)
        .env("IAMLINT_HOSTILE", ENV_MARKER)
        .env_remove("GITHUB_ACTIONS")
        .timeout(Duration::from_secs(120));
    cmd
}

/// A run's stdout then stderr, as one text to search.
fn both_streams(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Output of one run, stdout and stderr together; the run must have ended by itself.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some(),
        "the run was killed (a hang or a crash)"
    );
    both_streams(&out)
}

fn assert_nothing_leaked(output: &str, what: &str) {
    assert!(
        !output.contains(MARKER),
        "{what}: an outside file leaked:\n{output}"
    );
    assert!(
        !output.contains(ENV_MARKER),
        "{what}: the environment leaked:\n{output}"
    );
    assert!(
        !output.contains("root:x:0:0"),
        "{what}: /etc/passwd leaked:\n{output}"
    );
}

#[test]
fn no_outside_byte_reaches_any_format() {
    let s = setup();
    for format in FORMATS {
        // From inside the repository and from above it: the root does not depend on the cwd.
        for (cwd, arg) in [
            (&s.repo, PathBuf::from(".")),
            (&s.top, PathBuf::from("repo")),
        ] {
            let output = run(iamlint(cwd)
                .args(["check", "--format", format, "--color", "never"])
                .arg(&arg));
            assert_nothing_leaked(&output, &format!("{format} from {}", cwd.display()));
        }
        // Each folder named on its own, and a `--var-file` inside the repository that a link
        // turns outside (the user named a file of the repository, not the outside one).
        for dir in [
            "exfil", "tfvars", "module", "modlink", "abspath", "fileset", "explode",
        ] {
            let output = run(iamlint(&s.repo)
                .args(["check", "--format", format, dir])
                .args(["--var-file", "tfvars/terraform.tfvars"]));
            assert_nothing_leaked(&output, &format!("{format} on {dir}"));
        }
    }
}

#[test]
fn refused_reads_name_the_path() {
    let s = setup();
    let output = run(iamlint(&s.repo).args(["check", "--color", "never", "exfil", "tfvars"]));
    assert!(
        output.contains("outside the repository root"),
        "a refused read says why:\n{output}"
    );
    assert!(
        output.contains("secret.json"),
        "and names the path:\n{output}"
    );
    assert!(output.contains("tfvars/terraform.tfvars"), "{output}");
    // The module source outside the repository is not followed.
    let output = run(iamlint(&s.repo).args(["check", "--color", "never", "module"]));
    assert!(
        output.contains("outside the repository"),
        "module source outside:\n{output}"
    );
}

#[test]
fn special_files_are_errors_at_once_and_scans_count_what_they_skip() {
    let s = setup();
    let out = iamlint(&s.repo)
        .args(["check", "--color", "never", "fifo.json"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("a FIFO, not a regular file"), "{stdout}");
    let out = iamlint(&s.repo)
        .args(["check", "--format", "json", "."])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = &json["summary"]["skipped"];
    // exfil/link.json, exfil/up, fileset/policies/link.json, fileset/policies/up,
    // fixme/linked.json, modlink/out, tfvars/terraform.tfvars; the FIFO.
    assert_eq!(skipped["symlinks"], 7, "{json:#}");
    assert_eq!(skipped["special_files"], 1, "{json:#}");
}

#[test]
fn control_characters_in_names_are_escaped() {
    let s = setup();
    let human = iamlint(&s.repo)
        .args(["check", "--color", "never", "."])
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(!human.contains('\u{1b}'), "raw ESC in human output");
    assert!(
        human.contains("evil\\n::error file=x::pwned\\x1b[31m.json"),
        "{human}"
    );
    let github = iamlint(&s.repo)
        .args(["check", "--format", "github", "."])
        .output()
        .unwrap();
    let github = String::from_utf8_lossy(&github.stdout);
    assert!(!github.contains('\u{1b}'), "raw ESC in GitHub output");
    for line in github.lines() {
        assert!(
            !line.starts_with("::error file=x"),
            "a file name opened a workflow command: {line}"
        );
    }
}

#[test]
fn fix_never_writes_outside_the_root() {
    let s = setup();
    let before: Vec<(PathBuf, Vec<u8>)> = ["secret.json", "outside_fix.json", "secret.tfvars"]
        .iter()
        .map(|n| (s.top.join(n), std::fs::read(s.top.join(n)).unwrap()))
        .collect();
    let output = run(iamlint(&s.repo).args(["check", "--fix", "--color", "never", "."]));
    assert_nothing_leaked(&output, "--fix");
    for (path, bytes) in &before {
        assert_eq!(
            &std::fs::read(path).unwrap(),
            bytes,
            "{} was written",
            path.display()
        );
    }
    assert!(std::fs::symlink_metadata(s.repo.join("fixme/linked.json"))
        .unwrap()
        .file_type()
        .is_symlink());
    // Inside the root, the safe fix was applied.
    let fixed = std::fs::read_to_string(s.repo.join("fixme/policy.json")).unwrap();
    assert!(fixed.contains(r#"["s3:Get*"]"#), "{fixed}");
    // Named directly, the link is still not written through.
    run(iamlint(&s.repo).args(["check", "--fix", "fixme/linked.json"]));
    for (path, bytes) in &before {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
    }
}

#[test]
fn a_config_above_the_root_is_not_used() {
    let s = setup();
    std::fs::write(
        s.top.join("iamlint.toml"),
        "ignore = [\"wildcard-action\"]\n",
    )
    .unwrap();
    let out = iamlint(&s.repo)
        .args(["check", "--format", "json", "."])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "wildcard-action"),
        "the config above the repository silenced a rule: {json:#}"
    );
}

#[test]
fn exploding_strings_give_bounded_messages() {
    let s = setup();
    let out = iamlint(&s.repo)
        .args(["check", "--format", "json", "explode"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in json["findings"].as_array().unwrap() {
        let message = f["message"].as_str().unwrap();
        assert!(
            message.chars().count() <= iamlint::text::MAX_MESSAGE_CHARS + 1,
            "a message of {} characters",
            message.len()
        );
    }
    let human = iamlint(&s.repo)
        .args(["check", "--color", "never", "explode"])
        .output()
        .unwrap();
    let longest = String::from_utf8_lossy(&human.stdout)
        .lines()
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest < 8_000, "a line of {longest} bytes");
}

/// A folder `name` of the repository holding the `tfvars/` module and an `iamlint.toml` of
/// `config` (written at run time: a broken config stops the whole run, so it cannot sit in the
/// tree the other tests scan).
fn configured(s: &Setup, name: &str, config: &str) -> PathBuf {
    let dir = s.repo.join(name);
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(s.repo.join("tfvars/main.tf"), dir.join("main.tf")).unwrap();
    std::fs::write(dir.join("iamlint.toml"), config).unwrap();
    dir
}

#[test]
fn config_files_and_the_files_they_name_stay_inside_the_root() {
    let s = setup();
    // Outside TOML whose keys would be echoed in an "unknown key" error.
    std::fs::write(s.top.join("secret.toml"), format!("{MARKER} = \"x\"\n")).unwrap();
    let linked = s.repo.join("linked");
    std::fs::create_dir(&linked).unwrap();
    std::fs::copy(s.repo.join("tfvars/main.tf"), linked.join("main.tf")).unwrap();
    symlink(s.top.join("secret.toml"), linked.join("iamlint.toml")).unwrap();
    configured(
        &s,
        "varfiles",
        "[terraform]\nvar-files = [\"../../secret.tfvars\"]\n",
    );
    configured(&s, "recipes", "recipe-dirs = [\"../../outside_module\"]\n");
    for (dir, expected) in [
        (
            "linked",
            "iamlint.toml: cannot read config: it is outside the repository root",
        ),
        (
            "varfiles",
            "variables file `../../secret.tfvars` is outside the repository root",
        ),
        (
            "recipes",
            "recipe folder `../../outside_module` is outside the repository root",
        ),
    ] {
        for format in FORMATS {
            let out = iamlint(&s.repo)
                .args(["check", "--format", format, dir])
                .output()
                .unwrap();
            let text = both_streams(&out);
            assert_nothing_leaked(&text, &format!("{format} on {dir}"));
            assert_eq!(out.status.code(), Some(2), "{dir}: {text}");
            assert!(text.contains(expected), "{dir}: {text}");
        }
    }
    // `--config` naming the repository's file: the link out is refused the same way.
    let out = run(iamlint(&s.repo).args(["check", "--config", "linked/iamlint.toml", "tfvars"]));
    assert_nothing_leaked(&out, "--config");
    assert!(out.contains("outside the repository root"), "{out}");
}

#[test]
fn a_committed_baseline_linked_outside_is_not_read() {
    let s = setup();
    // A JSON file whose string would be echoed by a type error.
    std::fs::write(
        s.top.join("secret_baseline.json"),
        format!("{{\"version\": \"{MARKER}\", \"findings\": []}}"),
    )
    .unwrap();
    symlink(
        s.top.join("secret_baseline.json"),
        s.repo.join("baseline.json"),
    )
    .unwrap();
    for format in FORMATS {
        let out = iamlint(&s.repo)
            .args([
                "check",
                "--format",
                format,
                "--baseline",
                "baseline.json",
                "fixme",
            ])
            .output()
            .unwrap();
        let text = both_streams(&out);
        assert_nothing_leaked(&text, &format!("{format} --baseline"));
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            text.contains("baseline.json: cannot read baseline: it is outside the repository root"),
            "{text}"
        );
    }
}

#[test]
fn a_path_the_user_names_outside_the_repository_is_read() {
    // The command line is the user's: `--var-file ../x.tfvars` is a file they chose. (The
    // marker showing up proves the read, where the repository's own links are refused above.)
    let s = setup();
    // The whole repository: a partial run keeps only findings located in the paths it names.
    let out = run(iamlint(&s.repo)
        .args(["check", "--color", "never", "."])
        .args(["--var-file", "../secret.tfvars"]));
    assert!(out.contains(&format!("`{MARKER}:GetObject`")), "{out}");
    // A baseline kept outside the repository: read, so it hides the finding it records.
    iamlint(&s.repo)
        .args(["check", "--write-baseline", "../user.json", "fixme"])
        .assert()
        .success();
    let out = run(iamlint(&s.repo).args(["check", "--baseline", "../user.json", "fixme"]));
    assert!(!out.contains("cannot read baseline"), "{out}");
    assert!(!out.contains("redundant-action"), "{out}");
    assert!(out.contains("1 finding suppressed"), "{out}");
}

#[test]
fn module_sources_and_absolute_paths_inside_the_root_are_read_outside_refused() {
    let s = setup();
    let out = iamlint(&s.repo)
        .args(["check", "--format", "json", "modlink", "abspath"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_nothing_leaked(&text, "modlink and abspath");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let has = |rule: &str, path: &str, message: &str| {
        findings.iter().any(|f| {
            f["rule"] == rule
                && f["path"].as_str().unwrap_or("").ends_with(path)
                && f["message"].as_str().unwrap_or("").contains(message)
        })
    };
    // The module inside the repository: its output was evaluated (spans at the reference).
    assert!(
        has("wildcard-action", "modlink/main.tf", "`s3:*`"),
        "{json:#}"
    );
    // The linked one outside: not read, and said so.
    assert!(
        has(
            "unresolved-reference",
            "modlink/main.tf",
            "module source `./out` is outside the repository"
        ),
        "{json:#}"
    );
    // An absolute path inside the root is read like a relative one.
    assert!(
        has("wildcard-action", "abspath/inside.json", "`iam:*`"),
        "{json:#}"
    );
    assert!(
        has(
            "unresolved-reference",
            "abspath/main.tf",
            "outside the repository root: not read"
        ),
        "{json:#}"
    );
}

#[test]
fn write_baseline_never_writes_through_a_link_in_the_repository() {
    let s = setup();
    let target = s.top.join("outside_baseline.json");
    std::fs::write(&target, MARKER).unwrap();
    symlink(&target, s.repo.join("baseline.json")).unwrap();
    symlink(&s.top, s.repo.join("out")).unwrap();
    for path in ["baseline.json", "out/outside_baseline.json"] {
        let out = run(iamlint(&s.repo).args(["check", "--write-baseline", path, "fixme"]));
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            MARKER,
            "{path}: {out}"
        );
        assert!(out.contains("cannot write baseline"), "{path}: {out}");
    }
    assert!(std::fs::symlink_metadata(s.repo.join("baseline.json"))
        .unwrap()
        .file_type()
        .is_symlink());
    // Outside the repository, as the user names it: written.
    iamlint(&s.repo)
        .args([
            "check",
            "--write-baseline",
            "../user_baseline.json",
            "fixme",
        ])
        .assert()
        .success();
    assert!(s.top.join("user_baseline.json").is_file());
}

#[test]
fn fileset_lists_inside_the_root_only_without_links_and_bounded() {
    let s = setup();
    let many = s.repo.join("fileset/many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..=iamlint::frontend::terraform::MAX_FILESET_ENTRIES {
        std::fs::write(many.join(format!("f{i}")), "").unwrap();
    }
    let out = iamlint(&s.repo)
        .args(["check", "--format", "json", "fileset", "exfil"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_nothing_leaked(&text, "fileset");
    assert!(!text.contains("link.json"), "a link was listed: {text}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    // Listed inside: the policy of `for_each = fileset(...)` was read.
    assert!(
        messages.iter().any(|m| m.starts_with("`iam:*` allows")),
        "{messages:#?}"
    );
    // `../..` and `/` are refused, naming the path. (A `for_each` over a refused `fileset` has
    // no instances to read: its `file()` path is not known, as the no-leak test checks.)
    for base in ["../..", "/"] {
        assert!(
            messages.iter().any(|m| m.contains(&format!(
                "`fileset`: cannot list `{base}`: it is outside the repository root"
            ))),
            "{base}: {messages:#?}"
        );
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`fileset` looked at more than 10000 entries")),
        "{messages:#?}"
    );
}

#[test]
fn a_named_link_out_of_the_repository_is_not_followed() {
    // Hooks and `git diff --name-only | xargs iamlint` pass names taken from the change: a
    // committed link to a file outside the repository is an error entry naming the link, and the
    // other named files are still linted.
    let s = setup();
    symlink(s.top.join("secret.json"), s.repo.join("named.json")).unwrap();
    std::fs::write(
        s.repo.join("target.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    // A link to a file inside the repository is followed as before.
    symlink(s.repo.join("target.json"), s.repo.join("inside.json")).unwrap();
    for format in FORMATS {
        let out = iamlint(&s.repo)
            .args(["check", "--format", format, "named.json", "inside.json"])
            .output()
            .unwrap();
        let text = both_streams(&out);
        assert_nothing_leaked(&text, &format!("{format} named link"));
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            text.contains("a link leads out of its repository"),
            "{text}"
        );
        assert!(
            text.contains("wildcard-action"),
            "the inside link is linted: {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 25: `check` bounds (what one run may cost, whatever the pull request holds).

/// Runs the built binary in `cwd` with `args` and returns its exit code, its stdout and stderr,
/// and its peak resident memory in MiB (from `wait4`, this child's alone).
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which `Child::wait` does not expose
fn measured(cwd: &Path, args: &[&str]) -> (Option<i32>, String, u64) {
    let out_path = cwd.join(".measured.out");
    let out = std::fs::File::create(&out_path).unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("iamlint"))
        .current_dir(cwd)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: `rusage` is plain data that `wait4` fills in; `pid` is our child, waited for once.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    std::fs::remove_file(&out_path).unwrap();
    // Linux reports kilobytes.
    (code, text, u64::try_from(usage.ru_maxrss).unwrap() / 1024)
}

/// A partial run reads the repository's other `.tf` files under the same size cap as a whole
/// run: a 600 MiB file elsewhere (sparse, so the test costs no disk) is refused unread, not held
/// while looking for mentions of the named file (it cost its size in memory).
#[test]
fn a_partial_run_reads_other_terraform_files_under_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("mod")).unwrap();
    std::fs::create_dir_all(repo.join("elsewhere")).unwrap();
    std::fs::write(
        repo.join("mod/main.tf"),
        "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"s3:*\", Resource = \"*\" }] })\n}\n",
    )
    .unwrap();
    let huge = std::fs::File::create(repo.join("elsewhere/huge.tf")).unwrap();
    huge.set_len(600 << 20).unwrap();
    let (code, out, mib) = measured(&repo, &["check", "mod/main.tf"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("wildcard-action"), "{out}");
    assert!(
        mib < 200,
        "peak memory {mib} MiB: the huge file was read\n{out}"
    );
}

// Issue 25: one escaping layer for every output. A temporary repository holds files whose names
// and values carry workflow-command syntax, control characters and Markdown; every format's
// stdout and stderr are read by a workflow-command parser written from GitHub's documented syntax
// (`::name key=value,...::message` at the start of a line, after blanks; the runner's legacy
// `##[name ...]` form, taken as a command wherever it appears), and the Markdown report is
// rendered by a CommonMark/GFM parser.

/// File names (no `/` is possible in a name) with every piece of syntax that matters.
const HOSTILE_NAMES: &[&str] = &[
    "::error title=x::a.json",
    "n\n::add-mask::b.json",
    "e\u{1b}[31m\u{7}c.json",
    "r\r::warning::d.json",
    "##[error]e.json",
    "t`|f.json",
    "@octocat # 0 widenings.json",
    "u\u{2028}::error::g.json",
];

/// A value for a principal, a `Sid` and a `Resource`: a line break then a command, a carriage
/// return, ESC and BEL, a code fence, a table break, an image, a link, a mention and a heading.
const HOSTILE_VALUE: &str = "x\r\n::error title=v::pwned\n::add-mask::m\u{1b}[2J\u{7}##[error]l ``` | ![x](http://evil.example/t.png) [y](http://evil.example) <img src=x> @octocat\r\n# 0 widenings\n```\u{2028}::error::ls";

/// One command a runner would read from a log line.
#[derive(Debug)]
struct RunnerCommand {
    /// The line it was read from (for failure messages).
    #[allow(dead_code)]
    line: String,
    name: String,
    properties: Vec<(String, String)>,
    legacy: bool,
}

/// The runner's unescaping of a property value.
fn unescape_property(s: &str) -> String {
    s.replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// Every command in `log`, read conservatively: any character a terminal or runner might take
/// as a line break splits lines; colour codes are taken out first; `::` after leading blanks
/// starts a command (even one the runner would then reject), and every `##[` is one.
fn runner_commands(log: &str) -> Vec<RunnerCommand> {
    let mut out = Vec::new();
    let breaks = [
        '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}',
    ];
    for raw in log.split(breaks) {
        let mut line = String::new();
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if let Some(body) = rest.strip_prefix("\u{1b}[") {
                if let Some(end) = body.find(|c: char| ('\u{40}'..='\u{7e}').contains(&c)) {
                    rest = &body[end + 1..];
                    continue;
                }
            }
            line.push(c);
            rest = &rest[c.len_utf8()..];
        }
        for _ in line.match_indices("##[") {
            out.push(RunnerCommand {
                line: line.clone(),
                name: "##[".into(),
                properties: Vec::new(),
                legacy: true,
            });
        }
        let Some(body) = line.trim_start().strip_prefix("::") else {
            continue;
        };
        let info = body.split_once("::").map_or(body, |(info, _)| info);
        let (name, properties) = info.split_once(' ').unwrap_or((info, ""));
        out.push(RunnerCommand {
            line: line.clone(),
            name: name.to_string(),
            properties: properties
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_string(), unescape_property(v))
                })
                .collect(),
            legacy: false,
        });
    }
    out
}

/// Asserts that every command in `log` is one iamlint meant (`own`), and that no legacy one is.
fn assert_only_own_commands(log: &str, own: impl Fn(&RunnerCommand) -> bool, what: &str) {
    for command in runner_commands(log) {
        assert!(
            !command.legacy && own(&command),
            "{what}: a command iamlint did not mean: {command:?}\n{log}"
        );
    }
}

fn no_command(_: &RunnerCommand) -> bool {
    false
}

/// A file name as a GitHub `file=` property shows it: line breaks percent-encoded (read back by
/// the runner as they were), other control characters as text (`\x1b`) and the `[` of `##[` as
/// `\x5b`, so that the property holds no command either.
fn shown_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.replace("##[", "##\\x5b")
}

/// An annotation of `check --format github`: its kind, known properties only, a file of the run,
/// a rule id or iamlint's own titles.
fn own_check_annotation(files: &[String]) -> impl Fn(&RunnerCommand) -> bool + '_ {
    move |c| {
        ["error", "warning", "notice"].contains(&c.name.as_str())
            && c.properties.iter().all(|(k, v)| match k.as_str() {
                "file" => files.iter().any(|f| shown_name(f) == *v),
                "line" | "col" | "endLine" | "endColumn" => v.parse::<u32>().is_ok(),
                "title" => {
                    v == "parse error"
                        || v == "iamlint"
                        || (!v.is_empty() && v.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                }
                _ => false,
            })
    }
}

fn hostile_policy(value: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": value,
            "Effect": "Allow",
            "Action": ["s3:*", value],
            "Resource": value,
        }]
    })
    .to_string()
}

fn hostile_trust(value: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root", value]},
            "Action": "sts:AssumeRole",
        }]
    })
    .to_string()
}

/// A repository (`.git` only) whose files have [`HOSTILE_NAMES`] and hold [`HOSTILE_VALUE`],
/// enough of them to pass GitHub's annotation caps, and a file whose excerpt holds `##[`.
fn hostile_repo() -> (TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir(repo.join(".git")).unwrap();
    let mut names: Vec<String> = HOSTILE_NAMES.iter().map(|s| s.to_string()).collect();
    for i in 0..6 {
        names.push(format!("{i}\n::error::past the cap ##[warning]{i}.json"));
    }
    for name in &names {
        std::fs::write(repo.join(name), hostile_policy(HOSTILE_VALUE)).unwrap();
    }
    std::fs::write(
        repo.join("excerpt.json"),
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"##[error]sid\", \"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}\n::error::in the file\n",
    )
    .unwrap();
    names.push("excerpt.json".into());
    (tmp, repo, names)
}

/// `check --format github`: annotations whose fields hold hostile names and values, and past
/// GitHub's cap, log lines that do.
#[test]
fn check_github_writes_only_its_own_commands() {
    let (_tmp, repo, names) = hostile_repo();
    let github = iamlint(&repo)
        .args(["check", "--format", "github", "."])
        .output()
        .unwrap();
    let log = both_streams(&github);
    // Every hostile file name appears as an annotation's file, some past the cap.
    assert!(log.contains("not annotated"), "{log}");
    assert_only_own_commands(&log, own_check_annotation(&names), "check --format github");
    assert!(!log.contains(['\u{1b}', '\u{7}']), "{log}");
}

/// The other formats of `check`: no command at all, and the JSON ones keep the data.
#[test]
fn check_formats_write_no_command_a_value_controls() {
    let (_tmp, repo, _) = hostile_repo();
    for format in FORMATS.iter().filter(|f| **f != "github") {
        let out = iamlint(&repo)
            .args(["check", "--format", format, "."])
            .output()
            .unwrap();
        let log = both_streams(&out);
        assert_only_own_commands(&log, no_command, &format!("check --format {format}"));
        assert!(!log.contains(['\u{1b}', '\u{7}', '\r']), "{format}: {log}");
        if *format != "human" {
            // The JSON formats keep the data: `##[` is escaped as JSON, read back the same.
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(json.to_string().contains("##[error]"), "{format}");
        }
    }
}

/// The human output, coloured or not: a file named `::error title=x::a.json` starts a line, and
/// a file's content holds `##[` in an excerpt.
#[test]
fn check_human_writes_no_command_a_value_controls() {
    let (_tmp, repo, _) = hostile_repo();
    for color in ["always", "never"] {
        for quiet in [&[][..], &["--quiet"][..]] {
            let out = iamlint(&repo)
                .args(["check", "--color", color, "."])
                .args(quiet)
                .output()
                .unwrap();
            let log = both_streams(&out);
            assert!(log.contains("excerpt.json"), "{log}");
            assert_only_own_commands(&log, no_command, &format!("check --color {color}"));
            // The only escape sequences are iamlint's colours.
            let bare = log.replace("\u{1b}[", "");
            assert!(!bare.contains(['\u{1b}', '\u{7}', '\r']), "{log}");
        }
    }
    // --statistics, an output file, stdin with a hostile name.
    let out = iamlint(&repo)
        .args(["check", "--statistics", "."])
        .output()
        .unwrap();
    assert_only_own_commands(&both_streams(&out), no_command, "--statistics");
    let out = iamlint(&repo)
        .args(["check", "--stdin-filename", HOSTILE_VALUE, "-"])
        .write_stdin(hostile_policy(HOSTILE_VALUE))
        .output()
        .unwrap();
    let log = both_streams(&out);
    assert!(log.contains("pwned"), "{log}");
    assert_only_own_commands(&log, no_command, "stdin");
}

/// A committed config and baseline whose keys and values are hostile: their errors on stderr.
#[test]
fn stderr_writes_no_command_a_value_controls() {
    let (_tmp, repo, _) = hostile_repo();
    let key = "::error title=x::k\n##[error]y\u{1b}[2J";
    let toml_key = serde_json::to_string(key).unwrap();
    std::fs::write(repo.join("iamlint.toml"), format!("{toml_key} = 1\n")).unwrap();
    for format in FORMATS {
        let out = iamlint(&repo)
            .args(["check", "--format", format, "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains("unknown key"), "{err}");
        assert_only_own_commands(&both_streams(&out), no_command, "a config error");
        assert!(!err.contains('\u{1b}'), "{err}");
    }
    std::fs::remove_file(repo.join("iamlint.toml")).unwrap();
    std::fs::write(repo.join("baseline.json"), format!("{{{toml_key}: 1}}")).unwrap();
    let out = iamlint(&repo)
        .args(["check", "--baseline", "baseline.json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", both_streams(&out));
    assert_only_own_commands(&both_streams(&out), no_command, "a baseline error");
}

/// The other subcommands, with hostile command-line values (a workflow passing text from the
/// pull request) and a recipe folder.
#[test]
fn subcommands_write_no_command_a_value_controls() {
    let (_tmp, repo, _) = hostile_repo();
    let runs: &[&[&str]] = &[
        &["managed", HOSTILE_VALUE],
        &["managed", "--format", "json", HOSTILE_VALUE],
        &["expand", HOSTILE_VALUE],
        &["expand", "s3:GetObject##[error]"],
        &["expand", "--format", "json", HOSTILE_VALUE],
        &["suggest", HOSTILE_VALUE],
        &["explain", HOSTILE_VALUE],
        &["diff", HOSTILE_VALUE, "."],
        &["diff", "--base", HOSTILE_VALUE],
        &["check", "--format", HOSTILE_VALUE],
        &["check", "--fail-on", "##[error]x"],
        &[HOSTILE_VALUE],
        &["--no-such-flag\n::error::x"],
    ];
    for args in runs {
        let out = iamlint(&repo).args(*args).output().unwrap();
        let log = both_streams(&out);
        assert!(out.status.code().is_some(), "{args:?}");
        assert_only_own_commands(&log, no_command, &format!("{args:?}"));
        assert!(!log.contains(['\u{1b}', '\u{7}', '\r']), "{args:?}: {log}");
    }
}

/// Two sides for `iamlint diff OLD NEW`: each hostile name a trust policy that, in the new side,
/// trusts [`HOSTILE_VALUE`]; a policy that becomes an escalation; a new policy.
fn hostile_diff() -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir(top.join(".git")).unwrap();
    let (base, head) = (top.join("base"), top.join("head"));
    std::fs::create_dir(&base).unwrap();
    std::fs::create_dir(&head).unwrap();
    for name in HOSTILE_NAMES {
        std::fs::write(
            base.join(name),
            hostile_trust("arn:aws:iam::111122223333:root"),
        )
        .unwrap();
        std::fs::write(head.join(name), hostile_trust(HOSTILE_VALUE)).unwrap();
    }
    let escalation = "escalation ``` |\r.json";
    std::fs::write(
        base.join(escalation),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}"#,
    )
    .unwrap();
    std::fs::write(
        head.join(escalation),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}, {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}]}"#,
    )
    .unwrap();
    std::fs::write(
        head.join("@octocat `new`.json"),
        hostile_policy(HOSTILE_VALUE),
    )
    .unwrap();
    // A name that is Markdown link syntax, for the links to the changed lines.
    std::fs::write(
        head.join("x](javascript:alert(1)) [y](https:z) (.json"),
        hostile_policy(HOSTILE_VALUE),
    )
    .unwrap();
    (tmp, top)
}

/// The Markdown report, rendered as GitHub renders a comment (CommonMark with GFM tables): one
/// heading, iamlint's, saying `summary`; no image, code block, mention, bare URL or HTML but
/// iamlint's `<details>`; one table row of four cells per change, of the change's kind. Links
/// only when `link_base` is given, and then only iamlint's: an inline link, without title, to
/// `link_base` followed by percent-encoded path segments and `#L<line>`, whose text is one code
/// span. Returns how many links there are.
fn check_markdown(md: &str, summary: &str, kinds: &[String], link_base: Option<&str>) -> usize {
    use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
    let mut headings = Vec::new();
    let mut in_heading = false;
    let (mut in_row, mut cells, mut row_kinds) = (false, 0, Vec::new());
    let mut in_strong = false;
    // Inside a link: the events seen in its text.
    let mut in_link: Option<usize> = None;
    let mut links = 0;
    let ours = |url: &str| {
        let Some(rest) = link_base.and_then(|base| url.strip_prefix(base)) else {
            return false;
        };
        let Some((path, line)) = rest.rsplit_once("#L") else {
            return false;
        };
        !path.is_empty()
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b))
            && line.parse::<u32>().is_ok_and(|n| n > 0)
    };
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(md, options) {
        if let Some(seen) = in_link.as_mut() {
            match &event {
                Event::End(TagEnd::Link) => {
                    assert_eq!(*seen, 1, "a link's text is not one code span:\n{md}");
                    in_link = None;
                }
                Event::Code(_) if *seen == 0 => *seen += 1,
                _ => panic!("{event:?} in a link's text:\n{md}"),
            }
            continue;
        }
        match event {
            Event::Start(Tag::Link {
                link_type,
                ref dest_url,
                ref title,
                ..
            }) if link_type == LinkType::Inline && title.is_empty() && ours(dest_url) => {
                in_link = Some(0);
                links += 1;
            }
            Event::Start(Tag::Image { .. } | Tag::Link { .. } | Tag::CodeBlock(_)) => {
                panic!("{event:?} in the Markdown report:\n{md}")
            }
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                headings.push(String::new());
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::TableRow) => (in_row, cells) = (true, 0),
            Event::End(TagEnd::TableRow) => {
                assert_eq!(cells, 4, "a row lost or gained cells:\n{md}");
                in_row = false;
            }
            Event::Start(Tag::TableCell) => cells += 1,
            Event::Start(Tag::Strong) => in_strong = true,
            Event::End(TagEnd::Strong) => in_strong = false,
            Event::Html(html) | Event::InlineHtml(html) => assert!(
                [
                    "<details><summary>Actions by change</summary>",
                    "</details>"
                ]
                .contains(&html.trim()),
                "HTML not iamlint's: {html:?}\n{md}"
            ),
            Event::Text(text) => {
                for bad in ["@", "http", "www.", "::", "##["] {
                    assert!(!text.contains(bad), "`{bad}` outside code: {text:?}\n{md}");
                }
                if in_heading {
                    headings.last_mut().unwrap().push_str(&text);
                }
                if in_row && in_strong {
                    row_kinds.push(text.to_string());
                }
            }
            _ => {}
        }
    }
    assert_eq!(headings, [format!("iamlint diff: {summary}")], "{md}");
    let mut expected = kinds.to_vec();
    expected.sort();
    row_kinds.sort();
    assert_eq!(
        row_kinds, expected,
        "the table's rows are not the changes:\n{md}"
    );
    links
}

#[test]
fn diff_writes_no_command_a_value_controls() {
    let (_tmp, top) = hostile_diff();
    let diff = |format: &str| {
        iamlint(&top)
            .args(["diff", "base", "head", "--format", format])
            .output()
            .unwrap()
    };
    let json = diff("json");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let changes = report["changes"].as_array().unwrap();
    let kinds: Vec<String> = changes
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.iter().any(|k| k == "escalation-added"), "{report:#}");
    assert!(kinds.iter().any(|k| k == "principal-added"), "{report:#}");
    assert!(kinds.iter().any(|k| k == "policy-added"), "{report:#}");
    // The data is kept: the hostile principal is in a message, as it is.
    assert!(
        changes
            .iter()
            .any(|c| c["message"].as_str().unwrap().contains(HOSTILE_VALUE)),
        "{report:#}"
    );
    let files: Vec<String> = changes
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect();
    for format in ["human", "json", "markdown", "github"] {
        let out = diff(format);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let log = both_streams(&out);
        assert!(
            !log.contains(['\u{1b}', '\u{7}', '\r']),
            "{format}: {log:?}"
        );
        if format == "github" {
            let own = |c: &RunnerCommand| {
                ["error", "warning", "notice"].contains(&c.name.as_str())
                    && c.properties.iter().all(|(k, v)| match k.as_str() {
                        "file" => files.iter().any(|f| shown_name(f) == *v),
                        "line" | "col" => v.parse::<u32>().is_ok(),
                        "title" => {
                            let kind = v.split_once(" (").map_or(v.as_str(), |(k, _)| k);
                            v == "iamlint diff" || kinds.iter().any(|k| k == kind)
                        }
                        _ => false,
                    })
            };
            assert_only_own_commands(&log, own, "diff --format github");
            assert_eq!(
                runner_commands(&log).len(),
                changes.len(),
                "one annotation per change:\n{log}"
            );
        } else {
            assert_only_own_commands(&log, no_command, &format!("diff --format {format}"));
        }
    }
}

/// The Markdown report of changes whose principal, file names and messages carry backticks, a
/// carriage return, an image, links, HTML, a mention and a heading.
#[test]
fn diff_markdown_report_renders_only_iamlints_markup() {
    let (_tmp, top) = hostile_diff();
    let diff = |format: &str| {
        iamlint(&top)
            .args(["diff", "base", "head", "--format", format])
            .output()
            .unwrap()
    };
    let report: serde_json::Value = serde_json::from_slice(&diff("json").stdout).unwrap();
    let kinds: Vec<String> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    let summary = format!(
        "{} widenings, {} narrowings",
        report["summary"]["widenings"], report["summary"]["narrowings"]
    );
    let markdown = String::from_utf8(diff("markdown").stdout).unwrap();
    assert_eq!(check_markdown(&markdown, &summary, &kinds, None), 0);
}

/// With a link base, the places of the head side link to their lines: iamlint's links only,
/// whatever the file names (`](javascript:...)`, `)`, a line break) and values hold; a link base
/// that is not an https URL of a host is refused (exit 2).
#[test]
fn diff_markdown_links_are_only_iamlints() {
    let (_tmp, top) = hostile_diff();
    let base = "https://github.com/o/r/blob/0123abc/";
    let diff = |format: &str, link_base: &str| {
        iamlint(&top)
            .args(["diff", "base", "head", "--format", format])
            .args(["--link-base", link_base])
            .output()
            .unwrap()
    };
    let report: serde_json::Value = serde_json::from_slice(&diff("json", base).stdout).unwrap();
    let changes = report["changes"].as_array().unwrap();
    let kinds: Vec<String> = changes
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    let linked = changes
        .iter()
        .filter(|c| c["side"] == "head" && c["line"].as_u64() > Some(0))
        .count();
    assert!(linked > 0, "{report:#}");
    let summary = format!(
        "{} widenings, {} narrowings",
        report["summary"]["widenings"], report["summary"]["narrowings"]
    );
    let out = diff("markdown", base);
    assert_eq!(out.status.code(), Some(1));
    let markdown = String::from_utf8(out.stdout).unwrap();
    // One link per head-side place (base-side places have no commit to link to).
    assert_eq!(
        check_markdown(&markdown, &summary, &kinds, Some(base)),
        linked,
        "{markdown}"
    );
    assert!(
        markdown
            .contains("](https://github.com/o/r/blob/0123abc/x%5D%28javascript%3Aalert%281%29%29"),
        "{markdown}"
    );
    // The checker itself refuses a link that is not iamlint's.
    let forged = markdown.replacen("](https://github.com/o/r/", "](javascript:alert(1)//", 1);
    let refused = std::panic::catch_unwind(|| {
        check_markdown(&forged, &summary, &kinds, Some(base));
    });
    assert!(refused.is_err(), "the checker took a forged link");
    for bad in [
        "javascript:alert(1)//",
        "http://github.com/o/r/",
        "https://u@github.com/o/r/",
        "https://github.com/o/r/?x](javascript:y)",
    ] {
        let out = diff("markdown", bad);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}");
    }
}

/// A committed config of the new side whose key is hostile: `diff` reports it on stderr, in
/// every format, escaped.
#[test]
fn diff_config_errors_are_escaped() {
    let (_tmp, top) = hostile_diff();
    let key = serde_json::to_string("::error title=x::k\n##[error]y\u{1b}[2J\u{7}").unwrap();
    std::fs::write(top.join("head/iamlint.toml"), format!("{key} = 1\n")).unwrap();
    for format in ["human", "json", "markdown", "github"] {
        let out = iamlint(&top)
            .args(["diff", "base", "head", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let log = both_streams(&out);
        assert!(log.contains("unknown key"), "{log}");
        assert_only_own_commands(&log, no_command, &format!("diff --format {format}"));
        assert!(!log.contains(['\u{1b}', '\u{7}']), "{format}: {log:?}");
    }
}

/// The parser the tests above rely on finds what it must.
#[test]
fn the_test_parser_finds_commands() {
    let found = runner_commands(
        "a\n  ::error file=a%2Cb,title=t::m\r\u{1b}[1m::add-mask::x\u{2028}::warning::y\nz ##[error]w",
    );
    let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["error", "add-mask", "warning", "##["]);
    assert_eq!(found[0].properties[0], ("file".into(), "a,b".into()));
    assert!(found[3].legacy);
    assert!(runner_commands("a ::error::x\n#[x] # [y]").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Issue #25, the path rule: every path iamlint touches, named or committed, read or written, on
// both sides of `diff`, is resolved a component at a time inside its repository root.
// ---------------------------------------------------------------------------------------------

const DIFF_FORMATS: &[&str] = &["human", "json", "markdown", "github"];

/// A real git repository `repo/` (a Terraform policy whose actions come from
/// `env/prod.tfvars`, committed as `s3:GetObject`) beside the secret files of [`setup`].
fn git_setup() -> (Setup, String) {
    let s = setup();
    let repo = s.top.join("gitrepo");
    std::fs::create_dir_all(repo.join("env")).unwrap();
    std::fs::write(
        repo.join("main.tf"),
        "variable \"actions\" {\n  type = list(string)\n}\n\nresource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = var.actions, Resource = \"*\" }] })\n}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("env/prod.tfvars"),
        "actions = [\"s3:GetObject\"]\n",
    )
    .unwrap();
    std::fs::write(repo.join("policy.json"), policy_without_marker()).unwrap();
    let base = commit_tree(&repo);
    (
        Setup {
            repo,
            top: s.top,
            _tmp: s._tmp,
        },
        base,
    )
}

fn policy_without_marker() -> String {
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#.to_string()
}

#[test]
fn diff_base_side_reads_the_var_file_from_the_revision() {
    // (1) The pull request turns the committed tfvars into a link to a file outside: the head
    // side refuses it, and the base side reads the revision's blob, never the working tree.
    let (s, base) = git_setup();
    std::fs::remove_file(s.repo.join("env/prod.tfvars")).unwrap();
    symlink(s.top.join("secret.tfvars"), s.repo.join("env/prod.tfvars")).unwrap();
    for format in DIFF_FORMATS {
        let out = iamlint(&s.repo)
            .args(["diff", "--base", &base, "--format", format])
            .args(["--var-file", "env/prod.tfvars"])
            .output()
            .unwrap();
        let text = both_streams(&out);
        assert_nothing_leaked(&text, &format!("diff {format}"));
        assert_eq!(out.status.code(), Some(2), "{format}: {text}");
        assert!(text.contains("outside the repository root"), "{text}");
    }
    // A regular file changed by the pull request: the base side keeps the committed values, so
    // the change it makes is seen (both sides used to read the working tree's file).
    std::fs::remove_file(s.repo.join("env/prod.tfvars")).unwrap();
    std::fs::write(
        s.repo.join("env/prod.tfvars"),
        "actions = [\"s3:GetObject\", \"iam:PassRole\"]\n",
    )
    .unwrap();
    let out = iamlint(&s.repo)
        .args(["diff", "--base", &base, "--format", "json"])
        .args(["--var-file", "env/prod.tfvars"])
        .output()
        .unwrap();
    let text = both_streams(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("iam:PassRole"), "{text}");
    assert!(!text.contains("s3:GetObject\", \"iam:PassRole"), "{text}");
}

#[test]
fn diff_refuses_a_var_file_that_is_a_link_in_the_revision() {
    let s = setup();
    let repo = s.top.join("gitrepo");
    std::fs::create_dir_all(repo.join("env")).unwrap();
    std::fs::write(repo.join("policy.json"), policy_without_marker()).unwrap();
    symlink(s.top.join("secret.tfvars"), repo.join("env/prod.tfvars")).unwrap();
    let base = commit_tree(&repo);
    // The working tree's file is a plain one now; the revision's is a link.
    std::fs::remove_file(repo.join("env/prod.tfvars")).unwrap();
    std::fs::write(repo.join("env/prod.tfvars"), "actions = []\n").unwrap();
    let out = iamlint(&repo)
        .args(["diff", "--base", &base, "--var-file", "env/prod.tfvars"])
        .output()
        .unwrap();
    let text = both_streams(&out);
    assert_nothing_leaked(&text, "a link in the revision");
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("`env/prod.tfvars` is a symbolic link in"),
        "{text}"
    );
}

#[test]
fn a_committed_folder_link_is_not_followed_for_named_paths() {
    // (2) `infra -> ../outside_module`, named as the Action's example names folders.
    let s = setup();
    symlink("../outside_module", s.repo.join("infra")).unwrap();
    std::fs::create_dir(s.repo.join("policies")).unwrap();
    std::fs::write(s.repo.join("policies/p.json"), policy_without_marker()).unwrap();
    for format in FORMATS {
        for named in [&["infra"][..], &["infra/", "policies/"], &["infra/main.tf"]] {
            let out = iamlint(&s.repo)
                .args(["check", "--format", format])
                .args(named)
                .output()
                .unwrap();
            let text = both_streams(&out);
            assert_nothing_leaked(&text, &format!("{format} {named:?}"));
            assert_eq!(out.status.code(), Some(2), "{format} {named:?}: {text}");
            assert!(
                text.contains("a link leads out of its repository"),
                "{text}"
            );
            if named.len() == 2 {
                assert!(text.contains("wildcard-action"), "policies/ linted: {text}");
            }
        }
    }
    // A link deeper in the path, through a folder of the repository.
    std::fs::create_dir(s.repo.join("deep")).unwrap();
    symlink(&s.top, s.repo.join("deep/up")).unwrap();
    let text =
        run(iamlint(&s.repo).args(["check", "deep/up/outside_module", "deep/up/secret.json"]));
    assert_nothing_leaked(&text, "deep link");
    // `--fix` through the link: the outside file is not rewritten.
    std::fs::create_dir(s.top.join("outside_fixable")).unwrap();
    std::fs::write(s.top.join("outside_fixable/p.json"), policy_with_marker()).unwrap();
    symlink(s.top.join("outside_fixable"), s.repo.join("fixable")).unwrap();
    let text = run(iamlint(&s.repo).args(["check", "--fix", "fixable"]));
    assert_nothing_leaked(&text, "--fix fixable");
    assert_eq!(
        std::fs::read_to_string(s.top.join("outside_fixable/p.json")).unwrap(),
        policy_with_marker()
    );
    // A link inside the repository is followed as before.
    symlink("policies", s.repo.join("alias")).unwrap();
    let text = run(iamlint(&s.repo).args(["check", "alias"]));
    assert!(text.contains("wildcard-action"), "{text}");
}

#[test]
fn diff_base_with_a_named_folder_link_to_another_repository_is_refused() {
    // (2) `diff --base HEAD policies` with `policies -> ../other`, another git repository.
    let (s, _) = git_setup();
    let other = s.top.join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("p.json"), policy_with_marker()).unwrap();
    // A revision of the other repository: were the link followed, it would be diffed.
    let base = commit_tree(&other);
    std::fs::write(
        other.join("p.json"),
        policy_with_marker().replace("s3:GetObject", "iam:*"),
    )
    .unwrap();
    symlink("../other", s.repo.join("policies")).unwrap();
    for format in DIFF_FORMATS {
        let out = iamlint(&s.repo)
            .args(["diff", "--base", &base, "--format", format, "policies"])
            .output()
            .unwrap();
        let text = both_streams(&out);
        assert_nothing_leaked(&text, &format!("diff {format}"));
        // The other repository's change (`iam:*` added) is not diffed.
        assert!(!text.contains("iam:"), "{format}: {text}");
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("outside the repository root"), "{text}");
    }
}

#[test]
fn output_files_are_never_written_through_a_link() {
    // (3) `-o` (the Action's `iamlint.sarif`, `iamlint-diff.md`) committed as a link outside, or
    // reached through a committed folder link.
    let (s, base) = git_setup();
    let victim = s.top.join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    std::fs::create_dir(s.top.join("outdir")).unwrap();
    symlink(&victim, s.repo.join("iamlint.sarif")).unwrap();
    symlink(&victim, s.repo.join("iamlint-diff.md")).unwrap();
    symlink(s.top.join("outdir"), s.repo.join("out")).unwrap();
    for args in [
        &["check", "--format", "sarif", "-o", "iamlint.sarif", "."][..],
        &["check", "--format", "json", "-o", "out/report.json", "."],
        &[
            "diff",
            "--base",
            &base,
            "--format",
            "markdown",
            "-o",
            "iamlint-diff.md",
        ],
        &["diff", "--base", &base, "-o", "out/diff.txt"],
    ] {
        let out = iamlint(&s.repo).args(args).output().unwrap();
        let text = both_streams(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains("cannot write"), "{args:?}: {text}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(std::fs::read_dir(s.top.join("outdir")).unwrap().count(), 0);
    }
    assert!(std::fs::symlink_metadata(s.repo.join("iamlint.sarif"))
        .unwrap()
        .file_type()
        .is_symlink());
    // A plain target is written (replaced atomically), inside or outside the repository.
    for path in ["report.sarif", "../user.sarif"] {
        let out = iamlint(&s.repo)
            .args(["check", "--format", "sarif", "-o", path, "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", both_streams(&out));
        let written = std::fs::read_to_string(s.repo.join(path)).unwrap();
        assert!(written.contains("\"version\": \"2.1.0\""), "{written}");
    }
}

#[test]
fn ignore_files_are_read_from_the_root_down_only() {
    // (4) `.iamlintignore` and `.ignore` above the repository root change nothing; the root's
    // own ignore file still applies to a folder named below it.
    let s = setup();
    std::fs::create_dir_all(s.repo.join("sub/skipped")).unwrap();
    std::fs::write(s.repo.join("sub/p.json"), policy_without_marker()).unwrap();
    std::fs::write(s.repo.join("sub/skipped/q.json"), policy_without_marker()).unwrap();
    std::fs::write(s.repo.join(".iamlintignore"), "sub/skipped/\n").unwrap();
    std::fs::write(s.top.join(".iamlintignore"), "p.json\n").unwrap();
    std::fs::write(s.top.join(".ignore"), "p.json\n").unwrap();
    std::fs::write(s.top.join(".gitignore"), "p.json\n").unwrap();
    for (cwd, arg) in [(&s.repo, "sub"), (&s.top, "repo/sub")] {
        let out = iamlint(cwd)
            .args(["check", "--format", "json", arg])
            .output()
            .unwrap();
        let text = both_streams(&out);
        assert!(
            text.contains("sub/p.json"),
            "{arg}: ignored from above: {text}"
        );
        assert!(
            !text.contains("q.json"),
            "{arg}: the root's ignore file: {text}"
        );
    }
}

#[test]
fn diff_base_reads_no_ignore_file_from_tmpdir() {
    // (4) The base tree is written under `$TMPDIR`: an ignore file there must not hide it.
    let (s, base) = git_setup();
    let tmpdir = s.top.join("tmpdir");
    std::fs::create_dir(&tmpdir).unwrap();
    for name in [".iamlintignore", ".ignore", ".gitignore"] {
        std::fs::write(tmpdir.join(name), "*.json\n*.tf\n").unwrap();
    }
    let out = iamlint(&s.repo)
        .env("TMPDIR", &tmpdir)
        .args(["diff", "--base", &base, "--format", "json"])
        .args(["--var-file", "env/prod.tfvars"])
        .output()
        .unwrap();
    let text = both_streams(&out);
    assert_eq!(out.status.code(), Some(0), "an unchanged tree: {text}");
    assert!(text.contains("\"changes\": []"), "{text}");
}

#[test]
fn a_hard_link_to_an_outside_file_is_not_read() {
    // (5) Local only (git cannot commit one): a second name for an outside file.
    let s = setup();
    std::fs::hard_link(s.top.join("secret.json"), s.repo.join("hard.json")).unwrap();
    std::fs::hard_link(
        s.top.join("secret.tfvars"),
        s.repo.join("tfvars/hard.tfvars"),
    )
    .unwrap();
    for format in FORMATS {
        for args in [
            &["."][..],
            &["hard.json"],
            &["tfvars", "--var-file", "tfvars/hard.tfvars"],
        ] {
            let out = iamlint(&s.repo)
                .args(["check", "--format", format])
                .args(args)
                .output()
                .unwrap();
            let text = both_streams(&out);
            assert_nothing_leaked(&text, &format!("{format} {args:?}"));
            assert_eq!(out.status.code(), Some(2), "{format} {args:?}: {text}");
            assert!(text.contains("hard links"), "{format} {args:?}: {text}");
        }
    }
}

/// A long `NotAction` (and `Action`) list costs lookups per name, not the list times the catalog:
/// 29,000 names and patterns (550 KB; the debug build took minutes in `allow-not-action` and
/// `redundant-action` each) finish in seconds with every rule on.
#[test]
fn a_long_not_action_list_is_linted_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let items: Vec<String> = (0..29_000)
        .map(|i| match i % 4 {
            0 => format!("\"s3:NoSuchAction{i}\""),
            1 => format!("\"s3:Get{i}*\""),
            2 => format!("\"*:Nope{i}\""),
            _ => format!("\"ec2:Describe*{i}\""),
        })
        .collect();
    std::fs::write(
        tmp.path().join("p.json"),
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "NotAction": [{}], "Resource": "*"}}]}}"#,
            items.join(", ")
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = iamlint(tmp.path())
        .args(["check", "--format", "json", "p.json"])
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "killed after {took:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("`NotAction` in an Allow grants every action except the ones listed ("),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert!(text.contains("is already covered by"));
}

/// `for_each` instances are bounded per run, not only per block: a 97 KB file of 480 resources
/// over 256 keys each built 123,000 documents (300 MB, 80 s in a debug build; six such folders
/// took 1.1 GB). Past 4,096 instances a block is linted once with `each` unknown, and says so.
#[test]
fn for_each_instances_are_bounded_per_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let keys: Vec<String> = (0..256).map(|i| format!("\"k{i}\"")).collect();
    let mut text = format!("locals {{\n  keys = toset([{}])\n}}\n", keys.join(", "));
    let mut i = 0;
    while text.len() < 97_000 {
        text.push_str(&format!(
            "resource \"aws_iam_policy\" \"p{i}\" {{\n  for_each = local.keys\n  policy = jsonencode({{ Version = \"2012-10-17\", Statement = [{{ Sid = \"S{i}\", Effect = \"Allow\", Action = [\"s3:*\", \"iam:PassRole\"], Resource = \"*\" }}] }})\n}}\n"
        ));
        i += 1;
    }
    std::fs::write(dir.join("main.tf"), text).unwrap();
    let (code, out, mib) = measured(&dir, &["check", "--format", "json", "main.tf"]);
    assert_eq!(code, Some(1), "{}", &out[..out.len().min(2000)]);
    assert!(
        out.contains("the run already lints 4096 instances"),
        "{}",
        &out[..out.len().min(2000)]
    );
    assert!(mib < 150, "peak memory {mib} MiB");
}
