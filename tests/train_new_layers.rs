//! Training through `Embedding`, `Masking` and `Dropout`: their backward
//! passes inside small models agree with central differences, the masks
//! they make reach the recurrent layer in training as at inference,
//! `Dropout`'s seeded mask is the one its backward pass uses, and an
//! `Embedding(mask_zero)` model's gradients agree with TensorFlow's
//! (`tests/keras_files/gradients/record.py`).

mod common;

use std::path::Path;

use common::json_array;
use ndarray::{Array2, Array3, ArrayD, IxDyn, array, s};
use rnn_basics::layers::{Dense, Dropout, Embedding, Masking};
use rnn_basics::model::{ModelLayer, Sequential};
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Backward, Dataset, FitConfig, Loss, Sgd, Target};
use serde_json::Value;

/// `Σ output · cotangent`, summed in f64.
fn loss(out: &ArrayD<f32>, cot: &ArrayD<f32>) -> f64 {
    out.iter()
        .zip(cot)
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum()
}

/// Every weight's gradient from the backward pass against the central
/// difference `(L(w + ε) - L(w - ε)) / 2ε`, one entry at a time; `run`
/// is the forward pass whose `L` is differentiated. Returns the largest
/// error relative to `1 + |gradient|`.
fn weight_errors(
    model: &Sequential,
    cot: &ArrayD<f32>,
    grads: &[ArrayD<f32>],
    run: impl Fn(&Sequential) -> ArrayD<f32>,
) -> f64 {
    const EPS: f32 = 4e-3;
    let count = model.weights().len();
    assert_eq!(grads.len(), count, "one gradient per weight");
    let mut worst = 0.0f64;
    for (w, grad) in grads.iter().enumerate() {
        let len = model.weights()[w].len();
        assert_eq!(
            grad.shape(),
            model.weights()[w].shape(),
            "weight {w}: gradient shape"
        );
        for i in 0..len {
            let mut plus = model.clone();
            *plus.weights_mut()[w].iter_mut().nth(i).unwrap() += EPS;
            let mut minus = model.clone();
            *minus.weights_mut()[w].iter_mut().nth(i).unwrap() -= EPS;
            let numeric = (loss(&run(&plus), cot) - loss(&run(&minus), cot)) / (2.0 * EPS as f64);
            let analytic = grad.iter().nth(i).copied().unwrap() as f64;
            let err = (numeric - analytic).abs() / (1.0 + analytic.abs());
            assert!(err.is_finite(), "weight {w}[{i}]: {analytic} vs {numeric}");
            worst = worst.max(err);
        }
    }
    worst
}

/// Embedding(7, 3, mask_zero) → LSTM(4, return_sequences) → Dense(2, tanh).
fn embedding_model() -> Sequential {
    let mut rng = init::rng(11);
    let table = init::normal(&mut rng, (7, 3)) * 0.5;
    let mut model = Sequential::new(&[None, Some(6)]);
    model
        .add(Embedding::from_weights(table, true).unwrap())
        .unwrap()
        .add(Lstm::new(4, 3, &mut rng).unwrap().return_sequences(true))
        .unwrap()
        .add(
            Dense::new(2, 4, &mut rng)
                .unwrap()
                .with_activation(Activation::Tanh),
        )
        .unwrap();
    model
}

/// Token ids with padding (0) at the end, inside a sequence and at its start.
fn ids() -> ArrayD<f32> {
    array![
        [3.0f32, 1.0, 4.0, 0.0, 0.0, 0.0],
        [2.0, 0.0, 5.0, 6.0, 1.0, 0.0],
        [0.0, 6.0, 2.0, 3.0, 1.0, 4.0],
    ]
    .into_dyn()
}

fn gradients(model: &Sequential, x: &ArrayD<f32>, cot: &ArrayD<f32>) -> train::Gradients {
    let (out, tape) = model.forward_train(x.view(), CallArgs::default()).unwrap();
    assert_eq!(out.shape(), cot.shape());
    model.backward(&tape, &[cot.view()]).unwrap()
}

