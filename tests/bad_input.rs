//! A catalogue of things a user can get wrong. Each gets its own error (the
//! right variant, a message naming the layer and what was expected and what
//! came), never a panic.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn, array};
use rnn_basics::Error;
use rnn_basics::keras::Case;
use rnn_basics::layers::{Bidirectional, Dense, MergeMode, RecurrentLayer};
use rnn_basics::manual::{NumpyRnn, Tf1Rnn};
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Adam, Backward, Dataset, FitConfig, Loss, Optimizer, Target};

/// Which variant an entry must produce.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Shape,
    Count,
    Config,
    Activation,
    Incompatible,
    NonFinite,
    Format,
    Io,
}

fn kind(e: &Error) -> Kind {
    match e {
        Error::Shape { .. } => Kind::Shape,
        Error::Count { .. } => Kind::Count,
        Error::Config { .. } => Kind::Config,
        Error::UnknownActivation { .. } => Kind::Activation,
        Error::Incompatible { .. } => Kind::Incompatible,
        Error::NonFinite { .. } => Kind::NonFinite,
        Error::Format { .. } => Kind::Format,
        Error::Io { .. } => Kind::Io,
        other => panic!("an error variant the catalogue does not know: {other:?}"),
    }
}

type Entry = (
    &'static str,
    Kind,
    &'static [&'static str],
    Box<dyn Fn() -> Result<()>>,
);

fn rng() -> init::Rng {
    init::rng(7)
}

fn simple() -> SimpleRnn {
    SimpleRnn::new(2, 4, &mut rng()).unwrap()
}

fn lstm() -> Lstm {
    Lstm::new(3, 4, &mut rng()).unwrap()
}

fn x(batch: usize, time: usize, features: usize) -> ArrayD<f32> {
    ArrayD::zeros(IxDyn(&[batch, time, features]))
}

fn call(layer: &impl Recurrent, x: ArrayD<f32>) -> Result<()> {
    layer.call_with(x.view(), CallArgs::default()).map(|_| ())
}

/// A call's arguments with these initial states and no mask.
fn with_states(states: &[Array2<f32>]) -> CallArgs<'_> {
    CallArgs {
        mask: None,
        initial_state: Some(states),
    }
}

fn case_text() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string("tests/keras_cases/lstm_return_state.json").unwrap(),
    )
    .unwrap()
}

fn parse_edited(edit: impl Fn(&mut serde_json::Value)) -> Result<()> {
    let mut v = case_text();
    edit(&mut v);
    Case::parse(&v.to_string(), "edited.json").map(|_| ())
}

fn check_case_edited(edit: impl Fn(&mut serde_json::Value)) -> Result<()> {
    let mut v = case_text();
    edit(&mut v);
    let case = Case::parse(&v.to_string(), "edited.json")?;
    rnn_basics::keras::check_case(&case).map(|_| ())
}

fn two_layer_model() -> Sequential {
    let mut model = Sequential::with_input_shape(&[5, 4]);
    model.add(simple().return_sequences(true)).unwrap();
    model.add(Dense::new(3, 2, &mut rng()).unwrap()).unwrap();
    model
}

