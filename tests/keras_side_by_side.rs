//! The book's side by side: for chapters 1-12, the notebook's Python run
//! with real Keras (or numpy) on the lesson's own weights, and the lesson's
//! Rust, must print the same numbers within the tolerance the chapter states.
//!
//! The fixtures in `tests/keras_side_by_side/`:
//!
//! - `weights.json`: the weights (and random inputs) each lesson uses, made
//!   here with the crate, exactly as the lesson makes them.
//!   `BLESS=1 cargo test --test keras_side_by_side` rewrites it.
//! - `keras.json` and `chNN.txt`: what Keras returned (the arrays, in full)
//!   and what the notebook's code printed (shown in chapter NN), written by
//!   `record.py` from `weights.json` (Keras 3.15.1, TensorFlow 2.21.0, CPU).
//!
//! The tests need neither Python nor Keras: they check that the lessons
//! still make the recorded weights, redo each computation with the crate
//! from the recorded weights, and compare with Keras's arrays.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::max_diff;
use ndarray::{Array2, Array3, ArrayD, ArrayViewD, Axis, IxDyn, array, s, stack};
use rnn_basics::layers::{Bidirectional, Dense, MergeMode, RecurrentLayer};
use rnn_basics::manual::{NumpyRnn, Tf1Rnn};
use rnn_basics::model::{self, Sequential};
use rnn_basics::prelude::*;
use serde_json::Value;

/// The tolerance each chapter states: Keras's numbers and the crate's agree
/// within this, element by element.
const TOLERANCE: [(&str, f64); 12] = [
    ("ch01", 1e-6),
    ("ch02", 1e-6),
    ("ch03", 1e-6),
    ("ch04", 1e-6),
    ("ch05", 1e-6),
    ("ch06", 0.0),
    ("ch07", 1e-6),
    ("ch08", 1e-6),
    ("ch09", 1e-6),
    ("ch10", 1e-6),
    ("ch11", 1e-6),
    ("ch12", 1e-6),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keras_side_by_side")
}

fn tolerance(chapter: &str) -> f64 {
    TOLERANCE
        .iter()
        .find(|(c, _)| *c == chapter)
        .map(|(_, t)| *t)
        .expect("a chapter of the table")
}

