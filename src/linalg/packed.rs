//! A matrix product for the recurrent layers' shape of work: one weight
//! matrix multiplied from the left by many small row blocks (a batch at
//! every time step). The weights are packed once into column panels, so
//! that each step streams them instead of repacking them as a general GEMM
//! would on every call.

use ndarray::ArrayView2;

use super::buffers::Buffer;
use super::simd::{self, Layout, Level, Start};

/// Columns in one panel: two AVX-512 registers, four AVX2 ones.
pub(crate) const PANEL: usize = 32;

/// `B (k × n)` laid out as `ceil(n / 32)` panels of `k × 32` numbers,
/// row after row, the last panel padded with zeros.
#[derive(Clone, Debug)]
pub(crate) struct PackedMatrix {
    k: usize,
    n: usize,
    panels: Buffer,
    /// No infinity or NaN in B, so that `0 · B` is all zeros.
    finite: std::sync::OnceLock<bool>,
}

impl PackedMatrix {
    /// Packs `b`, whatever its strides (rows or columns one after
    /// another, as a matrix or its transpose is, go fastest).
    pub(crate) fn pack(b: ArrayView2<f32>) -> Self {
        let (k, n) = b.dim();
        let count = n.div_ceil(PANEL);
        // Every number is written below but the last panel's padding, which is zeros.
        let mut panels = if n % PANEL == 0 {
            Buffer::uninit(count * k * PANEL)
        } else {
            Buffer::zeroed(count * k * PANEL)
        };
        let panel_len = k * PANEL;
        if let Some(first) = (k > 0).then(|| b.row(0)).filter(|r| r.as_slice().is_some()) {
            debug_assert_eq!(first.len(), n);
            // Rows in order: each row's numbers go to the panels in runs of 32.
            for (p, row) in b.rows().into_iter().enumerate() {
                let row = row.as_slice().expect("rows in order, as the first");
                for (j, run) in row.chunks(PANEL).enumerate() {
                    panels[j * panel_len + p * PANEL..][..run.len()].copy_from_slice(run);
                }
            }
        } else if let Some(first) = (n > 0)
            .then(|| b.column(0))
            .filter(|c| c.as_slice().is_some())
        {
            debug_assert_eq!(first.len(), k);
            // Columns in order (a transpose): column c fills one slot of its panel's rows.
            for (c, column) in b.columns().into_iter().enumerate() {
                let column = column.as_slice().expect("columns in order, as the first");
                let panel = &mut panels[(c / PANEL) * panel_len..][..panel_len];
                for (slot, v) in panel.iter_mut().skip(c % PANEL).step_by(PANEL).zip(column) {
                    *slot = *v;
                }
            }
        } else if k > 0 {
            // Any other strides, number by number (a matrix without rows has none).
            for (j, panel) in panels.chunks_exact_mut(panel_len).enumerate() {
                let from = j * PANEL;
                let width = PANEL.min(n - from);
                for (p, row) in panel.chunks_exact_mut(PANEL).enumerate() {
                    for (c, v) in row[..width].iter_mut().enumerate() {
                        *v = b[[p, from + c]];
                    }
                }
            }
        }
        PackedMatrix {
            k,
            n,
            panels,
            finite: std::sync::OnceLock::new(),
        }
    }

    /// B (`k × n`) from panels laid out as [`PackedMatrix::pack`] lays
    /// them: `ceil(n / 32)` panels of `k × 32` numbers, the last padded
    /// with zeros.
    pub(crate) fn from_panels(k: usize, n: usize, panels: Buffer) -> Self {
        assert_eq!(
            panels.len(),
            n.div_ceil(PANEL) * k * PANEL,
            "k × n in panels"
        );
        PackedMatrix {
            k,
            n,
            panels,
            finite: std::sync::OnceLock::new(),
        }
    }

    /// No infinity or NaN in B (the padding is zeros, so the panels are
    /// finite exactly when B is); found out the first time it is asked.
    fn finite(&self) -> bool {
        *self
            .finite
            .get_or_init(|| self.panels.iter().all(|v| v.is_finite()))
    }