#[test]
fn embedding_gradients_match_central_differences() {
    let model = embedding_model();
    let x = ids();
    let cot = init::normal(&mut init::rng(5), (3, 6, 2)).into_dyn();
    let g = gradients(&model, &x, &cot);
    let worst = weight_errors(&model, &cot, &g.weights, |m| m.forward(x.view()).unwrap());
    assert!(worst < 3e-4, "largest error {worst}");

    let table = &g.weights[0];
    // Id 0 is padding: the LSTM skips those steps, so its row learns nothing.
    assert!(table.slice(s![0, ..]).iter().all(|&v| v == 0.0), "{table}");
    // Every other id appears and gets a gradient.
    for id in 1..7 {
        assert!(
            table.slice(s![id, ..]).iter().any(|&v| v != 0.0),
            "row {id}: {table}"
        );
    }
    // Token ids are not differentiable: the input's gradient is zero.
    assert_eq!(g.input.shape(), x.shape());
    assert!(g.input.iter().all(|&v| v == 0.0));
    // The same tape, the same bits.
    assert_eq!(gradients(&model, &x, &cot), g);
}

/// The table's gradient is the sum of the output gradient rows by id: with
/// the Embedding alone, row `i` is Σ of `dy[b, t]` over the positions of `i`.
#[test]
fn embedding_alone_adds_output_gradients_by_id() {
    let table = Array2::from_shape_fn((5, 2), |(i, j)| (i * 2 + j) as f32);
    let emb = Embedding::from_weights(table, false).unwrap();
    let x = array![[1.0f32, 3.0, 1.0], [4.0, 1.0, 0.0]].into_dyn();
    let (out, tape) = emb.forward_train(x.view(), CallArgs::default()).unwrap();
    assert_eq!(out, emb.forward(x.view()).unwrap());
    let dy =
        Array3::from_shape_fn((2, 3, 2), |(b, t, j)| (1 + b * 6 + t * 2 + j) as f32).into_dyn();
    let g = emb.backward(&tape, &[dy.view()]).unwrap();
    let want = array![
        [11.0f32, 12.0],                     // id 0 at [1, 2]
        [1.0 + 5.0 + 9.0, 2.0 + 6.0 + 10.0], // id 1 at [0, 0], [0, 2], [1, 1]
        [0.0, 0.0],
        [3.0, 4.0],
        [7.0, 8.0],
    ]
    .into_dyn();
    assert_eq!(g.weights, vec![want]);
    // A gradient of the wrong shape is an error, not a panic.
    let bad = ArrayD::<f32>::zeros(IxDyn(&[2, 3, 3]));
    let err = emb.backward(&tape, &[bad.view()]).unwrap_err().to_string();
    assert!(
        err.contains("Embedding") && err.contains("(2, 3, 2)"),
        "{err}"
    );
}

/// In training as at inference, `mask_zero` makes the LSTM skip padding:
/// the padded sequence's last state is the unpadded one's.
#[test]
fn embedding_mask_reaches_the_lstm_in_training() {
    let model = embedding_model();
    let x = ids();
    let (train_out, _) = model.forward_train(x.view(), CallArgs::default()).unwrap();
    let infer_out = model.forward(x.view()).unwrap();
    let diff = (&train_out - &infer_out)
        .mapv(f32::abs)
        .fold(0.0f32, |a, &b| a.max(b));
    assert!(diff < 1e-6, "training and inference differ by {diff}");

    // Without padding, ids [3, 1, 4] alone give the same first three steps
    // and, since padding repeats the last output, the same last step.
    let mut rebuilt = Sequential::new(&[None, Some(3)]);
    for layer in model.layers() {
        rebuilt.add(layer.clone()).unwrap();
    }
    let (alone, _) = rebuilt
        .forward_train(
            array![[3.0f32, 1.0, 4.0]].into_dyn().view(),
            CallArgs::default(),
        )
        .unwrap();
    for t in 0..6 {
        let want = alone.slice(s![0, t.min(2), ..]);
        let got = train_out.slice(s![0, t, ..]);
        let diff = (&got - &want).mapv(f32::abs).fold(0.0f32, |a, &b| a.max(b));
        assert!(diff < 1e-6, "step {t}: {got} vs {want}");
    }
}

