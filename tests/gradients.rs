//! The backward passes agree with finite differences, on random shapes,
//! settings, weights and masks.
//!
//! For a random direction `v` over every weight (and the input), the
//! directional derivative of `L = Σ output · cotangent` computed by the
//! backward pass, `⟨∇L, v⟩`, must match the central difference
//! `(L(w + εv) - L(w - εv)) / 2ε`. A direction sums many partial
//! derivatives, so float32 rounding in `L` stays small next to it.

use ndarray::{Array2, ArrayD, ArrayViewMutD};
use proptest::prelude::*;

mod common;
use common::reference::{Kind, Weights};
use rnn_basics::layers::{Bidirectional, Dense, MergeMode, RecurrentLayer};
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;
use rnn_basics::train::Backward;

const EPS: f32 = 1e-2;

/// Σ output · cotangent over every returned array.
fn loss(outputs: &[ArrayD<f32>], cotangents: &[ArrayD<f32>]) -> f64 {
    outputs
        .iter()
        .zip(cotangents)
        .map(|(o, c)| {
            o.iter()
                .zip(c)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum::<f64>()
        })
        .sum()
}

fn dot(a: &[ArrayD<f32>], b: &[ArrayD<f32>]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            x.iter()
                .zip(y)
                .map(|(p, q)| (*p as f64) * (*q as f64))
                .sum::<f64>()
        })
        .sum()
}

fn nudge(weights: Vec<ArrayViewMutD<'_, f32>>, direction: &[ArrayD<f32>], by: f32) {
    for (mut w, d) in weights.into_iter().zip(direction) {
        w.scaled_add(by, d);
    }
}

/// Checks one layer: `run` returns its outputs for the (possibly nudged)
/// layer and input; `grads` the backward pass's weight and input gradients.
fn check<L: Clone>(
    layer: &L,
    x: &ArrayD<f32>,
    seed: u64,
    run: impl Fn(&L, &ArrayD<f32>) -> Vec<ArrayD<f32>>,
    grads: impl Fn(&L, &ArrayD<f32>, &[ArrayD<f32>]) -> (Vec<ArrayD<f32>>, ArrayD<f32>),
    weights_mut: impl Fn(&mut L) -> Vec<ArrayViewMutD<'_, f32>>,
) -> Result<(), TestCaseError> {
    let mut rng = init::rng(seed ^ 0x5eed);
    let outputs = run(layer, x);
    let cotangents: Vec<ArrayD<f32>> = outputs
        .iter()
        .map(|o| init::normal(&mut rng, o.raw_dim()))
        .collect();
    let (d_weights, d_input) = grads(layer, x, &cotangents);

    let mut probe = layer.clone();
    let direction: Vec<ArrayD<f32>> = weights_mut(&mut probe)
        .iter()
        .map(|w| init::normal(&mut rng, w.raw_dim()))
        .collect();
    let mut x_direction = init::normal(&mut rng, x.raw_dim());
    // A unit step in weights and input together, so that ε is the step's length.
    let norm = (dot(&direction, &direction) + dot(&[x_direction.clone()], &[x_direction.clone()]))
        .sqrt() as f32;
    let direction: Vec<ArrayD<f32>> = direction.into_iter().map(|d| d / norm).collect();
    x_direction /= norm;

    let analytic = dot(&d_weights, &direction) + dot(&[d_input], &[x_direction.clone()]);
    let mut plus = layer.clone();
    nudge(weights_mut(&mut plus), &direction, EPS);
    let mut minus = layer.clone();
    nudge(weights_mut(&mut minus), &direction, -EPS);
    let x_plus = x + &(&x_direction * EPS);
    let x_minus = x - &(&x_direction * EPS);
    let numeric = (loss(&run(&plus, &x_plus), &cotangents)
        - loss(&run(&minus, &x_minus), &cotangents))
        / (2.0 * EPS as f64);
    prop_assert!(
        (analytic - numeric).abs() <= 2e-3 * (1.0 + analytic.abs()),
        "analytic {analytic}, finite difference {numeric}"
    );
    Ok(())
}

