//! Keras's own model files (`tests/keras_files`, recorded with Keras 3.15.1
//! by `tests/keras_files/record.py` and the project's examples): every one
//! loads, predicts Keras's numbers within 1e-5, counts Keras's parameters,
//! and survives a round trip through the `.keras` writer.

use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use rnn_basics::keras::file;
use serde_json::Value;

const TOLERANCE: f32 = 1e-5;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keras_files")
}

/// Every recorded case: its description (`NAME.json`).
fn cases() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (name, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 25, "only {} cases found", out.len());
    out
}

/// The largest absolute difference, NaN counted as infinitely far.
fn max_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = (x - y).abs();
            if d.is_nan() { f32::INFINITY } else { d }
        })
        .fold(0.0, f32::max)
}

fn predict(model: &rnn_basics::model::Sequential, name: &str) -> ArrayD<f32> {
    let x = file::read_npy(dir().join(format!("{name}.input.npy"))).unwrap();
    model.forward(x.array.view()).unwrap()
}

#[test]
fn every_keras_file_predicts_what_keras_predicted() {
    let mut report = Vec::new();
    for (name, case) in cases() {
        let model = file::load_model(dir().join(case["file"].as_str().unwrap()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = predict(&model, &name);
        let want = file::read_npy(dir().join(format!("{name}.expected.npy")))
            .unwrap()
            .array;
        let d = max_diff(&got, &want);
        report.push(format!("{name}: {d:.2e}"));
        assert!(d <= TOLERANCE, "{name}: largest difference {d}");
    }
    println!("{}", report.join("\n"));
}

/// Keras's rows for a case: `model.layers` as its JSON lists them, each as
/// `name (class)`, output shape, parameters. A Functional model lists its
/// InputLayer first, a Sequential model does not.
fn keras_rows(case: &Value) -> Vec<(String, Vec<Option<usize>>, usize)> {
    case["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let mut shape = &l["output_shape"];
            // Keras 2 (record_keras2.py) gave an InputLayer's output shape as
            // a list of one shape, `[(None, 5, 3)]`; Keras 3 prints the shape.
            if let Some([inner]) = shape.as_array().map(Vec::as_slice)
                && inner.is_array()
            {
                shape = inner;
            }
            let shape = shape
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().map(|d| d as usize))
                .collect();
            (
                format!(
                    "{} ({})",
                    l["name"].as_str().unwrap(),
                    l["class_name"].as_str().unwrap()
                ),
                shape,
                l["params"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

#[test]
fn every_keras_file_counts_keras_parameters_and_lists_keras_rows() {
    let mut functional = 0;
    for (name, case) in cases() {
        let model = file::load_model(dir().join(case["file"].as_str().unwrap())).unwrap();
        assert_eq!(
            model.param_count() as u64,
            case["total_params"].as_u64().unwrap(),
            "{name}"
        );
        // Every row, the InputLayer of a Functional model included: a
        // missing or an extra row fails.
        let want = keras_rows(&case);
        assert_eq!(model.summary_rows(), want, "{name}");
        let first_is_input = want[0].0.ends_with(" (InputLayer)");
        assert_eq!(model.input_layer().is_some(), first_is_input, "{name}");
        functional += usize::from(first_is_input);
        let summary = model.summary();
        let total = case["total_params"].as_u64().unwrap();
        assert!(
            summary.contains(&format!("Total params: {total} ")),
            "{name}: {summary}"
        );
    }
    assert!(functional >= 5, "only {functional} Functional cases");
}

#[test]
fn every_model_written_as_keras_reads_back_the_same() {
    for (name, case) in cases() {
        let model = file::load_model(dir().join(case["file"].as_str().unwrap())).unwrap();
        let bytes = file::keras_bytes(&model).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = file::load_model_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again.weights(), model.weights(), "{name}");
        assert_eq!(again.layer_names(), model.layer_names(), "{name}");
        assert_eq!(again.output_shapes(), model.output_shapes(), "{name}");
        // The writer writes a Sequential, which Keras summarises without an
        // InputLayer row: the same rows, less a Functional model's first.
        assert_eq!(again.input_layer(), None, "{name}");
        let rows = model.summary_rows();
        let skip = usize::from(model.input_layer().is_some());
        assert_eq!(again.summary_rows(), rows[skip..], "{name}");
        assert_eq!(predict(&again, &name), predict(&model, &name), "{name}");
    }
}

/// `converted/` holds what the writer wrote for every case, each loaded
/// and run by real Keras 3.15.1 (its predictions matched, see
/// `converted/CHECKED.txt`). The writer must still write those very bytes:
/// a change to it is checked with Keras again (`record.py
/// --check-converted`) before the fixtures are replaced.
#[test]
fn the_writer_writes_the_files_keras_was_checked_on() {
    let converted = dir().join("converted");
    for (name, case) in cases() {
        let model = file::load_model(dir().join(case["file"].as_str().unwrap())).unwrap();
        let fixture = std::fs::read(converted.join(format!("{name}.keras")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = file::keras_bytes(&model).unwrap();
        assert!(
            written == fixture,
            "{name}: the writer's output changed; check it with Keras (tests/keras_files/record.py --check-converted) and replace converted/{name}.keras"
        );
        let again = file::load_model_bytes(&fixture).unwrap();
        let want = file::read_npy(dir().join(format!("{name}.expected.npy")))
            .unwrap()
            .array;
        assert!(
            max_diff(&predict(&again, &name), &want) <= TOLERANCE,
            "{name}"
        );
    }
    let checked = std::fs::read_to_string(converted.join("CHECKED.txt")).unwrap();
    let worst: f32 = checked
        .lines()
        .find_map(|l| l.strip_prefix("worst "))
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(f32::INFINITY);
    assert!(
        worst <= TOLERANCE && checked.contains("exit 0"),
        "{checked}"
    );
    // Every fixture was in the run that Keras checked.
    for (name, _) in cases() {
        assert!(
            checked.contains(&format!("\n{name}: ")),
            "{name} not checked by Keras"
        );
    }
}

/// Each recurrent layer's `dropout`, `recurrent_dropout` and `seed`, in the
/// model's order (a Bidirectional's two halves one after the other).
fn dropout_rates(model: &rnn_basics::model::Sequential) -> Vec<(f32, f32, Option<u64>)> {
    use rnn_basics::model::ModelLayer;
    let rates = |l: &rnn_basics::layers::RecurrentLayer| {
        let d = l.dropout();
        (d.dropout, d.recurrent_dropout, d.seed)
    };
    let mut out = Vec::new();
    for layer in model.layers() {
        match layer {
            ModelLayer::Recurrent(l) => out.push(rates(l)),
            ModelLayer::Bidirectional(b) => {
                out.push(rates(b.forward_layer()));
                out.push(rates(b.backward_layer()));
            }
            _ => {}
        }
    }
    out
}

/// A recurrent layer's dropout options come from the file, train as Keras
/// trains (dropout on, so training differs from inference) and go back into
/// the files the writer writes.
#[test]
fn recurrent_dropout_options_are_read_trained_and_written() {
    use rnn_basics::rnn::CallArgs;
    use rnn_basics::train::Backward;
    let want = [
        ("dropout_layers", vec![(0.2, 0.1, None), (0.1, 0.2, None)]),
        (
            "bidirectional_dropout",
            vec![(0.2, 0.3, Some(4)), (0.2, 0.3, Some(4)), (0.1, 0.15, None)],
        ),
    ];
    for (name, rates) in want {
        let model = file::load_model(dir().join(format!("{name}.keras"))).unwrap();
        assert_eq!(dropout_rates(&model), rates, "{name}");
        let x = file::read_npy(dir().join(format!("{name}.input.npy")))
            .unwrap()
            .array;
        let (trained, _) = model.forward_train(x.view(), CallArgs::default()).unwrap();
        assert_ne!(
            trained,
            model.forward(x.view()).unwrap(),
            "{name}: dropout in training"
        );
        let path =
            std::env::temp_dir().join(format!("dropout-{}-{name}.keras", std::process::id()));
        file::save_keras(&model, &path).unwrap();
        let again = file::load_model(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(dropout_rates(&again), rates, "{name} written and read back");
    }
}

/// A `Dropout` layer's `seed` goes into the file the writer writes and
/// comes back from it; a layer without one comes back without one. (No
/// file Keras saved has a seeded `Dropout`, so the fixtures cannot show it.)
#[test]
fn a_dropout_layers_seed_is_written_and_read_back() {
    use rnn_basics::init;
    use rnn_basics::layers::{Dropout, SimpleRnn};
    use rnn_basics::model::{ModelLayer, Sequential};
    let mut model = Sequential::new(&[None, None, Some(3)]);
    model
        .add(Dropout::new(0.25).unwrap().with_seed(Some(7)))
        .unwrap()
        .add(SimpleRnn::new(2, 3, &mut init::rng(1)).unwrap())
        .unwrap()
        .add(Dropout::new(0.5).unwrap())
        .unwrap();
    let again = file::load_model_bytes(&file::keras_bytes(&model).unwrap()).unwrap();
    let dropouts: Vec<(f32, Option<u64>)> = again
        .layers()
        .iter()
        .filter_map(|l| match l {
            ModelLayer::Dropout(d) => Some((d.rate(), d.seed())),
            _ => None,
        })
        .collect();
    assert_eq!(dropouts, [(0.25, Some(7)), (0.5, None)]);
}
