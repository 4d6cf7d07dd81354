//! Training on the fast path: the forward pass keeps its tape in the
//! buffers the inference kernels write (the packed input projection of
//! every step at once, then each step's recurrence and gate pass, as
//! [`Cell::recur`] runs them), and the backward pass does per step only
//! what is sequential (the gate derivatives and the recurrent product with
//! the packed transposed recurrent kernel). The weight, bias and input
//! gradients are then a few large products over all steps at once.
//!
//! Deterministic: the batch is cut into parts only where examples never
//! meet (the time loops), and every sum over the batch and time (the weight
//! and bias gradients) runs over the rows in one fixed order, time-major,
//! in fixed chunks of [`KC`] rows, whatever the number of threads; the
//! products are split across threads by their output rows only. The packed
//! kernels give the same bits at every SIMD level, so the gradients are the
//! same bits everywhere.
//!
//! Used for SimpleRNN, LSTM and GRU (`reset_after`), with or without a
//! mask (a padded step keeps an example's states, and its gradients pass
//! the step unchanged); GRU with `reset_after = false` takes the
//! step-by-step path of [`super::sequence`].

#![allow(clippy::too_many_arguments)]

use ndarray::{Array2, Array3, ArrayD, ArrayView2, ArrayView3, ArrayViewMut2, Axis};

use super::Gradients;
use crate::activation::Activation;
use crate::cell::{Cell, GruCell, LstmCell, SimpleRnnCell};
use crate::linalg::{Buffer, PANEL, PackedMatrix, multiversion};
use crate::parallel;
use crate::rnn::{RnnConfig, RnnOutput, time_index};

/// Rows of the right-hand matrix in one packed chunk of a large product:
/// the sums over batch and time run in chunks of this many rows.
const KC: usize = 256;

/// The cells the fast path knows.
#[derive(Clone, Copy, Debug)]
pub enum FastCell<'a> {
    Simple(&'a SimpleRnnCell),
    Lstm(&'a LstmCell),
    Gru(&'a GruCell),
}

impl FastCell<'_> {
    fn units(&self) -> usize {
        match self {
            FastCell::Simple(c) => c.units(),
            FastCell::Lstm(c) => c.units(),
            FastCell::Gru(c) => c.units(),
        }
    }
    fn width(&self) -> usize {
        match self {
            FastCell::Simple(c) => c.gate_width(),
            FastCell::Lstm(c) => c.gate_width(),
            FastCell::Gru(c) => c.gate_width(),
        }
    }
    fn kernel(&self) -> ArrayView2<'_, f32> {
        match self {
            FastCell::Simple(c) => Cell::kernel(*c),
            FastCell::Lstm(c) => Cell::kernel(*c),
            FastCell::Gru(c) => Cell::kernel(*c),
        }
    }
    fn recurrent_kernel(&self) -> ArrayView2<'_, f32> {
        match self {
            FastCell::Simple(c) => c.recurrent_kernel().view(),
            FastCell::Lstm(c) => c.recurrent_kernel().view(),
            FastCell::Gru(c) => c.recurrent_kernel().view(),
        }
    }
    fn project_rows(&self, x: &[f32], lda: usize, rows: usize, out: &mut [f32], ldc: usize) {
        match self {
            FastCell::Simple(c) => c.project_rows(x, lda, rows, out, ldc),
            FastCell::Lstm(c) => c.project_rows(x, lda, rows, out, ldc),
            FastCell::Gru(c) => c.project_rows(x, lda, rows, out, ldc),
        }
    }
    fn has_bias(&self) -> bool {
        match self {
            FastCell::Simple(c) => c.bias().is_some(),
            FastCell::Lstm(c) => c.bias().is_some(),
            FastCell::Gru(c) => c.bias().is_some(),
        }
    }
}

/// What the fast forward pass keeps. Arrays by input time `t` are
/// `(time, batch, ·)`; the states by loop step, `(time + 1, batch, units)`,
/// slot 0 the initial state and slot `s + 1` the state after step `s`.
#[derive(Clone, Debug)]
pub struct FastTape {
    batch: usize,
    time: usize,
    input: usize,
    units: usize,
    width: usize,
    go_backwards: bool,
    /// `(batch, time)`: `false` where a step is padding.
    mask: Option<Array2<bool>>,
    /// The input, time-major.
    xtm: Buffer,
    /// By `t`: the projected input; after the step, for LSTM and SimpleRNN,
    /// the gates' pre-activations.
    z: Buffer,
    /// `h` by slot.
    h: Buffer,
    /// `c` by slot (LSTM).
    c: Buffer,
    /// By `t`: `h_{t-1} · recurrent_kernel` (GRU).
    u: Buffer,
}

impl FastTape {
    /// The bytes the tape holds.
    pub(crate) fn bytes(&self) -> usize {
        let numbers = self.xtm.len() + self.z.len() + self.h.len() + self.c.len() + self.u.len();
        let mask = self.mask.as_ref().map_or(0, |m| m.len());
        numbers * std::mem::size_of::<f32>() + mask
    }

    pub(crate) fn sizes(&self) -> (usize, usize, usize, usize) {
        (self.batch, self.time, self.input, self.units)
    }
}

/// A buffer that parts running on several threads write, each its own rows.
#[derive(Clone, Copy)]
struct Shared(*mut f32);

