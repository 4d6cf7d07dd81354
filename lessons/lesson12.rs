// Lesson 12: deep RNNs.
//
// Layers stacked: each reads the sequence of hidden states of the one
// below, so every layer but the last must return sequences.

use rnn_basics::layers::{Bidirectional, Dense, MergeMode, RecurrentLayer};
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    let mut rng = init::rng(12);

    // ANCHOR: stack
    // model = Sequential([Input(batch_shape=(None, 6, 3)),
    //                     LSTM(8, return_sequences=True), GRU(4), Dense(3)])
    let mut model = Sequential::with_input_shape(&[6, 3]);
    model.add(Lstm::new(8, 3, &mut rng)?.return_sequences(true))?;
    model.add(Gru::new(4, 8, &mut rng)?)?;
    model.add(Dense::new(3, 4, &mut rng)?)?;
    println!("{}", model.summary());
    // ANCHOR_END: stack

    // ANCHOR: rows
    // Each row's count: LSTM 4·8·(3+8+1), GRU 3·4·(8+4+2), Dense 4·3+3.
    for (name, shape, params) in model.summary_rows() {
        println!("{name:<14} {:<13} {params}", show::shape_opt(&shape));
    }
    // ANCHOR_END: rows

    // ANCHOR: forward
    let x = init::normal(&mut rng, (2, 6, 3));
    let y = model.forward(x.view().into_dyn())?;
    println!(
        "input {} -> output {}",
        show::shape(x.shape()),
        show::shape(y.shape())
    );
    // ANCHOR_END: forward

    // ANCHOR: mistake
    // A recurrent layer after one that returns only its last state has no
    // sequence to read: the model says so, naming both layers.
    let mut wrong = Sequential::with_input_shape(&[6, 3]);
    wrong.add(Lstm::new(8, 3, &mut rng)?)?;
    match wrong.add(Gru::new(4, 8, &mut rng)?) {
        Ok(_) => println!("accepted"),
        Err(e) => println!("error: {}", wrap(&e.to_string(), 72)),
    }
    // ANCHOR_END: mistake

    // ANCHOR: tagger
    // A deep bidirectional tagger: one label for every step.
    let mut tagger = Sequential::with_input_shape(&[6, 3]).named("tagger");
    let forward =
        RecurrentLayer::from(SimpleRnn::new(6, 3, &mut rng)?.return_sequences(true));
    let backward = RecurrentLayer::from(SimpleRnn::new(6, 3, &mut rng)?);
    tagger.add(Bidirectional::new(forward, backward, MergeMode::Concat)?)?;
    tagger.add(Lstm::new(5, 12, &mut rng)?.return_sequences(true))?;
    tagger.add(Dense::new(4, 5, &mut rng)?.with_activation(Activation::Softmax))?;
    println!("{}", tagger.summary());
    // ANCHOR_END: tagger
    Ok(())
}

// ANCHOR: wrap
/// `text` broken at spaces into lines of at most `width` characters, so
/// that a long message reads without scrolling.
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("at least one line");
        if line.is_empty() {
            line.push_str(word);
        } else if line.len() + 1 + word.len() <= width {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(word.to_string());
        }
    }
    lines.join("\n  ")
}
// ANCHOR_END: wrap
