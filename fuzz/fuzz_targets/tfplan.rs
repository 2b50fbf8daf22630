#![no_main]
//! `lint_text` on arbitrary bytes named `plan.json`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| iamlint_fuzz::check("plan.json", data));