type Named = Vec<(&'static str, ArrayD<f32>)>;

fn named(name: &'static str, a: ArrayViewD<'_, f32>) -> (&'static str, ArrayD<f32>) {
    (name, a.to_owned())
}

const H: [f32; 4] = [1.0, 0.0, 0.0, 0.0];
const E: [f32; 4] = [0.0, 1.0, 0.0, 0.0];
const L: [f32; 4] = [0.0, 0.0, 1.0, 0.0];
const O: [f32; 4] = [0.0, 0.0, 0.0, 1.0];

fn train_x() -> Array3<f32> {
    Array3::from(vec![[
        [0.1f32, 4.2, 1.5, 1.1, 2.8],
        [1.0, 3.1, 2.5, 0.7, 1.1],
        [0.3, 2.1, 1.5, 2.1, 0.1],
        [2.2, 1.4, 0.5, 0.9, 1.1],
    ]])
}

// The lessons' weights, made as each lesson makes them.

/// Lesson 1: the input, the weights drawn from [0, 1), Keras's initializers.
fn ch01_lesson() -> (Array2<f32>, NumpyRnn, NumpyRnn) {
    let mut rng = init::rng(12);
    let inputs = init::uniform(&mut rng, (10, 4), 0.0, 1.0).expect("a range");
    let unit = NumpyRnn::random_unit(&mut rng, 4, 8);
    let keras = NumpyRnn::random_keras(&mut rng, 4, 8);
    (inputs, unit, keras)
}

fn ch02_lesson() -> Tf1Rnn {
    Tf1Rnn::random_normal(&mut init::rng(12), 3, 5)
}

/// Lessons 3, 4 and 5 (and the cell of 3): SimpleRNN(2) on 4 features.
fn hello_lesson() -> SimpleRnn {
    SimpleRnn::new(2, 4, &mut init::rng(12)).expect("a layer")
}

fn ch07_lesson() -> SimpleRnn {
    SimpleRnn::new(3, 5, &mut init::rng(12)).expect("a layer")
}

fn ch08_lesson() -> Lstm {
    Lstm::new(3, 5, &mut init::rng(12)).expect("a layer")
}

fn ch09_lesson() -> Gru {
    Gru::new(3, 5, &mut init::rng(12)).expect("a layer")
}

/// Lesson 10: a Bidirectional LSTM, then a pair of SimpleRNNs for the merges.
fn ch10_lesson() -> (Bidirectional<Lstm>, (SimpleRnn, SimpleRnn)) {
    let mut rng = init::rng(12);
    let forward = Lstm::new(3, 5, &mut rng).expect("a layer");
    let backward = Lstm::new(3, 5, &mut rng).expect("a layer");
    let forward = forward.return_sequences(true).return_state(true);
    let bi = Bidirectional::new(forward, backward, MergeMode::Concat).expect("a pair");
    let forward = SimpleRnn::new(3, 5, &mut rng).expect("a layer");
    let backward = SimpleRnn::new(3, 5, &mut rng).expect("a layer");
    (bi, (forward.return_sequences(true), backward))
}

/// Lesson 11: the padded input, its mask and the TF1 weights.
fn ch11_lesson() -> (Array3<f32>, Array2<bool>, Tf1Rnn) {
    let lengths = [5usize, 3, 2];
    let mut rng = init::rng(12);
    let mut x = init::normal(&mut rng, (3, 5, 2));
    for (b, &len) in lengths.iter().enumerate() {
        x.slice_mut(s![b, len.., ..]).fill(0.0);
    }
    let mask = Array2::from_shape_fn((3, 5), |(b, t)| t < lengths[b]);
    (x, mask, Tf1Rnn::random_normal(&mut rng, 2, 3))
}

/// Lesson 12: the stack and its input (the same draws, in the same order).
fn ch12_lesson() -> (Sequential, Array3<f32>) {
    let mut rng = init::rng(12);
    let mut model = Sequential::with_input_shape(&[6, 3]);
    let lstm = Lstm::new(8, 3, &mut rng).expect("a layer");
    model.add(lstm.return_sequences(true)).expect("fits");
    model
        .add(Gru::new(4, 8, &mut rng).expect("a layer"))
        .expect("fits");
    model
        .add(Dense::new(3, 4, &mut rng).expect("a layer"))
        .expect("fits");
    let x = init::normal(&mut rng, (2, 6, 3));
    (model, x)
}

fn layer_weights<'a>(names: &[&'static str], weights: Vec<ArrayViewD<'a, f32>>) -> Named {
    assert_eq!(names.len(), weights.len());
    names
        .iter()
        .zip(weights)
        .map(|(n, w)| named(n, w))
        .collect()
}

const RNN: [&str; 3] = ["kernel", "recurrent_kernel", "bias"];