fn recurrent(kind: usize, units: usize, input: usize, rng: &mut init::Rng) -> RecurrentLayer {
    match kind {
        0 => SimpleRnn::new(units, input, rng).unwrap().into(),
        1 => Lstm::new(units, input, rng).unwrap().into(),
        2 => Gru::new(units, input, rng).unwrap().into(),
        _ => rnn_basics::layers::Fused::from_cell(
            GruCell::new(units, input, rng)
                .unwrap()
                .with_reset_after(false),
        )
        .into(),
    }
}

/// The f64 reference's cell for each kind of [`recurrent`].
const REFERENCE_KINDS: [Kind; 4] = [
    Kind::SimpleRnn,
    Kind::Lstm,
    Kind::Gru { reset_after: true },
    Kind::Gru { reset_after: false },
];

/// Non-zero biases, so that their gradients are exercised.
fn randomize<L>(
    layer: &mut L,
    weights_mut: impl Fn(&mut L) -> Vec<ArrayViewMutD<'_, f32>>,
    rng: &mut init::Rng,
) {
    for mut w in weights_mut(layer) {
        let noise = init::uniform(rng, w.raw_dim(), -0.4, 0.4).unwrap();
        w += &noise;
    }
}

fn mask(rng: &mut init::Rng, batch: usize, time: usize) -> Array2<bool> {
    let mut m = init::uniform(rng, (batch, time), 0.0, 1.0)
        .unwrap()
        .mapv(|v| v > 0.35);
    for b in 0..batch {
        m[[b, (b * 3) % time]] = true;
    }
    m
}

