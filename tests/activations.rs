//! tanh and sigmoid are TensorFlow's own, number for number, on inputs
//! TensorFlow evaluated itself (`tests/fixtures/make_tf_activations.py`).

use ndarray::{Array1, Ix1, OwnedRepr};
use ndarray_npy::NpzReader;
use rnn_basics::activation::{sigmoid, tanh};

fn fixture() -> (Array1<f32>, Array1<f32>, Array1<f32>) {
    let file = std::fs::File::open("tests/fixtures/tf_activations.npz").unwrap();
    let mut npz = NpzReader::new(file).unwrap();
    let mut get = |name: &str| npz.by_name::<OwnedRepr<f32>, Ix1>(name).unwrap();
    (get("x"), get("tanh"), get("sigmoid"))
}

#[test]
fn tanh_is_tensorflows() {
    let (x, expected, _) = fixture();
    for (x, e) in x.iter().zip(&expected) {
        assert_eq!(
            tanh(*x).to_bits(),
            e.to_bits(),
            "tanh({x}): {} vs TensorFlow's {e}",
            tanh(*x)
        );
    }
}

#[test]
fn sigmoid_is_tensorflows() {
    // TensorFlow flushes subnormal results to zero; below 1e-37 compare as numbers.
    let (x, _, expected) = fixture();
    for (x, e) in x.iter().zip(&expected) {
        let ours = sigmoid(*x);
        if e.abs() < 1e-37 {
            assert!(
                ours.abs() < 1e-37,
                "sigmoid({x}) = {ours}, TensorFlow says {e}"
            );
        } else {
            assert_eq!(
                ours.to_bits(),
                e.to_bits(),
                "sigmoid({x}): {ours} vs TensorFlow's {e}"
            );
        }
    }
}

#[test]
fn both_stay_within_4e7_of_the_exact_functions() {
    for i in 0..=200_000 {
        let x = (-40.0 + 80.0 * i as f64 / 200_000.0) as f32;
        let exact_tanh = (x as f64).tanh();
        let exact_sigmoid = 1.0 / (1.0 + (-(x as f64)).exp());
        assert!((tanh(x) as f64 - exact_tanh).abs() < 4e-7, "tanh({x})");
        assert!(
            (sigmoid(x) as f64 - exact_sigmoid).abs() < 4e-7,
            "sigmoid({x})"
        );
    }
    assert!(tanh(f32::NAN).is_nan() && sigmoid(f32::NAN).is_nan());
    assert_eq!((tanh(f32::INFINITY), tanh(f32::NEG_INFINITY)), (1.0, -1.0));
    assert_eq!(
        (sigmoid(f32::INFINITY), sigmoid(f32::NEG_INFINITY)),
        (1.0, 0.0)
    );
}
