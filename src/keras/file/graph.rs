//! A Keras model config (`config.json`, or a legacy `.h5` file's
//! `model_config`) to a chain of layer specs: `Sequential`, or a Functional
//! model whose layers each take the one before.

use serde_json::Value;

use super::fail;
use crate::Result;
use crate::activation::Activation;
use crate::keras::json::{Obj, describe};
use crate::keras::{DenseConfig, RecurrentConfig, RecurrentKind};
use crate::layers::{MergeMode, RecurrentDropout};
use crate::rnn::RnnConfig;

/// A model as a chain of layers, with the input shape it was built for.
#[derive(Clone, Debug)]
pub(crate) struct ModelSpec {
    pub name: String,
    /// `(batch, ...)`, `None` where unknown.
    pub input_shape: Vec<Option<usize>>,
    /// A Functional model's InputLayer name (`None` for a Sequential).
    pub input_layer: Option<String>,
    pub layers: Vec<LayerSpec>,
}

/// One layer: Keras's name and class, and what it needs to be built.
#[derive(Clone, Debug)]
pub(crate) struct LayerSpec {
    pub name: String,
    pub class: String,
    pub kind: SpecKind,
    /// A recurrent layer's (or a Bidirectional's wrapped layer's)
    /// `dropout`, `recurrent_dropout` and `seed`; none for other layers.
    pub dropout: RecurrentDropout,
}

#[derive(Clone, Debug)]
pub(crate) enum SpecKind {
    Recurrent(RecurrentConfig),
    Bidirectional {
        merge_mode: MergeMode,
        layer: RecurrentConfig,
    },
    Dense(DenseConfig),
    TimeDistributed(DenseConfig),
    Embedding {
        input_dim: usize,
        output_dim: usize,
        mask_zero: bool,
    },
    Masking(f32),
    Dropout {
        rate: f32,
        seed: Option<u64>,
    },
}

/// The op nodes Keras 3 writes into a Functional model for the mask of
/// `Embedding(mask_zero)` and `Masking`: a mask, not a branch.
const MASK_OPS: &[&str] = &["NotEqual", "Any"];

const SUPPORTED: &str = "InputLayer, SimpleRNN, LSTM, GRU, Bidirectional, Dense, TimeDistributed(Dense), Embedding, Masking, Dropout";

/// Reads a whole model config.
pub(crate) fn model_spec(config: &Value) -> Result<ModelSpec> {
    let top = Obj::new(config, "config.json")?;
    let class = top.string("class_name")?;
    let inner = Obj::new(top.required("config")?, "config.json config")?;
    let name = inner.opt_string("name")?.unwrap_or("model").to_string();
    let layers = inner.list("layers")?;
    match class {
        "Sequential" => sequential(name, layers),
        "Functional" | "Model" => functional(name, inner, layers),
        other => Err(fail(format!(
            "the model is a {other:?}; expected a Sequential or a Functional model"
        ))),
    }
}

/// A layer's class, its config (as JSON) and its name.
fn class_and_config(v: &Value, i: usize) -> Result<(&str, &Value, String)> {
    let path = format!("layer {i}");
    let o = Obj::new(v, &path)?;
    o.string("class_name")?;
    let class = v
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let config_value = v.get("config").unwrap_or(&Value::Null);
    let config = Obj::new(config_value, &path)?;
    let name = match config.opt_string("name")? {
        Some(n) => n.to_string(),
        None => o
            .opt_string("name")?
            .map(str::to_string)
            .unwrap_or_else(|| format!("layer {i}")),
    };
    Ok((class, config_value, name))
}

/// The path that names a layer in messages: `layer "lstm" (LSTM)`.
fn layer_path(name: &str, class: &str) -> String {
    format!("layer {name:?} ({class})")
}

fn sequential(name: String, layers: &[Value]) -> Result<ModelSpec> {
    let mut input: Option<(Vec<Option<usize>>, bool)> = None;
    let mut specs = Vec::new();
    for (i, v) in layers.iter().enumerate() {
        let (class, config, lname) = class_and_config(v, i)?;
        let path = layer_path(&lname, class);
        let config = Obj::new(config, &path)?;
        if class == "InputLayer" {
            if i != 0 {
                return Err(fail(format!(
                    "layer {lname:?} (InputLayer) is layer {i}; a Sequential model has its input first"
                )));
            }
            input = Some(input_layer(config, &lname)?);
            continue;
        }
        if input.is_none() && specs.is_empty() {
            input = first_layer_input(v, config, class)?;
        }
        specs.push(layer_spec(class, config, lname)?);
    }
    let Some((input_shape, _)) = input else {
        return Err(fail(
            "the model has no input shape (no InputLayer, no build_config, no batch_input_shape)",
        ));
    };
    Ok(ModelSpec {
        name,
        input_shape,
        input_layer: None,
        layers: specs,
    })
}