proptest! {
    #![proptest_config(common::proptest_config(150))]

    #[test]
    fn recurrent_layers_match_finite_differences(
        kind in 0usize..4, batch in 1usize..4, time in 1usize..6, input in 1usize..4, units in 1usize..5,
        return_sequences in any::<bool>(), return_state in any::<bool>(), go_backwards in any::<bool>(),
        zero_output_for_mask in any::<bool>(), masked in any::<bool>(), seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        let mut layer = recurrent(kind, units, input, &mut rng);
        randomize(&mut layer, |l| l.weights_mut(), &mut rng);
        let layer = layer.with_config(RnnConfig { return_sequences, return_state, go_backwards, zero_output_for_mask });
        let x = init::normal(&mut rng, (batch, time, input)).into_dyn();
        let m = masked.then(|| mask(&mut rng, batch, time));
        let args = move |m: &Option<Array2<bool>>| m.clone();
        check(
            &layer,
            &x,
            seed,
            |l, x| l.call_with(x.view(), CallArgs { mask: args(&m).as_ref().map(|m| m.view()), initial_state: None }).unwrap().into_keras(),
            |l, x, cot| {
                let mm = args(&m);
                let call = CallArgs { mask: mm.as_ref().map(|m| m.view()), initial_state: None };
                let (_, tape) = l.forward_train(x.view(), call).unwrap();
                let views: Vec<_> = cot.iter().map(|c| c.view()).collect();
                let g = l.backward(&tape, &views).unwrap();
                (g.weights, g.input)
            },
            |l| l.weights_mut(),
        )?;
    }

    #[test]
    fn bidirectional_matches_finite_differences(
        kind in 0usize..4, merge in 0usize..5, batch in 1usize..3, time in 1usize..5, input in 1usize..4,
        units in 1usize..4, return_sequences in any::<bool>(), return_state in any::<bool>(),
        masked in any::<bool>(), seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        let forward = recurrent(kind, units, input, &mut rng).return_sequences(return_sequences).return_state(return_state);
        let backward = recurrent(kind, units, input, &mut rng);
        let mode = [MergeMode::Concat, MergeMode::Sum, MergeMode::Mul, MergeMode::Ave, MergeMode::None][merge];
        let mut layer = Bidirectional::new(forward, backward, mode).unwrap();
        randomize(&mut layer, |l| l.weights_mut(), &mut rng);
        let x = init::normal(&mut rng, (batch, time, input)).into_dyn();
        let m = masked.then(|| mask(&mut rng, batch, time));
        check(
            &layer,
            &x,
            seed,
            |l, x| l.call_with(x.view(), CallArgs { mask: m.as_ref().map(|m| m.view()), initial_state: None }).unwrap().into_keras(),
            |l, x, cot| {
                let call = CallArgs { mask: m.as_ref().map(|m| m.view()), initial_state: None };
                let (_, tape) = l.forward_train(x.view(), call).unwrap();
                let views: Vec<_> = cot.iter().map(|c| c.view()).collect();
                let g = l.backward(&tape, &views).unwrap();
                (g.weights, g.input)
            },
            |l| l.weights_mut(),
        )?;
    }

    #[test]
    fn stacks_with_dense_match_finite_differences(
        kind in 0usize..4, activation in 0usize..4, batch in 1usize..4, time in 1usize..5,
        input in 1usize..4, units in 1usize..5, classes in 1usize..4, sequence_output in any::<bool>(), seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        // Not relu: a finite difference across its kink says nothing (Keras's
        // reference cases check relu's gradients).
        let act = [Activation::Linear, Activation::Tanh, Activation::Sigmoid, Activation::Softmax][activation];
        let mut model = Sequential::with_input_shape(&[time, input]);
        model.add(recurrent(kind, units, input, &mut rng).return_sequences(true)).unwrap();
        model.add(recurrent((kind + 1) % 4, units, units, &mut rng).return_sequences(sequence_output)).unwrap();
        model.add(Dense::new(classes, units, &mut rng).unwrap().with_activation(act)).unwrap();
        randomize(&mut model, |m| m.weights_mut(), &mut rng);
        let x = init::normal(&mut rng, (batch, time, input)).into_dyn();
        check(
            &model,
            &x,
            seed,
            |m, x| vec![m.forward(x.view()).unwrap()],
            |m, x, cot| {
                let (_, tape) = m.forward_train(x.view(), CallArgs::default()).unwrap();
                let g = m.backward(&tape, &[cot[0].view()]).unwrap();
                (g.weights, g.input)
            },
            |m| m.weights_mut(),
        )?;
    }
}

#[test]
fn initial_state_gradients_match_finite_differences() {
    // The gradient with respect to the initial states, for the three cells.
    for kind in 0..4 {
        let mut rng = init::rng(40 + kind as u64);
        let layer = recurrent(kind, 3, 2, &mut rng).return_sequences(true);
        let x = init::normal(&mut rng, (2, 4, 2)).into_dyn();
        let states: Vec<Array2<f32>> = (0..layer.state_count())
            .map(|_| init::normal(&mut rng, (2, 3)))
            .collect();
        let run = |s: &[Array2<f32>]| {
            layer
                .call_with(
                    x.view(),
                    CallArgs {
                        mask: None,
                        initial_state: Some(s),
                    },
                )
                .unwrap()
                .output
        };
        let cot = init::normal(&mut rng, run(&states).raw_dim());
        let (_, tape) = layer
            .forward_train(
                x.view(),
                CallArgs {
                    mask: None,
                    initial_state: Some(&states),
                },
            )
            .unwrap();
        let g = layer.backward(&tape, &[cot.view()]).unwrap();
        let dirs: Vec<Array2<f32>> = states
            .iter()
            .map(|s| init::normal(&mut rng, s.raw_dim()) / 4.0)
            .collect();
        let analytic: f64 = g
            .initial_state
            .iter()
            .zip(&dirs)
            .map(|(g, d)| (g * d).sum() as f64)
            .sum();
        let shifted = |by: f32| -> Vec<Array2<f32>> {
            states
                .iter()
                .zip(&dirs)
                .map(|(s, d)| s + &(d * by))
                .collect()
        };
        let numeric = (loss(&[run(&shifted(EPS))], std::slice::from_ref(&cot))
            - loss(&[run(&shifted(-EPS))], std::slice::from_ref(&cot)))
            / (2.0 * EPS as f64);
        assert!(
            (analytic - numeric).abs() <= 2e-3 * (1.0 + analytic.abs()),
            "kind {kind}: {analytic} vs {numeric}"
        );
    }
}

