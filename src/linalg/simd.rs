//! The instruction set the CPU offers, found once at run time, and the
//! matrix-product kernels for each.

use std::sync::OnceLock;

use super::packed::PANEL;

/// What the running CPU can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// AVX-512F, with AVX2 and FMA: 16 floats a register.
    Avx512,
    /// AVX2 with FMA: 8 floats a register.
    Avx2,
    /// Whatever the compiler makes of plain loops.
    Portable,
}

/// The level the kernels run at: the best this CPU supports
/// (`RNN_BASICS_SIMD=portable|avx2` asks for less), or the one the tests
/// chose for this thread with [`crate::testing::with_settings`].
#[inline]
pub(crate) fn level() -> Level {
    match crate::testing::current() {
        Some(settings) => settings.level,
        None => detected_level(),
    }
}

/// The best level this CPU supports, found once
/// (`RNN_BASICS_SIMD=portable|avx2` asks for less).
pub(crate) fn detected_level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = std::env::var("RNN_BASICS_SIMD").unwrap_or_default();
        detect(&cap)
    })
}

/// Every feature the AVX-512 code is compiled with (`avx512f,avx2,fma`,
/// see [`multiversion`]) must be there before it runs, and every feature
/// the AVX2 code is compiled with (`avx2,fma`).
#[cfg(target_arch = "x86_64")]
fn detect(cap: &str) -> Level {
    use std::arch::is_x86_feature_detected as has;
    choose(cap, has!("avx512f"), has!("avx2"), has!("fma"))
}

/// The best level `cap` allows on a CPU with these features (see [`detect`]).
#[cfg(target_arch = "x86_64")]
fn choose(cap: &str, avx512f: bool, avx2: bool, fma: bool) -> Level {
    let avx2 = avx2 && fma;
    let avx512 = avx2 && avx512f;
    if cap != "portable" && cap != "avx2" && avx512 {
        Level::Avx512
    } else if cap != "portable" && avx2 {
        Level::Avx2
    } else {
        Level::Portable
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect(_cap: &str) -> Level {
    Level::Portable
}

/// Defines a function whose body (a loop in plain Rust) is compiled three
/// times, for AVX-512, for AVX2 and for any x86-64 or other CPU, and runs
/// the best one the CPU supports, so that the loop vectorizes without
/// `-C target-cpu`. The body is inlined into each variant.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            unsafe fn avx512($($arg: $ty),*) {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2($($arg: $ty),*) {
                body($($arg),*)
            }
            match $crate::linalg::simd_level() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the level was detected on this CPU.
                $crate::linalg::Level::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                $crate::linalg::Level::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}
pub(crate) use multiversion;

/// `C[rows × cols] (+)= A[rows × k] · P[k × 32]` for a last panel of which
/// only the first `cols` columns (fewer than 32) are C's.
///
/// # Safety
///
/// As [`panels`], with one panel, `cols` numbers in each row of C and of
/// the bias.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn narrow_panel(
    level: Level,
    k: usize,
    a: *const f32,
    lda: usize,
    layout: Layout,
    panel: *const f32,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    cols: usize,
    start: Start<'_>,
) {
    // Compute all 32 columns aside, keep `cols`.
    let mut tile = [0.0f32; 12 * PANEL];
    let mut bias = [0.0f32; PANEL];
    let aside = match start {
        Start::Bias(b) => {
            bias[..cols].copy_from_slice(&b[..cols]);
            Start::Bias(&bias)
        }
        _ => Start::Zero,
    };
    // SAFETY: the tile holds 12 rows of 32, the padded bias 32 numbers.
    unsafe {
        panels(
            level,
            k,
            a,
            lda,
            layout,
            panel,
            1,
            tile.as_mut_ptr(),
            PANEL,
            rows,
            aside,
        )
    };
    for (r, row) in tile.chunks_exact(PANEL).enumerate().take(rows) {
        // SAFETY: row r of C has `cols` numbers from `c + r·ldc`.
        let out = unsafe { std::slice::from_raw_parts_mut(c.add(r * ldc), cols) };
        if matches!(start, Start::Accumulate) {
            for (o, v) in out.iter_mut().zip(row) {
                *o += *v;
            }
        } else {
            out.copy_from_slice(&row[..cols]);
        }
    }
}

