// Lesson 13: many to one, trained.
//
// The course's next lab: words 'good', 'bad', 'worse' and 'so good',
// spelled one character at a time, labelled by sentiment. A SimpleRNN reads
// each word and a Dense layer turns its last hidden state into two scores;
// backpropagation through time teaches the network which is which.

use std::path::Path;

use ndarray::{Array2, Array3, Axis};
use rnn_basics::layers::Dense;
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Adam, Dataset, FitConfig, Loss, Target};

/// Every random draw of this lesson starts here.
const SEED: u64 = 4;

fn main() -> Result<()> {
    // ANCHOR: data
    let words = ["good", "bad", "worse", "so good"];
    let labels = [1usize, 0, 0, 1]; // 1: positive, 0: negative

    // '<pad>' first, so that index 0 marks padding; then every character, sorted.
    let mut char_set: Vec<char> = words.iter().flat_map(|w| w.chars()).collect();
    char_set.sort();
    char_set.dedup();
    let idx2char: Vec<String> = std::iter::once("<pad>".to_string())
        .chain(char_set.iter().map(|c| c.to_string()))
        .collect();
    println!("idx2char: {idx2char:?}");

    // Each word as character indices, padded at the end to 10 steps.
    let max_sequence = 10;
    let mut x_data = Array2::<usize>::zeros((words.len(), max_sequence));
    for (row, word) in words.iter().enumerate() {
        for (t, c) in word.chars().enumerate() {
            x_data[[row, t]] =
                1 + char_set.iter().position(|k| *k == c).expect("in the set");
        }
    }
    println!("x_data:\n{}", show::ints(&x_data));
    // ANCHOR_END: data

    // ANCHOR: one_hot
    // Keras used Embedding(mask_zero=True) with one-hot weights: each index
    // becomes a one-hot vector, and index 0 (padding) is masked out.
    let input_dim = idx2char.len();
    let x_one_hot =
        Array3::from_shape_fn((words.len(), max_sequence, input_dim), |(b, t, i)| {
            if x_data[[b, t]] == i { 1.0f32 } else { 0.0 }
        });
    let mask = x_data.mapv(|i| i != 0);
    println!(
        "x_one_hot: {}, mask: {}",
        show::shape(x_one_hot.shape()),
        show::shape(mask.shape())
    );
    // ANCHOR_END: one_hot

    // ANCHOR: model
    let hidden_size = 10;
    let num_classes = 2;
    let mut rng = init::rng(SEED);
    let mut model = Sequential::with_input_shape(&[max_sequence, input_dim]);
    model.add(SimpleRnn::new(hidden_size, input_dim, &mut rng)?)?;
    model.add(Dense::new(num_classes, hidden_size, &mut rng)?)?; // logits
    println!("{}", model.summary());
    println!("before training:");
    classify(&model, &words, &x_one_hot, &mask, &labels)?;
    // ANCHOR_END: model

    // ANCHOR: train
    let labels = ndarray::Array1::from(labels.to_vec());
    let config = FitConfig {
        epochs: 30,
        batch_size: 2,
        shuffle: true,
        seed: SEED,
        clip_norm: None,
    };
    let history = train::fit(
        &mut model,
        Dataset {
            x: x_one_hot.view().into_dyn(),
            target: Target::Classes(labels.view().into_dyn()),
            mask: Some(mask.view()),
        },
        Loss::SoftmaxCrossEntropy,
        &mut Adam::new(0.01),
        &config,
        |report, _| println!("{report}"),
    )?;
    // ANCHOR_END: train

    // ANCHOR: predict
    println!("after training:");
    classify(
        &model,
        &words,
        &x_one_hot,
        &mask,
        labels.as_slice().expect("contiguous"),
    )?;
    // ANCHOR_END: predict

    // ANCHOR: figure
    let figure = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("book/src/figures/lesson13-loss.svg");
    rnn_basics::plot::loss_curve(&figure, "many to one: training loss", &history.loss)?;
    println!("loss curve: book/src/figures/lesson13-loss.svg");
    // ANCHOR_END: figure
    Ok(())
}

// ANCHOR: classify
/// Prints each word's scores and the class with the larger one.
fn classify(
    model: &Sequential,
    words: &[&str],
    x: &Array3<f32>,
    mask: &Array2<bool>,
    labels: &[usize],
) -> Result<()> {
    let logits = model.forward_masked(x.view().into_dyn(), Some(mask.view()))?;
    let mut correct = 0;
    for ((word, row), label) in words.iter().zip(logits.axis_iter(Axis(0))).zip(labels)
    {
        let predicted = if row[1] > row[0] { 1 } else { 0 };
        correct += usize::from(predicted == *label);
        let verdict = if predicted == 1 {
            "positive"
        } else {
            "negative"
        };
        println!("{word:>8}: {verdict} (logits {})", show::array(&row));
    }
    println!("accuracy: {correct}/{}", words.len());
    Ok(())
}
// ANCHOR_END: classify