/// One training step whose output gradients (the cotangents) are drawn
/// from `rng`: the cotangents and the layer's gradients.
fn step_with_random_cotangents(
    layer: &RecurrentLayer,
    x: &ndarray::Array3<f32>,
    args: CallArgs<'_>,
    rng: &mut init::Rng,
) -> (Vec<ArrayD<f32>>, rnn_basics::train::Gradients) {
    let (out, tape) = layer.forward_train(x.view().into_dyn(), args).unwrap();
    let cotangents: Vec<ArrayD<f32>> = out
        .into_keras()
        .iter()
        .map(|o| init::normal(rng, o.raw_dim()))
        .collect();
    let views: Vec<_> = cotangents.iter().map(|c| c.view()).collect();
    let g = layer.backward(&tape, &views).unwrap();
    (cotangents, g)
}

/// `Σ cotangent · output` of the f64 reference, for weights, input and
/// initial states in f64.
fn reference_loss(
    kind: Kind,
    weights: &[ArrayD<f64>],
    x: &ndarray::Array3<f64>,
    initial: &[Array2<f64>],
    mask: Option<&Array2<bool>>,
    config: RnnConfig,
    cotangents: &[ArrayD<f32>],
) -> f64 {
    let outputs = Weights::from_f64(kind, weights).call_f64(
        x.view(),
        mask.map(|m| m.view()),
        (!initial.is_empty()).then_some(initial),
        config,
    );
    outputs
        .iter()
        .zip(cotangents)
        .map(|(o, c)| o.iter().zip(c).map(|(a, b)| a * f64::from(*b)).sum::<f64>())
        .sum()
}

/// Central differences in f64 of `f` at every element of `values`
/// (changed in place and put back).
fn numeric_gradient<D: ndarray::Dimension>(
    values: &mut ndarray::Array<f64, D>,
    f: &mut dyn FnMut(&ndarray::Array<f64, D>) -> f64,
) -> ndarray::Array<f64, D> {
    const H: f64 = 1e-6;
    let mut grad = values.clone();
    for i in 0..values.len() {
        let v = values.as_slice_memory_order().unwrap()[i];
        values.as_slice_memory_order_mut().unwrap()[i] = v + H;
        let plus = f(values);
        values.as_slice_memory_order_mut().unwrap()[i] = v - H;
        let minus = f(values);
        values.as_slice_memory_order_mut().unwrap()[i] = v;
        grad.as_slice_memory_order_mut().unwrap()[i] = (plus - minus) / (2.0 * H);
    }
    grad
}

/// Each element of the backward pass's gradient within 1e-4 of the f64
/// central difference, relative to the element (a 0.1% error in any
/// gradient fails), plus 1e-6 of the tensor's largest gradient for the
/// elements near zero, where float32 rounding is all that is left.
fn assert_gradient_close<D: ndarray::Dimension>(
    analytic: &ndarray::ArrayView<'_, f32, D>,
    numeric: &ndarray::Array<f64, D>,
    what: &str,
) {
    assert_eq!(analytic.shape(), numeric.shape(), "{what}: shapes");
    let scale = numeric.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, n) in analytic.iter().zip(numeric) {
        let a = f64::from(*a);
        assert!(!a.is_nan() && !n.is_nan(), "{what}: NaN ({a} vs {n})");
        let tol = 1e-4 * n.abs() + 1e-6 * scale;
        assert!(
            (a - n).abs() <= tol,
            "{what}: backward {a:e}, central difference {n:e} (allowed {tol:e})"
        );
    }
}

