//! Activation functions, by their Keras names.
//!
//! ```
//! use rnn_basics::activation::Activation;
//! let tanh = Activation::from_keras("tanh", "SimpleRNN")?;
//! assert_eq!(tanh.apply(0.0), 0.0);
//! assert!(Activation::from_keras("swishy", "SimpleRNN").is_err());
//! # Ok::<(), rnn_basics::Error>(())
//! ```

use ndarray::{ArrayViewMut, Axis, Dimension};

use crate::{Error, Result};

/// An activation function, named as Keras names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `x`
    Linear,
    /// `tanh(x)`
    Tanh,
    /// `1 / (1 + exp(-x))`
    Sigmoid,
    /// Keras 3's `hard_sigmoid`: `relu6(x + 3) / 6`.
    HardSigmoid,
    /// `max(x, 0)`
    Relu,
    /// `exp(x_i) / sum_j exp(x_j)` over the last axis (not element-wise).
    Softmax,
}

/// The names [`Activation::from_keras`] accepts.
pub const KERAS_NAMES: &[&str] = &[
    "linear",
    "tanh",
    "sigmoid",
    "hard_sigmoid",
    "relu",
    "softmax",
];

impl Activation {
    /// The activation Keras calls `name`; `layer` names who asked, for the error.
    pub fn from_keras(name: &str, layer: &str) -> Result<Self> {
        Ok(match name {
            "linear" | "None" => Activation::Linear,
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "hard_sigmoid" => Activation::HardSigmoid,
            "relu" => Activation::Relu,
            "softmax" => Activation::Softmax,
            _ => {
                return Err(Error::UnknownActivation {
                    layer: layer.to_string(),
                    name: name.to_string(),
                    expected: KERAS_NAMES.join(", "),
                });
            }
        })
    }

    /// The name Keras gives it.
    pub fn keras_name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::Relu => "relu",
            Activation::Softmax => "softmax",
        }
    }

    /// Whether it acts on each number alone (all but softmax).
    pub fn is_elementwise(self) -> bool {
        self != Activation::Softmax
    }

    /// The function at one number. Softmax of a single number is 1.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Linear => x,
            Activation::Tanh => tanh(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::HardSigmoid => ((x + 3.0).clamp(0.0, 6.0)) / 6.0,
            Activation::Relu => x.max(0.0),
            Activation::Softmax => {
                if x.is_nan() {
                    x
                } else {
                    1.0
                }
            }
        }
    }

    /// The derivative, written in terms of the output `y = f(x)`, as
    /// backpropagation has it at hand. For softmax, the diagonal of its
    /// Jacobian, `y·(1 - y)` (the whole Jacobian is not diagonal: the
    /// training code takes softmax's derivative over a whole row).
    #[inline]
    pub fn derivative_from_output(self, y: f32) -> f32 {
        match self {
            Activation::Linear => 1.0,
            Activation::Tanh => 1.0 - y * y,
            Activation::Sigmoid => y * (1.0 - y),
            Activation::HardSigmoid => {
                if y > 0.0 && y < 1.0 {
                    1.0 / 6.0
                } else {
                    0.0
                }
            }
            Activation::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Softmax => y * (1.0 - y),
        }
    }

    /// Applies the function in place; softmax acts along the last axis.
    pub fn apply_inplace<D: Dimension>(self, mut a: ArrayViewMut<f32, D>) {
        if self == Activation::Softmax && a.ndim() > 0 {
            let last = Axis(a.ndim() - 1);
            for mut row in a.lanes_mut(last) {
                match row.as_slice_mut() {
                    Some(slice) => softmax_inplace(slice),
                    None => {
                        let mut copy = row.to_vec();
                        softmax_inplace(&mut copy);
                        row.iter_mut().zip(copy).for_each(|(r, v)| *r = v);
                    }
                }
            }
        } else {
            a.mapv_inplace(|x| self.apply(x));
        }
    }
}

/// `tanh` exactly as TensorFlow computes it on a CPU: Eigen's float32
/// rational approximation (degree 9/8, the form without fused
/// multiply-add), within 4e-7 of the exact value. No branch and no libm
/// call, so a loop of it vectorizes; `tests/fixtures/tf_activations.npz`
/// checks it against TensorFlow number for number.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let x = x.clamp(-7.907_389_6, 7.907_389_6);
    let x2 = x * x;
    let mut p = 1.394_553_6e-8f32;
    p = p * x2 + 2.102_733_6e-5;
    p = p * x2 + 3.520_756_7e-3;
    p = p * x2 + 1.340_216_1e-1;
    let x3 = x2 * x;
    let mut q = 8.015_777e-7f32;
    q = q * x2 + 3.326_951_4e-4;
    q = q * x2 + 2.597_254_5e-2;
    q = q * x2 + 4.673_548_3e-1;
    q = q * x2 + 1.0;
    (x3 * p + x) / q
}

