use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewD, Zip, s};

use super::{Cell, check_sizes, check_weight};
use crate::activation::Activation;
use crate::init::{self, Rng};
use crate::{Error, Result, linalg, show};

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
}

/// Scratch memory of one GRU step.
#[derive(Debug)]
pub struct GruWorkspace {
    /// `h_{t-1} · recurrent_kernel` (all three blocks, or z and r only).
    inner: Array2<f32>,
    /// `r * h_{t-1}` and its product with the candidate's kernel (`reset_after = false`).
    reset_state: Array2<f32>,
    candidate: Array2<f32>,
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
        })
    }

    /// The same cell in the other form. The bias is reset to zeros.
    pub fn with_reset_after(mut self, reset_after: bool) -> Self {
        self.reset_after = reset_after;
        if self.bias.is_some() {
            self = self.with_bias(true);
        }
        self
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
        let inner_width = if self.reset_after {
            3 * units
        } else {
            2 * units
        };
        let side = if self.reset_after { 0 } else { units };
        GruWorkspace {
            inner: Array2::zeros((batch, inner_width)),
            reset_state: Array2::zeros((batch, side)),
            candidate: Array2::zeros((batch, side)),
        }
    }

    fn recur(&self, xw: ArrayView2<f32>, states: &mut [Array2<f32>], ws: &mut GruWorkspace) {
        let units = self.units();
        let h = &mut states[0];
        let (act, rec) = (self.activation, self.recurrent_activation);
        if self.reset_after {
            linalg::matmul_into(
                h.view(),
                self.recurrent_kernel.view(),
                ws.inner.view_mut(),
                false,
            );
            if let Some(b) = self.recurrent_bias() {
                linalg::add_row(ws.inner.view_mut(), b);
            }
            Zip::from(h.rows_mut())
                .and(ws.inner.rows())
                .and(xw.rows())
                .for_each(|mut h, u, x| {
                    for j in 0..units {
                        let z = rec.apply(x[j] + u[j]);
                        let r = rec.apply(x[units + j] + u[units + j]);
                        let candidate = act.apply(x[2 * units + j] + r * u[2 * units + j]);
                        h[j] = z * h[j] + (1.0 - z) * candidate;
                    }
                });
        } else {
            let zr_kernel = self.recurrent_kernel.slice(s![.., ..2 * units]);
            linalg::matmul_into(h.view(), zr_kernel, ws.inner.view_mut(), false);
            // r * h_{t-1}, then its product with the candidate's recurrent kernel.
            Zip::from(ws.reset_state.rows_mut())
                .and(ws.inner.rows_mut())
                .and(h.rows())
                .and(xw.rows())
                .for_each(|mut rh, mut u, h, x| {
                    for j in 0..units {
                        u[j] = rec.apply(x[j] + u[j]);
                        let r = rec.apply(x[units + j] + u[units + j]);
                        rh[j] = r * h[j];
                    }
                });
            let h_kernel = self.recurrent_kernel.slice(s![.., 2 * units..]);
            linalg::matmul_into(
                ws.reset_state.view(),
                h_kernel,
                ws.candidate.view_mut(),
                false,
            );
            Zip::from(h.rows_mut())
                .and(ws.inner.rows())
                .and(ws.candidate.rows())
                .and(xw.rows())
                .for_each(|mut h, zr, cand, x| {
                    for j in 0..units {
                        let z = zr[j];
                        let candidate = act.apply(x[2 * units + j] + cand[j]);
                        h[j] = z * h[j] + (1.0 - z) * candidate;
                    }
                });
        }
    }

    fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
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
