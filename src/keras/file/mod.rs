//! Keras model files, in and out: a Keras 3 `.keras` file (a zip of
//! `config.json`, `metadata.json` and `model.weights.h5`) or a legacy
//! full-model `.h5` file becomes the same [`Sequential`] the rest of the
//! crate builds by hand, and a `Sequential` becomes a `.keras` file that
//! Keras 3 loads.
//!
//! Weights are found by name and checked against the shape the config asks
//! for before any of their numbers is read:
//!
//! - `.keras`: `layers/<key>/...`, where `<key>` is the layer's class in
//!   snake case, numbered in layer order when it repeats (`lstm`, `lstm_1`);
//!   the `vars` group's `name` attribute must be the layer's name. Recurrent
//!   weights are `cell/vars/0, 1, 2` (kernel, recurrent_kernel, bias),
//!   `Bidirectional`'s under `forward_layer/` and `backward_layer/`,
//!   `TimeDistributed`'s under `layer/`, `Dense` and `Embedding` in `vars/`.
//! - `.h5`: the root attribute `model_config`, and each layer's weights
//!   under `model_weights/<layer name>/`, listed by its `weight_names`.
//!
//! Models: `Sequential`, and Functional models that are one chain of
//! layers (the `NotEqual`/`Any` nodes Keras writes for a mask are read as
//! the mask they are). Anything else is an error that names the layer and
//! what is wrong.
//!
//! ```
//! use rnn_basics::keras::file;
//!
//! let model = file::load_model("tests/keras_files/simple_rnn.keras")?;
//! assert_eq!(model.param_count(), 57);
//! let x = file::read_npy("tests/keras_files/simple_rnn.input.npy")?;
//! let y = model.forward(x.array.view())?;
//! assert_eq!(y.shape(), &[4, 2]);
//! # Ok::<(), rnn_basics::Error>(())
//! ```
//!
//! The whole trip: a model saved by Keras, trained here for one epoch,
//! saved as `.keras` for Keras to load again (`rnn-basics convert` writes
//! the same files; `tests/keras_files/converted` holds ones that Keras
//! loaded and ran):
//!
//! ```
//! use rnn_basics::keras::file;
//! use rnn_basics::train::{self, Adam, Dataset, FitConfig, Loss, Target};
//!
//! let mut model = file::load_model("tests/keras_files/simple_rnn.keras")?;
//! let x = file::read_npy("tests/keras_files/simple_rnn.input.npy")?.array;
//! let keras_y = file::read_npy("tests/keras_files/simple_rnn.expected.npy")?.array;
//! let target = keras_y.mapv(|v| v + 0.5);
//! let data = Dataset { x: x.view(), target: Target::Values(target.view()), mask: None };
//! let config = FitConfig { epochs: 1, batch_size: 2, ..FitConfig::default() };
//! let history = train::fit(&mut model, data, Loss::MeanSquaredError, &mut Adam::new(0.01), &config, |_, _| {})?;
//! assert_eq!(history.loss.len(), 1);
//!
//! let path = std::env::temp_dir().join(format!("trained-{}.keras", std::process::id()));
//! file::save_keras(&model, &path)?;
//! let again = file::load_model(&path)?;
//! assert_eq!(again.forward(x.view())?, model.forward(x.view())?);
//! assert_ne!(again.forward(x.view())?, keras_y);
//! # std::fs::remove_file(path).unwrap();
//! # Ok::<(), rnn_basics::Error>(())
//! ```

mod archive;
mod graph;
mod hdf5;
mod npy;
mod write;

use std::path::Path;

use ndarray::{ArrayD, Ix2};

use crate::keras::{KerasLayer, LayerConfig, NamedArray, RecurrentKind};
use crate::layers::{Dropout, Embedding, Masking};
use crate::model::{ModelLayer, Sequential};
use crate::{Error, Result, show};
use graph::{LayerSpec, ModelSpec, SpecKind};
use hdf5::H5;

pub use npy::{NpyInput, read_npy, read_npy_bytes, write_npy_f32};
pub use write::{keras_bytes, save_keras};

