//! Keras's own numbers: reading reference cases (a layer config, its
//! weights, an input and what Keras returned), building the layer they
//! describe, and checking that this crate returns the same.
//!
//! The format is described in `tests/keras_cases/README.md`; the binary
//! `keras-parity` runs [`check_case`] over files and folders.
//!
//! ```
//! use rnn_basics::keras::{Case, Outcome, check_case};
//!
//! let case = Case::load("tests/keras_cases/simple_rnn_hello.json")?;
//! let outcome = check_case(&case)?;
//! assert!(matches!(outcome, Outcome::Passed { .. }), "{outcome:?}");
//! # Ok::<(), rnn_basics::Error>(())
//! ```

mod case;
mod config;
pub mod file;
mod json;
mod npz;
mod parity;

pub use case::{Case, NamedArray, SummaryRow};
pub use config::{DenseConfig, KerasLayer, LayerConfig, RecurrentConfig, RecurrentKind};
pub use npz::{read_npz, read_npz_from};
pub use parity::{GRADIENT_TOLERANCE, Outcome, TOLERANCE, check_case, max_abs_diff};
