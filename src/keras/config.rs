//! Keras layer configs, and building a layer from one plus Keras-ordered weights.

use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2};
use serde_json::Value;

use super::case::NamedArray;
use super::json::{self, Obj};
use crate::activation::Activation;
use crate::cell::{GruCell, LstmCell, SimpleRnnCell};
use crate::layers::{
    Bidirectional, Dense, Dropout, Embedding, Fused, Masking, MergeMode, RecurrentLayer,
};
use crate::model::{ModelLayer, Sequential};
use crate::rnn::{Recurrent, RnnConfig};
use crate::{Error, Result, show};

/// Which recurrent layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurrentKind {
    SimpleRnn,
    Lstm,
    Gru,
}

impl RecurrentKind {
    /// Keras's class name.
    pub fn keras_name(self) -> &'static str {
        match self {
            RecurrentKind::SimpleRnn => "SimpleRNN",
            RecurrentKind::Lstm => "LSTM",
            RecurrentKind::Gru => "GRU",
        }
    }

    /// Gates side by side in the kernel.
    pub fn gates(self) -> usize {
        match self {
            RecurrentKind::SimpleRnn => 1,
            RecurrentKind::Lstm => 4,
            RecurrentKind::Gru => 3,
        }
    }
}

/// The config of a `SimpleRNN`, `LSTM` or `GRU` layer.
#[derive(Clone, Debug, PartialEq)]
pub struct RecurrentConfig {
    pub kind: RecurrentKind,
    pub units: usize,
    pub activation: Activation,
    /// LSTM and GRU only (sigmoid).
    pub recurrent_activation: Activation,
    pub use_bias: bool,
    /// GRU only (true).
    pub reset_after: bool,
    pub rnn: RnnConfig,
}

/// The config of a `Dense` layer.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseConfig {
    pub units: usize,
    pub activation: Activation,
    pub use_bias: bool,
}

/// A layer config as the reference cases write it.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerConfig {
    Recurrent(RecurrentConfig),
    Bidirectional {
        merge_mode: MergeMode,
        layer: RecurrentConfig,
    },
    Dense(DenseConfig),
    /// `Embedding`: token ids to rows of its table `embeddings`
    /// `(input_dim, output_dim)`; with `mask_zero`, id 0 makes the mask.
    /// Only as a layer of a `Sequential`, its first.
    Embedding {
        input_dim: usize,
        output_dim: usize,
        mask_zero: bool,
    },
    /// `Masking`: a step whose features all equal `mask_value` is padding.
    /// Only as a layer of a `Sequential`.
    Masking {
        mask_value: f32,
    },
    /// `Dropout`: the identity at inference, which is how the cases call it.
    /// Only as a layer of a `Sequential`.
    Dropout {
        rate: f32,
    },
    /// `TimeDistributed(Dense)`: the Dense at every step. Only as a layer
    /// of a `Sequential`.
    TimeDistributed(DenseConfig),
    Sequential {
        /// `(batch, time, features)`, or `(batch, time)` token ids when the
        /// first layer is `Embedding`; `None` where unknown.
        input_shape: Vec<Option<usize>>,
        layers: Vec<LayerConfig>,
    },
}

/// A layer built from a config and weights.
#[derive(Clone, Debug)]
// Layers are few and long-lived: their size does not matter, boxing would
// only add a step to every use.
#[allow(clippy::large_enum_variant)]
pub enum KerasLayer {
    Recurrent(RecurrentLayer),
    Bidirectional(Box<Bidirectional<RecurrentLayer>>),
    Dense(Dense),
    Sequential(Sequential),
}

const RNN_KEYS: &[&str] = &[
    "type",
    "units",
    "activation",
    "use_bias",
    "return_sequences",
    "return_state",
    "go_backwards",
    "zero_output_for_mask",
];

impl LayerConfig {
    /// Reads a config; `path` names it in errors (`layer`, `layer.layers[1]`).
    /// `Embedding`, `Masking`, `Dropout` and `TimeDistributed` are read
    /// only as layers of a `Sequential`: what they do (a mask for the next
    /// layer, token ids in) only shows in a stack.
    pub fn from_json(v: &Value, path: &str) -> Result<LayerConfig> {
        let config = LayerConfig::read(v, path)?;
        if config.in_sequential_only() {
            return Err(Error::format(
                "",
                format!(
                    "{path}.type: {} is read only as a layer of a Sequential",
                    config.type_name()
                ),
            ));
        }
        Ok(config)
    }