/// The most numbers one layer's output may hold in [`check_output_sizes`]
/// (4 GiB of `f32`).
pub const MAX_OUTPUT_NUMBERS: usize = 1 << 30;

/// Checks, before running `model` on an input of shape `input`, that no
/// layer's output would hold more than [`MAX_OUTPUT_NUMBERS`] numbers: a
/// small file can ask for a huge product of sizes (a long input times a
/// wide layer), and that is refused rather than attempted.
pub fn check_output_sizes(model: &Sequential, input: &[usize]) -> Result<()> {
    for (shape, name) in model.output_shapes().iter().zip(model.layer_names()) {
        let numbers = shape
            .iter()
            .enumerate()
            .map(|(axis, d)| d.or_else(|| input.get(axis).copied()).unwrap_or(1))
            .try_fold(1usize, |a, d| a.checked_mul(d));
        match numbers {
            Some(n) if n <= MAX_OUTPUT_NUMBERS => {}
            _ => {
                return Err(fail(format!(
                    "layer {name:?}: its output {} for this input would hold more than {MAX_OUTPUT_NUMBERS} numbers",
                    show::shape_opt(shape)
                )));
            }
        }
    }
    Ok(())
}

/// An error about the file being read; the caller adds the file's name.
pub(crate) fn fail(message: impl std::fmt::Display) -> Error {
    Error::format("", message)
}

/// Which kind of model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Keras 3's `.keras` zip.
    Keras,
    /// A legacy full-model HDF5 file.
    H5,
}

/// Tells a `.keras` zip from an HDF5 file by their first bytes.
pub fn detect_format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Keras)
    } else if hdf5_pure::is_hdf5_bytes(bytes) {
        Some(Format::H5)
    } else {
        None
    }
}

/// Loads a `.keras` or legacy `.h5` model file. Errors name the file, the
/// layer and what is wrong.
pub fn load_model(path: impl AsRef<Path>) -> Result<Sequential> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    load_model_bytes(&bytes).map_err(|e| e.in_source(path.display()))
}

/// Loads a model from the bytes of a `.keras` or `.h5` file.
pub fn load_model_bytes(bytes: &[u8]) -> Result<Sequential> {
    // The HDF5 and zip readers are third-party parsers of untrusted bytes:
    // should one of them panic on a corrupt file, that is an error here.
    std::panic::catch_unwind(|| match detect_format(bytes) {
        Some(Format::Keras) => load_keras(bytes),
        Some(Format::H5) => load_h5(bytes.to_vec()),
        None => Err(fail(
            "neither a .keras file (a zip) nor a legacy .h5 file (HDF5): unknown first bytes",
        )),
    })
    .unwrap_or_else(|_| Err(fail("the file is corrupt: its reader failed on it")))
}

fn parse_json(bytes: &[u8], what: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(|e| fail(format!("{what}: not valid JSON: {e}")))
}

fn load_keras(bytes: &[u8]) -> Result<Sequential> {
    let archive = archive::read(bytes)?;
    keras_parts(&archive.config, archive.weights)
}

/// Loads a model from the two parts of a `.keras` file, unzipped: its
/// `config.json` and its `model.weights.h5`.
pub fn load_keras_parts(config_json: &[u8], weights_h5: &[u8]) -> Result<Sequential> {
    std::panic::catch_unwind(|| keras_parts(config_json, weights_h5.to_vec()))
        .unwrap_or_else(|_| Err(fail("the file is corrupt: its reader failed on it")))
}

fn keras_parts(config: &[u8], weights: Vec<u8>) -> Result<Sequential> {
    let config = parse_json(config, "config.json")?;
    let spec = graph::model_spec(&config)?;
    let h5 = H5::from_bytes(weights, "model.weights.h5")?;
    let source = Keras3Weights::new(&spec, &h5);
    build(&spec, &h5, |i, layer, expected| {
        source.fetch(i, layer, expected)
    })
}

