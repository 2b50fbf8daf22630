//! Property tests: valid policies lint without errors and the same way however they are formatted;
//! mutated and garbage inputs never panic, and every rejection is located (a span inside the text,
//! or an error about the whole file).
//!
//! Case counts are kept small so `cargo test` stays fast; `PROPTEST_CASES=5000 cargo test --test
//! props` runs a longer session.

use std::path::Path;

use iamlint::lint::{bytes_to_text, lint_text, FileReport, LintOptions};
use iamlint::rules::RuleId;
use iamlint::FileId;
use proptest::prelude::*;
use serde_json::{json, Value};

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: rng_seed(),
        ..ProptestConfig::default()
    }
}

/// The cases explored: a fixed sequence unless `PROPTEST_RNG_SEED` names another seed (a number)
/// or asks for a new one each run (`random`), so that a plain `cargo test` is red only when a
/// change broke something.
fn rng_seed() -> proptest::test_runner::RngSeed {
    use proptest::test_runner::RngSeed;
    match std::env::var("PROPTEST_RNG_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => n.parse().map_or(RngSeed::Fixed(20261130), RngSeed::Fixed),
        None => RngSeed::Fixed(20261130),
    }
}

fn lint(name: &str, text: &str) -> FileReport {
    lint_text(Path::new(name), text.to_string(), &LintOptions::default())
}

/// Every error is located inside the text (or is about the whole file), and so is every finding.
fn assert_located(report: &FileReport) {
    for e in &report.errors {
        assert!(!e.message.is_empty(), "empty error message");
        if let Some(span) = e.span {
            assert_eq!(span.file, e.file, "error span in another file: {e:?}");
            let text = &report.sources.get(span.file).text;
            assert!(
                span.start <= span.end && span.end as usize <= text.len(),
                "error span {span:?} outside the text ({} bytes): {e:?}",
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start as usize)
                    && text.is_char_boundary(span.end as usize),
                "error span {span:?} splits a character: {e:?}"
            );
        }
    }
    for f in &report.findings {
        let text = &report.sources.get(f.span.file).text;
        assert!(
            f.span.start <= f.span.end && f.span.end as usize <= text.len(),
            "finding span {:?} outside the text ({} bytes): {} {}",
            f.span,
            text.len(),
            f.rule,
            f.message
        );
        assert!(
            text.is_char_boundary(f.span.start as usize)
                && text.is_char_boundary(f.span.end as usize),
            "finding span {:?} splits a character: {} {}",
            f.span,
            f.rule,
            f.message
        );
    }
}

