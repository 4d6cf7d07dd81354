//! Keras weights saved by numpy (`np.savez("w.npz", *model.get_weights())`)
//! load into a `Sequential` of the same architecture and give Keras's
//! output; files that do not fit get clear errors.
//! `tests/fixtures/make_npz.py` wrote the fixtures.

use ndarray::{ArrayD, IxDyn, OwnedRepr};
use ndarray_npy::NpzReader;
use rnn_basics::layers::{Bidirectional, Dense, MergeMode, RecurrentLayer};
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;

mod common;
use common::max_diff;

/// The architecture of `make_npz.py`, with fresh (wrong) weights.
fn architecture(lstm_units: usize) -> Sequential {
    let mut rng = init::rng(1);
    let mut model = Sequential::with_input_shape(&[5, 3]);
    model
        .add(
            Lstm::new(lstm_units, 3, &mut rng)
                .unwrap()
                .return_sequences(true),
        )
        .unwrap();
    let forward = RecurrentLayer::from(Gru::new(3, lstm_units, &mut rng).unwrap());
    let backward = RecurrentLayer::from(Gru::new(3, lstm_units, &mut rng).unwrap());
    model
        .add(Bidirectional::new(forward, backward, MergeMode::Concat).unwrap())
        .unwrap();
    model
        .add(
            Dense::new(2, 6, &mut rng)
                .unwrap()
                .with_activation(Activation::Softmax),
        )
        .unwrap();
    model
}

fn keras_io() -> (ArrayD<f32>, ArrayD<f32>) {
    let file = std::fs::File::open("tests/fixtures/keras_stack_io.npz").unwrap();
    let mut npz = NpzReader::new(file).unwrap();
    let x = npz.by_name::<OwnedRepr<f32>, IxDyn>("x").unwrap();
    let y = npz.by_name::<OwnedRepr<f32>, IxDyn>("y").unwrap();
    (x, y)
}

#[test]
fn keras_weights_saved_by_numpy_give_keras_output() {
    let (x, y) = keras_io();
    for file in [
        "tests/fixtures/keras_stack.npz",
        "tests/fixtures/keras_stack_f64.npz",
    ] {
        let mut model = architecture(4);
        let before = model.forward(x.view()).unwrap();
        assert!(
            max_diff(&before, &y) > 1e-3,
            "fresh weights already give Keras's output"
        );
        model.load_npz(file).unwrap();
        let after = model.forward(x.view()).unwrap();
        assert_eq!(after.shape(), y.shape());
        assert!(
            max_diff(&after, &y) < 1e-5,
            "{file}: differs by {}",
            max_diff(&after, &y)
        );
    }
}

#[test]
fn weights_of_another_architecture_are_refused_by_name() {
    let mut model = architecture(4);
    let before: Vec<ArrayD<f32>> = model.weights().iter().map(|w| w.to_owned()).collect();
    let e = model
        .load_npz("tests/fixtures/keras_other.npz")
        .unwrap_err()
        .to_string();
    assert!(e.contains("keras_other.npz"), "{e}");
    assert!(
        e.contains("layer 0 (lstm (LSTM)) weight kernel: expected shape (3, 16), got (3, 20)"),
        "{e}"
    );
    let after: Vec<ArrayD<f32>> = model.weights().iter().map(|w| w.to_owned()).collect();
    assert_eq!(before, after, "a refused file must change nothing");
}

#[test]
fn a_wrong_number_of_weights_is_refused() {
    let mut model = architecture(4);
    let mut weights = rnn_basics::keras::read_npz("tests/fixtures/keras_stack.npz").unwrap();
    weights.pop();
    let e = model.set_weights(&weights).unwrap_err().to_string();
    assert!(e.contains("expected 11, got 10"), "{e}");
}

#[test]
fn files_that_are_not_npz_are_refused() {
    let dir = std::env::temp_dir().join(format!("rnn-basics-npz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("text.npz");
    std::fs::write(&text, "not a zip").unwrap();
    let e = rnn_basics::keras::read_npz(&text).unwrap_err().to_string();
    assert!(e.contains("not a .npz file"), "{e}");
    let bytes = std::fs::read("tests/fixtures/keras_stack.npz").unwrap();
    let truncated = dir.join("truncated.npz");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(rnn_basics::keras::read_npz(&truncated).is_err());
    let missing = rnn_basics::keras::read_npz(dir.join("missing.npz"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("missing.npz"), "{missing}");
    std::fs::remove_dir_all(&dir).ok();
}
