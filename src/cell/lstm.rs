use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut2};

use super::{Cell, check_sizes, check_weight, contiguous_mut};
use crate::Result;
use crate::activation::{self, Activation};
use crate::init::{self, Rng};
use crate::linalg::{PackCache, PackedMatrix, multiversion};

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
    packed: PackCache,
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
            packed: PackCache::default(),
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
            packed: PackCache::default(),
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

multiversion! {
    /// The gates of every example, in one pass over memory:
    /// `c = σ(f)·c + σ(i)·tanh(g)`, `h = σ(o)·tanh(c)`.
    fn lstm_gates(z: &[f32], h: &mut [f32], c: &mut [f32], units: usize, act: Activation, rec: Activation) {
        match (act, rec) {
            (Activation::Tanh, Activation::Sigmoid) => {
                lstm_loop(z, h, c, units, activation::tanh, activation::sigmoid)
            }
            _ => lstm_loop(z, h, c, units, |x| act.apply(x), |x| rec.apply(x)),
        }
    }
}

#[inline(always)]
fn lstm_loop(
    z: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    units: usize,
    act: impl Fn(f32) -> f32,
    rec: impl Fn(f32) -> f32,
) {
    for ((z, h), c) in z
        .chunks_exact(4 * units)
        .zip(h.chunks_exact_mut(units))
        .zip(c.chunks_exact_mut(units))
    {
        let (zi, rest) = z.split_at(units);
        let (zf, rest) = rest.split_at(units);
        let (zg, zo) = rest.split_at(units);
        let gates = zi.iter().zip(zf).zip(zg).zip(zo);
        for ((((zi, zf), zg), zo), (c, h)) in gates.zip(c.iter_mut().zip(h.iter_mut())) {
            let (i, f, g, o) = (rec(*zi), rec(*zf), act(*zg), rec(*zo));
            *c = f * *c + i * g;
            *h = o * act(*c);
        }
    }
}

impl Cell for LstmCell {
    /// Nothing: the packed weights live in the cell.
    type Workspace = ();

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
        let units = self.units();
        let (h, c) = states.split_at_mut(1);
        let (h, c) = (contiguous_mut(&mut h[0]), contiguous_mut(&mut c[0]));
        let z = xw
            .as_slice_mut()
            .expect("the projected input is contiguous");
        // z = x·kernel + bias + h·recurrent_kernel, the four gates side by side.
        let recurrent = self
            .packed
            .recurrent
            .get_or_init(|| PackedMatrix::pack(self.recurrent_kernel.view()));
        recurrent.matmul(h, units, h.len() / units, z, 4 * units, true);
        lstm_gates(z, h, c, units, self.activation, self.recurrent_activation);
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
