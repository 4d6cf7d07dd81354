use ndarray::{Array1, Array2, ArrayD, ArrayViewD, Ix2};

use crate::activation::Activation;
use crate::init::{self, Rng};
use crate::{Error, Result, linalg, show};

/// Keras's `Dense`: `act(x · kernel + bias)` on the last axis, so on a
/// sequence `(batch, time, features)` it acts at every step.
///
/// # Shapes
///
/// - input: `(..., input_dim)`, at least 2-D
/// - output: `(..., units)`
/// - `kernel`: `(input_dim, units)`, `bias`: `(units,)`
///
/// # Example
///
/// ```
/// use ndarray::Array3;
/// use rnn_basics::{activation::Activation, init, layers::Dense};
///
/// let dense = Dense::new(2, 10, &mut init::rng(0))?.with_activation(Activation::Softmax);
/// let y = dense.forward(Array3::<f32>::zeros((3, 5, 10)).view().into_dyn())?;
/// assert_eq!(y.shape(), &[3, 5, 2]);
/// assert_eq!(dense.param_count(), 10 * 2 + 2);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dense {
    kernel: Array2<f32>,
    bias: Option<Array1<f32>>,
    activation: Activation,
}

impl Dense {
    /// `Dense(units)` for `input_dim` features with Keras's defaults:
    /// linear, glorot_uniform kernel, zero bias.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        crate::cell::check_sizes("Dense", units, input_dim)?;
        Ok(Dense {
            kernel: init::glorot_uniform(rng, input_dim, units),
            bias: Some(Array1::zeros(units)),
            activation: Activation::Linear,
        })
    }

    /// A layer with the given weights.
    pub fn from_weights(
        kernel: Array2<f32>,
        bias: Option<Array1<f32>>,
        activation: Activation,
    ) -> Result<Self> {
        let (input_dim, units) = kernel.dim();
        crate::cell::check_sizes("Dense", units, input_dim)?;
        if let Some(b) = &bias {
            crate::cell::check_weight("Dense", "bias", &[units], b.shape())?;
        }
        Ok(Dense {
            kernel,
            bias,
            activation,
        })
    }

    /// The same layer with another activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The same layer with a zero bias (`true`) or none (`false`).
    pub fn with_bias(mut self, use_bias: bool) -> Self {
        self.bias = use_bias.then(|| Array1::zeros(self.units()));
        self
    }

    /// Output features.
    pub fn units(&self) -> usize {
        self.kernel.ncols()
    }

    /// Input features.
    pub fn input_dim(&self) -> usize {
        self.kernel.nrows()
    }

    /// `(input_dim, units)`
    pub fn kernel(&self) -> &Array2<f32> {
        &self.kernel
    }

    /// `(units,)`, or `None` without a bias.
    pub fn bias(&self) -> Option<&Array1<f32>> {
        self.bias.as_ref()
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Weights in Keras's order: kernel, bias.
    pub fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        let mut w = vec![self.kernel.view().into_dyn()];
        if let Some(b) = &self.bias {
            w.push(b.view().into_dyn());
        }
        w
    }

    /// Weights, mutable, in Keras's order (for training).
    pub fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        let mut w = vec![self.kernel.view_mut().into_dyn()];
        if let Some(b) = &mut self.bias {
            w.push(b.view_mut().into_dyn());
        }
        w
    }

    /// `input_dim · units + units`, as Keras counts.
    pub fn param_count(&self) -> usize {
        self.kernel.len() + self.bias.as_ref().map_or(0, |b| b.len())
    }

    /// Checks an input of `dims` features on the last axis.
    pub fn check_input(&self, dims: &[usize]) -> Result<()> {
        if dims.len() < 2 || dims[dims.len() - 1] != self.input_dim() || dims[0] == 0 {
            return Err(Error::shape(
                "Dense",
                "input",
                format!("(batch, ..., {})", self.input_dim()),
                show::shape(dims),
            ));
        }
        Ok(())
    }

    /// The pre-activation `x · kernel + bias`, rows flattened: `(rows, units)`.
    pub(crate) fn linear(&self, x: &ArrayViewD<'_, f32>) -> Result<Array2<f32>> {
        self.check_input(x.shape())?;
        let rows = x.len() / self.input_dim();
        let x2 = x
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((rows, self.input_dim()))
            .expect("the length is rows × input_dim")
            .into_dimensionality::<Ix2>()
            .expect("2-D");
        let mut y = Array2::zeros((rows, self.units()));
        linalg::matmul_into(x2.view(), self.kernel.view(), y.view_mut(), false);
        if let Some(b) = &self.bias {
            linalg::add_row(y.view_mut(), b.view());
        }
        Ok(y)
    }

    /// `act(x · kernel + bias)` over the last axis.
    pub fn forward(&self, x: ArrayViewD<'_, f32>) -> Result<ArrayD<f32>> {
        let mut y = self.linear(&x)?;
        self.activation.apply_inplace(y.view_mut());
        let mut shape = x.shape().to_vec();
        *shape.last_mut().expect("at least 2-D") = self.units();
        Ok(y.into_shape_with_order(shape)
            .expect("rows × units")
            .into_dyn())
    }

    /// The output shape for an input shape (`None` for an unknown size).
    pub fn output_shape(&self, input: &[Option<usize>]) -> Result<Vec<Option<usize>>> {
        match input.last() {
            Some(Some(d)) if input.len() >= 2 && *d == self.input_dim() => {
                let mut out = input.to_vec();
                *out.last_mut().expect("not empty") = Some(self.units());
                Ok(out)
            }
            _ => Err(Error::shape(
                "Dense",
                "input",
                format!("(batch, ..., {})", self.input_dim()),
                show::shape_opt(input),
            )),
        }
    }
}
