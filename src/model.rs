//! `Sequential`: a stack of layers, its output shapes inferred before any
//! data flows, and Keras's `model.summary()` table.

use std::cell::RefCell;
use std::collections::HashMap;

use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD, ArrayViewMutD};
use prettytable::format::{FormatBuilder, LinePosition, LineSeparator};
use prettytable::{Cell as TableCell, Row, Table};

use crate::layers::{Bidirectional, Dense, Dropout, Embedding, Masking, MergeMode, RecurrentLayer};
use crate::rnn::{CallArgs, Recurrent};
use crate::{Error, Result, show};

/// A layer a [`Sequential`] model can hold.
#[derive(Clone, Debug)]
// Layers are few and long-lived: their size does not matter, boxing would
// only add a step to every use.
#[allow(clippy::large_enum_variant)]
pub enum ModelLayer {
    /// `SimpleRNN`, `LSTM` or `GRU`.
    Recurrent(RecurrentLayer),
    /// `Bidirectional` over one of them.
    Bidirectional(Box<Bidirectional<RecurrentLayer>>),
    /// `Dense`.
    Dense(Dense),
    /// `TimeDistributed(Dense)`: the same numbers as `Dense` on every step.
    TimeDistributed(Dense),
    /// `Embedding`: token ids to vectors, with its mask when `mask_zero`.
    Embedding(Embedding),
    /// `Masking`: marks the steps whose features all equal `mask_value`.
    Masking(Masking),
    /// `Dropout`: the identity at inference.
    Dropout(Dropout),
}

impl<T: Into<RecurrentLayer>> From<T> for ModelLayer {
    fn from(l: T) -> Self {
        ModelLayer::Recurrent(l.into())
    }
}

impl From<Bidirectional<RecurrentLayer>> for ModelLayer {
    fn from(l: Bidirectional<RecurrentLayer>) -> Self {
        ModelLayer::Bidirectional(Box::new(l))
    }
}

impl From<Dense> for ModelLayer {
    fn from(l: Dense) -> Self {
        ModelLayer::Dense(l)
    }
}

impl From<Embedding> for ModelLayer {
    fn from(l: Embedding) -> Self {
        ModelLayer::Embedding(l)
    }
}

impl From<Masking> for ModelLayer {
    fn from(l: Masking) -> Self {
        ModelLayer::Masking(l)
    }
}

impl From<Dropout> for ModelLayer {
    fn from(l: Dropout) -> Self {
        ModelLayer::Dropout(l)
    }
}