// SAFETY: every part writes only rows no other part reads or writes (see
// each use), and the buffer outlives the parts (`for_each_part` returns
// once every part has finished).
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    fn of(v: &mut [f32]) -> Shared {
        Shared(v.as_mut_ptr())
    }

    /// # Safety
    ///
    /// `start..start + len` lies inside the buffer, and no one else uses
    /// those numbers while the slice lives.
    #[allow(clippy::mut_from_ref)]
    unsafe fn rows<'a>(&self, start: usize, len: usize) -> &'a mut [f32] {
        // SAFETY: as promised by the caller.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(start), len) }
    }
}

/// Runs `f(0)`, …, `f(parts - 1)` on the workers, each part under the
/// caller's kernel settings.
fn in_parts(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    if parts <= 1 {
        return f(0);
    }
    let settings = crate::testing::current();
    parallel::for_each_part(parts, &|i| crate::testing::scoped(settings, || f(i)));
}

/// The parts a batch's time loops run in: as many as threads while each
/// gets 8 examples and the work pays for them, as inference cuts them.
fn batch_parts(batch: usize, work: usize) -> usize {
    if work < 1 << 22 {
        return 1;
    }
    parallel::threads().min(batch / 8).max(1)
}

/// `0..n` cut into `parts` nearly equal ranges; range `p`.
fn range(n: usize, parts: usize, p: usize) -> std::ops::Range<usize> {
    p * n / parts..(p + 1) * n / parts
}

/// The forward pass over `x` `(batch, time, input)` from `initial` states
/// (zeros if none), keeping the tape.
pub(crate) fn forward(
    cell: FastCell<'_>,
    config: &RnnConfig,
    x: ArrayView3<'_, f32>,
    initial: Option<&[Array2<f32>]>,
    mask: Option<ArrayView2<'_, bool>>,
) -> (RnnOutput, FastTape) {
    let (batch, time, input) = x.dim();
    let (units, width) = (cell.units(), cell.width());
    let rows = batch * time;
    let lstm = matches!(cell, FastCell::Lstm(_));
    let gru = matches!(cell, FastCell::Gru(_));
    let threads = parallel::threads();

    super::profile::mark("");
    // The input, time-major, and its projection, all steps at once.
    let mut xtm = Buffer::uninit(rows * input);
    for (b, example) in x.outer_iter().enumerate() {
        for (t, row) in example.outer_iter().enumerate() {
            let to = &mut xtm[(t * batch + b) * input..][..input];
            match row.as_slice() {
                Some(r) => to.copy_from_slice(r),
                None => to.iter_mut().zip(row).for_each(|(a, b)| *a = *b),
            }
        }
    }
    super::profile::mark("forward: input copy");
    let mut z = Buffer::uninit(rows * width);
    let parts = if rows * input * width >= 1 << 22 {
        threads.min(rows / 16).max(1)
    } else {
        1
    };
    {
        let zs = Shared::of(&mut z);
        let xtm = &xtm;
        in_parts(parts, &|p| {
            let r = range(rows, parts, p);
            // SAFETY: part p writes rows r of z only.
            let out = unsafe { zs.rows(r.start * width, r.len() * width) };
            cell.project_rows(&xtm[r.start * input..], input, r.len(), out, width);
        });
    }

    super::profile::mark("forward: projection");
    // Slot 0 holds the initial states (zeros unless given); the loop writes the rest.
    let mut h = Buffer::uninit((time + 1) * batch * units);
    h[..batch * units].fill(0.0);
    let mut c = Buffer::uninit(if lstm { (time + 1) * batch * units } else { 0 });
    if lstm {
        c[..batch * units].fill(0.0);
    }
    if let Some(initial) = initial {
        for (b, row) in initial[0].outer_iter().enumerate() {
            h[b * units..][..units]
                .iter_mut()
                .zip(row)
                .for_each(|(a, v)| *a = *v);
        }
        if lstm {
            for (b, row) in initial[1].outer_iter().enumerate() {
                c[b * units..][..units]
                    .iter_mut()
                    .zip(row)
                    .for_each(|(a, v)| *a = *v);
            }
        }
    }
    let mut u = Buffer::uninit(if gru { rows * width } else { 0 });

    let parts = batch_parts(batch, rows * width * (input + units));
    {
        let (zs, hs, cs, us) = (
            Shared::of(&mut z),
            Shared::of(&mut h),
            Shared::of(&mut c),
            Shared::of(&mut u),
        );
        in_parts(parts, &|p| {
            let bs = range(batch, parts, p);
            let nb = bs.len();
            // SAFETY (every `rows` below): part p reads and writes only the
            // rows of its examples `bs`, of each step and slot.
            let initial = |s: Shared| unsafe {
                Array2::from_shape_vec(
                    (nb, units),
                    s.rows(bs.start * units, nb * units) // slot 0: the initial states
                        .to_vec(),
                )
                .expect("nb × units")
            };
            let mut states = vec![initial(hs)];
            if lstm {
                states.push(initial(cs));
            }
            let mut kept = Kept::new(mask, bs.clone(), &states);
            let step_rows = |s: Shared, t: usize, w: usize| unsafe {
                s.rows((t * batch + bs.start) * w, nb * w)
            };
            match cell {
                FastCell::Simple(cell) => {
                    for s in 0..time {
                        let t = time_index(config.go_backwards, time, s);
                        let zt = ArrayViewMut2::from_shape((nb, width), step_rows(zs, t, width))
                            .expect("nb × width");
                        kept.save(t, &states);
                        cell.recur(zt, &mut states, &mut ());
                        kept.restore(t, &mut states);
                        step_rows(hs, s + 1, units).copy_from_slice(contiguous(&states[0]));
                    }
                }
                FastCell::Lstm(cell) => {
                    for s in 0..time {
                        let t = time_index(config.go_backwards, time, s);
                        let zt = ArrayViewMut2::from_shape((nb, width), step_rows(zs, t, width))
                            .expect("nb × width");
                        kept.save(t, &states);
                        cell.recur(zt, &mut states, &mut ());
                        kept.restore(t, &mut states);
                        step_rows(hs, s + 1, units).copy_from_slice(contiguous(&states[0]));
                        step_rows(cs, s + 1, units).copy_from_slice(contiguous(&states[1]));
                    }
                }
                FastCell::Gru(cell) => {
                    let mut ws = cell.workspace(nb);
                    for s in 0..time {
                        let t = time_index(config.go_backwards, time, s);
                        let zt = ArrayViewMut2::from_shape((nb, width), step_rows(zs, t, width))
                            .expect("nb × width");
                        kept.save(t, &states);
                        cell.recur(zt, &mut states, &mut ws);
                        kept.restore(t, &mut states);
                        step_rows(hs, s + 1, units).copy_from_slice(contiguous(&states[0]));
                        step_rows(us, t, width).copy_from_slice(&ws.inner()[..nb * width]);
                    }
                }
            }
        });
    }

    super::profile::mark("forward: time loop");
    let slot = |v: &[f32], s: usize| {
        ArrayView2::from_shape((batch, units), &v[s * batch * units..][..batch * units])
            .expect("batch × units")
            .to_owned()
    };
    let output = match mask {
        Some(mask) => masked_output(config, &h, mask, batch, time, units),
        None if config.return_sequences => {
            let mut out = Array3::<f32>::zeros((batch, time, units));
            for (b, mut example) in out.outer_iter_mut().enumerate() {
                for (s, mut row) in example.outer_iter_mut().enumerate() {
                    let from = &h[((s + 1) * batch + b) * units..][..units];
                    row.as_slice_mut()
                        .expect("standard layout")
                        .copy_from_slice(from);
                }
            }
            out.into_dyn()
        }
        None => slot(&h, time).into_dyn(),
    };
    let states = if config.return_state {
        let mut states = vec![slot(&h, time)];
        if lstm {
            states.push(slot(&c, time));
        }
        states
    } else {
        Vec::new()
    };
    super::profile::mark("forward: output");
    (
        RnnOutput { output, states },
        FastTape {
            batch,
            time,
            input,
            units,
            width,
            go_backwards: config.go_backwards,
            mask: mask.map(|m| m.to_owned()),
            xtm,
            z,
            h,
            c,
            u,
        },
    )
}

