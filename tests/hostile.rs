//! A hostile pull request (issue #17): `tests/data/hostile/` copied into a temporary repository
//! with secret marker files beside it, outside its root. No byte of an outside file may reach
//! any output format, special files must not hang the run, control characters in names must
//! not reach a terminal or open a GitHub workflow command, and `--fix` must not write outside.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

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
            text.contains("a link to a file outside its repository"),
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