fn load_h5(bytes: Vec<u8>) -> Result<Sequential> {
    let h5 = H5::from_bytes(bytes, "the .h5 file")?;
    let Some(config) = h5.attr_string("/", "model_config")? else {
        return Err(fail(
            "the .h5 file has no model_config attribute: it holds weights only, not a whole model (save it with model.save(\"NAME.h5\"))",
        ));
    };
    let config = parse_json(config.as_bytes(), "model_config")?;
    let spec = graph::model_spec(&config)?;
    let version = h5.attr_string("/", "keras_version")?.unwrap_or_default();
    if version.starts_with("2.") {
        refuse_keras2_hard_sigmoid(&spec, &version)?;
    }
    build(&spec, &h5, |_, layer, expected| {
        legacy_fetch(&h5, layer, expected)
    })
}

/// Keras 2's `hard_sigmoid` is `clip(0.2·x + 0.5, 0, 1)`, Keras 3's (this
/// crate's) `clip(x/6 + 0.5, 0, 1)`: a Keras 2 file that uses it would
/// give other numbers, so it is refused.
fn refuse_keras2_hard_sigmoid(spec: &ModelSpec, version: &str) -> Result<()> {
    use crate::activation::Activation::HardSigmoid;
    for layer in &spec.layers {
        let uses = match &layer.kind {
            SpecKind::Recurrent(r) | SpecKind::Bidirectional { layer: r, .. } => {
                r.activation == HardSigmoid
                    || (r.kind != RecurrentKind::SimpleRnn && r.recurrent_activation == HardSigmoid)
            }
            SpecKind::Dense(d) | SpecKind::TimeDistributed(d) => d.activation == HardSigmoid,
            _ => false,
        };
        if uses {
            return Err(fail(format!(
                "{}: hard_sigmoid in a file from Keras {version} is Keras 2's clip(0.2x + 0.5), not Keras 3's clip(x/6 + 0.5) that this crate computes; not supported",
                layer_label(layer)
            )));
        }
    }
    Ok(())
}

/// A weight the layer needs: its name here (`kernel`, `forward/bias`, ...)
/// and its shape.
struct Wanted {
    name: String,
    shape: Vec<usize>,
}

fn layer_label(layer: &LayerSpec) -> String {
    format!("layer {:?} ({})", layer.name, layer.class)
}

fn recurrent_weights(
    r: &crate::keras::RecurrentConfig,
    features: usize,
    prefix: &str,
) -> Vec<Wanted> {
    let width = r.units * r.kind.gates();
    let mut out = vec![
        Wanted {
            name: format!("{prefix}kernel"),
            shape: vec![features, width],
        },
        Wanted {
            name: format!("{prefix}recurrent_kernel"),
            shape: vec![r.units, width],
        },
    ];
    if r.use_bias {
        let shape = if r.kind == RecurrentKind::Gru && r.reset_after {
            vec![2, width]
        } else {
            vec![width]
        };
        out.push(Wanted {
            name: format!("{prefix}bias"),
            shape,
        });
    }
    out
}

fn dense_weights(d: &crate::keras::DenseConfig, features: usize) -> Vec<Wanted> {
    let mut out = vec![Wanted {
        name: "kernel".into(),
        shape: vec![features, d.units],
    }];
    if d.use_bias {
        out.push(Wanted {
            name: "bias".into(),
            shape: vec![d.units],
        });
    }
    out
}

/// The weights a layer needs given the features it reads.
fn wanted(layer: &LayerSpec, features: Option<usize>) -> Result<Vec<Wanted>> {
    let features = || {
        features.ok_or_else(|| {
            fail(format!(
                "{}: the number of features it reads is unknown",
                layer_label(layer)
            ))
        })
    };
    Ok(match &layer.kind {
        SpecKind::Recurrent(r) => recurrent_weights(r, features()?, ""),
        SpecKind::Bidirectional { layer: r, .. } => {
            let f = features()?;
            let mut w = recurrent_weights(r, f, "forward/");
            w.extend(recurrent_weights(r, f, "backward/"));
            w
        }
        SpecKind::Dense(d) | SpecKind::TimeDistributed(d) => dense_weights(d, features()?),
        SpecKind::Embedding {
            input_dim,
            output_dim,
            ..
        } => vec![Wanted {
            name: "embeddings".into(),
            shape: vec![*input_dim, *output_dim],
        }],
        SpecKind::Masking(_) | SpecKind::Dropout { .. } => Vec::new(),
    })
}

