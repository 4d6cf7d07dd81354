//! Sampling from a trained model: a softmax with a temperature, and a
//! seeded draw from the probabilities it gives.

use ndarray::{Array1, ArrayView1};
use ndarray_rand::rand::Rng as _;

use crate::activation::softmax_inplace;
use crate::error::check_finite;
use crate::init::Rng;
use crate::{Error, Result};

/// The softmax of `logits / temperature`: the probabilities a sampler
/// draws the next class from.
///
/// A temperature of 1 is the model's own softmax; below 1 the likely
/// classes get likelier (towards always the largest logit), above 1 the
/// probabilities flatten (towards a uniform draw). The temperature must be
/// finite and above 0, the logits finite.
///
/// # Shapes
///
/// - `logits`: `(classes,)`
/// - returns: `(classes,)`, summing to 1
///
/// ```
/// use ndarray::array;
/// use rnn_basics::train::softmax_with_temperature;
///
/// let logits = array![2.0f32, 1.0, 0.0];
/// let cold = softmax_with_temperature(logits.view(), 0.5)?;
/// let warm = softmax_with_temperature(logits.view(), 2.0)?;
/// assert!(cold[0] > 0.8 && warm[0] < 0.55); // e^4 : e^2 : 1 against e^1 : e^0.5 : 1
/// assert!((cold.sum() - 1.0).abs() < 1e-6);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub fn softmax_with_temperature(
    logits: ArrayView1<'_, f32>,
    temperature: f32,
) -> Result<Array1<f32>> {
    if !(temperature.is_finite() && temperature > 0.0) {
        return Err(Error::config(
            "softmax_with_temperature",
            format!("expected a finite temperature above 0, got {temperature}"),
        ));
    }
    if logits.is_empty() {
        return Err(Error::config(
            "softmax_with_temperature",
            "expected at least one logit, got none",
        ));
    }
    check_finite("softmax_with_temperature", "logits", &logits)?;
    let mut probs: Vec<f32> = logits.iter().map(|l| l / temperature).collect();
    softmax_inplace(&mut probs);
    Ok(Array1::from(probs))
}

/// Draws a class from `softmax(logits / temperature)` with `rng`: the same
/// generator state, the same class.
///
/// One uniform number `u` in `[0, 1)` is drawn, and the class is the first
/// whose running sum of probabilities passes `u`. Errors as
/// [`softmax_with_temperature`].
///
/// # Shapes
///
/// - `logits`: `(classes,)`
/// - returns: a class index in `0..classes`
///
/// ```
/// use ndarray::array;
/// use rnn_basics::init;
/// use rnn_basics::train::sample_with_temperature;
///
/// let logits = array![0.0f32, 3.0, 0.0];
/// let mut rng = init::rng(0);
/// let draws: Vec<usize> = (0..1000)
///     .map(|_| sample_with_temperature(logits.view(), 1.0, &mut rng))
///     .collect::<Result<_, _>>()?;
/// let ones = draws.iter().filter(|&&c| c == 1).count();
/// assert!((850..960).contains(&ones)); // p = e³ / (e³ + 2) ≈ 0.91
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub fn sample_with_temperature(
    logits: ArrayView1<'_, f32>,
    temperature: f32,
    rng: &mut Rng,
) -> Result<usize> {
    let probs = softmax_with_temperature(logits, temperature)?;
    Ok(class_at(probs.view(), rng.random()))
}

/// The first class whose running sum of `probs` passes `u`.
fn class_at(probs: ArrayView1<'_, f32>, u: f64) -> usize {
    let mut sum = 0.0f64;
    for (class, &p) in probs.iter().enumerate() {
        sum += f64::from(p);
        if u < sum {
            return class;
        }
    }
    // The sum fell short of `u` by rounding: the last class that can be drawn.
    probs.iter().rposition(|&p| p > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::init;

    #[test]
    fn temperature_one_is_the_softmax() {
        let logits = array![1.0f32, -2.0, 0.5, 3.0];
        let p = softmax_with_temperature(logits.view(), 1.0).unwrap();
        let e: Vec<f64> = logits.iter().map(|&l| f64::from(l).exp()).collect();
        let total: f64 = e.iter().sum();
        for (got, want) in p.iter().zip(&e) {
            assert!((f64::from(*got) - want / total).abs() < 1e-6, "{p}");
        }
    }

    #[test]
    fn low_temperature_picks_the_largest_logit() {
        let logits = array![0.1f32, 0.3, 0.2];
        let mut rng = init::rng(3);
        for _ in 0..200 {
            assert_eq!(
                sample_with_temperature(logits.view(), 0.001, &mut rng).unwrap(),
                1
            );
        }
    }

    #[test]
    fn draws_follow_the_probabilities() {
        // At temperature 2 the logits ln 1, ln 4, ln 9 give 1 : 2 : 3.
        let logits = array![0.0f32, 4f32.ln(), 9f32.ln()];
        let mut rng = init::rng(7);
        let mut counts = [0usize; 3];
        for _ in 0..60_000 {
            counts[sample_with_temperature(logits.view(), 2.0, &mut rng).unwrap()] += 1;
        }
        for (count, share) in counts.iter().zip([1.0, 2.0, 3.0]) {
            let expected = 60_000.0 * share / 6.0;
            assert!(
                (*count as f64 - expected).abs() < 0.03 * expected,
                "{counts:?}"
            );
        }
    }

    #[test]
    fn a_draw_is_the_first_class_whose_running_sum_passes_u() {
        let probs = array![0.25f32, 0.5, 0.25, 0.0];
        assert_eq!(class_at(probs.view(), 0.0), 0);
        assert_eq!(class_at(probs.view(), 0.25), 1);
        assert_eq!(class_at(probs.view(), 0.7499), 1);
        assert_eq!(class_at(probs.view(), 0.75), 2);
        // Probabilities that sum to a little under 1 by rounding.
        let short = array![0.5f32, 0.49999997, 0.0];
        assert_eq!(class_at(short.view(), 0.99999999), 1);
    }

    #[test]
    fn the_same_seed_draws_the_same_classes() {
        let logits = array![0.5f32, 0.0, -0.5, 1.0];
        let draw = |seed| {
            let mut rng = init::rng(seed);
            (0..50)
                .map(|_| sample_with_temperature(logits.view(), 1.0, &mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(11), draw(11));
        assert_ne!(draw(11), draw(12));
    }

    #[test]
    fn bad_input_is_an_error() {
        let logits = array![1.0f32, 2.0];
        let mut rng = init::rng(0);
        for t in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            let e = sample_with_temperature(logits.view(), t, &mut rng).unwrap_err();
            assert!(e.to_string().contains("temperature"), "{e}");
        }
        let empty = Array1::<f32>::zeros(0);
        assert!(softmax_with_temperature(empty.view(), 1.0).is_err());
        let nan = array![1.0f32, f32::NAN];
        let e = softmax_with_temperature(nan.view(), 1.0).unwrap_err();
        assert!(matches!(e, Error::NonFinite { .. }), "{e}");
    }
}
