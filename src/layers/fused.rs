use ndarray::{ArrayViewD, ArrayViewMutD};

use crate::Result;
use crate::cell::{Cell, GruCell, LstmCell, SimpleRnnCell};
use crate::init::Rng;
use crate::rnn::{self, CallArgs, Projection, Recurrent, RnnConfig, RnnOutput};

/// A recurrent layer that projects the inputs of all time steps with one
/// matrix product before it runs the recurrence.
///
/// Use it through its names: [`SimpleRnn`], [`Lstm`], [`Gru`].
///
/// # Shapes
///
/// - input: `(batch, time, input_dim)`
/// - output: `(batch, time, units)` with `return_sequences`, else `(batch, units)`
/// - states (with `return_state`): `(batch, units)` each
#[derive(Clone, Debug)]
pub struct Fused<C> {
    cell: C,
    config: RnnConfig,
    dropout: RecurrentDropout,
    dropout_step: u64,
}

/// Keras's `dropout`, `recurrent_dropout` and `seed` of a recurrent layer.
///
/// At inference they do nothing. In training ([`crate::train::Backward`])
/// the layer drops inputs and previous hidden states as Keras does: one
/// mask per sequence, the same at every step, drawn from the seed (0 when
/// none was given) and the layer's dropout step, which
/// [`crate::train::fit`] changes at every update.
///
/// ```
/// use rnn_basics::prelude::*;
///
/// let lstm = Lstm::new(8, 3, &mut init::rng(0))?.with_dropout(0.2, 0.3)?;
/// assert_eq!(lstm.dropout().recurrent_dropout, 0.3);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RecurrentDropout {
    /// The fraction of the input's features dropped (`dropout`).
    pub dropout: f32,
    /// The fraction of the previous hidden state dropped where it enters
    /// the recurrent product (`recurrent_dropout`).
    pub recurrent_dropout: f32,
    /// The seed of the masks (`seed`).
    pub seed: Option<u64>,
}

impl RecurrentDropout {
    /// Whether training drops anything.
    pub fn is_active(&self) -> bool {
        self.dropout > 0.0 || self.recurrent_dropout > 0.0
    }
}

/// Keras's `SimpleRNN` layer: [`SimpleRnnCell`] in a fused loop.
///
/// ```
/// use ndarray::Array3;
/// use rnn_basics::prelude::*;
///
/// let rnn = SimpleRnn::new(2, 4, &mut init::rng(0))?.return_sequences(true);
/// let out = rnn.call(&Array3::<f32>::zeros((3, 5, 4)))?;
/// assert_eq!(out.output.shape(), &[3, 5, 2]);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub type SimpleRnn = Fused<SimpleRnnCell>;

/// Keras's `LSTM` layer: [`LstmCell`] in a fused loop; states `[h, c]`.
///
/// ```
/// use ndarray::Array3;
/// use rnn_basics::prelude::*;
///
/// let lstm = Lstm::new(3, 5, &mut init::rng(0))?.return_state(true);
/// let out = lstm.call(&Array3::<f32>::zeros((1, 4, 5)))?;
/// assert_eq!(out.output.shape(), &[1, 3]);
/// assert_eq!(out.states.len(), 2); // last h and last c
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub type Lstm = Fused<LstmCell>;

/// Keras's `GRU` layer: [`GruCell`] in a fused loop.
///
/// ```
/// use rnn_basics::prelude::*;
///
/// let gru = Gru::new(3, 5, &mut init::rng(0))?;
/// assert_eq!(gru.param_count(), 3 * 3 * (5 + 3 + 2)); // reset_after: two bias rows
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub type Gru = Fused<GruCell>;

impl<C: Cell> Fused<C> {
    /// The fused layer around `cell`, with every argument `false`.
    pub fn from_cell(cell: C) -> Self {
        Fused {
            cell,
            config: RnnConfig::default(),
            dropout: RecurrentDropout::default(),
            dropout_step: 0,
        }
    }

