// Lesson 09: GRU.
//
// Two gates instead of three, no cell state; and the two forms Keras
// offers, reset_after (the default, with two bias rows) and the original.

use ndarray::Array3;
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    let train_x = Array3::from(vec![[
        [0.1f32, 4.2, 1.5, 1.1, 2.8],
        [1.0, 3.1, 2.5, 0.7, 1.1],
        [0.3, 2.1, 1.5, 2.1, 0.1],
        [2.2, 1.4, 0.5, 0.9, 1.1],
    ]]);

    // ANCHOR: gru
    // gru = GRU(3, return_state=True)
    let gru = Gru::new(3, 5, &mut init::rng(12))?.return_state(true);
    let out = gru.call(&train_x)?;
    println!(
        "hidden state : {}, shape: {}",
        show::array(&out.output),
        show::shape(out.output.shape())
    );
    println!(
        "last hidden state : {}, shape: {}",
        show::array(&out.states[0]),
        show::shape(out.states[0].shape())
    );
    println!(
        "states returned: {} (a GRU has no cell state)",
        out.states.len()
    );
    // ANCHOR_END: gru

    // ANCHOR: forms
    // reset_after=True (Keras's default): bias (2, 9); reset_after=False: bias (9,)
    let after = Gru::new(3, 5, &mut init::rng(12))?;
    let before =
        Gru::from_cell(GruCell::new(3, 5, &mut init::rng(12))?.with_reset_after(false));
    for (name, layer) in [
        ("reset_after=True ", &after),
        ("reset_after=False", &before),
    ] {
        let shapes: Vec<String> = layer
            .weights()
            .iter()
            .map(|w| show::shape(w.shape()))
            .collect();
        println!(
            "{name}: weights {}, params {}",
            shapes.join(" "),
            layer.param_count()
        );
    }
    // ANCHOR_END: forms

    // ANCHOR: compare
    // Parameters of the three layers for the same sizes: d = 5 inputs, u = 3 units.
    let mut rng = init::rng(12);
    let (d, u) = (5, 3);
    println!(
        "SimpleRNN  u(d+u+1)  = {}",
        SimpleRnn::new(u, d, &mut rng)?.param_count()
    );
    println!("GRU v1    3u(d+u+1)  = {}", before.param_count());
    println!("GRU       3u(d+u+2)  = {}", after.param_count());
    println!(
        "LSTM      4u(d+u+1)  = {}",
        Lstm::new(u, d, &mut rng)?.param_count()
    );
    // ANCHOR_END: compare

    // ANCHOR: same_weights_other_form
    // The same numbers in the two forms give different outputs: the reset
    // gate acts at a different place.
    let cell = after.cell();
    let bias_row = cell
        .bias()
        .expect("a bias")
        .row(0)
        .to_owned()
        .insert_axis(ndarray::Axis(0));
    let v1 = GruCell::from_weights(
        cell.kernel().clone(),
        cell.recurrent_kernel().clone(),
        Some(bias_row),
        false,
        Activation::Tanh,
        Activation::Sigmoid,
    )?;
    let a = after.call(&train_x)?.output;
    let b = Gru::from_cell(v1).call(&train_x)?.output;
    println!("reset_after:  {}", show::array(&a));
    println!("reset_before: {}", show::array(&b));
    // ANCHOR_END: same_weights_other_form
    Ok(())
}