/// The logistic function `1 / (1 + exp(-x))` exactly as TensorFlow
/// computes it on a CPU (Eigen's float32 algorithm: `exp(x/2)` by range
/// reduction and a degree-5 polynomial, squared, then `e / (1 + e)`).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    let zero = x < -104.0;
    // Written so that a NaN stays a NaN (`f32::min` would drop it).
    let x = if x > 16.635_532 { 16.635_532 } else { x } * 0.5;
    // exp(x) = 2^m · exp(r), with ln 2 subtracted in two parts.
    // m = floor(v), by the float rounding trick (adding 1.5·2^23 rounds to
    // an integer): no libm call and no float-to-int cast, so the loop vectorizes.
    const ROUND: f32 = 12_582_912.0;
    let v = x * std::f32::consts::LOG2_E + 0.5;
    let rounded = (v + ROUND) - ROUND;
    let m = if rounded > v { rounded - 1.0 } else { rounded };
    let r = m * -0.693_359_4 + x;
    let r = m * 2.121_944_4e-4 + r;
    let r2 = r * r;
    let p_even = r2 * 4.189_866_8e-2 + 0.499_991_42;
    let p_odd = r2 * 8.334_713e-3 + 0.166_668_77;
    let p = r * p_odd + p_even;
    let p = r2 * p + (r + 1.0);
    // 2^m from its exponent bits; m + 1.5·2^23 holds m in its low bits.
    let m_bits = (m.clamp(-126.0, 127.0) + ROUND).to_bits();
    let scale = f32::from_bits((m_bits.wrapping_sub(ROUND.to_bits()).wrapping_add(127)) << 23);
    let e = p * scale;
    let e = e * e;
    if zero { 0.0 } else { e / (1.0 + e) }
}

/// [`sigmoid`] and [`tanh`] on 16 numbers at a time, for the gate passes
/// on CPUs with AVX-512. They give the same bits as the scalar functions:
/// the same operations in the same order, with one instruction each where
/// the scalar code spells out a floor (`vrndscaleps`) and a product by
/// `2^m` (`vscalefps`), and two shortcuts in sigmoid that provably round
/// as the scalar steps do. The tests check them on a million inputs spread
/// over every float; all 2^32 were checked once by hand.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    use std::arch::x86_64::*;

    macro_rules! splat {
        ($v:expr) => {
            _mm512_set1_ps($v)
        };
    }

    /// `acc · x2 + c`, one step of Horner's rule, rounded twice.
    macro_rules! horner {
        ($acc:expr, $x2:expr, $c:expr) => {
            _mm512_add_ps(_mm512_mul_ps($acc, $x2), splat!($c))
        };
    }

    /// [`super::sigmoid`] of each lane.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX-512F.
    #[inline(always)]
    pub(crate) unsafe fn sigmoid16(x: __m512) -> __m512 {
        // SAFETY: the caller's CPU has AVX-512F.
        unsafe {
            // Lanes below -104 give 0; a NaN is kept (unordered compares true).
            let keep = _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(x, splat!(-104.0));
            // `min` returns its second operand when either is NaN.
            let clamped = _mm512_min_ps(splat!(16.635_532), x);
            let x = _mm512_mul_ps(clamped, splat!(0.5));
            // Two ways to a shorter chain of dependent steps, each with the
            // scalar bits. (x·0.5)·log2(e) is x·(log2(e)/2) wherever x·0.5
            // is exact, and where it is not (|x| < 2^-125) v rounds to 0.5
            // either way. m·-0.693359375 is exact (m a small integer, the
            // constant 355/512), so adding x to it in one fused
            // multiply-add rounds once, as the add alone does.
            let v = _mm512_add_ps(
                _mm512_mul_ps(clamped, splat!(std::f32::consts::LOG2_E / 2.0)),
                splat!(0.5),
            );
            let m = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(v);
            let r = _mm512_fmadd_ps(m, splat!(-0.693_359_4), x);
            let r = _mm512_add_ps(_mm512_mul_ps(m, splat!(2.121_944_4e-4)), r);
            let r2 = _mm512_mul_ps(r, r);
            let p_even = horner!(splat!(4.189_866_8e-2), r2, 0.499_991_42);
            let p_odd = horner!(splat!(8.334_713e-3), r2, 0.166_668_77);
            let p = _mm512_add_ps(_mm512_mul_ps(r, p_odd), p_even);
            let p = _mm512_add_ps(_mm512_mul_ps(r2, p), _mm512_add_ps(r, splat!(1.0)));
            let e = _mm512_scalef_ps(p, m);
            let e = _mm512_mul_ps(e, e);
            _mm512_maskz_div_ps(keep, e, _mm512_add_ps(splat!(1.0), e))
        }
    }

    /// [`super::tanh`] of each lane.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX-512F.
    #[inline(always)]
    pub(crate) unsafe fn tanh16(x: __m512) -> __m512 {
        // SAFETY: the caller's CPU has AVX-512F.
        unsafe {
            let x = _mm512_max_ps(splat!(-7.907_389_6), x);
            let x = _mm512_min_ps(splat!(7.907_389_6), x);
            let x2 = _mm512_mul_ps(x, x);
            let p = horner!(splat!(1.394_553_6e-8), x2, 2.102_733_6e-5);
            let p = horner!(p, x2, 3.520_756_7e-3);
            let p = horner!(p, x2, 1.340_216_1e-1);
            let x3 = _mm512_mul_ps(x2, x);
            let q = horner!(splat!(8.015_777e-7), x2, 3.326_951_4e-4);
            let q = horner!(q, x2, 2.597_254_5e-2);
            let q = horner!(q, x2, 4.673_548_3e-1);
            let q = horner!(q, x2, 1.0);
            _mm512_div_ps(_mm512_add_ps(_mm512_mul_ps(x3, p), x), q)
        }
    }
}