impl ModelLayer {
    /// Keras's class name: `"SimpleRNN"`, `"LSTM"`, `"GRU"`, `"Bidirectional"`, `"Dense"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ModelLayer::Recurrent(l) => l.type_name(),
            ModelLayer::Bidirectional(_) => "Bidirectional",
            ModelLayer::Dense(_) => "Dense",
            ModelLayer::TimeDistributed(_) => "TimeDistributed",
            ModelLayer::Embedding(_) => "Embedding",
            ModelLayer::Masking(_) => "Masking",
            ModelLayer::Dropout(_) => "Dropout",
        }
    }

    /// The name Keras gives the first layer of this type in a session:
    /// `simple_rnn`, `lstm`, ...
    fn base_name(&self) -> String {
        base_name(self.type_name())
    }

    /// Features the layer reads on the last axis (0 for a layer that takes
    /// any: `Masking`, `Dropout`, and `Embedding`, which reads token ids).
    pub fn input_dim(&self) -> usize {
        match self {
            ModelLayer::Recurrent(l) => l.input_dim(),
            ModelLayer::Bidirectional(l) => l.input_dim(),
            ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l) => l.input_dim(),
            ModelLayer::Embedding(_) | ModelLayer::Masking(_) | ModelLayer::Dropout(_) => 0,
        }
    }

    /// Number of trainable numbers, as Keras counts them.
    pub fn param_count(&self) -> usize {
        match self {
            ModelLayer::Recurrent(l) => l.param_count(),
            ModelLayer::Bidirectional(l) => l.param_count(),
            ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l) => l.param_count(),
            ModelLayer::Embedding(l) => l.param_count(),
            ModelLayer::Masking(_) | ModelLayer::Dropout(_) => 0,
        }
    }

    /// The weights in Keras's `get_weights()` order.
    pub fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        match self {
            ModelLayer::Recurrent(l) => l.weights(),
            ModelLayer::Bidirectional(l) => l.weights(),
            ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l) => l.weights(),
            ModelLayer::Embedding(l) => vec![l.embeddings().into_dyn()],
            ModelLayer::Masking(_) | ModelLayer::Dropout(_) => Vec::new(),
        }
    }

    /// The same weights, to change (training, loading).
    pub fn weights_mut(&mut self) -> Vec<ArrayViewMutD<'_, f32>> {
        match self {
            ModelLayer::Recurrent(l) => l.weights_mut(),
            ModelLayer::Bidirectional(l) => l.weights_mut(),
            ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l) => l.weights_mut(),
            ModelLayer::Embedding(l) => vec![l.embeddings_mut().into_dyn()],
            ModelLayer::Masking(_) | ModelLayer::Dropout(_) => Vec::new(),
        }
    }

    /// The names of its weights, as Keras names them: `kernel`,
    /// `recurrent_kernel`, `bias`, with `forward/` and `backward/` inside
    /// `Bidirectional`.
    pub fn weight_names(&self) -> Vec<String> {
        let recurrent = |l: &RecurrentLayer, prefix: &str| -> Vec<String> {
            let names = ["kernel", "recurrent_kernel", "bias"];
            names[..l.weights().len()]
                .iter()
                .map(|n| format!("{prefix}{n}"))
                .collect()
        };
        match self {
            ModelLayer::Recurrent(l) => recurrent(l, ""),
            ModelLayer::Bidirectional(l) => {
                let mut names = recurrent(l.forward_layer(), "forward/");
                names.extend(recurrent(l.backward_layer(), "backward/"));
                names
            }
            ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l) => ["kernel", "bias"]
                [..l.weights().len()]
                .iter()
                .map(|n| n.to_string())
                .collect(),
            ModelLayer::Embedding(_) => vec!["embeddings".to_string()],
            ModelLayer::Masking(_) | ModelLayer::Dropout(_) => Vec::new(),
        }
    }

    /// A layer that returns more than one array cannot pass it on in a stack.
    fn single_output(&self) -> Result<(), String> {
        let config = match self {
            ModelLayer::Recurrent(l) => l.config(),
            ModelLayer::Bidirectional(l) => {
                if l.merge_mode() == MergeMode::None {
                    return Err("merge_mode None returns two outputs; a Sequential model passes one array between layers".into());
                }
                l.config()
            }
            _ => return Ok(()),
        };
        if config.return_state {
            return Err("return_state makes it return several arrays; a Sequential model passes one array between layers".into());
        }
        Ok(())
    }

    /// The output shape for an input shape, or why the input does not fit.
    pub fn output_shape(&self, input: &[Option<usize>]) -> Result<Vec<Option<usize>>, String> {
        self.single_output()?;
        let (units, return_sequences) = match self {
            ModelLayer::Dense(d) => {
                return d.output_shape(input).map_err(|_| {
                    format!(
                        "it needs (batch, ..., {}) input, got {}",
                        d.input_dim(),
                        show::shape_opt(input)
                    )
                });
            }
            ModelLayer::TimeDistributed(d) if input.len() >= 3 => {
                return d.output_shape(input).map_err(|_| {
                    format!(
                        "it needs (batch, time, ..., {}) input, got {}",
                        d.input_dim(),
                        show::shape_opt(input)
                    )
                });
            }
            ModelLayer::TimeDistributed(_) => {
                return Err(format!(
                    "it needs (batch, time, ...) input, got {}",
                    show::shape_opt(input)
                ));
            }
            ModelLayer::Embedding(l) => return l.output_shape(input),
            ModelLayer::Masking(_) | ModelLayer::Dropout(_) => return Ok(input.to_vec()),
            ModelLayer::Recurrent(l) => (l.units(), l.config().return_sequences),
            ModelLayer::Bidirectional(l) => (l.output_units(), l.config().return_sequences),
        };
        let needs = format!("(batch, time, {})", self.input_dim());
        match input {
            [batch, time, Some(features)] if *features == self.input_dim() => {
                Ok(if return_sequences {
                    vec![*batch, *time, Some(units)]
                } else {
                    vec![*batch, Some(units)]
                })
            }
            [_, _, _] => Err(format!(
                "it needs {needs} input, got {}",
                show::shape_opt(input)
            )),
            _ => Err(format!(
                "it needs {needs} input (a sequence), got {}; the layer before it must return sequences",
                show::shape_opt(input)
            )),
        }
    }

    /// Runs the layer on one array (with a mask, for the recurrent ones).
    pub fn forward(
        &self,
        x: ArrayViewD<'_, f32>,
        mask: Option<ArrayView2<'_, bool>>,
    ) -> Result<ArrayD<f32>> {
        let args = CallArgs {
            mask,
            initial_state: None,
        };
        match self {
            ModelLayer::Recurrent(l) => Ok(l.call_with(x, args)?.output),
            ModelLayer::Bidirectional(l) => {
                let mut out = l.call_with(x, args)?;
                Ok(out.outputs.swap_remove(0))
            }
            ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l) => l.forward(x),
            ModelLayer::Embedding(l) => l.forward(x),
            ModelLayer::Masking(l) => l.forward(x),
            ModelLayer::Dropout(_) => Ok(x.to_owned()),
        }
    }

    /// The mask of its output `(batch, time)`, as Keras's `compute_mask`:
    /// `Embedding(mask_zero)` and `Masking` make one from their input, the
    /// other layers pass on the one they were given.
    pub fn output_mask(
        &self,
        x: ArrayViewD<'_, f32>,
        mask: Option<ArrayView2<'_, bool>>,
    ) -> Option<Array2<bool>> {
        match self {
            ModelLayer::Embedding(l) => l.compute_mask(x),
            ModelLayer::Masking(l) => l.compute_mask(x),
            _ => mask.map(|m| m.to_owned()),
        }
    }
}

