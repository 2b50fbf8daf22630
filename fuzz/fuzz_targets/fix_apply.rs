#![no_main]
//! `--fix` on arbitrary input: safe fixes only remove text, and never break a file that parsed.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| iamlint_fuzz::check_fix(data));