    /// `C = A · B` (or `C += A · B` with `accumulate`), `A` being `m` rows of
    /// `k` numbers `lda` apart and `C` `m` rows of `n` numbers `ldc` apart.
    pub(crate) fn matmul(
        &self,
        a: &[f32],
        lda: usize,
        m: usize,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        self.product(a, lda, Layout::Rows, m, c, ldc, Start::adding(accumulate));
    }

    /// `C = Aᵀ · B` (or `C += Aᵀ · B`), `A` being `k` rows of `m` numbers
    /// `lda` apart: a product with a transpose, without a copy of it.
    pub(crate) fn matmul_transposed(
        &self,
        a: &[f32],
        lda: usize,
        m: usize,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        self.product(
            a,
            lda,
            Layout::Columns,
            m,
            c,
            ldc,
            Start::adding(accumulate),
        );
    }

    /// `C = bias + A · B`: the bias row `(n,)` added to every row.
    pub(crate) fn matmul_bias(
        &self,
        a: &[f32],
        lda: usize,
        m: usize,
        c: &mut [f32],
        ldc: usize,
        bias: &[f32],
    ) {
        assert_eq!(bias.len(), self.n, "one bias a column");
        self.product(a, lda, Layout::Rows, m, c, ldc, Start::Bias(bias));
    }

    #[allow(clippy::too_many_arguments)]
    fn product(
        &self,
        a: &[f32],
        lda: usize,
        layout: Layout,
        m: usize,
        c: &mut [f32],
        ldc: usize,
        start: Start<'_>,
    ) {
        let (k, n) = (self.k, self.n);
        if m == 0 || n == 0 {
            return;
        }
        // A's lines (its rows, or with Layout::Columns its columns): how
        // many, and how long.
        let (lines, line) = match layout {
            Layout::Rows => (m, k),
            Layout::Columns => (k, m),
        };
        assert!(lda >= line && ldc >= n, "strides shorter than the rows");
        assert!(
            lines == 0 || a.len() >= (lines - 1) * lda + line,
            "A is too short"
        );
        assert!(c.len() >= (m - 1) * ldc + n, "C is too short");
        // A all zeros (a recurrence's first step from the zero state): the
        // kernels would sum products of ±0 onto +0, which gives +0, so the
        // same bits come from adding +0 directly. (Onto a bias, a zero sum's
        // sign would depend on the products, so that case runs as usual.)
        let zero_a =
            || (0..lines).all(|r| a[r * lda..][..line].iter().all(|v| *v == 0.0)) && self.finite();
        let c_rows = c.chunks_mut(ldc).take(m).map(|row| &mut row[..n]);
        match start {
            Start::Zero if zero_a() => return c_rows.for_each(|row| row.fill(0.0)),
            Start::Accumulate if zero_a() => return c_rows.flatten().for_each(|v| *v += 0.0),
            _ => {}
        }
        let level = simd::level();
        let mr = level.rows_per_kernel();
        // Row blocks whose A stays in the L2 cache while every panel passes.
        let block = (mr * (65_536 / (k.max(1) * mr)).max(1)).min(m.next_multiple_of(mr));
        // Whole panels go to a kernel in groups that stay in the L2 cache
        // while each kernel's rows pass over them; a narrower last panel goes alone.
        let panel_len = k * PANEL;
        let whole = n / PANEL;
        let group = (GROUP_NUMBERS / panel_len.max(1)).clamp(1, whole.max(1));
        // A by columns spanning more than 128 KiB (32 pages, about what the
        // first-level TLB holds): a block's rows are first copied, column by
        // column, `ld` numbers apart, an odd number of cache lines, so that
        // the kernels' passes over them touch few pages and many cache sets.
        let gather = layout == Layout::Columns && k * lda > 32_768;
        let ld = (block.div_ceil(16) | 1) * 16;
        let mut gathered = Buffer::uninit(if gather { ld * k } else { 0 });
        for row0 in (0..m).step_by(block) {
            let rows = block.min(m - row0);
            // Kernels of nearly equal height: 16 rows as 8 + 8, not 12 + 4.
            let kernels = rows.div_ceil(mr);
            let kernel_rows = (0..kernels).map(|i| {
                let r = row0 + i * rows / kernels;
                (r, row0 + (i + 1) * rows / kernels - r)
            });
            if gather {
                for p in 0..k {
                    gathered[p * ld..][..rows].copy_from_slice(&a[p * lda + row0..][..rows]);
                }
            }
            // Where a kernel's rows of A start, and how far apart its lines are.
            let a_at = |r: usize| match layout {
                Layout::Rows => (a[r * lda..].as_ptr(), lda),
                Layout::Columns if gather => (gathered[r - row0..].as_ptr(), ld),
                Layout::Columns => (a[r..].as_ptr(), lda),
            };
            for first in (0..whole).step_by(group) {
                let count = group.min(whole - first);
                let col0 = first * PANEL;
                for (r, take) in kernel_rows.clone() {
                    let (a, lda) = a_at(r);
                    // SAFETY: the asserts above bound every row and column read
                    // and written: `take` rows from `r`, `count` panels from `col0`.
                    unsafe {
                        simd::panels(
                            level,
                            k,
                            a,
                            lda,
                            layout,
                            self.panels.as_ptr().add(first * panel_len),
                            count,
                            c.as_mut_ptr().add(r * ldc + col0),
                            ldc,
                            take,
                            start.at_column(col0),
                        );
                    }
                }
            }
            let col0 = whole * PANEL;
            if col0 < n {
                for (r, take) in kernel_rows {
                    let (a, lda) = a_at(r);
                    // SAFETY: as above, with the last `n - col0` columns.
                    unsafe {
                        simd::narrow_panel(
                            level,
                            k,
                            a,
                            lda,
                            layout,
                            self.panels.as_ptr().add(whole * panel_len),
                            c.as_mut_ptr().add(r * ldc + col0),
                            ldc,
                            take,
                            n - col0,
                            start.at_column(col0),
                        );
                    }
                }
            }
        }
    }
}

