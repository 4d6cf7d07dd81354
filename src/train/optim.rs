//! Optimizers (Keras's SGD and Adam) and gradient clipping.

use ndarray::{ArrayD, ArrayViewMutD, Zip};

use crate::{Error, Result, show};

/// Updates weights from their gradients.
pub trait Optimizer {
    /// One update: `params[i]` moves against `grads[i]`.
    fn step(&mut self, params: &mut [ArrayViewMutD<'_, f32>], grads: &[ArrayD<f32>]) -> Result<()>;
}

fn check(
    params: &[ArrayViewMutD<'_, f32>],
    grads: &[ArrayD<f32>],
    slots: &mut Vec<ArrayD<f32>>,
    name: &str,
) -> Result<()> {
    if params.len() != grads.len() {
        return Err(Error::count(name, "gradients", params.len(), grads.len()));
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        if p.shape() != g.shape() {
            return Err(Error::shape(
                name,
                format!("gradient {i}"),
                show::shape(p.shape()),
                show::shape(g.shape()),
            ));
        }
    }
    if slots.is_empty() {
        *slots = params.iter().map(|p| ArrayD::zeros(p.raw_dim())).collect();
    } else if slots.len() != params.len()
        || slots
            .iter()
            .zip(params)
            .any(|(s, p)| s.shape() != p.shape())
    {
        return Err(Error::config(
            name,
            "the weights changed shape since the first step; use a new optimizer",
        ));
    }
    Ok(())
}

/// Keras's `SGD`: `v = momentum·v - lr·g;  w += v` (plain `w -= lr·g` without momentum).
#[derive(Clone, Debug)]
pub struct Sgd {
    pub learning_rate: f32,
    pub momentum: f32,
    velocity: Vec<ArrayD<f32>>,
}

impl Sgd {
    /// SGD with the given learning rate and no momentum.
    pub fn new(learning_rate: f32) -> Self {
        Sgd {
            learning_rate,
            momentum: 0.0,
            velocity: Vec::new(),
        }
    }

    /// The same with momentum.
    pub fn with_momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [ArrayViewMutD<'_, f32>], grads: &[ArrayD<f32>]) -> Result<()> {
        check(params, grads, &mut self.velocity, "SGD")?;
        let (lr, momentum) = (self.learning_rate, self.momentum);
        for ((p, g), v) in params.iter_mut().zip(grads).zip(&mut self.velocity) {
            Zip::from(p).and(g).and(v).for_each(|p, &g, v| {
                *v = momentum * *v - lr * g;
                *p += *v;
            });
        }
        Ok(())
    }
}

/// Keras's `Adam` (β₁ 0.9, β₂ 0.999, ε 1e-7):
///
/// ```text
/// m = β₁·m + (1 - β₁)·g        v = β₂·v + (1 - β₂)·g²
/// w -= lr · sqrt(1 - β₂ᵗ) / (1 - β₁ᵗ) · m / (sqrt(v) + ε)
/// ```
///
/// The hyperparameters are `f64`, as Keras keeps them as Python floats:
/// `1 - β₂` computed in float32 would be off by 1e-5 of itself.
#[derive(Clone, Debug)]
pub struct Adam {
    pub learning_rate: f32,
    pub beta_1: f64,
    pub beta_2: f64,
    pub epsilon: f64,
    steps: i32,
    m: Vec<ArrayD<f32>>,
    v: Vec<ArrayD<f32>>,
}

impl Adam {
    /// Adam with Keras's defaults and the given learning rate (Keras: 0.001).
    pub fn new(learning_rate: f32) -> Self {
        Adam {
            learning_rate,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            steps: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [ArrayViewMutD<'_, f32>], grads: &[ArrayD<f32>]) -> Result<()> {
        check(params, grads, &mut self.m, "Adam")?;
        check(params, grads, &mut self.v, "Adam")?;
        self.steps += 1;
        // As Keras: the powers in float32, the constants from the Python floats.
        let (b1, b2) = (self.beta_1 as f32, self.beta_2 as f32);
        let (keep_1, keep_2) = ((1.0 - self.beta_1) as f32, (1.0 - self.beta_2) as f32);
        let eps = self.epsilon as f32;
        let alpha =
            self.learning_rate * (1.0 - b2.powi(self.steps)).sqrt() / (1.0 - b1.powi(self.steps));
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            Zip::from(p).and(g).and(m).and(v).for_each(|p, &g, m, v| {
                *m += (g - *m) * keep_1;
                *v += (g * g - *v) * keep_2;
                *p -= (*m * alpha) / (v.sqrt() + eps);
            });
        }
        Ok(())
    }
}

/// Scales every gradient by `max_norm / norm` when their global norm (the
/// norm of all of them as one vector) is above `max_norm`, as Keras's
/// `global_clipnorm` does. Returns the norm before clipping. A negative
/// `max_norm` clips nothing, as in Keras, and so does a NaN one (`fit`
/// refuses both).
///
/// ```
/// use ndarray::{ArrayD, IxDyn};
/// use rnn_basics::train::clip_by_global_norm;
///
/// let mut grads = vec![ArrayD::from_elem(IxDyn(&[4]), 3.0f32)]; // norm 6
/// assert_eq!(clip_by_global_norm(&mut grads, 1.5), 6.0);
/// assert!(grads[0].iter().all(|g| (g - 0.75).abs() < 1e-6));
/// ```
pub fn clip_by_global_norm(grads: &mut [ArrayD<f32>], max_norm: f32) -> f32 {
    let norm = grads
        .iter()
        .flat_map(|g| g.iter())
        .map(|g| (g * g) as f64)
        .sum::<f64>()
        .sqrt() as f32;
    if norm > max_norm && max_norm >= 0.0 {
        let scale = max_norm / norm;
        for g in grads.iter_mut() {
            g.mapv_inplace(|v| v * scale);
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    #[test]
    fn clipping_scales_only_gradients_above_the_norm() {
        // Norm 5 (3, 4): below 10 it stays, above 2.5 it halves.
        let grads = || vec![ArrayD::from_shape_vec(IxDyn(&[2]), vec![3.0f32, 4.0]).unwrap()];
        let mut below = grads();
        assert_eq!(clip_by_global_norm(&mut below, 10.0), 5.0);
        assert_eq!(below, grads());
        let mut above = grads();
        assert_eq!(clip_by_global_norm(&mut above, 2.5), 5.0);
        assert_eq!(above[0].as_slice().unwrap(), &[1.5, 2.0]);
        // All zeros: nothing to scale, no NaN.
        let mut zeros = vec![ArrayD::<f32>::zeros(IxDyn(&[3]))];
        assert_eq!(clip_by_global_norm(&mut zeros, 0.0), 0.0);
        assert!(zeros[0].iter().all(|v| *v == 0.0));
    }

    #[test]
    fn a_zero_norm_zeroes_the_gradients_and_a_negative_one_clips_nothing() {
        // As Keras's clip_by_global_norm: a scale of 0, or of 1.
        let grads = || vec![ArrayD::from_shape_vec(IxDyn(&[2]), vec![3.0f32, 4.0]).unwrap()];
        let mut to_zero = grads();
        assert_eq!(clip_by_global_norm(&mut to_zero, 0.0), 5.0);
        assert_eq!(to_zero[0].as_slice().unwrap(), &[0.0, 0.0]);
        for max_norm in [-1.0, f32::NAN] {
            let mut kept = grads();
            assert_eq!(clip_by_global_norm(&mut kept, max_norm), 5.0);
            assert_eq!(kept, grads(), "max_norm {max_norm}");
        }
    }
}