/// Builds the model layer by layer, each from the weights `fetch` finds for it.
fn build(
    spec: &ModelSpec,
    h5: &H5,
    fetch: impl Fn(usize, &LayerSpec, &[Wanted]) -> Result<Vec<NamedArray>>,
) -> Result<Sequential> {
    let mut model = Sequential::new(&spec.input_shape).named(&spec.name);
    if let Some(input) = &spec.input_layer {
        model = model.with_input_layer(input);
    }
    // Every weight is stored in the file, uncompressed: a config that asks
    // for more numbers than the file has bytes is refused before any is read.
    let mut budget = h5.len() / 4;
    for (i, layer) in spec.layers.iter().enumerate() {
        let label = layer_label(layer);
        let out = model.output_shape();
        let features = out.last().copied().flatten();
        let wanted = wanted(layer, features)?;
        for w in &wanted {
            let n = w.shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d));
            match n {
                Some(n) if n <= budget => budget -= n,
                _ => {
                    return Err(fail(format!(
                        "{label}: weight {} of shape {} holds more numbers than the file has room for ({} bytes)",
                        w.name,
                        show::shape(&w.shape),
                        h5.len()
                    )));
                }
            }
        }
        let arrays = fetch(i, layer, &wanted)?;
        let built =
            build_layer(layer, features.unwrap_or(0), arrays).map_err(|e| in_layer(e, &label))?;
        model
            .add_named(built, &layer.name)
            .map_err(|e| fail(e.to_string()))?;
    }
    Ok(model)
}

/// An error from a layer's builder, said of the layer.
fn in_layer(e: Error, label: &str) -> Error {
    match e {
        Error::Format {
            source_name,
            message,
        } if source_name.is_empty() => fail(format!("{label}: {message}")),
        other => fail(format!("{label}: {other}")),
    }
}

fn build_layer(layer: &LayerSpec, features: usize, arrays: Vec<NamedArray>) -> Result<ModelLayer> {
    let via_config =
        |config: LayerConfig| -> Result<KerasLayer> { config.build(features, &arrays) };
    Ok(match &layer.kind {
        SpecKind::Recurrent(r) => match via_config(LayerConfig::Recurrent(r.clone()))? {
            KerasLayer::Recurrent(mut l) => {
                l.set_dropout(layer.dropout)?;
                ModelLayer::Recurrent(l)
            }
            _ => unreachable!("a recurrent config builds a recurrent layer"),
        },
        SpecKind::Bidirectional {
            merge_mode,
            layer: wrapped,
        } => {
            match via_config(LayerConfig::Bidirectional {
                merge_mode: *merge_mode,
                layer: wrapped.clone(),
            })? {
                KerasLayer::Bidirectional(mut l) => {
                    let (forward, backward) = l.layers_mut();
                    forward.set_dropout(layer.dropout)?;
                    backward.set_dropout(layer.dropout)?;
                    ModelLayer::Bidirectional(l)
                }
                _ => unreachable!("a Bidirectional config builds a Bidirectional"),
            }
        }
        SpecKind::Dense(d) | SpecKind::TimeDistributed(d) => {
            let dense = match via_config(LayerConfig::Dense(d.clone()))? {
                KerasLayer::Dense(l) => l,
                _ => unreachable!("a Dense config builds a Dense"),
            };
            if matches!(layer.kind, SpecKind::TimeDistributed(_)) {
                ModelLayer::TimeDistributed(dense)
            } else {
                ModelLayer::Dense(dense)
            }
        }
        SpecKind::Embedding { mask_zero, .. } => {
            let table = arrays
                .into_iter()
                .next()
                .map(|a| a.array)
                .unwrap_or_else(|| ArrayD::zeros(vec![0, 0]));
            let table = table
                .into_dimensionality::<Ix2>()
                .map_err(|_| fail("embeddings: expected a matrix"))?;
            ModelLayer::Embedding(Embedding::from_weights(table, *mask_zero)?)
        }
        SpecKind::Masking(v) => ModelLayer::Masking(Masking::new(*v)),
        SpecKind::Dropout { rate, seed } => {
            ModelLayer::Dropout(Dropout::new(*rate)?.with_seed(*seed))
        }
    })
}

