//! Level 2: a cell knows one time step, and nothing about sequences.
//!
//! Every cell here computes its step in two parts, as Keras's cells do:
//!
//! 1. the **input projection** `xw = x_t · kernel + bias`, which does not
//!    depend on the previous state, and
//! 2. the **recurrence** ([`Cell::recur`]), which adds `h_{t-1} ·
//!    recurrent_kernel` and applies the gates.
//!
//! The loop wrapper [`crate::rnn::Rnn`] projects one step at a time; the
//! fused layers of [`crate::layers`] project every step with one matrix
//! product first. Both then call the same [`Cell::recur`], so they agree.
//!
//! The output of a step is always its first state, `h`.

mod gru;
mod lstm;
mod simple;

pub use gru::GruCell;
pub use lstm::LstmCell;
pub use simple::SimpleRnnCell;

use std::mem::MaybeUninit;

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut2, ArrayViewMutD};

use crate::activation::Activation;
use crate::{Error, Result, linalg, show};

/// One time step of a recurrent network.
///
/// Weights follow Keras's layout: `kernel` is `(input_dim, gates * units)`
/// and multiplies from the right (`x · kernel`), gates side by side along
/// the last axis.
///
/// # Shapes
///
/// - input at one step `x_t`: `(batch, input_dim)`
/// - each state: `(batch, units)`; there are [`Cell::state_count`] of them
///
/// # Example
///
/// ```
/// use ndarray::array;
/// use rnn_basics::{cell::{Cell, SimpleRnnCell}, init};
///
/// let cell = SimpleRnnCell::new(2, 4, &mut init::rng(0))?;
/// let x_t = array![[1.0f32, 0.0, 0.0, 0.0]]; // 'h', one example
/// let (output, states) = cell.step(x_t.view(), &cell.zero_states(1))?;
/// assert_eq!(output.dim(), (1, 2));
/// assert_eq!(output, states[0]); // the output is the new hidden state
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub trait Cell: Sync {
    /// Scratch memory one step needs, made once per sequence by [`Cell::workspace`].
    type Workspace;

    /// The Keras name of the layer built on this cell: `"SimpleRNN"`, `"LSTM"`, `"GRU"`.
    fn layer_name(&self) -> &'static str;

    /// Size of the hidden state.
    fn units(&self) -> usize;

    /// Features of one input step.
    fn input_dim(&self) -> usize;

    /// How many state arrays the cell carries: 1 (`h`), or 2 for LSTM (`h`, `c`).
    fn state_count(&self) -> usize {
        1
    }

    /// `(input_dim, gates * units)`: multiplies the input.
    fn kernel(&self) -> ArrayView2<'_, f32>;

    /// `(gates * units)`: the bias added to `x · kernel`, if any.
    fn input_bias(&self) -> Option<ArrayView1<'_, f32>>;

    /// Fresh scratch memory for a batch of `batch` examples (made once per
    /// sequence: the place to prepare the recurrent weights for the loop).
    fn workspace(&self, batch: usize) -> Self::Workspace;

    /// The recurrence of one step: from the projected input `xw`
    /// `(batch, gates * units)` and the previous states, the new states,
    /// written over `states`. `xw` is scratch afterwards (a cell may add
    /// the recurrent term into it). Shapes are checked by the caller; states
    /// and `xw` are in standard (row-major) layout.
    fn recur(&self, xw: ArrayViewMut2<f32>, states: &mut [Array2<f32>], ws: &mut Self::Workspace);

    /// [`Cell::recur`], with each example's new `h` also written to its row
    /// of `output` `(batch, units)`: the step's place in the layer's output
    /// sequence. The default copies `h` after the step; a cell of this crate
    /// whose gate pass can store it there as it goes does so instead. The
    /// time loop relies on every row being written, so only this crate can
    /// override it (no one else can name [`sealed::Token`]).
    #[doc(hidden)]
    fn recur_into(
        &self,
        xw: ArrayViewMut2<f32>,
        states: &mut [Array2<f32>],
        ws: &mut Self::Workspace,
        output: ArrayViewMut2<MaybeUninit<f32>>,
        _: sealed::Token,
    ) {
        self.recur(xw, states, ws);
        write_rows(output, contiguous(&states[0]));
    }

    /// The weights in Keras's `get_weights()` order and shapes.
    fn weights(&self) -> Vec<ArrayViewD<'_, f32>>;

    /// The same weights, to change (training, loading).
    fn weights_mut(&mut self) -> Vec<ArrayViewMutD<'_, f32>>;

    /// Number of trainable numbers, as Keras's summary counts them.
    fn param_count(&self) -> usize {
        self.weights().iter().map(|w| w.len()).sum()
    }

    /// `gates * units`, the width of the projected input.
    fn gate_width(&self) -> usize {
        self.kernel().ncols()
    }

    /// The input projection `out = x · kernel + bias` for rows of inputs.
    fn project(&self, x: ArrayView2<f32>, mut out: ArrayViewMut2<f32>) {
        linalg::matmul_into(x, self.kernel(), out.view_mut(), false);
        if let Some(bias) = self.input_bias() {
            linalg::add_row(out, bias);
        }
    }

    /// The input projection for rows inside buffers, as the time loop
    /// keeps them: `rows` inputs `lda` numbers apart in `x`, their
    /// projections written `ldc` numbers apart in `out`.
    fn project_rows(&self, x: &[f32], lda: usize, rows: usize, out: &mut [f32], ldc: usize) {
        use ndarray::ShapeBuilder;
        let (d, w) = (self.input_dim(), self.gate_width());
        let x = ArrayView2::from_shape((rows, d).strides((lda, 1)), x).expect("rows inside x");
        let out =
            ArrayViewMut2::from_shape((rows, w).strides((ldc, 1)), out).expect("rows inside out");
        self.project(x, out);
    }

    /// Zero states for `batch` examples, as Keras starts a sequence.
    fn zero_states(&self, batch: usize) -> Vec<Array2<f32>> {
        (0..self.state_count())
            .map(|_| Array2::zeros((batch, self.units())))
            .collect()
    }

    /// One whole step, as Keras's `cell(x_t, states)`: returns the output
    /// and the new states.
    fn step(
        &self,
        x_t: ArrayView2<f32>,
        states: &[Array2<f32>],
    ) -> Result<(Array2<f32>, Vec<Array2<f32>>)> {
        let name = format!("{}Cell", self.layer_name());
        let batch = x_t.nrows();
        if x_t.ncols() != self.input_dim() || batch == 0 {
            return Err(Error::shape(
                &name,
                "input step",
                format!("(batch, {})", self.input_dim()),
                show::shape(x_t.shape()),
            ));
        }
        check_states(&name, self.state_count(), self.units(), batch, states)?;
        let mut xw = Array2::zeros((batch, self.gate_width()));
        self.project(x_t, xw.view_mut());
        let mut new_states: Vec<Array2<f32>> = states
            .iter()
            .map(|s| s.as_standard_layout().into_owned())
            .collect();
        let mut ws = self.workspace(batch);
        self.recur(xw.view_mut(), &mut new_states, &mut ws);
        Ok((new_states[0].clone(), new_states))
    }
}

