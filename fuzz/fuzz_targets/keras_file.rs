//! Any bytes as a model file (`.keras` zip or legacy `.h5`): errors are
//! fine, panics are bugs. A model that loads is also written back as
//! `.keras`, read again, and run on a small input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rnn_basics::keras::file;

fuzz_target!(|data: &[u8]| {
    let Ok(model) = file::load_model_bytes(data) else {
        return;
    };
    if let Ok(bytes) = file::keras_bytes(&model) {
        let again = file::load_model_bytes(&bytes).expect("what the writer wrote reads back");
        let bits = |m: &rnn_basics::model::Sequential| -> Vec<u32> {
            m.weights()
                .iter()
                .flat_map(|w| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                .collect()
        };
        assert_eq!(bits(&again), bits(&model));
    }
    // Two sequences of three steps, with the model's own feature count.
    let mut shape: Vec<usize> = model.input_shape().iter().map(|d| d.unwrap_or(3)).collect();
    if let Some(b) = shape.first_mut() {
        *b = 2;
    }
    if shape.iter().product::<usize>() <= 1 << 16 {
        let x = ndarray::ArrayD::<f32>::zeros(shape);
        let _ = model.forward(x.view());
    }
});
