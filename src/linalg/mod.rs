//! The matrix products the layers call, chosen in one place: ndarray's
//! GEMM for general products, and a packed-panel product with
//! hand-written AVX-512 and AVX2 kernels for the recurrent layers' hot loop.

mod buffers;
mod packed;
mod simd;

pub(crate) use buffers::Buffer;

pub(crate) use packed::{PANEL, PackCache, PackedMatrix};
pub use simd::Level;
pub(crate) use simd::{detected_level, level as simd_level, multiversion};

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, Axis};

/// `c = a · b`, or `c += a · b` when `accumulate` is set.
#[inline]
pub(crate) fn matmul_into(
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    mut c: ArrayViewMut2<f32>,
    accumulate: bool,
) {
    let beta = if accumulate { 1.0 } else { 0.0 };
    ndarray::linalg::general_mat_mul(1.0, &a, &b, beta, &mut c);
}

/// Adds `bias` to every row of `c`.
#[inline]
pub(crate) fn add_row(mut c: ArrayViewMut2<f32>, bias: ArrayView1<f32>) {
    for mut row in c.axis_iter_mut(Axis(0)) {
        row += &bias;
    }
}
