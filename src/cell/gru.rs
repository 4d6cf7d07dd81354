use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut2, s};

use super::{Cell, check_activation, check_sizes, check_weight, contiguous_mut};
use crate::activation::{self, Activation};
use crate::init::{self, Rng};
use crate::linalg::{PackCache, PackedMatrix, multiversion};
use crate::{Error, Result, show};

/// Keras's `GRUCell`: three gates side by side in the order z, r, h.
///
/// With `reset_after = true` (Keras's default, the cuDNN form) the bias has
/// two rows, one added with the input and one with the recurrent term, and
/// the reset gate scales the recurrent term after the matrix product:
///
/// ```text
/// x_z, x_r, x_h = x_t · kernel + bias[0]
/// u_z, u_r, u_h = h_{t-1} · recurrent_kernel + bias[1]
/// z = σ(x_z + u_z)    r = σ(x_r + u_r)
/// h̃ = tanh(x_h + r * u_h)
/// h_t = z * h_{t-1} + (1 - z) * h̃
/// ```
///
/// With `reset_after = false` (the original GRU) there is one bias row and
/// the reset gate scales the state before the product:
/// `h̃ = tanh(x_h + (r * h_{t-1}) · recurrent_kernel_h)`.
///
/// # Shapes
///
/// - `kernel`: `(input_dim, 3·units)`
/// - `recurrent_kernel`: `(units, 3·units)`
/// - `bias`: `(2, 3·units)` with `reset_after`, else `(3·units,)`
///
/// # Example
///
/// ```
/// use rnn_basics::{cell::{Cell, GruCell}, init};
///
/// let cell = GruCell::new(3, 5, &mut init::rng(0))?;
/// assert_eq!(cell.param_count(), 3 * 3 * (5 + 3 + 2));
/// let v1 = cell.with_reset_after(false);
/// assert_eq!(v1.param_count(), 3 * 3 * (5 + 3 + 1));
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GruCell {
    kernel: Array2<f32>,
    recurrent_kernel: Array2<f32>,
    /// `(2, 3·units)` with `reset_after` (row 0 with the input, row 1 with
    /// the recurrent term), else `(1, 3·units)`: one row, with the input.
    bias: Option<Array2<f32>>,
    reset_after: bool,
    activation: Activation,
    recurrent_activation: Activation,
    packed: PackCache,
}

/// Scratch memory of one GRU step.
#[derive(Debug)]
pub struct GruWorkspace {
    /// With `reset_after`: `h_{t-1} · recurrent_kernel`, `(batch, 3·units)`.
    /// Without: `r * h_{t-1}`, `(batch, units)`.
    inner: Vec<f32>,
    /// With `reset_after`: the bias added to the recurrent term (zeros without a bias).
    recurrent_bias: Vec<f32>,
}

impl GruWorkspace {
    /// What the last step left: with `reset_after`, `h_{t-1} ·
    /// recurrent_kernel` (no bias), which training keeps for its backward pass.
    pub(crate) fn inner(&self) -> &[f32] {
        &self.inner
    }
}

multiversion! {
    /// `reset_after`: `h = z·h + (1 - z)·h̃` with `h̃ = act(x_h + r·(u_h + b_h))`.
    fn gru_after(x: &[f32], u: &[f32], b: &[f32], h: &mut [f32], units: usize, act: Activation, rec: Activation) {
        match (act, rec) {
            (Activation::Tanh, Activation::Sigmoid) => {
                gru_gates_after(x, u, b, h, units, activation::tanh, activation::sigmoid)
            }
            _ => gru_gates_after(x, u, b, h, units, |v| act.apply(v), |v| rec.apply(v)),
        }
    }
}

multiversion! {
    /// Without `reset_after`, first half: `z`, and `r·h_{t-1}`.
    fn gru_before_reset(x: &mut [f32], h: &[f32], rh: &mut [f32], units: usize, rec: Activation) {
        match rec {
            Activation::Sigmoid => gru_gates_before_reset(x, h, rh, units, activation::sigmoid),
            _ => gru_gates_before_reset(x, h, rh, units, |v| rec.apply(v)),
        }
    }
}