/// How A's numbers lie: row after row (`A[r][p]` at `r·lda + p`), or
/// column after column (at `p·lda + r`, as A's transpose lies row after
/// row), so that a product with a transpose needs no copy of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Rows,
    Columns,
}

/// What C starts from: zeros, its own numbers (`C += A·B`), or a bias row
/// added to every row (`C = bias + A·B`, the bias of the panel's columns).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Start<'a> {
    Zero,
    Accumulate,
    Bias(&'a [f32]),
}

impl<'a> Start<'a> {
    /// Onto what C holds (`accumulate`), or onto zeros.
    pub(crate) fn adding(accumulate: bool) -> Start<'a> {
        if accumulate {
            Start::Accumulate
        } else {
            Start::Zero
        }
    }

    /// The start of the columns from `col0` on.
    pub(crate) fn at_column(self, col0: usize) -> Start<'a> {
        match self {
            Start::Bias(b) => Start::Bias(&b[col0..]),
            other => other,
        }
    }
}

/// `C[rows × 32·count] (+)= A[rows × k] · [P_1 … P_count]` for `count`
/// packed panels side by side, each `k × 32`, one after another in memory.
///
/// # Safety
///
/// `a` must hold `rows` rows of `k` numbers, `lda` apart (with
/// [`Layout::Columns`], `k` columns of `rows` numbers); `panels` `count`
/// panels of `k × 32` numbers; `c` `rows` rows of `32·count` numbers, `ldc`
/// apart (and a bias `32·count` numbers); `rows` at most the level's rows
/// per kernel.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn panels(
    level: Level,
    k: usize,
    a: *const f32,
    lda: usize,
    layout: Layout,
    panels: *const f32,
    count: usize,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    start: Start<'_>,
) {
    let (bias, accumulate) = match start {
        Start::Zero => (std::ptr::null(), false),
        Start::Accumulate => (std::ptr::null(), true),
        Start::Bias(b) => (b.as_ptr(), false),
    };
    // SAFETY: forwarded.
    unsafe {
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => match layout {
                Layout::Rows => {
                    dispatch_rows!(avx512, rows, false, (k, a, lda, panels, count, c, ldc, bias, accumulate); 1 2 3 4 5 6 7 8 9 10 11 12)
                }
                Layout::Columns => {
                    dispatch_rows!(avx512, rows, true, (k, a, lda, panels, count, c, ldc, bias, accumulate); 1 2 3 4 5 6 7 8 9 10 11 12)
                }
            },
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => match layout {
                Layout::Rows => {
                    dispatch_rows!(avx2, rows, false, (k, a, lda, panels, count, c, ldc, bias, accumulate); 1 2 3)
                }
                Layout::Columns => {
                    dispatch_rows!(avx2, rows, true, (k, a, lda, panels, count, c, ldc, bias, accumulate); 1 2 3)
                }
            },
            _ => portable(
                k, a, lda, layout, panels, count, c, ldc, bias, rows, accumulate,
            ),
        }
    }
}

/// Calls `$module::kernel::<R, COLUMNS>` for the run-time row count.
macro_rules! dispatch_rows {
    ($module:ident, $rows:expr, $columns:literal, $args:tt; $($n:literal)*) => {
        match $rows {
            $($n => dispatch_rows!(@call $module, $n, $columns, $args),)*
            _ => unreachable!("more rows than the kernel takes"),
        }
    };
    (@call $module:ident, $n:literal, $columns:literal, ($($arg:expr),*)) => {
        $module::kernel::<$n, $columns>($($arg),*)
    };
}
use dispatch_rows;

