//! Hooks for the tests, not part of the API: run calls at a chosen SIMD
//! level and thread count, so that one test process checks every kernel
//! path the machine has (the level found at start-up is otherwise the only
//! one a process runs).

use std::cell::Cell;

use crate::{Error, Result};

pub use crate::linalg::Level as SimdLevel;

/// What calls on this thread use instead of the CPU's best level and the
/// pool's thread count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) level: SimdLevel,
    pub(crate) threads: usize,
}

thread_local! {
    static SETTINGS: Cell<Option<Settings>> = const { Cell::new(None) };
}

/// The settings this thread runs under, if [`with_settings`] chose them.
#[inline]
pub(crate) fn current() -> Option<Settings> {
    SETTINGS.with(Cell::get)
}

/// Runs `f` on this thread under `settings` (none: the defaults), then
/// puts back what was there, even if `f` panics: how a part of a batch run
/// on a worker thread keeps its caller's settings.
pub(crate) fn scoped<R>(settings: Option<Settings>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Settings>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SETTINGS.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SETTINGS.with(|s| s.replace(settings)));
    f()
}

/// The SIMD levels this CPU can run, best first (always ending with
/// [`SimdLevel::Portable`]).
pub fn simd_levels() -> Vec<SimdLevel> {
    match crate::linalg::detected_level() {
        SimdLevel::Avx512 => vec![SimdLevel::Avx512, SimdLevel::Avx2, SimdLevel::Portable],
        SimdLevel::Avx2 => vec![SimdLevel::Avx2, SimdLevel::Portable],
        SimdLevel::Portable => vec![SimdLevel::Portable],
    }
}

/// Runs `f` with every matrix kernel and gate pass at `level`, and every
/// call split across at most `threads` parts of a batch (more than the
/// machine has run one after another), on this thread and on the workers
/// that run parts of its calls. Errors if the CPU lacks `level` or if
/// `threads` is 0.
pub fn with_settings<R>(level: SimdLevel, threads: usize, f: impl FnOnce() -> R) -> Result<R> {
    let levels = simd_levels();
    if !levels.contains(&level) {
        return Err(Error::config(
            "with_settings",
            format!("expected a SIMD level this CPU has ({levels:?}), got {level:?}"),
        ));
    }
    if threads == 0 {
        return Err(Error::config(
            "with_settings",
            "expected at least 1 thread, got 0",
        ));
    }
    Ok(scoped(Some(Settings { level, threads }), f))
}

/// `max |a - b|`, for the unit tests: panics if the shapes differ or
/// either side holds a NaN anywhere.
#[cfg(test)]
pub(crate) fn max_diff<SA, SB, D>(
    a: &ndarray::ArrayBase<SA, D>,
    b: &ndarray::ArrayBase<SB, D>,
) -> f32
where
    SA: ndarray::Data<Elem = f32>,
    SB: ndarray::Data<Elem = f32>,
    D: ndarray::Dimension,
{
    assert_eq!(a.shape(), b.shape(), "the arrays compared differ in shape");
    a.iter().zip(b.iter()).fold(0.0, |worst, (x, y)| {
        assert!(!x.is_nan() && !y.is_nan(), "NaN compared: {x} vs {y}");
        worst.max((x - y).abs())
    })
}
