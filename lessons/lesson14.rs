// Lesson 14: many to many, trained.
//
// A classic character model: read "hihell" one character at a time and
// predict, at every step, the next character, so that the output spells
// "ihello". A SimpleRNN returns a hidden state per step, a Dense layer
// turns each into five scores, one per character.

use std::path::Path;

use ndarray::{Array2, Array3, Axis};
use rnn_basics::layers::Dense;
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Adam, Dataset, FitConfig, Loss, Target};

/// Every random draw of this lesson starts here.
const SEED: u64 = 12;

fn main() -> Result<()> {
    // ANCHOR: data
    let idx2char = ['h', 'i', 'e', 'l', 'o'];
    let x_data = [0usize, 1, 0, 2, 3, 3]; // hihell
    let y_data = [1usize, 0, 2, 3, 3, 4]; // ihello

    let num_classes = idx2char.len();
    let sequence_length = x_data.len();
    let x_one_hot =
        Array3::from_shape_fn((1, sequence_length, num_classes), |(_, t, c)| {
            if x_data[t] == c { 1.0f32 } else { 0.0 }
        });
    let y =
        Array2::from_shape_vec((1, sequence_length), y_data.to_vec()).expect("1 × 6");
    println!("x_one_hot: {}", show::array(&x_one_hot));
    println!("y_data: {}", show::ints(&y));
    // ANCHOR_END: data

    // ANCHOR: model
    let hidden_size = 8;
    let mut rng = init::rng(SEED);
    let mut model = Sequential::with_input_shape(&[sequence_length, num_classes]);
    model.add(
        SimpleRnn::new(hidden_size, num_classes, &mut rng)?.return_sequences(true),
    )?;
    // At every step: one score (logit) a character.
    model.add(Dense::new(num_classes, hidden_size, &mut rng)?)?;
    println!("{}", model.summary());
    println!(
        "before training: {:?}",
        predict(&model, &x_one_hot, &idx2char)?
    );
    // ANCHOR_END: model

    // ANCHOR: train
    let config = FitConfig {
        epochs: 50,
        batch_size: 1,
        shuffle: false,
        seed: SEED,
        clip_norm: None,
    };
    let history = train::fit(
        &mut model,
        Dataset {
            x: x_one_hot.view().into_dyn(),
            target: Target::Classes(y.view().into_dyn()),
            mask: None,
        },
        Loss::SoftmaxCrossEntropy,
        &mut Adam::new(0.1),
        &config,
        |report, model| {
            if report.epoch == 1 || report.epoch % 5 == 0 {
                let predicted =
                    predict(model, &x_one_hot, &idx2char).expect("the model runs");
                println!("{report}  prediction {predicted:?}");
            }
        },
    )?;
    // ANCHOR_END: train

    // ANCHOR: result
    let predicted = predict(&model, &x_one_hot, &idx2char)?;
    println!("hihell -> {predicted}");
    println!("expected {:?}: {}", "ihello", predicted == "ihello");
    // ANCHOR_END: result

    // ANCHOR: figure
    let figure = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("book/src/figures/lesson14-loss.svg");
    rnn_basics::plot::loss_curve(
        &figure,
        "many to many: training loss",
        &history.loss,
    )?;
    println!("loss curve: book/src/figures/lesson14-loss.svg");
    // ANCHOR_END: figure
    Ok(())
}

// ANCHOR: predict
/// The character with the largest score at every step.
fn predict(model: &Sequential, x: &Array3<f32>, idx2char: &[char]) -> Result<String> {
    let logits = model.forward(x.view().into_dyn())?; // (1, time, classes)
    let steps = logits.index_axis(Axis(0), 0);
    Ok(steps
        .axis_iter(Axis(0))
        .map(|scores: ndarray::ArrayViewD<f32>| {
            let best =
                scores
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f32::NEG_INFINITY),
                        |b, (i, &s)| if s > b.1 { (i, s) } else { b },
                    );
            idx2char[best.0]
        })
        .collect())
}
// ANCHOR_END: predict
