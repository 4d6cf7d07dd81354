//! The recurrences as the book writes them, in plain loops over f64: an
//! independent reference for the layers (no packed products, no gate
//! passes, no `rnn::run`), with Keras's masks, `go_backwards`, initial
//! states and `zero_output_for_mask`. Default activations only (tanh, and
//! sigmoid for the gates), computed exactly.

use ndarray::{Array1, Array2, Array3, ArrayD, ArrayView2, ArrayView3, ArrayViewD};
use rnn_basics::rnn::RnnConfig;

/// Which recurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SimpleRnn,
    Lstm,
    /// Keras's GRU; `reset_after` is Keras's argument (true by default).
    Gru {
        reset_after: bool,
    },
}

/// A layer's weights in f64, from Keras's `get_weights()` order.
#[derive(Clone, Debug)]
pub struct Weights {
    pub kind: Kind,
    /// `(input, gates·units)`
    pub kernel: Array2<f64>,
    /// `(units, gates·units)`
    pub recurrent: Array2<f64>,
    /// Added to `x · kernel` (`(gates·units,)`, zeros without a bias).
    pub input_bias: Array1<f64>,
    /// GRU with `reset_after`: added to `h · recurrent` (zeros otherwise).
    pub recurrent_bias: Array1<f64>,
}

