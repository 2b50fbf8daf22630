//! Differential tests: wherever the fast path accepts a text, its tree is hcl-edit's, compared as
//! a dump of every node, value and span (decor left out, see the module doc). Fixture, example
//! and benchmark-style files must take the fast path, so these tests cannot pass by giving up.

use std::path::{Path, PathBuf};

use hcl_edit::structure::Body;
use proptest::prelude::*;

use super::{parse_body, parse_body_fast};

/// `{:#?}` of the tree without what the fast path leaves empty: decor, raw trailing text,
/// directive preambles and numbers' raw text.
fn dump(body: &Body) -> String {
    let text = format!("{body:#?}");
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let dropped = ["decor: ", "trailing: ", "repr: ", "preamble: "]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if !dropped {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if trimmed.ends_with(['{', '(', '[']) {
            let indent = line.len() - trimmed.len();
            for inner in lines.by_ref() {
                let t = inner.trim_start();
                if inner.len() - t.len() == indent && t.starts_with(['}', ')', ']']) {
                    break;
                }
            }
        }
    }
    out
}

fn redefined_key(e: &hcl_edit::parser::Error) -> bool {
    e.message().contains("redefined object key")
}

/// Whether the fast path took `text`; panics where it disagrees with hcl-edit.
fn check(text: &str) -> bool {
    let fast = parse_body_fast(text);
    let slow = hcl_edit::parser::parse_body(text);
    match (fast, &slow) {
        (Some(fast), Ok(slow)) => {
            assert_eq!(dump(&fast), dump(slow), "trees differ for:\n{text}");
            true
        }
        // Terraform accepts a redefined object key (the last value wins); hcl-edit does not.
        (Some(_), Err(e)) if redefined_key(e) => true,
        (Some(fast), Err(e)) => {
            panic!("fast path accepted what hcl-edit rejects ({e}):\n{text}\n{fast:#?}")
        }
        (None, _) => {
            // The fallback is hcl-edit itself.
            match (parse_body(text), slow) {
                (Ok(a), Ok(b)) => assert_eq!(format!("{a:#?}"), format!("{b:#?}")),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                _ => panic!("fallback disagrees with hcl-edit for:\n{text}"),
            }
            false
        }
    }
}

fn hcl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hcl_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "tf" || e == "tfvars" || e == "hcl")
        {
            out.push(path);
        }
    }
}

#[test]
fn fixtures_and_examples_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["fixtures", "examples", "tests"] {
        hcl_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "too few .tf files found: {}", files.len());
    let mut fast = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let valid = match hcl_edit::parser::parse_body(&text) {
            Ok(_) => true,
            Err(e) => redefined_key(&e),
        };
        let took = check(&text);
        // Invalid files must fall back (for hcl-edit's message); valid ones must not.
        assert_eq!(took, valid, "{}: fast path taken: {took}", path.display());
        fast += usize::from(took);
    }
    assert!(fast > 50, "only {fast} files took the fast path");
}

/// The shapes `bench/gen_corpora.py` and `bench/gen_modules.py` write.
const GENERATED: &[&str] = &[
    r#"variable "name" {
  type = string
}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "this" {
  count  = length(var.bucket) > 0 ? 1 : 0
  name   = "${var.name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
"#,
    r#"resource "aws_iam_policy" "orders_rw" {
  name        = "${var.prefix}-orders_rw"
  description = "Access for the orders service"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "S0"
        Effect = "Allow"
        Action = [
          "s3:GetObject",
          "s3:PutObject",
        ]
        Resource = "${aws_s3_bucket.orders.arn}/*"
        Condition = {
          StringEquals = { "aws:RequestedRegion" = var.region }
        }
      },
    ]
  })
  tags = local.tags
}
"#,
    "resource \"aws_iam_role_policy\" \"inline\" {\n  name = \"inline\"\n  role = aws_iam_role.orders.id\n  policy = <<-EOF\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Resource\": \"arn:aws:s3:::${var.bucket_name}/*\"\n    }\n  ]\n}\n  EOF\n}\n",
    "x = <<EOF\nplain ${a.b[0]} text $${not} %%{not}\n  EOFX trailing words\nEOF\ny = <<-EOT\n    a\n      b ${c}\n    EOT\n",
    r#"data "aws_iam_policy_document" "this" {
  statement {
    sid       = "S0"
    effect    = "Allow"
    actions   = [
      "cloudwatch:PutMetricData",
    ]
    resources = [
      "*",
    ]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  dynamic "statement" {
    for_each = var.extra_buckets
    content {
      actions   = ["s3:GetObject", "s3:ListBucket"]
      resources = ["arn:aws:s3:::${statement.value}", "arn:aws:s3:::${statement.value}/*"]
    }
  }
}

