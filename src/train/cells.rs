//! One step backward, for each cell: backpropagation through one step of
//! the recurrence.
//!
//! A step is `new_states = recur(xw, states)` with `xw = x_t · kernel +
//! bias`. Given the gradients of the loss with respect to the new states,
//! [`CellBackward::recur_backward`] returns the gradients with respect to
//! `xw` and to the previous states, and adds the recurrent weights'
//! gradients to `grads`. The input projection is linear, so its backward
//! ([`CellBackward::project_backward`]) is three products.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, ArrayViewMutD, Axis, Ix2, Zip, s};

use super::fast::FastCell;
use crate::activation::Activation;
use crate::cell::{Cell, GruCell, LstmCell, SimpleRnnCell};

/// A cell that can run one step backward.
pub trait CellBackward: Cell {
    /// What the forward step keeps for the backward step.
    type Cache;

    /// The recurrence of one step, as [`Cell::recur`], keeping what the
    /// backward step needs.
    fn recur_cached(&self, xw: ArrayView2<f32>, states: &mut [Array2<f32>]) -> Self::Cache;

    /// One step backward. `d_new` holds the gradients with respect to the
    /// states this step produced; the gradient with respect to `xw` is
    /// written to `d_xw`, the recurrent weights' gradients are added to
    /// `grads` (shaped like [`Cell::weights`]), and the gradients with respect
    /// to the previous states are returned.
    fn recur_backward(
        &self,
        cache: &Self::Cache,
        d_new: &[Array2<f32>],
        d_xw: ArrayViewMut2<f32>,
        grads: &mut [ArrayViewMutD<f32>],
    ) -> Vec<Array2<f32>>;

    /// The cell as the fast training path knows it, if it does.
    #[doc(hidden)]
    fn fast_cell(&self) -> Option<FastCell<'_>> {
        None
    }

    /// The cell as one of this crate's three, for the paths that read its
    /// weights directly (recurrent dropout); `None` for any other cell.
    #[doc(hidden)]
    fn keras_cell(&self) -> Option<FastCell<'_>> {
        None
    }

    /// Backward of `xw = x · kernel + bias`: adds `xᵀ · d_xw` to the kernel's
    /// gradient and the column sums of `d_xw` to the input bias's, and
    /// returns `d_x = d_xw · kernelᵀ`.
    fn project_backward(
        &self,
        x: ArrayView2<f32>,
        d_xw: ArrayView2<f32>,
        grads: &mut [ArrayViewMutD<f32>],
    ) -> Array2<f32> {
        let mut d_kernel = grads[0]
            .view_mut()
            .into_dimensionality::<Ix2>()
            .expect("kernel is 2-D");
        ndarray::linalg::general_mat_mul(1.0, &x.t(), &d_xw, 1.0, &mut d_kernel);
        if self.input_bias().is_some() {
            let column_sums = d_xw.sum_axis(Axis(0));
            let bias = &mut grads[2];
            match bias.ndim() {
                1 => *bias += &column_sums,
                // GRU with reset_after: row 0 of the (2, 3·units) bias goes with the input.
                _ => {
                    let mut row = bias.index_axis_mut(Axis(0), 0);
                    row += &column_sums;
                }
            }
        }
        d_xw.dot(&self.kernel().t())
    }
}

/// How many numbers a step's cache holds.
pub trait TapeNumbers {
    fn numbers(&self) -> usize;
}

impl TapeNumbers for SimpleRnnCache {
    fn numbers(&self) -> usize {
        self.h_prev.len() + self.h.len()
    }
}

impl TapeNumbers for LstmCache {
    fn numbers(&self) -> usize {
        [
            &self.h_prev,
            &self.c_prev,
            &self.i,
            &self.f,
            &self.g,
            &self.o,
            &self.tanh_c,
        ]
        .iter()
        .map(|a| a.len())
        .sum()
    }
}

impl TapeNumbers for GruCache {
    fn numbers(&self) -> usize {
        [&self.h_prev, &self.z, &self.r, &self.candidate, &self.inner]
            .iter()
            .map(|a| a.len())
            .sum()
    }
}

