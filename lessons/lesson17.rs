// Lesson 17: where next.
//
// The same LSTM and GRU in another framework's layout: PyTorch (and candle,
// which reads PyTorch's weights) keeps each weight transposed, splits the
// bias in two, and orders a GRU's gates differently. Convert our weights,
// run one step the PyTorch way, and get our numbers back. Then the
// parameter counts of every framework, side by side.

use ndarray::{Array1, Array2, Axis, concatenate, s};
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    let (input, units) = (5, 3);
    let mut rng = init::rng(12);
    let x = init::normal(&mut rng, (2, 1, input)); // a batch of 2, one step

    // ANCHOR: lstm
    // Keras: kernel (input, 4u) with gates i, f, c, o; one bias (4u,).
    let mut lstm = Lstm::new(units, input, &mut rng)?;
    shake(lstm.weights_mut(), &mut rng)?;
    let cell = lstm.cell();
    // PyTorch: weight_ih (4u, input) = kernelᵀ, same gate order (i, f, g, o);
    // bias_ih = Keras's bias, bias_hh = 0.
    let weight_ih = cell.kernel().t().to_owned();
    let weight_hh = cell.recurrent_kernel().t().to_owned();
    let bias_ih = cell.bias().expect("a bias").clone();
    let bias_hh = Array1::<f32>::zeros(4 * units);
    let ours = lstm.call(&x)?.output;
    let theirs = torch_lstm_step(
        &x.index_axis(Axis(1), 0).to_owned(),
        &weight_ih,
        &weight_hh,
        &bias_ih,
        &bias_hh,
    );
    println!("LSTM  keras layout: {}", show::array(&ours));
    println!("LSTM  torch layout: {}", show::array(&theirs));
    println!(
        "LSTM  the same: {}",
        ours.abs_diff_eq(&theirs.into_dyn(), 1e-6)
    );
    // ANCHOR_END: lstm

    // ANCHOR: gru
    // Keras GRU: gates z, r, h; bias (2, 3u):
    // row 0 goes with the input, row 1 with the state.
    // PyTorch GRU: gates r, z, n; bias_ih and bias_hh are those two rows, reordered.
    let mut gru = Gru::new(units, input, &mut rng)?;
    shake(gru.weights_mut(), &mut rng)?;
    let reorder = |a: ndarray::ArrayView2<f32>| {
        let (z, r, h) = (
            a.slice(s![.., ..units]),
            a.slice(s![.., units..2 * units]),
            a.slice(s![.., 2 * units..]),
        );
        concatenate(Axis(1), &[r, z, h]).expect("same rows")
    };
    let gru_cell = gru.cell();
    let bias = gru_cell.bias().expect("a bias");
    let weight_ih = reorder(gru_cell.kernel().view()).reversed_axes();
    let weight_hh = reorder(gru_cell.recurrent_kernel().view()).reversed_axes();
    let biases = reorder(bias.view());
    let ours = gru.call(&x)?.output;
    let theirs = torch_gru_step(
        &x.index_axis(Axis(1), 0).to_owned(),
        &weight_ih,
        &weight_hh,
        &biases.row(0).to_owned(),
        &biases.row(1).to_owned(),
    );
    println!("GRU   keras layout: {}", show::array(&ours));
    println!("GRU   torch layout: {}", show::array(&theirs));
    println!(
        "GRU   the same: {}",
        ours.abs_diff_eq(&theirs.into_dyn(), 1e-6)
    );
    // ANCHOR_END: gru

    // ANCHOR: counts
    let (d, u) = (input, units);
    println!();
    println!("parameters for input {d}, units {u}:");
    println!("{:<10} {:>9} {:>9} {:>9}", "", "SimpleRNN", "LSTM", "GRU");
    println!(
        "{:<10} {:>9} {:>9} {:>9}",
        "Keras",
        u * (d + u + 1),
        4 * u * (d + u + 1),
        3 * u * (d + u + 2)
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9}",
        "PyTorch",
        u * (d + u + 2),
        4 * u * (d + u + 2),
        3 * u * (d + u + 2)
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9}",
        "candle",
        "-",
        4 * u * (d + u + 2),
        3 * u * (d + u + 2)
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9}",
        "burn",
        "-",
        4 * u * (d + u + 2),
        3 * u * (d + u + 2)
    );
    let simple = SimpleRnn::new(u, d, &mut rng)?;
    println!(
        "this crate: {} {} {}",
        simple.param_count(),
        lstm.param_count(),
        gru.param_count()
    );
    // ANCHOR_END: counts
    Ok(())
}

/// Adds noise to every weight, so that every one matters (a fresh layer's
/// biases are zeros, or ones for the LSTM's forget gate).
fn shake(
    weights: Vec<ndarray::ArrayViewMutD<'_, f32>>,
    rng: &mut init::Rng,
) -> Result<()> {
    for mut w in weights {
        let noise = init::uniform(rng, w.raw_dim(), -0.3, 0.3)?;
        w += &noise;
    }
    Ok(())
}

// ANCHOR: torch_lstm
/// One LSTM step as PyTorch writes it: `gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`,
/// split into i, f, g, o; from a zero state.
fn torch_lstm_step(
    x: &Array2<f32>,
    w_ih: &Array2<f32>,
    w_hh: &Array2<f32>,
    b_ih: &Array1<f32>,
    b_hh: &Array1<f32>,
) -> Array2<f32> {
    let u = w_hh.ncols();
    let (h, c) = (
        Array2::<f32>::zeros((x.nrows(), u)),
        Array2::<f32>::zeros((x.nrows(), u)),
    );
    let gates = x.dot(&w_ih.t()) + b_ih + h.dot(&w_hh.t()) + b_hh;
    let part = |k: usize| gates.slice(s![.., k * u..(k + 1) * u]).to_owned();
    let sigmoid = |a: Array2<f32>| a.mapv(|v| 1.0 / (1.0 + (-v).exp()));
    let (i, f, g, o) = (
        sigmoid(part(0)),
        sigmoid(part(1)),
        part(2).mapv(f32::tanh),
        sigmoid(part(3)),
    );
    let c = f * c + i * g;
    o * c.mapv(f32::tanh)
}
// ANCHOR_END: torch_lstm

// ANCHOR: torch_gru
/// One GRU step as PyTorch writes it, gates r, z, n, from a zero state:
/// `n = tanh(x·W_inᵀ + b_in + r * (h·W_hnᵀ + b_hn))`, `h' = (1 - z) * n + z * h`.
fn torch_gru_step(
    x: &Array2<f32>,
    w_ih: &Array2<f32>,
    w_hh: &Array2<f32>,
    b_ih: &Array1<f32>,
    b_hh: &Array1<f32>,
) -> Array2<f32> {
    let u = w_hh.ncols();
    let h = Array2::<f32>::zeros((x.nrows(), u));
    let gi = x.dot(&w_ih.t()) + b_ih;
    let gh = h.dot(&w_hh.t()) + b_hh;
    let part =
        |a: &Array2<f32>, k: usize| a.slice(s![.., k * u..(k + 1) * u]).to_owned();
    let sigmoid = |a: Array2<f32>| a.mapv(|v| 1.0 / (1.0 + (-v).exp()));
    let r = sigmoid(part(&gi, 0) + part(&gh, 0));
    let z = sigmoid(part(&gi, 1) + part(&gh, 1));
    let n = (part(&gi, 2) + r * part(&gh, 2)).mapv(f32::tanh);
    (1.0 - &z) * n + z * h
}
// ANCHOR_END: torch_gru
