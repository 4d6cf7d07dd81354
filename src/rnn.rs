//! Level 2: the loop that walks a [`Cell`] along a sequence, with Keras's
//! arguments (`return_sequences`, `return_state`, `go_backwards`, masks,
//! initial states).
//!
//! The loop is written once, in this module. [`Rnn`] runs it projecting one
//! step's input at a time, as Keras's `RNN(cell)` does; the fused layers of
//! [`crate::layers`] run the same loop after projecting all steps at once.

use ndarray::{
    Array2, Array3, ArrayBase, ArrayD, ArrayView2, ArrayView3, ArrayViewD, ArrayViewMut2,
    ArrayViewMut3, ArrayViewMutD, Axis, Data, Dimension, Ix3, s,
};

use crate::cell::{Cell, check_states, contiguous, sealed::Token, write_rows};
use crate::{Error, Result, parallel, show};
use std::mem::MaybeUninit;
use std::sync::Mutex;

/// What a recurrent layer returns and how it reads its input: Keras's
/// arguments of the same names, all `false` by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RnnConfig {
    /// Return the output of every step `(batch, time, units)`, not only the
    /// last `(batch, units)`.
    pub return_sequences: bool,
    /// Also return the final states (`h`, or `h` and `c` for LSTM).
    pub return_state: bool,
    /// Read the input from the last step to the first; the output sequence
    /// comes back in that (reversed) order, as Keras returns it.
    pub go_backwards: bool,
    /// At a masked step, output zeros instead of repeating the previous output.
    pub zero_output_for_mask: bool,
}

/// The optional inputs of a call: a mask and initial states.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallArgs<'a> {
    /// `(batch, time)`: `true` where the step counts, `false` for padding.
    pub mask: Option<ArrayView2<'a, bool>>,
    /// One `(batch, units)` array per state (`[h]`, or `[h, c]` for LSTM).
    pub initial_state: Option<&'a [Array2<f32>]>,
}

/// What a recurrent layer returns.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnOutput {
    /// `(batch, time, units)` with `return_sequences`, else `(batch, units)`.
    pub output: ArrayD<f32>,
    /// The final states with `return_state` (`[h]`, or `[h, c]` for LSTM);
    /// empty without it.
    pub states: Vec<Array2<f32>>,
}

impl RnnOutput {
    /// The arrays in the order Keras returns them: the output, then the states.
    pub fn into_keras(self) -> Vec<ArrayD<f32>> {
        std::iter::once(self.output)
            .chain(self.states.into_iter().map(|s| s.into_dyn()))
            .collect()
    }
}

/// Any recurrent layer: the loop wrapper [`Rnn`], the fused layers, and
/// what [`crate::layers::Bidirectional`] wraps.
pub trait Recurrent {
    /// Keras's name of the layer type: `"RNN"`, `"SimpleRNN"`, `"LSTM"`, `"GRU"`.
    fn type_name(&self) -> &'static str;
    /// Size of the hidden state.
    fn units(&self) -> usize;
    /// Features of one input step.
    fn input_dim(&self) -> usize;
    /// How many state arrays the layer carries (2 for LSTM, else 1).
    fn state_count(&self) -> usize;
    /// Its Keras arguments.
    fn config(&self) -> &RnnConfig;
    /// Its Keras arguments, to change.
    fn config_mut(&mut self) -> &mut RnnConfig;
    /// The weights in Keras's `get_weights()` order.
    fn weights(&self) -> Vec<ArrayViewD<'_, f32>>;
    /// The same weights, to change (training, loading).
    fn weights_mut(&mut self) -> Vec<ArrayViewMutD<'_, f32>>;
    /// Runs the layer on `(batch, time, features)` with a mask or initial states.
    fn call_with(&self, x: ArrayViewD<'_, f32>, args: CallArgs<'_>) -> Result<RnnOutput>;

