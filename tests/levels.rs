//! The three levels give the same numbers: the numpy loop and the TF1 loop
//! (level 1), a cell in the loop wrapper (level 2) and the fused layers
//! (level 3), on random shapes, settings and weights.

use ndarray::{Array2, Array3, ArrayD, Axis, s};
use proptest::prelude::*;

mod common;
use common::reference::{Kind, Weights};
use rnn_basics::manual::{NumpyRnn, Tf1Rnn};
use rnn_basics::prelude::*;

use common::max_diff;

const TOL: f64 = 1e-5;

/// A random mask with at least one valid step in each row.
fn random_mask(rng: &mut init::Rng, batch: usize, time: usize) -> Array2<bool> {
    let u = init::uniform(rng, (batch, time), 0.0, 1.0).unwrap();
    let mut m = u.mapv(|v| v > 0.3);
    for b in 0..batch {
        let t = b % time;
        m[[b, t]] = true;
    }
    m
}

proptest! {
    #![proptest_config(common::proptest_config(200))]

    /// Level 1 (numpy loop, one sequence at a time) == level 2 == level 3.
    #[test]
    fn simple_rnn_levels_agree(
        batch in 1usize..5, time in 1usize..9, input in 1usize..7, units in 1usize..7, seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        let numpy = NumpyRnn::random_keras(&mut rng, input, units);
        let mut numpy = numpy;
        numpy.b = init::uniform(&mut rng, units, -0.5, 0.5).unwrap();
        let x = init::normal(&mut rng, (batch, time, input));

        let cell = numpy.to_cell().unwrap();
        let level2 = Rnn::new(cell.clone()).return_sequences(true).return_state(true).call(&x).unwrap();
        let level3 = SimpleRnn::from_cell(cell).return_sequences(true).return_state(true).call(&x).unwrap();

        let level1: Vec<Array2<f32>> = x.outer_iter().map(|seq| numpy.run(seq).unwrap()).collect();
        let views: Vec<_> = level1.iter().map(|a| a.view()).collect();
        let level1 = ndarray::stack(Axis(0), &views).unwrap().into_dyn();

        prop_assert!(max_diff(&level1, &level2.output) < TOL);
        prop_assert!(max_diff(&level2.output, &level3.output) < TOL);
        let last = level1.slice(s![.., time - 1, ..]).to_owned().into_dyn();
        prop_assert!(max_diff(&last, &level3.states[0].clone().into_dyn()) < TOL);
    }

    /// TF1's dynamic_rnn with sequence_length == Keras's loop with a mask
    /// whose tail is padding and zero_output_for_mask.
    #[test]
    fn tf1_dynamic_rnn_matches_keras_semantics(
        batch in 1usize..5, time in 1usize..7, input in 1usize..5, units in 1usize..6, seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        let tf1 = Tf1Rnn::random_normal(&mut rng, input, units);
        let x = init::normal(&mut rng, (batch, time, input));
        let lengths: Vec<usize> = (0..batch).map(|b| 1 + (seed as usize + 7 * b) % time).collect();
        let (outputs, state) = tf1.dynamic_rnn(x.view(), Some(&lengths), false).unwrap();

        let mask = Array2::from_shape_fn((batch, time), |(b, t)| t < lengths[b]);
        let keras = SimpleRnn::from_cell(tf1.to_cell().unwrap())
            .return_sequences(true)
            .return_state(true)
            .zero_output_for_mask(true)
            .call_with(x.view().into_dyn(), CallArgs { mask: Some(mask.view()), initial_state: None })
            .unwrap();
        prop_assert!(max_diff(&outputs.into_dyn(), &keras.output) < TOL);
        prop_assert!(max_diff(&state.into_dyn(), &keras.states[0].clone().into_dyn()) < TOL);

        // time_major is only a transpose.
        let (tm, _) = tf1.dynamic_rnn(x.view().permuted_axes([1, 0, 2]), Some(&lengths), true).unwrap();
        let back = tm.permuted_axes([1, 0, 2]).into_dyn();
        prop_assert!(max_diff(&back, &keras.output) < TOL);
    }

    /// For every cell and setting, the loop wrapper and the fused layer agree,
    /// and both agree with calling the cell step by step.
    #[test]
    fn loop_and_fused_agree_for_every_cell(
        kind in 0usize..4,
        batch in 1usize..5, time in 1usize..8, input in 1usize..6, units in 1usize..6,
        return_sequences in any::<bool>(), go_backwards in any::<bool>(),
        zero_output_for_mask in any::<bool>(), masked in any::<bool>(), with_initial in any::<bool>(),
        seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        let x = init::normal(&mut rng, (batch, time, input));
        let mask = masked.then(|| random_mask(&mut rng, batch, time));
        let config = RnnConfig { return_sequences, return_state: true, go_backwards, zero_output_for_mask };
        let (a, b) = match kind {
            0 => compare(SimpleRnnCell::new(units, input, &mut rng).unwrap(), &x, mask.as_ref(), with_initial, config, &mut rng),
            1 => compare(LstmCell::new(units, input, &mut rng).unwrap(), &x, mask.as_ref(), with_initial, config, &mut rng),
            2 => compare(GruCell::new(units, input, &mut rng).unwrap(), &x, mask.as_ref(), with_initial, config, &mut rng),
            _ => compare(GruCell::new(units, input, &mut rng).unwrap().with_reset_after(false), &x, mask.as_ref(), with_initial, config, &mut rng),
        };
        prop_assert_eq!(a.len(), b.len());
        for (a, b) in a.iter().zip(&b) {
            prop_assert!(max_diff(a, b) < TOL);
        }
    }
}