fn contiguous(a: &Array2<f32>) -> &[f32] {
    a.as_slice().expect("states are in standard layout")
}

/// A part's states before a step, kept for its examples whose step is
/// padding: Keras carries their states over unchanged.
struct Kept<'m> {
    mask: Option<ArrayView2<'m, bool>>,
    examples: std::ops::Range<usize>,
    states: Vec<Array2<f32>>,
    any_masked: bool,
}

impl<'m> Kept<'m> {
    fn new(
        mask: Option<ArrayView2<'m, bool>>,
        examples: std::ops::Range<usize>,
        states: &[Array2<f32>],
    ) -> Self {
        let states = match mask {
            Some(_) => states.to_vec(),
            None => Vec::new(),
        };
        Kept {
            mask,
            examples,
            states,
            any_masked: false,
        }
    }

    /// Before the step at input time `t`.
    fn save(&mut self, t: usize, states: &[Array2<f32>]) {
        let Some(mask) = self.mask else { return };
        self.any_masked = self.examples.clone().any(|b| !mask[[b, t]]);
        if self.any_masked {
            for (kept, state) in self.states.iter_mut().zip(states) {
                kept.assign(state);
            }
        }
    }

    /// After it: the padded examples get their states back.
    fn restore(&self, t: usize, states: &mut [Array2<f32>]) {
        let (Some(mask), true) = (self.mask, self.any_masked) else {
            return;
        };
        for (row, b) in self.examples.clone().enumerate() {
            if !mask[[b, t]] {
                for (state, kept) in states.iter_mut().zip(&self.states) {
                    state.row_mut(row).assign(&kept.row(row));
                }
            }
        }
    }
}

/// The layer's output with a mask, as Keras gives it: at a padded step an
/// example repeats its last output (zeros before its first step that
/// counts), or outputs zeros with `zero_output_for_mask`.
fn masked_output(
    config: &RnnConfig,
    h: &[f32],
    mask: ArrayView2<'_, bool>,
    batch: usize,
    time: usize,
    units: usize,
) -> ArrayD<f32> {
    let steps = if config.return_sequences { time } else { 1 };
    let mut out = Array3::<f32>::zeros((batch, steps, units));
    for (b, mut example) in out.outer_iter_mut().enumerate() {
        let mut last: Option<&[f32]> = None;
        for s in 0..time {
            let t = time_index(config.go_backwards, time, s);
            let output = if mask[[b, t]] {
                last = Some(&h[((s + 1) * batch + b) * units..][..units]);
                last
            } else if config.zero_output_for_mask {
                None
            } else {
                last
            };
            let row = if config.return_sequences { s } else { 0 };
            if config.return_sequences || s == time - 1 {
                let mut to = example.index_axis_mut(Axis(0), row);
                match output {
                    Some(from) => to
                        .as_slice_mut()
                        .expect("standard layout")
                        .copy_from_slice(from),
                    None => to.fill(0.0),
                }
            }
        }
    }
    if config.return_sequences {
        out.into_dyn()
    } else {
        out.index_axis_move(Axis(1), 0).into_dyn()
    }
}

