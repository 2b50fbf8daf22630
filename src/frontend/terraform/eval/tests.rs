//! The evaluator on small modules held in memory: each test evaluates locals and compares the
//! rendered value exactly.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::super::module::Module;
use super::*;
use crate::model::AttrRef;

/// A compact rendering: strings quoted, templates in backticks, unknowns as `?(expr: reason)`.
pub(super) fn show(node: &Node) -> String {
    match &node.kind {
        NodeKind::Null => "null".into(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Number(n) => n.clone(),
        NodeKind::Str(Scalar::Str(s)) => format!("{s:?}"),
        NodeKind::Str(Scalar::Other(s)) => s.clone(),
        NodeKind::Str(Scalar::Template(t)) => format!("`{}`", t.display()),
        NodeKind::Str(Scalar::Unknown(u)) => format!("?({}: {})", u.expr, u.reason),
        NodeKind::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            )
        }
        NodeKind::Object(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", k.value, show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Evaluates `local.<name>` for each name in a module written in memory.
fn locals(tf: &str, names: &[&str]) -> Vec<String> {
    let module = Module::load(Path::new("in-memory/main.tf"), tf);
    assert!(module.main.body.is_ok(), "test module does not parse");
    let mut sources = SourceMap::new(SourceFile::new("in-memory/main.tf", tf.to_string()));
    let mut ev = Eval::new(&module, &mut sources);
    names
        .iter()
        .map(|n| show(&ev.local(n, Span::new(FileId(0), 0, 0), &format!("local.{n}"))))
        .collect()
}

/// The value of `x = <expr>` in a `locals` block, with `extra` declarations beside it.
fn value_with(extra: &str, expr: &str) -> String {
    let tf = format!("{extra}\nlocals {{\n  x = {expr}\n}}\n");
    locals(&tf, &["x"]).remove(0)
}

fn value(expr: &str) -> String {
    value_with("", expr)
}

const UNSET: &str = "variable \"unset\" {}\nvariable \"list\" { default = [\"a\", \"b\"] }";

#[test]
fn arithmetic_comparison_and_logic() {
    assert_eq!(value("1 + 2 * 3"), "7");
    assert_eq!(value("(1 + 2) * 3"), "9");
    assert_eq!(value("7 % 4 - 1"), "2");
    assert_eq!(value("1 / 4"), "0.25");
    assert_eq!(value("-(2 + 1)"), "-3");
    assert_eq!(value("\"5\" + 1"), "6");
    assert_eq!(value("3 >= 3 && 2 < 1"), "false");
    assert_eq!(value("!(1 > 2) || false"), "true");
    assert_eq!(value("\"a\" == \"a\""), "true");
    assert_eq!(value("1 == \"1\""), "false");
    assert_eq!(value("[1, \"x\"] != [1, \"x\"]"), "false");
    assert_eq!(value("1.0 == 1"), "true");
}

#[test]
fn unknown_operands_stay_unknown_unless_the_other_side_decides() {
    assert_eq!(
        value_with(UNSET, "var.unset == \"a\""),
        "?(var.unset == \"a\": variable `unset` has no default value)"
    );
    assert_eq!(value_with(UNSET, "false && var.unset"), "false");
    assert_eq!(value_with(UNSET, "var.unset || true"), "true");
    assert_eq!(
        value_with(UNSET, "true && var.unset"),
        "?(true && var.unset: variable `unset` has no default value)"
    );
    assert_eq!(
        value_with(UNSET, "var.unset ? \"*\" : \"s3:GetObject\""),
        "?(var.unset ? \"*\" : \"s3:GetObject\": variable `unset` has no default value)"
    );
    assert_eq!(value("1 / 0"), "?(1 / 0: division by zero)");
    assert_eq!(
        value("!\"x\""),
        "?(!\"x\": `!` needs a boolean, found a string)"
    );
}

#[test]
fn for_expressions_lists_objects_filters_and_groups() {
    assert_eq!(
        value("[for s in [\"get\", \"put\"] : \"s3:${s}Object\"]"),
        "[\"s3:getObject\", \"s3:putObject\"]"
    );
    assert_eq!(
        value("[for i, s in [\"a\", \"b\", \"c\"] : \"${i}${s}\" if s != \"b\"]"),
        "[\"0a\", \"2c\"]"
    );
    // Maps are walked in key order.
    assert_eq!(
        value("[for k, v in { b = 2, a = 1 } : \"${k}=${v}\"]"),
        "[\"a=1\", \"b=2\"]"
    );
    assert_eq!(
        value("{ for s in [\"x\", \"y\"] : s => upper(s) }"),
        "{x: \"X\", y: \"Y\"}"
    );
    assert_eq!(
        value("{ for s in [\"ab\", \"ac\", \"b\"] : substr(s, 0, 1) => s... }"),
        "{a: [\"ab\", \"ac\"], b: [\"b\"]}"
    );
    assert_eq!(
        value("{ for s in [\"a\", \"a\"] : s => s }"),
        "?({ for s in [\"a\", \"a\"] : s => s }: duplicate key `a` (use `...` to group))"
    );
    assert_eq!(
        value_with(UNSET, "[for s in var.unset : s]"),
        "?([for s in var.unset : s]: variable `unset` has no default value)"
    );
    // An unknown filter makes the length unknown: nothing is guessed.
    assert_eq!(
        value_with(UNSET, "[for s in [\"a\"] : s if s == var.unset]"),
        "?([for s in [\"a\"] : s if s == var.unset]: variable `unset` has no default value)"
    );
    // Unknown elements stay unknown, in place.
    assert_eq!(
        value_with(UNSET, "[for s in [\"a\", var.unset] : s]"),
        "[\"a\", ?(var.unset: variable `unset` has no default value)]"
    );
}

#[test]
fn splats_over_lists_single_values_and_null() {
    let tf = r#"
locals {
  items = [{ name = "a", arn = "arn:1" }, { name = "b", arn = "arn:2" }]
  full  = local.items[*].name
  attr  = local.items.*.arn
  one   = { name = "x" }
  wrap  = local.one[*].name
  none  = null
  empty = local.none[*].name
  first = local.items.*.name[0]
  each  = local.items[*].name[0]
}
"#;
    assert_eq!(
        locals(tf, &["full", "attr", "wrap", "empty", "first", "each"]),
        [
            "[\"a\", \"b\"]",
            "[\"arn:1\", \"arn:2\"]",
            "[\"x\"]",
            "[]",
            // The attribute splat ends before `[0]`; the full splat indexes each name.
            "\"a\"",
            "[?(local.items[*].name[0]: a string has no such element), \
             ?(local.items[*].name[0]: a string has no such element)]"
        ]
    );
}

#[test]
fn collection_functions() {
    assert_eq!(
        value("merge({ a = 1, b = 2 }, null, { b = 3 })"),
        "{a: 1, b: 3}"
    );
    assert_eq!(
        value("concat([\"a\"], [], [\"b\", \"c\"])"),
        "[\"a\", \"b\", \"c\"]"
    );
    assert_eq!(
        value("flatten([[\"a\", [\"b\"]], [], \"c\"])"),
        "[\"a\", \"b\", \"c\"]"
    );
    assert_eq!(value("distinct([\"a\", \"b\", \"a\"])"), "[\"a\", \"b\"]");
    assert_eq!(
        value("compact([\"a\", \"\", null, \"b\"])"),
        "[\"a\", \"b\"]"
    );
    assert_eq!(value("toset([\"b\", \"a\", \"b\"])"), "[\"a\", \"b\"]");
    assert_eq!(value("keys({ z = 1, a = 2 })"), "[\"a\", \"z\"]");
    assert_eq!(value("values({ z = 1, a = 2 })"), "[2, 1]");
    assert_eq!(value("lookup({ a = \"x\" }, \"a\", \"d\")"), "\"x\"");
    assert_eq!(value("lookup({ a = \"x\" }, \"b\", \"d\")"), "\"d\"");
    assert_eq!(
        value("lookup({ a = \"x\" }, \"b\")"),
        "?(lookup({ a = \"x\" }, \"b\"): `lookup`: no key `b` and no default)"
    );
    assert_eq!(value("element([\"a\", \"b\", \"c\"], 4)"), "\"b\"");
    assert_eq!(value("index([\"a\", \"b\"], \"b\")"), "1");
    assert_eq!(value("length([1, 2, 3])"), "3");
    assert_eq!(value("length({ a = 1 })"), "1");
    assert_eq!(value("length(\"héllo\")"), "5");
    assert_eq!(value("contains([\"a\", \"b\"], \"b\")"), "true");
    assert_eq!(value("contains([\"a\", \"b\"], \"c\")"), "false");
    assert_eq!(
        value_with(UNSET, "contains([\"a\", var.unset], \"c\")"),
        "?(contains([\"a\", var.unset], \"c\"): variable `unset` has no default value)"
    );
    assert_eq!(
        value_with(UNSET, "contains([var.unset, \"c\"], \"c\")"),
        "true"
    );
    assert_eq!(value("zipmap([\"a\", \"b\"], [1, 2])"), "{a: 1, b: 2}");
    assert_eq!(value("one([])"), "null");
    assert_eq!(value("one([\"x\"])"), "\"x\"");
    assert_eq!(
        value("sort([\"b\", \"c\", \"a\"])"),
        "[\"a\", \"b\", \"c\"]"
    );
    assert_eq!(value("reverse([1, 2, 3])"), "[3, 2, 1]");
    assert_eq!(
        value("slice([\"a\", \"b\", \"c\", \"d\"], 1, 3)"),
        "[\"b\", \"c\"]"
    );
    assert_eq!(value("range(3)"), "[0, 1, 2]");
    assert_eq!(value("range(1, 7, 2)"), "[1, 3, 5]");
    assert_eq!(value("range(3, 0)"), "[3, 2, 1]");
    assert_eq!(value("coalescelist([], [\"a\"])"), "[\"a\"]");
    assert_eq!(value("setunion([\"b\"], [\"a\", \"b\"])"), "[\"a\", \"b\"]");
    assert_eq!(
        value("setintersection([\"a\", \"b\"], [\"b\", \"c\"])"),
        "[\"b\"]"
    );
    assert_eq!(value("setsubtract([\"a\", \"b\"], [\"b\"])"), "[\"a\"]");
    assert_eq!(
        value("setproduct([\"a\", \"b\"], [1, 2])"),
        "[[\"a\", 1], [\"a\", 2], [\"b\", 1], [\"b\", 2]]"
    );
    assert_eq!(value("alltrue([true, true])"), "true");
    assert_eq!(value("anytrue([false, true])"), "true");
    assert_eq!(value("sum([1, 2, 3.5])"), "6.5");
    assert_eq!(value("max(1, 5, 3)"), "5");
    assert_eq!(value("min([4, 2, 8]...)"), "2");
    assert_eq!(value("tolist([\"a\"])"), "[\"a\"]");
    assert_eq!(value("tomap({ a = 1 })"), "{a: 1}");
}

#[test]
fn string_functions() {
    assert_eq!(
        value("format(\"arn:aws:s3:::%s/*\", \"b\")"),
        "\"arn:aws:s3:::b/*\""
    );
    assert_eq!(value("format(\"%d%%-%q\", 5, \"x\")"), "\"5%-\\\"x\\\"\"");
    assert_eq!(
        value_with(UNSET, "format(\"arn:aws:s3:::%s\", var.unset)"),
        "`arn:aws:s3:::${var.unset}`"
    );
    assert_eq!(
        value("formatlist(\"s3:%s\", [\"Get\", \"Put\"])"),
        "[\"s3:Get\", \"s3:Put\"]"
    );
    assert_eq!(value("join(\",\", [\"a\", \"b\"], [\"c\"])"), "\"a,b,c\"");
    assert_eq!(value("split(\",\", \"a,b\")"), "[\"a\", \"b\"]");
    assert_eq!(value("replace(\"a-b-c\", \"-\", \":\")"), "\"a:b:c\"");
    assert_eq!(value("lower(\"S3:GetObject\")"), "\"s3:getobject\"");
    assert_eq!(value("upper(\"a\")"), "\"A\"");
    assert_eq!(
        value_with(UNSET, "lower(\"ARN:${var.unset}\")"),
        "`arn:${var.unset}`"
    );
    assert_eq!(value("trimprefix(\"arn:x\", \"arn:\")"), "\"x\"");
    assert_eq!(value("trimsuffix(\"a/*\", \"/*\")"), "\"a\"");
    assert_eq!(value("trimspace(\"  a \")"), "\"a\"");
    assert_eq!(value("startswith(\"arn:aws\", \"arn:\")"), "true");
    assert_eq!(value("endswith(\"arn:aws\", \"gcp\")"), "false");
    assert_eq!(value("substr(\"hello\", 1, 3)"), "\"ell\"");
    assert_eq!(value("substr(\"hello\", -3, -1)"), "\"llo\"");
    assert_eq!(value("tostring(5)"), "\"5\"");
    assert_eq!(value("tonumber(\"42\")"), "42");
    assert_eq!(value("coalesce(null, \"\", \"x\")"), "\"x\"");
    assert_eq!(
        value_with(UNSET, "coalesce(\"\", var.unset, \"x\")"),
        "?(coalesce(\"\", var.unset, \"x\"): variable `unset` has no default value)"
    );
    assert_eq!(
        value("jsonencode({ a = [1, \"x\", true, null] })"),
        "\"{\\\"a\\\":[1,\\\"x\\\",true,null]}\""
    );
    assert_eq!(
        value("jsondecode(\"{\\\"Action\\\": [\\\"s3:*\\\"], \\\"n\\\": 1}\")"),
        "{Action: [\"s3:*\"], n: 1}"
    );
    assert_eq!(
        value("regex(\"a\", \"b\")"),
        "?(regex(\"a\", \"b\"): function `regex` is not evaluated)"
    );
}

#[test]
fn try_and_can_tell_errors_from_unknown_values() {
    let extra = "variable \"unset\" {}\nlocals { m = { a = \"x\" } }";
    assert_eq!(
        value_with(extra, "try(local.m.b, \"fallback\")"),
        "\"fallback\""
    );
    assert_eq!(value_with(extra, "try(local.m.a, \"fallback\")"), "\"x\"");
    // Terraform would use the unknown value, not the fallback.
    assert_eq!(
        value_with(extra, "try(var.unset, \"fallback\")"),
        "?(var.unset: variable `unset` has no default value)"
    );
    assert_eq!(value_with(extra, "can(local.m.b)"), "false");
    assert_eq!(value_with(extra, "can(local.m.a)"), "true");
    assert_eq!(
        value_with(extra, "can(var.unset)"),
        "?(can(var.unset): variable `unset` has no default value)"
    );
    // A caught error does not leak into an enclosing `try`.
    assert_eq!(
        value_with(extra, "try(try(local.m.b, \"inner\"), \"outer\")"),
        "\"inner\""
    );
}

#[test]
fn reference_cycles_are_named_once_and_do_not_overflow() {
    let tf = r#"
locals {
  a    = [local.b]
  b    = local.c
  c    = local.a
  me   = [for s in local.me : s]
  fine = "x"
}
"#;
    let out = locals(tf, &["a", "me", "fine"]);
    assert_eq!(
        out[0],
        "[?(local.a: reference cycle: local.a \u{2192} local.b \u{2192} local.c \u{2192} local.a)]"
    );
    assert_eq!(
        out[1],
        "?([for s in local.me : s]: reference cycle: local.me \u{2192} local.me)"
    );
    assert_eq!(out[2], "\"x\"");
}

#[test]
fn variable_defaults_cannot_refer_to_other_values() {
    let extra = "variable \"a\" { default = \"x\" }\nvariable \"b\" { default = var.a }";
    assert_eq!(
        value_with(extra, "var.b"),
        "?(var.a: a variable's default cannot refer to other values)"
    );
    assert_eq!(value_with(extra, "var.a"), "\"x\"");
}

#[test]
fn inputs_win_over_defaults_and_keep_their_spans() {
    let tf = "variable \"v\" { default = \"d\" }\nlocals { x = var.v }\n";
    let module = Module::load(Path::new("in-memory/main.tf"), tf);
    let mut sources = SourceMap::new(SourceFile::new("in-memory/main.tf", tf.to_string()));
    let mut ev = Eval::new(&module, &mut sources);
    let at = Span::new(FileId(0), 3, 4);
    ev.inputs.insert("v".into(), str_node("given", at));
    let node = ev.local("x", Span::new(FileId(0), 0, 0), "local.x");
    assert_eq!(show(&node), "\"given\"");
    assert_eq!(node.span, at);
}

#[test]
fn resource_references_name_the_resource_and_attribute() {
    let tf = r#"
locals {
  bucket  = aws_s3_bucket.b.arn
  objects = "${aws_s3_bucket.b.arn}/*"
  indexed = aws_iam_role.r[0].name
  region  = data.aws_region.current.name
}
"#;
    let module = Module::load(Path::new("in-memory/main.tf"), tf);
    let mut sources = SourceMap::new(SourceFile::new("in-memory/main.tf", tf.to_string()));
    let mut ev = Eval::new(&module, &mut sources);
    let none = Span::new(FileId(0), 0, 0);
    let bucket = ev.local("bucket", none, "local.bucket");
    let u = as_unknown(&bucket).unwrap();
    assert_eq!(
        u.reference,
        Some(AttrRef {
            address: "aws_s3_bucket.b".into(),
            attribute: "arn".into()
        })
    );
    assert_eq!(
        u.reason,
        "`arn` of resource `aws_s3_bucket.b` is known only after apply"
    );
    let objects = ev.local("objects", none, "local.objects");
    let NodeKind::Str(Scalar::Template(t)) = &objects.kind else {
        panic!("expected a template, found {}", show(&objects));
    };
    assert_eq!(t.display(), "${aws_s3_bucket.b.arn}/*");
    assert!(t.holes().all(|h| h.reference.is_some()));
    let indexed = ev.local("indexed", none, "local.indexed");
    assert_eq!(
        as_unknown(&indexed).unwrap().reference,
        Some(AttrRef {
            address: "aws_iam_role.r[0]".into(),
            attribute: "name".into()
        })
    );
    let region = ev.local("region", none, "local.region");
    assert_eq!(
        as_unknown(&region).unwrap().reason,
        "`name` of data source `data.aws_region.current` is read at plan time"
    );
}

#[test]
fn template_directives_are_evaluated() {
    assert_eq!(
        value("\"%{ for a in [\"x\", \"y\"] }s3:${a},%{ endfor }\""),
        "\"s3:x,s3:y,\""
    );
    assert_eq!(value("\"%{ if 1 > 2 }yes%{ else }no%{ endif }\""), "\"no\"");
}

#[test]
fn pathological_inputs_stop_with_a_reason() {
    // Each local doubles the one below: 2^30 elements if nothing stopped it.
    let mut tf = String::from("locals {\n  l0 = [\"x\", \"y\"]\n");
    for i in 1..=30 {
        tf.push_str(&format!("  l{i} = [local.l{}, local.l{}]\n", i - 1, i - 1));
    }
    tf.push_str("}\n");
    let top = locals(&tf, &["l30"]).remove(0);
    let steps = format!("evaluation stopped: more than {MAX_STEPS} steps in this run");
    assert!(top.contains(&steps), "{}", &top[..top.len().min(300)]);

    assert_eq!(
        value("range(100000)"),
        "?(range(100000): evaluation stopped: more than 10000 elements in one collection)"
    );
    let nested = value("flatten([for i in range(5000) : [for j in range(5000) : i * j]])");
    assert!(
        nested.contains(&steps),
        "{}",
        &nested[..nested.len().min(300)]
    );
}

/// Locals `s0` to `s{n}`, each built from the one below by `step` (`{p}` is the one below).
fn growing(n: usize, step: &str) -> String {
    let mut tf = format!("locals {{\n  s0 = \"{}\"\n", "x".repeat(64));
    for i in 1..=n {
        let below = format!("local.s{}", i - 1);
        tf.push_str(&format!("  s{i} = {}\n", step.replace("{p}", &below)));
    }
    tf.push_str("}\n");
    tf
}

#[test]
fn strings_stop_growing_at_the_string_bound() {
    let bound = "evaluation stopped: a string";
    // Doubling through 40 locals would be 64 TiB.
    for step in [
        "\"${{p}}${{p}}\"",
        "format(\"%s%s\", {p}, {p})",
        "replace({p}, \"x\", \"xx\")",
        "join(\"\", [{p}, {p}])",
    ] {
        let tf = growing(40, step);
        let top = locals(&tf, &["s40"]).remove(0);
        assert!(
            top.starts_with("?(") && top.contains(bound) && top.contains(&MAX_STRING.to_string()),
            "{step}: {}",
            &top[..top.len().min(300)]
        );
    }
    // Below the bound, the same locals are evaluated.
    let tf = growing(3, "\"${{p}}${{p}}\"");
    assert_eq!(
        locals(&tf, &["s3"]).remove(0),
        format!("{:?}", "x".repeat(512))
    );
}

#[test]
fn one_step_budget_is_shared_by_every_module_instance_of_a_run() {
    let tf = "locals {\n  x = [for i in range(10) : i]\n}\n";
    let module = Module::load(Path::new("in-memory/main.tf"), tf);
    let mut sources = SourceMap::new(SourceFile::new("in-memory/main.tf", tf.to_string()));
    let parent = Eval::new(&module, &mut sources);
    let budget = parent.budget.clone();
    drop(parent);
    // The caller and the instances before this one spent nearly all of it.
    budget.steps.set(MAX_STEPS - 3);
    let mut child = Eval::detached(&module, &mut sources, budget, Rc::default());
    let x = show(&child.local("x", Span::new(FileId(0), 0, 0), "local.x"));
    assert!(
        x.contains(&format!("more than {MAX_STEPS} steps in this run")),
        "{x}"
    );
    // A fresh run has the whole budget.
    let mut fresh = Eval::detached(&module, &mut sources, Rc::default(), Rc::default());
    let x = show(&fresh.local("x", Span::new(FileId(0), 0, 0), "local.x"));
    assert_eq!(x, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
}

#[test]
fn optional_object_attributes_are_null_or_their_default() {
    let extra = r#"
variable "p" {
  type = map(object({
    actions     = optional(list(string))
    not_actions = optional(list(string))
    effect      = optional(string, "Allow")
  }))
  default = { a = { actions = ["s3:GetObject"] } }
}"#;
    assert_eq!(
        value_with(extra, "var.p"),
        r#"{a: {actions: ["s3:GetObject"], not_actions: null, effect: "Allow"}}"#
    );
    assert_eq!(value_with(extra, "var.p.a.not_actions"), "null");
}

/// Issue 26: `==` is decided by the known shape of values whose leaves are unknown.
#[test]
fn equality_is_decided_by_known_shapes() {
    let ids = "data \"aws_caller_identity\" \"c\" {}\nlocals {\n  ids = [data.aws_caller_identity.c.account_id]\n}";
    assert_eq!(value_with(ids, "local.ids != null"), "true");
    assert_eq!(value_with(ids, "local.ids == null"), "false");
    assert_eq!(value_with(ids, "local.ids == []"), "false");
    assert_eq!(value_with(ids, "{ a = local.ids } == { b = 1 }"), "false");
    assert_eq!(value_with(ids, "\"arn:${local.ids[0]}\" != null"), "true");
    assert_eq!(
        value_with(ids, "local.ids != null ? local.ids : []"),
        "[?(data.aws_caller_identity.c.account_id: `account_id` of data source `data.aws_caller_identity.c` is read at plan time)]"
    );
    // A wholly unknown value, or two strings with holes, stay undecided.
    assert!(
        value_with(ids, "local.ids[0] == null").starts_with("?("),
        "{}",
        value_with(ids, "local.ids[0] == null")
    );
    assert!(value_with(ids, "local.ids == local.ids").starts_with("?("));
}