/// `batch_shape` (Keras 3) or `batch_input_shape` (Keras 2) and the dtype.
fn input_layer(config: Obj<'_>, name: &str) -> Result<(Vec<Option<usize>>, bool)> {
    let shape = config
        .get("batch_shape")
        .or_else(|| config.get("batch_input_shape"))
        .ok_or_else(|| {
            fail(format!(
                "layer {name:?} (InputLayer): no batch_shape to read the input shape from"
            ))
        })?;
    let shape = crate::keras::json::shape(shape, &format!("layer {name:?} batch_shape"), true)?;
    Ok((shape, integer_dtype(config)?))
}

fn integer_dtype(config: Obj<'_>) -> Result<bool> {
    Ok(match config.get("dtype") {
        Some(Value::String(s)) => s.starts_with("int") || s.starts_with("uint"),
        _ => false,
    })
}

/// A Sequential without an InputLayer: the first layer's own input shape.
fn first_layer_input(
    v: &Value,
    config: Obj<'_>,
    class: &str,
) -> Result<Option<(Vec<Option<usize>>, bool)>> {
    if let Some(shape) = config.get("batch_input_shape") {
        let shape = crate::keras::json::shape(shape, "batch_input_shape", true)?;
        return Ok(Some((shape, class == "Embedding")));
    }
    let build = Obj::new(v, "layer")?
        .get("build_config")
        .and_then(|b| b.get("input_shape"));
    match build {
        Some(shape) => {
            let shape = crate::keras::json::shape(shape, "build_config.input_shape", true)?;
            Ok(Some((shape, class == "Embedding")))
        }
        None => Ok(None),
    }
}

/// A tensor reference in a Functional config: `(layer name, node, tensor)`.
fn tensor_ref(v: &Value) -> Option<(&str, u64, u64)> {
    // Keras 3: {"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}
    let history = match v.get("config").and_then(|c| c.get("keras_history")) {
        Some(h) => h,
        // Keras 2: [name, node, tensor, kwargs]
        None => v,
    };
    let h = history.as_array()?;
    Some((
        h.first()?.as_str()?,
        h.get(1)?.as_u64()?,
        h.get(2)?.as_u64()?,
    ))
}

/// The one input of a layer's one call, and the name of its mask node if any.
fn single_input(layer: Obj<'_>, name: &str) -> Result<(String, Option<String>)> {
    let nodes = layer.list("inbound_nodes")?;
    let [node] = nodes else {
        return Err(fail(format!(
            "layer {name:?} is called {} times; a model that is one chain calls each layer once",
            nodes.len()
        )));
    };
    let branch = |why: String| {
        fail(format!(
            "layer {name:?}: {why}; only models that are one chain of layers are supported"
        ))
    };
    let (args, kwargs) = if let Some(list) = node.as_array() {
        // Keras 2: [[name, node, tensor, kwargs], ...]
        (list.clone(), None)
    } else {
        let args = node
            .get("args")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        (args, node.get("kwargs").and_then(Value::as_object))
    };
    let [arg] = args.as_slice() else {
        return Err(branch(format!("it takes {} inputs", args.len())));
    };
    let Some((from, 0, 0)) = tensor_ref(arg) else {
        return Err(branch(format!(
            "its input {} is not one tensor",
            describe(arg)
        )));
    };
    let mut mask = None;
    if let Some(kwargs) = kwargs {
        for (key, value) in kwargs {
            match key.as_str() {
                "training" => {}
                "mask" if value.is_null() => {}
                "mask" => match tensor_ref(value) {
                    Some((m, _, _)) => mask = Some(m.to_string()),
                    None => {
                        return Err(branch(format!(
                            "its mask {} is not a tensor",
                            describe(value)
                        )));
                    }
                },
                other => {
                    return Err(branch(format!(
                        "it is called with {other} = {}",
                        describe(value)
                    )));
                }
            }
        }
    }
    Ok((from.to_string(), mask))
}

