use ndarray::{Array2, ArrayD, ArrayViewD, Axis, Ix3};

use crate::{Error, Result, show};

/// Keras's `Masking`: a step whose features all equal `mask_value` is
/// padding. Its output is the input with those steps set to 0, and its mask
/// `(batch, time)` is `false` there, for the recurrent layer after it.
///
/// # Shapes
///
/// - input and output: `(batch, time, features)`
///
/// # Example
///
/// ```
/// use ndarray::array;
/// use rnn_basics::layers::Masking;
///
/// let masking = Masking::new(-1.0);
/// let x = array![[[1.0f32, -1.0], [-1.0, -1.0]]].into_dyn();
/// assert_eq!(masking.compute_mask(x.view()).unwrap(), array![[true, false]]);
/// assert_eq!(masking.forward(x.view())?, array![[[1.0f32, -1.0], [0.0, 0.0]]].into_dyn());
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Masking {
    mask_value: f32,
}

impl Masking {
    /// `Masking(mask_value)`; Keras's default is 0.
    pub fn new(mask_value: f32) -> Self {
        Masking { mask_value }
    }

    /// The value that marks padding.
    pub fn mask_value(&self) -> f32 {
        self.mask_value
    }

    /// `true` where some feature differs from `mask_value`; `None` for an
    /// input that is not `(batch, time, features)`.
    pub fn compute_mask(&self, x: ArrayViewD<'_, f32>) -> Option<Array2<bool>> {
        let x = x.into_dimensionality::<Ix3>().ok()?;
        Some(x.map_axis(Axis(2), |step| step.iter().any(|&v| v != self.mask_value)))
    }

    /// The input with its masked steps set to 0.
    pub fn forward(&self, x: ArrayViewD<'_, f32>) -> Result<ArrayD<f32>> {
        let mask = self.compute_mask(x.view()).ok_or_else(|| {
            Error::shape(
                "Masking",
                "input",
                "(batch, time, features)",
                show::shape(x.shape()),
            )
        })?;
        let mut out = x.to_owned();
        for ((b, t), keep) in mask.indexed_iter() {
            if !keep {
                out.index_axis_mut(Axis(0), b)
                    .index_axis_mut(Axis(0), t)
                    .fill(0.0);
            }
        }
        Ok(out)
    }
}
