use ndarray::{ArrayViewD, ArrayViewMutD};

use super::{Gru, Lstm, RecurrentDropout, SimpleRnn};
use crate::Result;
use crate::rnn::{CallArgs, Recurrent, RnnConfig, RnnOutput};

/// One of the three fused layers, chosen at run time (when a layer is
/// built from a Keras config, say).
///
/// ```
/// use rnn_basics::prelude::*;
/// use rnn_basics::layers::RecurrentLayer;
///
/// let layer = RecurrentLayer::from(Gru::new(4, 3, &mut init::rng(0))?);
/// assert_eq!(layer.type_name(), "GRU");
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum RecurrentLayer {
    SimpleRnn(SimpleRnn),
    Lstm(Lstm),
    Gru(Gru),
}

impl From<SimpleRnn> for RecurrentLayer {
    fn from(l: SimpleRnn) -> Self {
        RecurrentLayer::SimpleRnn(l)
    }
}

impl From<Lstm> for RecurrentLayer {
    fn from(l: Lstm) -> Self {
        RecurrentLayer::Lstm(l)
    }
}

impl From<Gru> for RecurrentLayer {
    fn from(l: Gru) -> Self {
        RecurrentLayer::Gru(l)
    }
}

/// Calls `$body` with `$l` bound to the layer inside, whichever it is.
macro_rules! each {
    ($self:expr, $l:ident => $body:expr) => {
        match $self {
            RecurrentLayer::SimpleRnn($l) => $body,
            RecurrentLayer::Lstm($l) => $body,
            RecurrentLayer::Gru($l) => $body,
        }
    };
}

impl RecurrentLayer {
    /// Its `dropout`, `recurrent_dropout` and `seed` (see [`Fused::dropout`]).
    ///
    /// [`Fused::dropout`]: super::Fused::dropout
    pub fn dropout(&self) -> RecurrentDropout {
        each!(self, l => l.dropout())
    }

    /// Sets `dropout`, `recurrent_dropout` and `seed`; each rate in `[0, 1)`.
    pub fn set_dropout(&mut self, dropout: RecurrentDropout) -> Result<()> {
        each!(self, l => l.set_dropout(dropout))
    }

    /// Which dropout masks training draws next (see [`Fused::dropout_step`]).
    ///
    /// [`Fused::dropout_step`]: super::Fused::dropout_step
    pub fn dropout_step(&self) -> u64 {
        each!(self, l => l.dropout_step())
    }

    /// Sets which dropout masks training draws next.
    pub fn set_dropout_step(&mut self, step: u64) {
        each!(self, l => l.set_dropout_step(step))
    }
}

impl Recurrent for RecurrentLayer {
    fn type_name(&self) -> &'static str {
        each!(self, l => l.type_name())
    }
    fn units(&self) -> usize {
        each!(self, l => l.units())
    }
    fn input_dim(&self) -> usize {
        each!(self, l => l.input_dim())
    }
    fn state_count(&self) -> usize {
        each!(self, l => l.state_count())
    }
    fn config(&self) -> &RnnConfig {
        each!(self, l => l.config())
    }
    fn config_mut(&mut self) -> &mut RnnConfig {
        each!(self, l => l.config_mut())
    }
    fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        each!(self, l => l.weights())
    }
    fn weights_mut(&mut self) -> Vec<ArrayViewMutD<'_, f32>> {
        each!(self, l => l.weights_mut())
    }
    fn call_with(&self, x: ArrayViewD<'_, f32>, args: CallArgs<'_>) -> Result<RnnOutput> {
        each!(self, l => l.call_with(x, args))
    }
}
