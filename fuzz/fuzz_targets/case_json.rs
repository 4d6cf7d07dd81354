//! Any text given to the reference-case reader, and any case it accepts
//! given to the parity check: errors are fine, panics are bugs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rnn_basics::keras::{Case, check_case};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(case) = Case::parse(text, "fuzz.json") {
        let _ = check_case(&case);
    }
});