/// `dU += h_prevᵀ · dz` for the recurrent kernel's gradient (or a slice of its columns).
fn add_outer(
    grad: &mut ArrayViewMutD<f32>,
    columns: std::ops::Range<usize>,
    h_prev: &Array2<f32>,
    dz: ArrayView2<f32>,
) {
    let mut g = grad
        .view_mut()
        .into_dimensionality::<Ix2>()
        .expect("recurrent kernel is 2-D");
    let mut g = g.slice_mut(s![.., columns]);
    ndarray::linalg::general_mat_mul(1.0, &h_prev.t(), &dz, 1.0, &mut g);
}

/// The derivative of `act` at every output `y`, times `d`.
fn times_derivative(d: &Array2<f32>, y: &Array2<f32>, act: Activation) -> Array2<f32> {
    let mut out = d.clone();
    Zip::from(&mut out)
        .and(y)
        .for_each(|o, &y| *o *= act.derivative_from_output(y));
    out
}

/// What a SimpleRNN step keeps: the previous and the new hidden state.
#[derive(Clone, Debug)]
pub struct SimpleRnnCache {
    h_prev: Array2<f32>,
    h: Array2<f32>,
}

impl CellBackward for SimpleRnnCell {
    type Cache = SimpleRnnCache;

    fn fast_cell(&self) -> Option<FastCell<'_>> {
        Some(FastCell::Simple(self))
    }

    fn keras_cell(&self) -> Option<FastCell<'_>> {
        Some(FastCell::Simple(self))
    }

    fn recur_cached(&self, xw: ArrayView2<f32>, states: &mut [Array2<f32>]) -> SimpleRnnCache {
        let h_prev = states[0].clone();
        self.recur(xw.to_owned().view_mut(), states, &mut ());
        SimpleRnnCache {
            h_prev,
            h: states[0].clone(),
        }
    }

    /// ```text
    /// h  = act(a),  a = xw + h_prev · U
    /// da = dh * act'(a)          (act' written with h: 1 - h² for tanh)
    /// d_xw = da,  dU += h_prevᵀ · da,  dh_prev = da · Uᵀ
    /// ```
    fn recur_backward(
        &self,
        cache: &SimpleRnnCache,
        d_new: &[Array2<f32>],
        mut d_xw: ArrayViewMut2<f32>,
        grads: &mut [ArrayViewMutD<f32>],
    ) -> Vec<Array2<f32>> {
        let da = times_derivative(&d_new[0], &cache.h, self.activation());
        add_outer(&mut grads[1], 0..self.units(), &cache.h_prev, da.view());
        let dh_prev = da.dot(&self.recurrent_kernel().t());
        d_xw.assign(&da);
        vec![dh_prev]
    }
}

/// What an LSTM step keeps: the previous states, the four gates and `tanh(c)`.
#[derive(Clone, Debug)]
pub struct LstmCache {
    h_prev: Array2<f32>,
    c_prev: Array2<f32>,
    i: Array2<f32>,
    f: Array2<f32>,
    g: Array2<f32>,
    o: Array2<f32>,
    tanh_c: Array2<f32>,
}

impl CellBackward for LstmCell {
    type Cache = LstmCache;