/// The name Keras gives the first layer of a class in a session.
fn base_name(type_name: &str) -> String {
    match type_name {
        "SimpleRNN" => "simple_rnn".to_string(),
        "TimeDistributed" => "time_distributed".to_string(),
        other => other.to_lowercase(),
    }
}

thread_local! {
    /// How many models and layers of each name this session has named, as
    /// Keras's `backend.get_uid` counts them. Here a session is a thread.
    static SESSION_NAMES: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
}

/// Keras's automatic name: `prefix` the first time in a session, then
/// `prefix_1`, `prefix_2`, ...
fn unique_name(prefix: &str) -> String {
    SESSION_NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let count = names.entry(prefix.to_string()).or_insert(0);
        let name = match *count {
            0 => prefix.to_string(),
            n => format!("{prefix}_{n}"),
        };
        *count += 1;
        name
    })
}

/// Starts the automatic names again, as Keras's
/// `keras.backend.clear_session()` does: the next model is `sequential`
/// again, and its first SimpleRNN `simple_rnn`.
pub fn clear_session() {
    SESSION_NAMES.with(|names| names.borrow_mut().clear());
}

/// Keras's `Sequential`: layers run in order, each output the next input.
///
/// The model is built for an input shape whose batch (or time) may be
/// unknown (`None`); every layer's output shape is inferred as it is added,
/// and a layer that does not fit the one before it is an error naming both.
///
/// Models and layers are named as Keras 3 names them, numbered within a
/// session (here: a thread, until [`clear_session`]): the first model is
/// `sequential`, the next `sequential_1`; the first SimpleRNN added to any
/// of them `simple_rnn`, the next `simple_rnn_1`, and so on.
///
/// # Shapes
///
/// - input: `input_shape`, e.g. `(None, 2, 10)`
/// - output: the last layer's output shape
///
/// # Example
///
/// ```
/// use rnn_basics::prelude::*;
/// use rnn_basics::model::Sequential;
///
/// let mut model = Sequential::with_input_shape(&[2, 10]); // batch unknown
/// model.add(SimpleRnn::new(3, 10, &mut init::rng(0))?)?;
/// assert_eq!(show::shape_opt(&model.output_shape()), "(None, 3)");
/// assert_eq!(model.param_count(), 42);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sequential {
    name: String,
    input_shape: Vec<Option<usize>>,
    layers: Vec<ModelLayer>,
    names: Vec<String>,
    shapes: Vec<Vec<Option<usize>>>,
    /// A model read from a Functional file: its InputLayer's name.
    input_layer: Option<String>,
}

