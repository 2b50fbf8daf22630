//! `iamlint server` driven through the Language Server Protocol as an editor drives it: framed
//! JSON-RPC on stdin and stdout (`Content-Length` headers), a session per test.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Session {
    /// Starts the server in `dir` and initializes it, offering `encodings` (`positionEncodings`).
    fn start(dir: &Path, encodings: &[&str]) -> (Session, Value) {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("iamlint"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("iamlint server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut session = Session {
            child,
            stdin,
            messages,
            next_id: 0,
        };
        let capabilities = if encodings.is_empty() {
            json!({})
        } else {
            json!({ "general": { "positionEncodings": encodings } })
        };
        let init = session.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": capabilities }),
        );
        session.notify("initialized", json!({}));
        (session, init)
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("server reads");
        stdin.flush().expect("server reads");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (notifications in between are dropped, except
    /// diagnostics, which tests wait for with [`Session::diagnostics`] before requesting).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(|m| m["id"] == json!(id))
    }

    fn wait_for(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("the server answers in time");
            if want(&message) {
                return message;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri, "languageId": language, "version": 1, "text": text } }),
        );
        self.diagnostics(uri)
    }

    /// `shutdown`, `exit`, and the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        wait_exit(&mut self.child)
    }
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            return status;
        }
        assert!(Instant::now() < deadline, "the server exits");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri_of(path: &Path) -> String {
    let path = std::fs::canonicalize(path).expect("the file exists");
    format!("file://{}", path.display())
}

/// A repository (a `.git` folder marks its root) holding `files`.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir(dir.path().join(".git")).expect("writable");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("writable");
        std::fs::write(path, text).expect("writable");
    }
    dir
}

fn by_code<'a>(diagnostics: &'a [Value], code: &str) -> Vec<&'a Value> {
    diagnostics.iter().filter(|d| d["code"] == code).collect()
}

/// The LSP range `{line, character}` pairs of a diagnostic.
fn range(d: &Value) -> [(u64, u64); 2] {
    let at = |p: &Value| {
        (
            p["line"].as_u64().unwrap_or(u64::MAX),
            p["character"].as_u64().unwrap_or(u64::MAX),
        )
    };
    [at(&d["range"]["start"]), at(&d["range"]["end"])]
}

/// Line and UTF-16 column of the first `needle` in `text` (`utf8`: byte column).
fn position_of(text: &str, needle: &str, utf8: bool) -> (u64, u64) {
    let at = text.find(needle).expect("needle in text");
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() as u64;
    let prefix = &text[line_start..at];
    let column = if utf8 {
        prefix.len()
    } else {
        prefix.encode_utf16().count()
    };
    (line, column as u64)
}

const STAR_POLICY: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Ré😀\", \"Effect\": \"Allow\",\n  \"Resource\": \"arn:aws:s3:::bücket-😀/*\", \"Action\": \"*\"}]}\n";

const FIXED_POLICY: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Read\", \"Effect\": \"Allow\",\n  \"Resource\": \"arn:aws:s3:::my-bucket/*\", \"Action\": \"s3:GetObject\"}]}\n";

const STAR_TF: &str = r#"resource "aws_iam_policy" "ci" {
  name = "ci"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "arn:aws:s3:::my-bucket/*"
    }]
  })
}
"#;

#[test]
fn a_session_lints_fixes_hovers_completes_and_exits_cleanly() {
    let repo = repository(&[("p.json", STAR_POLICY), ("main.tf", STAR_TF)]);
    let (mut s, init) = Session::start(repo.path(), &[]);
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16", "{init}");
    assert_eq!(caps["hoverProvider"], true, "{init}");

    // JSON: `*` after non-ASCII text on the same line, in UTF-16 code units.
    let p = uri_of(&repo.path().join("p.json"));
    let diagnostics = s.open(&p, "json", STAR_POLICY);
    let wildcard = by_code(&diagnostics, "wildcard-action");
    assert_eq!(wildcard.len(), 1, "{diagnostics:?}");
    let (line, col) = position_of(STAR_POLICY, "\"*\"", false);
    assert_eq!(range(wildcard[0]), [(line, col), (line, col + 3)]);
    assert_eq!(wildcard[0]["severity"], 1, "error");
    assert_eq!(wildcard[0]["source"], "iamlint");

    // Terraform.
    let tf = uri_of(&repo.path().join("main.tf"));
    let diagnostics = s.open(&tf, "terraform", STAR_TF);
    let wildcard = by_code(&diagnostics, "wildcard-action");
    assert_eq!(wildcard.len(), 1, "{diagnostics:?}");
    let (line, col) = position_of(STAR_TF, "\"*\"", false);
    assert_eq!(range(wildcard[0]), [(line, col), (line, col + 3)]);

    // The buffer's text, not the file's: a full change fixes it, the disk still has `*`.
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": p, "version": 2 },
                "contentChanges": [{ "text": FIXED_POLICY }] }),
    );
    let diagnostics = s.diagnostics(&p);
    assert_eq!(diagnostics, Vec::<Value>::new());
    // An incremental change back to `*` (UTF-16 range of `"s3:GetObject"`).
    let (line, col) = position_of(FIXED_POLICY, "\"s3:GetObject\"", false);
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": p, "version": 3 },
                "contentChanges": [{ "range": {
                    "start": { "line": line, "character": col },
                    "end": { "line": line, "character": col + 14 } },
                "text": "\"*\"" }] }),
    );
    let diagnostics = s.diagnostics(&p);
    assert_eq!(
        by_code(&diagnostics, "wildcard-action").len(),
        1,
        "{diagnostics:?}"
    );

    let exit = s.stop();
    assert_eq!(exit.code(), Some(0));
}