/// Every chapter's weights and inputs, by name, as `weights.json` holds them.
fn lesson_weights() -> Vec<(&'static str, Named)> {
    let (inputs, unit, keras) = ch01_lesson();
    let ch01 = vec![
        named("inputs", inputs.view().into_dyn()),
        named("Wx", unit.wx.view().into_dyn()),
        named("Wh", unit.wh.view().into_dyn()),
        named("b", unit.b.view().into_dyn()),
        named("keras_Wx", keras.wx.view().into_dyn()),
        named("keras_Wh", keras.wh.view().into_dyn()),
        named("keras_b", keras.b.view().into_dyn()),
    ];
    let tf1 = ch02_lesson();
    let ch02 = vec![
        named("Wx", tf1.wx.view().into_dyn()),
        named("Wy", tf1.wy.view().into_dyn()),
        named("b", tf1.b.view().into_dyn()),
    ];
    let hello = hello_lesson();
    let (bi, (fwd, bwd)) = ch10_lesson();
    let bi_names = [
        "forward_kernel",
        "forward_recurrent_kernel",
        "forward_bias",
        "backward_kernel",
        "backward_recurrent_kernel",
        "backward_bias",
    ];
    let mut ch10 = layer_weights(&bi_names, bi.weights());
    let pair = ["merge_forward_kernel", "merge_forward_recurrent_kernel"];
    ch10.extend(layer_weights(&pair, fwd.weights()[..2].to_vec()));
    ch10.push(named("merge_forward_bias", fwd.weights()[2].view()));
    let pair = ["merge_backward_kernel", "merge_backward_recurrent_kernel"];
    ch10.extend(layer_weights(&pair, bwd.weights()[..2].to_vec()));
    ch10.push(named("merge_backward_bias", bwd.weights()[2].view()));
    let (x, mask, tf1) = ch11_lesson();
    let ch11 = vec![
        named("x", x.view().into_dyn()),
        named("mask", mask.mapv(f32::from).view().into_dyn()),
        named("kernel", tf1.wx.view().into_dyn()),
        named("recurrent_kernel", tf1.wy.view().into_dyn()),
        named("bias", tf1.b.view().into_dyn()),
    ];
    let (stack, x) = ch12_lesson();
    let stack_names = [
        "lstm_kernel",
        "lstm_recurrent_kernel",
        "lstm_bias",
        "gru_kernel",
        "gru_recurrent_kernel",
        "gru_bias",
        "dense_kernel",
        "dense_bias",
    ];
    let mut ch12 = layer_weights(&stack_names, stack.weights());
    ch12.push(named("x", x.view().into_dyn()));
    vec![
        ("ch01", ch01),
        ("ch02", ch02),
        ("ch03", layer_weights(&RNN, hello.weights())),
        ("ch04", layer_weights(&RNN, hello.weights())),
        ("ch05", layer_weights(&RNN, hello.weights())),
        ("ch06", vec![]),
        ("ch07", layer_weights(&RNN, ch07_lesson().weights())),
        ("ch08", layer_weights(&RNN, ch08_lesson().weights())),
        ("ch09", layer_weights(&RNN, ch09_lesson().weights())),
        ("ch10", ch10),
        ("ch11", ch11),
        ("ch12", ch12),
    ]
}

/// `{"shape": [...], "data": [...]}` with each float32 in its shortest form.
fn array_json(a: &ArrayD<f32>) -> String {
    let shape: Vec<String> = a.shape().iter().map(|d| d.to_string()).collect();
    let data: Vec<String> = a.iter().map(|v| format!("{v:?}")).collect();
    format!(
        "{{\"shape\": [{}], \"data\": [{}]}}",
        shape.join(", "),
        data.join(", ")
    )
}

fn weights_json() -> String {
    let mut out = String::from("{\n");
    let chapters = lesson_weights();
    for (i, (chapter, arrays)) in chapters.iter().enumerate() {
        writeln!(out, "  \"{chapter}\": {{").unwrap();
        for (j, (name, a)) in arrays.iter().enumerate() {
            let comma = if j + 1 < arrays.len() { "," } else { "" };
            writeln!(out, "    \"{name}\": {}{comma}", array_json(a)).unwrap();
        }
        let comma = if i + 1 < chapters.len() { "," } else { "" };
        writeln!(out, "  }}{comma}").unwrap();
    }
    out.push_str("}\n");
    out
}

fn read_json(name: &str) -> Value {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn to_array(v: &Value, what: &str) -> ArrayD<f64> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no shape"))
        .iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no data"))
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect();
    ArrayD::from_shape_vec(IxDyn(&shape), data).expect("shape and data agree")
}

/// One chapter's recorded weights (as float32) and Keras's results.
struct Fixture {
    chapter: &'static str,
    weights: Value,
    keras: Value,
    checked: usize,
}

impl Fixture {
    fn new(chapter: &'static str) -> Fixture {
        let weights = read_json("weights.json")[chapter].clone();
        let keras = read_json("keras.json")[chapter].clone();
        assert!(
            keras.is_object(),
            "keras.json has no {chapter}: run record.py"
        );
        Fixture {
            chapter,
            weights,
            keras,
            checked: 0,
        }
    }

    /// A recorded weight or input, as float32.
    fn w(&self, name: &str) -> ArrayD<f32> {
        let what = format!("weights.json {}.{name}", self.chapter);
        to_array(&self.weights[name], &what).mapv(|x| x as f32)
    }

