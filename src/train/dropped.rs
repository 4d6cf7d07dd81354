//! Training with Keras's `dropout` and `recurrent_dropout` on a recurrent
//! layer.
//!
//! Keras draws the masks once per sequence and uses them at every step.
//! With `recurrent_dropout`, each gate of an LSTM or GRU gets its own input
//! mask and its own mask of the previous hidden state (Keras's
//! "implementation 1"); the masked state only enters the recurrent
//! products, while a GRU's `z * h_prev` and an LSTM's cell state use the
//! state as it is. With `dropout` alone the gates share one input mask,
//! which is the input dropped before the layer: that runs on the ordinary
//! training path. The per-gate case runs here, step by step, as the book
//! writes the recurrence.

use ndarray::{
    Array2, Array3, ArrayView1, ArrayView2, ArrayView3, ArrayViewMutD, Axis, Ix2, Zip, s,
};

use super::fast::FastCell;
use super::sequence::through_time;
use crate::activation::Activation;
use crate::cell::Cell;
use crate::layers::{RecurrentDropout, seeded_mask, splitmix64};
use crate::rnn::{self, CallArgs, RnnConfig, RnnOutput};
use crate::{Error, Result, show};

/// The masks of one training call of a recurrent layer: `0` where a number
/// is dropped, `1 / (1 - rate)` where it is kept.
///
/// Each list is empty (nothing dropped), holds one mask that every gate
/// shares, or one mask per gate in Keras's gate order (LSTM `i, f, c, o`;
/// GRU `z, r, h`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DropoutMasks {
    /// `(batch, input_dim)` each: multiplies the input of every step.
    pub input: Vec<Array2<f32>>,
    /// `(batch, units)` each: multiplies the previous hidden state where it
    /// enters the recurrent product.
    pub recurrent: Vec<Array2<f32>>,
}

impl DropoutMasks {
    /// The masks Keras's structure asks for, drawn from the seed and step:
    /// per gate when `recurrent_dropout` is set (for LSTM and GRU), else one
    /// input mask; `go_backwards` draws other masks, so that the two halves
    /// of a `Bidirectional` layer drop differently.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn draw(
        rates: RecurrentDropout,
        step: u64,
        go_backwards: bool,
        gates: usize,
        batch: usize,
        input_dim: usize,
        units: usize,
    ) -> DropoutMasks {
        let count = if rates.recurrent_dropout > 0.0 {
            gates
        } else {
            1
        };
        let seed = rates.seed.unwrap_or(0);
        let stream = |kind: u64, k: usize| {
            splitmix64(step ^ (kind << 60) ^ ((go_backwards as u64) << 59) ^ k as u64)
        };
        let draw = |rate: f32, kind: u64, cols: usize| -> Vec<Array2<f32>> {
            if rate == 0.0 {
                return Vec::new();
            }
            (0..count)
                .map(|k| {
                    seeded_mask(rate, seed, stream(kind, k), &[batch, cols])
                        .into_dimensionality::<Ix2>()
                        .expect("drawn 2-D")
                })
                .collect()
        };
        DropoutMasks {
            input: draw(rates.dropout, 1, input_dim),
            recurrent: draw(rates.recurrent_dropout, 2, units),
        }
    }

    /// Whether the ordinary path can run: at most one input mask, no
    /// recurrent mask.
    pub(crate) fn input_only(&self) -> bool {
        self.recurrent.is_empty() && self.input.len() <= 1
    }

    /// Checks the counts and shapes for a layer of `gates` gates.
    pub(crate) fn check(
        &self,
        layer: &str,
        gates: usize,
        batch: usize,
        input_dim: usize,
        units: usize,
    ) -> Result<()> {
        for (what, list, cols) in [
            ("input dropout mask", &self.input, input_dim),
            ("recurrent dropout mask", &self.recurrent, units),
        ] {
            if !(list.len() <= 1 || list.len() == gates) {
                return Err(Error::config(
                    layer,
                    format!(
                        "{what}s: expected none, one, or one per gate ({gates}), got {}",
                        list.len()
                    ),
                ));
            }
            for m in list {
                if m.dim() != (batch, cols) {
                    return Err(Error::shape(
                        layer,
                        what,
                        show::shape(&[batch, cols]),
                        show::shape(m.shape()),
                    ));
                }
            }
        }
        Ok(())
    }

    fn numbers(&self) -> usize {
        self.input
            .iter()
            .chain(&self.recurrent)
            .map(|m| m.len())
            .sum()
    }
}