/// The backward pass: `d_output` shaped like the output, `d_state` one
/// `(batch, units)` array per state (zeros where not given).
pub(crate) fn backward(
    cell: FastCell<'_>,
    config: &RnnConfig,
    tape: &FastTape,
    d_output: &ArrayD<f32>,
    d_state: &[Array2<f32>],
) -> Gradients {
    let FastTape {
        batch,
        time,
        input,
        units,
        width,
        go_backwards,
        ..
    } = *tape;
    let rows = batch * time;
    let lstm = matches!(cell, FastCell::Lstm(_));
    let gru = matches!(cell, FastCell::Gru(_));
    let threads = parallel::threads();
    let d_output = d_output.as_standard_layout();
    let d_out = d_output.as_slice().expect("standard layout");

    // dz by t, time-major: the gradient of the projected input (and for
    // GRU, dzu: of the recurrent term).
    let mut dz = Buffer::uninit(rows * width);
    let mut dzu = Buffer::uninit(if gru { rows * width } else { 0 });
    let mut d_initial: Vec<Vec<f32>> = (0..d_state.len())
        .map(|_| vec![0.0f32; batch * units])
        .collect();
    let recurrent_t = PackedMatrix::pack(cell.recurrent_kernel().t());
    let (act, rec) = match cell {
        FastCell::Simple(c) => (c.activation(), Activation::Linear),
        FastCell::Lstm(c) => c.activations(),
        FastCell::Gru(c) => c.activations(),
    };
    let recurrent_bias: Vec<f32> = match cell {
        FastCell::Gru(c) => match c.recurrent_bias() {
            Some(b) => b.to_vec(),
            None => vec![0.0; width],
        },
        _ => Vec::new(),
    };

    super::profile::time("backward: recurrent loop", || {
        let parts = batch_parts(batch, rows * width * (input + units));
        let (dzs, dzus) = (Shared::of(&mut dz), Shared::of(&mut dzu));
        let d_initial_s: Vec<Shared> = d_initial.iter_mut().map(|v| Shared::of(v)).collect();
        in_parts(parts, &|p| {
            let bs = range(batch, parts, p);
            let nb = bs.len();
            let mut dh = vec![0.0f32; nb * units];
            let mut dc = vec![0.0f32; if lstm { nb * units } else { 0 }];
            for (b, row) in d_state[0].outer_iter().skip(bs.start).take(nb).enumerate() {
                dh[b * units..][..units]
                    .iter_mut()
                    .zip(row)
                    .for_each(|(a, v)| *a = *v);
            }
            if lstm {
                for (b, row) in d_state[1].outer_iter().skip(bs.start).take(nb).enumerate() {
                    dc[b * units..][..units]
                        .iter_mut()
                        .zip(row)
                        .for_each(|(a, v)| *a = *v);
                }
            }
            let slot = |s: usize| -> std::ops::Range<usize> {
                let start = (s * batch + bs.start) * units;
                start..start + nb * units
            };
            let at_t = |t: usize| (t * batch + bs.start) * width..(t * batch + bs.end) * width;
            // With a mask: the output gradient still to reach an earlier
            // step (a padded step repeated that step's output), and the
            // state gradients of the padded examples, which skip the step.
            let numbers = if tape.mask.is_some() { nb * units } else { 0 };
            let (mut carry, mut kept_dh, mut kept_dc) = (
                vec![0.0f32; numbers],
                vec![0.0f32; numbers],
                vec![0.0f32; numbers],
            );
            let mut padded: Vec<usize> = Vec::new();
            for s in (0..time).rev() {
                let t = time_index(go_backwards, time, s);
                // The output's gradient joins the state's (or, with a mask,
                // the carried output gradient first).
                let into = if tape.mask.is_some() {
                    &mut carry
                } else {
                    &mut dh
                };
                if config.return_sequences {
                    for b in 0..nb {
                        let from = &d_out[((bs.start + b) * time + s) * units..][..units];
                        add(&mut into[b * units..][..units], from);
                    }
                } else if s == time - 1 {
                    add(into, &d_out[bs.start * units..][..nb * units]);
                }
                padded.clear();
                if let Some(mask) = &tape.mask {
                    for b in 0..nb {
                        let row = b * units..(b + 1) * units;
                        if mask[[bs.start + b, t]] {
                            add(&mut dh[row.clone()], &carry[row.clone()]);
                            carry[row].fill(0.0);
                        } else {
                            padded.push(b);
                            kept_dh[row.clone()].copy_from_slice(&dh[row.clone()]);
                            dh[row.clone()].fill(0.0);
                            if lstm {
                                kept_dc[row.clone()].copy_from_slice(&dc[row.clone()]);
                                dc[row.clone()].fill(0.0);
                            }
                            if config.zero_output_for_mask {
                                carry[row].fill(0.0);
                            }
                        }
                    }
                }
                // SAFETY: rows of step t of this part's examples only.
                let dz_t = unsafe { dzs.rows(at_t(t).start, nb * width) };
                match cell {
                    FastCell::Simple(_) => {
                        let h = &tape.h[slot(s + 1)];
                        simple_back(h, &dh, dz_t, act);
                        recurrent_t.matmul(dz_t, width, nb, &mut dh, units, false);
                    }
                    FastCell::Lstm(_) => {
                        let z = &tape.z[at_t(t)];
                        let (c, c_prev) = (&tape.c[slot(s + 1)], &tape.c[slot(s)]);
                        lstm_step_back(z, c, c_prev, &dh, &mut dc, dz_t, units, act, rec);
                        recurrent_t.matmul(dz_t, width, nb, &mut dh, units, false);
                    }
                    FastCell::Gru(_) => {
                        // SAFETY: as dz_t.
                        let dzu_t = unsafe { dzus.rows(at_t(t).start, nb * width) };
                        let (x, u) = (&tape.z[at_t(t)], &tape.u[at_t(t)]);
                        let h_prev = &tape.h[slot(s)];
                        gru_back(
                            x,
                            u,
                            &recurrent_bias,
                            h_prev,
                            &mut dh,
                            dz_t,
                            dzu_t,
                            units,
                            act,
                            rec,
                        );
                        recurrent_t.matmul(dzu_t, width, nb, &mut dh, units, true);
                    }
                }
                // A padded example's states skipped the step, and so do their gradients.
                for &b in &padded {
                    let row = b * units..(b + 1) * units;
                    dh[row.clone()].copy_from_slice(&kept_dh[row.clone()]);
                    if lstm {
                        dc[row.clone()].copy_from_slice(&kept_dc[row]);
                    }
                }
            }
            let start = bs.start * units;
            // SAFETY: this part's rows of the initial states' gradients.
            unsafe { d_initial_s[0].rows(start, nb * units) }.copy_from_slice(&dh);
            if lstm {
                unsafe { d_initial_s[1].rows(start, nb * units) }.copy_from_slice(&dc);
            }
        });
    });

    // The weight gradients: [kernel; recurrent_kernel] = [xᵀ; h_prevᵀ] · dz
    // over all rows (t, b) at once, and the bias gradients, dz's column
    // sums. The threads share dz's columns: each packs its columns of dz
    // (and dzu) a chunk of rows at a time, adds them to its bias sums, and
    // multiplies the chunk while it is in the cache, so dz is read once.
    // xᵀ is read where x lies, and so is h_prevᵀ but with `go_backwards`
    // (whose steps run against the rows' order of time): that one is copied.
    let (d_kernel, d_recurrent, bias, recurrent_bias) =
        super::profile::time("backward: weight gradients", || {
            super::profile::mark("");
            let total = input + units;
            let mut h_t = Buffer::uninit(if go_backwards { units * rows } else { 0 });
            if go_backwards {
                let parts = threads.min(units / 8).max(1);
                let to = Shared::of(&mut h_t);
                in_parts(parts, &|p| {
                    let r = range(units, parts, p);
                    // SAFETY: part p writes rows r of `h_t` only.
                    let to = unsafe { to.rows(r.start * rows, r.len() * rows) };
                    for t in 0..time {
                        let s = time_index(go_backwards, time, t);
                        let from = &tape.h[s * batch * units..][..batch * units];
                        let to = &mut to[t * batch..];
                        transpose_columns(from, batch, units, r.clone(), to, rows);
                    }
                });
            }
            super::profile::mark("backward: weight gradients: transposes");
            let panels = width.div_ceil(PANEL);
            let parts = threads.min(panels).max(1);
            let sums = |on: bool| vec![0.0f32; if on { width } else { 0 }];
            let (mut bias, mut recurrent_bias) =
                (sums(cell.has_bias()), sums(cell.has_bias() && gru));
            // Each part's columns of the gradients, `total` rows of them.
            let mut pieces: Vec<Vec<f32>> = (0..parts)
                .map(|p| vec![0.0f32; total * columns_of(width, parts, p).len()])
                .collect();
            let pieces_s: Vec<Shared> = pieces.iter_mut().map(|v| Shared::of(v)).collect();
            let (bias_s, recurrent_bias_s) =
                (Shared::of(&mut bias), Shared::of(&mut recurrent_bias));
            in_parts(parts, &|p| {
                let columns = columns_of(width, parts, p);
                let n = columns.len();
                // SAFETY: part p writes its own piece and its own columns of
                // the bias sums only.
                let c = unsafe { pieces_s[p].rows(0, total * n) };
                let mine = |s: Shared, on: bool| -> &mut [f32] {
                    if on {
                        // SAFETY: as above, columns `columns` of the sums.
                        unsafe { s.rows(columns.start, n) }
                    } else {
                        &mut []
                    }
                };
                let (my_bias, my_recurrent_bias) = (
                    mine(bias_s, cell.has_bias()),
                    mine(recurrent_bias_s, cell.has_bias() && gru),
                );
                let (ck, cr) = c.split_at_mut(input * n);
                for (i, start) in (0..rows).step_by(KC).enumerate() {
                    let chunk = start..(start + KC).min(rows);
                    let k = chunk.len();
                    let packed = |b: &[f32], sums: &mut [f32]| {
                        let panels = pack_columns(b, width, chunk.clone(), columns.clone(), sums);
                        PackedMatrix::from_panels(k, n, panels)
                    };
                    let dz_chunk = packed(&dz, &mut *my_bias);
                    dz_chunk.matmul_transposed(
                        &tape.xtm[start * input..],
                        input,
                        input,
                        ck,
                        n,
                        i > 0,
                    );
                    let b = if gru {
                        packed(&dzu, &mut *my_recurrent_bias)
                    } else {
                        dz_chunk
                    };
                    if go_backwards {
                        b.matmul(&h_t[start..], rows, units, cr, n, i > 0);
                    } else {
                        // h_prev of row (t, b) is the state of slot t.
                        b.matmul_transposed(&tape.h[start * units..], units, units, cr, n, i > 0);
                    }
                }
            });
            super::profile::mark("backward: weight gradients: packing, products and bias");
            // The pieces side by side.
            let mut out = vec![0.0f32; total * width];
            for (p, piece) in pieces.iter().enumerate() {
                let columns = columns_of(width, parts, p);
                for (row, from) in out
                    .chunks_exact_mut(width)
                    .zip(piece.chunks_exact(columns.len()))
                {
                    row[columns.clone()].copy_from_slice(from);
                }
            }
            let d_recurrent = out.split_off(input * width);
            (
                Array2::from_shape_vec((input, width), out).expect("input × width"),
                Array2::from_shape_vec((units, width), d_recurrent).expect("units × width"),
                bias,
                recurrent_bias,
            )
        });

    // The input's gradient: dz · kernelᵀ, example by example, straight into
    // `(batch, time, input)`: an example's rows of dz are `batch` rows apart.
    let d_x = super::profile::time("backward: input gradient", || {
        let kernel_t = pack_chunks_view(cell.kernel().t());
        let mut d_x = Array3::<f32>::zeros((batch, time, input));
        let parts = threads.min(batch).max(1);
        let out = Shared::of(d_x.as_slice_mut().expect("standard layout"));
        in_parts(parts, &|p| {
            for b in range(batch, parts, p) {
                // SAFETY: example b's numbers, which no other part writes.
                let c = unsafe { out.rows(b * time * input, time * input) };
                gemm(&dz[b * width..], batch * width, time, &kernel_t, c, input);
            }
        });
        d_x
    });

    let mut weights = vec![d_kernel.into_dyn(), d_recurrent.into_dyn()];
    if cell.has_bias() {
        weights.push(if gru {
            let both = [bias, recurrent_bias].concat();
            Array2::from_shape_vec((2, width), both)
                .expect("two rows")
                .into_dyn()
        } else {
            ndarray::Array1::from(bias).into_dyn()
        });
    }
    let initial_state = d_initial
        .into_iter()
        .map(|v| Array2::from_shape_vec((batch, units), v).expect("batch × units"))
        .collect();
    Gradients {
        weights,
        input: d_x.into_dyn(),
        initial_state,
    }
}

