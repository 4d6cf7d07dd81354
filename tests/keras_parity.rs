//! The layers return Keras's own numbers: every reference case in
//! `tests/keras_cases` (the shared set), `tests/keras_cases/more`
//! (more settings, made by the same generator) and
//! `tests/keras_cases/layers` (Embedding, Masking, Dropout and
//! TimeDistributed in Sequential models) passes, and the `keras-parity`
//! binary reports bad files without panicking.

use std::path::{Path, PathBuf};
use std::process::Command;

use rnn_basics::keras::{Case, Outcome, check_case};

fn case_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("case folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn check_folder(dir: &str, min_cases: usize) {
    let files = case_files(dir);
    assert!(files.len() >= min_cases, "{dir}: {} cases", files.len());
    let mut problems = Vec::new();
    for file in &files {
        let case = Case::load(file).unwrap_or_else(|e| panic!("{e}"));
        match check_case(&case) {
            Ok(Outcome::Passed { .. }) => {}
            Ok(other) => problems.push(format!("{}: {other:?}", case.name)),
            Err(e) => problems.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn shared_reference_cases_pass() {
    check_folder("tests/keras_cases", 27);
}

#[test]
fn more_reference_cases_pass() {
    check_folder("tests/keras_cases/more", 30);
}

#[test]
fn layer_reference_cases_pass() {
    check_folder("tests/keras_cases/layers", 17);
}

fn parity_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    dir.join(format!("keras-parity{}", std::env::consts::EXE_SUFFIX))
}

fn run_parity(args: &[&Path]) -> (i32, String, String) {
    let out = Command::new(parity_binary())
        .args(args)
        .output()
        .expect("keras-parity runs");
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_binary_passes_the_shared_set_and_says_so() {
    let (code, stdout, _) = run_parity(&[Path::new("tests/keras_cases")]);
    let last = stdout.lines().last().unwrap_or("");
    assert_eq!(code, 0, "{stdout}");
    assert!(last.starts_with("27 passed, 0 failed"), "{last}");
    assert_eq!(
        stdout.lines().count(),
        28,
        "one line per case and a total:\n{stdout}"
    );
}

/// A change that breaks a valid case.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

/// A valid case to break in many ways.
fn good_case() -> serde_json::Value {
    let text = std::fs::read_to_string("tests/keras_cases/simple_rnn_hello.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn bad_files_get_one_line_naming_the_file_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("keras-parity-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<(&str, String, &str)> = vec![
        (
            "not_json.json",
            "{ this is not json".to_string(),
            "not valid JSON",
        ),
        (
            "truncated.json",
            good_case().to_string()[..200].to_string(),
            "not valid JSON",
        ),
    ];
    let mut edits: Vec<(&str, Edit, &str)> = vec![
        (
            "unknown_type.json",
            Box::new(|v| v["layer"]["type"] = "Conv1D".into()),
            "unknown layer type \"Conv1D\"",
        ),
        (
            "wrong_weight_shape.json",
            Box::new(|v| v["weights"][0]["shape"] = serde_json::json!([2, 4])),
            "weights[0]",
        ),
        (
            "short_data.json",
            Box::new(|v| {
                v["input"]["data"].as_array_mut().unwrap().pop();
            }),
            "holds 20 numbers, but data has 19",
        ),
        (
            "missing_expected.json",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("expected");
            }),
            "expected: missing",
        ),
        (
            "units_zero.json",
            Box::new(|v| v["layer"]["units"] = 0.into()),
            "layer.units: expected a positive integer",
        ),
        (
            "bad_activation.json",
            Box::new(|v| v["layer"]["activation"] = "swish".into()),
            "unknown activation",
        ),
        (
            "extra_weight.json",
            Box::new(|v| {
                let w = v["weights"][2].clone();
                v["weights"].as_array_mut().unwrap().push(w);
            }),
            "more weights than the layer has",
        ),
        (
            "string_number.json",
            Box::new(|v| v["input"]["data"][0] = "1".into()),
            "input.data[0]: expected a number",
        ),
        (
            "bad_mask.json",
            Box::new(|v| {
                v["mask"] = serde_json::json!({"shape": [2, 5], "data": [1,1,1,1,1,1,1,1,1,1]})
            }),
            "mask",
        ),
    ];
    for (name, edit, needle) in edits.drain(..) {
        let mut v = good_case();
        edit(&mut v);
        cases.push((name, v.to_string(), needle));
    }
    for (name, text, needle) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let (code, stdout, stderr) = run_parity(&[&path]);
        assert_eq!(code, 2, "{name}: exit {code}\n{stdout}{stderr}");
        assert!(!stderr.contains("panicked"), "{name} panicked: {stderr}");
        let error_lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error_lines.len(), 1, "{name}: {stdout}");
        assert!(
            error_lines[0].contains(name),
            "{name}: the error does not name the file: {}",
            error_lines[0]
        );
        assert!(
            error_lines[0].contains(needle),
            "{name}: expected {needle:?} in {}",
            error_lines[0]
        );
    }
    let (code, stdout, _) = run_parity(&[&dir.join("no_such_file.json")]);
    assert_eq!(code, 2, "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A case of the `layers/` folder, to break.
fn layers_case(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("tests/keras_cases/layers/{name}.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_layers_format_refuses_what_it_does_not_say() {
    let edits: Vec<(&str, Edit, &str)> = vec![
        (
            "grad_embedding_mask_zero_simple_rnn",
            Box::new(|v| {
                let mut input = v["expected_gradients"][0].clone();
                input["name"] = "input".into();
                v["expected_gradients"].as_array_mut().unwrap().push(input);
            }),
            "token ids (the first layer is Embedding), which have no gradient",
        ),
        (
            "grad_masking_gru_dense",
            Box::new(|v| {
                v["expected_gradients"].as_array_mut().unwrap().pop();
            }),
            "the gradient of input is missing",
        ),
        (
            "grad_masking_gru_dense",
            Box::new(|v| v["expected_gradients"][0]["name"] = "1/bias".into()),
            "expected_gradients[0]: expected 1/kernel",
        ),
        (
            "masking_gru_dense",
            Box::new(|v| v["layer"] = v["layer"]["layers"][0].clone()),
            "Masking is read only as a layer of a Sequential",
        ),
        (
            "embedding_mask_zero_lstm",
            Box::new(|v| v["layer"]["input_shape"] = serde_json::json!([null, 6, 1])),
            "expected [batch, time], got 3 sizes",
        ),
        (
            "masking_gru_dense",
            Box::new(|v| v["layer"]["input_shape"] = serde_json::json!([null, 6])),
            "expected [batch, time, features], got 2 sizes",
        ),
        (
            "dropout_inference_simple_rnn",
            Box::new(|v| v["layer"]["layers"][1]["rate"] = 1.0.into()),
            "layer.layers[1].rate: expected a number in [0, 1), got 1",
        ),
        (
            "masking_minus_one_lstm_sequences",
            Box::new(|v| v["layer"]["layers"][0]["mask_value"] = "-1".into()),
            "layer.layers[0].mask_value: expected a number",
        ),
        (
            "embedding_gru_sequences_time_distributed",
            Box::new(|v| {
                v["layer"]["layers"][2]["layer"] = serde_json::json!({"type": "GRU", "units": 2})
            }),
            "TimeDistributed wraps Dense here, got \"GRU\"",
        ),
        (
            "embedding_mask_zero_lstm",
            Box::new(|v| v["layer"]["layers"][0]["mask"] = true.into()),
            "mask",
        ),
    ];
    for (name, edit, needle) in edits {
        let mut v = layers_case(name);
        edit(&mut v);
        let err = Case::parse(&v.to_string(), name)
            .map(|c| c.name)
            .expect_err(needle)
            .to_string();
        assert!(err.contains(needle), "{name}: expected {needle:?} in {err}");
    }
    // Read, but not checkable: an id outside the table.
    let mut v = layers_case("embedding_mask_zero_lstm");
    v["input"]["data"][0] = 9.0.into();
    let case = Case::parse(&v.to_string(), "id").unwrap();
    let err = check_case(&case).unwrap_err().to_string();
    assert!(err.contains("expected a token id in 0..9, got 9"), "{err}");
}

#[test]
fn every_instruction_set_gives_keras_numbers() {
    // The packed kernels and vectorized gate loops exist for AVX-512, AVX2 and
    // plain x86-64; a CPU picks one, so check the others too.
    for level in ["avx2", "portable"] {
        let out = Command::new(parity_binary())
            .arg("tests/keras_cases")
            .arg("tests/keras_cases/more")
            .arg("tests/keras_cases/layers")
            .env("RNN_BASICS_SIMD", level)
            .output()
            .expect("keras-parity runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{level}:\n{stdout}");
        assert!(
            stdout.trim_end().ends_with("80 passed, 0 failed"),
            "{level}: {stdout}"
        );
    }
}