fn catalogue() -> Vec<Entry> {
    vec![
        // Inputs of recurrent layers.
        (
            "rank 2 input",
            Kind::Shape,
            &["SimpleRNN", "input", "(batch, time, 4)", "(5, 4)"],
            Box::new(|| call(&simple(), ArrayD::zeros(IxDyn(&[5, 4])))),
        ),
        (
            "rank 4 input",
            Kind::Shape,
            &["SimpleRNN", "(batch, time, 4)", "(1, 5, 4, 1)"],
            Box::new(|| call(&simple(), ArrayD::zeros(IxDyn(&[1, 5, 4, 1])))),
        ),
        (
            "wrong feature size",
            Kind::Shape,
            &["SimpleRNN", "(batch, time, 4)", "(1, 5, 3)"],
            Box::new(|| call(&simple(), x(1, 5, 3))),
        ),
        (
            "zero batch",
            Kind::Shape,
            &["LSTM", "a batch of at least 1", "(0, 5, 4)"],
            Box::new(|| call(&lstm(), x(0, 5, 4))),
        ),
        (
            "zero time steps",
            Kind::Shape,
            &["LSTM", "at least 1 time step", "(2, 0, 4)"],
            Box::new(|| call(&lstm(), x(2, 0, 4))),
        ),
        (
            "loop wrapper, wrong features",
            Kind::Shape,
            &["RNN", "(batch, time, 4)", "(1, 2, 5)"],
            Box::new(|| {
                call(
                    &Rnn::new(LstmCell::new(3, 4, &mut rng()).unwrap()),
                    x(1, 2, 5),
                )
            }),
        ),
        (
            "mask of the wrong shape",
            Kind::Shape,
            &["GRU", "mask", "(2, 5)", "(2, 4)"],
            Box::new(|| {
                let mask = Array2::from_elem((2, 4), true);
                Gru::new(3, 4, &mut rng())
                    .unwrap()
                    .call_with(
                        x(2, 5, 4).view(),
                        CallArgs {
                            mask: Some(mask.view()),
                            initial_state: None,
                        },
                    )
                    .map(|_| ())
            }),
        ),
        (
            "mask for another batch",
            Kind::Shape,
            &["SimpleRNN", "mask", "(2, 5)", "(3, 5)"],
            Box::new(|| {
                let mask = Array2::from_elem((3, 5), true);
                simple()
                    .call_with(
                        x(2, 5, 4).view(),
                        CallArgs {
                            mask: Some(mask.view()),
                            initial_state: None,
                        },
                    )
                    .map(|_| ())
            }),
        ),
        (
            "one initial state for an LSTM",
            Kind::Count,
            &["LSTM", "initial states", "expected 2, got 1"],
            Box::new(|| {
                let states = vec![Array2::zeros((2, 3))];
                lstm()
                    .call_with(x(2, 5, 4).view(), with_states(&states))
                    .map(|_| ())
            }),
        ),
        (
            "initial state of the wrong shape",
            Kind::Shape,
            &["LSTM", "initial state 1", "(2, 3)", "(2, 4)"],
            Box::new(|| {
                let states = vec![Array2::zeros((2, 3)), Array2::zeros((2, 4))];
                lstm()
                    .call_with(x(2, 5, 4).view(), with_states(&states))
                    .map(|_| ())
            }),
        ),
        (
            "Bidirectional with three initial states",
            Kind::Count,
            &["Bidirectional", "initial states", "expected 2, got 3"],
            Box::new(|| {
                let bi = Bidirectional::new(simple(), simple(), MergeMode::Concat)?;
                let states = vec![Array2::zeros((1, 2)); 3];
                bi.call_with(x(1, 5, 4).view(), with_states(&states))
                    .map(|_| ())
            }),
        ),
        (
            "Bidirectional LSTM with two initial states",
            Kind::Count,
            &["Bidirectional", "initial states", "expected 4, got 2"],
            Box::new(|| {
                let bi = Bidirectional::new(lstm(), lstm(), MergeMode::Concat)?;
                let states = vec![Array2::zeros((2, 3)); 2];
                bi.call_with(x(2, 5, 4).view(), with_states(&states))
                    .map(|_| ())
            }),
        ),
        (
            "a cell step of the wrong width",
            Kind::Shape,
            &["SimpleRNNCell", "input step", "(batch, 4)", "(1, 3)"],
            Box::new(|| {
                let cell = SimpleRnnCell::new(2, 4, &mut rng())?;
                cell.step(Array2::zeros((1, 3)).view(), &cell.zero_states(1))
                    .map(|_| ())
            }),
        ),
        (
            "a cell step with no states",
            Kind::Count,
            &["LSTMCell", "initial states", "expected 2, got 0"],
            Box::new(|| {
                let cell = LstmCell::new(3, 4, &mut rng())?;
                cell.step(Array2::zeros((1, 4)).view(), &[]).map(|_| ())
            }),
        ),
        // Building layers.
        (
            "units = 0",
            Kind::Config,
            &["SimpleRNN", "units must be at least 1, got 0"],
            Box::new(|| SimpleRnn::new(0, 4, &mut rng()).map(|_| ())),
        ),
        (
            "input_dim = 0",
            Kind::Config,
            &["LSTM", "input_dim must be at least 1, got 0"],
            Box::new(|| Lstm::new(3, 0, &mut rng()).map(|_| ())),
        ),
        (
            "GRU units = 0",
            Kind::Config,
            &["GRU", "units must be at least 1"],
            Box::new(|| Gru::new(0, 2, &mut rng()).map(|_| ())),
        ),
        (
            "units beyond any real layer",
            Kind::Config,
            &["SimpleRNN", "units 16777217", "must be at most 16777216"],
            Box::new(|| SimpleRnn::new((1 << 24) + 1, 4, &mut rng()).map(|_| ())),
        ),
        (
            "input_dim beyond any real layer",
            Kind::Config,
            &["GRU", "input_dim 16777217 must be at most 16777216"],
            Box::new(|| Gru::new(2, (1 << 24) + 1, &mut rng()).map(|_| ())),
        ),
        (
            "Dense units = 0",
            Kind::Config,
            &["Dense", "units must be at least 1"],
            Box::new(|| Dense::new(0, 2, &mut rng()).map(|_| ())),
        ),
        (
            "recurrent kernel that does not fit",
            Kind::Shape,
            &["SimpleRNN", "weight recurrent_kernel", "(2, 2)", "(3, 3)"],
            Box::new(|| {
                SimpleRnnCell::from_weights(
                    Array2::zeros((4, 2)),
                    Array2::zeros((3, 3)),
                    None,
                    Activation::Tanh,
                )
                .map(|_| ())
            }),
        ),
        (
            "LSTM kernel not four gates wide",
            Kind::Shape,
            &["LSTM", "weight kernel", "(4, 4·units)", "(4, 6)"],
            Box::new(|| {
                LstmCell::from_weights(
                    Array2::zeros((4, 6)),
                    Array2::zeros((1, 4)),
                    None,
                    Activation::Tanh,
                    Activation::Sigmoid,
                )
                .map(|_| ())
            }),
        ),
        (
            "GRU reset_after bias of one row",
            Kind::Shape,
            &["GRU", "weight bias", "(2, 6)", "(1, 6)"],
            Box::new(|| {
                GruCell::from_weights(
                    Array2::zeros((4, 6)),
                    Array2::zeros((2, 6)),
                    Some(Array2::zeros((1, 6))),
                    true,
                    Activation::Tanh,
                    Activation::Sigmoid,
                )
                .map(|_| ())
            }),
        ),
        (
            "Dense bias of the wrong length",
            Kind::Shape,
            &["Dense", "weight bias", "(3,)", "(2,)"],
            Box::new(|| {
                Dense::from_weights(
                    Array2::zeros((4, 3)),
                    Some(Array1::zeros(2)),
                    Activation::Linear,
                )
                .map(|_| ())
            }),
        ),
        (
            "Dense on a vector",
            Kind::Shape,
            &["Dense", "input", "(batch, ..., 4)", "(4,)"],
            Box::new(|| {
                Dense::new(2, 4, &mut rng())?
                    .forward(ArrayD::zeros(IxDyn(&[4])).view())
                    .map(|_| ())
            }),
        ),
        (
            "Dense with the wrong features",
            Kind::Shape,
            &["Dense", "(batch, ..., 4)", "(2, 5)"],
            Box::new(|| {
                Dense::new(2, 4, &mut rng())?
                    .forward(ArrayD::zeros(IxDyn(&[2, 5])).view())
                    .map(|_| ())
            }),
        ),
        (
            "unknown activation",
            Kind::Activation,
            &["Dense", "\"swish\"", "tanh"],
            Box::new(|| Activation::from_keras("swish", "Dense").map(|_| ())),
        ),
        (
            "Bidirectional over two different layers",
            Kind::Config,
            &["Bidirectional", "must match", "units 2", "units 3"],
            Box::new(|| {
                let other = SimpleRnn::new(3, 4, &mut rng())?;
                Bidirectional::new(simple(), other, MergeMode::Sum).map(|_| ())
            }),
        ),
        (
            "unknown merge mode",
            Kind::Config,
            &["Bidirectional", "\"max\"", "concat"],
            Box::new(|| MergeMode::from_keras(Some("max")).map(|_| ())),
        ),
        // Models.
        (
            "a recurrent layer after a last-step output",
            Kind::Incompatible,
            &[
                "layer 1",
                "lstm (LSTM)",
                "simple_rnn (SimpleRNN), which outputs (None, 2)",
                "return sequences",
            ],
            Box::new(|| {
                let mut model = Sequential::with_input_shape(&[5, 4]);
                model.add(simple())?;
                model.add(Lstm::new(3, 2, &mut rng())?).map(|_| ())
            }),
        ),
        (
            "Dense of the wrong input size",
            Kind::Incompatible,
            &["layer 1", "dense (Dense)", "(batch, ..., 3)", "(None, 2)"],
            Box::new(|| {
                let mut model = Sequential::with_input_shape(&[5, 4]);
                model.add(simple())?;
                model.add(Dense::new(2, 3, &mut rng())?).map(|_| ())
            }),
        ),
        (
            "first layer of the wrong input size",
            Kind::Incompatible,
            &["layer 0", "the input (None, 5, 3)", "(batch, time, 4)"],
            Box::new(|| {
                let mut model = Sequential::with_input_shape(&[5, 3]);
                model.add(simple()).map(|_| ())
            }),
        ),
        (
            "return_state inside Sequential",
            Kind::Incompatible,
            &["simple_rnn (SimpleRNN)", "return_state"],
            Box::new(|| {
                let mut model = Sequential::with_input_shape(&[5, 4]);
                model.add(simple().return_state(true)).map(|_| ())
            }),
        ),
        (
            "merge_mode None inside Sequential",
            Kind::Incompatible,
            &["bidirectional (Bidirectional)", "merge_mode None"],
            Box::new(|| {
                let mut model = Sequential::with_input_shape(&[5, 4]);
                let bi = Bidirectional::new(
                    RecurrentLayer::from(simple()),
                    RecurrentLayer::from(simple()),
                    MergeMode::None,
                )?;
                model.add(bi).map(|_| ())
            }),
        ),
        (
            "a batch the model was not built for",
            Kind::Shape,
            &["sequential", "input", "(8, 5, 4)", "(3, 5, 4)"],
            Box::new(|| {
                let mut model = Sequential::with_batch_input_shape(&[8, 5, 4]);
                model.add(simple())?;
                model.forward(x(3, 5, 4).view()).map(|_| ())
            }),
        ),
        (
            "too few weights for a model",
            Kind::Count,
            &["sequential", "expected 5, got 1"],
            Box::new(|| two_layer_model().set_weights(&[ArrayD::zeros(IxDyn(&[4, 2]))])),
        ),
        (
            "a weight of the wrong shape for a model",
            Kind::Shape,
            &["layer 1 (dense (Dense)) weight kernel", "(2, 3)", "(3, 2)"],
            Box::new(|| {
                let mut model = two_layer_model();
                let mut weights: Vec<ArrayD<f32>> =
                    model.weights().iter().map(|w| w.to_owned()).collect();
                weights[3] = ArrayD::zeros(IxDyn(&[3, 2]));
                model.set_weights(&weights)
            }),
        ),
        (
            "a uniform draw with low above high",
            Kind::Config,
            &["uniform", "low < high", "low 1, high 0"],
            Box::new(|| init::uniform(&mut rng(), 3, 1.0, 0.0).map(|_| ())),
        ),
        // Level 1.
        (
            "a numpy step of the wrong widths",
            Kind::Shape,
            &["numpy RNN", "(4,) and (8,)", "(3,) and (8,)"],
            Box::new(|| {
                let rnn = NumpyRnn::random_unit(&mut rng(), 4, 8);
                rnn.step(Array1::zeros(3).view(), Array1::zeros(8).view())
                    .map(|_| ())
            }),
        ),
        (
            "numpy loop, wrong input width",
            Kind::Shape,
            &["numpy RNN", "(timesteps ≥ 1, 4)", "(10, 3)"],
            Box::new(|| {
                NumpyRnn::random_unit(&mut rng(), 4, 8)
                    .run(Array2::zeros((10, 3)).view())
                    .map(|_| ())
            }),
        ),
        (
            "sequence_length longer than the sequence",
            Kind::Config,
            &["TF1 RNN", "sequence_length[1] is 3", "2 time steps"],
            Box::new(|| {
                Tf1Rnn::random_normal(&mut rng(), 3, 5)
                    .dynamic_rnn(Array3::zeros((2, 2, 3)).view(), Some(&[2, 3]), false)
                    .map(|_| ())
            }),
        ),
        (
            "one sequence_length for two examples",
            Kind::Count,
            &["TF1 RNN", "sequence_length", "expected 2, got 1"],
            Box::new(|| {
                Tf1Rnn::random_normal(&mut rng(), 3, 5)
                    .dynamic_rnn(Array3::zeros((2, 2, 3)).view(), Some(&[2]), false)
                    .map(|_| ())
            }),
        ),
        (
            "a time-major input of the wrong width",
            Kind::Shape,
            &["TF1 RNN", "(time, batch, 3)", "(2, 4, 2)"],
            Box::new(|| {
                Tf1Rnn::random_normal(&mut rng(), 3, 5)
                    .dynamic_rnn(Array3::zeros((2, 4, 2)).view(), None, true)
                    .map(|_| ())
            }),
        ),
        (
            "static_rnn over nothing",
            Kind::Config,
            &["TF1 RNN", "at least 1 step input, got 0"],
            Box::new(|| {
                Tf1Rnn::random_normal(&mut rng(), 3, 5)
                    .static_rnn(&[])
                    .map(|_| ())
            }),
        ),
        (
            "two steps of different widths",
            Kind::Shape,
            &["TF1 RNN", "step input", "(batch, 3)", "(4, 2)"],
            Box::new(|| {
                let rnn = Tf1Rnn::random_normal(&mut rng(), 3, 5);
                rnn.two_steps(Array2::zeros((4, 3)).view(), Array2::zeros((4, 2)).view())
                    .map(|_| ())
            }),
        ),
        // Training.
        (
            "a label out of range",
            Kind::Config,
            &[
                "softmax_cross_entropy",
                "label 5 is out of range for 2 classes",
            ],
            Box::new(|| {
                train::softmax_cross_entropy(
                    Array2::zeros((1, 2)).view().into_dyn(),
                    array![5usize].view().into_dyn(),
                )
                .map(|_| ())
            }),
        ),
        (
            "targets of another shape",
            Kind::Shape,
            &["mean_squared_error", "(2, 3)", "(3,)"],
            Box::new(|| {
                train::mean_squared_error(
                    Array2::zeros((2, 3)).view().into_dyn(),
                    Array1::zeros(3).view().into_dyn(),
                )
                .map(|_| ())
            }),
        ),
        (
            "an output gradient of the wrong shape",
            Kind::Shape,
            &["LSTM", "output gradient", "(2, 3)", "(2, 4)"],
            Box::new(|| {
                let layer = lstm();
                let (_, tape) = layer.forward_train(x(2, 5, 4).view(), CallArgs::default())?;
                layer
                    .backward(&tape, &[ArrayD::zeros(IxDyn(&[2, 4])).view()])
                    .map(|_| ())
            }),
        ),
        (
            "gradients for states not returned",
            Kind::Count,
            &["SimpleRNN", "output gradients", "expected 1, got 2"],
            Box::new(|| {
                let layer = simple();
                let (_, tape) = layer.forward_train(x(1, 5, 4).view(), CallArgs::default())?;
                let d = ArrayD::zeros(IxDyn(&[1, 2]));
                layer.backward(&tape, &[d.view(), d.view()]).map(|_| ())
            }),
        ),
        (
            "a tape from another layer",
            Kind::Config,
            &[
                "LSTM",
                "recorded by a layer of 3 units on 4 features, not 5 units on 4",
            ],
            Box::new(|| {
                let (_, tape) = lstm().forward_train(x(1, 2, 4).view(), CallArgs::default())?;
                let other = Lstm::new(5, 4, &mut rng())?;
                other.backward(&tape, &[]).map(|_| ())
            }),
        ),
        (
            "an optimizer given too few gradients",
            Kind::Count,
            &["Adam", "gradients", "expected 1, got 0"],
            Box::new(|| {
                let mut w = ArrayD::<f32>::zeros(IxDyn(&[2]));
                Adam::new(0.1).step(&mut [w.view_mut()], &[])
            }),
        ),
        (
            "an optimizer reused on more weights than it started with",
            Kind::Config,
            &["SGD", "the weights changed shape since the first step"],
            Box::new(|| {
                let mut w = ArrayD::<f32>::zeros(IxDyn(&[2]));
                let mut extra = ArrayD::<f32>::zeros(IxDyn(&[3]));
                let g = ArrayD::<f32>::ones(IxDyn(&[2]));
                let mut sgd = train::Sgd::new(0.1);
                sgd.step(&mut [w.view_mut()], std::slice::from_ref(&g))?;
                let more = [g, ArrayD::ones(IxDyn(&[3]))];
                sgd.step(&mut [w.view_mut(), extra.view_mut()], &more)
            }),
        ),
        (
            "an optimizer reused on weights of another shape",
            Kind::Config,
            &["Adam", "the weights changed shape since the first step"],
            Box::new(|| {
                let mut w = ArrayD::<f32>::zeros(IxDyn(&[2]));
                let mut wider = ArrayD::<f32>::zeros(IxDyn(&[3]));
                let mut adam = Adam::new(0.1);
                adam.step(&mut [w.view_mut()], &[ArrayD::ones(IxDyn(&[2]))])?;
                adam.step(&mut [wider.view_mut()], &[ArrayD::ones(IxDyn(&[3]))])
            }),
        ),
        (
            "fit with zero batch size",
            Kind::Config,
            &["fit", "batch_size must be at least 1"],
            Box::new(|| {
                let config = FitConfig {
                    batch_size: 0,
                    ..FitConfig::default()
                };
                fit_two_examples(x(2, 5, 4), &config)
            }),
        ),
        (
            "fit with a negative clip norm",
            Kind::Config,
            &["fit", "clip_norm must be a positive number, got -1"],
            Box::new(|| fit_with_clip_norm(-1.0)),
        ),
        (
            "fit with a zero clip norm",
            Kind::Config,
            &["fit", "clip_norm must be a positive number, got 0"],
            Box::new(|| fit_with_clip_norm(0.0)),
        ),
        (
            "fit with a NaN clip norm",
            Kind::Config,
            &["fit", "clip_norm must be a positive number, got NaN"],
            Box::new(|| fit_with_clip_norm(f32::NAN)),
        ),
        (
            "fit on NaN inputs",
            Kind::NonFinite,
            &["fit", "the loss of epoch 1", "NaN"],
            Box::new(|| {
                let inputs = ArrayD::from_elem(IxDyn(&[2, 5, 4]), f32::NAN);
                fit_two_examples(inputs, &FitConfig::default())
            }),
        ),
        (
            "a NaN where finite numbers are asked for",
            Kind::NonFinite,
            &["SimpleRNN", "input", "NaN", "[0, 2, 1]"],
            Box::new(|| {
                let mut input = x(1, 5, 4);
                input[[0, 2, 1]] = f32::NAN;
                rnn_basics::error::check_finite("SimpleRNN", "input", &input)
            }),
        ),
        (
            "an infinity where finite numbers are asked for",
            Kind::NonFinite,
            &["LSTM", "inf", "[1]"],
            Box::new(|| {
                rnn_basics::error::check_finite(
                    "LSTM",
                    "initial state",
                    &array![0.0f32, f32::INFINITY],
                )
            }),
        ),
        (
            "a loss curve of NaNs",
            Kind::Config,
            &["loss_curve", "all finite"],
            Box::new(|| {
                rnn_basics::plot::loss_curve(
                    &std::env::temp_dir().join("never.svg"),
                    "loss",
                    &[f32::NAN],
                )
            }),
        ),
        // Files.
        (
            "malformed JSON",
            Kind::Format,
            &["edited.json", "not valid JSON"],
            Box::new(|| Case::parse("{\"name\": ", "edited.json").map(|_| ())),
        ),
        (
            "truncated JSON",
            Kind::Format,
            &["edited.json", "not valid JSON"],
            Box::new(|| {
                let text = case_text().to_string();
                Case::parse(&text[..text.len() / 2], "edited.json").map(|_| ())
            }),
        ),
        (
            "JSON that is not an object",
            Kind::Format,
            &["edited.json", "expected an object, got [1,2]"],
            Box::new(|| Case::parse("[1,2]", "edited.json").map(|_| ())),
        ),
        (
            "unknown layer type",
            Kind::Format,
            &["edited.json", "unknown layer type \"ConvLSTM\""],
            Box::new(|| parse_edited(|v| v["layer"]["type"] = "ConvLSTM".into())),
        ),
        (
            "negative units",
            Kind::Format,
            &["layer.units", "a positive integer", "-3"],
            Box::new(|| parse_edited(|v| v["layer"]["units"] = (-3).into())),
        ),
        (
            "an unsupported setting",
            Kind::Format,
            &["layer", "unsupported key \"stateful\""],
            Box::new(|| parse_edited(|v| v["layer"]["stateful"] = true.into())),
        ),
        (
            "data shorter than its shape",
            Kind::Format,
            &["input", "holds 20 numbers, but data has 3"],
            Box::new(|| parse_edited(|v| v["input"]["data"] = serde_json::json!([1, 2, 3]))),
        ),
        (
            "a mask of twos",
            Kind::Format,
            &["mask", "expected 0 or 1, got 2"],
            Box::new(|| {
                parse_edited(|v| {
                    v["mask"] = serde_json::json!({"shape": [1, 4], "data": [1, 2, 1, 1]})
                })
            }),
        ),
        (
            "weights of the wrong shape in a case",
            Kind::Format,
            &["weights[1] (recurrent_kernel)", "(3, 12)", "(3, 3)"],
            Box::new(|| {
                check_case_edited(
                    |v| v["weights"][1] = serde_json::json!({"name": "recurrent_kernel", "shape": [3, 3], "data": [0,0,0,0,0,0,0,0,0]}),
                )
            }),
        ),
        (
            "weights in the wrong order in a case",
            Kind::Format,
            &["weights[0]", "expected kernel, got bias"],
            Box::new(|| check_case_edited(|v| v["weights"].as_array_mut().unwrap().swap(0, 2))),
        ),
        (
            "a .npz that is not a zip",
            Kind::Format,
            &["not a .npz file"],
            Box::new(|| {
                let path = std::env::temp_dir().join(format!("bad-{}.npz", std::process::id()));
                std::fs::write(&path, b"PK\x03\x04 but not really").unwrap();
                rnn_basics::keras::read_npz(&path).map(|_| ())
            }),
        ),
        (
            "a .npz that does not exist",
            Kind::Io,
            &["no-such-file.npz"],
            Box::new(|| rnn_basics::keras::read_npz("no-such-file.npz").map(|_| ())),
        ),
        (
            "a case file that does not exist",
            Kind::Io,
            &["no-such-case.json"],
            Box::new(|| Case::load("no-such-case.json").map(|_| ())),
        ),
    ]
}

