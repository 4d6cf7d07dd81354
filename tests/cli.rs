//! The `rnn-basics` tool on Keras's files and on broken ones: exit 0 and
//! Keras's numbers for the good, exit 2 and one `error:` line naming the
//! file and the problem for the bad, never a panic. The benchmarks end
//! quietly when their reader stops reading.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ndarray::ArrayD;
use rnn_basics::keras::file;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keras_files")
        .join(name)
}

/// A fresh folder for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rnn-basics-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rnn-basics"))
        .args(args)
        .output()
        .unwrap()
}

fn args<'a>(words: &[&'a str]) -> Vec<&'a Path> {
    words.iter().map(|w| Path::new(*w)).collect()
}

/// Exit 2, one line on stderr that starts `error:` and mentions each of `needles`.
fn refused(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "expected {n:?} in: {stderr}");
    }
    stderr
}

fn max_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .map(|d| if d.is_nan() { f32::INFINITY } else { d })
        .fold(0.0, f32::max)
}

const MODELS: &[&str] = &[
    "simple_rnn.keras",
    "embedding_lstm_softmax.keras",
    "legacy_gru.h5",
    "functional_masking_bidirectional.keras",
    "legacy_embedding_simple_rnn.h5",
];

fn stem(model: &str) -> &str {
    model.rsplit_once('.').unwrap().0
}

#[test]
fn help_names_the_three_commands() {
    let out = tool(&args(&["--help"]));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["summary", "predict", "convert"] {
        assert!(text.contains(word), "{text}");
    }
}

#[test]
fn summary_prints_the_layers_and_keras_total() {
    let out = tool(&[&data("embedding_lstm_softmax.keras")]);
    assert_eq!(out.status.code(), Some(2), "no command is a usage error");
    let out = tool(&[Path::new("summary"), &data("embedding_lstm_softmax.keras")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "embedding (Embedding)",
        "lstm (LSTM)",
        "dense (Dense)",
        "(None, None, 6)",
        "Total params: 636 ",
    ] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
}

/// A shape as Keras prints it (a Python tuple): `(None, 5, 4)`, `(None,)`.
fn keras_shape(dims: &[serde_json::Value]) -> String {
    let dims: Vec<String> = dims
        .iter()
        .map(|d| d.as_u64().map_or("None".to_string(), |d| d.to_string()))
        .collect();
    match dims.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    }
}

/// The rows of a printed summary table: `[name (type), shape, params]`.
fn table_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = text
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            let cells: Vec<&str> = l.split('│').collect();
            cells[1..cells.len() - 1]
                .iter()
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    assert_eq!(
        rows.first().map(Vec::as_slice),
        Some(&["Layer (type)", "Output Shape", "Param #"].map(String::from)[..]),
        "{text}"
    );
    rows.remove(0);
    rows
}