    /// `Embedding`, `Masking`, `Dropout` or `TimeDistributed`.
    fn in_sequential_only(&self) -> bool {
        matches!(
            self,
            LayerConfig::Embedding { .. }
                | LayerConfig::Masking { .. }
                | LayerConfig::Dropout { .. }
                | LayerConfig::TimeDistributed(_)
        )
    }

    /// Whether the input is token ids (a `Sequential` whose first layer is
    /// `Embedding`): whole numbers, with no gradient.
    pub fn takes_token_ids(&self) -> bool {
        match self {
            LayerConfig::Sequential { layers, .. } => {
                matches!(layers.first(), Some(LayerConfig::Embedding { .. }))
            }
            LayerConfig::Embedding { .. } => true,
            _ => false,
        }
    }

    /// Reads any config, those of the layers only a `Sequential` holds too.
    fn read(v: &Value, path: &str) -> Result<LayerConfig> {
        let obj = Obj::new(v, path)?;
        let kind = obj.string("type")?;
        match kind {
            "SimpleRNN" | "LSTM" | "GRU" => Ok(LayerConfig::Recurrent(recurrent(obj, kind)?)),
            "Bidirectional" => {
                obj.only_keys(&["type", "merge_mode", "layer"])?;
                let inner_path = format!("{path}.layer");
                let inner = Obj::new(obj.required("layer")?, &inner_path)?;
                let inner_kind = inner.string("type")?;
                if !matches!(inner_kind, "SimpleRNN" | "LSTM" | "GRU") {
                    return Err(Error::format(
                        "",
                        format!(
                            "{inner_path}.type: Bidirectional wraps SimpleRNN, LSTM or GRU, got {inner_kind:?}"
                        ),
                    ));
                }
                let merge = if obj.has("merge_mode") {
                    obj.opt_string("merge_mode")?
                } else {
                    Some("concat")
                };
                Ok(LayerConfig::Bidirectional {
                    merge_mode: MergeMode::from_keras(merge)
                        .map_err(|e| Error::format("", format!("{path}.merge_mode: {e}")))?,
                    layer: recurrent(inner, inner_kind)?,
                })
            }
            "Dense" => Ok(LayerConfig::Dense(dense(obj)?)),
            "Embedding" => {
                obj.only_keys(&["type", "input_dim", "output_dim", "mask_zero"])?;
                Ok(LayerConfig::Embedding {
                    input_dim: obj.positive("input_dim")?,
                    output_dim: obj.positive("output_dim")?,
                    mask_zero: obj.flag("mask_zero", false)?,
                })
            }
            "Masking" => {
                obj.only_keys(&["type", "mask_value"])?;
                Ok(LayerConfig::Masking {
                    mask_value: number(obj, path, "mask_value", Some(0.0))?,
                })
            }
            "Dropout" => {
                obj.only_keys(&["type", "rate"])?;
                let rate = number(obj, path, "rate", None)?;
                if !(0.0..1.0).contains(&rate) {
                    return Err(Error::format(
                        "",
                        format!("{path}.rate: expected a number in [0, 1), got {rate}"),
                    ));
                }
                Ok(LayerConfig::Dropout { rate })
            }
            "TimeDistributed" => {
                obj.only_keys(&["type", "layer"])?;
                let inner_path = format!("{path}.layer");
                let inner = Obj::new(obj.required("layer")?, &inner_path)?;
                let inner_kind = inner.string("type")?;
                if inner_kind != "Dense" {
                    return Err(Error::format(
                        "",
                        format!(
                            "{inner_path}.type: TimeDistributed wraps Dense here, got {inner_kind:?}"
                        ),
                    ));
                }
                Ok(LayerConfig::TimeDistributed(dense(inner)?))
            }
            "Sequential" => {
                obj.only_keys(&["type", "input_shape", "layers"])?;
                let shape_path = format!("{path}.input_shape");
                let input_shape = json::shape(obj.required("input_shape")?, &shape_path, true)?;
                let layers = obj
                    .list("layers")?
                    .iter()
                    .enumerate()
                    .map(|(i, l)| LayerConfig::read(l, &format!("{path}.layers[{i}]")))
                    .collect::<Result<Vec<_>>>()?;
                if matches!(layers.first(), Some(LayerConfig::Embedding { .. })) {
                    if input_shape.len() != 2 {
                        return Err(Error::format(
                            "",
                            format!(
                                "{shape_path}: a model that starts with Embedding reads token ids: expected [batch, time], got {} sizes",
                                input_shape.len()
                            ),
                        ));
                    }
                } else if input_shape.len() != 3 {
                    return Err(Error::format(
                        "",
                        format!(
                            "{shape_path}: expected [batch, time, features], got {} sizes",
                            input_shape.len()
                        ),
                    ));
                } else if input_shape[2].is_none_or(|f| f == 0) {
                    return Err(Error::format(
                        "",
                        format!("{shape_path}: the feature size must be a positive integer"),
                    ));
                }
                if let Some(i) = layers
                    .iter()
                    .position(|l| matches!(l, LayerConfig::Sequential { .. }))
                {
                    return Err(Error::format(
                        "",
                        format!(
                            "{path}.layers[{i}]: a Sequential inside a Sequential is not supported"
                        ),
                    ));
                }
                Ok(LayerConfig::Sequential {
                    input_shape,
                    layers,
                })
            }
            other => Err(Error::format(
                "",
                format!(
                    "{path}.type: unknown layer type {other:?}; expected SimpleRNN, LSTM, GRU, Bidirectional, Dense, Sequential, or inside a Sequential Embedding, Masking, Dropout or TimeDistributed"
                ),
            )),
        }
    }