// ------------------------------------------------------------------ valid policies

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:Get*",
    "s3:*",
    "ec2:DescribeInstances",
    "ec2:RunInstances",
    "iam:PassRole",
    "iam:*",
    "ecr:GetAuthorizationToken",
    "kms:Decrypt",
    "sts:AssumeRole",
    "dynamodb:Query",
    "logs:PutLogEvents",
    "s3:GetObjects",
    "lamda:InvokeFunction",
    "s3:Frobnicate*",
    "*",
];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/*",
    "arn:aws:ec2:us-east-1:123456789012:instance/*",
    "arn:aws:iam::123456789012:role/app",
    "arn:aws:kms:us-east-1:123456789012:key/abc",
    "arn:${AWS::Partition}:s3:::x",
];

fn one_or_many(vocab: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vocab).prop_map(|s| json!(s)),
        prop::collection::vec(prop::sample::select(vocab), 1..5).prop_map(|v| json!(v)),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::option::of("[A-Za-z0-9]{1,12}"),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.9),
        one_or_many(ACTIONS),
        prop::bool::weighted(0.9),
        one_or_many(RESOURCES),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(sid, allow, action, actions, resource, resources, cond)| {
            let mut st = serde_json::Map::new();
            if let Some(sid) = sid {
                st.insert("Sid".into(), json!(sid));
            }
            st.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
            st.insert(if action { "Action" } else { "NotAction" }.into(), actions);
            st.insert(
                if resource { "Resource" } else { "NotResource" }.into(),
                resources,
            );
            if cond {
                st.insert(
                    "Condition".into(),
                    json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
                );
            }
            Value::Object(st)
        })
}

fn policy() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.9),
        prop::collection::vec(statement(), 1..6),
        prop::bool::ANY,
    )
        .prop_map(|(version, statements, as_list)| {
            let mut doc = serde_json::Map::new();
            if version {
                doc.insert("Version".into(), json!("2012-10-17"));
            }
            let st = if as_list || statements.len() > 1 {
                Value::Array(statements)
            } else {
                statements.into_iter().next().unwrap_or(Value::Null)
            };
            doc.insert("Statement".into(), st);
            Value::Object(doc)
        })
}

fn finding_keys(report: &FileReport) -> Vec<(RuleId, String)> {
    let mut keys: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.message.to_string()))
        .collect();
    keys.sort();
    keys
}

proptest! {
    #![proptest_config(config(64))]

    /// A well-formed policy never yields a parse error, findings point into the text, and the
    /// verdict does not depend on the formatting.
    #[test]
    fn valid_policies_lint_cleanly(doc in policy()) {
        let compact = serde_json::to_string(&doc).expect("serialises");
        let pretty = serde_json::to_string_pretty(&doc).expect("serialises");
        let a = lint("policy.json", &compact);
        let b = lint("policy.json", &pretty);
        prop_assert!(a.errors.is_empty(), "errors on a valid policy: {:?}\n{}", a.errors, pretty);
        prop_assert!(a.recognised);
        assert_located(&a);
        assert_located(&b);
        prop_assert_eq!(finding_keys(&a), finding_keys(&b));
    }

    /// `"Action": "*"` allowed on `"Resource": "*"` is always reported.
    #[test]
    fn allow_star_on_star_is_reported(doc in policy()) {
        let mut doc = doc;
        let star = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
        match doc.get_mut("Statement") {
            Some(Value::Array(items)) => items.push(star),
            Some(other) => *other = json!([other.clone(), star]),
            None => unreachable!("the strategy always writes Statement"),
        }
        let text = serde_json::to_string_pretty(&doc).expect("serialises");
        let report = lint("policy.json", &text);
        prop_assert!(report.errors.is_empty());
        prop_assert!(
            report.findings.iter().any(|f| f.rule == RuleId::WildcardAction),
            "no wildcard-action finding for Allow * on *:\n{}", text
        );
    }
}

// ------------------------------------------------------------------ mutated input

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at (fraction of length) with a byte.
    Flip(f64, u8),
    Truncate(f64),
    Insert(f64, String),
    Delete(f64, usize),
    Duplicate(f64, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (
            at.clone(),
            prop::sample::select(b"{}[]\",:\\ \n0-eE.tfn".to_vec())
        )
            .prop_map(|(a, b)| Mutation::Flip(a, b)),
        at.clone().prop_map(Mutation::Truncate),
        (at.clone(), any::<String>()).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (
            at.clone(),
            prop::sample::select(vec![
                "\\u", "\\ud800", "\"", "{", "[", "\u{feff}", "é", "😀", "\u{0}", "\r\n", "null",
                "1e999", "-", "\\", "\t",
            ])
        )
            .prop_map(|(a, s)| Mutation::Insert(a, s.to_string())),
        (at.clone(), 1..16usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at, 1..64usize).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let pos = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    match m {
        Mutation::Flip(f, b) => {
            if !bytes.is_empty() {
                let i = pos(*f, bytes.len() - 1);
                bytes[i] = *b;
            }
        }
        Mutation::Truncate(f) => bytes.truncate(pos(*f, bytes.len())),
        Mutation::Insert(f, s) => {
            let i = pos(*f, bytes.len());
            bytes.splice(i..i, s.bytes());
        }
        Mutation::Delete(f, n) => {
            let i = pos(*f, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Duplicate(f, n) => {
            let i = pos(*f, bytes.len());
            let end = (i + n).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(i..i, copy);
        }
    }
}

/// Lints bytes as the CLI does: undecodable input is an error about the whole file.
fn lint_bytes(name: &str, bytes: Vec<u8>) -> Option<FileReport> {
    match bytes_to_text(bytes.clone()) {
        Ok(text) => {
            assert!(std::str::from_utf8(&bytes).is_ok());
            let report = lint(name, &text);
            assert_located(&report);
            Some(report)
        }
        Err(message) => {
            assert!(std::str::from_utf8(&bytes).is_err(), "{message}");
            assert!(message.contains("UTF-8"), "{message}");
            None
        }
    }
}

/// Nesting depth of a JSON text (brackets outside strings), to tell our depth limit apart from a
/// real disagreement with serde_json.
fn depth(text: &str) -> usize {
    let (mut d, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                d += 1;
                max = max.max(d);
            }
            b']' | b'}' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A `\uD800`-`\uDFFF` escape anywhere in the text.
fn has_surrogate_escape(text: &str) -> bool {
    text.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2].eq_ignore_ascii_case(&b'd')
            && matches!(w[3].to_ascii_lowercase(), b'8'..=b'9' | b'a'..=b'f')
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Mutated policies: no panic, every error located, and a JSON syntax verdict that agrees with
    /// serde_json (ours is strict JSON too).
    #[test]
    fn mutated_json_is_rejected_with_a_location(
        doc in policy(),
        pretty in any::<bool>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let text = if pretty {
            serde_json::to_string_pretty(&doc)
        } else {
            serde_json::to_string(&doc)
        }
        .expect("serialises");
        let mut bytes = text.into_bytes();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Some(report) = lint_bytes("policy.json", bytes.clone()) {
            let text = &report.sources.main().text;
            let ours_invalid = report.errors.iter().any(|e| e.message.starts_with("invalid JSON"));
            let theirs_invalid = serde_json::from_str::<serde::de::IgnoredAny>(text).is_err();
            // Lone surrogates (`\ud800`) are valid JSON syntax that no Rust string can hold;
            // parsers are free to differ on them, so they are left out of the comparison.
            if depth(text) < 100 && !has_surrogate_escape(text) {
                prop_assert_eq!(
                    ours_invalid, theirs_invalid,
                    "syntax verdicts differ on {:?}: ours {:?}", text, report.errors
                );
            }
            if ours_invalid {
                prop_assert!(report.errors.iter().all(|e| e.span.is_some()), "{:?}", report.errors);
            }
        }
    }

    /// Any text at all, under any of the names iamlint reads: no panic, errors located.
    #[test]
    fn arbitrary_text_never_panics(
        text in any::<String>(),
        name in prop::sample::select(vec!["a.json", "a.tf", "a.yaml", "a.yml", "a.template", "noext"]),
    ) {
        let report = lint(name, &text);
        assert_located(&report);
    }

    /// Arbitrary bytes: decoded or rejected as a whole file.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = lint_bytes("blob.json", bytes);
    }

    /// Nesting: fine up to the limit, a located error past it, never a stack overflow.
    #[test]
    fn deep_nesting_is_bounded(
        opens in prop::collection::vec(prop::bool::ANY, 0..400),
        close in any::<bool>(),
    ) {
        let mut text = String::new();
        for &obj in &opens {
            text.push_str(if obj { "{\"a\":" } else { "[" });
        }
        text.push('1');
        if close {
            for &obj in opens.iter().rev() {
                text.push(if obj { '}' } else { ']' });
            }
        }
        let report = lint("deep.json", &text);
        assert_located(&report);
        let too_deep = opens.len() > iamlint::json::MAX_DEPTH;
        if too_deep {
            prop_assert!(report.errors.iter().any(|e| e.message.contains("nesting deeper")));
        } else if close {
            prop_assert!(!report.errors.iter().any(|e| e.message.starts_with("invalid JSON")));
        } else if !opens.is_empty() {
            prop_assert!(report.errors.iter().any(|e| e.message.contains("unclosed")));
        }
    }
}

// ------------------------------------------------------------------ Terraform and YAML

/// Pieces of HCL as Terraform users write IAM; shuffled and cut, they make near-miss files.
const HCL_PIECES: &[&str] = &[
    "resource \"aws_iam_policy\" \"p\" {\n",
    "data \"aws_iam_policy_document\" \"d\" {\n",
    "statement {\n",
    "  actions   = [\"s3:GetObject\", \"s3:*\"]\n",
    "  resources = [\"*\"]\n",
    "  effect = \"Allow\"\n",
    "policy = jsonencode({\n",
    "Version = \"2012-10-17\"\n",
    "Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }]\n",
    "})\n",
    "policy = <<EOF\n{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}\nEOF\n",
    "policy = <<-EOT\n  {\"Version\": \"2012-10-17\"\n  EOT\n",
    "policy = data.aws_iam_policy_document.d.json\n",
    "policy = file(\"${path.module}/policy.json\")\n",
    "policy = templatefile(\"p.tpl\", { bucket = var.b })\n",
    "dynamic \"statement\" {\n for_each = var.s\n content {\n actions = statement.value\n }\n}\n",
    "count = var.enabled ? 1 : 0\n",
    "for_each = toset([\"a\", \"b\"])\n",
    "name = \"${var.prefix}-${each.key}\"\n",
    "locals {\n a = [for s in var.l : upper(s) if s != \"\"]\n}\n",
    "variable \"v\" {\n default = { a = 1 }\n}\n",
    "module \"m\" {\n source = \"./m\"\n}\n",
    "# comment\n",
    "/* block */\n",
    "// line\n",
    "}\n",
    "{\n",
    "]\n",
    "\"unterminated\n",
    "${\n",
    "%{ if true }x%{ endif }\n",
    "<<EOF\n",
    "\u{feff}",
    "é = 1\n",
];