impl Sequential {
    /// A model for inputs of `input_shape`, batch included (`None` where unknown),
    /// as Keras's `Input(batch_shape=...)`.
    pub fn new(input_shape: &[Option<usize>]) -> Self {
        Sequential {
            name: unique_name("sequential"),
            input_shape: input_shape.to_vec(),
            layers: Vec::new(),
            names: Vec::new(),
            shapes: Vec::new(),
            input_layer: None,
        }
    }

    /// Keras's `input_shape=(time, features)`: the batch is unknown.
    pub fn with_input_shape(shape: &[usize]) -> Self {
        let dims: Vec<Option<usize>> = std::iter::once(None)
            .chain(shape.iter().map(|d| Some(*d)))
            .collect();
        Sequential::new(&dims)
    }

    /// Keras 2's `batch_input_shape=(batch, time, features)` (Keras 3:
    /// `Input(batch_shape=...)`): the batch is fixed.
    pub fn with_batch_input_shape(shape: &[usize]) -> Self {
        let dims: Vec<Option<usize>> = shape.iter().map(|d| Some(*d)).collect();
        Sequential::new(&dims)
    }

    /// The same model under another name (Keras prints it above the summary).
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// The same model as one read from a Functional file whose InputLayer
    /// is named `name`: Keras lists that InputLayer first in the summary
    /// (the input shape, 0 parameters), which it does not for a Sequential
    /// model.
    pub fn with_input_layer(mut self, name: &str) -> Self {
        self.input_layer = Some(name.to_string());
        self
    }

    /// The InputLayer's name of a model read from a Functional file
    /// (see [`Sequential::with_input_layer`]); `None` for a Sequential model.
    pub fn input_layer(&self) -> Option<&str> {
        self.input_layer.as_deref()
    }

    /// Appends a layer, checking that it fits the output of the one before.
    pub fn add(&mut self, layer: impl Into<ModelLayer>) -> Result<&mut Self> {
        let layer = layer.into();
        // Keras names `Bidirectional(LSTM(...))`'s LSTM before the wrapper.
        if let ModelLayer::Bidirectional(l) = &layer {
            unique_name(&base_name(l.forward_layer().type_name()));
        }
        let name = unique_name(&layer.base_name());
        self.add_named(layer, &name)
    }

    /// Appends a layer under a name of its own (a model read from a file
    /// keeps the names the file gives), checking that it fits.
    pub fn add_named(&mut self, layer: impl Into<ModelLayer>, name: &str) -> Result<&mut Self> {
        let layer = layer.into();
        let name = name.to_string();
        let input = self.output_shape();
        let shape = layer
            .output_shape(&input)
            .map_err(|message| Error::Incompatible {
                index: self.layers.len(),
                first: match self.layers.last() {
                    Some(prev) => format!(
                        "{} ({}), which outputs {}",
                        self.names[self.layers.len() - 1],
                        prev.type_name(),
                        show::shape_opt(&input)
                    ),
                    None => format!("the input {}", show::shape_opt(&input)),
                },
                second: format!("{name} ({})", layer.type_name()),
                message,
            })?;
        self.layers.push(layer);
        self.names.push(name);
        self.shapes.push(shape);
        Ok(self)
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The layers' names, in order.
    pub fn layer_names(&self) -> &[String] {
        &self.names
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[ModelLayer] {
        &self.layers
    }

    /// The layers, to change their weights (for training).
    pub fn layers_mut(&mut self) -> &mut [ModelLayer] {
        &mut self.layers
    }

    /// The input shape the model was built for.
    pub fn input_shape(&self) -> &[Option<usize>] {
        &self.input_shape
    }

    /// Each layer's output shape, in order.
    pub fn output_shapes(&self) -> &[Vec<Option<usize>>] {
        &self.shapes
    }

    /// The model's output shape (the input shape when there are no layers).
    pub fn output_shape(&self) -> Vec<Option<usize>> {
        self.shapes
            .last()
            .cloned()
            .unwrap_or_else(|| self.input_shape.clone())
    }

    /// Total trainable numbers.
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(|l| l.param_count()).sum()
    }

    /// Every weight in Keras's `model.get_weights()` order.
    pub fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        self.layers.iter().flat_map(|l| l.weights()).collect()
    }