/// `summary` of every Keras file prints Keras's rows, one per entry of
/// Keras's `model.layers` as the file's JSON lists them, in order: a
/// Functional model's InputLayer first (name, input shape, 0), no
/// InputLayer for a Sequential model; a missing or extra row fails.
#[test]
fn summary_of_every_keras_file_prints_keras_rows() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(data(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    let mut functional = 0;
    for json in cases {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let model = case["file"].as_str().unwrap();
        let want: Vec<Vec<String>> = case["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let mut shape = l["output_shape"].as_array().unwrap();
                // Keras 2 (record_keras2.py) gave an InputLayer's output
                // shape as a list of one shape; Keras 3 prints the shape.
                if let [inner] = shape.as_slice()
                    && let Some(inner) = inner.as_array()
                {
                    shape = inner;
                }
                vec![
                    format!(
                        "{} ({})",
                        l["name"].as_str().unwrap(),
                        l["class_name"].as_str().unwrap()
                    ),
                    keras_shape(shape),
                    l["params"].to_string(),
                ]
            })
            .collect();
        let out = tool(&[Path::new("summary"), &data(model)]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(table_rows(&text), want, "{model}:\n{text}");
        functional += usize::from(want[0][0].ends_with(" (InputLayer)"));
    }
    assert!(functional >= 5, "only {functional} Functional files");
}

#[test]
fn predict_writes_keras_numbers_and_convert_keeps_them() {
    let dir = scratch("predict");
    for model in MODELS {
        let name = stem(model);
        let input = data(&format!("{name}.input.npy"));
        let want = file::read_npy(data(&format!("{name}.expected.npy")))
            .unwrap()
            .array;
        let out_npy = dir.join(format!("{name}.out.npy"));
        let out = tool(&[Path::new("predict"), &data(model), &input, &out_npy]);
        assert!(
            out.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = file::read_npy(&out_npy).unwrap();
        assert_eq!(got.dtype, "float32");
        assert!(max_diff(&got.array, &want) <= 1e-5, "{model}");

        let converted = dir.join(format!("{name}.keras"));
        let out = tool(&[Path::new("convert"), &data(model), &converted]);
        assert!(
            out.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let again = dir.join(format!("{name}.again.npy"));
        let out = tool(&[Path::new("predict"), &converted, &input, &again]);
        assert!(
            out.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(file::read_npy(&again).unwrap().array, got.array, "{model}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unsupported_models_are_refused_naming_layer_and_problem() {
    for (model, needles) in [
        (
            "bad/conv1d.keras",
            &["conv1d.keras", "Conv1D", "conv1d"][..],
        ),
        ("bad/branching.keras", &["branching.keras", "one chain"][..]),
        ("bad/branching.h5", &["branching.h5", "one chain"][..]),
        (
            "bad/stateful.keras",
            &["stateful.keras", "lstm", "stateful"][..],
        ),
        ("bad/gelu_activation.keras", &["gelu", "lstm"][..]),
        (
            "bad/keras2_hard_sigmoid.h5",
            &["keras2_hard_sigmoid.h5", "lstm", "hard_sigmoid", "Keras 2"][..],
        ),
    ] {
        let out = tool(&[Path::new("summary"), &data(model)]);
        refused(&out, needles);
    }
    let out = tool(&[Path::new("summary"), Path::new("no/such/file.keras")]);
    refused(&out, &["no/such/file.keras"]);
}

/// A `.keras` zip with the given entries (stored or deflated).
fn zip_of(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn entry(archive: &Path, name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(archive).unwrap()).unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut out).unwrap();
    out
}

#[test]
fn broken_model_files_are_refused_with_one_line() {
    let dir = scratch("broken");
    let good = std::fs::read(data("simple_rnn.keras")).unwrap();
    let config = entry(&data("simple_rnn.keras"), "config.json");
    let weights = entry(&data("simple_rnn.keras"), "model.weights.h5");
    let config_text = String::from_utf8(config.clone()).unwrap();
    let wider = config_text.replace("\"units\": 5", "\"units\": 6");
    assert_ne!(wider, config_text);
    let huge = config_text.replace("\"units\": 5", "\"units\": 1000000");
    let renamed = config_text.replace("\"name\": \"simple_rnn\"", "\"name\": \"other\"");
    assert_ne!(renamed, config_text);
    let legacy = std::fs::read(data("legacy_gru.h5")).unwrap();
    let bomb = vec![b' '; 64 << 20];
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "truncated.keras",
            good[..good.len() / 2].to_vec(),
            vec!["truncated.keras", "zip"],
        ),
        ("empty.keras", Vec::new(), vec!["empty.keras"]),
        (
            "text.keras",
            b"not a model".to_vec(),
            vec!["text.keras", "neither"],
        ),
        (
            "wrong_shape.keras",
            zip_of(
                &[
                    ("config.json", wider.as_bytes()),
                    ("model.weights.h5", &weights),
                ],
                false,
            ),
            vec!["simple_rnn", "kernel", "expected shape (3, 6), got (3, 5)"],
        ),
        (
            "huge.keras",
            zip_of(
                &[
                    ("config.json", huge.as_bytes()),
                    ("model.weights.h5", &weights),
                ],
                false,
            ),
            vec![
                "huge.keras",
                "simple_rnn",
                "more numbers than the file has room for",
            ],
        ),
        (
            "renamed.keras",
            zip_of(
                &[
                    ("config.json", renamed.as_bytes()),
                    ("model.weights.h5", &weights),
                ],
                false,
            ),
            vec!["renamed.keras", "layers/simple_rnn", "\"other\""],
        ),
        (
            "no_weights.keras",
            zip_of(&[("config.json", &config)], false),
            vec!["no_weights.keras", "model.weights.h5"],
        ),
        (
            "bad_json.keras",
            zip_of(
                &[
                    ("config.json", b"{\"class_name\": "),
                    ("model.weights.h5", &weights),
                ],
                true,
            ),
            vec!["config.json", "JSON"],
        ),
        (
            "corrupt_h5.keras",
            zip_of(
                &[
                    ("config.json", &config),
                    ("model.weights.h5", &weights[..weights.len() / 3]),
                ],
                false,
            ),
            vec!["corrupt_h5.keras"],
        ),
        (
            "bomb.keras",
            zip_of(
                &[("config.json", &bomb), ("model.weights.h5", &weights)],
                true,
            ),
            vec!["bomb.keras", "config.json", "inflates to more than"],
        ),
        (
            "truncated.h5",
            legacy[..legacy.len() / 2].to_vec(),
            vec!["truncated.h5"],
        ),
    ];
    for (name, bytes, needles) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = tool(&[Path::new("summary"), &path]);
        refused(&out, &needles);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `.npy` bytes with a header of our own.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = header.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn bad_inputs_are_refused_with_one_line() {
    let dir = scratch("inputs");
    let floats = |n: usize| vec![0u8; 4 * n];
    let good = std::fs::read(data("simple_rnn.input.npy")).unwrap();
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "features.npy",
            npy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 7, 2), }",
                &floats(56),
            ),
            vec!["features.npy", "expected shape (None, 7, 3), got (4, 7, 2)"],
        ),
        (
            "rank.npy",
            npy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (7, 3), }",
                &floats(21),
            ),
            vec!["rank.npy", "got (7, 3)"],
        ),
        (
            "truncated.npy",
            good[..good.len() - 7].to_vec(),
            vec!["truncated.npy", "truncated"],
        ),
        (
            "complex.npy",
            npy(
                "{'descr': '<c8', 'fortran_order': False, 'shape': (4, 7, 3), }",
                &floats(168),
            ),
            vec!["complex.npy", "unsupported dtype"],
        ),
        (
            "big_endian.npy",
            npy(
                "{'descr': '>f4', 'fortran_order': False, 'shape': (4, 7, 3), }",
                &floats(84),
            ),
            vec!["big_endian.npy", "unsupported dtype"],
        ),
        (
            "absurd.npy",
            npy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 7000000000, 3), }",
                &floats(84),
            ),
            vec!["absurd.npy", "not believed"],
        ),
        (
            "garbage.npy",
            b"\x93NUMPY\x01".to_vec(),
            vec!["garbage.npy"],
        ),
    ];
    let out_npy = dir.join("out.npy");
    for (name, bytes, needles) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = tool(&[
            Path::new("predict"),
            &data("simple_rnn.keras"),
            &path,
            &out_npy,
        ]);
        refused(&out, &needles);
        assert!(!out_npy.exists(), "{name}: no output on an error");
    }
    // A small model and a small input whose product is huge: Embedding(1,
    // 2^20) on (2, 1024) ids would output 2^31 numbers. Refused before it runs.
    let wide = dir.join("wide.keras");
    let mut model = rnn_basics::model::Sequential::new(&[None, None]);
    let table = ndarray::Array2::<f32>::zeros((1, 1 << 20));
    let embedding = rnn_basics::layers::Embedding::from_weights(table, false).unwrap();
    model
        .add(rnn_basics::model::ModelLayer::Embedding(embedding))
        .unwrap();
    file::save_keras(&model, &wide).unwrap();
    let path = dir.join("ids_2x1024.npy");
    let ids = npy(
        "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1024), }",
        &[0u8; 4 * 2048],
    );
    std::fs::write(&path, ids).unwrap();
    let out = tool(&[Path::new("predict"), &wide, &path, &out_npy]);
    refused(
        &out,
        &[
            "ids_2x1024.npy",
            "embedding",
            "more than 1073741824 numbers",
        ],
    );
    // Token ids out of the vocabulary (20 words).
    let path = dir.join("ids.npy");
    let mut ids = Vec::new();
    for v in [3i32, 25, 0, 0] {
        ids.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(
        &path,
        npy(
            "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 4), }",
            &ids,
        ),
    )
    .unwrap();
    let out = tool(&[
        Path::new("predict"),
        &data("embedding_lstm_softmax.keras"),
        &path,
        &out_npy,
    ]);
    refused(&out, &["ids.npy", "Embedding", "0..20", "got 25"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_benchmark_whose_reader_stops_reading_ends_quietly() {
    // `bench-train --peak | head -0`: the pipe is closed before the line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_bench-train"))
        .args(["--peak", "--quick"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bench-train starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("bench-train ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "{stderr}");
}