/// Runs `cell` through `Rnn` and through `Fused`, and checks the last state
/// against stepping the cell by hand (without a mask).
fn compare<C: Cell + Clone>(
    cell: C,
    x: &Array3<f32>,
    mask: Option<&Array2<bool>>,
    with_initial: bool,
    config: RnnConfig,
    rng: &mut init::Rng,
) -> (Vec<ArrayD<f32>>, Vec<ArrayD<f32>>) {
    let (batch, time, _) = x.dim();
    let initial: Option<Vec<Array2<f32>>> = with_initial.then(|| {
        (0..cell.state_count())
            .map(|_| init::normal(rng, (batch, cell.units())))
            .collect()
    });
    let args = CallArgs {
        mask: mask.map(|m| m.view()),
        initial_state: initial.as_deref(),
    };
    let looped = Rnn::new(cell.clone())
        .with_config(config)
        .call_with(x.view().into_dyn(), args)
        .unwrap();
    let fused = rnn_basics::layers::Fused::from_cell(cell.clone())
        .with_config(config)
        .call_with(x.view().into_dyn(), args)
        .unwrap();

    // On the property tests' small shapes, both against the plain f64
    // recurrence too, which shares no code with them (both run `rnn::run`).
    if x.len() <= 1000 {
        let kind = match cell.layer_name() {
            "SimpleRNN" => Kind::SimpleRnn,
            "LSTM" => Kind::Lstm,
            _ => Kind::Gru {
                reset_after: cell.weights().get(2).is_some_and(|b| b.ndim() == 2),
            },
        };
        let reference = Weights::from_keras(kind, &cell.weights()).call(
            x.view(),
            args.mask,
            args.initial_state,
            config,
        );
        for (ours, want) in [&looped, &fused]
            .into_iter()
            .flat_map(|o| o.clone().into_keras().into_iter().zip(reference.clone()))
        {
            assert!(
                max_diff(&ours, &want) < TOL,
                "{kind:?} against the f64 reference"
            );
        }
    }

    if mask.is_none() {
        let mut states = initial.clone().unwrap_or_else(|| cell.zero_states(batch));
        for step in 0..time {
            let t = if config.go_backwards {
                time - 1 - step
            } else {
                step
            };
            states = cell.step(x.slice(s![.., t, ..]), &states).unwrap().1;
        }
        for (by_hand, fused) in states.iter().zip(&fused.states) {
            assert!(max_diff(&by_hand.clone().into_dyn(), &fused.clone().into_dyn()) < TOL);
        }
    }
    (looped.into_keras(), fused.into_keras())
}