fn functional(name: String, inner: Obj<'_>, layers: &[Value]) -> Result<ModelSpec> {
    let ends = |key: &str| -> Result<Vec<String>> {
        let v = inner.required(key)?;
        let list: Vec<&Value> = match v.as_array() {
            Some(items) if items.first().is_some_and(Value::is_string) => vec![v],
            Some(items) => items.iter().collect(),
            None => vec![v],
        };
        list.into_iter()
            .map(|t| {
                tensor_ref(t)
                    .map(|(n, _, _)| n.to_string())
                    .ok_or_else(|| fail(format!("config.{key}: not a tensor: {}", describe(t))))
            })
            .collect()
    };
    let inputs = ends("input_layers")?;
    let outputs = ends("output_layers")?;
    let [input] = inputs.as_slice() else {
        return Err(fail(format!(
            "the model has {} inputs; only models with one input are supported",
            inputs.len()
        )));
    };
    let [output] = outputs.as_slice() else {
        return Err(fail(format!(
            "the model has {} outputs; only models with one output are supported",
            outputs.len()
        )));
    };
    let mut input_shape = None;
    let mut mask_ops: Vec<String> = Vec::new();
    let mut previous = input.clone();
    let mut specs = Vec::new();
    for (i, v) in layers.iter().enumerate() {
        let (class, config, lname) = class_and_config(v, i)?;
        let path = layer_path(&lname, class);
        let config = Obj::new(config, &path)?;
        let layer = Obj::new(v, &path)?;
        if class == "InputLayer" {
            if lname != *input || input_shape.is_some() {
                return Err(fail(format!(
                    "layer {lname:?} (InputLayer) is a second input; only models with one input are supported"
                )));
            }
            input_shape = Some(input_layer(config, &lname)?);
            continue;
        }
        if MASK_OPS.contains(&class) {
            // `NotEqual(x, 0)`, `Any(...)`: they compute a mask that the
            // next layer is given; here the layers compute it themselves.
            mask_ops.push(lname);
            continue;
        }
        let (from, mask) = single_input(layer, &lname)?;
        if let Some(m) = &mask
            && !mask_ops.contains(m)
        {
            return Err(fail(format!(
                "layer {lname:?} takes its mask from {m:?}, which is not a NotEqual or Any mask node; only models that are one chain of layers are supported"
            )));
        }
        if mask_ops.contains(&from) {
            return Err(fail(format!(
                "layer {lname:?} ({class}) takes the output of the mask node {from:?} as its input; only models that are one chain of layers are supported"
            )));
        }
        if from != previous {
            return Err(fail(format!(
                "layer {lname:?} ({class}) takes its input from {from:?}, not from the layer before it ({previous:?}): the graph branches; only models that are one chain of layers are supported"
            )));
        }
        previous = lname.clone();
        specs.push(layer_spec(class, config, lname)?);
    }
    if previous != *output {
        return Err(fail(format!(
            "the model's output is {output:?}, not the last layer of the chain ({previous:?}): the graph branches; only models that are one chain of layers are supported"
        )));
    }
    let Some((input_shape, _)) = input_shape else {
        return Err(fail(format!(
            "the model's input {input:?} is not an InputLayer among its layers"
        )));
    };
    Ok(ModelSpec {
        name,
        input_shape,
        input_layer: Some(input.clone()),
        layers: specs,
    })
}

fn unsupported(name: &str, class: &str) -> crate::Error {
    fail(format!(
        "layer {name:?}: unsupported layer type {class}; supported: {SUPPORTED}"
    ))
}

/// Refuses a dtype policy other than float32: this crate computes in f32.
fn check_dtype(config: Obj<'_>, name: &str, class: &str) -> Result<()> {
    let policy = match config.get("dtype") {
        None => return Ok(()),
        Some(Value::String(s)) => s.as_str(),
        Some(v) => v
            .get("config")
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("float32"),
    };
    if policy == "float32" {
        Ok(())
    } else {
        Err(fail(format!(
            "layer {name:?} ({class}): dtype policy {policy:?} is not supported; expected float32"
        )))
    }
}

