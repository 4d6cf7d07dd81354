//! Backpropagation through time: the time loop run backward, once for
//! every cell, with Keras's masks and `go_backwards`.

use ndarray::{Array2, Array3, ArrayD, ArrayViewD, Axis, Ix3, s};

use super::cells::CellBackward;
use super::dropped::{self, DropoutMasks, DroppedTape};
use super::fast::{self, FastTape};
use super::{Backward, Gradients, check_gradient};
use crate::layers::Fused;
use crate::rnn::{self, CallArgs, Projection, Recurrent, Rnn, RnnConfig, RnnOutput};
use crate::{Error, Result};

/// What a recurrent layer's forward pass kept for its backward pass: the
/// input, the mask, and each step's cache in the order the steps ran.
#[derive(Clone, Debug)]
pub struct SequenceTape<K> {
    units: usize,
    x: Array3<f32>,
    mask: Option<Array2<bool>>,
    config: RnnConfig,
    caches: Vec<K>,
    /// The fast path's tape (then `x` is empty and there are no caches).
    fast: Option<Box<FastTape>>,
    /// The input dropout mask `(batch, input_dim)` the input was multiplied
    /// by before the layer ran (`dropout` alone).
    input_mask: Option<Array2<f32>>,
    /// The per-gate dropout path's tape (then `x` is empty and there are no
    /// caches).
    dropped: Option<Box<DroppedTape>>,
}

impl<K: super::cells::TapeNumbers> SequenceTape<K> {
    /// The bytes the tape holds (its arrays' numbers; not the small
    /// headers of the arrays).
    pub fn bytes(&self) -> usize {
        let numbers = self.x.len() + self.caches.iter().map(K::numbers).sum::<usize>();
        let mask = self.mask.as_ref().map_or(0, |m| m.len());
        let fast = self.fast.as_ref().map_or(0, |f| f.bytes());
        let dropped = self.dropped.as_ref().map_or(0, |d| d.bytes());
        let input_mask = self.input_mask.as_ref().map_or(0, |m| m.len());
        numbers * std::mem::size_of::<f32>()
            + mask
            + fast
            + dropped
            + input_mask * std::mem::size_of::<f32>()
    }
}

impl super::RecurrentTape {
    /// The bytes the tape holds.
    pub fn bytes(&self) -> usize {
        match self {
            super::RecurrentTape::SimpleRnn(t) => t.bytes(),
            super::RecurrentTape::Lstm(t) => t.bytes(),
            super::RecurrentTape::Gru(t) => t.bytes(),
        }
    }
}

/// Runs the layer forward, recording every step.
fn forward<C: CellBackward>(
    cell: &C,
    config: &RnnConfig,
    layer: &str,
    x: ArrayViewD<'_, f32>,
    args: CallArgs<'_>,
) -> Result<(RnnOutput, SequenceTape<C::Cache>)> {
    if let Some(fast_cell) = cell.fast_cell() {
        let x = rnn::check_input(layer, x, cell.input_dim())?;
        let (batch, time, _) = x.dim();
        rnn::check_mask(layer, args.mask, batch, time)?;
        if let Some(initial) = args.initial_state {
            let units = cell.units();
            crate::cell::check_states(layer, cell.state_count(), units, batch, initial)?;
        }
        let (output, tape) = fast::forward(fast_cell, config, x, args.initial_state, args.mask);
        return Ok((
            output,
            SequenceTape {
                units: cell.units(),
                x: Array3::zeros((0, 0, 0)),
                mask: None,
                config: *config,
                caches: Vec::new(),
                fast: Some(Box::new(tape)),
                input_mask: None,
                dropped: None,
            },
        ));
    }
    let mut caches = Vec::new();
    let output = rnn::run_with(
        cell,
        config,
        layer,
        x.view(),
        args,
        Projection::Hoisted,
        |xw, states, _| {
            caches.push(cell.recur_cached(xw.view(), states));
        },
    )?;
    let x = x
        .into_dimensionality::<Ix3>()
        .expect("checked by the forward pass");
    Ok((
        output,
        SequenceTape {
            units: cell.units(),
            x: x.to_owned(),
            mask: args.mask.map(|m| m.to_owned()),
            config: *config,
            caches,
            fast: None,
            input_mask: None,
            dropped: None,
        },
    ))
}