    /// The recorded weights, in order, copied into a layer's own.
    fn load(&self, names: &[&str], mut into: Vec<ndarray::ArrayViewMutD<'_, f32>>) {
        assert_eq!(names.len(), into.len(), "{}: weight count", self.chapter);
        for (name, w) in names.iter().zip(into.iter_mut()) {
            w.assign(&self.w(name));
        }
    }

    /// What Keras returned under `name`.
    fn keras(&self, name: &str) -> ArrayD<f64> {
        let what = format!("keras.json {}.{name}", self.chapter);
        to_array(&self.keras[name], &what)
    }

    /// Ours within the chapter's tolerance of Keras's `name`.
    fn check(&mut self, name: &str, ours: ArrayViewD<'_, f32>) {
        let theirs = self.keras(name);
        let diff = max_diff(&ours, &theirs);
        let tol = tolerance(self.chapter);
        println!(
            "{} {name:<24} max |Python - Rust| = {diff:.2e}",
            self.chapter
        );
        assert!(
            diff <= tol,
            "{} {name}: Rust and Keras differ by {diff:e}, more than the {tol:e} \
             the chapter states\nRust:  {ours}\nKeras: {theirs}",
            self.chapter
        );
        self.checked += 1;
    }

    /// A number Keras reported (a parameter count, a dimension).
    fn int(&self, path: &[&str]) -> u64 {
        let mut v = &self.keras;
        for key in path {
            v = &v[*key];
        }
        v.as_u64()
            .unwrap_or_else(|| panic!("keras.json {}.{path:?}", self.chapter))
    }

    fn text(&self, key: &str) -> String {
        self.keras[key]
            .as_str()
            .unwrap_or_else(|| panic!("keras.json {}.{key}", self.chapter))
            .to_string()
    }

    fn done(&self, at_least: usize) {
        assert!(
            self.checked >= at_least,
            "{}: only {} comparisons",
            self.chapter,
            self.checked
        );
    }
}

fn blessing() -> bool {
    std::env::var("BLESS").is_ok_and(|v| v == "1")
}

#[test]
fn the_lessons_still_make_the_recorded_weights() {
    let path = dir().join("weights.json");
    let now = weights_json();
    if blessing() {
        std::fs::write(&path, &now).expect("write weights.json");
        return;
    }
    let recorded = read_json("weights.json");
    for (chapter, arrays) in lesson_weights() {
        for (name, ours) in arrays {
            let what = format!("weights.json {chapter}.{name}");
            let theirs = to_array(&recorded[chapter][name], &what);
            // Seeded draws: the same bits on every machine, up to the last
            // bit of an orthogonal matrix's QR.
            let diff = max_diff(&ours, &theirs);
            assert!(
                diff <= 1e-6,
                "{what} is no longer what the lesson uses (off by {diff:e}): \
                 BLESS=1 cargo test --test keras_side_by_side, then \
                 python tests/keras_side_by_side/record.py"
            );
        }
    }
}

#[test]
fn every_chapter_shows_what_keras_printed() {
    for n in 1..=12 {
        let name = format!("ch{n:02}.txt");
        let text =
            std::fs::read_to_string(dir().join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!text.trim().is_empty(), "{name} is empty");
        let chapter = std::fs::read_dir("book/src")
            .expect("book/src")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|f| f.starts_with(&format!("ch{n:02}-")))
            .expect("a chapter");
        let md = std::fs::read_to_string(format!("book/src/{chapter}")).expect("chapter");
        let include = format!("{{{{#include ../../tests/keras_side_by_side/{name}}}}}");
        assert!(md.contains(&include), "{chapter} does not show {name}");
        let tol = tolerance(&format!("ch{n:02}"));
        if tol > 0.0 {
            let stated = format!("within {}", if tol == 1e-6 { "1e-6" } else { "1e-5" });
            assert!(md.contains(&stated), "{chapter} does not say \"{stated}\"");
        }
    }
}

