//! Every kernel path the machine has, in one process: the fused layers'
//! forward pass (and the training forward pass) at every SIMD level this
//! CPU supports (AVX-512, AVX2, portable) and at 1, 2 and 3 threads give
//! the same bits, and agree with the plain f64 recurrence of
//! `common::reference` (no packed product, no gate pass, no `rnn::run`).
//!
//! The shapes cross the kernels' boundaries: units and batches that are and
//! are not multiples of the vector widths (8, 16) and of the 32-column
//! panels, batches past a kernel's rows (12 for AVX-512, 3 for AVX2, 4
//! portable), batches large enough to be cut into parts for threads,
//! sequences long enough to be projected in chunks, and masks that end in
//! the middle of a chunk.

use ndarray::{Array2, Array3, ArrayD};
use proptest::prelude::*;

mod common;
use common::reference::{Kind, Weights};
use common::{assert_same_bits, max_diff};
use rnn_basics::layers::{Fused, RecurrentLayer};
use rnn_basics::prelude::*;
use rnn_basics::testing::{SimdLevel, simd_levels, with_settings};
use rnn_basics::train::Backward;

/// Thread counts every case runs at (more than the machine has run one
/// part after another, with the same cut of the batch).
const THREADS: [usize; 3] = [1, 2, 3];

/// Agreement with the f64 reference: float32 sums and Eigen's tanh and
/// sigmoid (within 4e-7 of exact) against exact ones.
const TOL: f64 = 1e-5;

#[derive(Clone, Copy, Debug)]
struct Case {
    kind: usize,
    batch: usize,
    time: usize,
    input: usize,
    units: usize,
    config: RnnConfig,
    masked: bool,
    with_initial: bool,
    seed: u64,
}

/// A layer of `kind` (SimpleRNN, LSTM, GRU, GRU with reset_after false)
/// with every weight moved off its initial value, so that biases count.
fn layer(kind: usize, units: usize, input: usize, rng: &mut init::Rng) -> (RecurrentLayer, Kind) {
    let (mut layer, kind): (RecurrentLayer, Kind) = match kind {
        0 => (
            SimpleRnn::new(units, input, rng).unwrap().into(),
            Kind::SimpleRnn,
        ),
        1 => (Lstm::new(units, input, rng).unwrap().into(), Kind::Lstm),
        2 => (
            Gru::new(units, input, rng).unwrap().into(),
            Kind::Gru { reset_after: true },
        ),
        _ => (
            Fused::from_cell(
                GruCell::new(units, input, rng)
                    .unwrap()
                    .with_reset_after(false),
            )
            .into(),
            Kind::Gru { reset_after: false },
        ),
    };
    // Matrices moved by less as they grow, so that the recurrence stays
    // contractive and float32 rounding does not grow along the sequence.
    for mut w in layer.weights_mut() {
        let rows = if w.ndim() == 2 { w.shape()[0] } else { 1 };
        let by = 0.3 * (2.0 / (rows as f32).sqrt()).min(1.0);
        let noise = init::uniform(rng, w.raw_dim(), -by, by).unwrap();
        w += &noise;
    }
    (layer, kind)
}

/// A mask with at least one valid step per example, some rows ending early
/// (mid-sequence, so mid-chunk in the long cases), some starting late.
fn mask(rng: &mut init::Rng, batch: usize, time: usize) -> Array2<bool> {
    let u = init::uniform(rng, (batch, time), 0.0, 1.0).unwrap();
    Array2::from_shape_fn((batch, time), |(b, t)| match b % 4 {
        0 => t <= time / 2 + b % 3,
        1 => t >= time / 3,
        _ => u[[b, t]] > 0.3 || t == b % time,
    })
}

/// Runs `case` at every level and thread count: the same bits everywhere
/// (outputs, states, and the training forward pass's outputs), and the
/// reference's numbers within [`TOL`].
fn check(case: Case) {
    let mut rng = init::rng(case.seed);
    let (layer, kind) = layer(case.kind, case.units, case.input, &mut rng);
    let layer = layer.with_config(case.config);
    let x: Array3<f32> = init::normal(&mut rng, (case.batch, case.time, case.input));
    let m = case.masked.then(|| mask(&mut rng, case.batch, case.time));
    let initial: Option<Vec<Array2<f32>>> = case.with_initial.then(|| {
        (0..layer.state_count())
            .map(|_| init::normal(&mut rng, (case.batch, case.units)))
            .collect()
    });
    let args = CallArgs {
        mask: m.as_ref().map(|m| m.view()),
        initial_state: initial.as_deref(),
    };
    let reference = Weights::from_keras(kind, &layer.weights()).call(
        x.view(),
        args.mask,
        args.initial_state,
        case.config,
    );

    let mut first: Option<(Vec<ArrayD<f32>>, SimdLevel, usize)> = None;
    for level in simd_levels() {
        for threads in THREADS {
            let (out, trained) = with_settings(level, threads, || {
                let out = layer
                    .call_with(x.view().into_dyn(), args)
                    .unwrap()
                    .into_keras();
                let (trained, _) = layer.forward_train(x.view().into_dyn(), args).unwrap();
                (out, trained.into_keras())
            })
            .unwrap();
            let at = format!("{case:?} at {level:?}, {threads} threads");
            assert_eq!(out.len(), reference.len(), "{at}");
            assert_eq!(trained.len(), out.len(), "{at}");
            for (i, (a, t)) in out.iter().zip(&trained).enumerate() {
                assert_same_bits(a, t, &format!("forward_train's array {i}, {at}"));
            }
            match &first {
                None => {
                    for (i, (a, r)) in out.iter().zip(&reference).enumerate() {
                        let d = max_diff(a, r);
                        assert!(
                            d <= TOL,
                            "array {i} differs from the reference by {d:e}, {at}"
                        );
                    }
                    first = Some((out, level, threads));
                }
                Some((want, l0, t0)) => {
                    for (i, (a, w)) in out.iter().zip(want).enumerate() {
                        assert_same_bits(a, w, &format!("array {i}, {at} vs {l0:?}, {t0} threads"));
                    }
                }
            }
        }
    }
}