/// Part `p`'s columns of `width` shared by `parts`: whole panels, nearly
/// as many each.
fn columns_of(width: usize, parts: usize, p: usize) -> std::ops::Range<usize> {
    let mine = range(width.div_ceil(PANEL), parts, p);
    mine.start * PANEL..(mine.end * PANEL).min(width)
}

/// The `rows` and `columns` of `b` (rows of `width` numbers) packed as
/// [`PackedMatrix::from_panels`] takes them; each row's numbers are also
/// added to `sums`, unless it is empty.
fn pack_columns(
    b: &[f32],
    width: usize,
    rows: std::ops::Range<usize>,
    columns: std::ops::Range<usize>,
    sums: &mut [f32],
) -> Buffer {
    let panel_len = rows.len() * PANEL;
    let mut to = Buffer::uninit(columns.len().div_ceil(PANEL) * panel_len);
    for (q, row) in b[rows.start * width..rows.end * width]
        .chunks_exact(width)
        .enumerate()
    {
        let row = &row[columns.clone()];
        for (j, run) in row.chunks(PANEL).enumerate() {
            let slot = &mut to[j * panel_len + q * PANEL..][..PANEL];
            slot[..run.len()].copy_from_slice(run);
            slot[run.len()..].fill(0.0);
        }
        if !sums.is_empty() {
            add(sums, row);
        }
    }
    to
}

