//! Training with `dropout` and `recurrent_dropout` on the recurrent layers:
//! the forward pass and the gradients agree with Keras and TensorFlow given
//! the same masks (`tests/keras_files/gradients/record_dropout.py`), the
//! masks are seeded and shaped as Keras shapes them, inference ignores
//! them, and `fit` trains with them.

mod common;

use std::path::Path;

use common::json_array;
use ndarray::{Array2, Array3, ArrayD, Ix1, Ix2, IxDyn};
use rnn_basics::activation::Activation;
use rnn_basics::cell::{GruCell, LstmCell, SimpleRnnCell};
use rnn_basics::layers::{Dense, Fused, RecurrentLayer};
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Backward, CellBackward, Dataset, DropoutMasks, FitConfig};
use rnn_basics::train::{Loss, Sgd, Target};
use serde_json::Value;

fn matrices(v: &Value) -> Vec<Array2<f32>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| json_array(m).into_dimensionality::<Ix2>().unwrap())
        .collect()
}

/// Within 1e-5, or 1e-4 of the value: the Keras cases' tolerance.
fn assert_close(ours: &ArrayD<f32>, theirs: &ArrayD<f32>, what: &str) {
    assert_eq!(ours.shape(), theirs.shape(), "{what}: shape");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let diff = (a - b).abs();
        assert!(
            diff <= 1e-5 || diff <= 1e-4 * b.abs(),
            "{what}[{i}]: ours {a}, Keras's {b}"
        );
    }
}

/// Runs one recorded case through `layer` with the recorded masks.
fn check_case<C: CellBackward>(layer: Fused<C>, case: &Value) {
    let name = case["name"].as_str().unwrap();
    let cfg = &case["layer"];
    let flag = |k: &str| cfg[k].as_bool().unwrap_or(false);
    let layer = layer
        .return_sequences(flag("return_sequences"))
        .go_backwards(flag("go_backwards"))
        .with_dropout(
            cfg["dropout"].as_f64().unwrap() as f32,
            cfg["recurrent_dropout"].as_f64().unwrap() as f32,
        )
        .unwrap();
    let x = json_array(&case["input"]);
    let mask = case.get("mask").map(|m| json_array(m).mapv(|v| v != 0.0));
    let mask = mask.map(|m| m.into_dimensionality::<Ix2>().unwrap());
    let args = CallArgs {
        mask: mask.as_ref().map(|m| m.view()),
        initial_state: None,
    };
    let masks = DropoutMasks {
        input: matrices(&case["input_masks"]),
        recurrent: matrices(&case["recurrent_masks"]),
    };
    let (out, tape) = layer
        .forward_train_with_masks(x.view(), args, masks)
        .unwrap();
    assert_close(
        &out.output,
        &json_array(&case["output"]),
        &format!("{name} output"),
    );
    let cot = json_array(&case["cotangent"]);
    let grads = layer.backward(&tape, &[cot.view()]).unwrap();
    let ours = grads.weights.iter().chain(std::iter::once(&grads.input));
    let theirs = case["gradients"].as_array().unwrap();
    assert_eq!(theirs.len(), grads.weights.len() + 1, "{name}");
    for (g, want) in ours.zip(theirs) {
        let what = format!("{name} gradient of {}", want["name"].as_str().unwrap());
        assert_close(g, &json_array(want), &what);
    }
}