/// The mask of gate `k` in a list (shared, per gate, or none).
fn mask_of(list: &[Array2<f32>], k: usize) -> Option<&Array2<f32>> {
    match list.len() {
        0 => None,
        1 => Some(&list[0]),
        _ => Some(&list[k]),
    }
}

/// `a * mask`, or `a` itself without a mask.
fn dropped(a: ArrayView2<f32>, mask: Option<&Array2<f32>>) -> Array2<f32> {
    match mask {
        Some(m) => &a * m,
        None => a.to_owned(),
    }
}

/// What the per-gate path needs of a cell.
struct Weights<'a> {
    kind: Kind,
    units: usize,
    kernel: ArrayView2<'a, f32>,
    recurrent: ArrayView2<'a, f32>,
    input_bias: Option<ArrayView1<'a, f32>>,
    /// A GRU's second bias row (`reset_after`).
    recurrent_bias: Option<ArrayView1<'a, f32>>,
    act: Activation,
    rec: Activation,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Lstm,
    Gru { reset_after: bool },
}

impl<'a> Weights<'a> {
    fn of(cell: FastCell<'a>) -> Self {
        match cell {
            FastCell::Simple(c) => Weights {
                kind: Kind::Simple,
                units: c.units(),
                kernel: c.kernel().view(),
                recurrent: c.recurrent_kernel().view(),
                input_bias: c.bias().map(|b| b.view()),
                recurrent_bias: None,
                act: c.activation(),
                rec: c.activation(),
            },
            FastCell::Lstm(c) => {
                let (act, rec) = c.activations();
                Weights {
                    kind: Kind::Lstm,
                    units: c.units(),
                    kernel: c.kernel().view(),
                    recurrent: c.recurrent_kernel().view(),
                    input_bias: c.bias().map(|b| b.view()),
                    recurrent_bias: None,
                    act,
                    rec,
                }
            }
            FastCell::Gru(c) => {
                let (act, rec) = c.activations();
                Weights {
                    kind: Kind::Gru {
                        reset_after: c.reset_after(),
                    },
                    units: c.units(),
                    kernel: c.kernel().view(),
                    recurrent: c.recurrent_kernel().view(),
                    input_bias: Cell::input_bias(c),
                    recurrent_bias: c.recurrent_bias(),
                    act,
                    rec,
                }
            }
        }
    }

    fn gates(&self) -> usize {
        match self.kind {
            Kind::Simple => 1,
            Kind::Lstm => 4,
            Kind::Gru { .. } => 3,
        }
    }

    fn columns(&self, k: usize) -> std::ops::Range<usize> {
        k * self.units..(k + 1) * self.units
    }
}

/// What one step keeps for its backward step.
#[derive(Clone, Debug)]
struct StepCache {
    h_prev: Array2<f32>,
    /// LSTM only.
    c_prev: Option<Array2<f32>>,
    /// The gates after their activations: SimpleRNN `h`; LSTM `i, f, g, o`;
    /// GRU `z, r, h̃`.
    gates: Array2<f32>,
    /// LSTM: `act(c)`; GRU with `reset_after`: `h_prev' · U_h + b1_h`.
    extra: Option<Array2<f32>>,
}