#[test]
fn every_gradient_matches_f64_central_differences_element_by_element() {
    // Every weight, the input and the initial states, each element against
    // central differences of the plain f64 recurrence (tests/common/reference.rs),
    // for every cell and the settings that change the backward pass.
    let mut case = 0;
    for (kind, &reference_kind) in REFERENCE_KINDS.iter().enumerate() {
        for (
            return_sequences,
            return_state,
            go_backwards,
            zero_output_for_mask,
            masked,
            with_initial,
        ) in [
            (true, true, false, false, false, true),
            (false, true, true, false, true, false),
            (true, false, true, true, true, true),
            (false, false, false, false, true, true),
        ] {
            case += 1;
            let mut rng = init::rng(500 + case);
            let mut layer = recurrent(kind, 3, 2, &mut rng);
            randomize(&mut layer, |l| l.weights_mut(), &mut rng);
            let config = RnnConfig {
                return_sequences,
                return_state,
                go_backwards,
                zero_output_for_mask,
            };
            let layer = layer.with_config(config);
            let (batch, time) = (2, 5);
            let x = init::normal(&mut rng, (batch, time, 2));
            let m = masked.then(|| mask(&mut rng, batch, time));
            let initial: Vec<Array2<f32>> = if with_initial {
                (0..layer.state_count())
                    .map(|_| init::normal(&mut rng, (batch, 3)))
                    .collect()
            } else {
                Vec::new()
            };
            let args = CallArgs {
                mask: m.as_ref().map(|m| m.view()),
                initial_state: with_initial.then_some(initial.as_slice()),
            };
            let (cotangents, g) = step_with_random_cotangents(&layer, &x, args, &mut rng);
            let what = format!("{} case {case}", layer.type_name());

            let weights: Vec<ArrayD<f64>> =
                layer.weights().iter().map(|w| w.mapv(f64::from)).collect();
            let x64 = x.mapv(f64::from);
            let initial64: Vec<Array2<f64>> = initial.iter().map(|s| s.mapv(f64::from)).collect();
            let loss = |w: &[ArrayD<f64>], x: &ndarray::Array3<f64>, s: &[Array2<f64>]| {
                reference_loss(reference_kind, w, x, s, m.as_ref(), config, &cotangents)
            };
            assert_eq!(g.weights.len(), weights.len());
            for i in 0..weights.len() {
                let mut w = weights[i].clone();
                let numeric = numeric_gradient(&mut w, &mut |w| {
                    let mut all = weights.clone();
                    all[i] = w.clone();
                    loss(&all, &x64, &initial64)
                });
                assert_gradient_close(
                    &g.weights[i].view(),
                    &numeric,
                    &format!("{what}, weight {i}"),
                );
            }
            let numeric =
                numeric_gradient(&mut x64.clone(), &mut |x| loss(&weights, x, &initial64));
            assert_gradient_close(
                &g.input.view().into_dimensionality().unwrap(),
                &numeric,
                &format!("{what}, input"),
            );
            if with_initial {
                assert_eq!(g.initial_state.len(), initial64.len());
                for k in 0..initial64.len() {
                    let mut s = initial64[k].clone();
                    let numeric = numeric_gradient(&mut s, &mut |s| {
                        let mut all = initial64.clone();
                        all[k] = s.clone();
                        loss(&weights, &x64, &all)
                    });
                    assert_gradient_close(
                        &g.initial_state[k].view(),
                        &numeric,
                        &format!("{what}, initial state {k}"),
                    );
                }
            }
        }
    }
}