multiversion! {
    /// Without `reset_after`, second half: the new state.
    fn gru_before_update(x: &[f32], h: &mut [f32], units: usize, act: Activation) {
        match act {
            Activation::Tanh => gru_gates_before_update(x, h, units, activation::tanh),
            _ => gru_gates_before_update(x, h, units, |v| act.apply(v)),
        }
    }
}

/// `h = z·h + (1 - z)·h̃` with `h̃ = act(x_h + r·(u_h + b_h))`, every example
/// in one pass (`reset_after`).
#[inline(always)]
fn gru_gates_after(
    x: &[f32],
    u: &[f32],
    b: &[f32],
    h: &mut [f32],
    units: usize,
    act: impl Fn(f32) -> f32,
    rec: impl Fn(f32) -> f32,
) {
    let (bz, rest) = b.split_at(units);
    let (br, bh) = rest.split_at(units);
    for ((x, u), h) in x
        .chunks_exact(3 * units)
        .zip(u.chunks_exact(3 * units))
        .zip(h.chunks_exact_mut(units))
    {
        let (xz, rest) = x.split_at(units);
        let (xr, xh) = rest.split_at(units);
        let (uz, rest) = u.split_at(units);
        let (ur, uh) = rest.split_at(units);
        let update = xz.iter().zip(uz).zip(bz);
        let reset = xr.iter().zip(ur).zip(br);
        let candidate = xh.iter().zip(uh).zip(bh);
        for (((z, r), c), h) in update.zip(reset).zip(candidate).zip(h.iter_mut()) {
            let z = rec(z.0.0 + (z.0.1 + z.1));
            let r = rec(r.0.0 + (r.0.1 + r.1));
            let candidate = act(c.0.0 + r * (c.0.1 + c.1));
            *h = z * *h + (1.0 - z) * candidate;
        }
    }
}

/// Without `reset_after`, first half: the gates `z` (kept in `x`'s z block)
/// and `r · h_{t-1}` (into `rh`).
#[inline(always)]
fn gru_gates_before_reset(
    x: &mut [f32],
    h: &[f32],
    rh: &mut [f32],
    units: usize,
    rec: impl Fn(f32) -> f32,
) {
    for ((x, h), rh) in x
        .chunks_exact_mut(3 * units)
        .zip(h.chunks_exact(units))
        .zip(rh.chunks_exact_mut(units))
    {
        let (xz, rest) = x.split_at_mut(units);
        let xr = &rest[..units];
        for (((z, r), h), rh) in xz.iter_mut().zip(xr).zip(h).zip(rh.iter_mut()) {
            *z = rec(*z);
            *rh = rec(*r) * h;
        }
    }
}

/// Without `reset_after`, second half: `h = z·h + (1 - z)·act(x_h + (r·h)·U_h)`.
#[inline(always)]
fn gru_gates_before_update(x: &[f32], h: &mut [f32], units: usize, act: impl Fn(f32) -> f32) {
    for (x, h) in x.chunks_exact(3 * units).zip(h.chunks_exact_mut(units)) {
        let (z, rest) = x.split_at(units);
        let xh = &rest[units..];
        for ((z, xh), h) in z.iter().zip(xh).zip(h.iter_mut()) {
            *h = z * *h + (1.0 - z) * act(*xh);
        }
    }
}