/// The tape of the per-gate path.
#[derive(Clone, Debug)]
pub(crate) struct DroppedTape {
    x: Array3<f32>,
    mask: Option<Array2<bool>>,
    masks: DropoutMasks,
    steps: Vec<StepCache>,
}

impl DroppedTape {
    pub(crate) fn sizes(&self) -> (usize, usize, usize) {
        self.x.dim()
    }

    pub(crate) fn bytes(&self) -> usize {
        let step_numbers: usize = self
            .steps
            .iter()
            .map(|c| {
                c.h_prev.len()
                    + c.c_prev.as_ref().map_or(0, |a| a.len())
                    + c.gates.len()
                    + c.extra.as_ref().map_or(0, |a| a.len())
            })
            .sum();
        let numbers = self.x.len() + self.masks.numbers() + step_numbers;
        numbers * std::mem::size_of::<f32>() + self.mask.as_ref().map_or(0, |m| m.len())
    }
}

/// The projected input of one step, gate by gate: `(x * m_k) · W_k + b_k`.
fn project(w: &Weights<'_>, x: ArrayView2<f32>, masks: &DropoutMasks) -> Array2<f32> {
    let (batch, u) = (x.nrows(), w.units);
    let mut a = Array2::<f32>::zeros((batch, w.gates() * u));
    for k in 0..w.gates() {
        let xk = dropped(x, mask_of(&masks.input, k));
        let cols = w.columns(k);
        a.slice_mut(s![.., cols.clone()])
            .assign(&xk.dot(&w.kernel.slice(s![.., cols.clone()])));
        if let Some(b) = w.input_bias {
            let mut part = a.slice_mut(s![.., cols.clone()]);
            part += &b.slice(s![cols]);
        }
    }
    a
}

/// `(h * r_k) · U_k` for gate `k`.
fn recurrent_term(w: &Weights<'_>, h: &Array2<f32>, masks: &DropoutMasks, k: usize) -> Array2<f32> {
    let hk = dropped(h.view(), mask_of(&masks.recurrent, k));
    hk.dot(&w.recurrent.slice(s![.., w.columns(k)]))
}

/// One step forward from `h` (and `c`): the new `h`, the new `c`, the cache.
fn step(
    w: &Weights<'_>,
    x: ArrayView2<f32>,
    h: &Array2<f32>,
    c: Option<&Array2<f32>>,
    masks: &DropoutMasks,
) -> (Array2<f32>, Option<Array2<f32>>, StepCache) {
    let u = w.units;
    let mut a = project(w, x, masks);
    let part = |a: &Array2<f32>, k: usize| a.slice(s![.., w.columns(k)]).to_owned();
    let (new_h, new_c, extra);
    match w.kind {
        Kind::Simple | Kind::Lstm => {
            for k in 0..w.gates() {
                let mut gate = a.slice_mut(s![.., w.columns(k)]);
                gate += &recurrent_term(w, h, masks, k);
            }
            if w.kind == Kind::Simple {
                a.mapv_inplace(|v| w.act.apply(v));
                new_h = a.clone();
                new_c = None;
                extra = None;
            } else {
                for k in 0..4 {
                    let f = if k == 2 { w.act } else { w.rec };
                    a.slice_mut(s![.., w.columns(k)])
                        .mapv_inplace(|v| f.apply(v));
                }
                let (i, f, g, o) = (part(&a, 0), part(&a, 1), part(&a, 2), part(&a, 3));
                let c_new = &f * c.expect("an LSTM has c") + &i * &g;
                let act_c = c_new.mapv(|v| w.act.apply(v));
                new_h = &o * &act_c;
                new_c = Some(c_new);
                extra = Some(act_c);
            }
        }
        Kind::Gru { reset_after } => {
            for k in 0..2 {
                let mut term = recurrent_term(w, h, masks, k);
                if let Some(b) = w.recurrent_bias {
                    term += &b.slice(s![w.columns(k)]);
                }
                let mut gate = a.slice_mut(s![.., w.columns(k)]);
                gate += &term;
                gate.mapv_inplace(|v| w.rec.apply(v));
            }
            let r = part(&a, 1);
            let candidate_input = if reset_after {
                let mut q = recurrent_term(w, h, masks, 2);
                if let Some(b) = w.recurrent_bias {
                    q += &b.slice(s![w.columns(2)]);
                }
                let term = &r * &q;
                extra = Some(q);
                term
            } else {
                extra = None;
                let p = &r * &dropped(h.view(), mask_of(&masks.recurrent, 2));
                p.dot(&w.recurrent.slice(s![.., 2 * u..]))
            };
            let mut candidate = a.slice_mut(s![.., 2 * u..]);
            candidate += &candidate_input;
            candidate.mapv_inplace(|v| w.act.apply(v));
            let (z, candidate) = (part(&a, 0), part(&a, 2));
            new_h = &z * h + &(1.0 - &z) * &candidate;
            new_c = None;
        }
    }
    let cache = StepCache {
        h_prev: h.clone(),
        c_prev: c.cloned(),
        gates: a,
        extra,
    };
    (new_h, new_c, cache)
}