resource "aws_iam_role_policy_attachment" "orders" {
  for_each   = toset([aws_iam_policy.a.arn, aws_iam_policy.b.arn])
  role       = aws_iam_role.orders.name
  policy_arn = each.value
}

resource "aws_iam_role_policy_attachment" "orders_managed" {
  count      = var.attach_managed ? 1 : 0
  role       = aws_iam_role.orders.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}
"#,
    r#"variable "extra_buckets" {
  type    = list(string)
  default = []
}

locals {
  tags = {
    Team        = "platform"
    Environment = var.env
  }
  names  = [for s in var.services : "${var.prefix}-${s}" if s != ""]
  by_key = { for k, v in var.map : k => v... if v != null }
  first  = var.list[0]
  splat  = aws_iam_role.all[*].arn
  attrs  = aws_iam_role.all.*.name
  legacy = var.list.0
  math   = -1 + 2 * (3 - var.n) / 4 % 5
  logic  = !var.a && var.b || var.c == "x" ? "yes" : "no"
  cmp    = var.n >= 1 && var.n <= 10 && var.n != 5 && var.n < 9 && var.n > 2
  nums   = [1, 2.5, 1e3, 1.5E-2, 18446744073709551616]
  args   = concat(var.a, var.b...)
  fn     = provider::aws::arn_parse("arn:aws:s3:::x")
  esc    = "tab\there \"q\" \\ \u00e9 \U0001F600 é"
  nil    = null
  yes    = true
  strip  = "a ${~ var.x ~} b"
  obj    = { "quoted" : 1, (var.k) = 2, a.b = 3, x = 4 }
  multi = merge(
    var.a,
    { b = 1 },
  )
}

module "orders_worker" {
  source = "../../modules/worker"
  name   = "orders-worker"
  bucket = module.orders.bucket
}

output "role_arn" { value = aws_iam_role.this.arn }
empty {}
"#,
];

#[test]
fn generated_constructs_take_the_fast_path() {
    for text in GENERATED {
        assert!(check(text), "fell back on:\n{text}");
    }
}