#[test]
fn ch01_numpy_loop() {
    let mut f = Fixture::new("ch01");
    let inputs = f.w("inputs").into_dimensionality().expect("2-D");
    let two = |n: &str| f.w(n).into_dimensionality().expect("2-D");
    let one = |n: &str| f.w(n).into_dimensionality().expect("1-D");
    let unit = NumpyRnn {
        wx: two("Wx"),
        wh: two("Wh"),
        b: one("b"),
    };
    let keras = NumpyRnn {
        wx: two("keras_Wx"),
        wh: two("keras_Wh"),
        b: one("keras_b"),
    };
    let states = unit.run(inputs.view()).expect("runs");
    f.check("total_hidden_states", states.view().into_dyn());
    let states = keras.run(inputs.view()).expect("runs");
    f.check("keras_init_states", states.view().into_dyn());
    f.done(2);
}

#[test]
fn ch02_tf1_steps_static_and_dynamic() {
    let mut f = Fixture::new("ch02");
    let rnn = Tf1Rnn {
        wx: f.w("Wx").into_dimensionality().expect("2-D"),
        wy: f.w("Wy").into_dimensionality().expect("2-D"),
        b: f.w("b").into_dimensionality().expect("1-D"),
    };
    let x0 = array![[0.0f32, 1., 2.], [3., 4., 5.], [6., 7., 8.], [9., 0., 1.]];
    let x1 = array![[9.0f32, 8., 7.], [3., 4., 5.], [6., 5., 4.], [3., 2., 1.]];
    let (y0, y1) = rnn.two_steps(x0.view(), x1.view()).expect("runs");
    f.check("Y0_val", y0.view().into_dyn());
    f.check("Y1_val", y1.view().into_dyn());
    let (seqs, _) = rnn.static_rnn(&[x0.view(), x1.view()]).expect("runs");
    f.check("static_Y0", seqs[0].view().into_dyn());
    f.check("static_Y1", seqs[1].view().into_dyn());
    let x = stack(Axis(1), &[x0.view(), x1.view()]).expect("same shapes");
    let (outputs, states) = rnn.dynamic_rnn(x.view(), None, false).expect("runs");
    f.check("outputs_val", outputs.view().into_dyn());
    f.check("states_val", states.view().into_dyn());
    f.done(6);
}

/// SimpleRNN(2) on one-hot letters, as in lessons 3, 4 and 5.
fn hello_layer(f: &Fixture) -> SimpleRnn {
    let mut rnn = hello_lesson();
    f.load(&RNN, rnn.weights_mut());
    rnn.return_sequences(true).return_state(true)
}

#[test]
fn ch03_one_cell() {
    let mut f = Fixture::new("ch03");
    let x_data = Array3::from(vec![[H]]);
    let layer = hello_layer(&f);
    let cell = layer.cell().clone();
    let rnn = Rnn::new(cell).return_sequences(true).return_state(true);
    let out = rnn.call(&x_data).expect("runs");
    f.check("rnn_outputs", out.output.view());
    f.check("rnn_states", out.states[0].view().into_dyn());
    let out = layer.call(&x_data).expect("runs");
    f.check("layer_outputs", out.output.view());
    f.check("layer_states", out.states[0].view().into_dyn());
    f.done(4);
}

#[test]
fn ch04_hello() {
    let mut f = Fixture::new("ch04");
    let x_data = Array3::from(vec![[H, E, L, L, O]]);
    let out = hello_layer(&f).call(&x_data).expect("runs");
    f.check("outputs", out.output.view());
    f.check("states", out.states[0].view().into_dyn());
    f.done(2);
}

#[test]
fn ch05_batch() {
    let mut f = Fixture::new("ch05");
    let x_data = Array3::from(vec![[H, E, L, L, O], [E, O, L, L, L], [L, L, E, E, L]]);
    let out = hello_layer(&f).call(&x_data).expect("runs");
    f.check("outputs", out.output.view());
    f.check("states", out.states[0].view().into_dyn());
    f.done(2);
}

