//! A training loop: minibatches, a loss, an optimizer, a report per epoch.

use std::fmt;

use ndarray::{ArrayD, ArrayView2, ArrayViewD, Axis};
use ndarray_rand::rand::seq::SliceRandom;

use super::{
    Backward, Loss, Optimizer, clip_by_global_norm, mean_squared_error, softmax_cross_entropy,
};
use crate::init;
use crate::model::{ModelLayer, Sequential};
use crate::rnn::CallArgs;
use crate::{Error, Result, show};

/// What the model should output.
#[derive(Clone, Debug)]
pub enum Target<'a> {
    /// Class indices, shaped like the output without its last axis (for
    /// [`Loss::SoftmaxCrossEntropy`]).
    Classes(ArrayViewD<'a, usize>),
    /// Numbers shaped like the output (for [`Loss::MeanSquaredError`]).
    Values(ArrayViewD<'a, f32>),
}

impl Target<'_> {
    fn examples(&self) -> usize {
        match self {
            Target::Classes(t) => t.shape().first().copied().unwrap_or(0),
            Target::Values(t) => t.shape().first().copied().unwrap_or(0),
        }
    }
}

/// What to train on.
#[derive(Clone, Debug)]
pub struct Dataset<'a> {
    /// `(examples, time, features)`
    pub x: ArrayViewD<'a, f32>,
    /// What the model should output for each example.
    pub target: Target<'a>,
    /// `(examples, time)`: `false` marks padding, as Keras's `mask_zero` does.
    pub mask: Option<ArrayView2<'a, bool>>,
}

/// How to train.
#[derive(Clone, Debug, PartialEq)]
pub struct FitConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Examples per update.
    pub batch_size: usize,
    /// Shuffle the examples before every epoch (seeded).
    pub shuffle: bool,
    /// Seed of the shuffling, and of the masks of the `Dropout` layers and
    /// of the recurrent layers' `dropout` and `recurrent_dropout` (with
    /// each layer's own seed, when it has one).
    pub seed: u64,
    /// Clip the gradients to this global norm before each update.
    pub clip_norm: Option<f32>,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            seed: 0,
            clip_norm: None,
        }
    }
}

/// The report of one epoch: its mean loss, and the accuracy when the
/// targets are classes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochReport {
    /// From 1.
    pub epoch: usize,
    pub epochs: usize,
    pub loss: f32,
    pub accuracy: Option<f32>,
}

impl fmt::Display for EpochReport {
    /// `epoch  3/30  loss 0.6532  accuracy 0.750`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.epochs.to_string().len();
        write!(
            f,
            "epoch {:>width$}/{}  loss {:.4}",
            self.epoch, self.epochs, self.loss
        )?;
        if let Some(a) = self.accuracy {
            write!(f, "  accuracy {a:.3}")?;
        }
        Ok(())
    }
}

/// Every epoch's loss (and accuracy, for classes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub loss: Vec<f32>,
    pub accuracy: Vec<f32>,
}

/// Trains `model` on `data`: for every epoch,
/// shuffles the examples (seeded), and for every minibatch runs the model
/// forward, takes the loss and its gradient, runs the model backward and
/// lets the optimizer update the weights. `on_epoch` hears of every epoch
/// and sees the model, so that a long run shows its progress.
pub fn fit(
    model: &mut Sequential,
    data: Dataset<'_>,
    loss: Loss,
    optimizer: &mut dyn Optimizer,
    config: &FitConfig,
    mut on_epoch: impl FnMut(&EpochReport, &Sequential),
) -> Result<History> {
    let Dataset { x, target, mask } = data;
    let examples = x.shape().first().copied().unwrap_or(0);
    if target.examples() != examples || examples == 0 {
        return Err(Error::count(
            "fit",
            "targets (one per example)",
            examples,
            target.examples(),
        ));
    }
    if let Some(m) = mask
        && m.nrows() != examples
    {
        return Err(Error::shape(
            "fit",
            "mask",
            format!("({examples}, time)"),
            show::shape(m.shape()),
        ));
    }
    match (loss, &target) {
        (Loss::SoftmaxCrossEntropy, Target::Classes(_))
        | (Loss::MeanSquaredError, Target::Values(_)) => {}
        _ => {
            return Err(Error::config(
                "fit",
                "softmax cross-entropy takes Target::Classes, mean squared error takes Target::Values",
            ));
        }
    }
    if config.batch_size == 0 || config.epochs == 0 {
        return Err(Error::config(
            "fit",
            "epochs and batch_size must be at least 1",
        ));
    }
    if let Some(max_norm) = config.clip_norm
        && !(max_norm > 0.0 && max_norm.is_finite())
    {
        return Err(Error::config(
            "fit",
            format!("clip_norm must be a positive number, got {max_norm}"),
        ));
    }

    let mut rng = init::rng(config.seed);
    let mut order: Vec<usize> = (0..examples).collect();
    let mut history = History::default();
    let mut update = 0u64;
    for epoch in 1..=config.epochs {
        if config.shuffle {
            order.shuffle(&mut rng);
        }
        let (mut loss_sum, mut correct, mut positions) = (0.0f64, 0usize, 0usize);
        for batch in order.chunks(config.batch_size) {
            set_dropout_steps(model, config.seed, update);
            update += 1;
            let xb = x.select(Axis(0), batch);
            let mb = mask.map(|m| m.select(Axis(0), batch));
            let args = CallArgs {
                mask: mb.as_ref().map(|m| m.view()),
                initial_state: None,
            };
            let (out, tape) = model.forward_train(xb.view(), args)?;
            let (batch_loss, d_out) = match &target {
                Target::Classes(labels) => {
                    let lb = labels.select(Axis(0), batch);
                    correct += correct_predictions(&out, &lb);
                    positions += lb.len();
                    softmax_cross_entropy(out.view(), lb.view())?
                }
                Target::Values(values) => {
                    mean_squared_error(out.view(), values.select(Axis(0), batch).view())?
                }
            };
            if !batch_loss.is_finite() {
                return Err(Error::NonFinite {
                    layer: "fit".to_string(),
                    what: format!("the loss of epoch {epoch}"),
                    value: batch_loss,
                    index: batch.to_vec(),
                });
            }
            loss_sum += batch_loss as f64 * batch.len() as f64;
            let mut grads = model.backward(&tape, &[d_out.view()])?.weights;
            if let Some(max_norm) = config.clip_norm {
                clip_by_global_norm(&mut grads, max_norm);
            }
            optimizer.step(&mut model.weights_mut(), &grads)?;
        }
        let report = EpochReport {
            epoch,
            epochs: config.epochs,
            loss: (loss_sum / examples as f64) as f32,
            accuracy: (positions > 0).then(|| correct as f32 / positions as f32),
        };
        history.loss.push(report.loss);
        if let Some(a) = report.accuracy {
            history.accuracy.push(a);
        }
        on_epoch(&report, model);
    }
    Ok(history)
}