    /// The Keras class name.
    pub fn type_name(&self) -> &'static str {
        match self {
            LayerConfig::Recurrent(r) => r.kind.keras_name(),
            LayerConfig::Bidirectional { .. } => "Bidirectional",
            LayerConfig::Dense(_) => "Dense",
            LayerConfig::Embedding { .. } => "Embedding",
            LayerConfig::Masking { .. } => "Masking",
            LayerConfig::Dropout { .. } => "Dropout",
            LayerConfig::TimeDistributed(_) => "TimeDistributed",
            LayerConfig::Sequential { .. } => "Sequential",
        }
    }

    /// Builds the layer for `input_dim` features from `weights`, given in
    /// Keras's order and named as the reference cases name them.
    pub fn build(&self, input_dim: usize, weights: &[NamedArray]) -> Result<KerasLayer> {
        let mut queue = Weights::new(weights);
        let layer = self.build_from(input_dim, &mut queue, "")?;
        queue.finish()?;
        Ok(layer)
    }

    fn build_from(
        &self,
        input_dim: usize,
        w: &mut Weights<'_>,
        prefix: &str,
    ) -> Result<KerasLayer> {
        Ok(match self {
            LayerConfig::Recurrent(r) => KerasLayer::Recurrent(r.build(input_dim, w, prefix)?),
            LayerConfig::Bidirectional { merge_mode, layer } => {
                let forward = layer.build(input_dim, w, &format!("{prefix}forward/"))?;
                let backward = layer.build(input_dim, w, &format!("{prefix}backward/"))?;
                KerasLayer::Bidirectional(Box::new(Bidirectional::new(
                    forward,
                    backward,
                    *merge_mode,
                )?))
            }
            LayerConfig::Dense(d) => KerasLayer::Dense(d.build(input_dim, w, prefix)?),
            LayerConfig::Sequential {
                input_shape,
                layers,
            } => {
                let mut model = Sequential::new(input_shape);
                for (i, config) in layers.iter().enumerate() {
                    let features = match model.output_shape().last() {
                        Some(Some(f)) => *f,
                        _ => 0,
                    };
                    let layer = config.build_model_layer(features, w, &format!("{prefix}{i}/"))?;
                    model.add(layer)?;
                }
                KerasLayer::Sequential(model)
            }
            other => {
                return Err(Error::format(
                    "",
                    format!(
                        "{} is built only as a layer of a Sequential",
                        other.type_name()
                    ),
                ));
            }
        })
    }

    /// Builds one layer of a `Sequential` for `input_dim` features.
    fn build_model_layer(
        &self,
        input_dim: usize,
        w: &mut Weights<'_>,
        prefix: &str,
    ) -> Result<ModelLayer> {
        Ok(match self {
            LayerConfig::Embedding {
                input_dim: ids,
                output_dim,
                mask_zero,
            } => {
                let table = w.matrix(prefix, "embeddings", [*ids, *output_dim])?;
                ModelLayer::Embedding(Embedding::from_weights(table, *mask_zero)?)
            }
            LayerConfig::Masking { mask_value } => ModelLayer::Masking(Masking::new(*mask_value)),
            LayerConfig::Dropout { rate } => ModelLayer::Dropout(Dropout::new(*rate)?),
            LayerConfig::TimeDistributed(d) => {
                ModelLayer::TimeDistributed(d.build(input_dim, w, prefix)?)
            }
            LayerConfig::Sequential { .. } => {
                unreachable!("refused when the config was read")
            }
            other => match other.build_from(input_dim, w, prefix)? {
                KerasLayer::Recurrent(l) => l.into(),
                KerasLayer::Bidirectional(l) => ModelLayer::Bidirectional(l),
                KerasLayer::Dense(l) => l.into(),
                KerasLayer::Sequential(_) => unreachable!("refused when the config was read"),
            },
        })
    }
}

