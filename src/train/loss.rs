//! Losses, each with its gradient.

use ndarray::{ArrayD, ArrayViewD, Axis, Zip};

use crate::activation::softmax_inplace;
use crate::{Error, Result, show};

/// Which loss [`crate::train::fit`] minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// [`softmax_cross_entropy`]: the model outputs logits, the targets are class indices.
    SoftmaxCrossEntropy,
    /// [`mean_squared_error`]: the targets are numbers shaped like the output.
    MeanSquaredError,
}

/// Keras's `SparseCategoricalCrossentropy(from_logits=True)`: the mean over
/// every position of `-log softmax(logits)[label]`, and its gradient with
/// respect to the logits, `(softmax(logits) - onehot(label)) / positions`.
///
/// # Shapes
///
/// - `logits`: `(..., classes)`, e.g. `(batch, classes)` or `(batch, time, classes)`
/// - `labels`: the same without the last axis
///
/// ```
/// use ndarray::array;
/// use rnn_basics::train::softmax_cross_entropy;
///
/// let logits = array![[0.0f32, 0.0], [10.0, -10.0]];
/// let labels = array![0usize, 0];
/// let (loss, grad) = softmax_cross_entropy(logits.view().into_dyn(), labels.view().into_dyn())?;
/// assert!((loss - (2f32.ln() / 2.0)).abs() < 1e-6); // ln 2 for the first, ~0 for the second
/// assert_eq!(grad.shape(), &[2, 2]);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub fn softmax_cross_entropy(
    logits: ArrayViewD<'_, f32>,
    labels: ArrayViewD<'_, usize>,
) -> Result<(f32, ArrayD<f32>)> {
    let classes = *logits.shape().last().unwrap_or(&0);
    if logits.ndim() < 2 || labels.shape() != &logits.shape()[..logits.ndim() - 1] || classes == 0 {
        return Err(Error::shape(
            "softmax_cross_entropy",
            "labels",
            format!(
                "the logits' shape without its last axis, {}",
                show::shape(&logits.shape()[..logits.ndim().saturating_sub(1)])
            ),
            show::shape(labels.shape()),
        ));
    }
    if let Some(bad) = labels.iter().find(|&&l| l >= classes) {
        return Err(Error::config(
            "softmax_cross_entropy",
            format!("label {bad} is out of range for {classes} classes (0..{classes})"),
        ));
    }
    let positions = labels.len() as f32;
    let mut grad = logits.to_owned();
    let last = Axis(grad.ndim() - 1);
    let mut total = 0.0f64;
    Zip::from(grad.lanes_mut(last))
        .and(&labels)
        .for_each(|mut row, &label| {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let log_sum = row.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
            total += (log_sum - (row[label] - max)) as f64;
            let mut probs = row.to_vec();
            softmax_inplace(&mut probs);
            for (g, p) in row.iter_mut().zip(probs) {
                *g = p / positions;
            }
            row[label] -= 1.0 / positions;
        });
    Ok(((total / positions as f64) as f32, grad))
}

/// Keras's `MeanSquaredError`: the mean of `(prediction - target)²` over
/// every number, and its gradient `2 (prediction - target) / n`.
///
/// ```
/// use ndarray::array;
/// use rnn_basics::train::mean_squared_error;
///
/// let (loss, grad) = mean_squared_error(array![1.0f32, 3.0].view().into_dyn(), array![0.0f32, 1.0].view().into_dyn())?;
/// assert_eq!(loss, 2.5);
/// assert_eq!(grad.into_raw_vec_and_offset().0, vec![1.0, 2.0]);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub fn mean_squared_error(
    prediction: ArrayViewD<'_, f32>,
    target: ArrayViewD<'_, f32>,
) -> Result<(f32, ArrayD<f32>)> {
    if prediction.shape() != target.shape() || prediction.is_empty() {
        return Err(Error::shape(
            "mean_squared_error",
            "target",
            show::shape(prediction.shape()),
            show::shape(target.shape()),
        ));
    }
    let n = prediction.len() as f32;
    let diff = &prediction - &target;
    let loss = diff.iter().map(|d| (d * d) as f64).sum::<f64>() as f32 / n;
    Ok((loss, diff * (2.0 / n)))
}