/// Runs the layer forward with the masks, recording every step. The input,
/// mask and initial states are checked by the caller.
pub(crate) fn forward(
    cell: FastCell<'_>,
    config: &RnnConfig,
    x: ArrayView3<f32>,
    args: CallArgs<'_>,
    masks: DropoutMasks,
) -> (RnnOutput, DroppedTape) {
    let w = Weights::of(cell);
    let (batch, time, _) = x.dim();
    let u = w.units;
    let zeros = || Array2::<f32>::zeros((batch, u));
    let initial = |k: usize| args.initial_state.map_or_else(zeros, |s| s[k].to_owned());
    let mut h = initial(0);
    let mut c = (w.kind == Kind::Lstm).then(|| initial(1));
    let mut output = zeros();
    let mut sequence = config
        .return_sequences
        .then(|| Array3::<f32>::zeros((batch, time, u)));
    let mut steps = Vec::with_capacity(time);
    for n in 0..time {
        let t = rnn::time_index(config.go_backwards, time, n);
        let (mut new_h, mut new_c, cache) =
            step(&w, x.slice(s![.., t, ..]), &h, c.as_ref(), &masks);
        match args.mask {
            Some(mask) => {
                for b in 0..batch {
                    if mask[[b, t]] {
                        output.row_mut(b).assign(&new_h.row(b));
                    } else {
                        new_h.row_mut(b).assign(&h.row(b));
                        if let (Some(new_c), Some(c)) = (&mut new_c, &c) {
                            new_c.row_mut(b).assign(&c.row(b));
                        }
                        if config.zero_output_for_mask {
                            output.row_mut(b).fill(0.0);
                        }
                    }
                }
            }
            None => output.assign(&new_h),
        }
        if let Some(seq) = &mut sequence {
            seq.index_axis_mut(Axis(1), n).assign(&output);
        }
        steps.push(cache);
        h = new_h;
        c = new_c;
    }
    let states = match c {
        Some(c) => vec![h, c],
        None => vec![h],
    };
    let out = RnnOutput {
        output: match sequence {
            Some(seq) => seq.into_dyn(),
            None => output.into_dyn(),
        },
        states: if config.return_state {
            states
        } else {
            Vec::new()
        },
    };
    let tape = DroppedTape {
        x: x.to_owned(),
        mask: args.mask.map(|m| m.to_owned()),
        masks,
        steps,
    };
    (out, tape)
}

/// `d * act'(y)`, written with the activation's output `y`.
fn times_derivative(d: &Array2<f32>, y: ArrayView2<f32>, act: Activation) -> Array2<f32> {
    let mut out = d.clone();
    Zip::from(&mut out)
        .and(y)
        .for_each(|o, &y| *o *= act.derivative_from_output(y));
    out
}

