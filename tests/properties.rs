//! Properties that hold for every shape, setting and weight: masks that
//! change nothing, masks that cut a sequence short, and the two halves of
//! `Bidirectional`. (The three levels agreeing is in `levels.rs`, gradients
//! against finite differences in `gradients.rs`.)

use ndarray::{Array2, ArrayD, Axis, s};
use proptest::prelude::*;
use rnn_basics::layers::{Bidirectional, MergeMode, RecurrentLayer};
use rnn_basics::prelude::*;

mod common;

fn layer(kind: usize, units: usize, input: usize, rng: &mut init::Rng) -> RecurrentLayer {
    let mut l: RecurrentLayer = match kind {
        0 => SimpleRnn::new(units, input, rng).unwrap().into(),
        1 => Lstm::new(units, input, rng).unwrap().into(),
        2 => Gru::new(units, input, rng).unwrap().into(),
        _ => rnn_basics::layers::Fused::from_cell(
            GruCell::new(units, input, rng)
                .unwrap()
                .with_reset_after(false),
        )
        .into(),
    };
    // Non-zero biases and larger weights, so that every term matters.
    for mut w in l.weights_mut() {
        let noise = init::uniform(rng, w.raw_dim(), -0.5, 0.5).unwrap();
        w += &noise;
    }
    l
}

fn close(a: &ArrayD<f32>, b: &ArrayD<f32>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-6)
}

proptest! {
    #![proptest_config(common::proptest_config(300))]

    #[test]
    fn a_mask_of_all_ones_changes_nothing(
        kind in 0usize..4, batch in 1usize..4, time in 1usize..7, input in 1usize..5, units in 1usize..5,
        return_sequences in any::<bool>(), go_backwards in any::<bool>(), zero_output_for_mask in any::<bool>(),
        seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        let config = RnnConfig { return_sequences, return_state: true, go_backwards, zero_output_for_mask };
        let l = layer(kind, units, input, &mut rng).with_config(config);
        let x = init::normal(&mut rng, (batch, time, input)).into_dyn();
        let ones = Array2::from_elem((batch, time), true);
        let plain = l.call_with(x.view(), CallArgs::default()).unwrap().into_keras();
        let masked = l.call_with(x.view(), CallArgs { mask: Some(ones.view()), initial_state: None }).unwrap().into_keras();
        for (a, b) in plain.iter().zip(&masked) {
            prop_assert!(close(a, b));
        }
    }

    #[test]
    fn masking_the_tail_is_running_the_shorter_sequence(
        kind in 0usize..4, batch in 1usize..4, time in 2usize..7, input in 1usize..5, units in 1usize..5,
        zero_output_for_mask in any::<bool>(), cut in 1usize..6, seed in any::<u64>()
    ) {
        let valid = cut.min(time - 1);
        let mut rng = init::rng(seed);
        let config = RnnConfig { return_sequences: true, return_state: true, go_backwards: false, zero_output_for_mask };
        let l = layer(kind, units, input, &mut rng).with_config(config);
        let x = init::normal(&mut rng, (batch, time, input)).into_dyn();
        let mask = Array2::from_shape_fn((batch, time), |(_, t)| t < valid);
        let masked = l.call_with(x.view(), CallArgs { mask: Some(mask.view()), initial_state: None }).unwrap();
        let short = l.call_with(x.slice(s![.., ..valid, ..]).into_dyn(), CallArgs::default()).unwrap();

        // The valid steps and the final states are those of the shorter sequence.
        let head = masked.output.slice(s![.., ..valid, ..]).to_owned().into_dyn();
        prop_assert!(close(&head, &short.output));
        for (a, b) in masked.states.iter().zip(&short.states) {
            prop_assert!(close(&a.clone().into_dyn(), &b.clone().into_dyn()));
        }
        // Padding outputs zeros, or repeats the last valid output.
        let last = short.output.index_axis(Axis(1), valid - 1).to_owned();
        for t in valid..time {
            let padded = masked.output.index_axis(Axis(1), t).to_owned();
            let want = if zero_output_for_mask { last.mapv(|_| 0.0) } else { last.clone() };
            prop_assert!(close(&padded, &want));
        }
    }

    #[test]
    fn the_backward_half_is_a_go_backwards_layer_reversed(
        kind in 0usize..4, batch in 1usize..4, time in 1usize..7, input in 1usize..5, units in 1usize..5,
        seed in any::<u64>()
    ) {
        let mut rng = init::rng(seed);
        let forward = layer(kind, units, input, &mut rng).return_sequences(true);
        let backward = layer(kind, units, input, &mut rng);
        let backward_alone = backward.clone().return_sequences(true).go_backwards(true);
        let bi = Bidirectional::new(forward.clone(), backward, MergeMode::None).unwrap();
        let x = init::normal(&mut rng, (batch, time, input)).into_dyn();
        let out = bi.call_with(x.view(), CallArgs::default()).unwrap();

        let alone = backward_alone.call_with(x.view(), CallArgs::default()).unwrap().output;
        let reversed = alone.slice_axis(Axis(1), ndarray::Slice::new(0, None, -1)).to_owned();
        prop_assert!(close(&out.outputs[1], &reversed));
        let forward_alone = forward.call_with(x.view(), CallArgs::default()).unwrap().output;
        prop_assert!(close(&out.outputs[0], &forward_alone));
    }
}