/// Gives every `Dropout` layer and every recurrent layer with dropout its
/// step for this update: one from the fit's seed, the update's number and
/// the layer's place, so that each update and each layer draws its own
/// masks, the same on every run.
fn set_dropout_steps(model: &mut Sequential, seed: u64, update: u64) {
    for (place, layer) in model.layers_mut().iter_mut().enumerate() {
        let step = seed.rotate_left(32) ^ (update << 16) ^ place as u64;
        match layer {
            ModelLayer::Dropout(d) => d.set_step(step),
            ModelLayer::Recurrent(l) => l.set_dropout_step(step),
            ModelLayer::Bidirectional(l) => {
                // The backward half draws other masks through its go_backwards.
                let (forward, backward) = l.layers_mut();
                forward.set_dropout_step(step);
                backward.set_dropout_step(step);
            }
            _ => {}
        }
    }
}

/// How many positions' largest logit is at the label.
fn correct_predictions(logits: &ArrayD<f32>, labels: &ArrayD<usize>) -> usize {
    let last = Axis(logits.ndim() - 1);
    logits
        .lanes(last)
        .into_iter()
        .zip(labels.iter())
        .filter(|(row, label)| argmax(row.iter().copied()) == **label)
        .count()
}

/// The index of the largest number (the first, on ties).
pub(crate) fn argmax(values: impl Iterator<Item = f32>) -> usize {
    values
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}

#[cfg(test)]
mod tests {
    use super::{argmax, correct_predictions};
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn argmax_finds_the_first_largest() {
        assert_eq!(argmax([5.0, 1.0, 2.0].into_iter()), 0);
        assert_eq!(argmax([0.0, 1.0, 7.0].into_iter()), 2);
        assert_eq!(
            argmax([-3.0, 4.0, 0.5, 4.0].into_iter()),
            1,
            "the first, on ties"
        );
        assert_eq!(
            argmax([-9.0, -2.0, -5.0].into_iter()),
            1,
            "negative numbers"
        );
    }

    #[test]
    fn a_prediction_is_correct_where_the_largest_logit_is_at_the_label() {
        // Two examples of three steps, three classes: the largest logits
        // are at 0 2 1 and 1 1 0.
        #[rustfmt::skip]
        let logits = ArrayD::from_shape_vec(IxDyn(&[2, 3, 3]), vec![
            0.9, 0.1, 0.0,   0.2, 0.3, 0.5,   -1.0, 2.0, 1.0,
            0.0, 4.0, 1.0,   0.1, 0.2, -0.3,   3.0, 2.0, 1.0,
        ]).unwrap();
        let labels = |l: [usize; 6]| ArrayD::from_shape_vec(IxDyn(&[2, 3]), l.to_vec()).unwrap();
        assert_eq!(correct_predictions(&logits, &labels([0, 2, 1, 1, 1, 0])), 6);
        assert_eq!(correct_predictions(&logits, &labels([0, 2, 0, 1, 2, 0])), 4);
        assert_eq!(correct_predictions(&logits, &labels([1, 0, 0, 0, 0, 1])), 0);
    }
}