const DUPLICATE: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\",\n  \"Action\": [\"s3:GetObject\", \"s3:Get*\", \"s3:GetObject\"],\n  \"Resource\": \"arn:aws:s3:::my-bucket/*\"}]}\n";

/// Applies LSP text edits (UTF-16 positions) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap_or(0) as usize;
        let character = p["character"].as_u64().unwrap_or(0) as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= character {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

#[test]
fn fixes_are_code_actions_and_catalog_names_have_hovers_and_completions() {
    let repo = repository(&[("r.json", DUPLICATE)]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    let r = uri_of(&repo.path().join("r.json"));
    let diagnostics = s.open(&r, "json", DUPLICATE);
    let redundant = by_code(&diagnostics, "redundant-action");
    assert!(!redundant.is_empty(), "{diagnostics:?}");
    let diagnostic = redundant[0].clone();

    let response = s.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": r }, "range": diagnostic["range"],
                "context": { "diagnostics": [diagnostic] } }),
    );
    let actions = response["result"].as_array().cloned().unwrap_or_default();
    let quick = actions
        .iter()
        .find(|a| a["edit"].is_object())
        .unwrap_or_else(|| panic!("a code action with an edit: {response}"));
    assert_eq!(quick["kind"], "quickfix");
    assert_eq!(quick["isPreferred"], true, "a safe fix: {quick}");
    let edits = quick["edit"]["changes"][r.as_str()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fixed = apply(DUPLICATE, &edits);
    let parsed: Value = serde_json::from_str(&fixed).expect("the fixed policy is JSON");
    let actions = &parsed["Statement"][0]["Action"];
    assert_eq!(actions.as_array().map(Vec::len), Some(2), "{fixed}");

    // Hover: an action, then a wildcard.
    let hover = |s: &mut Session, needle: &str| {
        let (line, col) = position_of(DUPLICATE, needle, false);
        let response = s.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": r },
                    "position": { "line": line, "character": col + 3 } }),
        );
        response["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let action = hover(&mut s, "s3:GetObject");
    assert!(action.contains("Access level: Read"), "{action}");
    assert!(
        action.contains("- `object`: `arn:${Partition}:s3:::${BucketName}/${ObjectName}`"),
        "{action}"
    );
    let pattern = hover(&mut s, "s3:Get*");
    assert!(pattern.contains("`s3:Get*`** matches"), "{pattern}");
    assert!(pattern.contains("`s3:GetObject`"), "{pattern}");
    assert!(!pattern.contains("s3:PutObject"), "{pattern}");
    assert!(
        !pattern.contains("redundant-action"),
        "no diagnostic there: {pattern}"
    );
    // On the diagnostic: the rule's explanation.
    let response = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": r }, "position": diagnostic["range"]["start"] }),
    );
    let explained = response["result"]["contents"]["value"].to_string();
    assert!(
        explained.contains("iamlint `redundant-action`"),
        "{explained}"
    );
    assert!(explained.contains("What it does"), "{explained}");

    // Completion after `"s3:Get` in the action list.
    let typed = DUPLICATE.replace("\"s3:Get*\"", "\"s3:Get");
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": r, "version": 2 },
                "contentChanges": [{ "text": typed }] }),
    );
    let (line, col) = position_of(&typed, "\"s3:Get,", false);
    let response = s.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": r },
                "position": { "line": line, "character": col + 7 } }),
    );
    let items = response["result"].as_array().cloned().unwrap_or_default();
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"s3:GetObject"), "{labels:?}");
    assert!(labels.iter().all(|l| l.starts_with("s3:Get")), "{labels:?}");
    let edit = &items[0]["textEdit"]["range"];
    assert_eq!(
        edit["start"]["character"],
        col + 1,
        "replaces the typed `s3:Get`"
    );

    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn positions_are_utf8_bytes_when_the_client_offers_utf8() {
    let repo = repository(&[("p.json", STAR_POLICY)]);
    let (mut s, init) = Session::start(repo.path(), &["utf-32", "utf-8", "utf-16"]);
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");
    let p = uri_of(&repo.path().join("p.json"));
    let diagnostics = s.open(&p, "json", STAR_POLICY);
    let wildcard = by_code(&diagnostics, "wildcard-action");
    let (line, col) = position_of(STAR_POLICY, "\"*\"", true);
    assert_eq!(wildcard.len(), 1, "{diagnostics:?}");
    assert_eq!(range(wildcard[0]), [(line, col), (line, col + 3)]);
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn bad_input_is_a_diagnostic_and_a_module_is_seen_with_its_caller() {
    let module = "variable \"actions\" {}\nresource \"aws_iam_policy\" \"this\" {\n  name = \"p\"\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Action = var.actions, Resource = \"arn:aws:s3:::b/*\" }]\n  })\n}\n";
    let caller = "module \"ci\" {\n  source  = \"./modules/m\"\n  actions = [\"*\"]\n}\n";
    let repo = repository(&[
        ("modules/m/main.tf", module),
        ("main.tf", caller),
        ("broken.json", "{}"),
    ]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    // Broken JSON that looks like a policy: a located error, and the server goes on.
    let broken = uri_of(&repo.path().join("broken.json"));
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\",";
    let diagnostics = s.open(&broken, "json", text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["severity"], 1);
    // Requests on a document the server does not know, or with bad parameters, are answered.
    let response = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere.json" },
                "position": { "line": 99, "character": 99 } }),
    );
    assert_eq!(response["result"], Value::Null, "{response}");
    let response = s.request("textDocument/hover", json!({ "bogus": 1 }));
    assert!(response["error"].is_object(), "{response}");

    // The module's file: the caller's `*` reaches its policy.
    let m = uri_of(&repo.path().join("modules/m/main.tf"));
    let diagnostics = s.open(&m, "terraform", module);
    let wildcard = by_code(&diagnostics, "wildcard-action");
    assert_eq!(wildcard.len(), 1, "{diagnostics:?}");
    let related = wildcard[0]["relatedInformation"].to_string();
    assert!(related.contains("main.tf"), "{related}");

    // The caller, open too, fixed in the editor: the module's diagnostics follow.
    let c = uri_of(&repo.path().join("main.tf"));
    let diagnostics = s.open(&c, "terraform", caller);
    assert_eq!(
        by_code(&diagnostics, "wildcard-action").len(),
        1,
        "{diagnostics:?}"
    );
    s.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": c, "version": 2 },
                "contentChanges": [{ "text": caller.replace("\"*\"", "\"s3:GetObject\"") }] }),
    );
    let diagnostics = s.diagnostics(&m);
    assert_eq!(
        by_code(&diagnostics, "wildcard-action").len(),
        0,
        "{diagnostics:?}"
    );
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let repo = repository(&[]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    s.notify("exit", Value::Null);
    drop(s.stdin.take());
    assert_eq!(wait_exit(&mut s.child).code(), Some(1));
}

