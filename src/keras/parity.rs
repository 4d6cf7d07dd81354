//! Checking a reference case: build the layer, call it, compare.

use std::borrow::Cow;

use ndarray::ArrayD;

use super::case::{Case, NamedArray};
use super::config::{KerasLayer, LayerConfig};
use crate::layers::Dropout;
use crate::model::{ModelLayer, Sequential};
use crate::rnn::{CallArgs, Recurrent};
use crate::train::Backward;
use crate::{Error, Result, show};

/// Largest absolute difference allowed between Keras's output and ours.
pub const TOLERANCE: f32 = 1e-5;

/// Gradients agree when within this relative difference (or [`TOLERANCE`] absolute).
pub const GRADIENT_TOLERANCE: f32 = 1e-4;

/// What checking a case found.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every array within tolerance.
    Passed { max_abs_diff: f32 },
    /// Something differs: `reason` says what.
    Failed {
        max_abs_diff: Option<f32>,
        reason: String,
    },
    /// A part of the case this crate does not check yet.
    Skipped { reason: String },
}

/// Builds the case's layer, runs it on the case's input and compares every
/// array with Keras's. An `Err` means the case itself does not fit its
/// format (weights of the wrong shape, a mask for the wrong input).
pub fn check_case(case: &Case) -> Result<Outcome> {
    let input_dim = match &case.layer {
        LayerConfig::Sequential { .. } => 0,
        _ => match case.input.shape() {
            [_, _, features] => *features,
            other => {
                return Err(Error::format(
                    "",
                    format!(
                        "input: expected (batch, time, features), got {}",
                        show::shape(other)
                    ),
                ));
            }
        },
    };
    let layer = case.layer.build(input_dim, &case.weights)?;
    let args = CallArgs {
        mask: case.mask.as_ref().map(|m| m.view()),
        initial_state: case.initial_state.as_deref(),
    };
    let x = case.input.view();
    let outputs: Vec<ArrayD<f32>> = match &layer {
        KerasLayer::Recurrent(l) => l.call_with(x, args)?.into_keras(),
        KerasLayer::Bidirectional(l) => l.call_with(x, args)?.into_keras(),
        KerasLayer::Dense(l) => {
            no_call_args(case, "Dense")?;
            vec![l.forward(x)?]
        }
        KerasLayer::Sequential(model) => {
            no_call_args(case, "Sequential")?;
            if let Some(reason) = summary_mismatch(case, model) {
                return Ok(Outcome::Failed {
                    max_abs_diff: None,
                    reason,
                });
            }
            vec![model.forward(x)?]
        }
    };
    let max_diff = match compare(&case.expected, &outputs) {
        Ok(d) => d,
        Err(reason) => {
            return Ok(Outcome::Failed {
                max_abs_diff: None,
                reason,
            });
        }
    };
    if max_diff.is_nan() || max_diff > TOLERANCE {
        return Ok(Outcome::Failed {
            max_abs_diff: Some(max_diff),
            reason: format!("outputs differ by more than {TOLERANCE:e}"),
        });
    }
    if let (Some(expected), Some(cotangent)) = (&case.expected_gradients, &case.cotangent) {
        let grads = gradients(&layer, case, args, cotangent)?;
        match compare_gradients(expected, &grads) {
            Ok(worst) => {
                return Ok(Outcome::Passed {
                    max_abs_diff: max_diff.max(worst),
                });
            }
            Err((worst, reason)) => {
                return Ok(Outcome::Failed {
                    max_abs_diff: worst,
                    reason,
                });
            }
        }
    }
    Ok(Outcome::Passed {
        max_abs_diff: max_diff,
    })
}

/// The gradients of `sum(output * cotangent)`: every weight, then the
/// input (none when the input is token ids).
fn gradients(
    layer: &KerasLayer,
    case: &Case,
    args: CallArgs<'_>,
    cotangent: &ArrayD<f32>,
) -> Result<Vec<ArrayD<f32>>> {
    let x = case.input.view();
    let d = [cotangent.view()];
    let g = match layer {
        KerasLayer::Recurrent(l) => l.backward(&l.forward_train(x, args)?.1, &d)?,
        KerasLayer::Bidirectional(l) => l.backward(&l.forward_train(x, args)?.1, &d)?,
        KerasLayer::Dense(l) => l.backward(&l.forward_train(x, args)?.1, &d)?,
        KerasLayer::Sequential(m) => {
            let m = at_inference(m)?;
            m.backward(&m.forward_train(x, args)?.1, &d)?
        }
    };
    // Token ids are whole numbers: Keras has no gradient for them (ours is zero).
    let input = (!case.layer.takes_token_ids()).then_some(g.input);
    Ok(g.weights.into_iter().chain(input).collect())
}

/// The model as Keras's tape recorded it: an inference call (`training`
/// not set), where `Dropout` is the identity. Our training pass would drop
/// inputs; a `Dropout` of rate 0 keeps every one, scaled by 1.
fn at_inference(model: &Sequential) -> Result<Cow<'_, Sequential>> {
    if !model
        .layers()
        .iter()
        .any(|l| matches!(l, ModelLayer::Dropout(_)))
    {
        return Ok(Cow::Borrowed(model));
    }
    let mut model = model.clone();
    for layer in model.layers_mut() {
        if let ModelLayer::Dropout(_) = layer {
            *layer = ModelLayer::Dropout(Dropout::new(0.0)?);
        }
    }
    Ok(Cow::Owned(model))
}

