// Lesson 01: the recurrence by hand.
//
// The numpy loop of the course, h_t = tanh(Wx·x_t + Wh·h_{t-1} + b), over
// one sequence: no batch, no library layer. Run it twice: with weights drawn
// from [0, 1) as the notebook draws them, and with Keras's initializers.

use std::path::Path;

use ndarray::{Array1, Array2, Axis};
use rnn_basics::manual::NumpyRnn;
use rnn_basics::{init, show};

fn main() -> Result<(), rnn_basics::Error> {
    // ANCHOR: setup
    let timesteps = 10;
    let input_dim = 4;
    let hidden_size = 8;
    let mut rng = init::rng(12);

    // The input: one sequence of 10 steps, 4 numbers each, from [0, 1).
    let inputs = init::uniform(&mut rng, (timesteps, input_dim), 0.0, 1.0)?;
    // The first hidden state is all zeros.
    let hidden_state_t: Array1<f32> = Array1::zeros(hidden_size);
    println!("{}", show::array(&hidden_state_t));
    // ANCHOR_END: setup

    // ANCHOR: weights
    let rnn = NumpyRnn::random_unit(&mut rng, input_dim, hidden_size);
    println!("{}", show::shape(rnn.wx.shape())); // weights for the input
    println!("{}", show::shape(rnn.wh.shape())); // weights for the hidden state
    println!("{}", show::shape(rnn.b.shape())); // the bias
    // ANCHOR_END: weights

    // ANCHOR: loop
    let mut hidden_state_t = hidden_state_t;
    let mut total_hidden_states: Vec<Array1<f32>> = Vec::new();
    for input_t in inputs.outer_iter() {
        // Wx·x_t + Wh·h_{t-1} + b, then tanh.
        let output_t = (rnn.wx.dot(&input_t) + rnn.wh.dot(&hidden_state_t) + &rnn.b)
            .mapv(f32::tanh);
        total_hidden_states.push(output_t.clone());
        println!("{}", show::shape(&[total_hidden_states.len(), hidden_size]));
        hidden_state_t = output_t;
    }
    let views: Vec<_> = total_hidden_states.iter().map(|h| h.view()).collect();
    let total_hidden_states =
        ndarray::stack(Axis(0), &views).expect("rows of one length");
    println!("hidden states, weights from [0, 1):");
    println!("{}", show::array(&total_hidden_states));
    // ANCHOR_END: loop

    // ANCHOR: keras_init
    let keras_rnn = NumpyRnn::random_keras(&mut rng, input_dim, hidden_size);
    let keras_states = keras_rnn.run(inputs.view())?;
    println!("hidden states, Keras's initializers:");
    println!("{}", show::array(&keras_states));
    // ANCHOR_END: keras_init

    // ANCHOR: compare
    println!();
    println!(
        "weights from [0, 1):   {}",
        saturation(&total_hidden_states)
    );
    println!("Keras's initializers:  {}", saturation(&keras_states));
    // The library's loop gives the same states as the loop written above.
    assert_eq!(rnn.run(inputs.view())?, total_hidden_states);
    // ANCHOR_END: compare

    // ANCHOR: figure
    let figure = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("book/src/figures/lesson01-states.svg");
    rnn_basics::plot::state_maps(
        &figure,
        &[
            ("weights from [0, 1): saturated", &total_hidden_states),
            ("Keras's initializers: alive", &keras_states),
        ],
    )?;
    println!("figure: book/src/figures/lesson01-states.svg");
    // ANCHOR_END: figure
    Ok(())
}

// ANCHOR: saturation
/// How many states are within 0.01 of ±1, where tanh is flat and learns nothing.
fn saturation(states: &Array2<f32>) -> String {
    let saturated = states.iter().filter(|h| h.abs() > 0.99).count();
    let mean_abs = states.mapv(f32::abs).mean().unwrap_or(0.0);
    format!(
        "{saturated:>2} of {} states saturated, mean |h| = {mean_abs:.3}",
        states.len()
    )
}
// ANCHOR_END: saturation