/// Masking(-1) → GRU(3, return_sequences) → Dense(2).
fn masking_model() -> Sequential {
    let mut rng = init::rng(23);
    let mut model = Sequential::new(&[None, Some(5), Some(2)]);
    model
        .add(Masking::new(-1.0))
        .unwrap()
        .add(Gru::new(3, 2, &mut rng).unwrap().return_sequences(true))
        .unwrap()
        .add(Dense::new(2, 3, &mut rng).unwrap())
        .unwrap();
    model
}

/// Steps `(b, t)` that are padding: all features -1.
const PADDED: [(usize, usize); 4] = [(0, 3), (0, 4), (1, 1), (2, 0)];

fn masking_input() -> ArrayD<f32> {
    let mut x = init::normal(&mut init::rng(29), (3, 5, 2));
    for (b, t) in PADDED {
        x.slice_mut(s![b, t, ..]).fill(-1.0);
    }
    x.into_dyn()
}

#[test]
fn masking_gradients_match_central_differences() {
    let model = masking_model();
    let x = masking_input();
    let cot = init::normal(&mut init::rng(31), (3, 5, 2)).into_dyn();
    let g = gradients(&model, &x, &cot);
    let worst = weight_errors(&model, &cot, &g.weights, |m| m.forward(x.view()).unwrap());
    assert!(worst < 3e-4, "weights: largest error {worst}");

    // The input's gradient: zero on padding (Masking zeroes those steps and
    // the GRU skips them), the central difference elsewhere.
    const EPS: f32 = 4e-3;
    let mut worst = 0.0f64;
    for ((b, t, f), &analytic) in g
        .input
        .view()
        .into_dimensionality::<ndarray::Ix3>()
        .unwrap()
        .indexed_iter()
    {
        if PADDED.contains(&(b, t)) {
            assert_eq!(analytic, 0.0, "padding [{b}, {t}, {f}]");
            continue;
        }
        let nudged = |by: f32| {
            let mut x = x.clone();
            x[[b, t, f]] += by;
            loss(&model.forward(x.view()).unwrap(), &cot)
        };
        let numeric = (nudged(EPS) - nudged(-EPS)) / (2.0 * EPS as f64);
        let err = (numeric - analytic as f64).abs() / (1.0 + (analytic as f64).abs());
        assert!(err.is_finite(), "[{b}, {t}, {f}]: {analytic} vs {numeric}");
        assert!(analytic != 0.0, "[{b}, {t}, {f}] is not padding");
        worst = worst.max(err);
    }
    assert!(worst < 3e-4, "input: largest error {worst}");
}

/// Masking's own backward pass: the gradient on kept steps, zero on padding,
/// and the mask it makes goes on to the GRU (the padded step repeats the
/// GRU's output before it, in training as at inference).
#[test]
fn masking_passes_kept_steps_and_its_mask() {
    let masking = Masking::new(-1.0);
    let x = masking_input();
    let (out, tape) = masking
        .forward_train(x.view(), CallArgs::default())
        .unwrap();
    assert_eq!(out, masking.forward(x.view()).unwrap());
    let dy = init::normal(&mut init::rng(37), (3, 5, 2)).into_dyn();
    let dx = masking.backward(&tape, &[dy.view()]).unwrap().input;
    for ((b, t, f), &v) in dx
        .view()
        .into_dimensionality::<ndarray::Ix3>()
        .unwrap()
        .indexed_iter()
    {
        let want = if PADDED.contains(&(b, t)) {
            0.0
        } else {
            dy[[b, t, f]]
        };
        assert_eq!(v, want, "[{b}, {t}, {f}]");
    }

    let model = masking_model();
    let (train_out, _) = model.forward_train(x.view(), CallArgs::default()).unwrap();
    let infer_out = model.forward(x.view()).unwrap();
    let diff = (&train_out - &infer_out)
        .mapv(f32::abs)
        .fold(0.0f32, |a, &b| a.max(b));
    assert!(diff < 1e-6, "training and inference differ by {diff}");
    // Sequence 1 is padding at step 1: the GRU's output there is step 0's,
    // so the Dense's output is too.
    assert_eq!(train_out.slice(s![1, 1, ..]), train_out.slice(s![1, 0, ..]));
}