/// Compares gradients: each number within [`GRADIENT_TOLERANCE`] relative
/// or [`TOLERANCE`] absolute. Returns the largest absolute difference.
fn compare_gradients(
    expected: &[NamedArray],
    actual: &[ArrayD<f32>],
) -> Result<f32, (Option<f32>, String)> {
    if expected.len() != actual.len() {
        return Err((
            None,
            format!(
                "Keras lists {} gradients, we compute {}",
                expected.len(),
                actual.len()
            ),
        ));
    }
    let mut worst = 0.0f32;
    for (e, a) in expected.iter().zip(actual) {
        if e.array.shape() != a.shape() {
            return Err((
                None,
                format!(
                    "gradient of {}: Keras's shape is {}, ours is {}",
                    e.name,
                    show::shape(e.array.shape()),
                    show::shape(a.shape())
                ),
            ));
        }
        for (x, y) in e.array.iter().zip(a) {
            let diff = (x - y).abs();
            if diff.is_nan() || (diff > TOLERANCE && diff > GRADIENT_TOLERANCE * x.abs()) {
                return Err((
                    Some(diff),
                    format!("gradient of {} differs: Keras {x}, ours {y}", e.name),
                ));
            }
            worst = worst.max(diff);
        }
    }
    Ok(worst)
}

fn no_call_args(case: &Case, layer: &str) -> Result<()> {
    if case.mask.is_some() || case.initial_state.is_some() {
        return Err(Error::format(
            "",
            format!("mask and initial_state apply to recurrent layers, not to {layer}"),
        ));
    }
    Ok(())
}

/// Compares Keras's summary rows and total with the model's.
fn summary_mismatch(case: &Case, model: &Sequential) -> Option<String> {
    let ours = model.summary_rows();
    if let Some(rows) = &case.summary {
        if rows.len() != ours.len() {
            return Some(format!(
                "summary: Keras lists {} layers, the model has {}",
                rows.len(),
                ours.len()
            ));
        }
        for (i, (theirs, (name, shape, params))) in rows.iter().zip(&ours).enumerate() {
            let our_type = &name[name.find('(').map_or(0, |p| p + 1)..name.len() - 1];
            if theirs.layer_type != our_type
                || theirs.output_shape != *shape
                || theirs.params != *params
            {
                return Some(format!(
                    "summary row {i}: Keras says {} {} {}, we say {our_type} {} {params}",
                    theirs.layer_type,
                    show::shape_opt(&theirs.output_shape),
                    theirs.params,
                    show::shape_opt(shape),
                ));
            }
        }
    }
    match case.total_params {
        Some(total) if total != model.param_count() => Some(format!(
            "total params: Keras says {total}, we say {}",
            model.param_count()
        )),
        _ => None,
    }
}

/// The largest absolute difference over lists of arrays of equal shapes,
/// or why they cannot be compared.
fn compare(expected: &[ArrayD<f32>], actual: &[ArrayD<f32>]) -> Result<f32, String> {
    if expected.len() != actual.len() {
        return Err(format!(
            "Keras returned {} arrays, we return {}",
            expected.len(),
            actual.len()
        ));
    }
    let mut worst = 0.0f32;
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e.shape() != a.shape() {
            return Err(format!(
                "array {i}: Keras's shape is {}, ours is {}",
                show::shape(e.shape()),
                show::shape(a.shape())
            ));
        }
        let diff = max_abs_diff(e, a);
        // `f32::max` would drop a NaN: a NaN anywhere is the worst difference.
        worst = if diff.is_nan() { diff } else { worst.max(diff) };
        if worst.is_nan() {
            break;
        }
    }
    Ok(worst)
}

/// `max |a - b|` over two arrays of one shape; NaN if either holds a NaN.
pub fn max_abs_diff(a: &ArrayD<f32>, b: &ArrayD<f32>) -> f32 {
    a.iter().zip(b).fold(0.0f32, |m, (x, y)| {
        let d = (x - y).abs();
        if d.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(d)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nan_in_any_array_is_the_worst_difference() {
        let a = ndarray::arr1(&[1.0f32, 2.0]).into_dyn();
        let mut nan = a.clone();
        nan[[1]] = f32::NAN;
        let far = a.mapv(|v| v + 0.5);
        // A NaN in the first array, then a finite difference: still NaN.
        let worst = compare(&[a.clone(), a.clone()], &[nan.clone(), far]).unwrap();
        assert!(worst.is_nan(), "{worst}");
        let worst = compare(&[a.clone(), a.clone()], &[a.clone(), nan]).unwrap();
        assert!(worst.is_nan(), "{worst}");
        assert_eq!(
            compare(std::slice::from_ref(&a), &[a.mapv(|v| v + 0.25)]).unwrap(),
            0.25
        );
    }
}
