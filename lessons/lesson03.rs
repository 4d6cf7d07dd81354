// Lesson 03: one cell.
//
// The course's first Keras cell: 'h' one-hot encoded, one time step, a
// SimpleRNNCell of 2 units run by the loop wrapper RNN, then the fused
// SimpleRNN layer with the same weights.

use ndarray::Array3;
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    // ANCHOR: one_hot
    // One hot encoding for each char in 'hello'
    let h = [1.0f32, 0.0, 0.0, 0.0];
    let _e = [0.0f32, 1.0, 0.0, 0.0];
    let _l = [0.0f32, 0.0, 1.0, 0.0];
    let _o = [0.0f32, 0.0, 0.0, 1.0];
    // ANCHOR_END: one_hot

    // ANCHOR: cell
    // One cell RNN input_dim (4) -> output_dim (2)
    let x_data = Array3::from(vec![[h]]);
    let hidden_size = 2;
    let mut rng = init::rng(12);
    let cell = SimpleRnnCell::new(hidden_size, 4, &mut rng)?; // creating SimpleRNNCell
    let rnn = Rnn::new(cell.clone())
        .return_sequences(true)
        .return_state(true);
    let RnnOutput {
        output: outputs,
        states,
    } = rnn.call(&x_data)?;

    println!(
        "x_data: {}, shape: {}",
        show::array(&x_data),
        show::shape(x_data.shape())
    );
    println!(
        "outputs: {}, shape: {}",
        show::array(&outputs),
        show::shape(outputs.shape())
    );
    println!(
        "states: {}, shape: {}",
        show::array(&states[0]),
        show::shape(states[0].shape())
    );
    // ANCHOR_END: cell

    // ANCHOR: fused
    // equivalent to above case: the same weights in the fused layer
    let rnn = SimpleRnn::from_cell(cell.clone())
        .return_sequences(true)
        .return_state(true);
    let RnnOutput {
        output: fused_outputs,
        states: fused_states,
    } = rnn.call(&x_data)?;

    println!(
        "x_data: {}, shape: {}",
        show::array(&x_data),
        show::shape(x_data.shape())
    );
    println!(
        "outputs: {}, shape: {}",
        show::array(&fused_outputs),
        show::shape(fused_outputs.shape())
    );
    println!(
        "states: {}, shape: {}",
        show::array(&fused_states[0]),
        show::shape(fused_states[0].shape())
    );
    // ANCHOR_END: fused

    // ANCHOR: by_hand
    // One step by hand: tanh(x · kernel + 0 · recurrent_kernel + bias).
    let mut by_hand = x_data.index_axis(ndarray::Axis(0), 0).dot(cell.kernel());
    by_hand += cell.bias().expect("SimpleRNNCell has a bias by default");
    by_hand.mapv_inplace(f32::tanh);
    println!("by hand: {}", show::array(&by_hand));
    println!("kernel: {}", show::shape(cell.kernel().shape()));
    println!(
        "recurrent_kernel: {}",
        show::shape(cell.recurrent_kernel().shape())
    );
    // ANCHOR_END: by_hand

    // ANCHOR: agree
    // The loop and the layer run the same products in the same order.
    let same_bits = outputs == fused_outputs && states == fused_states;
    println!("cell in the loop == layer, to the bit: {same_bits}");
    // By hand uses the standard library's tanh: the last digit may differ.
    let close = by_hand
        .iter()
        .zip(&fused_outputs)
        .all(|(a, b)| (a - b).abs() <= 1e-6);
    println!("by hand within 1e-6 of the layer: {close}");
    // ANCHOR_END: agree
    Ok(())
}
