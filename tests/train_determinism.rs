//! Training gives the same bits everywhere: the gradients of one training
//! step (every weight, the input, the initial states), hashed as
//! `bench-train --digest` hashes them, are the same at every SIMD level
//! this CPU has and at 1, 2 and 3 threads, so that the lessons' printed
//! training numbers hold on every machine. They are pinned as well: a
//! change of path or of summation order that moves one bit fails here
//! (`bench-train --digest` gave the same bits on the Intel and AMD machines
//! this project was developed on).
//!
//! The shapes are small enough for the dev profile but large enough that
//! the forward and backward passes split the batch across threads (more
//! than 4 million multiply-adds, 40 examples), with units that are not
//! multiples of the vector widths or of the 32-column panels.

use ndarray::{Array2, Array3, ArrayD};

use rnn_basics::activation::Activation;
use rnn_basics::cell::{GruCell, LstmCell};
use rnn_basics::layers::{Fused, RecurrentLayer};
use rnn_basics::prelude::*;
use rnn_basics::testing::{simd_levels, with_settings};
use rnn_basics::train::{Backward, Gradients};

const THREADS: [usize; 3] = [1, 2, 3];

/// FNV-1a, 64 bits, over every gradient's bits (as `bench-train --digest`,
/// with the initial states' gradients too).
fn digest(grads: &Gradients) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let states = grads.initial_state.iter().map(|s| s.view().into_dyn());
    let arrays = grads
        .weights
        .iter()
        .map(|w| w.view())
        .chain(std::iter::once(grads.input.view()))
        .chain(states);
    for array in arrays {
        for v in array.iter() {
            for byte in v.to_bits().to_le_bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    hash
}

/// SimpleRNN, LSTM, GRU, GRU without reset_after, LSTM with ReLU and hard
/// sigmoid, with every weight moved
/// off its initial value.
fn layer(kind: usize, units: usize, input: usize, rng: &mut init::Rng) -> RecurrentLayer {
    let mut layer: RecurrentLayer = match kind {
        0 => SimpleRnn::new(units, input, rng).unwrap().into(),
        1 => Lstm::new(units, input, rng).unwrap().into(),
        2 => Gru::new(units, input, rng).unwrap().into(),
        3 => Fused::from_cell(
            GruCell::new(units, input, rng)
                .unwrap()
                .with_reset_after(false),
        )
        .into(),
        // Not tanh and sigmoid: the LSTM's AVX-512 step backward is for
        // those alone; these take the portable loop at every level.
        _ => Fused::from_cell(
            LstmCell::new(units, input, rng)
                .unwrap()
                .with_activations(Activation::Relu, Activation::HardSigmoid)
                .unwrap(),
        )
        .into(),
    };
    for mut w in layer.weights_mut() {
        let rows = if w.ndim() == 2 { w.shape()[0] } else { 1 };
        let by = 0.3 * (2.0 / (rows as f32).sqrt()).min(1.0);
        w += &init::uniform(rng, w.raw_dim(), -by, by).unwrap();
    }
    layer
}

#[derive(Clone, Copy, Debug)]
struct Case {
    kind: usize,
    batch: usize,
    time: usize,
    input: usize,
    units: usize,
    /// A mask, `go_backwards`, initial states and the last output only,
    /// or the benchmark's plain step (whole sequence, zero states).
    everything: bool,
}

/// The gradients of `Σ output · cotangent` (and of the final states) at `level`, `threads`.
fn gradients(case: Case, level: rnn_basics::testing::SimdLevel, threads: usize) -> Gradients {
    let mut rng = init::rng(9000 + case.kind as u64);
    let layer = layer(case.kind, case.units, case.input, &mut rng).with_config(RnnConfig {
        return_sequences: !case.everything,
        return_state: case.everything,
        go_backwards: case.everything,
        zero_output_for_mask: false,
    });
    let x: Array3<f32> = init::normal(&mut rng, (case.batch, case.time, case.input));
    let mask = case.everything.then(|| {
        Array2::from_shape_fn((case.batch, case.time), |(b, t)| {
            (b * 7 + t * 3) % 5 != 0 || t == 0
        })
    });
    let initial: Option<Vec<Array2<f32>>> = case.everything.then(|| {
        (0..layer.state_count())
            .map(|_| init::normal(&mut rng, (case.batch, case.units)))
            .collect()
    });
    let args = CallArgs {
        mask: mask.as_ref().map(|m| m.view()),
        initial_state: initial.as_deref(),
    };
    with_settings(level, threads, || {
        let (out, tape) = layer.forward_train(x.view().into_dyn(), args).unwrap();
        let cotangents: Vec<ArrayD<f32>> = out
            .into_keras()
            .iter()
            .map(|o| init::normal(&mut init::rng(5), o.raw_dim()))
            .collect();
        let views: Vec<_> = cotangents.iter().map(|c| c.view()).collect();
        layer.backward(&tape, &views).unwrap()
    })
    .unwrap()
}

fn check(case: Case, pinned: u64) {
    let mut first: Option<(u64, String)> = None;
    for level in simd_levels() {
        for threads in THREADS {
            let grads = gradients(case, level, threads);
            for g in grads.weights.iter().chain([&grads.input]) {
                assert!(g.iter().all(|v| v.is_finite()), "{case:?}: not finite");
            }
            let at = format!("{level:?}, {threads} threads");
            let d = digest(&grads);
            match &first {
                None => first = Some((d, at)),
                Some((want, first_at)) => {
                    assert_eq!(d, *want, "{case:?}: {at} differs from {first_at}")
                }
            }
        }
    }
    let (d, at) = first.expect("at least one level");
    assert_eq!(
        d, pinned,
        "{case:?} at {at}: {d:#018x}, pinned {pinned:#018x}"
    );
}

/// 40 examples of 24 steps of 24 features: the benchmark step's shape.
fn benchmark_case(kind: usize, units: usize, everything: bool) -> Case {
    Case {
        kind,
        batch: 40,
        time: 24,
        input: 24,
        units,
        everything,
    }
}

#[test]
fn the_benchmark_step_gives_the_same_gradients_everywhere() {
    // Work past 4 million multiply-adds in each, 40 examples (parts of 20
    // and 13/13/14), units past the vector widths and the panels.
    for (kind, units, pinned) in [
        (0, 100, 0xefad_2229_f07e_1937),
        (1, 33, 0x5ff1_03b8_b1af_ccc1),
        (2, 40, 0x16e2_bd0f_7e59_1a61),
        (3, 40, 0xcf57_88c7_dab7_3da8),
        (4, 33, 0x3360_967e_142f_300d),
    ] {
        check(benchmark_case(kind, units, false), pinned);
    }
}

#[test]
fn masks_backwards_and_initial_states_give_the_same_gradients_everywhere() {
    for (kind, units, pinned) in [
        (0, 100, 0x686d_c81b_a07b_cbf0),
        (1, 33, 0x49f7_b574_3df5_021d),
        (2, 40, 0x30d3_2c5f_b289_4d10),
        (3, 40, 0x0320_2f7e_f1bf_06d6),
        (4, 33, 0xde11_92fd_8100_f08e),
    ] {
        check(benchmark_case(kind, units, true), pinned);
    }
}