    /// The same weights, to change (training, loading).
    pub fn weights_mut(&mut self) -> Vec<ArrayViewMutD<'_, f32>> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.weights_mut())
            .collect()
    }

    /// Keras's `model.set_weights(weights)`: every weight, in
    /// `model.get_weights()` order. Nothing changes unless the count and
    /// every shape fit.
    pub fn set_weights(&mut self, weights: &[ArrayD<f32>]) -> Result<()> {
        let expected: usize = self.layers.iter().map(|l| l.weights().len()).sum();
        if weights.len() != expected {
            return Err(Error::count(
                &self.name,
                "weights (as model.get_weights() lists them)",
                expected,
                weights.len(),
            ));
        }
        let mut given = weights.iter();
        for (i, layer) in self.layers.iter().enumerate() {
            for (name, current) in layer.weight_names().iter().zip(layer.weights()) {
                let new = given.next().expect("count checked");
                if new.shape() != current.shape() {
                    return Err(Error::shape(
                        &self.name,
                        format!(
                            "layer {i} ({} ({})) weight {name}",
                            self.names[i],
                            layer.type_name()
                        ),
                        show::shape(current.shape()),
                        show::shape(new.shape()),
                    ));
                }
            }
        }
        for (mut current, new) in self.weights_mut().into_iter().zip(weights) {
            current.assign(new);
        }
        Ok(())
    }

    /// Loads weights that numpy saved from Keras with
    /// `np.savez("w.npz", *model.get_weights())`, into a model of the same
    /// architecture.
    pub fn load_npz(&mut self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let weights = crate::keras::read_npz(path)?;
        self.set_weights(&weights)
            .map_err(|e| e.in_source(path.display()))
    }

    /// Checks an input against the shape the model was built for.
    pub fn check_input(&self, dims: &[usize]) -> Result<()> {
        let fits = dims.len() == self.input_shape.len()
            && dims
                .iter()
                .zip(&self.input_shape)
                .all(|(d, want)| want.is_none_or(|w| w == *d));
        if fits {
            Ok(())
        } else {
            Err(Error::shape(
                &self.name,
                "input",
                show::shape_opt(&self.input_shape),
                show::shape(dims),
            ))
        }
    }

    /// Runs every layer in order.
    pub fn forward(&self, x: ArrayViewD<'_, f32>) -> Result<ArrayD<f32>> {
        self.forward_masked(x, None)
    }

    /// Runs every layer in order with a mask `(batch, time)` marking padding
    /// (Keras's `mask_zero`): the mask goes to each layer while the layers
    /// return sequences.
    pub fn forward_masked(
        &self,
        x: ArrayViewD<'_, f32>,
        mask: Option<ArrayView2<'_, bool>>,
    ) -> Result<ArrayD<f32>> {
        self.check_input(x.shape())?;
        let mut h = x.to_owned();
        let mut mask = mask.map(|m| m.to_owned());
        for layer in &self.layers {
            let next = layer.output_mask(h.view(), mask.as_ref().map(|m| m.view()));
            h = layer.forward(h.view(), mask.as_ref().map(|m| m.view()))?;
            mask = next.filter(|_| h.ndim() == 3);
        }
        Ok(h)
    }

    /// One row per row of Keras's summary table: name (type), output shape,
    /// parameters. A model read from a Functional file starts with its
    /// InputLayer (the input shape, 0 parameters), as Keras lists it; then
    /// one row per layer.
    pub fn summary_rows(&self) -> Vec<(String, Vec<Option<usize>>, usize)> {
        let input = self
            .input_layer
            .iter()
            .map(|n| (format!("{n} (InputLayer)"), self.input_shape.clone(), 0));
        let layers = self
            .layers
            .iter()
            .zip(&self.names)
            .zip(&self.shapes)
            .map(|((l, n), s)| {
                (
                    format!("{n} ({})", l.type_name()),
                    s.clone(),
                    l.param_count(),
                )
            });
        input.chain(layers).collect()
    }

    /// Keras's `model.summary()`: the layer table, then the totals with
    /// their size in bytes (float32).
    pub fn summary(&self) -> String {
        let mut table = Table::new();
        table.set_format(
            FormatBuilder::new()
                .column_separator('│')
                .borders('│')
                .separators(&[LinePosition::Top], LineSeparator::new('─', '┬', '┌', '┐'))
                .separators(
                    &[LinePosition::Title],
                    LineSeparator::new('─', '┼', '├', '┤'),
                )
                .separators(
                    &[LinePosition::Bottom],
                    LineSeparator::new('─', '┴', '└', '┘'),
                )
                .padding(1, 1)
                .build(),
        );
        table.set_titles(Row::new(vec![
            TableCell::new("Layer (type)"),
            TableCell::new("Output Shape"),
            TableCell::new("Param #").style_spec("r"),
        ]));
        for (name, shape, params) in self.summary_rows() {
            table.add_row(Row::new(vec![
                TableCell::new(&name),
                TableCell::new(&show::shape_opt(&shape)),
                TableCell::new(&params.to_string()).style_spec("r"),
            ]));
        }
        let total = self.param_count();
        format!(
            "Model: \"{}\"\n{}\n Total params: {total} ({})\n Trainable params: {total} ({})\n Non-trainable params: 0 ({})",
            self.name,
            table.to_string().trim_end(),
            readable_size(4 * total),
            readable_size(4 * total),
            readable_size(0)
        )
    }
}