#[test]
fn changed_weights_are_used_at_the_next_call() {
    // The layers keep their weights packed for speed; changing a weight must
    // not leave a stale copy behind.
    let mut rng = init::rng(9);
    let x = init::normal(&mut rng, (2, 3, 4));
    let mut lstm = Lstm::new(3, 4, &mut rng).unwrap();
    let mut gru = rnn_basics::layers::Fused::from_cell(
        GruCell::new(3, 4, &mut rng)
            .unwrap()
            .with_reset_after(false),
    );
    let before = (lstm.call(&x).unwrap().output, gru.call(&x).unwrap().output);
    for mut w in lstm.weights_mut().into_iter().chain(gru.weights_mut()) {
        w.mapv_inplace(|v| v * 0.5);
    }
    let after = (lstm.call(&x).unwrap().output, gru.call(&x).unwrap().output);
    let rebuilt_lstm = Lstm::from_cell(
        LstmCell::from_weights(
            lstm.cell().kernel().clone(),
            lstm.cell().recurrent_kernel().clone(),
            lstm.cell().bias().cloned(),
            Activation::Tanh,
            Activation::Sigmoid,
        )
        .unwrap(),
    );
    assert_ne!(before.0, after.0);
    assert_ne!(before.1, after.1);
    assert_eq!(after.0, rebuilt_lstm.call(&x).unwrap().output);
}

#[test]
fn a_batch_split_across_threads_gives_the_same_numbers() {
    // Large enough that the fused layers cut the batch into parts; the loop
    // wrapper never does. Masks, go_backwards and initial states included.
    // Every row goes through the same products in the same order wherever
    // it runs, so the numbers are equal to the bit (what lets README promise
    // that RNN_BASICS_THREADS changes only the speed).
    let mut rng = init::rng(21);
    let (batch, time, input, units) = (32, 20, 64, 64);
    let x = init::normal(&mut rng, (batch, time, input));
    let mask = random_mask(&mut rng, batch, time);
    assert_loop_and_fused_equal(&mut rng, &x, &mask, units, false);
}

#[test]
fn a_sequence_longer_than_a_chunk_gives_the_same_numbers() {
    // The fused layers project a chunk of steps at a time (each part of the
    // batch in chunks of 32 steps here: 32, then 13), with padded blocks
    // when they read x in place and plain ones when they gather it first.
    // However the rows are grouped, each goes through the same products in
    // the same order: equal to the bit.
    let mut rng = init::rng(22);
    let (batch, time, input, units) = (64, 45, 32, 64);
    let x = init::normal(&mut rng, (batch, time, input));
    let mask = random_mask(&mut rng, batch, time);
    assert_loop_and_fused_equal(&mut rng, &x, &mask, units, true);

    // The same input laid out time-major: not contiguous as (batch, time,
    // features), so the layer gathers each chunk before projecting it.
    let time_major = Array3::from_shape_fn((time, batch, input), |(t, b, i)| x[[b, t, i]]);
    let strided = time_major.view().permuted_axes([1, 0, 2]);
    assert!(strided.as_slice().is_none());
    let args = CallArgs {
        mask: Some(mask.view()),
        initial_state: None,
    };
    for go_backwards in [false, true] {
        let layer = Lstm::new(units, input, &mut rng)
            .unwrap()
            .return_sequences(true)
            .go_backwards(go_backwards);
        let gathered = layer.call_with(strided.into_dyn(), args).unwrap();
        let in_place = layer.call_with(x.view().into_dyn(), args).unwrap();
        assert_eq!(gathered.output.shape(), &[batch, time, units]);
        assert_eq!(gathered.output, in_place.output);
    }
}

