//! # rnn-basics
//!
//! Recurrent neural networks from first principles, faithful to Keras:
//! SimpleRNN, LSTM, GRU and Bidirectional layers on [`ndarray`], at three
//! levels of abstraction that give the same numbers.
//!
//! | level | module | what it is |
//! | --- | --- | --- |
//! | 1 | [`manual`] | the recurrence as plain loops, numpy-style and TF1-style |
//! | 2 | [`cell`], [`rnn`] | a [`Cell`](cell::Cell) knows one step; [`Rnn`](rnn::Rnn) walks it along a sequence |
//! | 3 | [`layers`] | fused [`SimpleRnn`](layers::SimpleRnn), [`Lstm`](layers::Lstm), [`Gru`](layers::Gru) |
//!
//! Around them: [`model`] (`Sequential`, shapes, the summary table),
//! [`train`] (backpropagation through time, losses, optimizers, `fit`),
//! [`keras`] (Keras's reference cases and `.npz` weights), [`init`]
//! (seeded Keras initializers), [`show`] (numpy-style printing),
//! [`plot`] (SVG figures) and [`error`] (one error type).
//!
//! Arrays are `f32`, inputs are batch-major `(batch, time, features)`, and
//! weights use Keras's layout (`kernel` is `(input_dim, gates·units)`).
//!
//! ```
//! use ndarray::array;
//! use rnn_basics::prelude::*;
//!
//! let rnn = SimpleRnn::new(2, 4, &mut init::rng(0))?
//!     .return_sequences(true)
//!     .return_state(true);
//! let x_data = array![[[1.0f32, 0.0, 0.0, 0.0]]];
//! let out = rnn.call(&x_data)?;
//! println!("outputs: {}, shape: {}", show::array(&out.output), show::shape(out.output.shape()));
//! assert_eq!(out.output.shape(), &[1, 1, 2]);
//! assert_eq!(out.states[0].shape(), &[1, 2]);
//! # Ok::<(), rnn_basics::Error>(())
//! ```

pub mod activation;
pub mod cell;
pub mod error;
pub mod init;
pub mod keras;
pub mod layers;
mod linalg;
pub mod manual;
pub mod model;
mod parallel;
pub mod plot;
pub mod rnn;
pub mod show;
#[doc(hidden)]
pub mod testing;
pub mod train;

pub use error::{Error, Result};

/// What a lesson needs, in one `use`.
pub mod prelude {
    pub use crate::activation::Activation;
    pub use crate::cell::{Cell, GruCell, LstmCell, SimpleRnnCell};
    pub use crate::init;
    pub use crate::layers::{Gru, Lstm, SimpleRnn};
    pub use crate::rnn::{CallArgs, Recurrent, Rnn, RnnConfig, RnnOutput};
    pub use crate::show;
    pub use crate::{Error, Result};
}

/// The book's chapters, compiled as doctests: every Rust snippet in
/// `book/src` runs under `cargo test --doc` (see `build.rs`).
#[cfg(doctest)]
pub mod book {
    include!(concat!(env!("OUT_DIR"), "/book_chapters.rs"));
}