#[test]
fn dropout_masks_are_seeded() {
    let d = Dropout::new(0.3).unwrap().with_seed(Some(42));
    let shape = [200, 50];
    let a = d.mask(&shape);
    assert_eq!(a, d.mask(&shape), "the same seed and step, the same mask");
    let scale = 1.0 / 0.7f32;
    assert!(a.iter().all(|&m| m == 0.0 || m == scale));
    let kept = a.iter().filter(|&&m| m != 0.0).count() as f64 / a.len() as f64;
    assert!((kept - 0.7).abs() < 0.02, "kept {kept}");

    let mut next = d.clone();
    next.set_step(1);
    assert_ne!(a, next.mask(&shape), "another step, another mask");
    let other = Dropout::new(0.3).unwrap().with_seed(Some(43));
    assert_ne!(a, other.mask(&shape), "another seed, another mask");

    let none = Dropout::new(0.0).unwrap();
    assert!(
        none.mask(&shape).iter().all(|&m| m == 1.0),
        "rate 0 keeps all"
    );
}

#[test]
fn dropout_backward_uses_the_forward_mask() {
    let d = Dropout::new(0.5).unwrap().with_seed(Some(3));
    let x = (init::normal(&mut init::rng(1), (4, 6, 5)) + 3.0).into_dyn();
    let (out, tape) = d.forward_train(x.view(), CallArgs::default()).unwrap();
    assert_eq!(tape.mask(), &d.mask(x.shape()));
    for ((y, x), m) in out.iter().zip(&x).zip(tape.mask()) {
        assert_eq!(*y, if *m == 0.0 { 0.0 } else { x * 2.0 });
    }
    let dy = init::normal(&mut init::rng(2), (4, 6, 5)).into_dyn();
    let dx = d.backward(&tape, &[dy.view()]).unwrap().input;
    for ((g, y), dy) in dx.iter().zip(&out).zip(&dy) {
        // Dropped where the output was dropped, scaled where it was kept.
        assert_eq!(*g, if *y == 0.0 { 0.0 } else { dy * 2.0 });
    }
    let dropped = out.iter().filter(|&&y| y == 0.0).count();
    assert!(dropped > 0 && dropped < out.len());
}

/// LSTM → Dropout → Dense: with the mask fixed (one step), the model is a
/// function of its weights whose gradient the backward pass gives; and at
/// inference the Dropout is the identity.
#[test]
fn dropout_inside_a_model() {
    let mut rng = init::rng(41);
    let mut model = Sequential::new(&[None, Some(4), Some(3)]);
    model
        .add(Lstm::new(5, 3, &mut rng).unwrap().return_sequences(true))
        .unwrap()
        .add(Dropout::new(0.4).unwrap().with_seed(Some(9)))
        .unwrap()
        .add(Dense::new(2, 5, &mut rng).unwrap())
        .unwrap();
    let x = init::normal(&mut rng, (3, 4, 3)).into_dyn();
    let cot = init::normal(&mut rng, (3, 4, 2)).into_dyn();
    let g = gradients(&model, &x, &cot);
    let worst = weight_errors(&model, &cot, &g.weights, |m| {
        m.forward_train(x.view(), CallArgs::default()).unwrap().0
    });
    assert!(worst < 3e-4, "largest error {worst}");

    // Inference: the same as the model without the Dropout.
    let mut without = Sequential::new(&[None, Some(4), Some(3)]);
    without.add(model.layers()[0].clone()).unwrap();
    without.add(model.layers()[2].clone()).unwrap();
    assert_eq!(
        model.forward(x.view()).unwrap(),
        without.forward(x.view()).unwrap()
    );
    let (train_out, _) = model.forward_train(x.view(), CallArgs::default()).unwrap();
    assert_ne!(
        train_out,
        without.forward(x.view()).unwrap(),
        "training drops"
    );
}