/// Runs the layer forward with dropout masks: an input mask shared by the
/// gates multiplies the input before the ordinary path; per-gate or
/// recurrent masks take the per-gate path ([`super::dropped`]).
fn forward_dropped<C: CellBackward>(
    cell: &C,
    config: &RnnConfig,
    layer: &str,
    x: ArrayViewD<'_, f32>,
    args: CallArgs<'_>,
    masks: DropoutMasks,
) -> Result<(RnnOutput, SequenceTape<C::Cache>)> {
    let x3 = rnn::check_input(layer, x.view(), cell.input_dim())?;
    let (batch, time, input_dim) = x3.dim();
    let gates = cell.gate_width() / cell.units();
    masks.check(layer, gates, batch, input_dim, cell.units())?;
    if masks.input_only() {
        let Some(mask) = masks.input.into_iter().next() else {
            return forward(cell, config, layer, x, args);
        };
        let x_dropped = &x3 * &mask.view().insert_axis(Axis(1));
        let (output, mut tape) = forward(cell, config, layer, x_dropped.view().into_dyn(), args)?;
        tape.input_mask = Some(mask);
        return Ok((output, tape));
    }
    let keras_cell = cell.keras_cell().ok_or_else(|| {
        Error::config(
            layer,
            "recurrent dropout needs a SimpleRNN, LSTM or GRU cell",
        )
    })?;
    rnn::check_mask(layer, args.mask, batch, time)?;
    if let Some(initial) = args.initial_state {
        crate::cell::check_states(layer, cell.state_count(), cell.units(), batch, initial)?;
    }
    let (output, tape) = dropped::forward(keras_cell, config, x3, args, masks);
    Ok((
        output,
        SequenceTape {
            units: cell.units(),
            x: Array3::zeros((0, 0, 0)),
            mask: None,
            config: *config,
            caches: Vec::new(),
            fast: None,
            input_mask: None,
            dropped: Some(Box::new(tape)),
        },
    ))
}