/// `b` packed in chunks of [`KC`] rows, whatever its strides.
fn pack_chunks_view(b: ArrayView2<'_, f32>) -> Vec<PackedMatrix> {
    let k = b.nrows();
    (0..k.div_ceil(KC))
        .map(|i| {
            PackedMatrix::pack(b.slice_axis(Axis(0), ((i * KC)..((i + 1) * KC).min(k)).into()))
        })
        .collect()
}

/// `C = A · B`, `A` `m` rows of `lda` numbers apart, `B` in chunks of
/// [`KC`] rows: each chunk's products summed in order, then added to C
/// chunk after chunk, so that the sums run in one fixed order.
fn gemm(a: &[f32], lda: usize, m: usize, b: &[PackedMatrix], c: &mut [f32], ldc: usize) {
    for (i, chunk) in b.iter().enumerate() {
        chunk.matmul(&a[i * KC..], lda, m, c, ldc, i > 0);
    }
}

/// The columns `columns` of `from` (`rows × cols`) as rows of `to`, `ld`
/// apart: column `c` becomes row `c - columns.start`.
fn transpose_columns(
    from: &[f32],
    rows: usize,
    cols: usize,
    columns: std::ops::Range<usize>,
    to: &mut [f32],
    ld: usize,
) {
    const BLOCK: usize = 16;
    if columns.is_empty() || rows == 0 {
        return;
    }
    assert!(from.len() >= rows * cols && columns.end <= cols && rows <= ld);
    assert!(to.len() >= (columns.len() - 1) * ld + rows);
    for r0 in (0..rows).step_by(BLOCK) {
        let r1 = (r0 + BLOCK).min(rows);
        for c in columns.clone() {
            let row = &mut to[(c - columns.start) * ld + r0..][..r1 - r0];
            for (i, v) in row.iter_mut().enumerate() {
                // SAFETY: r0 + i < rows and c < cols, so the index is below
                // rows × cols ≤ from.len() (asserted above).
                *v = unsafe { *from.get_unchecked((r0 + i) * cols + c) };
            }
        }
    }
}