/// Softmax of one row in place, shifted by the row's maximum so that large
/// inputs do not overflow.
pub fn softmax_inplace(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn saturating_inputs_stay_finite() {
        for x in [-1e4f32, -1000.0, 1000.0, 1e4] {
            for act in [
                Activation::Tanh,
                Activation::Sigmoid,
                Activation::HardSigmoid,
            ] {
                assert!(act.apply(x).is_finite(), "{act:?}({x})");
            }
        }
        let mut row = array![[1000.0f32, -1000.0, 999.0]];
        Activation::Softmax.apply_inplace(row.view_mut());
        assert!(row.iter().all(|v| v.is_finite()));
        assert!((row.sum() - 1.0).abs() < 1e-6);
    }

    /// Every float a 4093rd of the way apart, the edges of each function's
    /// ranges and their neighbours, and a fine grid over the inputs that matter.
    fn inputs_over_every_float() -> Vec<f32> {
        let mut xs: Vec<f32> = (0..1u32 << 20)
            .map(|i| f32::from_bits(i.wrapping_mul(4093)))
            .collect();
        for edge in [
            0.0f32,
            -104.0,
            16.635_532,
            7.907_389_6,
            f32::MAX,
            f32::MIN_POSITIVE,
        ] {
            for x in [edge, -edge] {
                xs.extend([x.next_down(), x, x.next_up()]);
            }
        }
        xs.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
        xs.extend((-120 * 1024..20 * 1024).map(|i| i as f32 / 1024.0));
        xs
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx512_functions_give_the_scalar_bits() {
        use std::arch::x86_64::*;
        if !std::arch::is_x86_feature_detected!("avx512f") {
            eprintln!("no AVX-512 on this CPU: nothing to compare");
            return;
        }
        #[target_feature(enable = "avx512f")]
        fn both(x: &[f32; 16]) -> ([f32; 16], [f32; 16]) {
            let (mut s, mut t) = ([0.0; 16], [0.0; 16]);
            // SAFETY: 16 numbers each; the CPU has AVX-512F (checked above).
            unsafe {
                let v = _mm512_loadu_ps(x.as_ptr());
                _mm512_storeu_ps(s.as_mut_ptr(), avx512::sigmoid16(v));
                _mm512_storeu_ps(t.as_mut_ptr(), avx512::tanh16(v));
            }
            (s, t)
        }
        let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for xs in inputs_over_every_float().chunks(16) {
            let mut lanes = [0.0f32; 16];
            lanes[..xs.len()].copy_from_slice(xs);
            // SAFETY: the CPU has AVX-512F (checked above).
            let (s, t) = unsafe { both(&lanes) };
            for (i, &x) in lanes.iter().enumerate() {
                assert!(
                    same(s[i], sigmoid(x)),
                    "sigmoid({x:e}): {:e} vs {:e}",
                    s[i],
                    sigmoid(x)
                );
                assert!(
                    same(t[i], tanh(x)),
                    "tanh({x:e}): {:e} vs {:e}",
                    t[i],
                    tanh(x)
                );
            }
        }
    }

    #[test]
    fn softmax_acts_on_the_last_axis() {
        let mut a = array![[[0.0f32, 0.0], [1.0, 1.0]]];
        Activation::Softmax.apply_inplace(a.view_mut());
        assert_eq!(a, array![[[0.5f32, 0.5], [0.5, 0.5]]]);
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_known_ones() {
        let e = Activation::from_keras("swish", "Dense").unwrap_err();
        assert!(e.to_string().contains("\"swish\""), "{e}");
        assert!(e.to_string().contains("tanh"), "{e}");
    }
}
