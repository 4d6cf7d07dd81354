//! Seeded initializers, the ones Keras uses by default for recurrent layers.
//!
//! Every random draw in this crate goes through a [`Rng`] made by [`rng`]
//! from a seed, so a lesson prints the same numbers on every run.
//!
//! | Keras | here | used for |
//! | --- | --- | --- |
//! | `glorot_uniform` | [`glorot_uniform`] | `kernel` |
//! | `orthogonal` | [`orthogonal`] | `recurrent_kernel` |
//! | `zeros` | `Array::zeros` | `bias` |
//! | `unit_forget_bias=True` | [`unit_forget_bias`] | LSTM `bias` |
//!
//! ```
//! use rnn_basics::init;
//! let mut rng = init::rng(42);
//! let w = init::orthogonal(&mut rng, 3, 3);
//! // The columns of an orthogonal matrix are orthonormal: wᵀ·w = I.
//! let wtw = w.t().dot(&w);
//! for i in 0..3 {
//!     for j in 0..3 {
//!         let eye = if i == j { 1.0 } else { 0.0 };
//!         assert!((wtw[[i, j]] - eye).abs() < 1e-5);
//!     }
//! }
//! ```

use ndarray::{Array, Array1, Array2, Dimension, ShapeBuilder};
use ndarray_rand::RandomExt;
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand_distr::{StandardNormal, Uniform};

use crate::linalg::multiversion;
use crate::{Error, Result};

/// The random number generator every initializer takes.
pub type Rng = StdRng;

/// A generator started from `seed`: the same seed, the same numbers.
pub fn rng(seed: u64) -> Rng {
    StdRng::seed_from_u64(seed)
}

/// Numbers drawn uniformly from `[low, high)`; `low` must be below `high`,
/// both finite.
pub fn uniform<Sh: ShapeBuilder>(
    rng: &mut Rng,
    shape: Sh,
    low: f32,
    high: f32,
) -> Result<Array<f32, Sh::Dim>>
where
    Sh::Dim: Dimension,
{
    let dist = Uniform::new(low, high).map_err(|_| {
        Error::config(
            "uniform",
            format!("expected finite bounds with low < high, got low {low}, high {high}"),
        )
    })?;
    Ok(Array::random_using(shape, dist, rng))
}

/// Numbers drawn from the standard normal distribution.
pub fn normal<Sh: ShapeBuilder>(rng: &mut Rng, shape: Sh) -> Array<f32, Sh::Dim>
where
    Sh::Dim: Dimension,
{
    Array::<f64, _>::random_using(shape, StandardNormal, rng).mapv(|v| v as f32)
}

/// Keras's `glorot_uniform` for a `(fan_in, fan_out)` matrix: uniform in
/// `±sqrt(6 / (fan_in + fan_out))`.
pub fn glorot_uniform(rng: &mut Rng, fan_in: usize, fan_out: usize) -> Array2<f32> {
    if fan_in == 0 || fan_out == 0 {
        return Array2::zeros((fan_in, fan_out));
    }
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
    uniform(rng, (fan_in, fan_out), -limit, limit).expect("a positive, finite limit")
}

/// Keras's `orthogonal` for a `(rows, cols)` matrix (gain 1): the Q of the
/// QR decomposition of a normal matrix, its signs fixed by R's diagonal, so
/// that the rows or the columns (whichever are fewer) are orthonormal.
pub fn orthogonal(rng: &mut Rng, rows: usize, cols: usize) -> Array2<f32> {
    let (m, n) = (rows.max(cols), rows.min(cols));
    let a = Array::<f64, _>::random_using((m, n), StandardNormal, rng);
    let q = householder_q(a);
    let q = q.mapv(|v| v as f32);
    if rows < cols { q.reversed_axes() } else { q }
}

/// The LSTM bias Keras starts from with `unit_forget_bias=True`: zeros,
/// except ones for the forget gate (the second of the four blocks i, f, c, o).
pub fn unit_forget_bias(units: usize) -> Array1<f32> {
    let mut b = Array1::zeros(4 * units);
    b.slice_mut(ndarray::s![units..2 * units]).fill(1.0);
    b
}