/// The weights' gradients, shaped like the cell's weights.
struct Grads<'g, 'a> {
    kernel: ndarray::ArrayViewMut2<'g, f32>,
    recurrent: ndarray::ArrayViewMut2<'g, f32>,
    bias: Option<&'g mut ArrayViewMutD<'a, f32>>,
}

impl Grads<'_, '_> {
    /// Adds `colsum(d)` to the bias columns of gate `k`: row `row` of a
    /// GRU's two-row bias, or the whole bias.
    fn add_bias(&mut self, cols: std::ops::Range<usize>, row: usize, d: &Array2<f32>) {
        if let Some(bias) = self.bias.as_deref_mut() {
            let sums = d.sum_axis(Axis(0));
            match bias.ndim() {
                1 => {
                    let mut part = bias.slice_mut(s![cols]);
                    part += &sums;
                }
                _ => {
                    let mut part = bias.slice_mut(s![row, cols]);
                    part += &sums;
                }
            }
        }
    }
}

/// One step backward: from the gradients of the new states, the gradients
/// of the previous states; adds the weights' gradients and the input's.
fn step_backward(
    w: &Weights<'_>,
    cache: &StepCache,
    x: ArrayView2<f32>,
    masks: &DropoutMasks,
    d_new: &[Array2<f32>],
    grads: &mut Grads<'_, '_>,
    d_x: &mut Array2<f32>,
) -> Vec<Array2<f32>> {
    let u = w.units;
    let gate = |k: usize| cache.gates.slice(s![.., k * u..(k + 1) * u]);
    let dh = &d_new[0];
    let mut dh_prev = Array2::<f32>::zeros(dh.raw_dim());
    let mut dc_prev = None;
    // The gradient of each gate's input pre-activation, and of its
    // recurrent term where that differs (a GRU's reset_after candidate).
    let mut d_input: Vec<Array2<f32>> = Vec::with_capacity(w.gates());
    let mut d_recurrent: Vec<Option<Array2<f32>>> = vec![None; w.gates()];
    match w.kind {
        Kind::Simple => d_input.push(times_derivative(dh, gate(0), w.act)),
        Kind::Lstm => {
            let act_c = cache.extra.as_ref().expect("LSTM keeps act(c)");
            let (i, f, g, o) = (gate(0), gate(1), gate(2), gate(3));
            let d_o = dh * act_c;
            let dc = &d_new[1] + &times_derivative(&(dh * &o), act_c.view(), w.act);
            let c_prev = cache.c_prev.as_ref().expect("LSTM keeps c");
            d_input.push(times_derivative(&(&dc * &g), i, w.rec));
            d_input.push(times_derivative(&(&dc * c_prev), f, w.rec));
            d_input.push(times_derivative(&(&dc * &i), g, w.act));
            d_input.push(times_derivative(&d_o, o, w.rec));
            dc_prev = Some(&dc * &f);
        }
        Kind::Gru { reset_after } => {
            let (z, r, candidate) = (gate(0), gate(1), gate(2));
            let dz = dh * &(&cache.h_prev - &candidate);
            dh_prev += &(dh * &z);
            let da = times_derivative(&(dh * &(1.0 - &z)), candidate, w.act);
            let dr = if reset_after {
                let q = cache.extra.as_ref().expect("reset_after keeps q");
                d_recurrent[2] = Some(&da * &r);
                &da * q
            } else {
                let hh = dropped(cache.h_prev.view(), mask_of(&masks.recurrent, 2));
                let p = &r * &hh;
                let u_h = w.recurrent.slice(s![.., 2 * u..]);
                let dp = da.dot(&u_h.t());
                grads
                    .recurrent
                    .slice_mut(s![.., 2 * u..])
                    .scaled_add(1.0, &p.t().dot(&da));
                dh_prev += &dropped((&dp * &r).view(), mask_of(&masks.recurrent, 2));
                &dp * &hh
            };
            d_input.push(times_derivative(&dz, z, w.rec));
            d_input.push(times_derivative(&dr, r, w.rec));
            d_input.push(da);
        }
    }
    let recurrent_products = match w.kind {
        Kind::Gru { reset_after: false } => 2,
        _ => w.gates(),
    };
    for (k, d_in) in d_input.iter().enumerate() {
        let cols = w.columns(k);
        let xk = dropped(x, mask_of(&masks.input, k));
        grads
            .kernel
            .slice_mut(s![.., cols.clone()])
            .scaled_add(1.0, &xk.t().dot(d_in));
        grads.add_bias(cols.clone(), 0, d_in);
        let dxk = d_in.dot(&w.kernel.slice(s![.., cols.clone()]).t());
        *d_x += &dropped(dxk.view(), mask_of(&masks.input, k));
        if k < recurrent_products {
            let d_rec = d_recurrent[k].as_ref().unwrap_or(d_in);
            let hk = dropped(cache.h_prev.view(), mask_of(&masks.recurrent, k));
            grads
                .recurrent
                .slice_mut(s![.., cols.clone()])
                .scaled_add(1.0, &hk.t().dot(d_rec));
            if w.recurrent_bias.is_some() {
                grads.add_bias(cols.clone(), 1, d_rec);
            }
            let dhk = d_rec.dot(&w.recurrent.slice(s![.., cols]).t());
            dh_prev += &dropped(dhk.view(), mask_of(&masks.recurrent, k));
        }
    }
    match dc_prev {
        Some(dc) => vec![dh_prev, dc],
        None => vec![dh_prev],
    }
}