/// Keras's `to_snake_case` of a class name: `SimpleRNN` → `simple_rnn`,
/// `TimeDistributed` → `time_distributed`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // (.)([A-Z][a-z]+) -> \1_\2
    let mut first = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0
            && c.is_ascii_uppercase()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
        {
            first.push('_');
        }
        first.push(*c);
    }
    // ([a-z])([A-Z]) -> \1_\2
    let chars: Vec<char> = first.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && c.is_ascii_uppercase() && chars[i - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Keras 3's keys: `layers/<snake class>[_n]`, numbered in layer order.
pub(crate) fn layer_keys(classes: &[&str]) -> Vec<String> {
    let mut used: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    classes
        .iter()
        .map(|class| {
            let base = snake_case(class);
            let count = used.entry(base.clone()).or_insert(0);
            let key = match *count {
                0 => base,
                n => format!("{base}_{n}"),
            };
            *count += 1;
            key
        })
        .collect()
}

/// Weights in a Keras 3 `model.weights.h5`.
struct Keras3Weights<'a> {
    h5: &'a H5,
    keys: Vec<String>,
}

impl<'a> Keras3Weights<'a> {
    fn new(spec: &ModelSpec, h5: &'a H5) -> Self {
        let classes: Vec<&str> = spec.layers.iter().map(|l| l.class.as_str()).collect();
        Keras3Weights {
            h5,
            keys: layer_keys(&classes),
        }
    }

