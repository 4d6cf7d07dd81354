//! Any bytes given to the .npz reader: errors are fine, panics are bugs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rnn_basics::keras::read_npz_from(std::io::Cursor::new(data), "fuzz.npz");
});
