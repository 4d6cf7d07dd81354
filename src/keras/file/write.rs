//! A `Sequential` to a Keras 3 `.keras` file: `config.json` in Keras's
//! serialization format, `model.weights.h5` laid out as Keras lays it out
//! (`layers/<key>/.../vars/<i>`, each `vars` group named), and
//! `metadata.json`.

use std::path::Path;

use hdf5_pure::{AttrValue, FileBuilder, GroupBuilder};
use serde_json::{Value, json};

use super::{fail, layer_keys};
use crate::layers::RecurrentLayer;
use crate::model::{ModelLayer, Sequential};
use crate::rnn::Recurrent;
use crate::{Error, Result};

/// The Keras version the files say they come from: the one whose format
/// they follow and that was checked to load them.
const KERAS_VERSION: &str = "3.15.1";

/// Writes `model` as a `.keras` file that Keras 3 loads with
/// `keras.models.load_model`.
///
/// ```
/// use rnn_basics::keras::file;
///
/// let model = file::load_model("tests/keras_files/lstm_sequences_dense.keras")?;
/// let bytes = file::keras_bytes(&model)?;
/// let again = file::load_model_bytes(&bytes)?;
/// assert_eq!(again.weights(), model.weights());
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub fn save_keras(model: &Sequential, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let bytes = keras_bytes(model).map_err(|e| e.in_source(path.display()))?;
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The bytes of the `.keras` file [`save_keras`] writes.
pub fn keras_bytes(model: &Sequential) -> Result<Vec<u8>> {
    let config =
        serde_json::to_vec(&model_config(model)?).map_err(|e| fail(format!("config.json: {e}")))?;
    let weights = weights_h5(model)?;
    let metadata = serde_json::to_vec(&json!({
        "keras_version": KERAS_VERSION,
        "date_saved": "1970-01-01@00:00:00",
    }))
    .map_err(|e| fail(format!("metadata.json: {e}")))?;
    super::archive::write(&[
        ("metadata.json", &metadata),
        ("config.json", &config),
        ("model.weights.h5", &weights),
    ])
}

fn dtype_policy() -> Value {
    json!({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})
}

fn shape_json(shape: &[Option<usize>]) -> Value {
    Value::Array(
        shape
            .iter()
            .map(|d| d.map_or(Value::Null, |d| json!(d)))
            .collect(),
    )
}

fn wrap(class: &str, config: Value, input_shape: Option<&[Option<usize>]>) -> Value {
    let mut v = json!({
        "module": "keras.layers",
        "class_name": class,
        "config": config,
        "registered_name": null,
    });
    if let Some(shape) = input_shape {
        v["build_config"] = json!({"input_shape": shape_json(shape)});
    }
    v
}

/// A rate as the number its `f32` was written from (`0.2`, not
/// `0.20000000298023224`).
fn rate_json(rate: f32) -> Value {
    json!(
        rate.to_string()
            .parse::<f64>()
            .expect("a float's own digits")
    )
}

fn recurrent_config(l: &RecurrentLayer, name: &str) -> Value {
    let rnn = l.config();
    let mut c = json!({
        "name": name,
        "trainable": true,
        "dtype": dtype_policy(),
        "return_sequences": rnn.return_sequences,
        "return_state": false,
        "go_backwards": rnn.go_backwards,
        "stateful": false,
        "unroll": false,
        "zero_output_for_mask": rnn.zero_output_for_mask,
        "units": l.units(),
        "dropout": rate_json(l.dropout().dropout),
        "recurrent_dropout": rate_json(l.dropout().recurrent_dropout),
        "seed": l.dropout().seed,
    });
    let (activation, recurrent_activation, use_bias) = match l {
        RecurrentLayer::SimpleRnn(f) => (f.cell().activation(), None, f.cell().bias().is_some()),
        RecurrentLayer::Lstm(f) => {
            let (a, r) = f.cell().activations();
            c["unit_forget_bias"] = json!(true);
            (a, Some(r), f.cell().bias().is_some())
        }
        RecurrentLayer::Gru(f) => {
            let (a, r) = f.cell().activations();
            c["reset_after"] = json!(f.cell().reset_after());
            (a, Some(r), f.cell().bias().is_some())
        }
    };
    c["activation"] = json!(activation.keras_name());
    if let Some(r) = recurrent_activation {
        c["recurrent_activation"] = json!(r.keras_name());
    }
    c["use_bias"] = json!(use_bias);
    c
}

fn dense_config(d: &crate::layers::Dense, name: &str) -> Value {
    json!({
        "name": name,
        "trainable": true,
        "dtype": dtype_policy(),
        "units": d.units(),
        "activation": d.activation().keras_name(),
        "use_bias": d.bias().is_some(),
    })
}

/// `config.json`: a Sequential with its InputLayer first.
fn model_config(model: &Sequential) -> Result<Value> {
    let input = model.input_shape();
    let integer = matches!(model.layers().first(), Some(ModelLayer::Embedding(_)));
    let mut layers = vec![json!({
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": shape_json(input),
            "dtype": if integer { "int32" } else { "float32" },
            "sparse": false,
            "ragged": false,
            "name": "input_layer",
            "optional": false,
        },
        "registered_name": null,
    })];
    let mut shape: Vec<Option<usize>> = input.to_vec();
    for ((layer, name), out) in model
        .layers()
        .iter()
        .zip(model.layer_names())
        .zip(model.output_shapes())
    {
        let built = Some(shape.as_slice());
        let v = match layer {
            ModelLayer::Recurrent(l) => wrap(l.type_name(), recurrent_config(l, name), built),
            ModelLayer::Bidirectional(b) => {
                let inner = b.forward_layer();
                let mut inner_config = recurrent_config(inner, &format!("forward_{name}"));
                // Keras keeps the wrapper's return_sequences on the layer it wraps.
                inner_config["return_sequences"] = json!(b.config().return_sequences);
                inner_config["zero_output_for_mask"] = json!(b.config().return_sequences);
                let merge = match b.merge_mode() {
                    crate::layers::MergeMode::Concat => "concat",
                    crate::layers::MergeMode::Sum => "sum",
                    crate::layers::MergeMode::Mul => "mul",
                    crate::layers::MergeMode::Ave => "ave",
                    crate::layers::MergeMode::None => {
                        return Err(fail(format!(
                            "layer {name:?} (Bidirectional): merge_mode None cannot be saved in a Sequential"
                        )));
                    }
                };
                wrap(
                    "Bidirectional",
                    json!({
                        "name": name,
                        "trainable": true,
                        "dtype": dtype_policy(),
                        "merge_mode": merge,
                        "layer": wrap(inner.type_name(), inner_config, None),
                    }),
                    built,
                )
            }
            ModelLayer::Dense(d) => wrap("Dense", dense_config(d, name), built),
            ModelLayer::TimeDistributed(d) => wrap(
                "TimeDistributed",
                json!({
                    "name": name,
                    "trainable": true,
                    "dtype": dtype_policy(),
                    "layer": wrap("Dense", dense_config(d, &format!("{name}_dense")), None),
                }),
                built,
            ),
            ModelLayer::Embedding(e) => wrap(
                "Embedding",
                json!({
                    "name": name,
                    "trainable": true,
                    "dtype": dtype_policy(),
                    "input_dim": e.input_dim(),
                    "output_dim": e.output_dim(),
                    "mask_zero": e.mask_zero(),
                }),
                built,
            ),
            ModelLayer::Masking(m) => wrap(
                "Masking",
                json!({
                    "name": name,
                    "trainable": true,
                    "dtype": dtype_policy(),
                    "mask_value": m.mask_value(),
                }),
                built,
            ),
            ModelLayer::Dropout(d) => wrap(
                "Dropout",
                json!({
                    "name": name,
                    "trainable": true,
                    "dtype": dtype_policy(),
                    "rate": rate_json(d.rate()),
                    "seed": d.seed(),
                    "noise_shape": null,
                }),
                built,
            ),
        };
        layers.push(v);
        shape = out.clone();
    }
    Ok(json!({
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": model.name(),
            "trainable": true,
            "dtype": dtype_policy(),
            "layers": layers,
        },
        "registered_name": null,
        "build_config": {"input_shape": shape_json(input)},
    }))
}