/// Panel `j` of panels side by side: its numbers, its columns of C and of
/// the bias (none stays none).
#[inline(always)]
fn panel_at(
    j: usize,
    k: usize,
    panels: *const f32,
    c: *mut f32,
    bias: *const f32,
) -> (*const f32, *mut f32, *const f32) {
    let bias = if bias.is_null() {
        bias
    } else {
        bias.wrapping_add(j * PANEL)
    };
    let panel = panels.wrapping_add(j * k * PANEL);
    (panel, c.wrapping_add(j * PANEL), bias)
}

/// Where A's number in row `r` and column `p` lies.
#[inline(always)]
fn at(layout: Layout, lda: usize, r: usize, p: usize) -> usize {
    match layout {
        Layout::Rows => r * lda + p,
        Layout::Columns => p * lda + r,
    }
}

/// Plain loops, for CPUs without AVX2.
///
/// # Safety
///
/// As [`panels`].
#[allow(clippy::too_many_arguments)]
unsafe fn portable(
    k: usize,
    a: *const f32,
    lda: usize,
    layout: Layout,
    panels: *const f32,
    count: usize,
    c: *mut f32,
    ldc: usize,
    bias: *const f32,
    rows: usize,
    accumulate: bool,
) {
    for j in 0..count {
        let (panel, c, bias) = panel_at(j, k, panels, c, bias);
        for r in 0..rows {
            let mut acc = [0.0f32; PANEL];
            if !bias.is_null() {
                // SAFETY: 32 numbers of bias, as the caller promised.
                acc.copy_from_slice(unsafe { std::slice::from_raw_parts(bias, PANEL) });
            }
            for p in 0..k {
                // SAFETY: within A's row r and the panel, as the caller promised.
                let (x, b) = unsafe {
                    (
                        *a.add(at(layout, lda, r, p)),
                        std::slice::from_raw_parts(panel.add(p * PANEL), PANEL),
                    )
                };
                // Fused multiply-add, as the SIMD kernels do, so that every CPU
                // gives the same bits.
                for (o, v) in acc.iter_mut().zip(b) {
                    *o = x.mul_add(*v, *o);
                }
            }
            // SAFETY: row r of C has 32 numbers.
            let out = unsafe { std::slice::from_raw_parts_mut(c.add(r * ldc), PANEL) };
            for (o, v) in out.iter_mut().zip(acc) {
                *o = if accumulate { *o + v } else { v };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::PANEL;

    /// `R` rows × 32 columns in 2R registers, the panel's two registers a
    /// row, for each of `count` panels in turn.
    ///
    /// # Safety
    ///
    /// As [`super::panels`], on a CPU with AVX-512F.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn kernel<const R: usize, const COLUMNS: bool>(
        k: usize,
        a: *const f32,
        lda: usize,
        panels: *const f32,
        count: usize,
        c: *mut f32,
        ldc: usize,
        bias: *const f32,
        accumulate: bool,
    ) {
        let layout = if COLUMNS {
            super::Layout::Columns
        } else {
            super::Layout::Rows
        };
        for j in 0..count {
            let (panel, c, bias) = super::panel_at(j, k, panels, c, bias);
            let start = if bias.is_null() {
                [_mm512_setzero_ps(); 2]
            } else {
                // SAFETY: 32 numbers of bias.
                unsafe { [_mm512_loadu_ps(bias), _mm512_loadu_ps(bias.add(16))] }
            };
            let mut acc = [start; R];
            for p in 0..k {
                // SAFETY: the caller's bounds.
                unsafe {
                    let b0 = _mm512_loadu_ps(panel.add(p * PANEL));
                    let b1 = _mm512_loadu_ps(panel.add(p * PANEL + 16));
                    for (r, row) in acc.iter_mut().enumerate() {
                        let x = _mm512_set1_ps(*a.add(super::at(layout, lda, r, p)));
                        row[0] = _mm512_fmadd_ps(x, b0, row[0]);
                        row[1] = _mm512_fmadd_ps(x, b1, row[1]);
                    }
                }
            }
            for (r, row) in acc.iter().enumerate() {
                // SAFETY: row r of C has 32 numbers.
                unsafe {
                    let out = c.add(r * ldc);
                    let (mut lo, mut hi) = (row[0], row[1]);
                    if accumulate {
                        lo = _mm512_add_ps(_mm512_loadu_ps(out), lo);
                        hi = _mm512_add_ps(_mm512_loadu_ps(out.add(16)), hi);
                    }
                    _mm512_storeu_ps(out, lo);
                    _mm512_storeu_ps(out.add(16), hi);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::PANEL;

    /// `R` rows × 32 columns in 4R registers, for each of `count` panels in turn.
    ///
    /// # Safety
    ///
    /// As [`super::panels`], on a CPU with AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn kernel<const R: usize, const COLUMNS: bool>(
        k: usize,
        a: *const f32,
        lda: usize,
        panels: *const f32,
        count: usize,
        c: *mut f32,
        ldc: usize,
        bias: *const f32,
        accumulate: bool,
    ) {
        let layout = if COLUMNS {
            super::Layout::Columns
        } else {
            super::Layout::Rows
        };
        for j in 0..count {
            let (panel, c, bias) = super::panel_at(j, k, panels, c, bias);
            let start = if bias.is_null() {
                [_mm256_setzero_ps(); 4]
            } else {
                // SAFETY: 32 numbers of bias.
                unsafe { [0, 8, 16, 24].map(|i| _mm256_loadu_ps(bias.add(i))) }
            };
            let mut acc = [start; R];
            for p in 0..k {
                // SAFETY: the caller's bounds.
                unsafe {
                    let b = [
                        _mm256_loadu_ps(panel.add(p * PANEL)),
                        _mm256_loadu_ps(panel.add(p * PANEL + 8)),
                        _mm256_loadu_ps(panel.add(p * PANEL + 16)),
                        _mm256_loadu_ps(panel.add(p * PANEL + 24)),
                    ];
                    for (r, row) in acc.iter_mut().enumerate() {
                        let x = _mm256_set1_ps(*a.add(super::at(layout, lda, r, p)));
                        for (lane, bv) in row.iter_mut().zip(b) {
                            *lane = _mm256_fmadd_ps(x, bv, *lane);
                        }
                    }
                }
            }
            for (r, row) in acc.iter().enumerate() {
                for (i, lane) in row.iter().enumerate() {
                    // SAFETY: row r of C has 32 numbers.
                    unsafe {
                        let out = c.add(r * ldc + 8 * i);
                        let v = if accumulate {
                            _mm256_add_ps(_mm256_loadu_ps(out), *lane)
                        } else {
                            *lane
                        };
                        _mm256_storeu_ps(out, v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CPU (or a virtual machine's view of one) may lack any feature: a
    /// level runs only with every feature its code is compiled with.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn a_level_needs_every_feature_it_is_compiled_with() {
        for bits in 0..8 {
            let (avx512f, avx2, fma) = (bits & 4 != 0, bits & 2 != 0, bits & 1 != 0);
            let best = match (avx512f, avx2 && fma) {
                (true, true) => Level::Avx512,
                (false, true) => Level::Avx2,
                _ => Level::Portable,
            };
            let features = format!("avx512f {avx512f}, avx2 {avx2}, fma {fma}");
            assert_eq!(choose("", avx512f, avx2, fma), best, "{features}");
            let capped = if best == Level::Avx512 {
                Level::Avx2
            } else {
                best
            };
            assert_eq!(choose("avx2", avx512f, avx2, fma), capped, "{features}");
            assert_eq!(choose("portable", avx512f, avx2, fma), Level::Portable);
        }
    }

    #[test]
    fn a_cap_asks_for_less_never_more() {
        let best = detect("");
        assert_eq!(detect("portable"), Level::Portable);
        let avx2 = if best == Level::Portable {
            Level::Portable
        } else {
            Level::Avx2
        };
        assert_eq!(detect("avx2"), avx2);
        assert_eq!(detect("avx512"), best, "no such cap: the best level");
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            let avx512 = avx2 && std::arch::is_x86_feature_detected!("avx512f");
            let want = match (avx512, avx2) {
                (true, _) => Level::Avx512,
                (false, true) => Level::Avx2,
                _ => Level::Portable,
            };
            assert_eq!(best, want);
        }
    }
}
