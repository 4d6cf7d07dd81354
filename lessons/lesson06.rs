// Lesson 06: shapes and parameters.
//
// The course's wikidocs notebook builds three one-layer models and prints
// their summaries: an unknown batch, a fixed batch, and a fixed batch with
// return_sequences. The parameter count, 42, comes from the three weights.

use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    let mut rng = init::rng(12);

    // ANCHOR: unknown_batch
    // Keras numbers its names within a session: this model is "sequential",
    // the next "sequential_1"; their layers "simple_rnn", "simple_rnn_1", ...
    // model.add(SimpleRNN(3, input_shape=(2, 10)))
    let mut model = Sequential::with_input_shape(&[2, 10]);
    model.add(SimpleRnn::new(3, 10, &mut rng)?)?;
    println!("{}", model.summary());
    // ANCHOR_END: unknown_batch

    // ANCHOR: fixed_batch
    // model.add(SimpleRNN(3, batch_input_shape=(8, 2, 10)))
    let mut model = Sequential::with_batch_input_shape(&[8, 2, 10]);
    model.add(SimpleRnn::new(3, 10, &mut rng)?)?;
    println!("{}", model.summary());
    // ANCHOR_END: fixed_batch

    // ANCHOR: sequences
    // model.add(SimpleRNN(3, batch_input_shape=(8, 2, 10), return_sequences=True))
    let mut model = Sequential::with_batch_input_shape(&[8, 2, 10]);
    model.add(SimpleRnn::new(3, 10, &mut rng)?.return_sequences(true))?;
    println!("{}", model.summary());
    // ANCHOR_END: sequences

    // ANCHOR: count
    // Where the 42 comes from: every weight of the layer, counted.
    let layer = SimpleRnn::new(3, 10, &mut rng)?;
    let names = ["kernel", "recurrent_kernel", "bias"];
    for (name, weight) in names.iter().zip(layer.weights()) {
        println!(
            "{name:<17} {:<8} {:>3} numbers",
            show::shape(weight.shape()),
            weight.len()
        );
    }
    println!(
        "{:<17} {:<8} {:>3} = 3 x (10 + 3 + 1)",
        "total",
        "",
        layer.param_count()
    );
    // ANCHOR_END: count

    // ANCHOR: shapes_flow
    // The output shapes come from the input shape before any data flows;
    // a call with data gives arrays of those shapes.
    let x = init::normal(&mut rng, (8, 2, 10));
    let out = model.forward(x.view().into_dyn())?;
    println!(
        "input {} -> output {}",
        show::shape(x.shape()),
        show::shape(out.shape())
    );
    // ANCHOR_END: shapes_flow
    Ok(())
}