const ECR_ON_STAR: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\",\n  \"Action\": \"ecr:BatchGetImage\", \"Resource\": \"*\"}]}\n";

#[test]
fn display_only_fixes_are_previews_and_closing_clears_diagnostics() {
    let repo = repository(&[
        ("ecr.json", ECR_ON_STAR),
        ("package.json", "{\"name\": \"x\"}"),
    ]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    let ecr = uri_of(&repo.path().join("ecr.json"));
    let diagnostics = s.open(&ecr, "json", ECR_ON_STAR);
    let star = by_code(&diagnostics, "resource-star");
    assert_eq!(star.len(), 1, "{diagnostics:?}");
    let diagnostic = star[0].clone();
    let response = s.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": ecr }, "range": diagnostic["range"],
                "context": { "diagnostics": [diagnostic] } }),
    );
    let actions = response["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(actions.len(), 1, "{response}");
    let preview = &actions[0];
    assert!(preview["edit"].is_null(), "never applied: {preview}");
    assert!(preview["disabled"]["reason"].is_string(), "{preview}");
    assert!(
        preview["data"]["preview"]
            .as_str()
            .is_some_and(|s| s.contains("<account-id>")),
        "{preview}"
    );
    // The replacement is in the diagnostic's hover.
    let response = s.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": ecr }, "position": diagnostic["range"]["start"] }),
    );
    let hover = response["result"]["contents"]["value"].to_string();
    assert!(hover.contains("repository/<repository-name>"), "{hover}");

    // A JSON file that is not a policy: nothing to say.
    let package = uri_of(&repo.path().join("package.json"));
    assert_eq!(
        s.open(&package, "json", "{\"name\": \"x\"}"),
        Vec::<Value>::new()
    );

    s.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": ecr } }),
    );
    assert_eq!(s.diagnostics(&ecr), Vec::<Value>::new());
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn the_nearest_config_applies_and_a_broken_one_is_a_diagnostic() {
    let repo = repository(&[
        ("quiet/iamlint.toml", "ignore = [\"wildcard-action\"]\n"),
        ("quiet/p.json", STAR_POLICY),
        ("broken/iamlint.toml", "select = [\n"),
        ("broken/p.json", STAR_POLICY),
    ]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    let quiet = uri_of(&repo.path().join("quiet/p.json"));
    let diagnostics = s.open(&quiet, "json", STAR_POLICY);
    assert!(!diagnostics.is_empty(), "other rules still run");
    assert_eq!(
        by_code(&diagnostics, "wildcard-action").len(),
        0,
        "{diagnostics:?}"
    );
    let broken = uri_of(&repo.path().join("broken/p.json"));
    let diagnostics = s.open(&broken, "json", STAR_POLICY);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let message = diagnostics[0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("config error"), "{message}");
    assert!(message.contains("iamlint.toml"), "{message}");
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn requests_are_answered_while_a_large_file_is_linted() {
    let text: String = (0..2000)
        .map(|i| {
            format!(
                "resource \"aws_iam_policy\" \"p{i}\" {{\n  policy = jsonencode({{\n    \
                 Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", \
                 Action = \"s3:GetObject\", Resource = \"arn:aws:s3:::b{i}/*\" }}]\n  }})\n}}\n"
            )
        })
        .collect();
    let repo = repository(&[("main.tf", &text)]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    let uri = uri_of(&repo.path().join("main.tf"));
    s.notify(
        "textDocument/didOpen",
        json!({ "textDocument": {
            "uri": uri, "languageId": "terraform", "version": 1, "text": text } }),
    );
    let (line, col) = position_of(&text, "s3:GetObject", false);
    s.next_id += 1;
    let id = s.next_id;
    s.send(
        json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
        "params": { "textDocument": { "uri": uri },
                    "position": { "line": line, "character": col + 1 } } }),
    );
    // The hover's answer comes first, while the file is being linted.
    let first =
        s.wait_for(|m| m["id"] == json!(id) || m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(first["id"], json!(id), "{first}");
    let hover = first["result"]["contents"]["value"].to_string();
    assert!(hover.contains("Access level: Read"), "{hover}");
    assert_eq!(s.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn values_quoted_in_messages_reach_the_editor_escaped() {
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\",\n  \"Action\": \"s3:Get\u{202e}Object\", \"Resource\": \"*\"}]}\n";
    let repo = repository(&[("p.json", text)]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    let p = uri_of(&repo.path().join("p.json"));
    let diagnostics = s.open(&p, "json", text);
    let messages: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("\\u{202e}")),
        "the value is quoted, escaped: {messages:?}"
    );
    assert!(
        messages.iter().all(|m| !m.contains('\u{202e}')),
        "{messages:?}"
    );
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn a_buffer_without_a_file_is_linted_by_its_language() {
    let repo = repository(&[]);
    let (mut s, _) = Session::start(repo.path(), &[]);
    let uri = "untitled:Untitled-1";
    let diagnostics = s.open(uri, "json", STAR_POLICY);
    let wildcard = by_code(&diagnostics, "wildcard-action");
    assert_eq!(wildcard.len(), 1, "{diagnostics:?}");
    let (line, col) = position_of(STAR_POLICY, "\"*\"", false);
    assert_eq!(range(wildcard[0]), [(line, col), (line, col + 3)]);
    // Related locations in the buffer point at the buffer.
    let related = &wildcard[0]["relatedInformation"];
    assert!(
        related
            .as_array()
            .is_some_and(|r| r.iter().all(|l| l["location"]["uri"] == uri)),
        "{related}"
    );
    assert_eq!(s.stop().code(), Some(0));
}