impl GruCell {
    /// A cell with Keras's defaults: `reset_after = true`, tanh and sigmoid,
    /// a zero bias, glorot_uniform kernel, orthogonal recurrent kernel.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        check_sizes("GRU", units, input_dim)?;
        Ok(GruCell {
            kernel: init::glorot_uniform(rng, input_dim, 3 * units),
            recurrent_kernel: init::orthogonal(rng, units, 3 * units),
            bias: Some(Array2::zeros((2, 3 * units))),
            reset_after: true,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            packed: PackCache::default(),
        })
    }

    /// A cell with the given weights, in Keras's shapes: `bias` is
    /// `(2, 3·units)` when `reset_after`, else `(1, 3·units)` or `(3·units,)`
    /// given as one row.
    pub fn from_weights(
        kernel: Array2<f32>,
        recurrent_kernel: Array2<f32>,
        bias: Option<Array2<f32>>,
        reset_after: bool,
        activation: Activation,
        recurrent_activation: Activation,
    ) -> Result<Self> {
        let (input_dim, width) = kernel.dim();
        if width % 3 != 0 {
            return Err(Error::shape(
                "GRU",
                "weight kernel",
                format!("({input_dim}, 3·units)"),
                show::shape(kernel.shape()),
            ));
        }
        let units = width / 3;
        check_sizes("GRU", units, input_dim)?;
        check_activation("GRU", "activation", activation)?;
        check_activation("GRU", "recurrent_activation", recurrent_activation)?;
        check_weight(
            "GRU",
            "recurrent_kernel",
            &[units, 3 * units],
            recurrent_kernel.shape(),
        )?;
        if let Some(b) = &bias {
            let rows = if reset_after { 2 } else { 1 };
            check_weight("GRU", "bias", &[rows, 3 * units], b.shape())?;
        }
        Ok(GruCell {
            kernel,
            recurrent_kernel,
            bias,
            reset_after,
            activation,
            recurrent_activation,
            packed: PackCache::default(),
        })
    }

    /// The same cell in the other form. The bias is reset to zeros.
    pub fn with_reset_after(mut self, reset_after: bool) -> Self {
        self.reset_after = reset_after;
        self.packed = PackCache::default();
        if self.bias.is_some() {
            self = self.with_bias(true);
        }
        self
    }

    /// The same cell with other activations (`activation`,
    /// `recurrent_activation`); an error for softmax, which is not element-wise.
    pub fn with_activations(
        mut self,
        activation: Activation,
        recurrent_activation: Activation,
    ) -> Result<Self> {
        check_activation("GRU", "activation", activation)?;
        check_activation("GRU", "recurrent_activation", recurrent_activation)?;
        self.activation = activation;
        self.recurrent_activation = recurrent_activation;
        Ok(self)
    }

    /// The same cell with a zero bias (`true`) or none (`false`).
    pub fn with_bias(mut self, use_bias: bool) -> Self {
        let rows = if self.reset_after { 2 } else { 1 };
        self.bias = use_bias.then(|| Array2::zeros((rows, 3 * self.units())));
        self
    }

    /// Whether the reset gate is applied after the recurrent product.
    pub fn reset_after(&self) -> bool {
        self.reset_after
    }

    /// `(input_dim, 3·units)`
    pub fn kernel(&self) -> &Array2<f32> {
        &self.kernel
    }

    /// `(units, 3·units)`
    pub fn recurrent_kernel(&self) -> &Array2<f32> {
        &self.recurrent_kernel
    }

    /// The bias as rows: `(2, 3·units)` with `reset_after`, else `(1, 3·units)`.
    pub fn bias(&self) -> Option<&Array2<f32>> {
        self.bias.as_ref()
    }

    /// `activation` (tanh) and `recurrent_activation` (sigmoid).
    pub fn activations(&self) -> (Activation, Activation) {
        (self.activation, self.recurrent_activation)
    }

    /// The bias added to the recurrent term (`bias[1]`), with `reset_after`.
    pub fn recurrent_bias(&self) -> Option<ArrayView1<'_, f32>> {
        let b = self.bias.as_ref()?;
        self.reset_after.then(|| b.row(1))
    }
}

impl Cell for GruCell {
    type Workspace = GruWorkspace;

