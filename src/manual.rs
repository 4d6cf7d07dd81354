//! Level 1: the recurrence as plain loops, the way the course's notebooks
//! write it before any library layer.
//!
//! Two dialects, as in the course:
//!
//! - [`NumpyRnn`]: one sequence, no batch; `Wx` is `(hidden, input)` and
//!   multiplies from the left, `h_t = tanh(Wx·x_t + Wh·h_{t-1} + b)`.
//! - [`Tf1Rnn`]: TensorFlow 1's `BasicRNNCell`; a batch of rows, weights
//!   multiply from the right, `Y_t = tanh(X_t·Wx + Y_{t-1}·Wy + b)`, run as
//!   two explicit steps, a static unroll, or a dynamic loop.

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, ArrayView3, s};

use crate::activation::Activation;
use crate::cell::SimpleRnnCell;
use crate::init::{self, Rng};
use crate::{Error, Result, show};

/// The numpy lesson's RNN: one sequence, `Wx (hidden, input)`, `Wh
/// (hidden, hidden)`, `b (hidden,)`.
///
/// # Example
///
/// ```
/// use ndarray::Array2;
/// use rnn_basics::{init, manual::NumpyRnn};
///
/// let mut rng = init::rng(0);
/// let rnn = NumpyRnn::random_unit(&mut rng, 4, 8); // weights from [0, 1), as in numpy
/// let inputs = init::uniform(&mut rng, (10, 4), 0.0, 1.0)?; // (timesteps, input_dim)
/// let states = rnn.run(inputs.view())?;
/// assert_eq!(states.dim(), (10, 8)); // one hidden state per time step
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NumpyRnn {
    /// `(hidden, input)`: multiplies the input.
    pub wx: Array2<f32>,
    /// `(hidden, hidden)`: multiplies the previous hidden state.
    pub wh: Array2<f32>,
    /// `(hidden,)`
    pub b: Array1<f32>,
}

impl NumpyRnn {
    /// Weights drawn from `[0, 1)`, as `np.random.random` draws them.
    pub fn random_unit(rng: &mut Rng, input_dim: usize, hidden: usize) -> Self {
        NumpyRnn {
            wx: init::uniform(rng, (hidden, input_dim), 0.0, 1.0).expect("0 < 1"),
            wh: init::uniform(rng, (hidden, hidden), 0.0, 1.0).expect("0 < 1"),
            b: init::uniform(rng, hidden, 0.0, 1.0).expect("0 < 1"),
        }
    }

    /// Weights drawn as Keras draws them (glorot_uniform, orthogonal, zeros),
    /// transposed into this layout.
    pub fn random_keras(rng: &mut Rng, input_dim: usize, hidden: usize) -> Self {
        NumpyRnn {
            wx: init::glorot_uniform(rng, input_dim, hidden).reversed_axes(),
            wh: init::orthogonal(rng, hidden, hidden).reversed_axes(),
            b: Array1::zeros(hidden),
        }
    }

    /// The same weights in Keras's layout, as a [`SimpleRnnCell`]: Keras's
    /// `kernel` is `Wxᵀ` and its `recurrent_kernel` is `Whᵀ`.
    pub fn to_cell(&self) -> Result<SimpleRnnCell> {
        SimpleRnnCell::from_weights(
            self.wx.t().to_owned(),
            self.wh.t().to_owned(),
            Some(self.b.clone()),
            Activation::Tanh,
        )
    }

    /// Size of the hidden state.
    pub fn hidden(&self) -> usize {
        self.wx.nrows()
    }

    /// One step: `tanh(Wx·x_t + Wh·h_prev + b)`.
    pub fn step(&self, x_t: ArrayView1<f32>, h_prev: ArrayView1<f32>) -> Result<Array1<f32>> {
        let (hidden, input_dim) = self.wx.dim();
        if x_t.len() != input_dim || h_prev.len() != hidden {
            return Err(Error::shape(
                "numpy RNN",
                "step input and previous state",
                format!("({input_dim},) and ({hidden},)"),
                format!(
                    "{} and {}",
                    show::shape(x_t.shape()),
                    show::shape(h_prev.shape())
                ),
            ));
        }
        Ok((self.wx.dot(&x_t) + self.wh.dot(&h_prev) + &self.b).mapv(f32::tanh))
    }