fn config(return_sequences: bool, go_backwards: bool, zero_output_for_mask: bool) -> RnnConfig {
    RnnConfig {
        return_sequences,
        return_state: true,
        go_backwards,
        zero_output_for_mask,
    }
}

#[test]
fn every_level_knows_itself() {
    // The levels a test can ask for, best first, ending with the portable one;
    // asking for one the CPU lacks, or for no threads, is an error.
    let levels = simd_levels();
    assert_eq!(levels.last(), Some(&SimdLevel::Portable));
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        assert_eq!(
            levels,
            [SimdLevel::Avx512, SimdLevel::Avx2, SimdLevel::Portable]
        );
    }
    assert!(with_settings(SimdLevel::Portable, 0, || ()).is_err());
    for level in [SimdLevel::Avx512, SimdLevel::Avx2] {
        assert_eq!(
            with_settings(level, 1, || ()).is_ok(),
            levels.contains(&level)
        );
    }
}

#[test]
fn small_shapes_with_every_tail() {
    // Units below, at and past the vector widths and a panel (gate widths
    // 4·units and 3·units too), batches past each level's rows per kernel.
    let mut seed = 100;
    for kind in 0..4 {
        for (batch, units, input) in [
            (1, 1, 1),
            (5, 7, 3),
            (13, 8, 9),
            (4, 16, 16),
            (12, 17, 5),
            (25, 33, 2),
        ] {
            for (k, (seq, back, zero)) in [
                (true, false, false),
                (false, true, true),
                (true, true, false),
            ]
            .into_iter()
            .enumerate()
            {
                seed += 1;
                check(Case {
                    kind,
                    batch,
                    time: 6,
                    input,
                    units,
                    config: config(seq, back, zero),
                    masked: k != 0,
                    with_initial: k != 1,
                    seed,
                });
            }
        }
    }
}

#[test]
fn batches_split_across_threads() {
    // Work past the 4 million multiply-adds that make a call use threads,
    // and batches of at least 16, so that 2 and 3 threads cut the batch into
    // 2 and 3 parts (of 20 and 13/13/14 rows here).
    for (kind, units, input) in [(0, 100, 24), (1, 33, 24), (2, 40, 24), (3, 40, 24)] {
        let cell_width = [1, 4, 3, 3][kind] * units;
        assert!(40 * 24 * cell_width * (input + units) >= 1 << 22);
        for (k, (seq, back, zero)) in [(true, false, true), (false, true, false)]
            .into_iter()
            .enumerate()
        {
            check(Case {
                kind,
                batch: 40,
                time: 24,
                input,
                units,
                config: config(seq, back, zero),
                masked: true,
                with_initial: k == 0,
                seed: 200 + kind as u64 * 2 + k as u64,
            });
        }
    }
}

#[test]
fn sequences_projected_in_chunks() {
    // 128 examples of a 128-number gate row: a chunk of 16 steps on one
    // thread (16 + 4 here), one chunk for the parts of 2 and 3 threads; the
    // masks end mid-chunk.
    for (kind, units) in [(0, 128), (1, 32), (2, 43), (3, 43)] {
        for (seq, back) in [(true, false), (false, true)] {
            check(Case {
                kind,
                batch: 128,
                time: 20,
                input: 8,
                units,
                config: config(seq, back, false),
                masked: true,
                with_initial: !seq,
                seed: 300 + kind as u64,
            });
        }
    }
}

proptest! {
    #![proptest_config(common::proptest_config(24))]

    /// Random shapes from each side of every boundary.
    #[test]
    fn shapes_across_every_boundary(
        kind in 0usize..4,
        batch in prop::sample::select(vec![1usize, 2, 3, 4, 5, 11, 12, 13, 16, 17, 24, 25]),
        units in prop::sample::select(vec![1usize, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33]),
        input in prop::sample::select(vec![1usize, 2, 8, 16, 17, 33]),
        time in 1usize..12,
        return_sequences in any::<bool>(), go_backwards in any::<bool>(),
        zero_output_for_mask in any::<bool>(), masked in any::<bool>(), with_initial in any::<bool>(),
        seed in any::<u64>()
    ) {
        check(Case {
            kind, batch, time, input, units,
            config: config(return_sequences, go_backwards, zero_output_for_mask),
            masked, with_initial, seed,
        });
    }
}
