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
        }
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