/// Pieces of CloudFormation YAML, with the tags and YAML features that trip parsers.
const YAML_PIECES: &[&str] = &[
    "AWSTemplateFormatVersion: '2010-09-09'\n",
    "Resources:\n",
    "  Role:\n",
    "    Type: AWS::IAM::Role\n",
    "    Type: AWS::IAM::Policy\n",
    "    Properties:\n",
    "      PolicyDocument:\n",
    "        Version: '2012-10-17'\n",
    "        Statement:\n",
    "          - Effect: Allow\n",
    "            Action: '*'\n",
    "            Action: [s3:GetObject, s3:*]\n",
    "            Resource: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'\n",
    "            Resource: !GetAtt Bucket.Arn\n",
    "            Resource: !Join ['', [!Ref Bucket, '/*']]\n",
    "            Resource:\n              Fn::If: [Cond, '*', !Ref AWS::NoValue]\n",
    "      Policies: &anchor\n",
    "      Other: *anchor\n",
    "      Bad: *undefined\n",
    "  - item\n",
    "\t- tab\n",
    "key: \"unterminated\n",
    "key: |\n  block\n  text\n",
    "key: >-\n  folded\n",
    "--- \n",
    "...\n",
    "%YAML 1.2\n",
    "? complex\n: key\n",
    "{flow: [a, b}\n",
    "!!binary aGVsbG8=\n",
    "<<: *anchor\n",
    "\u{feff}",
    "é: ü\n",
];