/// Runs an LSTM and a GRU (with `mask`) and a SimpleRNN (without) through
/// the loop wrapper and the fused layers, forward and backward, from random
/// initial states and from zeros, and asserts that every output and state is
/// equal to the bit.
fn assert_loop_and_fused_equal(
    rng: &mut init::Rng,
    x: &Array3<f32>,
    mask: &Array2<bool>,
    units: usize,
    zero_output_for_mask: bool,
) {
    let input = x.dim().2;
    // The whole sequence from given states, and the last output from zeros:
    // the fused layers join the parts' last outputs, and make the parts'
    // zero states, only in the second case.
    for (return_sequences, with_initial) in [(true, true), (false, false)] {
        for go_backwards in [false, true] {
            let config = RnnConfig {
                return_sequences,
                return_state: true,
                go_backwards,
                zero_output_for_mask,
            };
            let lstm = LstmCell::new(units, input, rng).unwrap();
            let gru = GruCell::new(units, input, rng).unwrap();
            let simple = SimpleRnnCell::new(4 * units, input, rng).unwrap();
            let cells = [
                compare(lstm, x, Some(mask), with_initial, config, rng),
                compare(gru, x, Some(mask), with_initial, config, rng),
                compare(simple, x, None, with_initial, config, rng),
            ];
            for (looped, fused) in cells {
                assert_eq!(looped.len(), fused.len());
                for (a, b) in looped.iter().zip(&fused) {
                    assert_eq!(
                        a, b,
                        "go_backwards {go_backwards}, return_sequences {return_sequences}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_comparison_fails_on_nan_and_on_shape() {
    use common::{Nan, max_diff_with};
    use ndarray::array;
    let a = array![[1.0f32, 2.0], [3.0, 4.0]];
    assert_eq!(max_diff(&a, &a.mapv(f64::from)), 0.0);
    assert_eq!(max_diff(&a, &(&a + 0.5)), 0.5);
    let mut nan = a.clone();
    nan[[1, 0]] = f32::NAN;
    let fails =
        |f: &(dyn Fn() -> f64 + std::panic::RefUnwindSafe)| std::panic::catch_unwind(f).is_err();
    // A NaN on either side, or on both, fails; so do shapes that differ.
    assert!(fails(&|| max_diff(&a, &nan)));
    assert!(fails(&|| max_diff(&nan, &a)));
    assert!(fails(&|| max_diff(&nan, &nan)));
    assert!(fails(&|| max_diff(
        &a,
        &a.clone().into_shape_with_order(4).unwrap()
    )));
    let wide = ndarray::Array2::<f32>::zeros((2, 3));
    assert!(fails(&|| max_diff(&wide, &wide.t())));
    // NaN at the same places passes only when asked for.
    assert_eq!(max_diff_with(&nan, &nan, Nan::SamePlaceAllowed), 0.0);
    assert!(fails(&|| max_diff_with(&a, &nan, Nan::SamePlaceAllowed)));
    // The same infinity is no difference; another is an infinite one.
    let inf = array![f32::INFINITY];
    assert_eq!(max_diff(&inf, &inf), 0.0);
    assert_eq!(max_diff(&inf, &-&inf), f64::INFINITY);
}

/// A cell counts its numbers as Keras's summary does (units 6, input 4):
/// SimpleRNN 4·6 + 6·6 + 6, LSTM four times that, GRU (reset_after) three
/// gates with two biases; no bias, none counted.
#[test]
fn cells_count_their_parameters_as_keras_does() {
    let mut rng = init::rng(1);
    let simple = SimpleRnnCell::new(6, 4, &mut rng).unwrap();
    assert_eq!(simple.param_count(), 66);
    assert_eq!(simple.with_bias(false).param_count(), 60);
    assert_eq!(LstmCell::new(6, 4, &mut rng).unwrap().param_count(), 264);
    let gru = GruCell::new(6, 4, &mut rng).unwrap();
    assert_eq!(gru.param_count(), 216);
    assert_eq!(gru.with_reset_after(false).param_count(), 198);
}

/// A cell written outside the crate: `h = tanh(x·W + h·U)`, no bias. It
/// implements only what `Cell` requires; both loops run it through the
/// trait's own input projection and output rows.
#[derive(Clone)]
struct Elman {
    kernel: Array2<f32>,
    recurrent: Array2<f32>,
}

impl Cell for Elman {
    type Workspace = ();

    fn layer_name(&self) -> &'static str {
        "Elman"
    }
    fn units(&self) -> usize {
        self.recurrent.nrows()
    }
    fn input_dim(&self) -> usize {
        self.kernel.nrows()
    }
    fn kernel(&self) -> ndarray::ArrayView2<'_, f32> {
        self.kernel.view()
    }
    fn input_bias(&self) -> Option<ndarray::ArrayView1<'_, f32>> {
        None
    }
    fn workspace(&self, _batch: usize) {}
    fn recur(&self, xw: ndarray::ArrayViewMut2<f32>, states: &mut [Array2<f32>], _: &mut ()) {
        states[0] = (&xw + &states[0].dot(&self.recurrent)).mapv(f32::tanh);
    }
    fn weights(&self) -> Vec<ndarray::ArrayViewD<'_, f32>> {
        vec![
            self.kernel.view().into_dyn(),
            self.recurrent.view().into_dyn(),
        ]
    }
    fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        vec![
            self.kernel.view_mut().into_dyn(),
            self.recurrent.view_mut().into_dyn(),
        ]
    }
}

