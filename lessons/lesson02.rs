// Lesson 02: unrolling in time, TF1 style.
//
// The TF1 notebook's three ways of running a BasicRNNCell: two explicit
// steps with shared weights, a static unroll over a list of step inputs,
// and a dynamic loop over a (batch, time, input) tensor.

use ndarray::{Axis, array, stack};
use rnn_basics::manual::Tf1Rnn;
use rnn_basics::{init, show};

fn main() -> Result<(), rnn_basics::Error> {
    // ANCHOR: weights
    let n_inputs = 3;
    let n_neurons = 5;
    let rnn = Tf1Rnn::random_normal(&mut init::rng(12), n_inputs, n_neurons);
    // ANCHOR_END: weights

    // ANCHOR: two_steps
    // time step 0 and time step 1, each (batch 4, n_inputs 3)
    let x0_batch = array![[0.0f32, 1., 2.], [3., 4., 5.], [6., 7., 8.], [9., 0., 1.]];
    let x1_batch = array![[9.0f32, 8., 7.], [3., 4., 5.], [6., 5., 4.], [3., 2., 1.]];

    // Y0 = tanh(X0·Wx + b);  Y1 = tanh(Y0·Wy + X1·Wx + b)
    let (y0, y1) = rnn.two_steps(x0_batch.view(), x1_batch.view())?;
    println!(
        "Y0_val: {} \n {}",
        show::shape(y0.shape()),
        show::array(&y0)
    );
    println!(
        "Y1_val: {} \n {}",
        show::shape(y1.shape()),
        show::array(&y1)
    );
    // ANCHOR_END: two_steps

    // ANCHOR: static
    let (output_seqs, states) = rnn.static_rnn(&[x0_batch.view(), x1_batch.view()])?;
    println!(
        "static_rnn: {} outputs, one per step; state {}",
        output_seqs.len(),
        show::shape(states.shape())
    );
    println!("static Y0 == two-step Y0: {}", output_seqs[0] == y0);
    println!("static Y1 == two-step Y1: {}", output_seqs[1] == y1);
    // ANCHOR_END: static

    // ANCHOR: dynamic
    // The same two steps as one tensor: (batch 4, time 2, n_inputs 3).
    let x_batch =
        stack(Axis(1), &[x0_batch.view(), x1_batch.view()]).expect("same shapes");
    let (outputs_val, states_val) = rnn.dynamic_rnn(x_batch.view(), None, false)?;
    println!(
        "outputs_val:{}\n{}",
        show::shape(outputs_val.shape()),
        show::array(&outputs_val)
    );
    let same = (0..2).all(|t| outputs_val.index_axis(Axis(1), t) == output_seqs[t]);
    println!("dynamic == static: {}", same && states_val == states);
    // ANCHOR_END: dynamic

    // ANCHOR: time_major
    // time_major=True: (time 2, batch 4, n_inputs 3). TF1 defaulted to False.
    let x_time_major = x_batch.view().permuted_axes([1, 0, 2]);
    let (outputs_tm, _) = rnn.dynamic_rnn(x_time_major, None, true)?;
    println!("time_major outputs: {}", show::shape(outputs_tm.shape()));
    println!(
        "time_major == batch-major, transposed: {}",
        outputs_tm.view().permuted_axes([1, 0, 2]) == outputs_val
    );
    // ANCHOR_END: time_major

    // ANCHOR: sequence_length
    // The second example is only 1 step long: its step 2 is padding.
    let (outputs_len, states_len) =
        rnn.dynamic_rnn(x_batch.view(), Some(&[2, 1, 2, 2]), false)?;
    println!("with sequence_length [2, 1, 2, 2]:");
    println!(
        "outputs[1]: {}",
        show::array(&outputs_len.index_axis(Axis(0), 1))
    );
    println!("states[1]:  {}", show::array(&states_len.row(1)));
    println!(
        "states[1] == outputs[1, 0]: {}",
        states_len.row(1) == outputs_len.slice(ndarray::s![1, 0, ..])
    );
    // ANCHOR_END: sequence_length

    // ANCHOR: too_long
    match rnn.dynamic_rnn(x_batch.view(), Some(&[2, 3, 2, 2]), false) {
        Ok(_) => println!("a length of 3 was accepted"),
        Err(e) => println!("error: {e}"),
    }
    // ANCHOR_END: too_long
    Ok(())
}
