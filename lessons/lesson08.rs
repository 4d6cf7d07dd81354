// Lesson 08: LSTM.
//
// The same train_X through an LSTM(3): four gates, a cell state beside the
// hidden state, and return_state giving three arrays.

use ndarray::{Array3, s};
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    let train_x = Array3::from(vec![[
        [0.1f32, 4.2, 1.5, 1.1, 2.8],
        [1.0, 3.1, 2.5, 0.7, 1.1],
        [0.3, 2.1, 1.5, 2.1, 0.1],
        [2.2, 1.4, 0.5, 0.9, 1.1],
    ]]);

    // ANCHOR: state
    // lstm = LSTM(3, return_sequences=False, return_state=True)
    let lstm = Lstm::new(3, 5, &mut init::rng(12))?;
    let out = lstm.clone().return_state(true).call(&train_x)?;
    let (hidden_state, last_state, last_cell_state) =
        (&out.output, &out.states[0], &out.states[1]);
    println!(
        "hidden state : {}, shape: {}",
        show::array(hidden_state),
        show::shape(hidden_state.shape())
    );
    println!(
        "last hidden state : {}, shape: {}",
        show::array(last_state),
        show::shape(last_state.shape())
    );
    println!(
        "last cell state : {}, shape: {}",
        show::array(last_cell_state),
        show::shape(last_cell_state.shape())
    );
    // ANCHOR_END: state

    // ANCHOR: sequences
    // lstm = LSTM(3, return_sequences=True, return_state=True)
    let out = lstm
        .clone()
        .return_sequences(true)
        .return_state(true)
        .call(&train_x)?;
    println!(
        "hidden states : {}, shape: {}",
        show::array(&out.output),
        show::shape(out.output.shape())
    );
    println!(
        "last hidden state == hidden states[:, -1, :]: {}",
        out.output.slice(s![.., -1, ..]) == out.states[0]
    );
    // ANCHOR_END: sequences

    // ANCHOR: weights
    // Four gates side by side, in Keras's order i, f, c, o.
    let cell = lstm.cell();
    println!(
        "kernel: {}, recurrent_kernel: {}, bias: {}",
        show::shape(cell.kernel().shape()),
        show::shape(cell.recurrent_kernel().shape()),
        show::shape(cell.bias().expect("a bias").shape())
    );
    // unit_forget_bias: the forget block of the bias starts at 1.
    println!("bias: {}", show::array(cell.bias().expect("a bias")));
    println!("params: {} = 4 x 3 x (5 + 3 + 1)", lstm.param_count());
    // ANCHOR_END: weights
    Ok(())
}
