//! Level 3: the fused layers `SimpleRnn`, `Lstm`, `Gru`, the wrapper
//! `Bidirectional`, and `Dense` to read their outputs.
//!
//! A fused layer computes the input projection `x · kernel + bias` of many
//! time steps as one matrix product, then runs the recurrence. Given the
//! same weights it returns what [`crate::rnn::Rnn`] returns with the same
//! cell: only the order of the work differs.

mod bidirectional;
mod dense;
mod dropout;
mod embedding;
mod fused;
mod masking;
mod recurrent_layer;

pub use bidirectional::{Bidirectional, BidirectionalOutput, MergeMode};
pub use dense::Dense;
pub use dropout::Dropout;
pub(crate) use dropout::{seeded_mask, splitmix64};
pub use embedding::Embedding;
pub use fused::{Fused, Gru, Lstm, RecurrentDropout, SimpleRnn};
pub use masking::Masking;
pub use recurrent_layer::RecurrentLayer;
