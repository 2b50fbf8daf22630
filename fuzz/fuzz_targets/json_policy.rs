#![no_main]
//! `lint_text` on arbitrary bytes named `policy.json`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| iamlint_fuzz::check("policy.json", data));
