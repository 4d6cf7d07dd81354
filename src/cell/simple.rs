use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut2};

use super::{Cell, check_activation, check_sizes, check_weight, contiguous_mut};
use crate::Result;
use crate::activation::{self, Activation};
use crate::init::{self, Rng};
use crate::linalg::{PackCache, multiversion};

/// Keras's `SimpleRNNCell`: `h_t = act(x_t · kernel + h_{t-1} · recurrent_kernel + bias)`.
///
/// # Shapes
///
/// - `kernel`: `(input_dim, units)`
/// - `recurrent_kernel`: `(units, units)`
/// - `bias`: `(units,)`, absent with `use_bias = false`
///
/// Keras's `kernel` is the transpose of the numpy lesson's `Wx`
/// `(hidden, input)`: Keras multiplies `x · kernel`, the lesson `Wx · x`.
///
/// # Example
///
/// ```
/// use rnn_basics::{activation::Activation, cell::{Cell, SimpleRnnCell}, init};
///
/// let cell = SimpleRnnCell::new(3, 10, &mut init::rng(1))?;
/// assert_eq!(cell.param_count(), 42); // 3 × (10 + 3 + 1)
/// let relu = cell.with_activation(Activation::Relu)?.with_bias(false);
/// assert_eq!(relu.param_count(), 39);
/// // Softmax acts on a whole row, not on each number: no cell's activation.
/// assert!(relu.with_activation(Activation::Softmax).is_err());
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SimpleRnnCell {
    kernel: Array2<f32>,
    recurrent_kernel: Array2<f32>,
    bias: Option<Array1<f32>>,
    activation: Activation,
    packed: PackCache,
}

impl SimpleRnnCell {
    /// A cell with Keras's defaults: tanh, a bias, glorot_uniform kernel,
    /// orthogonal recurrent kernel, zero bias.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        check_sizes("SimpleRNN", units, input_dim)?;
        Ok(SimpleRnnCell {
            kernel: init::glorot_uniform(rng, input_dim, units),
            recurrent_kernel: init::orthogonal(rng, units, units),
            bias: Some(Array1::zeros(units)),
            activation: Activation::Tanh,
            packed: PackCache::default(),
        })
    }

    /// A cell with the given weights, in Keras's shapes.
    pub fn from_weights(
        kernel: Array2<f32>,
        recurrent_kernel: Array2<f32>,
        bias: Option<Array1<f32>>,
        activation: Activation,
    ) -> Result<Self> {
        let (input_dim, units) = kernel.dim();
        check_sizes("SimpleRNN", units, input_dim)?;
        check_activation("SimpleRNN", "activation", activation)?;
        check_weight(
            "SimpleRNN",
            "recurrent_kernel",
            &[units, units],
            recurrent_kernel.shape(),
        )?;
        if let Some(b) = &bias {
            check_weight("SimpleRNN", "bias", &[units], b.shape())?;
        }
        Ok(SimpleRnnCell {
            kernel,
            recurrent_kernel,
            bias,
            activation,
            packed: PackCache::default(),
        })
    }

    /// The same cell with another activation (the course uses tanh); an
    /// error for softmax, which is not element-wise.
    pub fn with_activation(mut self, activation: Activation) -> Result<Self> {
        check_activation("SimpleRNN", "activation", activation)?;
        self.activation = activation;
        Ok(self)
    }

    /// The same cell with a zero bias (`true`) or none at all (`false`).
    pub fn with_bias(mut self, use_bias: bool) -> Self {
        self.bias = use_bias.then(|| Array1::zeros(self.units()));
        self
    }

    /// `(input_dim, units)`
    pub fn kernel(&self) -> &Array2<f32> {
        &self.kernel
    }

    /// `(units, units)`
    pub fn recurrent_kernel(&self) -> &Array2<f32> {
        &self.recurrent_kernel
    }

    /// `(units,)`, or `None` without a bias.
    pub fn bias(&self) -> Option<&Array1<f32>> {
        self.bias.as_ref()
    }

    /// The activation applied to the sum.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

multiversion! {
    /// `h = act(z)`, every number in one pass.
    fn activate(h: &mut [f32], z: &[f32], act: Activation) {
        match act {
            Activation::Tanh => h.iter_mut().zip(z).for_each(|(h, z)| *h = activation::tanh(*z)),
            _ => h.iter_mut().zip(z).for_each(|(h, z)| *h = act.apply(*z)),
        }
    }
}

impl Cell for SimpleRnnCell {
    /// Nothing: the packed weights live in the cell.
    type Workspace = ();

    fn layer_name(&self) -> &'static str {
        "SimpleRNN"
    }

    fn units(&self) -> usize {
        self.kernel.ncols()
    }

    fn input_dim(&self) -> usize {
        self.kernel.nrows()
    }

    fn kernel(&self) -> ArrayView2<'_, f32> {
        self.kernel.view()
    }

    fn input_bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }

    fn workspace(&self, _batch: usize) {}

    fn project(&self, x: ArrayView2<f32>, out: ArrayViewMut2<f32>) {
        self.packed
            .project(self.kernel.view(), self.input_bias(), x, out);
    }

    fn project_rows(&self, x: &[f32], lda: usize, rows: usize, out: &mut [f32], ldc: usize) {
        let (kernel, bias) = (self.kernel.view(), self.input_bias());
        self.packed
            .project_rows(kernel, bias, x, lda, rows, out, ldc);
    }

    fn recur(&self, mut xw: ArrayViewMut2<f32>, states: &mut [Array2<f32>], _: &mut ()) {
        let h = contiguous_mut(&mut states[0]);
        let z = xw
            .as_slice_mut()
            .expect("the projected input is contiguous");
        // z = x·kernel + bias + h·recurrent_kernel
        self.packed
            .add_recurrent(self.recurrent_kernel.view(), h, z);
        activate(h, z, self.activation);
    }

    fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        self.packed = PackCache::default();
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