impl Weights {
    /// From the arrays `weights()` returns (kernel, recurrent kernel, bias if any).
    pub fn from_keras(kind: Kind, weights: &[ArrayViewD<'_, f32>]) -> Weights {
        let f64s: Vec<ArrayD<f64>> = weights.iter().map(|a| a.mapv(f64::from)).collect();
        Weights::from_f64(kind, &f64s)
    }

    /// The same from f64 arrays in the order and shapes of `weights()`.
    pub fn from_f64(kind: Kind, weights: &[ArrayD<f64>]) -> Weights {
        let kernel = weights[0].clone().into_dimensionality().unwrap();
        let recurrent: Array2<f64> = weights[1].clone().into_dimensionality().unwrap();
        let width = recurrent.ncols();
        let (mut input_bias, mut recurrent_bias) = (Array1::zeros(width), Array1::zeros(width));
        if let Some(b) = weights.get(2) {
            let b = b.clone();
            let rows = b.len() / width;
            let b = b.into_shape_with_order((rows, width)).unwrap();
            input_bias.assign(&b.row(0));
            if rows == 2 {
                recurrent_bias.assign(&b.row(1));
            }
        }
        Weights {
            kind,
            kernel,
            recurrent,
            input_bias,
            recurrent_bias,
        }
    }

    pub fn units(&self) -> usize {
        self.recurrent.nrows()
    }

    pub fn state_count(&self) -> usize {
        if self.kind == Kind::Lstm { 2 } else { 1 }
    }

    /// One step for one example: the new states from `x_t` and the old ones.
    pub fn step(&self, x: &[f64], states: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let units = self.units();
        let h = &states[0];
        // x · kernel + bias, and h · recurrent (+ its bias), as plain sums.
        let xw: Vec<f64> = (0..self.kernel.ncols())
            .map(|j| {
                self.input_bias[j]
                    + (0..x.len())
                        .map(|i| x[i] * self.kernel[[i, j]])
                        .sum::<f64>()
            })
            .collect();
        let hu = |h: &[f64], j: usize| {
            (0..units)
                .map(|i| h[i] * self.recurrent[[i, j]])
                .sum::<f64>()
        };
        let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
        match self.kind {
            Kind::SimpleRnn => {
                vec![
                    (0..units)
                        .map(|j| (xw[j] + hu(h, j) + self.recurrent_bias[j]).tanh())
                        .collect(),
                ]
            }
            Kind::Lstm => {
                let z: Vec<f64> = (0..4 * units).map(|j| xw[j] + hu(h, j)).collect();
                let c_prev = &states[1];
                let mut h_new = vec![0.0; units];
                let mut c_new = vec![0.0; units];
                for j in 0..units {
                    let i = sigmoid(z[j]);
                    let f = sigmoid(z[units + j]);
                    let g = z[2 * units + j].tanh();
                    let o = sigmoid(z[3 * units + j]);
                    c_new[j] = f * c_prev[j] + i * g;
                    h_new[j] = o * c_new[j].tanh();
                }
                vec![h_new, c_new]
            }
            Kind::Gru { reset_after } => {
                let rb = &self.recurrent_bias;
                let mut h_new = vec![0.0; units];
                if reset_after {
                    let r_all: Vec<f64> = (0..3 * units).map(|j| hu(h, j) + rb[j]).collect();
                    for j in 0..units {
                        let z = sigmoid(xw[j] + r_all[j]);
                        let r = sigmoid(xw[units + j] + r_all[units + j]);
                        let hh = (xw[2 * units + j] + r * r_all[2 * units + j]).tanh();
                        h_new[j] = z * h[j] + (1.0 - z) * hh;
                    }
                } else {
                    let z: Vec<f64> = (0..units).map(|j| sigmoid(xw[j] + hu(h, j))).collect();
                    let r: Vec<f64> = (0..units)
                        .map(|j| sigmoid(xw[units + j] + hu(h, units + j)))
                        .collect();
                    let rh: Vec<f64> = (0..units).map(|j| r[j] * h[j]).collect();
                    for j in 0..units {
                        let hh = (xw[2 * units + j] + hu(&rh, 2 * units + j)).tanh();
                        h_new[j] = z[j] * h[j] + (1.0 - z[j]) * hh;
                    }
                }
                vec![h_new]
            }
        }
    }

    /// The layer's call in Keras's order: the output (the sequence with
    /// `return_sequences`, else the last output), then the final states
    /// with `return_state`.
    pub fn call(
        &self,
        x: ArrayView3<'_, f32>,
        mask: Option<ArrayView2<'_, bool>>,
        initial: Option<&[Array2<f32>]>,
        config: RnnConfig,
    ) -> Vec<ArrayD<f64>> {
        let initial: Option<Vec<Array2<f64>>> =
            initial.map(|s| s.iter().map(|s| s.mapv(f64::from)).collect());
        self.call_f64(x.mapv(f64::from).view(), mask, initial.as_deref(), config)
    }

    /// [`Weights::call`] with the input and initial states in f64.
    pub fn call_f64(
        &self,
        x: ArrayView3<'_, f64>,
        mask: Option<ArrayView2<'_, bool>>,
        initial: Option<&[Array2<f64>]>,
        config: RnnConfig,
    ) -> Vec<ArrayD<f64>> {
        let (batch, time, _) = x.dim();
        let units = self.units();
        let mut sequence = Array3::<f64>::zeros((batch, time, units));
        let mut last = Array2::<f64>::zeros((batch, units));
        let mut finals: Vec<Array2<f64>> = (0..self.state_count())
            .map(|_| Array2::zeros((batch, units)))
            .collect();
        for b in 0..batch {
            let mut states: Vec<Vec<f64>> = (0..self.state_count())
                .map(|k| match initial {
                    Some(init) => init[k].row(b).to_vec(),
                    None => vec![0.0; units],
                })
                .collect();
            let mut output = vec![0.0; units];
            for step in 0..time {
                let t = if config.go_backwards {
                    time - 1 - step
                } else {
                    step
                };
                let xt: Vec<f64> = x.slice(ndarray::s![b, t, ..]).to_vec();
                let new = self.step(&xt, &states);
                if mask.is_none_or(|m| m[[b, t]]) {
                    output = new[0].clone();
                    states = new;
                } else if config.zero_output_for_mask {
                    output = vec![0.0; units];
                }
                for j in 0..units {
                    sequence[[b, step, j]] = output[j];
                }
            }
            last.row_mut(b).assign(&Array1::from(output));
            for (k, s) in states.iter().enumerate() {
                finals[k].row_mut(b).assign(&Array1::from(s.clone()));
            }
        }
        let mut out = vec![if config.return_sequences {
            sequence.into_dyn()
        } else {
            last.into_dyn()
        }];
        if config.return_state {
            out.extend(finals.into_iter().map(|s| s.into_dyn()));
        }
        out
    }
}
