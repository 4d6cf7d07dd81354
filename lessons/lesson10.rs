// Lesson 10: Bidirectional.
//
// One layer reads train_X forward, a second (with its own weights) reads it
// backward; their outputs are merged. Where each direction's final state
// sits in the merged output is the thing to see.

use ndarray::{Array3, s};
use rnn_basics::layers::{Bidirectional, MergeMode};
use rnn_basics::prelude::*;

fn main() -> Result<()> {
    let train_x = Array3::from(vec![[
        [0.1f32, 4.2, 1.5, 1.1, 2.8],
        [1.0, 3.1, 2.5, 0.7, 1.1],
        [0.3, 2.1, 1.5, 2.1, 0.1],
        [2.2, 1.4, 0.5, 0.9, 1.1],
    ]]);
    let mut rng = init::rng(12);

    // ANCHOR: layer
    // Bidirectional(LSTM(3, return_sequences=True, return_state=True))
    let forward = Lstm::new(3, 5, &mut rng)?
        .return_sequences(true)
        .return_state(true);
    let backward = Lstm::new(3, 5, &mut rng)?;
    let bi = Bidirectional::new(forward, backward, MergeMode::Concat)?;
    let out = bi.call(&train_x)?;
    let hidden_states = &out.outputs[0];
    let (forward_h, forward_c, backward_h, backward_c) = (
        &out.states[0],
        &out.states[1],
        &out.states[2],
        &out.states[3],
    );
    println!(
        "hidden states : {}, shape: {}",
        show::array(hidden_states),
        show::shape(hidden_states.shape())
    );
    println!(
        "forward state : {}, shape: {}",
        show::array(forward_h),
        show::shape(forward_h.shape())
    );
    println!(
        "backward state : {}, shape: {}",
        show::array(backward_h),
        show::shape(backward_h.shape())
    );
    println!("forward cell state : {}", show::array(forward_c));
    println!("backward cell state : {}", show::array(backward_c));
    // ANCHOR_END: layer

    // ANCHOR: where
    // The forward layer ends at the last step, in the first half of the
    // units; the backward layer ends at the first step, in the second half.
    println!(
        "forward state == hidden states[:, -1, :3]: {}",
        hidden_states.slice(s![.., -1, ..3]) == forward_h
    );
    println!(
        "backward state == hidden states[:, 0, 3:]: {}",
        hidden_states.slice(s![.., 0, 3..]) == backward_h
    );
    // ANCHOR_END: where

    // ANCHOR: merges
    // The merge modes, on one pair of SimpleRNNs returning sequences.
    let forward = SimpleRnn::new(3, 5, &mut rng)?.return_sequences(true);
    let backward = SimpleRnn::new(3, 5, &mut rng)?;
    for mode in [
        MergeMode::Concat,
        MergeMode::Sum,
        MergeMode::Mul,
        MergeMode::Ave,
        MergeMode::None,
    ] {
        let bi = Bidirectional::new(forward.clone(), backward.clone(), mode)?;
        let shapes: Vec<String> = bi
            .call(&train_x)?
            .outputs
            .iter()
            .map(|o| show::shape(o.shape()))
            .collect();
        println!(
            "merge_mode {:<7} -> {}",
            format!("{mode:?}").to_lowercase(),
            shapes.join(" and ")
        );
    }
    // ANCHOR_END: merges

    // ANCHOR: params
    println!(
        "params: {} = 2 x {}",
        bi.param_count(),
        bi.forward_layer().param_count()
    );
    // ANCHOR_END: params
    Ok(())
}