    /// Runs the layer on `(batch, time, features)`.
    fn call<S, D>(&self, x: &ArrayBase<S, D>) -> Result<RnnOutput>
    where
        S: Data<Elem = f32>,
        D: Dimension,
        Self: Sized,
    {
        self.call_with(x.view().into_dyn(), CallArgs::default())
    }

    /// Number of trainable numbers, as Keras's summary counts them.
    fn param_count(&self) -> usize {
        self.weights().iter().map(|w| w.len()).sum()
    }

    /// The layer with all of its Keras arguments set at once.
    fn with_config(mut self, config: RnnConfig) -> Self
    where
        Self: Sized,
    {
        *self.config_mut() = config;
        self
    }

    /// Keras's `return_sequences`.
    fn return_sequences(mut self, yes: bool) -> Self
    where
        Self: Sized,
    {
        self.config_mut().return_sequences = yes;
        self
    }

    /// Keras's `return_state`.
    fn return_state(mut self, yes: bool) -> Self
    where
        Self: Sized,
    {
        self.config_mut().return_state = yes;
        self
    }

    /// Keras's `go_backwards`.
    fn go_backwards(mut self, yes: bool) -> Self
    where
        Self: Sized,
    {
        self.config_mut().go_backwards = yes;
        self
    }

    /// Keras's `zero_output_for_mask`.
    fn zero_output_for_mask(mut self, yes: bool) -> Self
    where
        Self: Sized,
    {
        self.config_mut().zero_output_for_mask = yes;
        self
    }
}

/// Keras's `RNN(cell)`: runs a cell over a sequence, one step at a time.
///
/// # Shapes
///
/// - input: `(batch, time, input_dim)`
/// - output: `(batch, time, units)` with `return_sequences`, else `(batch, units)`
/// - states (with `return_state`): `state_count` arrays of `(batch, units)`
///
/// # Example
///
/// ```
/// use ndarray::array;
/// use rnn_basics::prelude::*;
///
/// let cell = SimpleRnnCell::new(2, 4, &mut init::rng(0))?;
/// let rnn = Rnn::new(cell).return_sequences(true).return_state(true);
/// let x = array![[[1.0f32, 0.0, 0.0, 0.0]]]; // (1, 1, 4)
/// let out = rnn.call(&x)?;
/// assert_eq!(out.output.shape(), &[1, 1, 2]);
/// assert_eq!(out.states[0].shape(), &[1, 2]);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rnn<C> {
    cell: C,
    config: RnnConfig,
}

impl<C: Cell> Rnn<C> {
    /// The loop around `cell`, with every argument `false`.
    pub fn new(cell: C) -> Self {
        Rnn {
            cell,
            config: RnnConfig::default(),
        }
    }

    /// The cell it runs.
    pub fn cell(&self) -> &C {
        &self.cell
    }
}

impl<C: Cell> Recurrent for Rnn<C> {
    fn type_name(&self) -> &'static str {
        "RNN"
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
        run(
            &self.cell,
            &self.config,
            "RNN",
            x,
            args,
            Projection::PerStep,
        )
    }
}

/// How the loop gets `x_t · kernel + bias`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Projection {
    /// One small product per step, as a cell called alone computes it.
    PerStep,
    /// One large product for many steps at once (in chunks of time, so that
    /// memory does not grow with the sequence).
    Hoisted,
}

/// About the numbers a chunk of projected inputs holds (1 MiB): little
/// enough to stay in a core's L2 cache until the recurrence reads them.
const CHUNK_NUMBERS: usize = 1 << 18;

/// The fewest steps in a chunk, so that each product has rows to work on,
/// as long as the chunk stays within [`MAX_CHUNK_NUMBERS`].
const MIN_CHUNK_STEPS: usize = 16;

/// The most numbers a chunk holds (4 MiB), unless one step needs more.
const MAX_CHUNK_NUMBERS: usize = 1 << 20;

/// Numbers between the blocks of two steps in a chunk (64 bytes).
const STEP_PAD: usize = 16;