    fn layer_name(&self) -> &'static str {
        "GRU"
    }

    fn units(&self) -> usize {
        self.recurrent_kernel.nrows()
    }

    fn input_dim(&self) -> usize {
        self.kernel.nrows()
    }

    fn kernel(&self) -> ArrayView2<'_, f32> {
        self.kernel.view()
    }

    fn input_bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.row(0))
    }

    fn workspace(&self, batch: usize) -> GruWorkspace {
        let units = self.units();
        let recurrent_bias = match self.recurrent_bias() {
            Some(b) => b.to_vec(),
            None => vec![0.0; 3 * units],
        };
        let inner = if self.reset_after { 3 * units } else { units };
        GruWorkspace {
            inner: vec![0.0; batch * inner],
            recurrent_bias,
        }
    }

    fn project(&self, x: ArrayView2<f32>, out: ArrayViewMut2<f32>) {
        self.packed
            .project(self.kernel.view(), self.input_bias(), x, out);
    }

    fn project_rows(&self, x: &[f32], lda: usize, rows: usize, out: &mut [f32], ldc: usize) {
        let (kernel, bias) = (self.kernel.view(), self.input_bias());
        self.packed
            .project_rows(kernel, bias, x, lda, rows, out, ldc);
    }

    fn recur(&self, mut xw: ArrayViewMut2<f32>, states: &mut [Array2<f32>], ws: &mut GruWorkspace) {
        let units = self.units();
        let h = contiguous_mut(&mut states[0]);
        let batch = h.len() / units;
        let x = xw
            .as_slice_mut()
            .expect("the projected input is contiguous");
        let (act, rec) = (self.activation, self.recurrent_activation);
        let kernel = self.recurrent_kernel.view();
        if self.reset_after {
            // u = h·recurrent_kernel; the recurrent bias is added in the gate pass.
            let recurrent = self
                .packed
                .recurrent
                .get_or_init(|| PackedMatrix::pack(kernel));
            let u = &mut ws.inner[..batch * 3 * units];
            recurrent.matmul(h, units, batch, u, 3 * units, false);
            gru_after(x, u, &ws.recurrent_bias, h, units, act, rec);
        } else {
            let zr = self
                .packed
                .recurrent
                .get_or_init(|| PackedMatrix::pack(kernel.slice(s![.., ..2 * units])));
            let candidate = self
                .packed
                .candidate
                .get_or_init(|| PackedMatrix::pack(kernel.slice(s![.., 2 * units..])));
            let rh = &mut ws.inner[..batch * units];
            // x_z, x_r += h·U_zr; then z, and r·h.
            zr.matmul(h, units, batch, x, 3 * units, true);
            gru_before_reset(x, h, rh, units, rec);
            // x_h += (r·h)·U_h; then the new state.
            candidate.matmul(rh, units, batch, &mut x[2 * units..], 3 * units, true);
            gru_before_update(x, h, units, act);
        }
    }

    fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        self.packed = PackCache::default();
        let reset_after = self.reset_after;
        let mut w = vec![
            self.kernel.view_mut().into_dyn(),
            self.recurrent_kernel.view_mut().into_dyn(),
        ];
        if let Some(b) = &mut self.bias {
            w.push(keras_bias_shape(b.view_mut().into_dyn(), reset_after));
        }
        w
    }

    fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        let mut w = vec![
            self.kernel.view().into_dyn(),
            self.recurrent_kernel.view().into_dyn(),
        ];
        if let Some(b) = &self.bias {
            let b = b.view().into_dyn();
            w.push(if self.reset_after {
                b
            } else {
                b.index_axis_move(ndarray::Axis(0), 0)
            });
        }
        w
    }
}

/// Keras keeps the bias of the original GRU as `(3·units,)`: drop the row axis.
fn keras_bias_shape(
    b: ndarray::ArrayViewMutD<'_, f32>,
    reset_after: bool,
) -> ndarray::ArrayViewMutD<'_, f32> {
    if reset_after {
        b
    } else {
        b.index_axis_move(ndarray::Axis(0), 0)
    }
}
