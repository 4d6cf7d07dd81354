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