/// Checks that `x` is `(batch, time, input_dim)` with batch and time at least 1.
pub(crate) fn check_input<'a>(
    layer: &str,
    x: ArrayViewD<'a, f32>,
    input_dim: usize,
) -> Result<ArrayView3<'a, f32>> {
    // The messages are written only for an error: a call checks its input every time.
    let error = |expected: &str| Error::shape(layer, "input", expected, show::shape(x.shape()));
    let shape = || format!("(batch, time, {input_dim})");
    let &[batch, time, features] = x.shape() else {
        return Err(error(&shape()));
    };
    if features != input_dim {
        return Err(error(&shape()));
    }
    if batch == 0 {
        return Err(error("a batch of at least 1"));
    }
    if time == 0 {
        return Err(error("at least 1 time step"));
    }
    Ok(x.into_dimensionality::<Ix3>()
        .expect("three axes, checked above"))
}

/// Checks a mask against an input of `batch` examples and `time` steps.
pub(crate) fn check_mask(
    layer: &str,
    mask: Option<ArrayView2<'_, bool>>,
    batch: usize,
    time: usize,
) -> Result<()> {
    match mask {
        Some(m) if m.dim() != (batch, time) => Err(Error::shape(
            layer,
            "mask",
            show::shape(&[batch, time]),
            show::shape(m.shape()),
        )),
        _ => Ok(()),
    }
}

/// The time loop, written once, for every cell and every layer.
///
/// Keras's semantics: a step whose mask is `false` keeps the previous
/// states and outputs the previous output (zeros before any valid step, or
/// always zeros with `zero_output_for_mask`); `go_backwards` reads the input
/// and the mask from the end and returns the outputs in the order read.
///
/// Examples of a batch never meet, so when the work is large enough the
/// batch is cut into parts that run on separate threads, each with the same
/// loop.
pub(crate) fn run<C: Cell + Sync>(
    cell: &C,
    config: &RnnConfig,
    layer: &str,
    x: ArrayViewD<'_, f32>,
    args: CallArgs<'_>,
    projection: Projection,
) -> Result<RnnOutput> {
    let (x, states) = check_call(cell, layer, x, args)?;
    let (batch, time, _) = x.dim();
    let parts = parallel_parts(cell, batch, time, projection);
    let mut sequence = config
        .return_sequences
        .then(|| fresh_sequence((batch, time, cell.units())));
    let step = |xw: ArrayViewMut2<f32>,
                s: &mut [Array2<f32>],
                ws: &mut C::Workspace,
                out: StepRows<'_>| match out {
        Some(out) => cell.recur_into(xw, s, ws, out, Token),
        None => cell.recur(xw, s, ws),
    };
    if parts == 1 {
        let part = Part {
            x,
            mask: args.mask,
            states,
            sequence: sequence.as_mut().map(|s| s.view_mut()),
        };
        let (output, states) = run_part(cell, config, projection, part, &mut { step });
        return Ok(finish(config, sequence, || output, || states));
    }

    // Cut the batch (inputs, mask, states and output rows) into parts.
    let bounds: Vec<usize> = (0..=parts).map(|p| p * batch / parts).collect();
    let mut rest = sequence.as_mut().map(|s| s.view_mut());
    let mut work = Vec::with_capacity(parts);
    for p in 0..parts {
        let rows = bounds[p]..bounds[p + 1];
        let sequence_rows = rest.take().map(|s| {
            let (mine, others) = s.split_at(Axis(0), rows.len());
            rest = Some(others);
            mine
        });
        work.push(Part {
            x: x.slice(s![rows.clone(), .., ..]),
            mask: args.mask.map(|m| m.slice_move(s![rows.clone(), ..])),
            states: states.as_ref().map(|states| {
                states
                    .iter()
                    .map(|s| s.slice(s![rows.clone(), ..]).to_owned())
                    .collect()
            }),
            sequence: sequence_rows,
        });
    }
    // Each part is taken by the thread that runs it; its result comes back the same way.
    let work: Vec<Mutex<Option<Part<'_>>>> =
        work.into_iter().map(|p| Mutex::new(Some(p))).collect();
    let done: Vec<Mutex<Option<PartResult>>> = work.iter().map(|_| Mutex::new(None)).collect();
    // A part run on a worker keeps the caller's kernel settings (the tests').
    let settings = crate::testing::current();
    parallel::for_each_part(parts, &|i| {
        let part = lock(&work[i]).take().expect("each part runs once");
        let result = crate::testing::scoped(settings, || {
            run_part(cell, config, projection, part, &mut { step })
        });
        *lock(&done[i]) = Some(result);
    });
    let results: Vec<PartResult> = done
        .into_iter()
        .map(|r| r.into_inner().ok().flatten().expect("every part ran"))
        .collect();
    let output = || join_rows(results.iter().map(|(o, _)| o.view()));
    let states = || {
        (0..cell.state_count())
            .map(|k| join_rows(results.iter().map(|(_, s)| s[k].view())))
            .collect()
    };
    Ok(finish(config, sequence, output, states))
}