impl DenseConfig {
    /// Builds the layer from `kernel` and (with `use_bias`) `bias`.
    fn build(&self, input_dim: usize, w: &mut Weights<'_>, prefix: &str) -> Result<Dense> {
        let kernel = w.matrix(prefix, "kernel", [input_dim, self.units])?;
        let bias = self
            .use_bias
            .then(|| w.vector(prefix, "bias", self.units))
            .transpose()?;
        Dense::from_weights(kernel, bias, self.activation)
    }
}

fn dense(obj: Obj<'_>) -> Result<DenseConfig> {
    obj.only_keys(&["type", "units", "activation", "use_bias"])?;
    Ok(DenseConfig {
        units: obj.positive("units")?,
        activation: activation(obj, "activation", "linear", "Dense")?,
        use_bias: obj.flag("use_bias", true)?,
    })
}

/// A finite number that fits an `f32`; `default` when absent (required
/// when `None`).
fn number(obj: Obj<'_>, path: &str, key: &str, default: Option<f32>) -> Result<f32> {
    let v = match (obj.get(key), default) {
        (None, Some(d)) => return Ok(d),
        (None, None) => obj.required(key)?,
        (Some(v), _) => v,
    };
    v.as_f64()
        .map(|x| x as f32)
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            Error::format(
                "",
                format!("{path}.{key}: expected a number, got {}", json::describe(v)),
            )
        })
}

fn activation(obj: Obj<'_>, key: &str, default: &str, layer: &str) -> Result<Activation> {
    let name = obj.opt_string(key)?.unwrap_or(default);
    Activation::from_keras(name, layer)
}

fn recurrent(obj: Obj<'_>, kind: &str) -> Result<RecurrentConfig> {
    let kind = match kind {
        "SimpleRNN" => RecurrentKind::SimpleRnn,
        "LSTM" => RecurrentKind::Lstm,
        _ => RecurrentKind::Gru,
    };
    let mut keys = RNN_KEYS.to_vec();
    if kind != RecurrentKind::SimpleRnn {
        keys.push("recurrent_activation");
    }
    if kind == RecurrentKind::Gru {
        keys.push("reset_after");
    }
    obj.only_keys(&keys)?;
    let name = kind.keras_name();
    let activation = activation(obj, "activation", "tanh", name)?;
    let recurrent_activation = activation_for(obj, kind, name)?;
    if activation == Activation::Softmax || recurrent_activation == Activation::Softmax {
        return Err(Error::config(
            name,
            "softmax is not an element-wise activation; a recurrent cell needs one",
        ));
    }
    Ok(RecurrentConfig {
        kind,
        units: obj.positive("units")?,
        activation,
        recurrent_activation,
        use_bias: obj.flag("use_bias", true)?,
        reset_after: obj.flag("reset_after", true)?,
        rnn: RnnConfig {
            return_sequences: obj.flag("return_sequences", false)?,
            return_state: obj.flag("return_state", false)?,
            go_backwards: obj.flag("go_backwards", false)?,
            zero_output_for_mask: obj.flag("zero_output_for_mask", false)?,
        },
    })
}