fn pieces_text(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (prop::sample::select(pieces), 0..6usize, any::<bool>()),
        0..40,
    )
    .prop_map(|parts| {
        let mut s = String::new();
        for (piece, indent, cut) in parts {
            s.push_str(&" ".repeat(indent));
            if cut {
                let end = piece
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(piece.chars().count() / 2)
                    .unwrap_or(0);
                s.push_str(&piece[..end]);
            } else {
                s.push_str(piece);
            }
        }
        s
    })
}

proptest! {
    #![proptest_config(config(128))]

    /// Near-miss Terraform: exercises whichever Terraform frontend is present.
    #[test]
    fn terraform_pieces_never_panic(text in pieces_text(HCL_PIECES)) {
        let report = lint("main.tf", &text);
        assert_located(&report);
        if let Some(e) = report.errors.iter().find(|e| e.span.is_some()) {
            prop_assert_eq!(e.file, FileId(0), "error in another file: {:?}", e);
        }
    }

    /// Near-miss CloudFormation YAML: exercises whichever YAML frontend is present.
    #[test]
    fn yaml_pieces_never_panic(text in pieces_text(YAML_PIECES)) {
        let report = lint("template.yaml", &text);
        assert_located(&report);
    }

    /// Terraform-plan-like JSON with policies as strings.
    #[test]
    fn tfplan_like_json_never_panics(doc in policy(), mutations in prop::collection::vec(mutation(), 0..3)) {
        let plan = json!({
            "format_version": "1.2",
            "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": [{
                "address": "aws_iam_policy.p",
                "type": "aws_iam_policy",
                "name": "p",
                "values": {"name": "p", "policy": serde_json::to_string(&doc).expect("serialises")}
            }]}}
        });
        let mut bytes = serde_json::to_vec_pretty(&plan).expect("serialises");
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = lint_bytes("plan.json", bytes);
    }
}