/// (name, output shape with None for the batch, params) of each row.
fn keras_rows(f: &Fixture, model: &str) -> Vec<(String, String, usize)> {
    f.keras[model]["layers"]
        .as_array()
        .unwrap_or_else(|| panic!("keras.json {}.{model}.layers", f.chapter))
        .iter()
        .map(|row| {
            let shape: Vec<String> = row["output_shape"]
                .as_array()
                .expect("a shape")
                .iter()
                .map(|d| d.as_u64().map_or("None".to_string(), |d| d.to_string()))
                .collect();
            let shape = if shape.len() == 1 {
                format!("({},)", shape[0])
            } else {
                format!("({})", shape.join(", "))
            };
            (
                format!(
                    "{} ({})",
                    row["name"].as_str().expect("a name"),
                    row["type"].as_str().expect("a type")
                ),
                shape,
                row["params"].as_u64().expect("a count") as usize,
            )
        })
        .collect()
}

fn our_rows(model: &Sequential) -> Vec<(String, String, usize)> {
    model
        .summary_rows()
        .into_iter()
        .map(|(name, shape, params)| (name, show::shape_opt(&shape), params))
        .collect()
}

fn check_summary(f: &mut Fixture, key: &str, model: &Sequential) {
    assert_eq!(
        model.name(),
        f.text_at(key, "name"),
        "{key}: the model's name"
    );
    assert_eq!(
        our_rows(model),
        keras_rows(f, key),
        "{key}: the summary's rows"
    );
    assert_eq!(model.param_count() as u64, f.int(&[key, "total_params"]));
    println!("{} {key:<24} summary rows equal", f.chapter);
    f.checked += 1;
}

impl Fixture {
    fn text_at(&self, key: &str, field: &str) -> String {
        self.keras[key][field]
            .as_str()
            .unwrap_or_else(|| panic!("keras.json {}.{key}.{field}", self.chapter))
            .to_string()
    }
}

#[test]
fn ch06_summaries() {
    let mut f = Fixture::new("ch06");
    model::clear_session();
    let mut rng = init::rng(12);
    let mut a = Sequential::with_input_shape(&[2, 10]);
    a.add(SimpleRnn::new(3, 10, &mut rng).expect("a layer"))
        .expect("fits");
    check_summary(&mut f, "input_shape", &a);
    let mut b = Sequential::with_batch_input_shape(&[8, 2, 10]);
    b.add(SimpleRnn::new(3, 10, &mut rng).expect("a layer"))
        .expect("fits");
    check_summary(&mut f, "batch_shape", &b);
    let mut c = Sequential::with_batch_input_shape(&[8, 2, 10]);
    let layer = SimpleRnn::new(3, 10, &mut rng).expect("a layer");
    c.add(layer.return_sequences(true)).expect("fits");
    check_summary(&mut f, "return_sequences", &c);
    assert!(
        f.text("batch_input_shape_error")
            .contains("batch_input_shape")
    );
    f.done(3);
}

#[test]
fn ch07_return_sequences_and_state() {
    let mut f = Fixture::new("ch07");
    let mut rnn = ch07_lesson();
    f.load(&RNN, rnn.weights_mut());
    let x = train_x();
    f.check(
        "hidden_state",
        rnn.clone().call(&x).expect("runs").output.view(),
    );
    let seqs = rnn.clone().return_sequences(true);
    f.check("hidden_states", seqs.call(&x).expect("runs").output.view());
    let both = rnn.clone().return_sequences(true).return_state(true);
    let out = both.call(&x).expect("runs");
    f.check("both_hidden_states", out.output.view());
    f.check("both_last_state", out.states[0].view().into_dyn());
    let out = rnn.return_state(true).call(&x).expect("runs");
    f.check("state_only_hidden_state", out.output.view());
    f.check("state_only_last_state", out.states[0].view().into_dyn());
    assert!(f.text("two_d_error").contains("ndim=3"));
    f.done(6);
}

#[test]
fn ch08_lstm() {
    let mut f = Fixture::new("ch08");
    let mut lstm = ch08_lesson();
    f.load(&RNN, lstm.weights_mut());
    let x = train_x();
    let out = lstm.clone().return_state(true).call(&x).expect("runs");
    f.check("hidden_state", out.output.view());
    f.check("last_state", out.states[0].view().into_dyn());
    f.check("last_cell_state", out.states[1].view().into_dyn());
    let seqs = lstm.clone().return_sequences(true).return_state(true);
    let out = seqs.call(&x).expect("runs");
    f.check("hidden_states", out.output.view());
    assert_eq!(lstm.param_count() as u64, f.int(&["params"]));
    f.done(4);
}

