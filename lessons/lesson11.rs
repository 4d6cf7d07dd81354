// Lesson 11: variable-length sequences.
//
// Three sequences of 5, 3 and 2 real steps, padded to 5. Keras skips the
// padding with a mask; TF1's dynamic_rnn with sequence_length. Same weights,
// side by side; then go_backwards.

use ndarray::{Array2, Axis, s};
use rnn_basics::manual::Tf1Rnn;
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    // ANCHOR: data
    let lengths = [5usize, 3, 2];
    let mut rng = init::rng(12);
    let mut x = init::normal(&mut rng, (3, 5, 2));
    // Padding: zeros after each sequence's end.
    for (b, &len) in lengths.iter().enumerate() {
        x.slice_mut(s![b, len.., ..]).fill(0.0);
    }
    let mask = Array2::from_shape_fn((3, 5), |(b, t)| t < lengths[b]);
    println!("mask:\n{}", show::ints(&mask.mapv(usize::from)));
    // The same weights in both worlds.
    let tf1 = Tf1Rnn::random_normal(&mut rng, 2, 3);
    let keras = SimpleRnn::from_cell(tf1.to_cell()?)
        .return_sequences(true)
        .return_state(true);
    // ANCHOR_END: data

    // ANCHOR: keep
    // Keras: a masked step keeps the state and repeats the previous output.
    let args = CallArgs {
        mask: Some(mask.view()),
        initial_state: None,
    };
    let out = keras.call_with(x.view().into_dyn(), args)?;
    println!("Keras, mask:\n{}", show::array(&out.output));
    println!("states: {}", show::array(&out.states[0]));
    // ANCHOR_END: keep

    // ANCHOR: zeros
    // Keras with zero_output_for_mask: zeros at the masked steps.
    let zeroed = keras
        .clone()
        .zero_output_for_mask(true)
        .call_with(x.view().into_dyn(), args)?;
    println!(
        "Keras, mask, zero_output_for_mask:\n{}",
        show::array(&zeroed.output)
    );
    // ANCHOR_END: zeros

    // ANCHOR: tf1
    // TF1: outputs are 0 past the length, the state is the last valid one.
    let (outputs, state) = tf1.dynamic_rnn(x.view(), Some(&lengths), false)?;
    println!(
        "TF1, sequence_length {lengths:?}:\n{}",
        show::array(&outputs)
    );
    println!("states: {}", show::array(&state));
    println!(
        "TF1 within 1e-6 of Keras with zero_output_for_mask: {}",
        outputs.into_dyn().abs_diff_eq(&zeroed.output, 1e-6)
    );
    println!(
        "the states agree within 1e-6: {}",
        state.abs_diff_eq(&out.states[0], 1e-6)
    );
    // ANCHOR_END: tf1

    // ANCHOR: unmasked
    // Without the mask, the padding is read like any input and changes the states.
    let plain = keras.call(&x)?;
    println!(
        "without the mask, the same states: {}",
        plain.states[0].abs_diff_eq(&out.states[0], 1e-6)
    );
    // ANCHOR_END: unmasked

    // ANCHOR: backwards
    // go_backwards reads from the last step to the first and returns the
    // outputs in the order read: reversed.
    let backwards = keras.clone().go_backwards(true).call(&x)?;
    let reversed_x = x.slice(s![.., ..;-1, ..]).to_owned();
    let forward_on_reversed = keras.call(&reversed_x)?;
    println!(
        "go_backwards == forward on the reversed input: {}",
        backwards.output == forward_on_reversed.output
    );
    println!(
        "first step of go_backwards reads input step {}",
        x.len_of(Axis(1)) - 1
    );
    // ANCHOR_END: backwards
    Ok(())
}