/// Runs the layer backward over its tape: the fast path's, the per-gate
/// dropout path's, or the cell's own step backward in [`through_time`].
fn backward_steps<C: CellBackward>(
    cell: &C,
    layer: &str,
    tape: &SequenceTape<C::Cache>,
    d_outputs: &[ArrayViewD<'_, f32>],
) -> Result<Gradients> {
    super::profile::call();
    let (batch, time, input_dim) = match (&tape.fast, &tape.dropped) {
        (Some(fast), _) => {
            let (batch, time, input, _) = fast.sizes();
            (batch, time, input)
        }
        (None, Some(dropped)) => dropped.sizes(),
        (None, None) => tape.x.dim(),
    };
    let (units, count) = (cell.units(), cell.state_count());
    if tape.units != units || input_dim != cell.input_dim() {
        return Err(Error::config(
            layer,
            format!(
                "this tape was recorded by a layer of {} units on {input_dim} features, not {units} units on {}",
                tape.units,
                cell.input_dim()
            ),
        ));
    }
    let config = tape.config;
    let output_shape: Vec<usize> = if config.return_sequences {
        vec![batch, time, units]
    } else {
        vec![batch, units]
    };
    let returned = 1 + if config.return_state { count } else { 0 };
    if d_outputs.len() > returned {
        return Err(Error::count(
            layer,
            "output gradients",
            returned,
            d_outputs.len(),
        ));
    }
    let d_output = match d_outputs.first() {
        Some(d) => check_gradient(layer, "output gradient", d, &output_shape)?,
        None => ArrayD::zeros(output_shape),
    };
    let mut d_state: Vec<Array2<f32>> = Vec::with_capacity(count);
    for k in 0..count {
        d_state.push(match d_outputs.get(1 + k) {
            Some(d) => check_gradient(layer, "state gradient", d, &[batch, units])?
                .into_dimensionality()
                .expect("2-D"),
            None => Array2::zeros((batch, units)),
        });
    }

    let another_kind = || Error::config(layer, "this tape was recorded by a layer of another kind");
    if let Some(fast) = &tape.fast {
        let fast_cell = cell.fast_cell().ok_or_else(another_kind)?;
        return Ok(fast::backward(
            fast_cell, &config, fast, &d_output, &d_state,
        ));
    }
    if let Some(dropped) = &tape.dropped {
        let keras_cell = cell.keras_cell().ok_or_else(another_kind)?;
        let shapes: Vec<Vec<usize>> = cell.weights().iter().map(|w| w.shape().to_vec()).collect();
        return Ok(dropped::backward(
            keras_cell, &config, dropped, &shapes, &d_output, d_state,
        ));
    }
    let mut weights: Vec<ArrayD<f32>> = cell
        .weights()
        .iter()
        .map(|w| ArrayD::zeros(w.raw_dim()))
        .collect();
    let mut grads: Vec<_> = weights.iter_mut().map(|w| w.view_mut()).collect();
    let mut d_x = Array3::<f32>::zeros((batch, time, input_dim));
    let mut d_xw = Array2::<f32>::zeros((batch, cell.gate_width()));
    let d_state = through_time(
        &config,
        tape.mask.as_ref(),
        &d_output,
        d_state,
        time,
        |step, t, d_new| {
            let d_prev = super::profile::time("recurrent", || {
                cell.recur_backward(&tape.caches[step], d_new, d_xw.view_mut(), &mut grads)
            });
            let d_xt = super::profile::time("input_products", || {
                cell.project_backward(tape.x.slice(s![.., t, ..]), d_xw.view(), &mut grads)
            });
            d_x.slice_mut(s![.., t, ..]).assign(&d_xt);
            d_prev
        },
    );
    drop(grads);
    Ok(Gradients {
        weights,
        input: d_x.into_dyn(),
        initial_state: d_state,
    })
}

/// The time loop of backpropagation through time, run from the last step
/// to the first with Keras's masks: `step(s, t, d_new)` runs loop step `s`
/// (input time `t`) backward from the gradients of the states it produced
/// and returns those of the states before it. Returns the gradients of the
/// initial states.
///
/// At each step the output gradient `g` is the cotangent of that output
/// plus what flows back from later steps that repeated it. For an example
/// whose mask is on, `g` joins the gradient of the new hidden state; for a
/// masked example the state was carried over unchanged, so its gradient
/// passes straight to the previous state (the step sees zeros), and `g`
/// passes to the previous output (unless `zero_output_for_mask` made the
/// output zero).
pub(super) fn through_time(
    config: &RnnConfig,
    mask: Option<&Array2<bool>>,
    d_output: &ArrayD<f32>,
    mut d_state: Vec<Array2<f32>>,
    time: usize,
    mut step: impl FnMut(usize, usize, &[Array2<f32>]) -> Vec<Array2<f32>>,
) -> Vec<Array2<f32>> {
    let (batch, units) = d_state[0].dim();
    let count = d_state.len();
    let mut carry = Array2::<f32>::zeros((batch, units));
    for s in (0..time).rev() {
        let t = rnn::time_index(config.go_backwards, time, s);
        let mut g = carry.clone();
        if config.return_sequences {
            g += &d_output.slice(s![.., s, ..]);
        } else if s == time - 1 {
            g += d_output;
        }
        let mut d_new = d_state.clone();
        let mut passed = None;
        match mask {
            Some(mask) => {
                let mut keep: Vec<Array2<f32>> =
                    (0..count).map(|_| Array2::zeros((batch, units))).collect();
                for b in 0..batch {
                    if mask[[b, t]] {
                        let mut row = d_new[0].row_mut(b);
                        row += &g.row(b);
                        carry.row_mut(b).fill(0.0);
                    } else {
                        for k in 0..count {
                            keep[k].row_mut(b).assign(&d_state[k].row(b));
                            d_new[k].row_mut(b).fill(0.0);
                        }
                        if config.zero_output_for_mask {
                            carry.row_mut(b).fill(0.0);
                        } else {
                            carry.row_mut(b).assign(&g.row(b));
                        }
                    }
                }
                passed = Some(keep);
            }
            None => {
                d_new[0] += &g;
                carry.fill(0.0);
            }
        }
        let mut d_prev = step(s, t, &d_new);
        if let Some(keep) = passed {
            for (d, k) in d_prev.iter_mut().zip(keep) {
                *d += &k;
            }
        }
        d_state = d_prev;
    }
    d_state
}

/// The backward pass; an input dropped before the layer gets its
/// gradient through the same mask.
fn backward<C: CellBackward>(
    cell: &C,
    layer: &str,
    tape: &SequenceTape<C::Cache>,
    d_outputs: &[ArrayViewD<'_, f32>],
) -> Result<Gradients> {
    let mut grads = backward_steps(cell, layer, tape, d_outputs)?;
    if let Some(mask) = &tape.input_mask {
        let mut d_x = grads
            .input
            .view_mut()
            .into_dimensionality::<Ix3>()
            .expect("(batch, time, input_dim)");
        d_x *= &mask.view().insert_axis(Axis(1));
    }
    Ok(grads)
}

impl<C: CellBackward> Fused<C> {
    /// The masks [`Backward::forward_train`] draws for a batch of `batch`
    /// examples at the layer's seed and dropout step, in Keras's structure:
    /// with `recurrent_dropout`, one input mask and one recurrent mask per
    /// gate; with `dropout` alone, one input mask that the gates share.
    ///
    /// ```
    /// use rnn_basics::prelude::*;
    ///
    /// let lstm = Lstm::new(8, 3, &mut init::rng(0))?.with_dropout(0.2, 0.3)?;
    /// let masks = lstm.dropout_masks(16);
    /// assert_eq!((masks.input.len(), masks.recurrent.len()), (4, 4)); // i, f, c, o
    /// assert_eq!(masks.recurrent[0].dim(), (16, 8));
    /// # Ok::<(), rnn_basics::Error>(())
    /// ```
    pub fn dropout_masks(&self, batch: usize) -> DropoutMasks {
        let cell = self.cell();
        DropoutMasks::draw(
            self.dropout(),
            self.dropout_step(),
            self.config().go_backwards,
            cell.gate_width() / cell.units(),
            batch,
            cell.input_dim(),
            cell.units(),
        )
    }

    /// [`Backward::forward_train`] with the dropout masks given instead of
    /// drawn from the layer's seed and step: to train with masks of one's
    /// own, or to compare with another framework's masks. The masks are
    /// used whatever the layer's rates are.
    ///
    /// # Shapes
    ///
    /// - `masks.input`: `(batch, input_dim)` each; none, one, or one per gate
    /// - `masks.recurrent`: `(batch, units)` each; none, one, or one per gate
    pub fn forward_train_with_masks(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
        masks: DropoutMasks,
    ) -> Result<(RnnOutput, SequenceTape<C::Cache>)> {
        forward_dropped(
            self.cell(),
            self.config(),
            self.cell().layer_name(),
            x,
            args,
            masks,
        )
    }
}

impl<C: CellBackward> Backward for Fused<C> {
    type Tape = SequenceTape<C::Cache>;
    type Output = RnnOutput;

    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(RnnOutput, Self::Tape)> {
        let rates = self.dropout();
        if !rates.is_active() {
            return forward(
                self.cell(),
                self.config(),
                self.cell().layer_name(),
                x,
                args,
            );
        }
        let &[batch, ..] = x.shape() else {
            return Err(Error::shape(
                self.cell().layer_name(),
                "input",
                format!("(batch, time, {})", self.cell().input_dim()),
                crate::show::shape(x.shape()),
            ));
        };
        let masks = self.dropout_masks(batch);
        self.forward_train_with_masks(x, args, masks)
    }

    fn backward(&self, tape: &Self::Tape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients> {
        backward(self.cell(), self.cell().layer_name(), tape, d_outputs)
    }
}

impl<C: CellBackward> Backward for Rnn<C> {
    type Tape = SequenceTape<C::Cache>;
    type Output = RnnOutput;

    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(RnnOutput, Self::Tape)> {
        forward(self.cell(), self.config(), "RNN", x, args)
    }

    fn backward(&self, tape: &Self::Tape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients> {
        backward(self.cell(), "RNN", tape, d_outputs)
    }
}