/// Keras's weights of a case, in `get_weights()` order.
fn weights(case: &Value) -> (Array2<f32>, Array2<f32>, ArrayD<f32>) {
    let w: Vec<ArrayD<f32>> = case["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(json_array)
        .collect();
    let two = |a: &ArrayD<f32>| a.clone().into_dimensionality::<Ix2>().unwrap();
    (two(&w[0]), two(&w[1]), w[2].clone())
}

/// Keras's training forward pass and TensorFlow's gradients of
/// `Σ output · cotangent` with respect to every weight and the input, for
/// SimpleRNN, LSTM and GRU (both `reset_after`) with `dropout`,
/// `recurrent_dropout` or both, masks, and `go_backwards`.
#[test]
fn dropout_gradients_match_tensorflow() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keras_files/gradients/recurrent_dropout.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for case in cases {
        let (kernel, recurrent, bias) = weights(case);
        let vector = || Some(bias.clone().into_dimensionality::<Ix1>().unwrap());
        let (tanh, sigmoid) = (Activation::Tanh, Activation::Sigmoid);
        match case["layer"]["type"].as_str().unwrap() {
            "SimpleRNN" => check_case(
                Fused::from_cell(
                    SimpleRnnCell::from_weights(kernel, recurrent, vector(), tanh).unwrap(),
                ),
                case,
            ),
            "LSTM" => check_case(
                Fused::from_cell(
                    LstmCell::from_weights(kernel, recurrent, vector(), tanh, sigmoid).unwrap(),
                ),
                case,
            ),
            _ => {
                let reset_after = case["layer"]["reset_after"].as_bool().unwrap_or(true);
                let bias = match bias.ndim() {
                    1 => bias.insert_axis(ndarray::Axis(0)),
                    _ => bias,
                };
                let bias = bias.into_dimensionality::<Ix2>().unwrap();
                let cell = GruCell::from_weights(
                    kernel,
                    recurrent,
                    Some(bias),
                    reset_after,
                    tanh,
                    sigmoid,
                );
                check_case(Fused::from_cell(cell.unwrap()), case);
            }
        }
    }
}

fn lstm(dropout: f32, recurrent_dropout: f32) -> Lstm {
    Lstm::new(5, 3, &mut init::rng(4))
        .unwrap()
        .return_sequences(true)
        .with_dropout(dropout, recurrent_dropout)
        .unwrap()
        .with_dropout_seed(Some(11))
}

fn input() -> Array3<f32> {
    init::normal(&mut init::rng(5), (4, 6, 3))
}

fn train_output(layer: &Lstm) -> ArrayD<f32> {
    let x = input();
    layer
        .forward_train(x.view().into_dyn(), CallArgs::default())
        .unwrap()
        .0
        .output
}

#[test]
fn inference_ignores_dropout_and_training_applies_it() {
    let x = input();
    let plain = lstm(0.0, 0.0);
    let dropped = lstm(0.3, 0.4);
    let out = |l: &Lstm| l.call(&x).unwrap().output;
    assert_eq!(out(&plain), out(&dropped), "inference is the identity");
    assert_eq!(
        train_output(&plain),
        out(&plain),
        "no rates: training = inference"
    );
    assert_ne!(train_output(&dropped), out(&dropped), "training drops");
    for (d, rd) in [(0.3, 0.0), (0.0, 0.3)] {
        assert_ne!(train_output(&lstm(d, rd)), out(&plain), "({d}, {rd}) drops");
    }
}

#[test]
fn masks_are_seeded_by_seed_and_step() {
    let mut layer = lstm(0.3, 0.4);
    let first = train_output(&layer);
    assert_eq!(
        first,
        train_output(&layer),
        "same seed and step, same masks"
    );
    layer.set_dropout_step(1);
    let second = train_output(&layer);
    assert_ne!(first, second, "another step, other masks");
    layer.set_dropout_step(0);
    assert_eq!(
        first,
        train_output(&layer.clone().with_dropout_seed(Some(11)))
    );
    assert_ne!(first, train_output(&layer.with_dropout_seed(Some(12))));
}

/// Keras's structure: with `recurrent_dropout` every gate drops its own
/// input features, so a gate's input gradient is zero only where its own
/// mask is; with `dropout` alone one mask serves every gate, so a dropped
/// feature's input gradient is zero at every step.
#[test]
fn dropout_alone_drops_the_same_features_at_every_step() {
    let x = input();
    let layer = lstm(0.5, 0.0);
    let (out, tape) = layer
        .forward_train(x.view().into_dyn(), CallArgs::default())
        .unwrap();
    let ones = out.output.mapv(|_| 1.0f32);
    let d_x = layer.backward(&tape, &[ones.view()]).unwrap().input;
    let (batch, time, features) = (4, 6, 3);
    let mut dropped = 0;
    for b in 0..batch {
        for f in 0..features {
            let zeros = (0..time).filter(|&t| d_x[[b, t, f]] == 0.0).count();
            assert!(
                zeros == 0 || zeros == time,
                "example {b} feature {f}: {zeros} zero steps"
            );
            dropped += usize::from(zeros == time);
        }
    }
    assert!(
        dropped > 0 && dropped < batch * features,
        "{dropped} dropped"
    );
}