/// Quirks of hcl-edit the fast path copies, or gives up on; either way it must agree.
const EDGES: &[&str] = &[
    "a = [1]\n  + [2]\n",
    "a = 1\n  + 2\n",
    "a = f(1)\n  .x\n",
    "a = x\n  .y\n",
    "a = [a\n-1]\n",
    "a = {a = [1]\n}\n",
    "a = 1.x\n",
    "a = 1.5.x\n",
    "a = 1e\n",
    "a = 1e999\n",
    "a = - 1\n",
    "a = -x.y\n",
    "a = !!x\n",
    "a = a.0.1\n",
    "a = [1, 471. 3.03]\n",
    "a = a. 3.03\n",
    "a = a.03\n",
    "a = a.0 .1\n",
    "a = a. b\n",
    "a = a .b\n",
    "a = a[*].b\n",
    "a = a.*.b[0]\n",
    "a = f (1)\n",
    "a = f(1, 2,)\n",
    "a = f(1...)\n",
    "a = f(1, ...)\n",
    "a = f(,)\n",
    "a = f()\n",
    "a = [,]\n",
    "a = [1,]\n",
    "a = [1,,2]\n",
    "a = []\n",
    "a = {}\n",
    "a = { a = 1, a = 2 }\n",
    "a = { a = 1 # c\n b = 2 // d\n}\n",
    "a = { a = 1 /* c */ }\n",
    "a = { for = 1 }\n",
    "a = [for x in y: x]\n",
    "a = [for x in y : x if x]\n",
    "a = {for k, v in y : k => v}\n",
    "a = [format(\"%s\", x)]\n",
    "a = { format = 1 }\n",
    "a = a ? b : c ? d : e\n",
    "a = a ? b ? c : d : e\n",
    "a = a == b\n",
    "a = a = b\n",
    "a = a & b\n",
    "a = a / b\n",
    "a = a // b\n",
    "a = a /* b */ + c\n",
    "a = \"${a}${b}\"\n",
    "a = \"$${a}\"\n",
    "a = \"%{if a}b%{endif}\"\n",
    "a = \"\\q\"\n",
    "a = \"\\u12\"\n",
    "a = \"multi\nline\"\n",
    "a = <<EOF\nEOF\n",
    "a = <<EOF\n\nEOF\n",
    "a = <<EOF\n${x}\nEOF\n",
    "a = <<EOF\nx\n  EOFX\nEOF\n",
    "a = <<EOF\nx",
    "a = 1",
    "a = 1 # comment",
    "",
    "\n\n# only a comment\n",
    "a = 1\na = 2\n",
    "b { a = 1 }\n",
    "b {\n a = 1 }\n",
    "b \"l\" m \"n\" {\n}\n",
    "b \"${l}\" {\n}\n",
    "b { c {} }\n",
    "b { # c\n  a = 1\n}\n",
    "b {}\nb {}\n",
    "a = b\n/* c\n d */ e = 1\n",
    "a = 1 /* x\n y */\n",
    "é = 1\n",
    "a = é\n",
    "a = \"é\"\n",
    "a\u{a0}= 1\n",
    "a = x-y\n",
    "a = x -y\n",
    "a = (1\n + 2)\n",
    "a = (\n1)\n",
    "a = a[\n1\n]\n",
    "a = 99999999999999999999999\n",
    "a = a.99999999999999999999999\n",
    "a = f::g(1)\n",
    "a = f :: g(1)\n",
    "a = f::g\n",
    "a = \"a\" \"b\"\n",
    "a = true.x\n",
    "a = null\n",
    "a = a..b\n",
    "a = f(a.b ...)\n",
    "a = f(a.b\n...)\n",
    "a = [for k, v in x : v.a ... ]\n",
    "a = {for k, v in x : k => v.a ... }\n",
    "a = {for k, v in x : k => v.a[0] ...}\n",
    "a = a.\n",
    "a = a[\n",
    "a = ~\n",
    "a = 1 ?\n",
];

#[test]
fn edge_cases_agree() {
    let mut fast = 0;
    for text in EDGES {
        fast += usize::from(check(text));
    }
    assert!(
        fast > EDGES.len() / 2,
        "only {fast} edge cases took the fast path"
    );
}

#[test]
fn deep_nesting_falls_back() {
    let deep = format!("a = {}1{}\n", "[".repeat(70), "]".repeat(70));
    assert!(!check(&deep));
    let chain = format!("a = {}\n", vec!["x"; 200].join(" + "));
    assert!(!check(&chain));
    assert!(check(&format!("a = {}\n", vec!["x"; 20].join(" + "))));
}