#[test]
fn every_bad_input_gets_its_own_error() {
    let entries = catalogue();
    assert!(
        entries.len() >= 40,
        "the catalogue has {} entries",
        entries.len()
    );
    let mut problems = Vec::new();
    for (name, want, fragments, run) in &entries {
        // Each entry in a fresh session, so that its layers have Keras's first names.
        rnn_basics::model::clear_session();
        match catch_unwind(AssertUnwindSafe(run)) {
            Err(_) => problems.push(format!("{name}: panicked")),
            Ok(Ok(())) => problems.push(format!("{name}: was accepted")),
            Ok(Err(e)) => {
                let message = e.to_string();
                if kind(&e) != *want {
                    problems.push(format!("{name}: expected a {want:?} error, got {e:?}"));
                }
                for fragment in fragments.iter() {
                    if !message.contains(fragment) {
                        problems.push(format!("{name}: {fragment:?} is not in {message:?}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn nan_and_infinity_propagate_as_in_keras() {
    // A NaN anywhere in a sequence reaches every later output of its example
    // and no other example; an infinity saturates tanh instead of failing.
    let layer = SimpleRnn::new(3, 2, &mut rng())
        .unwrap()
        .return_sequences(true);
    let mut input = x(2, 4, 2);
    input[[0, 1, 0]] = f32::NAN;
    let out = layer.call(&input).unwrap().output;
    assert!(out[[0, 0, 0]].is_finite());
    assert!((1..4).all(|t| out[[0, t, 0]].is_nan()));
    assert!(
        out.index_axis(ndarray::Axis(0), 1)
            .iter()
            .all(|v| v.is_finite())
    );

    // An infinity saturates tanh: the first step's outputs are tanh(±∞),
    // the sign of the infinite input's kernel weight, and every later output
    // is finite.
    let mut input = x(1, 2, 2);
    input[[0, 0, 1]] = f32::INFINITY;
    let out = layer.call(&input).unwrap().output;
    let kernel = layer.cell().kernel();
    for j in 0..3 {
        assert_ne!(kernel[[1, j]], 0.0, "a zero weight would make ∞·0 = NaN");
        let saturated = rnn_basics::activation::tanh(kernel[[1, j]].signum() * f32::INFINITY);
        assert_eq!(out[[0, 0, j]], saturated, "unit {j}");
        assert!(saturated.abs() > 0.999);
    }
    assert!(out.iter().all(|v| v.is_finite()), "{out}");
}

#[test]
fn softmax_is_refused_as_a_cell_activation() {
    // Softmax acts on a whole row, so no recurrent cell can use it: every
    // constructor that takes an activation says so, naming it.
    let mut r = rng();
    let tanh = Activation::Tanh;
    let softmax = Activation::Softmax;
    let simple = SimpleRnnCell::new(3, 2, &mut r).unwrap();
    let lstm = LstmCell::new(3, 2, &mut r).unwrap();
    let gru = GruCell::new(3, 2, &mut r).unwrap();
    let errors: Vec<(&str, Error)> = vec![
        (
            "activation",
            simple.clone().with_activation(softmax).unwrap_err(),
        ),
        (
            "activation",
            SimpleRnnCell::from_weights(
                simple.kernel().clone(),
                simple.recurrent_kernel().clone(),
                None,
                softmax,
            )
            .unwrap_err(),
        ),
        (
            "activation",
            lstm.clone().with_activations(softmax, tanh).unwrap_err(),
        ),
        (
            "recurrent_activation",
            lstm.clone().with_activations(tanh, softmax).unwrap_err(),
        ),
        (
            "recurrent_activation",
            LstmCell::from_weights(
                lstm.kernel().clone(),
                lstm.recurrent_kernel().clone(),
                None,
                tanh,
                softmax,
            )
            .unwrap_err(),
        ),
        (
            "activation",
            gru.clone().with_activations(softmax, tanh).unwrap_err(),
        ),
        (
            "recurrent_activation",
            gru.clone().with_activations(tanh, softmax).unwrap_err(),
        ),
        (
            "activation",
            GruCell::from_weights(
                gru.kernel().clone(),
                gru.recurrent_kernel().clone(),
                None,
                true,
                softmax,
                tanh,
            )
            .unwrap_err(),
        ),
    ];
    for (what, e) in errors {
        let message = e.to_string();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
        assert!(
            message.contains(&format!("{what}: expected an element-wise activation")),
            "{message}"
        );
        assert!(message.ends_with("got softmax"), "{message}");
    }
    // The element-wise ones are accepted.
    for act in [
        Activation::Linear,
        Activation::Relu,
        Activation::HardSigmoid,
        Activation::Sigmoid,
    ] {
        assert!(simple.clone().with_activation(act).is_ok());
        assert!(lstm.clone().with_activations(act, act).is_ok());
        assert!(gru.clone().with_activations(act, act).is_ok());
    }
}

#[test]
fn saturating_inputs_give_finite_outputs() {
    let mut r = rng();
    for scale in [1e3f32, 1e4, 1e6] {
        let input = (init::normal(&mut r, (2, 6, 3)) * scale).into_dyn();
        let layers: Vec<RecurrentLayer> = vec![
            SimpleRnn::new(4, 3, &mut r).unwrap().into(),
            Lstm::new(4, 3, &mut r).unwrap().into(),
            Gru::new(4, 3, &mut r).unwrap().into(),
        ];
        for layer in layers {
            let out = layer
                .return_state(true)
                .call_with(input.view(), CallArgs::default())
                .unwrap();
            for a in out.into_keras() {
                assert!(a.iter().all(|v| v.is_finite()), "scale {scale}");
            }
        }
        let logits = (init::normal(&mut r, (3, 5)) * scale).into_dyn();
        let probs = Dense::from_weights(Array2::eye(5), None, Activation::Softmax)
            .unwrap()
            .forward(logits.view())
            .unwrap();
        assert!(
            probs
                .iter()
                .all(|v| v.is_finite() && *v >= 0.0 && *v <= 1.0)
        );
    }
}

/// A tape handed to a layer of other sizes is refused, whichever size
/// differs: Dense's input features, its units, or a recurrent layer's.
#[test]
fn a_tape_from_a_layer_of_other_sizes_is_refused() {
    let x = init::normal(&mut init::rng(1), (2, 4)).into_dyn();
    let recorder = Dense::new(3, 4, &mut init::rng(2)).unwrap();
    let (y, tape) = recorder
        .forward_train(x.view(), CallArgs::default())
        .unwrap();
    let dy = y.mapv(|_| 1.0f32);
    for (units, input) in [(3, 5), (2, 4), (2, 5)] {
        let other = Dense::new(units, input, &mut init::rng(3)).unwrap();
        let got = catch_unwind(AssertUnwindSafe(|| other.backward(&tape, &[dy.view()])));
        let message = got
            .expect("an error, not a panic")
            .expect_err("a tape of other sizes")
            .to_string();
        assert!(message.contains("other sizes"), "{message}");
    }
    let xs = init::normal(&mut init::rng(4), (2, 3, 4)).into_dyn();
    let lstm = Lstm::new(5, 4, &mut init::rng(5)).unwrap();
    let (out, tape) = lstm.forward_train(xs.view(), CallArgs::default()).unwrap();
    let d = out.output.mapv(|_| 1.0f32);
    for other in [
        Lstm::new(6, 4, &mut init::rng(6)).unwrap(),
        Lstm::new(5, 3, &mut init::rng(6)).unwrap(),
    ] {
        let got = catch_unwind(AssertUnwindSafe(|| other.backward(&tape, &[d.view()])));
        assert!(got.expect("an error, not a panic").is_err());
    }
}

/// `fit_two_examples` on ordinary inputs, clipped to `clip_norm`.
fn fit_with_clip_norm(clip_norm: f32) -> Result<()> {
    let config = FitConfig {
        clip_norm: Some(clip_norm),
        ..FitConfig::default()
    };
    fit_two_examples(x(2, 5, 4), &config)
}

/// `inputs` (two examples of 5 steps, 4 features, class 0 at every step)
/// through `two_layer_model` with `config`.
fn fit_two_examples(inputs: ArrayD<f32>, config: &FitConfig) -> Result<()> {
    let mut model = two_layer_model();
    let labels = Array2::<usize>::zeros((2, 5)).into_dyn();
    train::fit(
        &mut model,
        Dataset {
            x: inputs.view(),
            target: Target::Classes(labels.view()),
            mask: None,
        },
        Loss::SoftmaxCrossEntropy,
        &mut Adam::new(0.1),
        config,
        |_, _| {},
    )
    .map(|_| ())
}
