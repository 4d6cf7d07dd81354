//! Training: backward passes written by hand, losses, optimizers, a
//! training loop, and sampling from what was trained.
//!
//! Every layer implements [`Backward`]: a forward pass that keeps what the
//! backward pass needs (its *tape*), and a backward pass that turns the
//! gradients of the loss with respect to the layer's outputs into the
//! gradients with respect to its weights, its input and its initial states.
//! For recurrent layers that is backpropagation through time: the time loop
//! run in reverse (see [`sequence`](self) and the cells' step backward).
//!
//! ```
//! use ndarray::Array3;
//! use rnn_basics::prelude::*;
//! use rnn_basics::train::Backward;
//!
//! let rnn = SimpleRnn::new(3, 2, &mut init::rng(0))?.return_sequences(true);
//! let x = init::normal(&mut init::rng(1), (2, 4, 2));
//! let (out, tape) = rnn.forward_train(x.view().into_dyn(), CallArgs::default())?;
//! // The gradient of sum(output) with respect to everything:
//! let ones = out.output.mapv(|_| 1.0f32);
//! let grads = rnn.backward(&tape, &[ones.view()])?;
//! assert_eq!(grads.weights.len(), 3); // kernel, recurrent_kernel, bias
//! assert_eq!(grads.input.shape(), x.shape());
//! # Ok::<(), rnn_basics::Error>(())
//! ```

mod cells;
mod dropped;
mod fast;
mod fit;
mod layers;
mod loss;
mod optim;
#[doc(hidden)]
pub mod profile;
mod sample;
mod sequence;

pub use cells::{CellBackward, GruCache, LstmCache, SimpleRnnCache};
pub use dropped::DropoutMasks;
pub use fit::{Dataset, EpochReport, FitConfig, History, Target, fit};
pub use layers::{
    BidirectionalTape, DenseTape, DropoutTape, EmbeddingTape, LayerTape, MaskingTape, ModelTape,
    RecurrentTape,
};
pub use loss::{Loss, mean_squared_error, softmax_cross_entropy};
pub use optim::{Adam, Optimizer, Sgd, clip_by_global_norm};
pub use sample::{sample_with_temperature, softmax_with_temperature};
pub use sequence::SequenceTape;

use ndarray::{Array2, ArrayD, ArrayViewD};

use crate::rnn::CallArgs;
use crate::{Error, Result, show};

/// The gradients of a loss with respect to everything a layer's output
/// depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// One per weight, in the layer's `weights()` order and shapes.
    pub weights: Vec<ArrayD<f32>>,
    /// Shaped like the input.
    pub input: ArrayD<f32>,
    /// One per initial state (empty for layers without state).
    pub initial_state: Vec<Array2<f32>>,
}

/// A layer that can be trained: a forward pass that keeps a tape, and the
/// backward pass over it.
pub trait Backward {
    /// What the forward pass keeps for the backward pass.
    type Tape;
    /// What the forward pass returns.
    type Output;

    /// The forward pass, keeping what the backward pass needs.
    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(Self::Output, Self::Tape)>;

    /// The backward pass. `d_outputs` are the gradients of the loss with
    /// respect to what the forward pass returned, in Keras's order (the
    /// output, then any returned states); missing ones count as zero.
    fn backward(&self, tape: &Self::Tape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients>;
}

/// Checks that a gradient has the shape of what it is the gradient of.
pub(crate) fn check_gradient(
    layer: &str,
    what: &str,
    d: &ArrayViewD<'_, f32>,
    shape: &[usize],
) -> Result<ArrayD<f32>> {
    if d.shape() != shape {
        return Err(Error::shape(
            layer,
            what,
            show::shape(shape),
            show::shape(d.shape()),
        ));
    }
    Ok(d.to_owned())
}
