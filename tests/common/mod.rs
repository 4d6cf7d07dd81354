//! Shared by the integration tests: the proptest configuration and the one
//! comparison every test uses.

// Each test file uses a part of this module.
#![allow(dead_code)]

pub mod reference;

use ndarray::{ArrayBase, Data, Dimension};
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

/// `cases` cases from a fixed seed, so that every run (and CI) checks the
/// same inputs. `PROPTEST_RNG_SEED=<n>` explores others; `PROPTEST_CASES`
/// changes the count. The failures recorded in
/// `tests/<name>.proptest-regressions` (next to the test file) run first,
/// before the new cases, and a new failure is added to that file.
pub fn proptest_config(cases: u32) -> Config {
    let mut config = Config::with_cases(cases);
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(20261124);
    }
    if let Some(n) = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        config.cases = n;
    }
    config.failure_persistence = Some(Box::new(FileFailurePersistence::WithSource(
        "proptest-regressions",
    )));
    config
}

/// Whether a NaN is a failure wherever it is, or allowed where both sides
/// hold one at the same place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nan {
    /// Any NaN on either side fails.
    Fails,
    /// A NaN on both sides at the same place is equal; a NaN on one side fails.
    SamePlaceAllowed,
}

/// `max |a - b|` over two arrays of the same shape, in f64, for arrays of
/// f32 or f64. Panics (naming the place and both values) if the shapes
/// differ or if either side holds a NaN, so that a kernel writing NaN, or
/// leaving a NaN-filled buffer unwritten, cannot pass a tolerance check.
/// An infinity is a difference of infinity unless both sides hold the same one.
pub fn max_diff<A, B, SA, SB, DA, DB>(a: &ArrayBase<SA, DA>, b: &ArrayBase<SB, DB>) -> f64
where
    A: Copy + Into<f64>,
    B: Copy + Into<f64>,
    SA: Data<Elem = A>,
    SB: Data<Elem = B>,
    DA: Dimension,
    DB: Dimension,
{
    max_diff_with(a, b, Nan::Fails)
}

/// [`max_diff`] with a choice about NaN.
pub fn max_diff_with<A, B, SA, SB, DA, DB>(
    a: &ArrayBase<SA, DA>,
    b: &ArrayBase<SB, DB>,
    nan: Nan,
) -> f64
where
    A: Copy + Into<f64>,
    B: Copy + Into<f64>,
    SA: Data<Elem = A>,
    SB: Data<Elem = B>,
    DA: Dimension,
    DB: Dimension,
{
    assert_eq!(
        a.shape(),
        b.shape(),
        "the arrays compared have different shapes"
    );
    let mut worst = 0.0f64;
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let (x, y): (f64, f64) = ((*x).into(), (*y).into());
        if x.is_nan() || y.is_nan() {
            let both = x.is_nan() && y.is_nan();
            assert!(
                both && nan == Nan::SamePlaceAllowed,
                "NaN at {:?}: {x} vs {y}",
                place(a.shape(), i)
            );
            continue;
        }
        let d = if x == y { 0.0 } else { (x - y).abs() };
        worst = worst.max(d);
    }
    worst
}

/// Panics unless `a` and `b` (same shape, no NaN) are within `tol` of each
/// other everywhere; `what` names the comparison in the message.
pub fn assert_close<A, B, SA, SB, DA, DB>(
    a: &ArrayBase<SA, DA>,
    b: &ArrayBase<SB, DB>,
    tol: f64,
    what: &str,
) where
    A: Copy + Into<f64>,
    B: Copy + Into<f64>,
    SA: Data<Elem = A>,
    SB: Data<Elem = B>,
    DA: Dimension,
    DB: Dimension,
{
    let d = max_diff(a, b);
    assert!(d <= tol, "{what}: differ by {d:e}, more than {tol:e}");
}

/// Panics unless `a` and `b` hold the same bits everywhere (and the same shape).
pub fn assert_same_bits<SA, SB, DA, DB>(a: &ArrayBase<SA, DA>, b: &ArrayBase<SB, DB>, what: &str)
where
    SA: Data<Elem = f32>,
    SB: Data<Elem = f32>,
    DA: Dimension,
    DB: Dimension,
{
    assert_eq!(a.shape(), b.shape(), "{what}: shapes differ");
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert!(
            x.to_bits() == y.to_bits(),
            "{what}: at {:?}, {x:e} vs {y:e}",
            place(a.shape(), i)
        );
    }
}

/// The index of element `i` of an array of `shape` in standard order.
fn place(shape: &[usize], mut i: usize) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (k, n) in shape.iter().enumerate().rev() {
        index[k] = i % n.max(&1);
        i /= n.max(&1);
    }
    index
}

/// An array as the recorded fixtures write it: `{"shape": [...], "data": [...]}`,
/// the data in row-major order.
pub fn json_array(v: &serde_json::Value) -> ndarray::ArrayD<f32> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .expect("a shape")
        .iter()
        .map(|d| d.as_u64().expect("a size") as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| d.as_f64().expect("a number") as f32)
        .collect();
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).expect("data fits the shape")
}