/// `HCL_CORPUS=/path cargo test --release hcl::tests::corpus -- --ignored --nocapture`: every
/// file of a tree agrees, how many fell back, and the time of each parser over the tree.
#[test]
#[ignore = "needs HCL_CORPUS, a folder of .tf files"]
fn corpus() {
    let Ok(dir) = std::env::var("HCL_CORPUS") else {
        return;
    };
    let mut files = Vec::new();
    hcl_files(Path::new(&dir), &mut files);
    let texts: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let mut fell_back = Vec::new();
    for (path, text) in files.iter().zip(&texts) {
        if !check(text) {
            fell_back.push(path.display().to_string());
        }
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let time = |f: &dyn Fn(&str) -> bool| {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            for text in &texts {
                std::hint::black_box(f(text));
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    let ours = time(&|t| parse_body(t).is_ok());
    let theirs = time(&|t| hcl_edit::parser::parse_body(t).is_ok());
    println!(
        "{} files, {bytes} bytes, {} fell back {fell_back:?}\nparse_body: ours {:.1} ms, hcl-edit {:.1} ms ({:.1}x)",
        texts.len(),
        fell_back.len(),
        ours * 1e3,
        theirs * 1e3,
        theirs / ours
    );
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
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

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("var".to_string()),
        Just("for".to_string()),
        Just("if".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("x-y".to_string()),
        "[a-z_][a-z0-9_-]{0,5}",
    ]
}

/// Bits of whitespace and comments, newlines included, so that hcl-edit's rules on where an
/// expression may continue on the next line get exercised.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(String::new()),
        4 => Just(" ".to_string()),
        1 => Just("\n".to_string()),
        1 => Just(" /* c */ ".to_string()),
        1 => Just(" # c\n".to_string()),
        1 => Just("\t".to_string()),
    ]
}

fn string_lit() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"\"".to_string()),
        Just("\"a b\"".to_string()),
        Just("\"\\n\\\"\\u00e9\"".to_string()),
        Just("\"$${x} %%{y} $ %\"".to_string()),
        Just("\"é\"".to_string()),
        Just("\"%{if a}b%{endif}\"".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        ident(),
        string_lit(),
        "[0-9]{1,3}(\\.[0-9]{1,2})?([eE][+-]?[0-9])?",
        Just("-1".to_string()),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| {
        let two = (inner.clone(), gap(), inner.clone());
        prop_oneof![
            (
                inner.clone(),
                gap(),
                prop_oneof![
                    Just("+"),
                    Just("-"),
                    Just("*"),
                    Just("/"),
                    Just("%"),
                    Just("=="),
                    Just("!="),
                    Just("<"),
                    Just(">="),
                    Just("&&"),
                    Just("||")
                ],
                gap(),
                inner.clone()
            )
                .prop_map(|(a, g1, op, g2, b)| format!("{a}{g1}{op}{g2}{b}")),
            (inner.clone(), gap(), inner.clone(), gap(), inner.clone())
                .prop_map(|(a, g, b, h, c)| format!("{a}{g}? {b}{h}: {c}")),
            prop::collection::vec((gap(), inner.clone()), 0..4).prop_map(|items| {
                let items: Vec<String> =
                    items.into_iter().map(|(g, e)| format!("{g}{e}")).collect();
                format!("[{}]", items.join(", "))
            }),
            prop::collection::vec(
                (
                    ident(),
                    prop_oneof![Just("="), Just(":")],
                    inner.clone(),
                    prop_oneof![Just(",\n"), Just("\n"), Just(", "), Just(" # c\n")]
                ),
                0..4
            )
            .prop_map(|items| {
                let body: String = items
                    .into_iter()
                    .map(|(k, a, v, t)| format!("{k} {a} {v}{t}"))
                    .collect();
                format!("{{\n{body}}}")
            }),
            (
                ident(),
                prop::collection::vec(inner.clone(), 0..3),
                prop_oneof![Just(""), Just(","), Just("...")]
            )
                .prop_map(|(f, args, end)| format!(
                    "{f}({}{})",
                    args.join(", "),
                    if args.is_empty() { "" } else { end }
                )),
            (
                inner.clone(),
                prop_oneof![
                    Just(".a"),
                    Just("[0]"),
                    Just("[*]"),
                    Just(".*"),
                    Just(".0"),
                    Just("\n.b")
                ]
            )
                .prop_map(|(e, t)| format!("{e}{t}")),
            (gap(), inner.clone(), gap()).prop_map(|(g, e, h)| format!("({g}{e}{h})")),
            inner.clone().prop_map(|e| format!("!{e}")),
            inner.clone().prop_map(|e| format!("\"p-${{{e}}}-s\"")),
            inner
                .clone()
                .prop_map(|e| format!("<<EOF\nline ${{{e}}}\n  EOF\n")),
            inner
                .clone()
                .prop_map(|e| format!("<<-EOT\n    a\n  ${{{e}}}\n  EOT\n")),
            (ident(), inner.clone(), inner.clone())
                .prop_map(|(v, c, e)| format!("[for {v} in {c} : {e}]")),
            (ident(), inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(v, c, k, e)| format!("{{for k, {v} in {c} : {k} => {e}... if {e}}}")),
            two.prop_map(|(a, g, b)| format!("{a}{g}{b}")),
        ]
    })
}