/// Per-gate masks of ones on the per-gate path give what the ordinary path
/// gives: the same recurrence written twice.
#[test]
fn masks_of_ones_give_the_ordinary_gradients() {
    let x = input();
    let cells: Vec<(RecurrentLayer, usize)> = vec![
        (SimpleRnn::new(4, 3, &mut init::rng(1)).unwrap().into(), 1),
        (Lstm::new(4, 3, &mut init::rng(2)).unwrap().into(), 4),
        (Gru::new(4, 3, &mut init::rng(3)).unwrap().into(), 3),
        (
            Fused::from_cell(
                GruCell::new(4, 3, &mut init::rng(3))
                    .unwrap()
                    .with_reset_after(false),
            )
            .into(),
            3,
        ),
    ];
    let mask = Array2::from_shape_fn((4, 6), |(b, t)| t < 6 - b);
    for (layer, gates) in cells {
        let mut layer = layer;
        layer.config_mut().return_sequences = true;
        layer.config_mut().go_backwards = gates == 3;
        let args = CallArgs {
            mask: Some(mask.view()),
            initial_state: None,
        };
        let ones = |cols: usize| vec![Array2::<f32>::ones((4, cols)); gates];
        let masks = DropoutMasks {
            input: ones(3),
            recurrent: ones(4),
        };
        let cot = init::normal(&mut init::rng(9), (4, 6, 4)).into_dyn();
        let (a, b) = match &layer {
            RecurrentLayer::SimpleRnn(l) => both(l, x.view().into_dyn(), args, masks, &cot),
            RecurrentLayer::Lstm(l) => both(l, x.view().into_dyn(), args, masks, &cot),
            RecurrentLayer::Gru(l) => both(l, x.view().into_dyn(), args, masks, &cot),
        };
        for (p, q) in a.iter().zip(&b) {
            assert_close(p, q, layer.type_name());
        }
    }
}

/// The output, the weights' gradients and the input's, on the ordinary
/// path and on the per-gate path.
fn both<C: CellBackward>(
    layer: &Fused<C>,
    x: ndarray::ArrayViewD<'_, f32>,
    args: CallArgs<'_>,
    masks: DropoutMasks,
    cot: &ArrayD<f32>,
) -> (Vec<ArrayD<f32>>, Vec<ArrayD<f32>>) {
    let (out, tape) = layer.forward_train(x.view(), args).unwrap();
    let plain = everything(out, layer.backward(&tape, &[cot.view()]).unwrap());
    let (out, tape) = layer.forward_train_with_masks(x, args, masks).unwrap();
    let gated = everything(out, layer.backward(&tape, &[cot.view()]).unwrap());
    (plain, gated)
}

/// The output, then the weights' gradients, then the input's.
fn everything(out: rnn_basics::rnn::RnnOutput, grads: train::Gradients) -> Vec<ArrayD<f32>> {
    let mut all = vec![out.output];
    all.extend(grads.weights);
    all.push(grads.input);
    all
}

#[test]
fn masks_of_the_wrong_shape_or_count_are_refused() {
    let x = input();
    let layer = lstm(0.3, 0.3);
    let bad = |masks: DropoutMasks| {
        layer
            .forward_train_with_masks(x.view().into_dyn(), CallArgs::default(), masks)
            .unwrap_err()
            .to_string()
    };
    let wrong_shape = bad(DropoutMasks {
        input: vec![Array2::ones((4, 2))],
        recurrent: Vec::new(),
    });
    assert!(
        wrong_shape.contains("(4, 3)") && wrong_shape.contains("(4, 2)"),
        "{wrong_shape}"
    );
    let wrong_count = bad(DropoutMasks {
        input: Vec::new(),
        recurrent: vec![Array2::ones((4, 5)); 2],
    });
    assert!(
        wrong_count.contains("one per gate (4), got 2"),
        "{wrong_count}"
    );
    let rate = Lstm::new(2, 2, &mut init::rng(0))
        .unwrap()
        .with_dropout(0.2, 1.0);
    let rate = rate.unwrap_err().to_string();
    assert!(
        rate.contains("recurrent_dropout") && rate.contains("got 1"),
        "{rate}"
    );
}