    fn fetch(&self, i: usize, layer: &LayerSpec, wanted: &[Wanted]) -> Result<Vec<NamedArray>> {
        let label = layer_label(layer);
        let key = format!("layers/{}", self.keys[i]);
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        if !self.h5.has_group(&key)? {
            return Err(fail(format!(
                "{label}: no weights in model.weights.h5 (expected the group {key})"
            )));
        }
        if let Some(stored) = self.h5.attr_string(&format!("{key}/vars"), "name")?
            && stored != layer.name
        {
            return Err(fail(format!(
                "{label}: the weights at {key} are those of layer {stored:?}, not {:?}",
                layer.name
            )));
        }
        // Where each of the layer's weights lives, group by group.
        let groups: Vec<(String, &[&str])> = match &layer.kind {
            SpecKind::Recurrent(_) => vec![(
                format!("{key}/cell/vars"),
                &["kernel", "recurrent_kernel", "bias"],
            )],
            SpecKind::Bidirectional { .. } => vec![
                (
                    format!("{key}/forward_layer/cell/vars"),
                    &["forward/kernel", "forward/recurrent_kernel", "forward/bias"],
                ),
                (
                    format!("{key}/backward_layer/cell/vars"),
                    &[
                        "backward/kernel",
                        "backward/recurrent_kernel",
                        "backward/bias",
                    ],
                ),
            ],
            SpecKind::Dense(_) => vec![(format!("{key}/vars"), &["kernel", "bias"])],
            SpecKind::TimeDistributed(_) => {
                vec![(format!("{key}/layer/vars"), &["kernel", "bias"])]
            }
            SpecKind::Embedding { .. } => vec![(format!("{key}/vars"), &["embeddings"])],
            SpecKind::Masking(_) | SpecKind::Dropout { .. } => Vec::new(),
        };
        let mut out = Vec::new();
        for (group, names) in groups {
            let here: Vec<&Wanted> = wanted
                .iter()
                .filter(|w| names.contains(&w.name.as_str()))
                .collect();
            for (index, w) in here.iter().enumerate() {
                let path = format!("{group}/{index}");
                let array =
                    self.h5
                        .read_f32(&path, &w.shape, &format!("{label}: weight {}", w.name))?;
                out.push(NamedArray {
                    name: w.name.clone(),
                    array,
                });
            }
            let stored = self.h5.datasets_in(&group)?;
            if stored.len() != here.len() {
                return Err(fail(format!(
                    "{label}: {group} holds {} weights, expected {} ({})",
                    stored.len(),
                    here.len(),
                    here.iter()
                        .map(|w| w.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(out)
    }
}

/// Our name for a legacy weight path: `sequential/lstm/lstm_cell/kernel:0`
/// → `kernel`, `.../forward_lstm/lstm_cell/bias` → `forward/bias`.
/// (The direction is read only for a `Bidirectional`.)
fn legacy_name(path: &str, bidirectional: bool) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let last = parts.last().copied().unwrap_or("");
    let last = last.strip_suffix(":0").unwrap_or(last);
    if !bidirectional {
        return last.to_string();
    }
    let direction = parts[..parts.len().saturating_sub(1)].iter().find_map(|p| {
        if p.starts_with("forward_") {
            Some("forward/")
        } else if p.starts_with("backward_") {
            Some("backward/")
        } else {
            None
        }
    });
    format!("{}{last}", direction.unwrap_or(""))
}

/// Weights in a legacy `.h5`: `model_weights/<layer>/` with `weight_names`.
fn legacy_fetch(h5: &H5, layer: &LayerSpec, wanted: &[Wanted]) -> Result<Vec<NamedArray>> {
    let label = layer_label(layer);
    let group = format!("model_weights/{}", layer.name);
    let names = match h5.attr_strings(&group, "weight_names")? {
        Some(names) => names,
        None if wanted.is_empty() => Vec::new(),
        None => {
            return Err(fail(format!(
                "{label}: no weights in the .h5 file (expected {group} with a weight_names attribute)"
            )));
        }
    };
    if names.len() != wanted.len() {
        return Err(fail(format!(
            "{label}: the file lists {} weights ({}), expected {} ({})",
            names.len(),
            names.join(", "),
            wanted.len(),
            wanted
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut out = Vec::new();
    for w in wanted {
        let bidirectional = matches!(layer.kind, SpecKind::Bidirectional { .. });
        let matching: Vec<&String> = names
            .iter()
            .filter(|n| legacy_name(n, bidirectional) == w.name)
            .collect();
        let [path] = matching.as_slice() else {
            return Err(fail(format!(
                "{label}: weight {}: expected one of its weight_names ({}) to name it, found {}",
                w.name,
                names.join(", "),
                matching.len()
            )));
        };
        let array = h5.read_f32(
            &format!("{group}/{path}"),
            &w.shape,
            &format!("{label}: weight {}", w.name),
        )?;
        out.push(NamedArray {
            name: w.name.clone(),
            array,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_snake_case_as_keras_does() {
        for (class, key) in [
            ("SimpleRNN", "simple_rnn"),
            ("LSTM", "lstm"),
            ("GRU", "gru"),
            ("TimeDistributed", "time_distributed"),
            ("InputLayer", "input_layer"),
            ("Bidirectional", "bidirectional"),
        ] {
            assert_eq!(snake_case(class), key);
        }
        assert_eq!(
            layer_keys(&["LSTM", "Dense", "LSTM", "LSTM", "Dense"]),
            ["lstm", "dense", "lstm_1", "lstm_2", "dense_1"]
        );
    }

    #[test]
    fn legacy_weight_names_read_as_ours() {
        assert_eq!(
            legacy_name("sequential/gru/gru_cell/kernel", false),
            "kernel"
        );
        assert_eq!(
            legacy_name("lstm_1/lstm_cell_1/recurrent_kernel:0", false),
            "recurrent_kernel"
        );
        assert_eq!(
            legacy_name(
                "sequential/bidirectional/backward_lstm/lstm_cell/bias",
                true
            ),
            "backward/bias"
        );
        assert_eq!(
            legacy_name("sequential/forward_model/lstm_cell/bias", false),
            "bias"
        );
        assert_eq!(
            legacy_name("sequential/embedding/embeddings", false),
            "embeddings"
        );
    }
}