fn body() -> impl Strategy<Value = String> {
    let attrs = || {
        let attr = (ident(), expr()).prop_map(|(k, v)| format!("{k} = {v}\n"));
        prop::collection::vec(attr, 0..4).prop_map(|v| v.concat())
    };
    let block = (
        ident(),
        prop::collection::vec(prop_oneof![ident(), Just("\"l\"".to_string())], 0..3),
        attrs(),
    )
        .prop_map(|(name, labels, inner)| format!("{name} {} {{\n{inner}}}\n", labels.join(" ")));
    prop::collection::vec(
        prop_oneof![
            attrs(),
            block,
            Just("# comment\n".to_string()),
            Just("\n".to_string())
        ],
        0..5,
    )
    .prop_map(|v| v.concat())
}

/// A text with one edit at a char boundary: a byte range removed, or a piece of syntax put in.
fn mutated() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just("("),
        Just(")"),
        Just("\""),
        Just("\n"),
        Just("="),
        Just("${"),
        Just("<<EOF\n"),
        Just("."),
        Just(","),
        Just("#"),
        Just("/*"),
        Just("é"),
        Just("\r\n"),
        Just("~"),
        Just("..."),
        Just("::"),
        Just("?"),
        Just(":"),
        Just("-"),
    ];
    (
        body(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        piece,
        any::<bool>(),
    )
        .prop_map(|(text, at, len, piece, insert)| {
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let start = bounds[at.index(bounds.len())];
            if insert {
                format!("{}{piece}{}", &text[..start], &text[start..])
            } else {
                let rest: Vec<usize> = bounds.iter().copied().filter(|&i| i >= start).collect();
                let end = rest[len.index(rest.len().min(4))];
                format!("{}{}", &text[..start], &text[end..])
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_bodies_agree(text in body()) {
        check(&text);
    }

    #[test]
    fn mutated_bodies_agree(text in mutated()) {
        check(&text);
    }
}

/// The property tests above would pass if the fast path gave up on everything: on a fixed
/// sample of generated bodies, it must take nearly every one hcl-edit accepts.
#[test]
fn generated_bodies_mostly_take_the_fast_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = body();
    let (mut valid, mut fast) = (0, 0);
    for _ in 0..500 {
        let text = strategy
            .new_tree(&mut runner)
            .expect("the strategy has no filter")
            .current();
        if hcl_edit::parser::parse_body(&text).is_ok() {
            valid += 1;
            fast += usize::from(check(&text));
        }
    }
    println!("{fast} of {valid} valid bodies took the fast path");
    assert!(
        valid > 100,
        "only {valid} of 500 generated bodies are valid"
    );
    assert!(
        fast * 10 >= valid * 8,
        "only {fast} of {valid} valid bodies took the fast path"
    );
}

/// A legacy index is a whole number: `.0.1` and `. 3.03` read as one fractional number, which
/// Terraform refuses, so both parsers refuse them (a property test found `[1, 471. 3.03]`
/// accepted while `[1, 471 3.03]` was not).
#[test]
fn a_fractional_legacy_index_is_an_error() {
    for text in ["a = [1, 471. 3.03]\n", "a = a.0.1\n", "a = a. 3.03\n"] {
        assert!(parse_body_fast(text).is_none(), "fast path took {text:?}");
        assert!(
            hcl_edit::parser::parse_body(text).is_err(),
            "hcl-edit took {text:?}"
        );
    }
    for text in ["a = a.0\n", "a = a.0.b\n", "a = a.0[1]\n"] {
        assert!(hcl_edit::parser::parse_body(text).is_ok(), "{text:?}");
    }
}
