// Lesson 04: unfolding to a sequence.
//
// "hello" as five one-hot steps through a SimpleRNN of 2 units: one output
// per step, and the state is the last of them.

use ndarray::{Array3, s};
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    // ANCHOR: hello
    let h = [1.0f32, 0.0, 0.0, 0.0];
    let e = [0.0f32, 1.0, 0.0, 0.0];
    let l = [0.0f32, 0.0, 1.0, 0.0];
    let o = [0.0f32, 0.0, 0.0, 1.0];

    // One cell RNN input_dim (4) -> output_dim (2). sequence: 5
    let x_data = Array3::from(vec![[h, e, l, l, o]]);
    let hidden_size = 2;
    let rnn = SimpleRnn::new(hidden_size, 4, &mut init::rng(12))?
        .return_sequences(true)
        .return_state(true);
    let RnnOutput {
        output: outputs,
        states,
    } = rnn.call(&x_data)?;

    println!(
        "x_data: {}, shape: {} \n",
        show::array(&x_data),
        show::shape(x_data.shape())
    );
    println!(
        "outputs: {}, shape: {} \n",
        show::array(&outputs),
        show::shape(outputs.shape())
    );
    println!(
        "states: {}, shape: {}",
        show::array(&states[0]),
        show::shape(states[0].shape())
    );
    // ANCHOR_END: hello

    // ANCHOR: last_row
    // The state is the output of the last step.
    let last_output = outputs.slice(s![.., -1, ..]);
    println!("states == outputs[:, -1, :]: {}", last_output == states[0]);
    // ANCHOR_END: last_row
    Ok(())
}