    fn fast_cell(&self) -> Option<FastCell<'_>> {
        Some(FastCell::Lstm(self))
    }

    fn keras_cell(&self) -> Option<FastCell<'_>> {
        Some(FastCell::Lstm(self))
    }

    fn recur_cached(&self, xw: ArrayView2<f32>, states: &mut [Array2<f32>]) -> LstmCache {
        let u = self.units();
        let (act, rec) = self.activations();
        let h_prev = states[0].clone();
        let c_prev = states[1].clone();
        let z = &xw + &h_prev.dot(self.recurrent_kernel());
        let gate =
            |k: usize, f: Activation| z.slice(s![.., k * u..(k + 1) * u]).mapv(|v| f.apply(v));
        let (i, f, g, o) = (gate(0, rec), gate(1, rec), gate(2, act), gate(3, rec));
        let c = &f * &c_prev + &i * &g;
        let tanh_c = c.mapv(|v| act.apply(v));
        states[0] = &o * &tanh_c;
        states[1] = c;
        LstmCache {
            h_prev,
            c_prev,
            i,
            f,
            g,
            o,
            tanh_c,
        }
    }

    /// ```text
    /// c = f * c_prev + i * g,   h = o * tanh(c)
    /// do = dh * tanh(c)
    /// dc = dc_next + dh * o * tanh'(c)
    /// di = dc * g,  df = dc * c_prev,  dg = dc * i,  dc_prev = dc * f
    /// dz = [di * σ'(i), df * σ'(f), dg * tanh'(g), do * σ'(o)]
    /// d_xw = dz,  dU += h_prevᵀ · dz,  dh_prev = dz · Uᵀ
    /// ```
    fn recur_backward(
        &self,
        cache: &LstmCache,
        d_new: &[Array2<f32>],
        mut d_xw: ArrayViewMut2<f32>,
        grads: &mut [ArrayViewMutD<f32>],
    ) -> Vec<Array2<f32>> {
        let u = self.units();
        let (act, rec) = self.activations();
        let (dh, dc_next) = (&d_new[0], &d_new[1]);
        let d_o = dh * &cache.tanh_c;
        let dc = dc_next + &times_derivative(&(dh * &cache.o), &cache.tanh_c, act);
        let di = &dc * &cache.g;
        let df = &dc * &cache.c_prev;
        let dg = &dc * &cache.i;
        let dc_prev = &dc * &cache.f;
        d_xw.slice_mut(s![.., 0..u])
            .assign(&times_derivative(&di, &cache.i, rec));
        d_xw.slice_mut(s![.., u..2 * u])
            .assign(&times_derivative(&df, &cache.f, rec));
        d_xw.slice_mut(s![.., 2 * u..3 * u])
            .assign(&times_derivative(&dg, &cache.g, act));
        d_xw.slice_mut(s![.., 3 * u..4 * u])
            .assign(&times_derivative(&d_o, &cache.o, rec));
        add_outer(&mut grads[1], 0..4 * u, &cache.h_prev, d_xw.view());
        let dh_prev = d_xw.dot(&self.recurrent_kernel().t());
        vec![dh_prev, dc_prev]
    }
}

/// What a GRU step keeps: the previous state, the gates, the candidate,
/// and the recurrent candidate term (`u_h` with `reset_after`, `r * h_prev` without).
#[derive(Clone, Debug)]
pub struct GruCache {
    h_prev: Array2<f32>,
    z: Array2<f32>,
    r: Array2<f32>,
    candidate: Array2<f32>,
    /// `h_prev · U_h + b1_h` with `reset_after`; `r * h_prev` without.
    inner: Array2<f32>,
}

impl CellBackward for GruCell {
    type Cache = GruCache;