/// A group tree to write: datasets `0, 1, ...` in a `vars` group named `name`.
fn vars(parent: &mut GroupBuilder, name: &str, weights: &[ndarray::ArrayViewD<'_, f32>]) {
    let mut g = parent.create_group("vars");
    g.set_attr("name", AttrValue::VarLenString(name.to_string()));
    for (i, w) in weights.iter().enumerate() {
        let data: Vec<f32> = w.iter().copied().collect();
        let shape: Vec<u64> = w.shape().iter().map(|d| *d as u64).collect();
        g.create_dataset(&i.to_string())
            .with_f32_data(&data)
            .with_shape(&shape);
    }
    parent.add_group(g.finish());
}

/// `cell/vars` of a recurrent layer plus its own empty `vars`.
fn recurrent_group(parent: &mut GroupBuilder, key: &str, layer: &RecurrentLayer, name: &str) {
    let mut g = parent.create_group(key);
    let mut cell = g.create_group("cell");
    let cell_name = match layer {
        RecurrentLayer::SimpleRnn(_) => "simple_rnn_cell",
        RecurrentLayer::Lstm(_) => "lstm_cell",
        RecurrentLayer::Gru(_) => "gru_cell",
    };
    vars(&mut cell, cell_name, &layer.weights());
    g.add_group(cell.finish());
    vars(&mut g, name, &[]);
    parent.add_group(g.finish());
}

/// `model.weights.h5` as Keras 3 writes it.
fn weights_h5(model: &Sequential) -> Result<Vec<u8>> {
    let mut file = FileBuilder::new();
    let mut layers = file.create_group("layers");
    let classes: Vec<&str> = model.layers().iter().map(|l| l.type_name()).collect();
    let keys = layer_keys(&classes);
    for ((layer, name), key) in model.layers().iter().zip(model.layer_names()).zip(&keys) {
        match layer {
            ModelLayer::Recurrent(l) => recurrent_group(&mut layers, key, l, name),
            ModelLayer::Bidirectional(b) => {
                let mut g = layers.create_group(key);
                let inner = b.forward_layer().type_name().to_lowercase();
                let inner = if inner == "simplernn" {
                    "simple_rnn".to_string()
                } else {
                    inner
                };
                recurrent_group(
                    &mut g,
                    "forward_layer",
                    b.forward_layer(),
                    &format!("forward_{inner}"),
                );
                recurrent_group(
                    &mut g,
                    "backward_layer",
                    b.backward_layer(),
                    &format!("backward_{inner}"),
                );
                vars(&mut g, name, &[]);
                layers.add_group(g.finish());
            }
            ModelLayer::TimeDistributed(d) => {
                let mut g = layers.create_group(key);
                let mut inner = g.create_group("layer");
                vars(&mut inner, &format!("{name}_dense"), &d.weights());
                g.add_group(inner.finish());
                vars(&mut g, name, &[]);
                layers.add_group(g.finish());
            }
            other => {
                let mut g = layers.create_group(key);
                vars(&mut g, name, &other.weights());
                layers.add_group(g.finish());
            }
        }
    }
    file.add_group(layers.finish());
    let mut top = file.create_group("vars");
    top.set_attr("name", AttrValue::VarLenString(model.name().to_string()));
    file.add_group(top.finish());
    file.finish()
        .map_err(|e| fail(format!("model.weights.h5: cannot write it: {e}")))
}