/// The numbers of a state array, which the time loop keeps in standard layout.
pub(crate) fn contiguous_mut(a: &mut Array2<f32>) -> &mut [f32] {
    a.as_slice_mut()
        .expect("states are kept in standard layout")
}

/// [`contiguous_mut`], to read.
pub(crate) fn contiguous(a: &Array2<f32>) -> &[f32] {
    a.as_slice().expect("states are kept in standard layout")
}

pub(crate) mod sealed {
    /// Names the methods of [`super::Cell`] only this crate may override.
    #[derive(Clone, Copy, Debug)]
    pub struct Token;
}

/// Copies the rows of `from` (rows of `to.ncols()` numbers, one after
/// another) into the rows of `to`, which may be uninitialized.
pub(crate) fn write_rows(mut to: ArrayViewMut2<MaybeUninit<f32>>, from: &[f32]) {
    assert_eq!(to.len(), from.len(), "one row of output an example");
    let units = to.ncols();
    for (mut to, from) in to.outer_iter_mut().zip(from.chunks_exact(units)) {
        let to = to
            .as_slice_mut()
            .expect("rows of the output are contiguous");
        to.write_copy_of_slice(from);
    }
}

/// Checks a list of states: `count` arrays of `(batch, units)`.
pub(crate) fn check_states(
    layer: &str,
    count: usize,
    units: usize,
    batch: usize,
    states: &[Array2<f32>],
) -> Result<()> {
    if states.len() != count {
        return Err(Error::count(layer, "initial states", count, states.len()));
    }
    for (i, s) in states.iter().enumerate() {
        if s.dim() != (batch, units) {
            return Err(Error::shape(
                layer,
                format!("initial state {i}"),
                show::shape(&[batch, units]),
                show::shape(s.shape()),
            ));
        }
    }
    Ok(())
}

/// Checks that a weight has the shape a layer needs.
pub(crate) fn check_weight(
    layer: &str,
    name: &str,
    expected: &[usize],
    actual: &[usize],
) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::shape(
            layer,
            format!("weight {name}"),
            show::shape(expected),
            show::shape(actual),
        ))
    }
}

/// Checks a layer's sizes: both must be at least 1.
/// Checks that a cell's activation acts on each number alone (softmax,
/// which acts on a whole row, cannot be a cell's activation).
pub(crate) fn check_activation(layer: &str, what: &str, activation: Activation) -> Result<()> {
    if activation.is_elementwise() {
        return Ok(());
    }
    let names: Vec<&str> = crate::activation::KERAS_NAMES
        .iter()
        .copied()
        .filter(|n| Activation::from_keras(n, layer).is_ok_and(|a| a.is_elementwise()))
        .collect();
    Err(Error::config(
        layer,
        format!(
            "{what}: expected an element-wise activation ({}), got {}",
            names.join(", "),
            activation.keras_name()
        ),
    ))
}

pub(crate) fn check_sizes(layer: &str, units: usize, input_dim: usize) -> Result<()> {
    if units == 0 {
        return Err(Error::config(layer, "units must be at least 1, got 0"));
    }
    if input_dim == 0 {
        return Err(Error::config(layer, "input_dim must be at least 1, got 0"));
    }
    // Far beyond any real layer, and small enough that no product of sizes overflows.
    const LARGEST: usize = 1 << 24;
    if units > LARGEST || input_dim > LARGEST {
        return Err(Error::config(
            layer,
            format!("units {units} and input_dim {input_dim} must be at most {LARGEST}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_sizes;

    #[test]
    fn sizes_up_to_the_largest_are_accepted() {
        let largest = 1 << 24;
        assert!(check_sizes("LSTM", largest, largest).is_ok());
        assert!(check_sizes("LSTM", largest + 1, 1).is_err());
        assert!(check_sizes("LSTM", 1, largest + 1).is_err());
    }
}
