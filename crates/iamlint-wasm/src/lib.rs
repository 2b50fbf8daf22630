//! iamlint's engine for the browser playground (`playground/`, built by
//! `scripts/build-playground.sh`): the library core without the `native` feature, behind a tiny C
//! ABI that plain `WebAssembly.instantiate` can call, with no generated glue.
//!
//! The page copies the text in with [`iamlint_alloc`], calls [`iamlint_lint`] and reads the answer:
//! a pointer to a 4-byte little-endian length followed by that many bytes of UTF-8 JSON
//! ([`lint_json`]), which it gives back with [`iamlint_free`]. [`iamlint_example`] answers the
//! same way with the README's example.

use std::path::Path;

use iamlint::discover::{detect_format, Format};
use iamlint::finding::Applicability;
use iamlint::lint::{memory, LintOptions};
use iamlint::output::{render, OutputFormat, OutputOptions};
use serde::Serialize;

/// The README's example (`examples/terraform/ec2-ecr.tf`): the page's default text.
pub const EXAMPLE: &str = include_str!("../../../examples/terraform/ec2-ecr.tf");

/// The file name a format is linted under. The format decides the frontend; the name is what
/// the findings are located in.
fn file_name(format: Format) -> &'static str {
    match format {
        Format::Json => "policy.json",
        Format::Terraform => "main.tf",
        Format::Yaml => "template.yaml",
        Format::Unknown => "policy.json",
    }
}

/// The format asked for by the page (`auto`, `json`, `terraform`, `yaml`); `auto` tells it from
/// the content as `iamlint check` does for a file without a known extension.
fn format_of(asked: &str, text: &str) -> Format {
    match asked {
        "json" => Format::Json,
        "terraform" => Format::Terraform,
        "yaml" => Format::Yaml,
        _ => match detect_format(Path::new("input"), text) {
            Format::Unknown => Format::Json,
            known => known,
        },
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Terraform => "terraform",
        Format::Yaml => "yaml",
        Format::Unknown => "unknown",
    }
}

#[derive(Serialize)]
struct Fixed {
    /// The text with every safe and unsafe fix applied: the narrowest policy the rules can write.
    text: String,
    /// How many fixes were applied.
    fixes: usize,
}

/// What the page shows for one text: the format and file name used, `iamlint check
/// --output-format json`'s document for it (`report`: findings with their lines, rules,
/// severities, messages, help and fixes; input errors; the summary), and the text with the
/// applicable fixes applied (`fixed`, absent when no fix applies). The whole document is written
/// through the escaping layer ([`iamlint::escape::Json`]), as the command line's JSON is.
pub fn lint_json(asked_format: &str, text: &str) -> String {
    let format = format_of(asked_format, text);
    let name = file_name(format);
    let report = memory::lint_one(Path::new(name), text.to_string(), &LintOptions::default());
    let mut rendered = Vec::new();
    let rendered = match render(
        &report,
        OutputFormat::Json,
        &OutputOptions::default(),
        &mut rendered,
    ) {
        Ok(()) => String::from_utf8(rendered).unwrap_or_default(),
        Err(e) => return error_json(&format!("cannot render the report: {e}")),
    };
    let fixed = report.files.first().and_then(|file| {
        iamlint::fix::apply::fixed_files(file, Applicability::Unsafe)
            .into_iter()
            .next()
            .map(|f| Fixed {
                text: f.text,
                fixes: f.fixes,
            })
    });
    let head = serde_json::json!({ "format": format_name(format), "file": name });
    let fixed = match serde_json::to_string(&fixed) {
        Ok(fixed) => fixed,
        Err(e) => return error_json(&format!("cannot render the fixes: {e}")),
    };
    // `head` is an object: splice the rendered report and the fixes in before its closing brace.
    let head = head.to_string();
    let mut out = String::with_capacity(rendered.len() + fixed.len() + head.len() + 32);
    out.push_str(head.trim_end_matches('}'));
    out.push_str(",\"report\":");
    out.push_str(rendered.trim_end());
    out.push_str(",\"fixed\":");
    out.push_str(&fixed);
    out.push('}');
    escaped(out)
}