/// A model with recurrent dropout trains, gives the same history on every
/// run, and draws new masks at every update.
#[test]
fn fit_trains_with_recurrent_dropout() {
    let run = || {
        let mut model = Sequential::with_input_shape(&[6, 3]);
        let lstm = Lstm::new(8, 3, &mut init::rng(1))
            .unwrap()
            .with_dropout(0.2, 0.3)
            .unwrap();
        model.add(lstm).unwrap();
        model
            .add(Dense::new(2, 8, &mut init::rng(2)).unwrap())
            .unwrap();
        let x = init::normal(&mut init::rng(3), (16, 6, 3));
        let y = x
            .sum_axis(ndarray::Axis(1))
            .slice_move(ndarray::s![.., 0..2]);
        let data = Dataset {
            x: x.view().into_dyn(),
            mask: None,
            target: Target::Values(y.view().into_dyn()),
        };
        let config = FitConfig {
            epochs: 6,
            batch_size: 4,
            ..FitConfig::default()
        };
        let mut sgd = Sgd::new(0.05);
        train::fit(
            &mut model,
            data,
            Loss::MeanSquaredError,
            &mut sgd,
            &config,
            |_, _| {},
        )
        .unwrap()
    };
    let history = run();
    assert_eq!(history, run(), "seeded: the same on every run");
    assert!(history.loss[5] < history.loss[0], "{history:?}");
}

/// Every recurrent layer with dropout, the two halves of a `Bidirectional`
/// included, draws new masks at each update, and other masks than the
/// layer beside it.
#[test]
fn fit_gives_every_recurrent_layer_a_new_step_each_update() {
    use rnn_basics::layers::{Bidirectional, MergeMode};
    use rnn_basics::model::ModelLayer;
    let lstm = |input| {
        Lstm::new(4, input, &mut init::rng(1))
            .unwrap()
            .return_sequences(true)
            .with_dropout(0.2, 0.3)
            .unwrap()
    };
    let both = Bidirectional::new(lstm(3).into(), lstm(3).into(), MergeMode::Concat).unwrap();
    let mut model = Sequential::with_input_shape(&[6, 3]);
    model.add(both).unwrap().add(lstm(8)).unwrap();
    let x = init::normal(&mut init::rng(3), (8, 6, 3));
    let y = init::normal(&mut init::rng(4), (8, 6, 4));
    // A seed whose every bit is set, too: a layer's place must still change its step.
    for seed in [0, u64::MAX] {
        let config = FitConfig {
            epochs: 3,
            batch_size: 8,
            seed,
            ..FitConfig::default()
        };
        let mut steps: Vec<Vec<u64>> = Vec::new();
        train::fit(
            &mut model,
            Dataset {
                x: x.view().into_dyn(),
                mask: None,
                target: Target::Values(y.view().into_dyn()),
            },
            Loss::MeanSquaredError,
            &mut Sgd::new(0.01),
            &config,
            |_, model| {
                steps.push(
                    model
                        .layers()
                        .iter()
                        .flat_map(|l| match l {
                            ModelLayer::Bidirectional(b) => vec![
                                b.forward_layer().dropout_step(),
                                b.backward_layer().dropout_step(),
                            ],
                            ModelLayer::Recurrent(r) => vec![r.dropout_step()],
                            _ => vec![],
                        })
                        .collect(),
                )
            },
        )
        .unwrap();
        // [forward half, backward half, the LSTM after], one update an epoch.
        assert!(
            steps.windows(2).all(|w| (0..3).all(|i| w[0][i] != w[1][i])),
            "{steps:?}"
        );
        assert!(
            steps.iter().all(|s| s[0] == s[1] && s[1] != s[2]),
            "{steps:?}"
        );
    }
}