/// The output sequence, to be written in full before it is read: left
/// uninitialized, except in debug builds (the tests), which fill it with NaN
/// so that a number the loop fails to write fails every comparison.
fn fresh_sequence(shape: (usize, usize, usize)) -> Array3<MaybeUninit<f32>> {
    let mut sequence = Array3::<f32>::uninit(shape);
    if cfg!(debug_assertions) {
        sequence.fill(MaybeUninit::new(f32::NAN));
    }
    sequence
}

/// The parts' rows of one array, one under another.
fn join_rows<'a>(parts: impl Iterator<Item = ArrayView2<'a, f32>>) -> Array2<f32> {
    let views: Vec<_> = parts.collect();
    ndarray::concatenate(Axis(0), &views).expect("parts of one batch")
}

/// [`run`] on one thread, with the recurrence of one step given as `recur`,
/// so that the training forward pass can record what the backward pass
/// needs while keeping these semantics.
pub(crate) fn run_with<C: Cell>(
    cell: &C,
    config: &RnnConfig,
    layer: &str,
    x: ArrayViewD<'_, f32>,
    args: CallArgs<'_>,
    projection: Projection,
    mut recur: impl FnMut(ArrayViewMut2<f32>, &mut [Array2<f32>], &mut C::Workspace),
) -> Result<RnnOutput> {
    let (x, states) = check_call(cell, layer, x, args)?;
    let (batch, time, _) = x.dim();
    let mut sequence = config
        .return_sequences
        .then(|| fresh_sequence((batch, time, cell.units())));
    let part = Part {
        x,
        mask: args.mask,
        states,
        sequence: sequence.as_mut().map(|s| s.view_mut()),
    };
    let mut step = |xw: ArrayViewMut2<f32>,
                    s: &mut [Array2<f32>],
                    ws: &mut C::Workspace,
                    out: StepRows<'_>| {
        recur(xw, s, ws);
        if let Some(out) = out {
            write_rows(out, contiguous(&s[0]));
        }
    };
    let (output, states) = run_part(cell, config, projection, part, &mut step);
    Ok(finish(config, sequence, || output, || states))
}

/// Checks a call's input, mask and initial states; returns the input as
/// `(batch, time, features)` and the initial states, if given.
fn check_call<'a, C: Cell>(
    cell: &C,
    layer: &str,
    x: ArrayViewD<'a, f32>,
    args: CallArgs<'_>,
) -> Result<(ArrayView3<'a, f32>, InitialStates)> {
    let x = check_input(layer, x, cell.input_dim())?;
    let (batch, time, _) = x.dim();
    check_mask(layer, args.mask, batch, time)?;
    let states = match args.initial_state {
        Some(init) => {
            check_states(layer, cell.state_count(), cell.units(), batch, init)?;
            let owned = init.iter().map(|s| s.as_standard_layout().into_owned());
            Some(owned.collect())
        }
        None => None,
    };
    Ok((x, states))
}