/// `{"internal_error": message}`, for what should never happen (the page shows it).
fn error_json(message: &str) -> String {
    escaped(serde_json::json!({ "internal_error": message }).to_string())
}

/// The JSON text through the escaping layer every iamlint output goes through.
fn escaped(json: String) -> String {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(json.len());
    let mut w = iamlint::escape::Json::new(&mut out);
    if w.write_all(json.as_bytes())
        .and_then(|()| w.flush())
        .is_err()
    {
        return json;
    }
    drop(w);
    String::from_utf8(out).unwrap_or(json)
}

/// Bytes for the page to write the text into (freed with [`iamlint_free`]).
#[no_mangle]
pub extern "C" fn iamlint_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len.max(1));
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Gives back bytes from [`iamlint_alloc`] or an answer (`len`: the length passed to
/// [`iamlint_alloc`], or 4 plus the answer's length).
///
/// # Safety
///
/// `ptr` and `len` must come from one [`iamlint_alloc`] call or one answer, freed once.
#[no_mangle]
pub unsafe extern "C" fn iamlint_free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        // SAFETY: the caller passes back a buffer this module allocated with capacity `len`.
        drop(unsafe { Vec::from_raw_parts(ptr, 0, len.max(1)) });
    }
}

/// Lints the UTF-8 text at `text_ptr` (`text_len` bytes) in the format named at `format_ptr`
/// (`auto`, `json`, `terraform`, `yaml`). Returns an answer (see the crate docs); invalid UTF-8
/// is replaced, as the page only ever sends a JavaScript string's UTF-8.
///
/// # Safety
///
/// Both ranges must be readable bytes of this module's memory (from [`iamlint_alloc`]).
#[no_mangle]
pub unsafe extern "C" fn iamlint_lint(
    format_ptr: *const u8,
    format_len: usize,
    text_ptr: *const u8,
    text_len: usize,
) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are readable (see above).
    let (format, text) = unsafe {
        (
            std::slice::from_raw_parts(format_ptr, format_len),
            std::slice::from_raw_parts(text_ptr, text_len),
        )
    };
    let format = String::from_utf8_lossy(format);
    let text = String::from_utf8_lossy(text);
    answer(lint_json(&format, &text))
}

/// The README's example as an answer: `{"name", "text"}`.
#[no_mangle]
pub extern "C" fn iamlint_example() -> *mut u8 {
    let json = serde_json::json!({ "name": "examples/terraform/ec2-ecr.tf", "text": EXAMPLE });
    answer(escaped(json.to_string()))
}