/// Refuses a setting that would change the numbers when it is not its default.
fn check_off(config: Obj<'_>, name: &str, class: &str, key: &str) -> Result<()> {
    match config.get(key) {
        None | Some(Value::Bool(false)) => Ok(()),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Ok(()),
        Some(v) => Err(fail(format!(
            "layer {name:?} ({class}): {key} = {} is not supported",
            describe(v)
        ))),
    }
}

fn rate(config: Obj<'_>, key: &str, name: &str, class: &str) -> Result<f32> {
    match config.get(key) {
        None => Ok(0.0),
        Some(v) => match v.as_f64() {
            Some(r) if (0.0..1.0).contains(&r) => Ok(r as f32),
            _ => Err(fail(format!(
                "layer {name:?} ({class}): {key}: expected a number in [0, 1), got {}",
                describe(v)
            ))),
        },
    }
}

fn activation(
    config: Obj<'_>,
    key: &str,
    default: &str,
    name: &str,
    class: &str,
) -> Result<Activation> {
    let v = config.get(key);
    let a = match v {
        None => default,
        Some(Value::String(s)) => s.as_str(),
        Some(v) => {
            return Err(fail(format!(
                "layer {name:?} ({class}): {key}: expected an activation name, got {}",
                describe(v)
            )));
        }
    };
    Activation::from_keras(a, &format!("layer {name:?} ({class})")).map_err(|e| fail(e.to_string()))
}

fn layer_spec(class: &str, config: Obj<'_>, name: String) -> Result<LayerSpec> {
    check_dtype(config, &name, class)?;
    let mut dropout = RecurrentDropout::default();
    let kind = match class {
        "SimpleRNN" | "LSTM" | "GRU" => {
            dropout = recurrent_dropout(config, &name, class)?;
            SpecKind::Recurrent(recurrent(class, config, &name)?)
        }
        "Bidirectional" => {
            let merge = match config.get("merge_mode") {
                None if config.has("merge_mode") => None,
                None => Some("concat"),
                Some(Value::String(s)) => Some(s.as_str()),
                Some(v) => {
                    return Err(fail(format!(
                        "layer {name:?} (Bidirectional): merge_mode: expected a string, got {}",
                        describe(v)
                    )));
                }
            };
            let merge_mode = MergeMode::from_keras(merge)
                .map_err(|e| fail(format!("layer {name:?} (Bidirectional): {e}")))?;
            if merge_mode == MergeMode::None {
                return Err(fail(format!(
                    "layer {name:?} (Bidirectional): merge_mode None returns two outputs; a chain passes one array between layers"
                )));
            }
            let (inner_class, inner, inner_name) = class_and_config(config.required("layer")?, 0)?;
            let inner_path = layer_path(&inner_name, inner_class);
            let inner = Obj::new(inner, &inner_path)?;
            if !matches!(inner_class, "SimpleRNN" | "LSTM" | "GRU") {
                return Err(fail(format!(
                    "layer {name:?} (Bidirectional) wraps a {inner_class}; expected SimpleRNN, LSTM or GRU"
                )));
            }
            let layer = recurrent(inner_class, inner, &inner_name)?;
            dropout = recurrent_dropout(inner, &inner_name, inner_class)?;
            if let Some(back) = config.get("backward_layer") {
                let (back_class, back_config, back_name) = class_and_config(back, 0)?;
                let back_path = layer_path(&back_name, back_class);
                let back_config = Obj::new(back_config, &back_path)?;
                let mut back = recurrent(back_class, back_config, &back_name)?;
                back.rnn.go_backwards = !back.rnn.go_backwards;
                back.rnn.zero_output_for_mask = layer.rnn.zero_output_for_mask;
                let back_dropout = recurrent_dropout(back_config, &back_name, back_class)?;
                if back_class != inner_class || back != layer || back_dropout != dropout {
                    return Err(fail(format!(
                        "layer {name:?} (Bidirectional): a backward layer configured apart from the forward one ({back_name:?}) is not supported"
                    )));
                }
            }
            SpecKind::Bidirectional { merge_mode, layer }
        }
        "Dense" => SpecKind::Dense(dense(config, &name, class)?),
        "TimeDistributed" => {
            let (inner_class, inner, inner_name) = class_and_config(config.required("layer")?, 0)?;
            let inner_path = layer_path(&inner_name, inner_class);
            let inner = Obj::new(inner, &inner_path)?;
            if inner_class != "Dense" {
                return Err(fail(format!(
                    "layer {name:?} (TimeDistributed) wraps a {inner_class}; only TimeDistributed(Dense) is supported"
                )));
            }
            check_dtype(inner, &inner_name, inner_class)?;
            SpecKind::TimeDistributed(dense(inner, &inner_name, inner_class)?)
        }
        "Embedding" => {
            check_off(config, &name, class, "lora_rank")?;
            check_off(config, &name, class, "sparse")?;
            if config.get("quantization_config").is_some() {
                return Err(fail(format!(
                    "layer {name:?} (Embedding): a quantized layer is not supported"
                )));
            }
            SpecKind::Embedding {
                input_dim: config.positive("input_dim")?,
                output_dim: config.positive("output_dim")?,
                mask_zero: config.flag("mask_zero", false)?,
            }
        }
        "Masking" => {
            let value = match config.get("mask_value") {
                None => 0.0,
                Some(v) => v.as_f64().ok_or_else(|| {
                    fail(format!(
                        "layer {name:?} (Masking): mask_value: expected a number, got {}",
                        describe(v)
                    ))
                })?,
            };
            SpecKind::Masking(value as f32)
        }
        "Dropout" => {
            if config.get("noise_shape").is_some() {
                // Only matters in training; kept simple: refused so that a
                // converted file never loses it.
                return Err(fail(format!(
                    "layer {name:?} (Dropout): noise_shape is not supported"
                )));
            }
            SpecKind::Dropout {
                rate: rate(config, "rate", &name, class)?,
                seed: config.get("seed").and_then(Value::as_u64),
            }
        }
        other => return Err(unsupported(&name, other)),
    };
    Ok(LayerSpec {
        name,
        class: class.to_string(),
        kind,
        dropout,
    })
}