/// The masks drawn for training follow Keras's structure, hold only 0 and
/// `1 / (1 - rate)`, drop about `rate` of the numbers, and differ between
/// the two halves of a `Bidirectional` layer (through `go_backwards`).
#[test]
fn drawn_masks_have_keras_structure() {
    let rng = || init::rng(0);
    let counts = |m: &DropoutMasks| (m.input.len(), m.recurrent.len());
    let simple = SimpleRnn::new(6, 5, &mut rng()).unwrap();
    assert_eq!(
        counts(&simple.with_dropout(0.2, 0.3).unwrap().dropout_masks(2)),
        (1, 1)
    );
    let lstm = Lstm::new(6, 5, &mut rng()).unwrap();
    assert_eq!(
        counts(
            &lstm
                .clone()
                .with_dropout(0.2, 0.3)
                .unwrap()
                .dropout_masks(2)
        ),
        (4, 4)
    );
    assert_eq!(
        counts(
            &lstm
                .clone()
                .with_dropout(0.2, 0.0)
                .unwrap()
                .dropout_masks(2)
        ),
        (1, 0)
    );
    assert_eq!(counts(&lstm.dropout_masks(2)), (0, 0));
    let gru = Gru::new(6, 5, &mut rng()).unwrap();
    assert_eq!(
        counts(&gru.clone().with_dropout(0.0, 0.3).unwrap().dropout_masks(2)),
        (0, 3)
    );

    let layer = Lstm::new(100, 50, &mut rng())
        .unwrap()
        .with_dropout(0.25, 0.4)
        .unwrap();
    let masks = layer.dropout_masks(40);
    for (list, rate) in [(&masks.input, 0.25f32), (&masks.recurrent, 0.4)] {
        for (k, m) in list.iter().enumerate() {
            assert!(m.iter().all(|&v| v == 0.0 || v == 1.0 / (1.0 - rate)));
            let dropped = m.iter().filter(|&&v| v == 0.0).count() as f32 / m.len() as f32;
            assert!(
                (dropped - rate).abs() < 0.05,
                "gate {k}: {dropped} dropped, rate {rate}"
            );
            if k > 0 {
                assert_ne!(m, &list[0], "gate {k} has its own mask");
            }
        }
    }
    let backwards = layer.clone().go_backwards(true).dropout_masks(40);
    assert_ne!(masks.input[0], backwards.input[0]);
    assert_ne!(masks.recurrent[0], backwards.recurrent[0]);
}

/// Keras's `Dropout(0.4)` in training, with the mask it drew read back from
/// its output: the same mask gives Keras's output here, to the bit, and
/// TensorFlow's input gradient.
#[test]
fn dropout_layer_matches_tensorflow_with_its_mask() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keras_files/gradients/dropout_layer.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = &doc["dropout"];
    let layer = rnn_basics::layers::Dropout::new(case["rate"].as_f64().unwrap() as f32).unwrap();
    let x = json_array(&case["input"]);
    let mask = json_array(&case["mask"]);
    let (y, tape) = layer.forward_train_with_mask(x.view(), mask).unwrap();
    assert_eq!(y, json_array(&case["output"]), "Keras's output, to the bit");
    let cot = json_array(&case["cotangent"]);
    let grads = layer.backward(&tape, &[cot.view()]).unwrap();
    assert_eq!(
        grads.input,
        json_array(&case["input_gradient"]),
        "TensorFlow's gradient"
    );
    let wrong = layer.forward_train_with_mask(x.view(), ArrayD::ones(IxDyn(&[3, 5])));
    let wrong = wrong.unwrap_err().to_string();
    assert!(
        wrong.contains("(3, 5, 4)") && wrong.contains("(3, 5)"),
        "{wrong}"
    );
}