/// Bytes as Keras prints them: `168.00 B`, `5.86 KB`.
pub fn readable_size(bytes: usize) -> String {
    let mut size = bytes as f64;
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if size / 1024.0 < 1.0 {
            return format!("{size:.2} {unit}");
        }
        size /= 1024.0;
    }
    format!("{size:.2} PB")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init;
    use crate::layers::{Lstm, SimpleRnn};

    #[test]
    fn sizes_read_like_keras() {
        assert_eq!(readable_size(168), "168.00 B");
        assert_eq!(readable_size(6000), "5.86 KB");
    }

    #[test]
    fn names_are_numbered_within_a_session_as_keras_numbers_them() {
        clear_session();
        let mut rng = init::rng(0);
        let mut first = Sequential::with_input_shape(&[2, 10]);
        let below = SimpleRnn::new(3, 10, &mut rng)
            .unwrap()
            .return_sequences(true);
        first.add(below).unwrap();
        first.add(SimpleRnn::new(3, 3, &mut rng).unwrap()).unwrap();
        let mut second = Sequential::with_input_shape(&[2, 10]);
        second
            .add(SimpleRnn::new(3, 10, &mut rng).unwrap())
            .unwrap();
        let names = |m: &Sequential| -> Vec<String> {
            m.summary_rows().into_iter().map(|(n, _, _)| n).collect()
        };
        assert_eq!(
            names(&first),
            ["simple_rnn (SimpleRNN)", "simple_rnn_1 (SimpleRNN)"]
        );
        assert_eq!(names(&second), ["simple_rnn_2 (SimpleRNN)"]);
        assert!(second.summary().contains("Model: \"sequential_1\""));
        clear_session();
        let third = Sequential::with_input_shape(&[2, 10]);
        assert!(third.summary().contains("Model: \"sequential\""));
    }

    #[test]
    fn a_layer_after_a_last_step_output_is_refused_naming_both() {
        let mut rng = init::rng(0);
        let mut model = Sequential::with_input_shape(&[5, 4]);
        model.add(SimpleRnn::new(3, 4, &mut rng).unwrap()).unwrap();
        let err = model.add(Lstm::new(2, 3, &mut rng).unwrap()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("simple_rnn (SimpleRNN)"), "{msg}");
        assert!(msg.contains("lstm (LSTM)"), "{msg}");
        assert!(msg.contains("return sequences"), "{msg}");
    }
}