/// `text` as an answer: its length (4 bytes, little-endian) then its bytes, in one buffer of
/// exactly that capacity for [`iamlint_free`].
fn answer(text: String) -> *mut u8 {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    let mut buf = Vec::with_capacity(4 + len as usize);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&text.as_bytes()[..len as usize]);
    let mut buf = buf.into_boxed_slice();
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn lint(format: &str, text: &str) -> Value {
        let out = lint_json(format, text);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// `(line, rule)` of each finding.
    fn findings(v: &Value) -> Vec<(u64, String)> {
        v["report"]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["line"].as_u64().expect("line"),
                    f["rule"].as_str().expect("rule").to_string(),
                )
            })
            .collect()
    }

    /// The README's example gives the findings the README shows, at its lines.
    #[test]
    fn readme_example() {
        let v = lint("auto", EXAMPLE);
        assert_eq!(v["format"], "terraform");
        let found = findings(&v);
        for expected in [
            (31, "broad-managed-policy"),
            (37, "unknown-action"),
            (43, "pass-role-any"),
            (44, "resource-star"),
        ] {
            assert!(
                found.iter().any(|(l, r)| (*l, r.as_str()) == expected),
                "{expected:?} not in {found:?}"
            );
        }
        let broad = v["report"]["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["rule"] == "broad-managed-policy"))
            .expect("broad-managed-policy");
        // The minimal policy the engine suggests: the `ecr-pull` recipe, as a display-only fix.
        assert_eq!(broad["fix"]["applicability"], "display-only");
        assert!(broad["fix"]["snippet"]
            .as_str()
            .is_some_and(|s| s.contains("ecr:BatchGetImage")));
    }

    #[test]
    fn auto_format_by_content() {
        let json = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;
        assert_eq!(lint("auto", json)["format"], "json");
        let yaml = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n";
        assert_eq!(lint("auto", yaml)["format"], "yaml");
        assert_eq!(lint("auto", EXAMPLE)["format"], "terraform");
        // An explicit choice wins over the content.
        assert_eq!(lint("yaml", json)["format"], "yaml");
        assert!(!findings(&lint("auto", json)).is_empty());
    }

    /// Bad input is a located error in the answer, never a trap.
    #[test]
    fn bad_input_is_a_located_error() {
        let v = lint(
            "json",
            "{\"Version\": \"2012-10-17\",\n  \"Statement\": [\n",
        );
        let errors = v["report"]["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{v}");
        assert_eq!(errors[0]["line"], 3);
        for text in ["", "\u{0}", "resource \"", "a: [", "{\"Statement\": 5}"] {
            for format in ["auto", "json", "terraform", "yaml"] {
                let _ = lint(format, text);
            }
        }
    }

    /// Applicable fixes come back applied, and the result parses and is clean of what they fixed.
    #[test]
    fn fixes_applied() {
        let json = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]}"#;
        let v = lint("auto", json);
        let fixed = v["fixed"]["text"].as_str().expect("fixed text");
        assert!(v["fixed"]["fixes"].as_u64().is_some_and(|n| n >= 1));
        assert_eq!(fixed.matches("s3:GetObject").count(), 1, "{fixed}");
        let again = lint("auto", fixed);
        assert!(again["report"]["errors"]
            .as_array()
            .expect("errors")
            .is_empty());
        assert!(lint("auto", EXAMPLE)["fixed"].is_null());
    }

    /// Input text reaches the answer only through the escaping layer: no runner command, no
    /// line separator, and the data decodes back unchanged; in the report (a finding's message)
    /// and in the fixed text, which only this crate adds to the answer.
    #[test]
    fn answer_is_escaped() {
        let json = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"S##[group]\u{2028}\", \"Effect\": \"Allow\", \"Action\": [\"s3:Get##[x]\", \"s3:GetObject\", \"s3:GetObject\"], \"Resource\": \"arn:aws:s3:::b/*\"}]}";
        let out = lint_json("json", json);
        assert!(!out.contains("##["), "{out}");
        assert!(!out.contains('\u{2028}'));
        let v: Value = serde_json::from_str(&out).expect("json");
        let messages: Vec<&str> = v["report"]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["message"].as_str())
            .collect();
        assert!(messages.iter().any(|m| m.contains("##[x]")), "{messages:?}");
        let fixed = v["fixed"]["text"].as_str().expect("fixed text");
        assert!(fixed.contains("S##[group]\u{2028}"), "{fixed}");
    }

    /// The C ABI the page calls: text in through `iamlint_alloc`, a length-prefixed answer out.
    #[test]
    fn c_abi_round_trip() {
        fn read(answer: *mut u8) -> String {
            // SAFETY: an answer starts with its 4-byte length, then that many bytes.
            unsafe {
                let len = u32::from_le_bytes(*answer.cast::<[u8; 4]>()) as usize;
                let text =
                    String::from_utf8(std::slice::from_raw_parts(answer.add(4), len).to_vec())
                        .expect("utf-8");
                iamlint_free(answer, len + 4);
                text
            }
        }
        let put = |s: &str| {
            let p = iamlint_alloc(s.len());
            // SAFETY: `p` has room for `s.len()` bytes.
            unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len()) };
            p
        };
        let (format, text) = ("auto", EXAMPLE);
        let (f, t) = (put(format), put(text));
        // SAFETY: both ranges were just allocated and written.
        let answer = unsafe { iamlint_lint(f, format.len(), t, text.len()) };
        // SAFETY: given back with the lengths they were allocated with.
        unsafe {
            iamlint_free(f, format.len());
            iamlint_free(t, text.len());
        }
        assert_eq!(read(answer), lint_json(format, text));
        let example: Value = serde_json::from_str(&read(iamlint_example())).expect("json");
        assert_eq!(example["text"], EXAMPLE);
    }
}