multiversion! {
    /// `to += from`, number by number.
    fn add(to: &mut [f32], from: &[f32]) {
        to.iter_mut().zip(from).for_each(|(a, b)| *a += *b);
    }
}

multiversion! {
    /// SimpleRNN: `dz = dh · act'(h)`.
    fn simple_back(h: &[f32], dh: &[f32], dz: &mut [f32], act: Activation) {
        match act {
            Activation::Tanh => {
                for ((d, h), g) in dz.iter_mut().zip(h).zip(dh) {
                    *d = g * (1.0 - h * h);
                }
            }
            _ => {
                for ((d, h), g) in dz.iter_mut().zip(h).zip(dh) {
                    *d = g * act.derivative_from_output(*h);
                }
            }
        }
    }
}

multiversion! {
    /// LSTM, one step of the part's examples: the gates again from their
    /// pre-activations `z`, then
    /// ```text
    /// dc = dc_next + dh·o·act'(act(c)),  dc_prev = dc·f
    /// dz = [dc·g·σ'(i), dc·c_prev·σ'(f), dc·i·act'(g), dh·act(c)·σ'(o)]
    /// ```
    fn lstm_back(z: &[f32], c: &[f32], c_prev: &[f32], dh: &[f32], dc: &mut [f32], dz: &mut [f32], units: usize, act: Activation, rec: Activation) {
        match (act, rec) {
            (Activation::Tanh, Activation::Sigmoid) => lstm_back_loop(
                z, c, c_prev, dh, dc, dz, units,
                crate::activation::tanh, crate::activation::sigmoid,
                |y| 1.0 - y * y, |y| y * (1.0 - y),
            ),
            _ => lstm_back_loop(
                z, c, c_prev, dh, dc, dz, units,
                |v| act.apply(v), |v| rec.apply(v),
                |y| act.derivative_from_output(y), |y| rec.derivative_from_output(y),
            ),
        }
    }
}

/// [`lstm_back`], on 16 units at a time where the CPU has AVX-512 and the
/// activations are Keras's defaults (the same bits either way).
fn lstm_step_back(
    z: &[f32],
    c: &[f32],
    c_prev: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    dz: &mut [f32],
    units: usize,
    act: Activation,
    rec: Activation,
) {
    #[cfg(target_arch = "x86_64")]
    if (act, rec) == (Activation::Tanh, Activation::Sigmoid)
        && crate::linalg::simd_level() == crate::linalg::Level::Avx512
    {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { lstm_back_avx512(z, c, c_prev, dh, dc, dz, units) };
    }
    lstm_back(z, c, c_prev, dh, dc, dz, units, act, rec);
}

/// [`lstm_back_loop`] for tanh and sigmoid, 16 units at a time: the same
/// operations in the same order, so the same bits.
///
/// # Safety
///
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn lstm_back_avx512(
    z: &[f32],
    c: &[f32],
    c_prev: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    dz: &mut [f32],
    units: usize,
) {
    use std::arch::x86_64::*;

    use crate::activation::avx512::{sigmoid16, tanh16};
    debug_assert_eq!(crate::linalg::simd_level(), crate::linalg::Level::Avx512);
    let examples = dh.len() / units;
    assert!(z.len() >= examples * 4 * units && dz.len() >= examples * 4 * units);
    assert!(c.len() >= examples * units && c_prev.len() >= examples * units);
    assert!(dc.len() >= examples * units);
    for example in 0..examples {
        let (zo, cu) = (example * 4 * units, example * units);
        for j in (0..units).step_by(16) {
            // The last group of units may be short: its other lanes are neither read nor written.
            let lanes: __mmask16 = if units - j >= 16 {
                !0
            } else {
                (1 << (units - j)) - 1
            };
            // SAFETY: every lane in `lanes` is inside its gate block of z and
            // dz and inside the example's units of c, c_prev, dh and dc
            // (asserted above).
            unsafe {
                let one = _mm512_set1_ps(1.0);
                let load = |v: &[f32], at: usize| _mm512_maskz_loadu_ps(lanes, v.as_ptr().add(at));
                let act_d = |y: __m512| _mm512_sub_ps(one, _mm512_mul_ps(y, y));
                let rec_d = |y: __m512| _mm512_mul_ps(y, _mm512_sub_ps(one, y));
                let gate = |g: usize| load(z, zo + g * units + j);
                let (i, f) = (sigmoid16(gate(0)), sigmoid16(gate(1)));
                let (g, o) = (tanh16(gate(2)), sigmoid16(gate(3)));
                let tc = tanh16(load(c, cu + j));
                let dh = load(dh, cu + j);
                let dc_at = dc.as_mut_ptr().add(cu + j);
                let d = _mm512_add_ps(
                    _mm512_maskz_loadu_ps(lanes, dc_at),
                    _mm512_mul_ps(_mm512_mul_ps(dh, o), act_d(tc)),
                );
                let mut store = |g: usize, v: __m512| {
                    _mm512_mask_storeu_ps(dz.as_mut_ptr().add(zo + g * units + j), lanes, v)
                };
                store(0, _mm512_mul_ps(_mm512_mul_ps(d, g), rec_d(i)));
                let cp = load(c_prev, cu + j);
                store(1, _mm512_mul_ps(_mm512_mul_ps(d, cp), rec_d(f)));
                store(2, _mm512_mul_ps(_mm512_mul_ps(d, i), act_d(g)));
                store(3, _mm512_mul_ps(_mm512_mul_ps(dh, tc), rec_d(o)));
                _mm512_mask_storeu_ps(dc_at, lanes, _mm512_mul_ps(d, f));
            }
        }
    }
}