    /// The same layer with Keras's `dropout` and `recurrent_dropout`, each
    /// in `[0, 1)`.
    pub fn with_dropout(mut self, dropout: f32, recurrent_dropout: f32) -> Result<Self> {
        self.set_dropout(RecurrentDropout {
            dropout,
            recurrent_dropout,
            seed: self.dropout.seed,
        })?;
        Ok(self)
    }

    /// The same layer with a seed for its dropout masks.
    pub fn with_dropout_seed(mut self, seed: Option<u64>) -> Self {
        self.dropout.seed = seed;
        self
    }

    /// Its `dropout`, `recurrent_dropout` and `seed`.
    pub fn dropout(&self) -> RecurrentDropout {
        self.dropout
    }

    /// Sets `dropout`, `recurrent_dropout` and `seed`; each rate in `[0, 1)`.
    pub fn set_dropout(&mut self, dropout: RecurrentDropout) -> Result<()> {
        for (name, rate) in [
            ("dropout", dropout.dropout),
            ("recurrent_dropout", dropout.recurrent_dropout),
        ] {
            if !(0.0..1.0).contains(&rate) {
                return Err(crate::Error::config(
                    self.cell.layer_name(),
                    format!("{name}: expected a number in [0, 1), got {rate}"),
                ));
            }
        }
        self.dropout = dropout;
        Ok(())
    }

    /// Which masks of the seed's sequence training draws next.
    pub fn dropout_step(&self) -> u64 {
        self.dropout_step
    }

    /// Sets which masks training draws (a new step per minibatch, so that
    /// the masks differ from update to update).
    pub fn set_dropout_step(&mut self, step: u64) {
        self.dropout_step = step;
    }

    /// The cell it runs.
    pub fn cell(&self) -> &C {
        &self.cell
    }

    /// The cell it runs, to change (for training).
    pub fn cell_mut(&mut self) -> &mut C {
        &mut self.cell
    }
}

impl SimpleRnn {
    /// `SimpleRNN(units)` for inputs of `input_dim` features, with Keras's
    /// default initializers drawn from `rng`.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        Ok(Self::from_cell(SimpleRnnCell::new(units, input_dim, rng)?))
    }
}

impl Lstm {
    /// `LSTM(units)` for inputs of `input_dim` features, with Keras's
    /// default initializers drawn from `rng`.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        Ok(Self::from_cell(LstmCell::new(units, input_dim, rng)?))
    }
}

impl Gru {
    /// `GRU(units)` (`reset_after = true`) for inputs of `input_dim`
    /// features, with Keras's default initializers drawn from `rng`.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        Ok(Self::from_cell(GruCell::new(units, input_dim, rng)?))
    }
}

impl<C: Cell> Recurrent for Fused<C> {
    fn type_name(&self) -> &'static str {
        self.cell.layer_name()
    }
    fn units(&self) -> usize {
        self.cell.units()
    }
    fn input_dim(&self) -> usize {
        self.cell.input_dim()
    }
    fn state_count(&self) -> usize {
        self.cell.state_count()
    }
    fn config(&self) -> &RnnConfig {
        &self.config
    }
    fn config_mut(&mut self) -> &mut RnnConfig {
        &mut self.config
    }
    fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        self.cell.weights()
    }
    fn weights_mut(&mut self) -> Vec<ArrayViewMutD<'_, f32>> {
        self.cell.weights_mut()
    }
    fn call_with(&self, x: ArrayViewD<'_, f32>, args: CallArgs<'_>) -> Result<RnnOutput> {
        rnn::run(
            &self.cell,
            &self.config,
            self.cell.layer_name(),
            x,
            args,
            Projection::Hoisted,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::RecurrentDropout;

    #[test]
    fn dropout_is_active_when_either_rate_is_above_zero() {
        let none = RecurrentDropout::default();
        assert!(!none.is_active());
        // A seed alone drops nothing: training keeps the fast path.
        assert!(
            !RecurrentDropout {
                seed: Some(3),
                ..none
            }
            .is_active()
        );
        assert!(
            RecurrentDropout {
                dropout: 0.1,
                ..none
            }
            .is_active()
        );
        let recurrent = RecurrentDropout {
            recurrent_dropout: 0.1,
            ..none
        };
        assert!(recurrent.is_active());
    }
}