/// The masks are the same on every machine and in every version: a seed
/// and a step name one draw. (A change to how masks are drawn changes
/// every training run's numbers, so it should be a decision, not an
/// accident.)
#[test]
fn a_seed_and_step_name_the_same_masks_as_before() {
    let layer = Lstm::new(4, 3, &mut init::rng(0))
        .unwrap()
        .with_dropout(0.5, 0.5)
        .unwrap()
        .with_dropout_seed(Some(7));
    let masks = layer.dropout_masks(2);
    let kept = |list: &[Array2<f32>]| -> Vec<String> {
        list.iter()
            .map(|m| {
                m.iter()
                    .map(|&v| if v == 0.0 { '0' } else { '1' })
                    .collect()
            })
            .collect()
    };
    assert_eq!(kept(&masks.input), KEPT_INPUT, "input masks");
    assert_eq!(kept(&masks.recurrent), KEPT_RECURRENT, "recurrent masks");
    // A step with its top bits set (fit's steps mix in the rotated seed).
    let mut layer = layer;
    layer.set_dropout_step(0xF000_0000_0000_0003);
    let masks = layer.dropout_masks(2);
    let high = ["011010", "110010", "001100", "010111"];
    assert_eq!(kept(&masks.input), high, "input masks, high step");
}

/// Which numbers the masks of `a_seed_and_step_name_the_same_masks_as_before`
/// keep (1) and drop (0), example after example, gate after gate.
const KEPT_INPUT: [&str; 4] = ["001110", "100011", "001010", "011100"];
const KEPT_RECURRENT: [&str; 4] = ["00011001", "10110101", "11011001", "00100110"];

/// The per-gate path's tape holds the input, the masks, and per step the
/// previous states, the four gates and `act(c)`: its size says so.
#[test]
fn the_per_gate_tape_counts_its_bytes() {
    // lstm(): 5 units on 3 features; input(): 4 examples of 6 steps.
    let (batch, time, features, units) = (4usize, 6usize, 3usize, 5usize);
    let layer = lstm(0.3, 0.4);
    let x = input();
    let (_, tape) = layer
        .forward_train(x.view().into_dyn(), CallArgs::default())
        .unwrap();
    let masks = 4 * batch * features + 4 * batch * units;
    let per_step = batch * units * (1 + 1 + 4 + 1);
    let numbers = batch * time * features + masks + time * per_step;
    assert_eq!(tape.bytes(), numbers * 4);
    // A padding mask adds a byte a step.
    let padding = Array2::from_elem((batch, time), true);
    let args = CallArgs {
        mask: Some(padding.view()),
        initial_state: None,
    };
    let (_, tape) = layer.forward_train(x.view().into_dyn(), args).unwrap();
    assert_eq!(tape.bytes(), numbers * 4 + batch * time);
}

/// Without dropout, training takes the fast path, whose tape holds the
/// input by time, the gates' pre-activations, and the states `h` and `c`
/// of every step and the one before the first.
#[test]
fn the_fast_tape_counts_its_bytes() {
    let (batch, time, features, units) = (4usize, 6usize, 3usize, 5usize);
    let x = input();
    let (_, tape) = lstm(0.0, 0.0)
        .forward_train(x.view().into_dyn(), CallArgs::default())
        .unwrap();
    let rows = batch * time;
    let states = (time + 1) * batch * units;
    let numbers = rows * features + rows * 4 * units + 2 * states;
    assert_eq!(tape.bytes(), numbers * 4);
    // A GRU keeps `h` only, and the recurrent products (reset_after).
    let gru = Gru::new(units, features, &mut init::rng(4)).unwrap();
    let (_, tape) = gru
        .forward_train(x.view().into_dyn(), CallArgs::default())
        .unwrap();
    let numbers = rows * features + 2 * rows * 3 * units + states;
    assert_eq!(tape.bytes(), numbers * 4);
    // A padding mask adds a byte a step, on the fast path and step by step
    // (GRU with reset_after=False).
    let padding = Array2::from_elem((batch, time), true);
    let masked = CallArgs {
        mask: Some(padding.view()),
        initial_state: None,
    };
    let step_by_step = GruCell::new(units, features, &mut init::rng(4))
        .unwrap()
        .with_reset_after(false);
    let layers: [RecurrentLayer; 3] = [
        lstm(0.0, 0.0).into(),
        gru.into(),
        Fused::from_cell(step_by_step).into(),
    ];
    for layer in layers {
        let bytes = |args| {
            layer
                .forward_train(x.view().into_dyn(), args)
                .unwrap()
                .1
                .bytes()
        };
        assert_eq!(
            bytes(masked),
            bytes(CallArgs::default()) + batch * time,
            "{}",
            layer.type_name()
        );
    }
}