#[test]
fn ch09_gru() {
    let mut f = Fixture::new("ch09");
    let mut gru = ch09_lesson();
    f.load(&RNN, gru.weights_mut());
    let x = train_x();
    let out = gru.clone().return_state(true).call(&x).expect("runs");
    f.check("hidden_state", out.output.view());
    f.check("last_state", out.states[0].view().into_dyn());
    // The same kernels, the input's bias row, in the original form.
    let cell = gru.cell();
    let bias = cell
        .bias()
        .expect("a bias")
        .row(0)
        .insert_axis(Axis(0))
        .to_owned();
    let v1 = GruCell::from_weights(
        cell.kernel().clone(),
        cell.recurrent_kernel().clone(),
        Some(bias),
        false,
        Activation::Tanh,
        Activation::Sigmoid,
    )
    .expect("weights that fit");
    let out = Gru::from_cell(v1).call(&x).expect("runs");
    f.check("reset_before", out.output.view());
    let mut rng = init::rng(0);
    let counts = [
        (
            "SimpleRNN",
            SimpleRnn::new(3, 5, &mut rng)
                .expect("a layer")
                .param_count(),
        ),
        ("GRU_v1", 81),
        ("GRU", gru.param_count()),
        (
            "LSTM",
            Lstm::new(3, 5, &mut rng).expect("a layer").param_count(),
        ),
    ];
    let v1 = GruCell::new(3, 5, &mut rng)
        .expect("a cell")
        .with_reset_after(false);
    assert_eq!(Gru::from_cell(v1).param_count(), 81);
    for (name, count) in counts {
        assert_eq!(count as u64, f.int(&["params", name]), "{name}");
    }
    f.done(3);
}

#[test]
fn ch10_bidirectional() {
    let mut f = Fixture::new("ch10");
    let (mut bi, (mut fwd, mut bwd)) = ch10_lesson();
    let names = [
        "forward_kernel",
        "forward_recurrent_kernel",
        "forward_bias",
        "backward_kernel",
        "backward_recurrent_kernel",
        "backward_bias",
    ];
    f.load(&names, bi.weights_mut());
    let x = train_x();
    let out = bi.call(&x).expect("runs");
    f.check("hidden_states", out.outputs[0].view());
    f.check("forward_h", out.states[0].view().into_dyn());
    f.check("forward_c", out.states[1].view().into_dyn());
    f.check("backward_h", out.states[2].view().into_dyn());
    f.check("backward_c", out.states[3].view().into_dyn());
    assert_eq!(bi.param_count() as u64, f.int(&["params"]));
    let fwd_names = [
        "merge_forward_kernel",
        "merge_forward_recurrent_kernel",
        "merge_forward_bias",
    ];
    f.load(&fwd_names, fwd.weights_mut());
    let bwd_names = [
        "merge_backward_kernel",
        "merge_backward_recurrent_kernel",
        "merge_backward_bias",
    ];
    f.load(&bwd_names, bwd.weights_mut());
    let modes = [
        ("concat", MergeMode::Concat),
        ("sum", MergeMode::Sum),
        ("mul", MergeMode::Mul),
        ("ave", MergeMode::Ave),
        ("none", MergeMode::None),
    ];
    for (name, mode) in modes {
        let bi = Bidirectional::new(fwd.clone(), bwd.clone(), mode).expect("a pair");
        let out = bi.call(&x).expect("runs");
        for (i, o) in out.outputs.iter().enumerate() {
            let key = format!("merge_{name}_{i}");
            f.check(&key, o.view());
        }
    }
    f.done(11);
}

