// Lesson 05: batching input.
//
// Three words at once, 'hello', 'eolll' and 'lleel': a batch of 3 sequences
// of 5 steps. One output per word and step, one state per word.

use ndarray::{Array3, s};
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    // ANCHOR: batch
    let h = [1.0f32, 0.0, 0.0, 0.0];
    let e = [0.0f32, 1.0, 0.0, 0.0];
    let l = [0.0f32, 0.0, 1.0, 0.0];
    let o = [0.0f32, 0.0, 0.0, 1.0];

    // One cell RNN input_dim (4) -> output_dim (2). sequence: 5, batch 3
    // 3 batches 'hello', 'eolll', 'lleel'
    let x_data = Array3::from(vec![[h, e, l, l, o], [e, o, l, l, l], [l, l, e, e, l]]);
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
    // ANCHOR_END: batch

    // ANCHOR: independent
    // Each word runs on its own: 'eolll' alone gives the same row.
    let alone = rnn.call(&x_data.slice(s![1..2, .., ..]))?;
    let same = alone.states[0].row(0).abs_diff_eq(&states[0].row(1), 1e-6);
    println!("'eolll' alone gives the same state: {same}");
    // ANCHOR_END: independent
    Ok(())
}
