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
    /// backpropagation has it at hand. Not for softmax (its Jacobian is not
    /// diagonal; the training code handles it with the loss).
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
            Activation::Softmax => {
                unreachable!("softmax's derivative is taken over a whole row")
            }
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