fn activation_for(obj: Obj<'_>, kind: RecurrentKind, name: &str) -> Result<Activation> {
    if kind == RecurrentKind::SimpleRnn {
        return Ok(Activation::Sigmoid);
    }
    activation(obj, "recurrent_activation", "sigmoid", name)
}

impl RecurrentConfig {
    /// Builds the layer from `kernel`, `recurrent_kernel` and (with
    /// `use_bias`) `bias`, taken from the queue under `prefix`.
    fn build(&self, input_dim: usize, w: &mut Weights<'_>, prefix: &str) -> Result<RecurrentLayer> {
        let (units, width) = (self.units, self.units * self.kind.gates());
        let kernel = w.matrix(prefix, "kernel", [input_dim, width])?;
        let recurrent_kernel = w.matrix(prefix, "recurrent_kernel", [units, width])?;
        let layer: RecurrentLayer = match self.kind {
            RecurrentKind::SimpleRnn => {
                let bias = self
                    .use_bias
                    .then(|| w.vector(prefix, "bias", width))
                    .transpose()?;
                Fused::from_cell(SimpleRnnCell::from_weights(
                    kernel,
                    recurrent_kernel,
                    bias,
                    self.activation,
                )?)
                .into()
            }
            RecurrentKind::Lstm => {
                let bias = self
                    .use_bias
                    .then(|| w.vector(prefix, "bias", width))
                    .transpose()?;
                let cell = LstmCell::from_weights(
                    kernel,
                    recurrent_kernel,
                    bias,
                    self.activation,
                    self.recurrent_activation,
                )?;
                Fused::from_cell(cell).into()
            }
            RecurrentKind::Gru => {
                let bias = if !self.use_bias {
                    None
                } else if self.reset_after {
                    Some(w.matrix(prefix, "bias", [2, width])?)
                } else {
                    Some(
                        w.vector(prefix, "bias", width)?
                            .insert_axis(ndarray::Axis(0)),
                    )
                };
                let cell = GruCell::from_weights(
                    kernel,
                    recurrent_kernel,
                    bias,
                    self.reset_after,
                    self.activation,
                    self.recurrent_activation,
                )?;
                Fused::from_cell(cell).into()
            }
        };
        let mut layer = layer;
        *layer.config_mut() = self.rnn;
        Ok(layer)
    }
}

/// The weights of a case, handed out in order with their names checked.
struct Weights<'a> {
    items: &'a [NamedArray],
    next: usize,
}

impl<'a> Weights<'a> {
    fn new(items: &'a [NamedArray]) -> Self {
        Weights { items, next: 0 }
    }

    fn take(&mut self, prefix: &str, name: &str, shape: &[usize]) -> Result<ArrayD<f32>> {
        let want = format!("{prefix}{name}");
        let Some(item) = self.items.get(self.next) else {
            return Err(Error::format(
                "",
                format!(
                    "weights: {want} {} is missing (only {} weights given)",
                    show::shape(shape),
                    self.items.len()
                ),
            ));
        };
        if item.name != want {
            return Err(Error::format(
                "",
                format!("weights[{}]: expected {want}, got {}", self.next, item.name),
            ));
        }
        if item.array.shape() != shape {
            return Err(Error::format(
                "",
                format!(
                    "weights[{}] ({want}): expected shape {}, got {}",
                    self.next,
                    show::shape(shape),
                    show::shape(item.array.shape())
                ),
            ));
        }
        self.next += 1;
        Ok(item.array.clone())
    }

    fn matrix(&mut self, prefix: &str, name: &str, shape: [usize; 2]) -> Result<Array2<f32>> {
        Ok(self
            .take(prefix, name, &shape)?
            .into_dimensionality::<Ix2>()
            .expect("shape checked"))
    }

    fn vector(&mut self, prefix: &str, name: &str, len: usize) -> Result<Array1<f32>> {
        Ok(self
            .take(prefix, name, &[len])?
            .into_dimensionality::<Ix1>()
            .expect("shape checked"))
    }

    fn finish(&self) -> Result<()> {
        match self.items.get(self.next) {
            Some(extra) => Err(Error::format(
                "",
                format!(
                    "weights[{}] ({}): more weights than the layer has ({} used)",
                    self.next, extra.name, self.next
                ),
            )),
            None => Ok(()),
        }
    }
}