/// A recurrent layer's `dropout`, `recurrent_dropout` and `seed`.
fn recurrent_dropout(config: Obj<'_>, name: &str, class: &str) -> Result<RecurrentDropout> {
    Ok(RecurrentDropout {
        dropout: rate(config, "dropout", name, class)?,
        recurrent_dropout: rate(config, "recurrent_dropout", name, class)?,
        seed: config.get("seed").and_then(Value::as_u64),
    })
}

fn dense(config: Obj<'_>, name: &str, class: &str) -> Result<DenseConfig> {
    check_off(config, name, class, "lora_rank")?;
    if config.get("quantization_config").is_some() {
        return Err(fail(format!(
            "layer {name:?} ({class}): a quantized layer is not supported"
        )));
    }
    let o = config;
    Ok(DenseConfig {
        units: o.positive("units")?,
        activation: activation(config, "activation", "linear", name, class)?,
        use_bias: o.flag("use_bias", true)?,
    })
}

fn recurrent(class: &str, config: Obj<'_>, name: &str) -> Result<RecurrentConfig> {
    let kind = match class {
        "SimpleRNN" => RecurrentKind::SimpleRnn,
        "LSTM" => RecurrentKind::Lstm,
        _ => RecurrentKind::Gru,
    };
    check_dtype(config, name, class)?;
    for key in ["stateful", "time_major", "return_state"] {
        check_off(config, name, class, key)?;
    }
    let o = config;
    let act = activation(config, "activation", "tanh", name, class)?;
    let recurrent_activation = if kind == RecurrentKind::SimpleRnn {
        Activation::Sigmoid
    } else {
        activation(config, "recurrent_activation", "sigmoid", name, class)?
    };
    if act == Activation::Softmax || recurrent_activation == Activation::Softmax {
        return Err(fail(format!(
            "layer {name:?} ({class}): softmax is not an element-wise activation; a recurrent cell needs one"
        )));
    }
    Ok(RecurrentConfig {
        kind,
        units: o.positive("units")?,
        activation: act,
        recurrent_activation,
        use_bias: o.flag("use_bias", true)?,
        reset_after: kind != RecurrentKind::Gru || o.flag("reset_after", true)?,
        rnn: RnnConfig {
            return_sequences: o.flag("return_sequences", false)?,
            return_state: false,
            go_backwards: o.flag("go_backwards", false)?,
            zero_output_for_mask: o.flag("zero_output_for_mask", false)?,
        },
    })
}
