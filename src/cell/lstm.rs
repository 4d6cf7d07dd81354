use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewD, Zip};

use super::{Cell, check_sizes, check_weight};
use crate::activation::Activation;
use crate::init::{self, Rng};
use crate::{Result, linalg};

/// Keras's `LSTMCell`: four gates side by side in the order i, f, c, o.
///
/// ```text
/// z = x_t · kernel + h_{t-1} · recurrent_kernel + bias      (batch, 4·units)
/// i = σ(z_i)    f = σ(z_f)    c̃ = tanh(z_c)    o = σ(z_o)
/// c_t = f * c_{t-1} + i * c̃
/// h_t = o * tanh(c_t)
/// ```
///
/// σ is `recurrent_activation` (sigmoid), tanh is `activation`. The states
/// are `[h, c]`.
///
/// # Shapes
///
/// - `kernel`: `(input_dim, 4·units)`
/// - `recurrent_kernel`: `(units, 4·units)`
/// - `bias`: `(4·units,)`; Keras starts the forget block at 1 (`unit_forget_bias`)
///
/// # Example
///
/// ```
/// use rnn_basics::{cell::{Cell, LstmCell}, init};
///
/// let cell = LstmCell::new(3, 5, &mut init::rng(0))?;
/// assert_eq!(cell.param_count(), 4 * 3 * (5 + 3 + 1));
/// assert_eq!(cell.state_count(), 2); // h and c
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LstmCell {
    kernel: Array2<f32>,
    recurrent_kernel: Array2<f32>,
    bias: Option<Array1<f32>>,
    activation: Activation,
    recurrent_activation: Activation,
}

impl LstmCell {
    /// A cell with Keras's defaults: tanh and sigmoid, a bias with
    /// `unit_forget_bias`, glorot_uniform kernel, orthogonal recurrent kernel.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        check_sizes("LSTM", units, input_dim)?;
        Ok(LstmCell {
            kernel: init::glorot_uniform(rng, input_dim, 4 * units),
            recurrent_kernel: init::orthogonal(rng, units, 4 * units),
            bias: Some(init::unit_forget_bias(units)),
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
        })
    }

    /// A cell with the given weights, in Keras's shapes.
    pub fn from_weights(
        kernel: Array2<f32>,
        recurrent_kernel: Array2<f32>,
        bias: Option<Array1<f32>>,
        activation: Activation,
        recurrent_activation: Activation,
    ) -> Result<Self> {
        let (input_dim, width) = kernel.dim();
        if width % 4 != 0 {
            return Err(crate::Error::shape(
                "LSTM",
                "weight kernel",
                format!("({input_dim}, 4·units)"),
                crate::show::shape(kernel.shape()),
            ));
        }
        let units = width / 4;
        check_sizes("LSTM", units, input_dim)?;
        check_weight(
            "LSTM",
            "recurrent_kernel",
            &[units, 4 * units],
            recurrent_kernel.shape(),
        )?;
        if let Some(b) = &bias {
            check_weight("LSTM", "bias", &[4 * units], b.shape())?;
        }
        Ok(LstmCell {
            kernel,
            recurrent_kernel,
            bias,
            activation,
            recurrent_activation,
        })
    }

    /// The same cell with other activations (`activation`, `recurrent_activation`).
    pub fn with_activations(
        mut self,
        activation: Activation,
        recurrent_activation: Activation,
    ) -> Self {
        self.activation = activation;
        self.recurrent_activation = recurrent_activation;
        self
    }

    /// The same cell with Keras's initial bias (`true`) or none (`false`).
    pub fn with_bias(mut self, use_bias: bool) -> Self {
        self.bias = use_bias.then(|| init::unit_forget_bias(self.units()));
        self
    }

    /// `(input_dim, 4·units)`
    pub fn kernel(&self) -> &Array2<f32> {
        &self.kernel
    }

    /// `(units, 4·units)`
    pub fn recurrent_kernel(&self) -> &Array2<f32> {
        &self.recurrent_kernel
    }

    /// `(4·units,)`, or `None` without a bias.
    pub fn bias(&self) -> Option<&Array1<f32>> {
        self.bias.as_ref()
    }

    /// `activation` (tanh) and `recurrent_activation` (sigmoid).
    pub fn activations(&self) -> (Activation, Activation) {
        (self.activation, self.recurrent_activation)
    }
}

impl Cell for LstmCell {
    /// `z`, `(batch, 4·units)`
    type Workspace = Array2<f32>;

    fn layer_name(&self) -> &'static str {
        "LSTM"
    }

    fn units(&self) -> usize {
        self.recurrent_kernel.nrows()
    }

    fn input_dim(&self) -> usize {
        self.kernel.nrows()
    }

    fn state_count(&self) -> usize {
        2
    }

    fn kernel(&self) -> ArrayView2<'_, f32> {
        self.kernel.view()
    }

    fn input_bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }

    fn workspace(&self, batch: usize) -> Array2<f32> {
        Array2::zeros((batch, 4 * self.units()))
    }

    fn recur(&self, xw: ArrayView2<f32>, states: &mut [Array2<f32>], z: &mut Array2<f32>) {
        let units = self.units();
        let (h, c) = states.split_at_mut(1);
        let (h, c) = (&mut h[0], &mut c[0]);
        linalg::matmul_into(h.view(), self.recurrent_kernel.view(), z.view_mut(), false);
        let (act, rec) = (self.activation, self.recurrent_activation);
        Zip::from(h.rows_mut())
            .and(c.rows_mut())
            .and(z.rows())
            .and(xw.rows())
            .for_each(|mut h, mut c, z, xw| {
                for j in 0..units {
                    let gate = |g: usize| z[g * units + j] + xw[g * units + j];
                    let i = rec.apply(gate(0));
                    let f = rec.apply(gate(1));
                    let candidate = act.apply(gate(2));
                    let o = rec.apply(gate(3));
                    c[j] = f * c[j] + i * candidate;
                    h[j] = o * act.apply(c[j]);
                }
            });
    }

    fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        let mut w = vec![
            self.kernel.view_mut().into_dyn(),
            self.recurrent_kernel.view_mut().into_dyn(),
        ];
        if let Some(b) = &mut self.bias {
            w.push(b.view_mut().into_dyn());
        }
        w
    }

    fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        let mut w = vec![
            self.kernel.view().into_dyn(),
            self.recurrent_kernel.view().into_dyn(),
        ];
        if let Some(b) = &self.bias {
            w.push(b.view().into_dyn());
        }
        w
    }
}
