// Lesson 15: vanishing and exploding gradients.
//
// How much does the input of an early step still matter to the loss at the
// last step? Backpropagation answers with the gradient dL/dx_t. Here it is
// measured against the distance T - t for a SimpleRNN, an LSTM and a GRU of
// the same size with Keras's initializers, then for an LSTM whose forget
// gate stays open and a SimpleRNN with large recurrent weights, where the
// gradient grows instead; gradient clipping bounds the update it would make.

use std::path::Path;

use ndarray::{Array3, Axis, Ix3, s};
use rnn_basics::prelude::*;
use rnn_basics::train::{Backward, clip_by_global_norm};

/// Every random draw of this lesson starts here.
const SEED: u64 = 15;

fn main() -> Result<()> {
    // ANCHOR: data
    let (batch, time, input_dim, units) = (16, 50, 8, 32);
    let mut rng = init::rng(SEED);
    let x = init::normal(&mut rng, (batch, time, input_dim));
    println!(
        "x: {} (batch, time, features), {units} units",
        show::shape(x.shape())
    );
    // ANCHOR_END: data

    // ANCHOR: layers
    // Keras's initializers: kernels glorot_uniform, recurrent kernels
    // orthogonal, biases zeros (the LSTM's forget bias 1).
    let simple = SimpleRnn::new(units, input_dim, &mut rng)?;
    let lstm = Lstm::new(units, input_dim, &mut rng)?;
    let gru = Gru::new(units, input_dim, &mut rng)?;

    // An LSTM whose forget gate starts nearly open: bias 5, sigmoid(5) = 0.993.
    let mut lstm_open = lstm.clone();
    lstm_open.weights_mut()[2]
        .slice_mut(s![units..2 * units])
        .fill(5.0);

    // A SimpleRNN whose recurrent kernel stretches every vector by 2.
    let mut simple_x2 = simple.clone();
    simple_x2.weights_mut()[1].mapv_inplace(|w| 2.0 * w);
    // ANCHOR_END: layers

    // ANCHOR: measure
    let lines = [
        ("SimpleRNN", norms_by_distance(&simple, &x)?),
        ("LSTM", norms_by_distance(&lstm, &x)?),
        ("GRU", norms_by_distance(&gru, &x)?),
        ("LSTM, b_f = 5", norms_by_distance(&lstm_open, &x)?),
        ("SimpleRNN, 2U", norms_by_distance(&simple_x2, &x)?),
    ];
    // ANCHOR_END: measure

    // ANCHOR: table
    println!("\nmean |dL/dx_t| over the batch, at distance T - t:");
    print!("{:>8}", "T - t");
    for (name, _) in &lines {
        print!("{name:>15}");
    }
    println!();
    for distance in [0, 1, 5, 10, 20, 40] {
        print!("{distance:>8}");
        for (_, norms) in &lines {
            print!("{:>15}", sci(norms[distance]));
        }
        println!();
    }
    // The factor of one step, a geometric mean from distance 10 to 40.
    print!("{:>8}", "per step");
    for (_, norms) in &lines {
        print!(
            "{:>15}",
            format!("{:.3}", (norms[40] / norms[10]).powf(1.0 / 30.0))
        );
    }
    println!();
    // ANCHOR_END: table

    // ANCHOR: figure
    let figure = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("book/src/figures/lesson15-gradients.svg");
    let series: Vec<(&str, &[f32])> = lines
        .iter()
        .map(|(name, norms)| (*name, norms.as_slice()))
        .collect();
    rnn_basics::plot::gradient_norms(&figure, "|dL/dx_t| against distance", &series)?;
    println!("\nfigure: book/src/figures/lesson15-gradients.svg");
    // ANCHOR_END: figure

    // ANCHOR: clip
    // The exploding SimpleRNN's weight gradients, then clipped to a global norm of 1.
    let (out, tape) =
        simple_x2.forward_train(x.view().into_dyn(), CallArgs::default())?;
    let ones = out.output.mapv(|_| 1.0f32);
    let mut grads = simple_x2.backward(&tape, &[ones.view()])?.weights;
    let before: Vec<f32> = grads.iter().map(norm).collect();
    let global_before = clip_by_global_norm(&mut grads, 1.0); // the norm it found
    let after: Vec<f32> = grads.iter().map(norm).collect();
    let global_after = clip_by_global_norm(&mut grads, 1.0); // 1: nothing to clip

    println!("\nthe gradients of SimpleRNN, 2U, clipped to a global norm of 1:");
    println!(
        "{:>8}{:>10}{:>18}{:>10}{:>10}",
        "", "kernel", "recurrent_kernel", "bias", "global"
    );
    for (when, n, g) in [
        ("before", before, global_before),
        ("after", after, global_after),
    ] {
        let (k, r, b, g) = (sci(n[0]), sci(n[1]), sci(n[2]), sci(g));
        println!("{when:>8}{k:>10}{r:>18}{b:>10}{g:>10}");
    }
    let learning_rate = 0.01;
    let (step, clipped) = (learning_rate * global_before, learning_rate * global_after);
    println!(
        "an SGD step, learning rate {learning_rate}: {} long, clipped {}",
        sci(step),
        sci(clipped)
    );
    // ANCHOR_END: clip
    Ok(())
}

/// A number in three digits: 7.64e-6.
fn sci(v: f32) -> String {
    format!("{v:.2e}")
}

/// The Euclidean norm of all the numbers in `g`.
fn norm(g: &ndarray::ArrayD<f32>) -> f32 {
    g.iter().map(|v| v * v).sum::<f32>().sqrt()
}

// ANCHOR: norms_by_distance
/// With the loss L = sum of the last output, the norm of dL/dx_t for every
/// step t, averaged over the batch, indexed by the distance T - t.
fn norms_by_distance<L>(layer: &L, x: &Array3<f32>) -> Result<Vec<f32>>
where
    L: Backward<Output = RnnOutput>,
{
    let (out, tape) = layer.forward_train(x.view().into_dyn(), CallArgs::default())?;
    // dL/dh_T is all ones: whatever shrinks or grows after it is the layer's doing.
    let ones = out.output.mapv(|_| 1.0f32);
    let dx = layer.backward(&tape, &[ones.view()])?.input; // (batch, time, features)
    let dx = dx.into_dimensionality::<Ix3>().expect("shaped like x");
    let (batch, time, _) = dx.dim();
    Ok((0..time)
        .rev()
        .map(|t| {
            let at_t = dx.index_axis(Axis(1), t); // (batch, features)
            let sum: f32 = at_t.rows().into_iter().map(|g| g.dot(&g).sqrt()).sum();
            sum / batch as f32
        })
        .collect())
}
// ANCHOR_END: norms_by_distance