/// The `(m, n)` Q factor (`m >= n`) of `a`, with each column's sign chosen so
/// that R's diagonal is positive, as Keras's `q * sign(diag(r))` does.
///
/// Householder reflections on columns kept contiguous, so that the inner
/// products and updates vectorize: a 512 × 2048 kernel takes a fraction of
/// a second.
fn householder_q(a: Array2<f64>) -> Array2<f64> {
    let (m, n) = a.dim();
    let mut cols: Vec<Vec<f64>> = (0..n).map(|j| a.column(j).to_vec()).collect();
    let mut reflectors: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut r_diag = Vec::with_capacity(n);
    for k in 0..n {
        let x = &cols[k][k..];
        let norm = dot(x, x).sqrt();
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let mut v = x.to_vec();
        v[0] -= alpha;
        let v_norm = dot(&v, &v).sqrt();
        if v_norm > 0.0 {
            v.iter_mut().for_each(|e| *e /= v_norm);
        }
        // H = I - 2vvᵀ on the trailing columns.
        for col in &mut cols[k..] {
            let d = dot(&v, &col[k..]);
            axpy(-2.0 * d, &v, &mut col[k..]);
        }
        r_diag.push(cols[k][k]);
        reflectors.push(v);
    }
    // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of I; H_k
    // leaves column j < k alone, which is still e_j below row k.
    let mut q: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let mut e = vec![0.0; m];
            e[j] = 1.0;
            e
        })
        .collect();
    for (k, v) in reflectors.iter().enumerate().rev() {
        for col in &mut q[k..] {
            let d = dot(v, &col[k..]);
            axpy(-2.0 * d, v, &mut col[k..]);
        }
    }
    Array2::from_shape_fn(
        (m, n),
        |(i, j)| if r_diag[j] < 0.0 { -q[j][i] } else { q[j][i] },
    )
}

multiversion! {
    /// `Σ a·b`
    fn dot_into(a: &[f64], b: &[f64], out: &mut f64) {
        // Eight partial sums, so that the loop vectorizes.
        let mut acc = [0.0f64; 8];
        let chunks = a.len() / 8;
        for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
            for i in 0..8 {
                acc[i] += ca[i] * cb[i];
            }
        }
        let mut total: f64 = acc.iter().sum();
        for i in chunks * 8..a.len() {
            total += a[i] * b[i];
        }
        *out = total;
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut out = 0.0;
    dot_into(a, b, &mut out);
    out
}

multiversion! {
    /// `y += alpha · x`
    fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y += alpha * x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_orthonormal_columns(q: &Array2<f32>) {
        let qtq = q.t().dot(q);
        for ((i, j), v) in qtq.indexed_iter() {
            let eye = if i == j { 1.0 } else { 0.0 };
            assert!((v - eye).abs() < 1e-5, "qᵀq[{i},{j}] = {v}");
        }
    }

    #[test]
    fn orthogonal_is_orthonormal_for_every_aspect() {
        let mut rng = rng(7);
        assert_orthonormal_columns(&orthogonal(&mut rng, 6, 6));
        assert_orthonormal_columns(&orthogonal(&mut rng, 8, 3));
        // A wide matrix (a recurrent kernel is (units, 4*units)) has orthonormal rows.
        let wide = orthogonal(&mut rng, 3, 12);
        assert_eq!(wide.dim(), (3, 12));
        assert_orthonormal_columns(&wide.t().to_owned());
    }

    #[test]
    fn orthogonal_r_diagonal_is_positive() {
        // With R's diagonal positive, qᵀa has a positive diagonal.
        let mut draw = rng(3);
        let a = Array::<f64, _>::random_using((5, 5), StandardNormal, &mut draw);
        let q = householder_q(a.clone());
        let r = q.t().dot(&a);
        for k in 0..5 {
            assert!(r[[k, k]] > 0.0);
        }
    }

    #[test]
    fn glorot_stays_within_its_limit_and_is_seeded() {
        let a = glorot_uniform(&mut rng(1), 4, 2);
        let limit = (6.0f32 / 6.0).sqrt();
        assert!(a.iter().all(|v| v.abs() <= limit));
        assert_eq!(a, glorot_uniform(&mut rng(1), 4, 2));
        assert_ne!(a, glorot_uniform(&mut rng(2), 4, 2));
    }

    #[test]
    fn forget_gate_bias_is_one() {
        let b = unit_forget_bias(2);
        assert_eq!(b.to_vec(), vec![0., 0., 1., 1., 0., 0., 0., 0.]);
    }
}