/// `fit` trains through all three, the same way on every run, and draws a
/// new Dropout mask per update.
#[test]
fn fit_trains_through_embedding_masking_and_dropout() {
    let run = || {
        let mut rng = init::rng(7);
        let mut model = Sequential::new(&[None, Some(6)]);
        let table = init::normal(&mut rng, (7, 4)) * 0.3;
        model
            .add(ModelLayer::Embedding(
                Embedding::from_weights(table, true).unwrap(),
            ))
            .unwrap()
            .add(Dropout::new(0.2).unwrap())
            .unwrap()
            .add(Lstm::new(8, 4, &mut rng).unwrap())
            .unwrap()
            .add(Dense::new(2, 8, &mut rng).unwrap())
            .unwrap();
        // Label: whether id 6 appears.
        let x = Array2::from_shape_fn((32, 6), |(b, t)| {
            ((b * 7 + t * 3) % 7) as f32 * ((t + b) % 5 != 0) as u8 as f32
        });
        let labels = x.map_axis(ndarray::Axis(1), |r| r.iter().any(|&v| v == 6.0) as usize);
        let history = train::fit(
            &mut model,
            Dataset {
                x: x.view().into_dyn(),
                target: Target::Classes(labels.view().into_dyn()),
                mask: None,
            },
            Loss::SoftmaxCrossEntropy,
            &mut Sgd::new(0.5),
            &FitConfig {
                epochs: 8,
                batch_size: 8,
                ..FitConfig::default()
            },
            |_, _| {},
        )
        .unwrap();
        let ModelLayer::Dropout(d) = &model.layers()[1] else {
            unreachable!()
        };
        assert_ne!(d.step(), 0, "fit sets a step per update");
        (
            history,
            model
                .weights()
                .iter()
                .map(|w| w.to_owned())
                .collect::<Vec<_>>(),
        )
    };
    let (history, weights) = run();
    assert!(
        history.loss.last().unwrap() < history.loss.first().unwrap(),
        "{history:?}"
    );
    let (history2, weights2) = run();
    assert_eq!(history, history2);
    assert_eq!(weights, weights2);

    // Masking → GRU → Dense trains too.
    let mut model = masking_model();
    let x = masking_input();
    let target = init::normal(&mut init::rng(3), (3, 5, 2)).into_dyn();
    let history = train::fit(
        &mut model,
        Dataset {
            x: x.view(),
            target: Target::Values(target.view()),
            mask: None,
        },
        Loss::MeanSquaredError,
        &mut Sgd::new(0.1),
        &FitConfig {
            epochs: 5,
            batch_size: 3,
            ..FitConfig::default()
        },
        |_, _| {},
    )
    .unwrap();
    assert!(history.loss[4] < history.loss[0], "{history:?}");
}

/// TensorFlow's gradients of `Σ output · cotangent` for
/// Embedding(7, 3, mask_zero) → LSTM(4, return_sequences) → Dense(2, tanh),
/// recorded by `tests/keras_files/gradients/record.py` (keras 3.15.1,
/// tensorflow-cpu 2.21).
#[test]
fn embedding_lstm_gradients_match_tensorflow() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keras_files/gradients/embedding_mask_lstm.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut model = embedding_model();
    let weights: Vec<ArrayD<f32>> = case["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(json_array)
        .collect();
    model.set_weights(&weights).unwrap();
    let ids: Vec<f32> = case["ids"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect();
    let x = ArrayD::from_shape_vec(IxDyn(&[3, 6]), ids).unwrap();
    let cot = json_array(&case["cotangent"]);
    let (out, tape) = model.forward_train(x.view(), CallArgs::default()).unwrap();
    let close = |a: &ArrayD<f32>, b: &ArrayD<f32>, what: &str| {
        assert_eq!(a.shape(), b.shape(), "{what}");
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!(
                (p - q).abs() <= 2e-6,
                "{what}[{i}]: {p} vs TensorFlow's {q}"
            );
        }
    };
    close(&out, &json_array(&case["output"]), "output");
    let g = model.backward(&tape, &[cot.view()]).unwrap();
    let want: Vec<ArrayD<f32>> = case["gradients"]
        .as_array()
        .unwrap()
        .iter()
        .map(json_array)
        .collect();
    assert_eq!(g.weights.len(), want.len());
    for ((got, want), name) in g
        .weights
        .iter()
        .zip(&want)
        .zip(case["names"].as_array().unwrap())
    {
        close(got, want, name.as_str().unwrap());
    }
}