/// Numbers of packed panels one kernel call passes over (256 KiB).
const GROUP_NUMBERS: usize = 65_536;

impl Level {
    fn rows_per_kernel(self) -> usize {
        match self {
            Level::Avx512 => 12,
            Level::Avx2 => 3,
            Level::Portable => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::max_diff;
    use ndarray::{Array2, s};

    fn reference(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f32> {
        a.dot(b)
    }

    #[test]
    fn agrees_with_ndarray_on_awkward_shapes() {
        let mut rng = crate::init::rng(5);
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 2),
            (13, 7, 33),
            (25, 64, 96),
            (64, 130, 70),
            (7, 1, 65),
            (40, 300, 31),
            // Panels in groups of 2, the last group short, then a narrow panel.
            (9, 1000, 167),
            // Panels one at a time.
            (13, 2100, 100),
        ] {
            let a = crate::init::normal(&mut rng, (m, k));
            let b = crate::init::normal(&mut rng, (k, n));
            // Rounding errors of sums of k products grow with k.
            let tol = 1e-4 * (k as f32 / 300.0).max(1.0);
            let bias = crate::init::normal(&mut rng, (1, n));
            let want = reference(&a, &b);
            let packed = PackedMatrix::pack(b.view());
            let (xs, bs) = (a.as_slice().unwrap(), bias.as_slice().unwrap());
            // At every SIMD level this CPU has: within `tol` of ndarray, and
            // the same bits at every level.
            let mut first: Option<Vec<Array2<f32>>> = None;
            for level in crate::testing::simd_levels() {
                let results = crate::testing::with_settings(level, 1, || {
                    // NaN wherever the product fails to write.
                    let mut c = Array2::<f32>::from_elem((m, n), f32::NAN);
                    packed.matmul(xs, k, m, c.as_slice_mut().unwrap(), n, false);
                    let plain = c.clone();
                    // Accumulating adds to what C holds.
                    packed.matmul(xs, k, m, c.as_slice_mut().unwrap(), n, true);
                    let accumulated = c.clone();
                    // A bias starts every row, each panel's part of it in its columns.
                    packed.matmul_bias(xs, k, m, c.as_slice_mut().unwrap(), n, bs);
                    vec![plain, accumulated, c]
                })
                .unwrap();
                let worst = max_diff(&results[0], &want);
                assert!(worst < tol, "{m}x{k}x{n} at {level:?}: {worst}");
                let worst = max_diff(&results[1], &(&want * 2.0));
                assert!(
                    worst < 2.0 * tol,
                    "{m}x{k}x{n} accumulated at {level:?}: {worst}"
                );
                let worst = max_diff(&results[2], &(&want + &bias));
                assert!(worst < tol, "{m}x{k}x{n} with a bias at {level:?}: {worst}");
                match &first {
                    None => first = Some(results),
                    Some(first) => {
                        let bits =
                            |a: &Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                        for (x, y) in first.iter().zip(&results) {
                            assert_eq!(bits(x), bits(y), "{m}x{k}x{n} at {level:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_zero_a_gives_the_bits_the_kernels_give() {
        let mut rng = crate::init::rng(8);
        let (m, k, n) = (5, 7, 40);
        let a = Array2::from_shape_fn((m, k), |(r, p)| if (r + p) % 3 == 0 { -0.0 } else { 0.0 });
        let b = crate::init::normal(&mut rng, (k, n));
        let skipping = PackedMatrix::pack(b.view());
        let mut computing = skipping.clone();
        computing.finite = std::sync::OnceLock::from(false);
        let start_c = Array2::from_shape_fn((m, n), |(r, j)| match (r + j) % 4 {
            0 => -0.0,
            1 => 0.0,
            2 => f32::NAN,
            _ => r as f32 - j as f32,
        });
        let bits = |c: &Array2<f32>| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for accumulate in [false, true] {
            let run = |packed: &PackedMatrix| {
                let mut c = start_c.clone();
                let a = a.as_slice().unwrap();
                packed.matmul(a, k, m, c.as_slice_mut().unwrap(), n, accumulate);
                c
            };
            let (skipped, computed) = (run(&skipping), run(&computing));
            assert_eq!(bits(&skipped), bits(&computed), "accumulate: {accumulate}");
            // -0 became +0 where C was added to; NaN stayed.
            assert_eq!(skipped[[0, 0]].to_bits(), 0);
            assert!(!accumulate || skipped[[0, 2]].is_nan());
        }
        // An infinity in B makes 0 · B a NaN: no shortcut then.
        let mut b = b;
        b[[3, 5]] = f32::INFINITY;
        let mut c = Array2::<f32>::zeros((m, n));
        let a = a.as_slice().unwrap();
        PackedMatrix::pack(b.view()).matmul(a, k, m, c.as_slice_mut().unwrap(), n, true);
        assert!(c.column(5).iter().all(|v| v.is_nan()));
        assert!(c.column(4).iter().all(|v| *v == 0.0));
    }

    #[test]
    fn a_product_with_a_transpose_gives_the_bits_of_the_product_with_its_copy() {
        let mut rng = crate::init::rng(9);
        let bits = |c: &Array2<f32>| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for &(m, k, n, lda) in &[
            (1, 1, 1, 1),
            (13, 7, 33, 20),
            (40, 300, 70, 41),
            // Columns spanning more than 128 KiB: each row block is gathered first.
            (250, 600, 45, 257),
            (129, 260, 96, 129),
        ] {
            // A's transpose: k rows of m numbers, lda apart.
            let a_t = crate::init::normal(&mut rng, (k, lda));
            let a = a_t.slice(s![.., ..m]).t().as_standard_layout().into_owned();
            let b = crate::init::normal(&mut rng, (k, n));
            let packed = PackedMatrix::pack(b.view());
            let start = crate::init::normal(&mut rng, (m, n));
            for level in crate::testing::simd_levels() {
                for accumulate in [false, true] {
                    let run = |transposed: bool| {
                        crate::testing::with_settings(level, 1, || {
                            // NaN wherever the product fails to write.
                            let mut c = if accumulate {
                                start.clone()
                            } else {
                                Array2::from_elem((m, n), f32::NAN)
                            };
                            let c_slice = c.as_slice_mut().unwrap();
                            if transposed {
                                let a_t = a_t.as_slice().unwrap();
                                packed.matmul_transposed(a_t, lda, m, c_slice, n, accumulate);
                            } else {
                                let a = a.as_slice().unwrap();
                                packed.matmul(a, k, m, c_slice, n, accumulate);
                            }
                            c
                        })
                        .unwrap()
                    };
                    let (got, want) = (run(true), run(false));
                    assert!(got.iter().all(|v| v.is_finite()), "{m}x{k}x{n}");
                    assert_eq!(bits(&got), bits(&want), "{m}x{k}x{n} at {level:?}");
                }
            }
        }
    }

    #[test]
    fn panels_packed_elsewhere_multiply_as_packed_here() {
        let mut rng = crate::init::rng(10);
        let (m, k, n) = (6, 11, 45);
        let a = crate::init::normal(&mut rng, (m, k));
        let b = crate::init::normal(&mut rng, (k, n));
        let packed = PackedMatrix::pack(b.view());
        let copy = PackedMatrix::from_panels(k, n, packed.panels.clone());
        let product = |p: &PackedMatrix| {
            let mut c = Array2::<f32>::from_elem((m, n), f32::NAN);
            p.matmul(
                a.as_slice().unwrap(),
                k,
                m,
                c.as_slice_mut().unwrap(),
                n,
                false,
            );
            c
        };
        let worst = max_diff(&product(&copy), &reference(&a, &b));
        assert!(worst < 1e-4, "{worst}");
    }

    #[test]
    fn a_matrix_of_any_strides_packs_as_its_copy() {
        let mut rng = crate::init::rng(11);
        let wide = crate::init::normal(&mut rng, (7, 90));
        // Neither rows nor columns in order: every other column.
        let strided = wide.slice(s![.., ..;2]);
        assert!(strided.row(0).as_slice().is_none() && strided.column(0).as_slice().is_none());
        let copy = strided.to_owned();
        assert_eq!(
            PackedMatrix::pack(strided).panels.to_vec(),
            PackedMatrix::pack(copy.view()).panels.to_vec()
        );
    }

    #[test]
    fn the_last_panels_padding_is_zeros() {
        // The kernels read whole panels, so the padding must be zeros, not
        // whatever a fresh buffer holds (NaN in debug builds).
        let k = 3;
        for n in [1, 5, 31, 32, 33, 70] {
            let packed = PackedMatrix::pack(Array2::from_elem((k, n), 2.0).view());
            let last = &packed.panels[(n.div_ceil(PANEL) - 1) * k * PANEL..];
            let used = n - (n.div_ceil(PANEL) - 1) * PANEL;
            for row in last.chunks_exact(PANEL) {
                assert!(row[..used].iter().all(|v| *v == 2.0), "n = {n}");
                assert!(row[used..].iter().all(|v| *v == 0.0), "n = {n}: {row:?}");
            }
        }
    }

    #[test]
    fn no_rows_or_no_columns_write_nothing() {
        let b = Array2::<f32>::ones((3, 4));
        let packed = PackedMatrix::pack(b.view());
        let mut c = vec![7.0f32; 8];
        packed.matmul(&[], 3, 0, &mut c, 4, false);
        packed.matmul_transposed(&[], 3, 0, &mut c, 4, false);
        assert!(c.iter().all(|v| *v == 7.0));
        let empty = PackedMatrix::pack(Array2::<f32>::zeros((3, 0)).view());
        empty.matmul(&[1.0; 6], 3, 2, &mut c, 4, false);
        assert!(c.iter().all(|v| *v == 7.0));
    }

    #[test]
    fn writes_only_its_columns_of_a_wider_c() {
        let mut rng = crate::init::rng(6);
        let (m, k, n, ldc) = (5, 9, 20, 50);
        let a = crate::init::normal(&mut rng, (m, k));
        let b = crate::init::normal(&mut rng, (k, n));
        let mut c = Array2::<f32>::from_elem((m, ldc), 7.0);
        PackedMatrix::pack(b.view()).matmul(
            a.as_slice().unwrap(),
            k,
            m,
            c.as_slice_mut().unwrap(),
            ldc,
            false,
        );
        assert!(c.slice(s![.., n..]).iter().all(|v| *v == 7.0));
        let worst = max_diff(&c.slice(s![.., ..n]), &reference(&a, &b));
        assert!(worst < 1e-4);
    }

    #[test]
    fn empty_matrices_pack_and_multiply() {
        // B with no rows, no columns or neither, laid out by rows or by
        // columns: C = A · B is zeros (k = 0), the bias (k = 0 with a bias),
        // or has nothing to write (n = 0).
        for (m, k, n) in [(0, 0, 0), (2, 0, 0), (0, 3, 0), (2, 0, 3), (2, 3, 0)] {
            let a = Array2::<f32>::from_elem((m, k), 1.5);
            let bias: Vec<f32> = (0..n).map(|j| j as f32 + 0.5).collect();
            let b = Array2::<f32>::from_elem((k, n), 2.0);
            let b_by_columns = Array2::<f32>::from_elem((n, k), 2.0).reversed_axes();
            for b in [b.view(), b_by_columns.view()] {
                let packed = PackedMatrix::pack(b);
                let mut c = vec![7.0; m * n];
                packed.matmul(a.as_slice().unwrap(), k, m, &mut c, n, false);
                assert!(c.iter().all(|v| *v == 0.0), "{m}x{k}x{n}: {c:?}");
                packed.matmul_bias(a.as_slice().unwrap(), k, m, &mut c, n, &bias);
                let want: Vec<f32> = (0..m).flat_map(|_| bias.iter().copied()).collect();
                assert_eq!(c, want, "{m}x{k}x{n} with a bias");
            }
        }
    }
}

/// A cell's weights packed on first use and kept until they change: the
/// input kernel, and the recurrent kernel (or its parts).
#[derive(Clone, Debug, Default)]
pub(crate) struct PackCache {
    pub(crate) kernel: std::sync::OnceLock<PackedMatrix>,
    pub(crate) recurrent: std::sync::OnceLock<PackedMatrix>,
    pub(crate) candidate: std::sync::OnceLock<PackedMatrix>,
}

impl PackCache {
    /// `out = x · kernel + bias` for rows of inputs, packing `kernel` the first time.
    pub(crate) fn project(
        &self,
        kernel: ArrayView2<f32>,
        bias: Option<ndarray::ArrayView1<f32>>,
        x: ArrayView2<f32>,
        mut out: ndarray::ArrayViewMut2<f32>,
    ) {
        let x = x.as_standard_layout();
        let (rows, width) = out.dim();
        let xs = x.as_slice().expect("standard layout");
        match out.as_slice_mut() {
            Some(c) => self.project_rows(kernel, bias, xs, x.ncols(), rows, c, width),
            None => {
                let mut c = ndarray::Array2::zeros(out.raw_dim());
                let slice = c.as_slice_mut().expect("standard layout");
                self.project_rows(kernel, bias, xs, x.ncols(), rows, slice, width);
                out.assign(&c);
            }
        }
    }

    /// `z += h · recurrent_kernel` for the rows of `h` (each `units` numbers,
    /// `z`'s rows as wide as the kernel), packing the kernel the first time:
    /// the recurrent term of one step.
    pub(crate) fn add_recurrent(
        &self,
        recurrent_kernel: ArrayView2<f32>,
        h: &[f32],
        z: &mut [f32],
    ) {
        let (units, width) = recurrent_kernel.dim();
        let packed = self
            .recurrent
            .get_or_init(|| PackedMatrix::pack(recurrent_kernel));
        packed.matmul(h, units, h.len() / units, z, width, true);
    }

    /// `out = x · kernel + bias` for `rows` rows of `x` (`lda` apart) into
    /// rows of `out` (`ldc` apart), the bias added as the products start.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn project_rows(
        &self,
        kernel: ArrayView2<f32>,
        bias: Option<ndarray::ArrayView1<f32>>,
        x: &[f32],
        lda: usize,
        rows: usize,
        out: &mut [f32],
        ldc: usize,
    ) {
        let packed = self.kernel.get_or_init(|| PackedMatrix::pack(kernel));
        match bias {
            Some(b) => match b.as_slice() {
                Some(b) => packed.matmul_bias(x, lda, rows, out, ldc, b),
                None => packed.matmul_bias(x, lda, rows, out, ldc, &b.to_vec()),
            },
            None => packed.matmul(x, lda, rows, out, ldc, false),
        }
    }
}
