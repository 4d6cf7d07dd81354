use ndarray::{ArrayD, IxDyn};
use ndarray_rand::rand::Rng as _;

use crate::init;

/// Keras's `Dropout`: at inference it returns its input unchanged; in
/// training ([`crate::train::Backward`]) it keeps each input with
/// probability `1 - rate` and scales what it keeps by `1 / (1 - rate)`
/// (inverted dropout), so that the expected output is the input.
///
/// The mask is seeded: it is drawn from the layer's `seed` (0 when none
/// was given) and its `step`, so the same seed and step give the same mask
/// on every machine. [`crate::train::fit`] sets a new step for every
/// minibatch.
///
/// # Example
///
/// ```
/// use rnn_basics::layers::Dropout;
///
/// let dropout = Dropout::new(0.25)?.with_seed(Some(7));
/// assert_eq!(dropout.rate(), 0.25);
/// let mask = dropout.mask(&[2, 3]);
/// // Each entry is 0 (dropped) or 1 / (1 - 0.25) (kept).
/// assert!(mask.iter().all(|&m| m == 0.0 || m == 1.0 / 0.75));
/// assert_eq!(mask, dropout.mask(&[2, 3]));
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dropout {
    rate: f32,
    seed: Option<u64>,
    step: u64,
}

/// Two dropouts are the same layer when their configs are: the training
/// step is not part of it.
impl PartialEq for Dropout {
    fn eq(&self, other: &Self) -> bool {
        self.rate == other.rate && self.seed == other.seed
    }
}

impl Dropout {
    /// `Dropout(rate)`, `rate` in `[0, 1)`.
    pub fn new(rate: f32) -> crate::Result<Self> {
        if !(0.0..1.0).contains(&rate) {
            return Err(crate::Error::config(
                "Dropout",
                format!("rate: expected a number in [0, 1), got {rate}"),
            ));
        }
        Ok(Dropout {
            rate,
            seed: None,
            step: 0,
        })
    }

    /// The same layer with a seed for its masks in training.
    pub fn with_seed(mut self, seed: Option<u64>) -> Self {
        self.seed = seed;
        self
    }

    /// The fraction of inputs dropped in training.
    pub fn rate(&self) -> f32 {
        self.rate
    }

    /// The seed of its masks in training, if one was given.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// Which mask of the seed's sequence training draws next.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Sets which mask of the seed's sequence training draws (a new one
    /// per minibatch, so that the masks differ from update to update).
    pub fn set_step(&mut self, step: u64) {
        self.step = step;
    }

    /// The training mask for an input of `shape`: each entry
    /// `1 / (1 - rate)` where the input is kept and `0` where it is
    /// dropped, drawn in row-major order from the seed and the step.
    ///
    /// # Shapes
    ///
    /// - `shape`: the input's; the mask has the same.
    pub fn mask(&self, shape: &[usize]) -> ArrayD<f32> {
        seeded_mask(self.rate, self.seed.unwrap_or(0), self.step, shape)
    }
}

/// An inverted-dropout mask of `shape`: each entry `1 / (1 - rate)` (kept)
/// or `0` (dropped), drawn in row-major order from `seed` and `step`, the
/// same on every machine. `Dropout` and the recurrent layers' `dropout`
/// and `recurrent_dropout` draw their masks here.
pub(crate) fn seeded_mask(rate: f32, seed: u64, step: u64, shape: &[usize]) -> ArrayD<f32> {
    let scale = 1.0 / (1.0 - rate);
    let mut rng = mask_rng(seed, step);
    // Dropped below the rate, kept from it up, as TensorFlow's `random >= rate`.
    ArrayD::from_shape_simple_fn(IxDyn(shape), || {
        let u: f32 = rng.random();
        if u < rate { 0.0 } else { scale }
    })
}

/// The generator a mask of `seed` and `step` draws from.
fn mask_rng(seed: u64, step: u64) -> init::Rng {
    init::rng(splitmix64(
        seed ^ splitmix64(step.wrapping_add(0x9e37_79b9)),
    ))
}

/// One step of SplitMix64: a well-mixed 64-bit number from another, so that
/// nearby seeds and steps start unrelated generators.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropouts_are_equal_when_their_configs_are_whatever_their_step() {
        let a = Dropout::new(0.25).unwrap().with_seed(Some(7));
        let mut stepped = a.clone();
        stepped.set_step(9);
        assert_eq!(a, stepped);
        assert_ne!(a, Dropout::new(0.5).unwrap().with_seed(Some(7)));
        assert_ne!(a, a.clone().with_seed(Some(8)));
        assert_ne!(a, a.clone().with_seed(None));
    }

    #[test]
    fn a_number_drawn_exactly_at_the_rate_is_kept() {
        let (seed, step) = (3, 5);
        let u: f32 = mask_rng(seed, step).random();
        let mask = seeded_mask(u, seed, step, &[2]);
        assert_eq!(mask[[0]], 1.0 / (1.0 - u));
        let just_above = f32::from_bits(u.to_bits() + 1);
        assert_eq!(seeded_mask(just_above, seed, step, &[2])[[0]], 0.0);
    }
}