#[inline(always)]
fn lstm_back_loop(
    z: &[f32],
    c: &[f32],
    c_prev: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    dz: &mut [f32],
    units: usize,
    act: impl Fn(f32) -> f32,
    rec: impl Fn(f32) -> f32,
    act_d: impl Fn(f32) -> f32,
    rec_d: impl Fn(f32) -> f32,
) {
    for (((((z, dz), c), c_prev), dh), dc) in z
        .chunks_exact(4 * units)
        .zip(dz.chunks_exact_mut(4 * units))
        .zip(c.chunks_exact(units))
        .zip(c_prev.chunks_exact(units))
        .zip(dh.chunks_exact(units))
        .zip(dc.chunks_exact_mut(units))
    {
        let (dzi, rest) = dz.split_at_mut(units);
        let (dzf, rest) = rest.split_at_mut(units);
        let (dzg, dzo) = rest.split_at_mut(units);
        for j in 0..units {
            let (i, f) = (rec(z[j]), rec(z[units + j]));
            let (g, o) = (act(z[2 * units + j]), rec(z[3 * units + j]));
            let tc = act(c[j]);
            let d = dc[j] + (dh[j] * o) * act_d(tc);
            dzi[j] = (d * g) * rec_d(i);
            dzf[j] = (d * c_prev[j]) * rec_d(f);
            dzg[j] = (d * i) * act_d(g);
            dzo[j] = (dh[j] * tc) * rec_d(o);
            dc[j] = d * f;
        }
    }
}

multiversion! {
    /// GRU (`reset_after`), one step of the part's examples: the gates again
    /// from the projected input `x`, the recurrent term `u` and its bias, then
    /// ```text
    /// dz_ = dh·(h_prev - h̃),  da = dh·(1 - z)·act'(h̃),  dr = da·(u_h + b_h)
    /// dzx = [dz_·σ'(z), dr·σ'(r), da],  dzu = [dz_·σ'(z), dr·σ'(r), da·r]
    /// dh_prev = dh·z  (the product dzu · Uᵀ is added after)
    /// ```
    fn gru_back(x: &[f32], u: &[f32], b: &[f32], h_prev: &[f32], dh: &mut [f32], dzx: &mut [f32], dzu: &mut [f32], units: usize, act: Activation, rec: Activation) {
        match (act, rec) {
            (Activation::Tanh, Activation::Sigmoid) => gru_back_loop(
                x, u, b, h_prev, dh, dzx, dzu, units,
                crate::activation::tanh, crate::activation::sigmoid,
                |y| 1.0 - y * y, |y| y * (1.0 - y),
            ),
            _ => gru_back_loop(
                x, u, b, h_prev, dh, dzx, dzu, units,
                |v| act.apply(v), |v| rec.apply(v),
                |y| act.derivative_from_output(y), |y| rec.derivative_from_output(y),
            ),
        }
    }
}

#[inline(always)]
fn gru_back_loop(
    x: &[f32],
    u: &[f32],
    b: &[f32],
    h_prev: &[f32],
    dh: &mut [f32],
    dzx: &mut [f32],
    dzu: &mut [f32],
    units: usize,
    act: impl Fn(f32) -> f32,
    rec: impl Fn(f32) -> f32,
    act_d: impl Fn(f32) -> f32,
    rec_d: impl Fn(f32) -> f32,
) {
    let (bz, rest) = b.split_at(units);
    let (br, bh) = rest.split_at(units);
    for (((((x, u), h_prev), dh), dzx), dzu) in x
        .chunks_exact(3 * units)
        .zip(u.chunks_exact(3 * units))
        .zip(h_prev.chunks_exact(units))
        .zip(dh.chunks_exact_mut(units))
        .zip(dzx.chunks_exact_mut(3 * units))
        .zip(dzu.chunks_exact_mut(3 * units))
    {
        for j in 0..units {
            let z = rec(x[j] + (u[j] + bz[j]));
            let r = rec(x[units + j] + (u[units + j] + br[j]));
            let inner = u[2 * units + j] + bh[j];
            let candidate = act(x[2 * units + j] + r * inner);
            let g = dh[j];
            let d_update = (g * (h_prev[j] - candidate)) * rec_d(z);
            let da = (g * (1.0 - z)) * act_d(candidate);
            let d_reset = (da * inner) * rec_d(r);
            dzx[j] = d_update;
            dzx[units + j] = d_reset;
            dzx[2 * units + j] = da;
            dzu[j] = d_update;
            dzu[units + j] = d_reset;
            dzu[2 * units + j] = da * r;
            dh[j] = g * z;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::transpose_columns;

    /// Columns 1..3 of a 2 × 3 matrix become two rows, 4 apart; no columns,
    /// or no rows, write nothing.
    #[test]
    fn transpose_columns_moves_columns_to_rows() {
        let from = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut to = [0.0; 8];
        transpose_columns(&from, 2, 3, 1..3, &mut to, 4);
        assert_eq!(to, [2.0, 5.0, 0.0, 0.0, 3.0, 6.0, 0.0, 0.0]);
        for (rows, columns, ld) in [(2, 1..1, 2), (0, 0..3, 1)] {
            let mut to = [9.0; 2];
            transpose_columns(&from, rows, 3, columns, &mut to, ld);
            assert_eq!(to, [9.0; 2]);
        }
    }
}