    /// The whole loop over `inputs (timesteps, input_dim)`, from a zero
    /// state: every hidden state, one row per step.
    pub fn run(&self, inputs: ArrayView2<f32>) -> Result<Array2<f32>> {
        let (timesteps, input_dim) = inputs.dim();
        if input_dim != self.wx.ncols() || timesteps == 0 {
            return Err(Error::shape(
                "numpy RNN",
                "inputs",
                format!("(timesteps ≥ 1, {})", self.wx.ncols()),
                show::shape(inputs.shape()),
            ));
        }
        let mut hidden_state_t = Array1::zeros(self.hidden());
        let mut total_hidden_states = Array2::zeros((timesteps, self.hidden()));
        for (t, input_t) in inputs.outer_iter().enumerate() {
            let output_t = self.step(input_t, hidden_state_t.view())?;
            total_hidden_states.row_mut(t).assign(&output_t);
            hidden_state_t = output_t;
        }
        Ok(total_hidden_states)
    }
}

/// TensorFlow 1's `BasicRNNCell` written out: `Wx (n_inputs, n_neurons)`,
/// `Wy (n_neurons, n_neurons)`, `b (n_neurons,)`, rows of a batch at a time.
///
/// One value owns its weights, so every way of running it below uses the
/// same ones. (In TF1 the weights lived in a global graph under a name, and
/// building a second RNN under the same name failed with "Variable
/// rnn/basic_rnn_cell/kernel already exists".)
///
/// # Example
///
/// ```
/// use ndarray::array;
/// use rnn_basics::{init, manual::Tf1Rnn};
///
/// let rnn = Tf1Rnn::random_normal(&mut init::rng(0), 3, 5);
/// let x0 = array![[0.0f32, 1., 2.], [3., 4., 5.], [6., 7., 8.], [9., 0., 1.]];
/// let x1 = array![[9.0f32, 8., 7.], [3., 4., 5.], [6., 5., 4.], [3., 2., 1.]];
/// let (y0, y1) = rnn.two_steps(x0.view(), x1.view())?;
/// let (outputs, state) = rnn.static_rnn(&[x0.view(), x1.view()])?;
/// assert_eq!(outputs, vec![y0, y1.clone()]);
/// assert_eq!(state, y1);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tf1Rnn {
    /// `(n_inputs, n_neurons)`
    pub wx: Array2<f32>,
    /// `(n_neurons, n_neurons)`
    pub wy: Array2<f32>,
    /// `(n_neurons,)`
    pub b: Array1<f32>,
}

impl Tf1Rnn {
    /// Weights from the standard normal distribution and a zero bias, as
    /// the notebook's `tf.random_normal` and `tf.zeros` make them.
    pub fn random_normal(rng: &mut Rng, n_inputs: usize, n_neurons: usize) -> Self {
        Tf1Rnn {
            wx: init::normal(rng, (n_inputs, n_neurons)),
            wy: init::normal(rng, (n_neurons, n_neurons)),
            b: Array1::zeros(n_neurons),
        }
    }

    /// The same weights as a Keras [`SimpleRnnCell`] (same layout: `x · kernel`).
    pub fn to_cell(&self) -> Result<SimpleRnnCell> {
        SimpleRnnCell::from_weights(
            self.wx.clone(),
            self.wy.clone(),
            Some(self.b.clone()),
            Activation::Tanh,
        )
    }

    /// Number of neurons (the hidden size).
    pub fn n_neurons(&self) -> usize {
        self.wx.ncols()
    }

    fn check_step(&self, what: &str, x: ArrayView2<f32>) -> Result<()> {
        if x.ncols() != self.wx.nrows() || x.nrows() == 0 {
            return Err(Error::shape(
                "TF1 RNN",
                what,
                format!("(batch, {})", self.wx.nrows()),
                show::shape(x.shape()),
            ));
        }
        Ok(())
    }

    /// One step: `tanh(X·Wx + Y_prev·Wy + b)`; the first step has no `Y_prev`.
    pub fn step(&self, x: ArrayView2<f32>, y_prev: Option<ArrayView2<f32>>) -> Result<Array2<f32>> {
        self.check_step("step input", x)?;
        let mut z = x.dot(&self.wx) + &self.b;
        if let Some(y_prev) = y_prev {
            if y_prev.dim() != (x.nrows(), self.n_neurons()) {
                return Err(Error::shape(
                    "TF1 RNN",
                    "previous output",
                    show::shape(&[x.nrows(), self.n_neurons()]),
                    show::shape(y_prev.shape()),
                ));
            }
            z += &y_prev.dot(&self.wy);
        }
        Ok(z.mapv(f32::tanh))
    }