/// Backpropagation through time written out with the cells' own one-step
/// backward ([`CellBackward`]): the recurrence forward step by step, then
/// back, as the book's chapter on training does it. The layers train on
/// the fast path; this checks the cells' steps, which a custom loop (and
/// GRU with `reset_after=False`) uses, against it.
fn by_hand<C: rnn_basics::train::CellBackward>(
    cell: &C,
    x: &ndarray::Array3<f32>,
    cot: &ndarray::Array3<f32>,
) -> Vec<ArrayD<f32>> {
    use ndarray::{Axis, s};
    let (batch, time, _) = x.dim();
    let units = cell.units();
    let mut states: Vec<Array2<f32>> = (0..cell.state_count())
        .map(|_| Array2::zeros((batch, units)))
        .collect();
    let mut caches = Vec::new();
    let mut outputs = ndarray::Array3::<f32>::zeros((batch, time, units));
    for t in 0..time {
        let mut xw = Array2::zeros((batch, cell.gate_width()));
        cell.project(x.slice(s![.., t, ..]), xw.view_mut());
        caches.push(cell.recur_cached(xw.view(), &mut states));
        outputs.index_axis_mut(Axis(1), t).assign(&states[0]);
    }
    let mut grads: Vec<ArrayD<f32>> = cell
        .weights()
        .iter()
        .map(|w| ArrayD::zeros(w.raw_dim()))
        .collect();
    let mut d_x = ndarray::Array3::<f32>::zeros(x.raw_dim());
    let mut d_state: Vec<Array2<f32>> = states.iter().map(|s| Array2::zeros(s.raw_dim())).collect();
    for t in (0..time).rev() {
        d_state[0] += &cot.index_axis(Axis(1), t);
        let mut d_xw = Array2::zeros((batch, cell.gate_width()));
        let mut views: Vec<ArrayViewMutD<'_, f32>> =
            grads.iter_mut().map(|g| g.view_mut()).collect();
        d_state = cell.recur_backward(&caches[t], &d_state, d_xw.view_mut(), &mut views);
        let d_xt = cell.project_backward(x.slice(s![.., t, ..]), d_xw.view(), &mut views);
        d_x.index_axis_mut(Axis(1), t).assign(&d_xt);
    }
    let mut all = vec![outputs.into_dyn()];
    all.extend(grads);
    all.push(d_x.into_dyn());
    all
}

#[test]
fn the_cells_one_step_backward_agrees_with_the_layers() {
    use rnn_basics::cell::{GruCell, LstmCell, SimpleRnnCell};
    use rnn_basics::layers::Fused;
    let mut rng = init::rng(21);
    let x = init::normal(&mut rng, (3, 5, 4));
    let cot = init::normal(&mut rng, (3, 5, 6));
    let layer_side = |layer: RecurrentLayer| {
        let mut layer = layer;
        layer.config_mut().return_sequences = true;
        let (out, tape) = layer
            .forward_train(x.view().into_dyn(), CallArgs::default())
            .unwrap();
        let grads = layer.backward(&tape, &[cot.view().into_dyn()]).unwrap();
        let mut all = vec![out.output];
        all.extend(grads.weights);
        all.push(grads.input);
        all
    };
    let close = |ours: Vec<ArrayD<f32>>, theirs: Vec<ArrayD<f32>>, what: &str| {
        assert_eq!(ours.len(), theirs.len(), "{what}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.shape(), b.shape(), "{what}");
            for (p, q) in a.iter().zip(b) {
                assert!(
                    (p - q).abs() <= 1e-5 + 1e-4 * q.abs(),
                    "{what}: {p} by hand, {q} by the layer"
                );
            }
        }
    };
    for use_bias in [true, false] {
        let what = |kind: &str| format!("{kind}, use_bias={use_bias}");
        let simple = jittered(
            SimpleRnnCell::new(6, 4, &mut rng)
                .unwrap()
                .with_bias(use_bias),
            &mut rng,
        );
        close(
            by_hand(&simple, &x, &cot),
            layer_side(Fused::from_cell(simple).into()),
            &what("SimpleRNN"),
        );
        let lstm = jittered(
            LstmCell::new(6, 4, &mut rng).unwrap().with_bias(use_bias),
            &mut rng,
        );
        close(
            by_hand(&lstm, &x, &cot),
            layer_side(Fused::from_cell(lstm).into()),
            &what("LSTM"),
        );
        let gru = jittered(
            GruCell::new(6, 4, &mut rng).unwrap().with_bias(use_bias),
            &mut rng,
        );
        close(
            by_hand(&gru, &x, &cot),
            layer_side(Fused::from_cell(gru).into()),
            &what("GRU"),
        );
    }
}