/// Dropout on the inputs alone (one mask for all gates) takes the ordinary
/// path on the dropped inputs; its tape keeps that mask too, a number per
/// example and feature, for the backward pass.
#[test]
fn an_input_mask_adds_its_numbers_to_the_tape() {
    let (batch, features, units) = (4usize, 3usize, 5usize);
    let x = input();
    let bytes = |dropout: f32| {
        SimpleRnn::new(units, features, &mut init::rng(4))
            .unwrap()
            .with_dropout(dropout, 0.0)
            .unwrap()
            .with_dropout_seed(Some(11))
            .forward_train(x.view().into_dyn(), CallArgs::default())
            .unwrap()
            .1
            .bytes()
    };
    assert_eq!(bytes(0.3), bytes(0.0) + batch * features * 4);
}

/// Input masks per gate with no recurrent mask run gate by gate, as they
/// do beside recurrent masks that keep every number; one input mask
/// beside recurrent masks per gate is every gate's.
#[test]
fn input_masks_drop_gate_by_gate_on_every_path() {
    let x = input();
    let cot = init::normal(&mut init::rng(9), (4, 6, 5)).into_dyn();
    let layer = lstm(0.0, 0.0);
    let per_gate: Vec<Array2<f32>> = (0..4)
        .map(|k| Array2::from_shape_fn((4, 3), |(b, f)| ((b + f + k) % 3 != 0) as u8 as f32 * 1.5))
        .collect();
    let run = |input: Vec<Array2<f32>>, recurrent: Vec<Array2<f32>>| {
        let masks = DropoutMasks { input, recurrent };
        let (out, tape) = layer
            .forward_train_with_masks(x.view().into_dyn(), CallArgs::default(), masks)
            .unwrap();
        everything(out, layer.backward(&tape, &[cot.view()]).unwrap())
    };
    let alone = run(per_gate.clone(), Vec::new());
    let beside_ones = run(per_gate.clone(), vec![Array2::ones((4, 5)); 4]);
    for (p, q) in alone.iter().zip(&beside_ones) {
        assert_close(p, q, "LSTM, input masks per gate");
    }
    // One input mask beside recurrent masks per gate is every gate's.
    let recurrent: Vec<Array2<f32>> = (0..4)
        .map(|k| Array2::from_shape_fn((4, 5), |(b, u)| ((b + u + k) % 4 != 0) as u8 as f32 * 1.25))
        .collect();
    let shared = run(vec![per_gate[1].clone()], recurrent.clone());
    let copied = run(vec![per_gate[1].clone(); 4], recurrent);
    for (p, q) in shared.iter().zip(&copied) {
        assert_close(p, q, "LSTM, one input mask for every gate");
    }
}

/// GRU with reset_after=False trains step by step: its tape keeps the
/// input and, for every step, the previous `h`, the gates `z` and `r`,
/// the candidate and `r * h_prev`.
#[test]
fn the_step_by_step_tape_counts_its_bytes() {
    let (batch, time, features, units) = (4usize, 6usize, 3usize, 5usize);
    let x = input();
    let cell = GruCell::new(units, features, &mut init::rng(4))
        .unwrap()
        .with_reset_after(false);
    let (_, tape) = Fused::from_cell(cell)
        .forward_train(x.view().into_dyn(), CallArgs::default())
        .unwrap();
    let numbers = batch * time * features + time * 5 * batch * units;
    assert_eq!(tape.bytes(), numbers * 4);
}