    /// The notebook's two explicit steps with shared weights:
    /// `Y0 = tanh(X0·Wx + b)`, `Y1 = tanh(Y0·Wy + X1·Wx + b)`.
    pub fn two_steps(
        &self,
        x0: ArrayView2<f32>,
        x1: ArrayView2<f32>,
    ) -> Result<(Array2<f32>, Array2<f32>)> {
        let y0 = self.step(x0, None)?;
        let y1 = self.step(x1, Some(y0.view()))?;
        Ok((y0, y1))
    }

    /// `tf.nn.static_rnn`: the loop unrolled over a list of step inputs,
    /// each `(batch, n_inputs)`. Returns one output per step (the list grows
    /// with the sequence) and the final state.
    pub fn static_rnn(
        &self,
        inputs: &[ArrayView2<f32>],
    ) -> Result<(Vec<Array2<f32>>, Array2<f32>)> {
        let Some(first) = inputs.first() else {
            return Err(Error::config(
                "TF1 RNN",
                "static_rnn needs at least 1 step input, got 0",
            ));
        };
        let batch = first.nrows();
        let mut outputs: Vec<Array2<f32>> = Vec::with_capacity(inputs.len());
        for (t, x) in inputs.iter().enumerate() {
            if x.nrows() != batch {
                return Err(Error::shape(
                    "TF1 RNN",
                    format!("step input {t}"),
                    format!("({batch}, {})", self.wx.nrows()),
                    show::shape(x.shape()),
                ));
            }
            let y = self.step(*x, outputs.last().map(|y| y.view()))?;
            outputs.push(y);
        }
        let state = outputs[outputs.len() - 1].clone();
        Ok((outputs, state))
    }

    /// `tf.nn.dynamic_rnn`: one loop over a tensor, `(batch, time, n_inputs)`,
    /// or `(time, batch, n_inputs)` with `time_major`. With
    /// `sequence_length`, example `b` stops after `sequence_length[b]` steps:
    /// its outputs past that are 0 and its state is the last valid one.
    ///
    /// Returns the outputs (in the input's layout) and the final state
    /// `(batch, n_neurons)`.
    pub fn dynamic_rnn(
        &self,
        inputs: ArrayView3<f32>,
        sequence_length: Option<&[usize]>,
        time_major: bool,
    ) -> Result<(Array3<f32>, Array2<f32>)> {
        let x = if time_major {
            inputs.permuted_axes([1, 0, 2])
        } else {
            inputs
        };
        let (batch, time, n_inputs) = x.dim();
        if n_inputs != self.wx.nrows() || batch == 0 || time == 0 {
            let layout = if time_major {
                "(time, batch, {})"
            } else {
                "(batch, time, {})"
            };
            return Err(Error::shape(
                "TF1 RNN",
                "inputs",
                layout.replace("{}", &self.wx.nrows().to_string()),
                show::shape(inputs.shape()),
            ));
        }
        let lengths: Vec<usize> = match sequence_length {
            Some(lengths) => {
                if lengths.len() != batch {
                    return Err(Error::count(
                        "TF1 RNN",
                        "sequence_length entries",
                        batch,
                        lengths.len(),
                    ));
                }
                if let Some(b) = lengths.iter().position(|&l| l > time) {
                    return Err(Error::config(
                        "TF1 RNN",
                        format!(
                            "sequence_length[{b}] is {}, longer than the {time} time steps of the input",
                            lengths[b]
                        ),
                    ));
                }
                lengths.to_vec()
            }
            None => vec![time; batch],
        };
        let n = self.n_neurons();
        let mut outputs = Array3::zeros((batch, time, n));
        let mut state = Array2::zeros((batch, n));
        for t in 0..time {
            let y = self.step(x.slice(s![.., t, ..]), (t > 0).then(|| state.view()))?;
            for (b, &len) in lengths.iter().enumerate() {
                if t < len {
                    state.row_mut(b).assign(&y.row(b));
                    outputs.slice_mut(s![b, t, ..]).assign(&y.row(b));
                }
            }
        }
        let outputs = if time_major {
            outputs
                .permuted_axes([1, 0, 2])
                .as_standard_layout()
                .to_owned()
        } else {
            outputs
        };
        Ok((outputs, state))
    }
}