/// How many threads share a call: one unless the work pays for more.
fn parallel_parts<C: Cell>(cell: &C, batch: usize, time: usize, projection: Projection) -> usize {
    // Below about 4 million multiply-adds a thread costs more than it saves,
    // and a part needs a few rows for its matrix products to run well.
    const MIN_WORK: usize = 1 << 22;
    const MIN_ROWS: usize = 8;
    let work = batch * time * cell.gate_width() * (cell.input_dim() + cell.units());
    if projection == Projection::PerStep || work < MIN_WORK {
        return 1;
    }
    parallel::threads().min(batch / MIN_ROWS).max(1)
}

/// The states a call starts from, one array a state, if given (else zeros).
type InitialStates = Option<Vec<Array2<f32>>>;

/// A part's last output and final states.
type PartResult = (Array2<f32>, Vec<Array2<f32>>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A step's rows of the output sequence `(batch, units)`, given to a step
/// that writes its outputs itself.
type StepRows<'a> = Option<ArrayViewMut2<'a, MaybeUninit<f32>>>;

/// The rows of a batch one loop works on.
struct Part<'a> {
    x: ArrayView3<'a, f32>,
    mask: Option<ArrayView2<'a, bool>>,
    /// Zeros if none, made by the thread that runs the part.
    states: InitialStates,
    /// Written in full, every step of every example, before it is read.
    sequence: Option<ArrayViewMut3<'a, MaybeUninit<f32>>>,
}