    /// `reset_after` only: without it the step-by-step path runs.
    fn fast_cell(&self) -> Option<FastCell<'_>> {
        self.reset_after().then_some(FastCell::Gru(self))
    }

    fn keras_cell(&self) -> Option<FastCell<'_>> {
        Some(FastCell::Gru(self))
    }

    fn recur_cached(&self, xw: ArrayView2<f32>, states: &mut [Array2<f32>]) -> GruCache {
        let u = self.units();
        let (act, rec) = self.activations();
        let h_prev = states[0].clone();
        let kernel = self.recurrent_kernel();
        let x_part = |k: usize| xw.slice(s![.., k * u..(k + 1) * u]).to_owned();
        let (z, r, candidate, inner);
        if self.reset_after() {
            let mut uu = h_prev.dot(kernel);
            if let Some(b) = self.recurrent_bias() {
                uu += &b;
            }
            let part = |k: usize| uu.slice(s![.., k * u..(k + 1) * u]).to_owned();
            z = (x_part(0) + part(0)).mapv(|v| rec.apply(v));
            r = (x_part(1) + part(1)).mapv(|v| rec.apply(v));
            inner = part(2);
            candidate = (x_part(2) + &r * &inner).mapv(|v| act.apply(v));
        } else {
            let uzr = h_prev.dot(&kernel.slice(s![.., ..2 * u]));
            z = (x_part(0) + uzr.slice(s![.., ..u])).mapv(|v| rec.apply(v));
            r = (x_part(1) + uzr.slice(s![.., u..])).mapv(|v| rec.apply(v));
            inner = &r * &h_prev;
            candidate =
                (x_part(2) + inner.dot(&kernel.slice(s![.., 2 * u..]))).mapv(|v| act.apply(v));
        }
        states[0] = &z * &h_prev + &(1.0 - &z) * &candidate;
        GruCache {
            h_prev,
            z,
            r,
            candidate,
            inner,
        }
    }

    /// ```text
    /// h = z * h_prev + (1 - z) * h̃
    /// dz = dh * (h_prev - h̃),  dh̃ = dh * (1 - z),  dh_prev = dh * z
    /// da = dh̃ * tanh'(h̃)                       (h̃'s pre-activation)
    /// reset_after:  a = x_h + r * u_h
    ///     dr = da * u_h,  du_h = da * r
    /// reset_before: a = x_h + (r * h_prev) · U_h
    ///     d(r*h_prev) = da · U_hᵀ,  dU_h += (r*h_prev)ᵀ · da,
    ///     dr = d(r*h_prev) * h_prev,  dh_prev += d(r*h_prev) * r
    /// d_xw = [dz * σ'(z), dr * σ'(r), da];  the recurrent terms of z and r
    /// get the same gradients as their input terms.
    /// ```
    fn recur_backward(
        &self,
        cache: &GruCache,
        d_new: &[Array2<f32>],
        mut d_xw: ArrayViewMut2<f32>,
        grads: &mut [ArrayViewMutD<f32>],
    ) -> Vec<Array2<f32>> {
        let u = self.units();
        let (act, rec) = self.activations();
        let kernel = self.recurrent_kernel();
        let dh = &d_new[0];
        let dz = dh * &(&cache.h_prev - &cache.candidate);
        let d_candidate = dh * &(1.0 - &cache.z);
        let mut dh_prev = dh * &cache.z;
        let da = times_derivative(&d_candidate, &cache.candidate, act);
        let dr = if self.reset_after() {
            &da * &cache.inner
        } else {
            let d_rh = da.dot(&kernel.slice(s![.., 2 * u..]).t());
            add_outer(&mut grads[1], 2 * u..3 * u, &cache.inner, da.view());
            dh_prev += &(&d_rh * &cache.r);
            d_rh * &cache.h_prev
        };
        d_xw.slice_mut(s![.., 0..u])
            .assign(&times_derivative(&dz, &cache.z, rec));
        d_xw.slice_mut(s![.., u..2 * u])
            .assign(&times_derivative(&dr, &cache.r, rec));
        d_xw.slice_mut(s![.., 2 * u..3 * u]).assign(&da);
        if self.reset_after() {
            // The recurrent term: [dz', dr', da * r] for u = h_prev · U + b1.
            let mut du = d_xw.to_owned();
            du.slice_mut(s![.., 2 * u..]).assign(&(&da * &cache.r));
            add_outer(&mut grads[1], 0..3 * u, &cache.h_prev, du.view());
            if grads.len() > 2 {
                let mut row = grads[2].index_axis_mut(Axis(0), 1);
                row += &du.sum_axis(Axis(0));
            }
            dh_prev += &du.dot(&kernel.t());
        } else {
            let du = d_xw.slice(s![.., ..2 * u]);
            add_outer(&mut grads[1], 0..2 * u, &cache.h_prev, du);
            dh_prev += &du.dot(&kernel.slice(s![.., ..2 * u]).t());
        }
        vec![dh_prev]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init;

    /// A step's cache holds the previous state and, per cell, what its
    /// backward step reads: the new `h` (SimpleRNN); the previous `c`, the
    /// four gates and `tanh(c)` (LSTM); the gates `z` and `r`, the
    /// candidate and the recurrent part inside it (GRU, either form).
    #[test]
    fn a_step_cache_counts_its_numbers() {
        let (batch, features, units) = (3, 2, 4);
        let mut rng = init::rng(7);
        let state = || Array2::<f32>::zeros((batch, units));
        let xw = |gates: usize| Array2::<f32>::ones((batch, gates * units));
        let simple = SimpleRnnCell::new(units, features, &mut rng).unwrap();
        let cache = simple.recur_cached(xw(1).view(), &mut [state()]);
        assert_eq!(cache.numbers(), 2 * batch * units);
        let lstm = LstmCell::new(units, features, &mut rng).unwrap();
        let cache = lstm.recur_cached(xw(4).view(), &mut [state(), state()]);
        assert_eq!(cache.numbers(), 7 * batch * units);
        for reset_after in [true, false] {
            let gru = GruCell::new(units, features, &mut rng)
                .unwrap()
                .with_reset_after(reset_after);
            let cache = gru.recur_cached(xw(3).view(), &mut [state()]);
            assert_eq!(cache.numbers(), 5 * batch * units, "{reset_after}");
        }
    }
}
