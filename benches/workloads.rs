//! The forward-pass workloads of the speed benchmarks, shared by
//! `cargo run --release --bin bench-forward` and `cargo bench`.

use ndarray::Array3;
use rnn_basics::layers::RecurrentLayer;
use rnn_basics::prelude::*;

/// One benchmark: a layer and the shape of its input.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    pub name: &'static str,
    /// Keras's name: "SimpleRNN", "LSTM", "GRU".
    pub layer: &'static str,
    pub batch: usize,
    pub time: usize,
    pub input: usize,
    pub units: usize,
}

/// The five workloads of the speed issue (forward pass, float32,
/// batch-major input, return_sequences=True).
pub const WORKLOADS: [Workload; 5] = [
    Workload {
        name: "simple_rnn_lesson",
        layer: "SimpleRNN",
        batch: 3,
        time: 5,
        input: 4,
        units: 2,
    },
    Workload {
        name: "simple_rnn_medium",
        layer: "SimpleRNN",
        batch: 64,
        time: 100,
        input: 128,
        units: 256,
    },
    Workload {
        name: "lstm_medium",
        layer: "LSTM",
        batch: 32,
        time: 100,
        input: 64,
        units: 128,
    },
    Workload {
        name: "gru_medium",
        layer: "GRU",
        batch: 32,
        time: 100,
        input: 64,
        units: 128,
    },
    Workload {
        name: "lstm_large",
        layer: "LSTM",
        batch: 64,
        time: 50,
        input: 512,
        units: 512,
    },
];

impl Workload {
    /// Gates side by side in the kernel.
    pub fn gates(&self) -> usize {
        match self.layer {
            "LSTM" => 4,
            "GRU" => 3,
            _ => 1,
        }
    }

    /// `2 · batch · time · gates · units · (input + units)`: the
    /// multiply-adds of both matrix products, counted as two FLOPs each.
    pub fn flops(&self) -> f64 {
        2.0 * (self.batch * self.time * self.gates() * self.units * (self.input + self.units))
            as f64
    }

    /// The layer with seeded random weights, returning sequences.
    pub fn layer(&self) -> RecurrentLayer {
        let mut rng = init::rng(2026);
        let layer: RecurrentLayer = match self.layer {
            "LSTM" => Lstm::new(self.units, self.input, &mut rng)
                .expect("valid sizes")
                .into(),
            "GRU" => Gru::new(self.units, self.input, &mut rng)
                .expect("valid sizes")
                .into(),
            _ => SimpleRnn::new(self.units, self.input, &mut rng)
                .expect("valid sizes")
                .into(),
        };
        layer.return_sequences(true)
    }

    /// A seeded random input `(batch, time, input)`.
    pub fn input(&self) -> Array3<f32> {
        init::normal(&mut init::rng(7), (self.batch, self.time, self.input))
    }
}
