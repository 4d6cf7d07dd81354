//! One error type for the whole crate.
//!
//! Every message names where the problem is (a layer, a file) and, for shapes
//! and values, what was expected and what came:
//!
//! ```
//! use rnn_basics::Error;
//! let e = Error::shape("SimpleRNN", "input", "(batch, time, 4)", "(1, 5, 3)");
//! assert_eq!(e.to_string(), "SimpleRNN: input: expected shape (batch, time, 4), got (1, 5, 3)");
//! ```

use std::fmt::Display;

use ndarray::{ArrayBase, Data, Dimension};

/// Everything a user of the library can get wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An array has the wrong rank or size along some axis.
    #[error("{layer}: {what}: expected shape {expected}, got {actual}")]
    Shape {
        layer: String,
        what: String,
        expected: String,
        actual: String,
    },
    /// A number of things (initial states, weights, labels) is not the expected count.
    #[error("{layer}: {what}: expected {expected}, got {actual}")]
    Count {
        layer: String,
        what: String,
        expected: usize,
        actual: usize,
    },
    /// A setting that cannot work, such as `units = 0` or a zero-length sequence.
    #[error("{layer}: {message}")]
    Config { layer: String, message: String },
    /// An activation name Keras would not accept here.
    #[error("{layer}: unknown activation {name:?}; expected one of {expected}")]
    UnknownActivation {
        layer: String,
        name: String,
        expected: String,
    },
    /// Two layers of a model that do not fit together.
    #[error("layer {index} ({second}) does not fit after {first}: {message}")]
    Incompatible {
        index: usize,
        first: String,
        second: String,
        message: String,
    },
    /// A NaN or an infinity where finite numbers were asked for.
    #[error("{layer}: {what} holds a non-finite value ({}) at {index:?}", if value.is_nan() { "NaN".to_string() } else { value.to_string() })]
    NonFinite {
        layer: String,
        what: String,
        value: f32,
        index: Vec<usize>,
    },
    /// A file or text that does not follow its format.
    #[error("{source_name}: {message}")]
    Format {
        source_name: String,
        message: String,
    },
    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A wrong shape: `layer: what: expected shape E, got A`.
    pub fn shape(
        layer: impl Display,
        what: impl Display,
        expected: impl Display,
        actual: impl Display,
    ) -> Self {
        Error::Shape {
            layer: layer.to_string(),
            what: what.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }

    /// A wrong count of things: `layer: what: expected E, got A`.
    pub fn count(layer: impl Display, what: impl Display, expected: usize, actual: usize) -> Self {
        Error::Count {
            layer: layer.to_string(),
            what: what.to_string(),
            expected,
            actual,
        }
    }

    /// A setting that cannot work.
    pub fn config(layer: impl Display, message: impl Display) -> Self {
        Error::Config {
            layer: layer.to_string(),
            message: message.to_string(),
        }
    }

    /// A file or text that does not follow its format.
    pub fn format(source_name: impl Display, message: impl Display) -> Self {
        Error::Format {
            source_name: source_name.to_string(),
            message: message.to_string(),
        }
    }

    /// The same error, said of a file or a case: `name: message`.
    pub fn in_source(self, source_name: impl Display) -> Self {
        match self {
            Error::Format {
                source_name: inner,
                message,
            } if inner.is_empty() => Error::format(source_name, message),
            Error::Format {
                source_name: inner,
                message,
            } => Error::format(source_name, format!("{inner}: {message}")),
            Error::Io { source, .. } => Error::Io {
                path: source_name.to_string(),
                source,
            },
            other => Error::format(source_name, other),
        }
    }
}

/// Checks that every number of `a` is finite; the error names the first
/// NaN or infinity and where it is.
///
/// The layers themselves let NaN and infinity through as Keras does (a NaN
/// in, NaNs out); call this where a non-finite number should stop the work.
///
/// ```
/// use ndarray::array;
/// use rnn_basics::{Error, error::check_finite};
///
/// assert!(check_finite("SimpleRNN", "input", &array![[1.0f32, 2.0]]).is_ok());
/// let e = check_finite("SimpleRNN", "input", &array![[1.0f32, f32::NAN]]).unwrap_err();
/// assert!(matches!(e, Error::NonFinite { .. }));
/// assert_eq!(e.to_string(), "SimpleRNN: input holds a non-finite value (NaN) at [0, 1]");
/// ```
pub fn check_finite<S, D>(layer: &str, what: &str, a: &ArrayBase<S, D>) -> Result<()>
where
    S: Data<Elem = f32>,
    D: Dimension,
{
    let a = a.view().into_dyn();
    match a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        None => Ok(()),
        Some((index, value)) => Err(Error::NonFinite {
            layer: layer.to_string(),
            what: what.to_string(),
            value: *value,
            index: index.as_array_view().to_vec(),
        }),
    }
}