#[test]
fn ch11_masks() {
    let mut f = Fixture::new("ch11");
    let x: Array3<f32> = f.w("x").into_dimensionality().expect("3-D");
    let mask = f
        .w("mask")
        .mapv(|m| m != 0.0)
        .into_dimensionality()
        .expect("2-D");
    let tf1 = Tf1Rnn {
        wx: f.w("kernel").into_dimensionality().expect("2-D"),
        wy: f.w("recurrent_kernel").into_dimensionality().expect("2-D"),
        b: f.w("bias").into_dimensionality().expect("1-D"),
    };
    let rnn = SimpleRnn::from_cell(tf1.to_cell().expect("a cell"))
        .return_sequences(true)
        .return_state(true);
    let args = CallArgs {
        mask: Some(mask.view()),
        initial_state: None,
    };
    let out = rnn.call_with(x.view().into_dyn(), args).expect("runs");
    f.check("mask_outputs", out.output.view());
    f.check("mask_states", out.states[0].view().into_dyn());
    let zeroed = rnn.clone().zero_output_for_mask(true);
    let out = zeroed.call_with(x.view().into_dyn(), args).expect("runs");
    f.check("zero_outputs", out.output.view());
    f.check("zero_states", out.states[0].view().into_dyn());
    // TF1's sequence_length gives what Keras gives with zero_output_for_mask.
    let (outputs, state) = tf1
        .dynamic_rnn(x.view(), Some(&[5, 3, 2]), false)
        .expect("runs");
    f.check("zero_outputs", outputs.view().into_dyn());
    f.check("zero_states", state.view().into_dyn());
    let out = rnn.call(&x).expect("runs");
    f.check("plain_states", out.states[0].view().into_dyn());
    let out = rnn.clone().go_backwards(true).call(&x).expect("runs");
    f.check("backwards_outputs", out.output.view());
    f.done(8);
}

#[test]
fn ch12_stack() {
    let mut f = Fixture::new("ch12");
    model::clear_session();
    let (mut model, _) = ch12_lesson();
    let names = [
        "lstm_kernel",
        "lstm_recurrent_kernel",
        "lstm_bias",
        "gru_kernel",
        "gru_recurrent_kernel",
        "gru_bias",
        "dense_kernel",
        "dense_bias",
    ];
    f.load(&names, model.weights_mut());
    check_summary(&mut f, "stack", &model);
    let x = f.w("x");
    let y = model.forward(x.view()).expect("runs");
    f.check("y", y.view());
    // The lesson's second model: an LSTM that returns no sequence, then a GRU.
    let mut rng = init::rng(0);
    let mut wrong = Sequential::with_input_shape(&[6, 3]);
    wrong
        .add(Lstm::new(8, 3, &mut rng).expect("a layer"))
        .expect("fits");
    assert!(
        wrong
            .add(Gru::new(4, 8, &mut rng).expect("a layer"))
            .is_err()
    );
    assert!(
        f.text("mistake_error")
            .contains("expected ndim=3, found ndim=2")
    );
    // The tagger's summary: names counted across the models, as Keras counts.
    let mut tagger = Sequential::with_input_shape(&[6, 3]).named("tagger");
    let forward = SimpleRnn::new(6, 3, &mut rng).expect("a layer");
    let forward = RecurrentLayer::from(forward.return_sequences(true));
    let backward = RecurrentLayer::from(SimpleRnn::new(6, 3, &mut rng).expect("a layer"));
    let bi = Bidirectional::new(forward, backward, MergeMode::Concat).expect("a pair");
    tagger.add(bi).expect("fits");
    let lstm = Lstm::new(5, 12, &mut rng).expect("a layer");
    tagger.add(lstm.return_sequences(true)).expect("fits");
    let dense = Dense::new(4, 5, &mut rng).expect("a layer");
    tagger
        .add(dense.with_activation(Activation::Softmax))
        .expect("fits");
    check_summary(&mut f, "tagger", &tagger);
    f.done(3);
}

/// Every array `record.py` wrote is compared by some test above.
#[test]
fn nothing_recorded_goes_unchecked() {
    let keras = read_json("keras.json");
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (chapter, v) in keras.as_object().expect("an object") {
        let names = v.as_object().expect("an object").keys().cloned().collect();
        keys.insert(chapter.clone(), names);
    }
    let this = include_str!("keras_side_by_side.rs");
    for (chapter, names) in keys {
        for name in names {
            assert!(
                this.contains(&format!("\"{name}\"")) || name.starts_with("merge_"),
                "keras.json {chapter}.{name} is not compared"
            );
        }
    }
}
