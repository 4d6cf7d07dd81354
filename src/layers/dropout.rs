/// Keras's `Dropout`: at inference, which is all this crate runs it for,
/// it returns its input unchanged. `rate` and `seed` are kept so that a
/// model read from a Keras file writes the same config back.
///
/// # Example
///
/// ```
/// use rnn_basics::layers::Dropout;
///
/// let dropout = Dropout::new(0.25)?;
/// assert_eq!(dropout.rate(), 0.25);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dropout {
    rate: f32,
    seed: Option<u64>,
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
        Ok(Dropout { rate, seed: None })
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
}
