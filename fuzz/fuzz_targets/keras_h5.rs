//! Any bytes as the `model.weights.h5` of a `.keras` file whose config
//! asks for Embedding, Bidirectional(LSTM) and TimeDistributed(Dense)
//! weights, and as a legacy `.h5` model: errors are fine, panics are bugs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rnn_basics::keras::file;

const CONFIG: &[u8] = include_bytes!("../keras_h5_config.json");

fuzz_target!(|data: &[u8]| {
    let _ = file::load_keras_parts(CONFIG, data);
    let _ = file::load_model_bytes(data);
});