/// The loop over one part: returns its last output and final states.
fn run_part<C: Cell>(
    cell: &C,
    config: &RnnConfig,
    projection: Projection,
    part: Part<'_>,
    recur: &mut impl FnMut(ArrayViewMut2<f32>, &mut [Array2<f32>], &mut C::Workspace, StepRows<'_>),
) -> (Array2<f32>, Vec<Array2<f32>>) {
    let Part {
        x,
        mask,
        states,
        mut sequence,
    } = part;
    let (batch, time, input_dim) = x.dim();
    let mut states = states.unwrap_or_else(|| cell.zero_states(batch));
    let (units, width) = (cell.units(), cell.gate_width());
    let mut output = Array2::<f32>::zeros((batch, units));
    let mut saved = mask.map(|_| cell.zero_states(batch));
    let mut ws = cell.workspace(batch);

    let chunk = match projection {
        Projection::PerStep => 1,
        Projection::Hoisted => chunk_steps(batch * width.max(input_dim), time),
    };
    // Only the gathering path needs a copy of the inputs.
    let x_numbers = x.as_slice();
    let direct = projection == Projection::Hoisted && x_numbers.is_some();
    let gathered = if direct { 0 } else { chunk * batch };
    let mut x_chunk = Array2::<f32>::zeros((gathered, input_dim));

    // Each chunk holds its steps in time order, `batch` rows a step, a step
    // every `stride` numbers. Written straight from x, an example's rows are
    // a stride apart; the padding keeps them from all landing in the same
    // cache sets, as a power-of-two stride would.
    let block = batch * width;
    let stride = if direct { block + STEP_PAD } else { block };
    let mut scratch = Scratch::take(chunk * stride);
    let xw_chunk = scratch.numbers();
    let mut steps = 0;
    for step in 0..time {
        let k = step % chunk;
        if k == 0 {
            steps = chunk.min(time - step);
            let first = if config.go_backwards {
                time - step - steps
            } else {
                step
            };
            match (projection, x_numbers) {
                // Straight from each example's rows of x, no copy: example b
                // at step j goes to row b of step j's block.
                (Projection::Hoisted, Some(xs)) => {
                    for b in 0..batch {
                        let rows = &xs[(b * time + first) * input_dim..];
                        cell.project_rows(
                            rows,
                            input_dim,
                            steps,
                            &mut xw_chunk[b * width..],
                            stride,
                        );
                    }
                }
                // Gather the inputs time-major first: one product for the
                // whole chunk (one step, in the loop wrapper).
                _ => {
                    for j in 0..steps {
                        x_chunk
                            .slice_mut(s![j * batch..(j + 1) * batch, ..])
                            .assign(&x.slice(s![.., first + j, ..]));
                    }
                    let rows = steps * batch;
                    let xw =
                        ArrayViewMut2::from_shape((rows, width), &mut xw_chunk[..rows * width])
                            .expect("the scratch holds a chunk");
                    cell.project(x_chunk.slice(s![..rows, ..]), xw);
                }
            }
        }
        let t = time_index(config.go_backwards, time, step);
        let j = if config.go_backwards {
            steps - 1 - k
        } else {
            k
        };
        let xw_t = ArrayViewMut2::from_shape((batch, width), &mut xw_chunk[j * stride..][..block])
            .expect("the scratch holds a step");

        if let Some(saved) = &mut saved {
            for (kept, state) in saved.iter_mut().zip(&states) {
                kept.assign(state);
            }
        }
        // Without a mask the outputs are the new h, which the step writes itself.
        let step_rows = match (&mut sequence, mask) {
            (Some(seq), None) => Some(seq.index_axis_mut(Axis(1), step)),
            _ => None,
        };
        recur(xw_t, &mut states, &mut ws, step_rows);

        // Without a mask the output is the new h, taken from the states at the end.
        if let (Some(mask), Some(saved)) = (mask, &saved) {
            for b in 0..batch {
                if mask[[b, t]] {
                    output.row_mut(b).assign(&states[0].row(b));
                } else {
                    for (state, kept) in states.iter_mut().zip(saved) {
                        state.row_mut(b).assign(&kept.row(b));
                    }
                    if config.zero_output_for_mask {
                        output.row_mut(b).fill(0.0);
                    }
                }
            }
        }
        if let (Some(seq), Some(_)) = (&mut sequence, mask) {
            write_rows(seq.index_axis_mut(Axis(1), step), contiguous(&output));
        }
    }
    if mask.is_none() {
        output.assign(&states[0]);
    }
    (output, states)
}

/// Steps projected at once when one step takes `step_numbers` numbers: about
/// [`CHUNK_NUMBERS`], at least [`MIN_CHUNK_STEPS`] while that fits in
/// [`MAX_CHUNK_NUMBERS`], at least one, at most the sequence.
fn chunk_steps(step_numbers: usize, time: usize) -> usize {
    let fewest = MIN_CHUNK_STEPS.min(MAX_CHUNK_NUMBERS / step_numbers);
    (CHUNK_NUMBERS / step_numbers).max(fewest).clamp(1, time)
}

/// Each thread's buffer for projected inputs, kept between calls so that a
/// call reuses memory the CPU has already mapped instead of asking for
/// megabytes of fresh pages. A buffer larger than a chunk can be (one step
/// of a very large batch) is used once and not kept.
struct Scratch {
    buffer: Vec<f32>,
    len: usize,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Scratch {
    /// This thread's buffer with room for `len` numbers (left as they were:
    /// the loop writes every number before it reads it; debug builds fill
    /// them with NaN, so that a number read before it is written shows).
    fn take(len: usize) -> Scratch {
        let mut buffer = SCRATCH.take();
        if buffer.len() < len {
            buffer.resize(len, 0.0);
        }
        if cfg!(debug_assertions) {
            buffer[..len].fill(f32::NAN);
        }
        Scratch { buffer, len }
    }

    fn numbers(&mut self) -> &mut [f32] {
        &mut self.buffer[..self.len]
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.buffer.len() <= 2 * MAX_CHUNK_NUMBERS {
            SCRATCH.set(std::mem::take(&mut self.buffer));
        }
    }
}

/// What the layer returns, as its config asks: the last output and the
/// final states are only put together if they are returned.
fn finish(
    config: &RnnConfig,
    sequence: Option<Array3<MaybeUninit<f32>>>,
    output: impl FnOnce() -> Array2<f32>,
    states: impl FnOnce() -> Vec<Array2<f32>>,
) -> RnnOutput {
    RnnOutput {
        output: match sequence {
            // SAFETY: every example's loop wrote its output at every step
            // (`run_part` has row `step` of each example written for each
            // step, by the step itself or by a copy, and the parts cover the
            // batch); a panic never gets here.
            Some(seq) => unsafe { seq.assume_init() }.into_dyn(),
            None => output().into_dyn(),
        },
        states: if config.return_state {
            states()
        } else {
            Vec::new()
        },
    }
}

/// The input step read at loop step `step`.
#[inline]
pub(crate) fn time_index(go_backwards: bool, time: usize, step: usize) -> usize {
    if go_backwards { time - 1 - step } else { step }
}

/// Reverses a `(batch, time, ...)` array along time.
pub fn reverse_time(a: &ArrayD<f32>) -> ArrayD<f32> {
    a.slice_axis(Axis(1), ndarray::Slice::new(0, None, -1))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_fit_the_cache_and_stay_bounded() {
        // lstm_medium's part of the batch (16 rows of 4·128): 32 steps, 1 MiB.
        assert_eq!(chunk_steps(16 * 512, 100), 32);
        // lstm_large's (32 rows of 4·512): at least 16 steps, 4 MiB.
        assert_eq!(chunk_steps(32 * 2048, 50), 16);
        // A batch so large that 16 steps would take 128 MiB: one step a chunk.
        assert_eq!(chunk_steps(1024 * 2048, 50), 1);
        // Between the two: as many steps as fit in 4 MiB.
        assert_eq!(chunk_steps(1 << 17, 50), 8);
        // One example of LSTM(16): long chunks, never past the sequence.
        assert_eq!(chunk_steps(64, 1_000_000), 4096);
        assert_eq!(chunk_steps(64, 10), 10);
    }

    #[test]
    fn a_call_is_split_only_when_the_work_pays_for_it() {
        // SimpleRNN(4) on 4 features: 4 · (4 + 4) = 32 multiply-adds a row
        // and step, so batch 16 × 8192 steps is exactly 2^22.
        let cell = crate::cell::SimpleRnnCell::new(4, 4, &mut crate::init::rng(1)).unwrap();
        let level = crate::testing::simd_levels()[0];
        crate::testing::with_settings(level, 2, || {
            assert_eq!(parallel_parts(&cell, 16, 8192, Projection::Hoisted), 2);
            assert_eq!(parallel_parts(&cell, 16, 8191, Projection::Hoisted), 1);
            assert_eq!(parallel_parts(&cell, 16, 8192, Projection::PerStep), 1);
            // A part needs at least 8 rows.
            assert_eq!(parallel_parts(&cell, 15, 1 << 20, Projection::Hoisted), 1);
        })
        .unwrap();
        crate::testing::with_settings(level, 3, || {
            assert_eq!(parallel_parts(&cell, 24, 1 << 20, Projection::Hoisted), 3);
            assert_eq!(parallel_parts(&cell, 23, 1 << 20, Projection::Hoisted), 2);
        })
        .unwrap();
    }

    #[test]
    fn a_thread_keeps_its_scratch_up_to_two_chunks() {
        let most = 2 * MAX_CHUNK_NUMBERS;
        for (len, kept) in [(most, most), (most + 1, 0)] {
            drop(Scratch::take(len));
            assert_eq!(SCRATCH.take().len(), kept, "a scratch of {len} numbers");
        }
    }

    #[test]
    fn the_loop_wrapper_reports_its_cells_sizes_and_weights() {
        let cell = crate::cell::LstmCell::new(3, 5, &mut crate::init::rng(2)).unwrap();
        let layer = Rnn::new(cell.clone());
        assert_eq!(
            (layer.units(), layer.input_dim(), layer.state_count()),
            (3, 5, 2)
        );
        let (ours, its) = (layer.weights(), cell.weights());
        assert_eq!(ours.len(), 3);
        for (a, b) in ours.iter().zip(&its) {
            assert_eq!(a, b);
        }
    }
}
