// Lesson 07: return_sequences and return_state.
//
// The wikidocs notebook's train_X, one sequence of 4 steps of 5 numbers,
// through a SimpleRNN(3) in the four combinations of the two arguments.
// Unlike the notebook, all four use the same weights, so that the same
// numbers show up in every view.

use ndarray::{Array3, s};
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    // ANCHOR: data
    let train_x = Array3::from(vec![[
        [0.1f32, 4.2, 1.5, 1.1, 2.8],
        [1.0, 3.1, 2.5, 0.7, 1.1],
        [0.3, 2.1, 1.5, 2.1, 0.1],
        [2.2, 1.4, 0.5, 0.9, 1.1],
    ]]);
    println!("train_X: {}", show::shape(train_x.shape()));
    let rnn = SimpleRnn::new(3, 5, &mut init::rng(12))?;
    // ANCHOR_END: data

    // ANCHOR: last
    // rnn = SimpleRNN(3): the last hidden state only
    let hidden_state = rnn.clone().call(&train_x)?.output;
    println!(
        "hidden state : {}, shape: {}",
        show::array(&hidden_state),
        show::shape(hidden_state.shape())
    );
    // ANCHOR_END: last

    // ANCHOR: sequences
    // rnn = SimpleRNN(3, return_sequences=True): every step's hidden state
    let hidden_states = rnn.clone().return_sequences(true).call(&train_x)?.output;
    println!(
        "hidden states : {}, shape : {}",
        show::array(&hidden_states),
        show::shape(hidden_states.shape())
    );
    // ANCHOR_END: sequences

    // ANCHOR: both
    // rnn = SimpleRNN(3, return_sequences=True, return_state=True)
    let RnnOutput {
        output: hidden_states,
        states,
    } = rnn
        .clone()
        .return_sequences(true)
        .return_state(true)
        .call(&train_x)?;
    let last_state = &states[0];
    println!(
        "hidden states : {}, shape: {}",
        show::array(&hidden_states),
        show::shape(hidden_states.shape())
    );
    println!(
        "last hidden state : {}, shape: {}",
        show::array(last_state),
        show::shape(last_state.shape())
    );
    println!(
        "last hidden state == hidden states[:, -1, :]: {}",
        hidden_states.slice(s![.., -1, ..]) == last_state
    );
    // ANCHOR_END: both

    // ANCHOR: state_only
    // rnn = SimpleRNN(3, return_state=True): the output is then the last
    // hidden state too, returned twice.
    let RnnOutput {
        output: hidden_state,
        states,
    } = rnn.return_state(true).call(&train_x)?;
    println!(
        "hidden state : {}, shape: {}",
        show::array(&hidden_state),
        show::shape(hidden_state.shape())
    );
    println!(
        "last hidden state : {}, shape: {}",
        show::array(&states[0]),
        show::shape(states[0].shape())
    );
    println!(
        "the same array twice: {}",
        hidden_state == states[0].clone().into_dyn()
    );
    // ANCHOR_END: state_only
    Ok(())
}