#[test]
fn a_cell_written_outside_the_crate_runs_in_the_loop() {
    let mut rng = init::rng(21);
    let (batch, time, input, units) = (3, 5, 4, 6);
    let kernel = init::normal(&mut rng, (input, units));
    let recurrent = init::normal(&mut rng, (units, units)).mapv(|v| v * 0.5);
    let x: Array3<f32> = init::normal(&mut rng, (batch * time, input))
        .into_shape_with_order((batch, time, input))
        .unwrap();
    let mut h = Array2::<f32>::zeros((batch, units));
    let mut expected = Array3::<f32>::zeros((batch, time, units));
    for t in 0..time {
        h = (x.index_axis(Axis(1), t).dot(&kernel) + h.dot(&recurrent)).mapv(f32::tanh);
        expected.index_axis_mut(Axis(1), t).assign(&h);
    }

    let cell = Elman { kernel, recurrent };
    assert_eq!((cell.param_count(), cell.gate_width()), (60, units));
    let config = RnnConfig {
        return_sequences: true,
        return_state: true,
        ..RnnConfig::default()
    };
    let step_by_step = Rnn::new(cell.clone()).with_config(config);
    let fused = rnn_basics::layers::Fused::from_cell(cell).with_config(config);
    // A loop over any cell is Keras's `RNN`; a fused layer takes its cell's name.
    assert_eq!(
        (step_by_step.type_name(), fused.type_name()),
        ("RNN", "Elman")
    );
    for out in [step_by_step.call(&x).unwrap(), fused.call(&x).unwrap()] {
        assert!(max_diff(&out.output, &expected) < TOL);
        assert!(max_diff(&out.states[0], &h) < TOL);
    }
}

/// The loop wrapper's weights are its cell's, to read and to write: what
/// `weights_mut` writes is what the next call runs with.
#[test]
fn the_loop_wrappers_weights_are_its_cells() {
    let mut rng = init::rng(23);
    let cell = LstmCell::new(4, 3, &mut rng).unwrap();
    let mut layer = Rnn::new(cell.clone());
    let x = init::normal(&mut rng, (2, 5, 3)).into_dyn();
    assert_eq!(layer.weights(), cell.weights());
    let mut count = 0;
    for mut w in layer.weights_mut() {
        w.fill(0.0);
        count += 1;
    }
    assert_eq!(count, cell.weights().len());
    assert!(layer.weights().iter().all(|w| w.iter().all(|v| *v == 0.0)));
    // All weights zero: every gate is a half, c = 0.5 · tanh(0) = 0, h = 0.
    let out = layer.call_with(x.view(), CallArgs::default()).unwrap();
    assert!(out.output.iter().all(|v| *v == 0.0), "{:?}", out.output);
}

/// The loop wrapper reports the config it runs with, and what `config_mut`
/// changes is what its next call does.
#[test]
fn the_loop_wrappers_config_is_the_one_it_runs_with() {
    let mut rng = init::rng(29);
    let config = RnnConfig {
        return_sequences: true,
        go_backwards: true,
        ..RnnConfig::default()
    };
    let mut layer = Rnn::new(LstmCell::new(4, 3, &mut rng).unwrap()).with_config(config);
    assert_eq!(layer.config(), &config);
    let x = init::normal(&mut rng, (2, 5, 3)).into_dyn();
    let out = layer.call_with(x.view(), CallArgs::default()).unwrap();
    assert_eq!(out.output.shape(), [2, 5, 4]);

    layer.config_mut().return_sequences = false;
    assert!(!layer.config().return_sequences);
    let last = layer.call_with(x.view(), CallArgs::default()).unwrap();
    assert_eq!(last.output.shape(), [2, 4]);
    // Without the sequence, the output is the sequence's last step.
    assert_eq!(last.output, out.output.slice(s![.., 4, ..]).into_dyn());
}