/// `cell` with every weight moved off its initial value, so that its
/// biases are not zeros.
fn jittered<C: Cell>(mut cell: C, rng: &mut init::Rng) -> C {
    for mut w in cell.weights_mut() {
        w += &init::uniform(&mut *rng, w.raw_dim(), -0.3, 0.3).unwrap();
    }
    cell
}

/// Shapes past every boundary of the fast path: a batch split across
/// threads, the projection split, rows past a 256-row chunk of the weight
/// gradients, gate widths past 256 (the input gradient's chunks) and not a
/// multiple of the 32-column panels. Each tensor's gradient, along a random
/// direction, against the f64 reference's central difference: a 0.1% error
/// in any one tensor fails.
#[test]
fn large_shapes_match_f64_directional_derivatives() {
    let (batch, time, input) = (40, 24, 48);
    for (kind, units) in [(0, 260), (1, 70), (2, 90), (3, 90)] {
        for everything in [false, true] {
            let mut rng = init::rng(700 + kind as u64);
            let mut layer = recurrent(kind, units, input, &mut rng);
            for mut w in layer.weights_mut() {
                let rows = if w.ndim() == 2 { w.shape()[0] } else { 1 };
                let by = 0.3 * (2.0 / (rows as f32).sqrt()).min(1.0);
                w += &init::uniform(&mut rng, w.raw_dim(), -by, by).unwrap();
            }
            let config = RnnConfig {
                return_sequences: !everything,
                return_state: everything,
                go_backwards: everything,
                zero_output_for_mask: false,
            };
            let layer = layer.with_config(config);
            let reference_kind = REFERENCE_KINDS[kind];
            let x = init::normal(&mut rng, (batch, time, input));
            let m = everything.then(|| mask(&mut rng, batch, time));
            let args = CallArgs {
                mask: m.as_ref().map(|m| m.view()),
                initial_state: None,
            };
            let (cotangents, g) = step_with_random_cotangents(&layer, &x, args, &mut rng);

            let weights: Vec<ArrayD<f64>> =
                layer.weights().iter().map(|w| w.mapv(f64::from)).collect();
            let x64 = x.mapv(f64::from).into_dyn();
            let loss = |w: &[ArrayD<f64>], x: &ArrayD<f64>| {
                let x = x.view().into_dimensionality().unwrap().to_owned();
                reference_loss(reference_kind, w, &x, &[], m.as_ref(), config, &cotangents)
            };
            // Tensor i of the weights, then the input.
            let mut tensors = weights.clone();
            tensors.push(x64.clone());
            let mut analytic: Vec<ArrayD<f32>> = g.weights.clone();
            analytic.push(g.input.clone());
            for (i, grad) in analytic.iter().enumerate() {
                let v = init::normal(&mut rng, (grad.len(), 1)).mapv(f64::from);
                let v =
                    ArrayD::from_shape_vec(grad.raw_dim(), v.into_raw_vec_and_offset().0).unwrap();
                let along = |by: f64| {
                    let mut all = tensors.clone();
                    all[i] = &all[i] + &(&v * by);
                    let x = all.pop().unwrap();
                    loss(&all, &x)
                };
                const H: f64 = 1e-4;
                let numeric = (along(H) - along(-H)) / (2.0 * H);
                let backward: f64 = grad.iter().zip(&v).map(|(a, b)| f64::from(*a) * b).sum();
                let what = format!(
                    "{} units {units}, everything {everything}, tensor {i}",
                    layer.type_name()
                );
                assert!(
                    (backward - numeric).abs() <= 1e-4 * numeric.abs().max(1e-3),
                    "{what}: backward {backward:e}, central difference {numeric:e}"
                );
            }
        }
    }
}