/// Runs the time loop backward (the ordinary path's loop,
/// [`super::sequence::through_time`], with Keras's masks): returns the
/// weights' gradients, the input's, and the initial states'.
pub(crate) fn backward(
    cell: FastCell<'_>,
    config: &RnnConfig,
    tape: &DroppedTape,
    weight_shapes: &[Vec<usize>],
    d_output: &ndarray::ArrayD<f32>,
    mut d_state: Vec<Array2<f32>>,
) -> super::Gradients {
    let w = Weights::of(cell);
    let (batch, time, input_dim) = tape.x.dim();
    let mut weights: Vec<ndarray::ArrayD<f32>> = weight_shapes
        .iter()
        .map(|shape| ndarray::ArrayD::zeros(shape.as_slice()))
        .collect();
    let mut d_x = Array3::<f32>::zeros((batch, time, input_dim));
    {
        let mut views: Vec<ArrayViewMutD<f32>> = weights.iter_mut().map(|a| a.view_mut()).collect();
        let (first, rest) = views.split_at_mut(2);
        let (kernel, recurrent) = first.split_at_mut(1);
        let mut grads = Grads {
            kernel: kernel[0]
                .view_mut()
                .into_dimensionality::<Ix2>()
                .expect("kernel is 2-D"),
            recurrent: recurrent[0]
                .view_mut()
                .into_dimensionality::<Ix2>()
                .expect("recurrent kernel is 2-D"),
            bias: rest.first_mut(),
        };
        let mask = tape.mask.as_ref();
        d_state = through_time(config, mask, d_output, d_state, time, |n, t, d_new| {
            let mut d_xt = Array2::<f32>::zeros((batch, input_dim));
            let x_t = tape.x.slice(s![.., t, ..]);
            let d_prev = step_backward(
                &w,
                &tape.steps[n],
                x_t,
                &tape.masks,
                d_new,
                &mut grads,
                &mut d_xt,
            );
            d_x.slice_mut(s![.., t, ..]).assign(&d_xt);
            d_prev
        });
    }
    super::Gradients {
        weights,
        input: d_x.into_dyn(),
        initial_state: d_state,
    }
}
