//! Backward passes of the layers built on the recurrent ones: the run-time
//! choice of layer, `Bidirectional`, `Dense`, `Embedding`, `Masking`,
//! `Dropout`, and `Sequential`.

use ndarray::{Array2, ArrayD, ArrayViewD, Axis, Ix2, Ix3, IxDyn, Zip, s};

use super::sequence::SequenceTape;
use super::{Backward, Gradients, GruCache, LstmCache, SimpleRnnCache, check_gradient};
use crate::activation::Activation;
use crate::layers::{
    Bidirectional, BidirectionalOutput, Dense, Dropout, Embedding, Masking, MergeMode,
    RecurrentLayer,
};
use crate::model::{ModelLayer, Sequential};
use crate::rnn::{CallArgs, Recurrent, RnnOutput, reverse_time};
use crate::{Error, Result, linalg};

/// The tape of whichever recurrent layer ran.
#[derive(Clone, Debug)]
pub enum RecurrentTape {
    SimpleRnn(SequenceTape<SimpleRnnCache>),
    Lstm(SequenceTape<LstmCache>),
    Gru(SequenceTape<GruCache>),
}

impl Backward for RecurrentLayer {
    type Tape = RecurrentTape;
    type Output = RnnOutput;

    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(RnnOutput, RecurrentTape)> {
        Ok(match self {
            RecurrentLayer::SimpleRnn(l) => {
                let (out, tape) = l.forward_train(x, args)?;
                (out, RecurrentTape::SimpleRnn(tape))
            }
            RecurrentLayer::Lstm(l) => {
                let (out, tape) = l.forward_train(x, args)?;
                (out, RecurrentTape::Lstm(tape))
            }
            RecurrentLayer::Gru(l) => {
                let (out, tape) = l.forward_train(x, args)?;
                (out, RecurrentTape::Gru(tape))
            }
        })
    }

    fn backward(
        &self,
        tape: &RecurrentTape,
        d_outputs: &[ArrayViewD<'_, f32>],
    ) -> Result<Gradients> {
        match (self, tape) {
            (RecurrentLayer::SimpleRnn(l), RecurrentTape::SimpleRnn(t)) => l.backward(t, d_outputs),
            (RecurrentLayer::Lstm(l), RecurrentTape::Lstm(t)) => l.backward(t, d_outputs),
            (RecurrentLayer::Gru(l), RecurrentTape::Gru(t)) => l.backward(t, d_outputs),
            _ => Err(Error::config(
                self.type_name(),
                "this tape was recorded by another layer",
            )),
        }
    }
}

/// What `Bidirectional`'s forward pass keeps: both directions' tapes and
/// their outputs, lined up in time (for `mul`).
#[derive(Clone, Debug)]
pub struct BidirectionalTape<T> {
    forward: T,
    backward: T,
    y: ArrayD<f32>,
    y_rev: ArrayD<f32>,
}

impl<L> Backward for Bidirectional<L>
where
    L: Recurrent + Backward<Output = RnnOutput>,
{
    type Tape = BidirectionalTape<L::Tape>;
    type Output = BidirectionalOutput;

    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(BidirectionalOutput, Self::Tape)> {
        let (forward_args, backward_args) = self.split_args(args)?;
        let (forward, forward_tape) = self.forward_layer().forward_train(x.view(), forward_args)?;
        let (backward, backward_tape) = self.backward_layer().forward_train(x, backward_args)?;
        let y = forward.output.clone();
        let y_rev = if self.config().return_sequences {
            reverse_time(&backward.output)
        } else {
            backward.output.clone()
        };
        let out = self.join(forward, backward)?;
        Ok((
            out,
            BidirectionalTape {
                forward: forward_tape,
                backward: backward_tape,
                y,
                y_rev,
            },
        ))
    }

    /// Splits the merged output's gradient into the two directions (for
    /// `concat` the two halves, for `sum` the same, for `ave` half each, for
    /// `mul` each times the other's output), reverses the backward half in
    /// time, and runs each layer backward.
    fn backward(&self, tape: &Self::Tape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients> {
        let outputs = if self.merge_mode() == MergeMode::None {
            2
        } else {
            1
        };
        let merged_shape: Vec<usize> = {
            let mut shape = tape.y.shape().to_vec();
            let last = shape.len() - 1;
            shape[last] = self.output_units();
            shape
        };
        let grad = |i: usize, shape: &[usize]| -> Result<ArrayD<f32>> {
            match d_outputs.get(i) {
                Some(d) => check_gradient("Bidirectional", "output gradient", d, shape),
                None => Ok(ArrayD::zeros(shape)),
            }
        };
        let units = self.forward_layer().units();
        let (d_y, mut d_y_rev) = match self.merge_mode() {
            MergeMode::None => (grad(0, tape.y.shape())?, grad(1, tape.y.shape())?),
            MergeMode::Concat => {
                let d = grad(0, &merged_shape)?;
                let last = Axis(d.ndim() - 1);
                let forward = d.slice_axis(last, ndarray::Slice::from(..units)).to_owned();
                let backward = d.slice_axis(last, ndarray::Slice::from(units..)).to_owned();
                (forward, backward)
            }
            MergeMode::Sum => {
                let d = grad(0, &merged_shape)?;
                (d.clone(), d)
            }
            MergeMode::Ave => {
                let d = grad(0, &merged_shape)? / 2.0;
                (d.clone(), d)
            }
            MergeMode::Mul => {
                let d = grad(0, &merged_shape)?;
                (&d * &tape.y_rev, &d * &tape.y)
            }
        };
        if self.config().return_sequences {
            d_y_rev = reverse_time(&d_y_rev);
        }
        let count = self.forward_layer().state_count();
        let states = &d_outputs[outputs.min(d_outputs.len())..];
        let (forward_states, backward_states) = states.split_at(count.min(states.len()));
        let mut forward_d = vec![d_y.view()];
        forward_d.extend(forward_states.iter().map(|d| d.view()));
        let mut backward_d = vec![d_y_rev.view()];
        backward_d.extend(backward_states.iter().map(|d| d.view()));

        let f = self.forward_layer().backward(&tape.forward, &forward_d)?;
        let b = self
            .backward_layer()
            .backward(&tape.backward, &backward_d)?;
        Ok(Gradients {
            weights: f.weights.into_iter().chain(b.weights).collect(),
            input: f.input + b.input,
            initial_state: f.initial_state.into_iter().chain(b.initial_state).collect(),
        })
    }
}

/// What `Dense`'s forward pass keeps: its input and output as rows.
#[derive(Clone, Debug)]
pub struct DenseTape {
    input_shape: Vec<usize>,
    x: Array2<f32>,
    y: Array2<f32>,
}

impl Backward for Dense {
    type Tape = DenseTape;
    type Output = ArrayD<f32>;

    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(ArrayD<f32>, DenseTape)> {
        if args.initial_state.is_some() {
            return Err(Error::config(
                "Dense",
                "a Dense layer has no state to start from",
            ));
        }
        let mut y = self.linear(&x)?;
        self.activation().apply_inplace(y.view_mut());
        let rows = y.nrows();
        let x2 = x
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((rows, self.input_dim()))
            .expect("checked by linear");
        let mut shape = x.shape().to_vec();
        *shape.last_mut().expect("at least 2-D") = self.units();
        let out = y
            .clone()
            .into_shape_with_order(shape)
            .expect("rows × units")
            .into_dyn();
        Ok((
            out,
            DenseTape {
                input_shape: x.shape().to_vec(),
                x: x2,
                y,
            },
        ))
    }

    /// ```text
    /// y = act(z),  z = x · W + b
    /// dz = dy * act'(z), or for softmax, row by row: dz = y * (dy - Σ dy·y)
    /// dW = xᵀ · dz,  db = Σ dz,  dx = dz · Wᵀ
    /// ```
    fn backward(&self, tape: &DenseTape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients> {
        if tape.x.ncols() != self.input_dim() || tape.y.ncols() != self.units() {
            return Err(Error::config(
                "Dense",
                "this tape was recorded by a layer of other sizes",
            ));
        }
        let rows = tape.y.nrows();
        let mut out_shape = tape.input_shape.clone();
        *out_shape.last_mut().expect("at least 2-D") = self.units();
        let dy = match d_outputs {
            [d] => check_gradient("Dense", "output gradient", d, &out_shape)?,
            _ => {
                return Err(Error::count(
                    "Dense",
                    "output gradients",
                    1,
                    d_outputs.len(),
                ));
            }
        };
        let dy = dy
            .into_shape_with_order((rows, self.units()))
            .expect("rows × units");
        let mut dz = dy.clone();
        match self.activation() {
            Activation::Softmax => {
                Zip::from(dz.rows_mut())
                    .and(tape.y.rows())
                    .for_each(|mut dz, y| {
                        let dot: f32 = dz.iter().zip(y).map(|(d, y)| d * y).sum();
                        Zip::from(&mut dz)
                            .and(&y)
                            .for_each(|d, &y| *d = y * (*d - dot));
                    });
            }
            act => Zip::from(&mut dz)
                .and(&tape.y)
                .for_each(|d, &y| *d *= act.derivative_from_output(y)),
        }
        let mut d_kernel = Array2::zeros(self.kernel().raw_dim());
        linalg::matmul_into(tape.x.t(), dz.view(), d_kernel.view_mut(), false);
        let mut weights = vec![d_kernel.into_dyn()];
        if self.bias().is_some() {
            weights.push(dz.sum_axis(Axis(0)).into_dyn());
        }
        let dx = dz.dot(&self.kernel().t()).as_standard_layout().into_owned();
        Ok(Gradients {
            weights,
            input: dx
                .into_shape_with_order(tape.input_shape.clone())
                .expect("input shape")
                .into_dyn(),
            initial_state: Vec::new(),
        })
    }
}

/// What `Embedding`'s forward pass keeps: the row of the table each
/// position read, `(batch, time)`.
#[derive(Clone, Debug)]
pub struct EmbeddingTape {
    rows: Array2<usize>,
}

impl Backward for Embedding {
    type Tape = EmbeddingTape;
    type Output = ArrayD<f32>;

    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(ArrayD<f32>, EmbeddingTape)> {
        if args.initial_state.is_some() {
            return Err(Error::config(
                "Embedding",
                "an Embedding layer has no state to start from",
            ));
        }
        // `forward` checks the rank and that every id is a row of the table.
        let out = self.forward(x.view())?;
        let rows = x
            .into_dimensionality::<Ix2>()
            .expect("checked by forward")
            .mapv(|id| id as usize);
        Ok((out, EmbeddingTape { rows }))
    }

    /// The table's gradient is the output's gradient added, row by row,
    /// into the row each position read: in row-major order of the
    /// positions, so the sums come out the same bits on every machine.
    /// Token ids are whole numbers, so the input's gradient is zero.
    ///
    /// ```text
    /// y[b, t] = E[id[b, t]]
    /// dE[i] = Σ over (b, t) with id[b, t] = i of dy[b, t]
    /// ```
    fn backward(
        &self,
        tape: &EmbeddingTape,
        d_outputs: &[ArrayViewD<'_, f32>],
    ) -> Result<Gradients> {
        let (batch, time) = tape.rows.dim();
        let dy = match d_outputs {
            [d] => check_gradient(
                "Embedding",
                "output gradient",
                d,
                &[batch, time, self.output_dim()],
            )?,
            _ => {
                return Err(Error::count(
                    "Embedding",
                    "output gradients",
                    1,
                    d_outputs.len(),
                ));
            }
        };
        if tape.rows.iter().any(|&r| r >= self.input_dim()) {
            return Err(Error::config(
                "Embedding",
                "this tape was recorded by a layer with a larger table",
            ));
        }
        let dy = dy.into_dimensionality::<Ix3>().expect("shape checked");
        let mut d_table = Array2::<f32>::zeros((self.input_dim(), self.output_dim()));
        for ((b, t), &row) in tape.rows.indexed_iter() {
            let mut target = d_table.row_mut(row);
            target += &dy.slice(s![b, t, ..]);
        }
        Ok(Gradients {
            weights: vec![d_table.into_dyn()],
            input: ArrayD::zeros(IxDyn(&[batch, time])),
            initial_state: Vec::new(),
        })
    }
}

/// What `Masking`'s forward pass keeps: its mask `(batch, time)`.
#[derive(Clone, Debug)]
pub struct MaskingTape {
    mask: Array2<bool>,
    features: usize,
}

impl Backward for Masking {
    type Tape = MaskingTape;
    type Output = ArrayD<f32>;

    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(ArrayD<f32>, MaskingTape)> {
        if args.initial_state.is_some() {
            return Err(Error::config(
                "Masking",
                "a Masking layer has no state to start from",
            ));
        }
        let out = self.forward(x.view())?;
        let mask = self.compute_mask(x.view()).expect("checked by forward");
        Ok((
            out,
            MaskingTape {
                mask,
                features: x.shape()[2],
            },
        ))
    }

    /// The forward pass multiplies every step by 1 (kept) or 0 (padding),
    /// so the backward pass passes the gradient of the kept steps on and
    /// zeroes the rest.
    fn backward(&self, tape: &MaskingTape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients> {
        let (batch, time) = tape.mask.dim();
        let mut dx = match d_outputs {
            [d] => check_gradient(
                "Masking",
                "output gradient",
                d,
                &[batch, time, tape.features],
            )?,
            _ => {
                return Err(Error::count(
                    "Masking",
                    "output gradients",
                    1,
                    d_outputs.len(),
                ));
            }
        };
        for ((b, t), &keep) in tape.mask.indexed_iter() {
            if !keep {
                dx.slice_mut(s![b, t, ..]).fill(0.0);
            }
        }
        Ok(Gradients {
            weights: Vec::new(),
            input: dx,
            initial_state: Vec::new(),
        })
    }
}

/// What `Dropout`'s forward pass keeps: the mask it multiplied by, each
/// entry `0` or `1 / (1 - rate)`.
#[derive(Clone, Debug)]
pub struct DropoutTape {
    mask: ArrayD<f32>,
}

impl DropoutTape {
    /// The mask the forward pass used, shaped like its input.
    pub fn mask(&self) -> &ArrayD<f32> {
        &self.mask
    }
}

impl Dropout {
    /// [`Backward::forward_train`] with a mask of one's own instead of the
    /// seeded one (to compare with another framework's draw): `y = x * mask`.
    ///
    /// # Shapes
    ///
    /// - `mask`: the input's; each entry `0` or `1 / (1 - rate)` as a
    ///   Keras mask is, though any numbers are used as they are.
    pub fn forward_train_with_mask(
        &self,
        x: ArrayViewD<'_, f32>,
        mask: ArrayD<f32>,
    ) -> Result<(ArrayD<f32>, DropoutTape)> {
        if mask.shape() != x.shape() {
            return Err(Error::shape(
                "Dropout",
                "mask",
                crate::show::shape(x.shape()),
                crate::show::shape(mask.shape()),
            ));
        }
        let out = &x * &mask;
        Ok((out, DropoutTape { mask }))
    }
}

impl Backward for Dropout {
    type Tape = DropoutTape;
    type Output = ArrayD<f32>;

    /// In training, dropout is on: `y = x * mask`, with the seeded mask of
    /// [`Dropout::mask`] for the layer's current step.
    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(ArrayD<f32>, DropoutTape)> {
        if args.initial_state.is_some() {
            return Err(Error::config(
                "Dropout",
                "a Dropout layer has no state to start from",
            ));
        }
        let mask = self.mask(x.shape());
        let out = &x * &mask;
        Ok((out, DropoutTape { mask }))
    }

    /// `dx = dy * mask`, with the forward pass's mask.
    fn backward(&self, tape: &DropoutTape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients> {
        let dy = match d_outputs {
            [d] => check_gradient("Dropout", "output gradient", d, tape.mask.shape())?,
            _ => {
                return Err(Error::count(
                    "Dropout",
                    "output gradients",
                    1,
                    d_outputs.len(),
                ));
            }
        };
        Ok(Gradients {
            weights: Vec::new(),
            input: dy * &tape.mask,
            initial_state: Vec::new(),
        })
    }
}

/// The tape of one layer of a model.
#[derive(Clone, Debug)]
pub enum LayerTape {
    Recurrent(RecurrentTape),
    Bidirectional(Box<BidirectionalTape<RecurrentTape>>),
    Dense(DenseTape),
    Embedding(EmbeddingTape),
    Masking(MaskingTape),
    Dropout(DropoutTape),
}

/// What `Sequential`'s forward pass keeps: every layer's tape.
#[derive(Clone, Debug)]
pub struct ModelTape {
    layers: Vec<LayerTape>,
}

impl ModelLayer {
    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(ArrayD<f32>, LayerTape)> {
        Ok(match self {
            ModelLayer::Recurrent(l) => {
                let (out, tape) = l.forward_train(x, args)?;
                (out.output, LayerTape::Recurrent(tape))
            }
            ModelLayer::Bidirectional(l) => {
                let (mut out, tape) = l.forward_train(x, args)?;
                (
                    out.outputs.swap_remove(0),
                    LayerTape::Bidirectional(Box::new(tape)),
                )
            }
            ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l) => {
                let (out, tape) = l.forward_train(x, CallArgs::default())?;
                (out, LayerTape::Dense(tape))
            }
            ModelLayer::Embedding(l) => {
                let (out, tape) = l.forward_train(x, args)?;
                (out, LayerTape::Embedding(tape))
            }
            ModelLayer::Masking(l) => {
                let (out, tape) = l.forward_train(x, args)?;
                (out, LayerTape::Masking(tape))
            }
            ModelLayer::Dropout(l) => {
                let (out, tape) = l.forward_train(x, args)?;
                (out, LayerTape::Dropout(tape))
            }
        })
    }

    fn backward(&self, tape: &LayerTape, d: ArrayViewD<'_, f32>) -> Result<Gradients> {
        match (self, tape) {
            (ModelLayer::Recurrent(l), LayerTape::Recurrent(t)) => l.backward(t, &[d]),
            (ModelLayer::Bidirectional(l), LayerTape::Bidirectional(t)) => l.backward(t, &[d]),
            (ModelLayer::Dense(l) | ModelLayer::TimeDistributed(l), LayerTape::Dense(t)) => {
                l.backward(t, &[d])
            }
            (ModelLayer::Embedding(l), LayerTape::Embedding(t)) => l.backward(t, &[d]),
            (ModelLayer::Masking(l), LayerTape::Masking(t)) => l.backward(t, &[d]),
            (ModelLayer::Dropout(l), LayerTape::Dropout(t)) => l.backward(t, &[d]),
            _ => Err(Error::config(
                self.type_name(),
                "this tape was recorded by another layer",
            )),
        }
    }
}

impl Backward for Sequential {
    type Tape = ModelTape;
    type Output = ArrayD<f32>;

    /// Runs every layer, passing the mask on while the layers return
    /// sequences, as inference does: `Embedding(mask_zero)` and `Masking`
    /// make the mask the layers after them get.
    fn forward_train(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<(ArrayD<f32>, ModelTape)> {
        if args.initial_state.is_some() {
            return Err(Error::config(
                "Sequential",
                "initial states go to a layer, not to a Sequential model",
            ));
        }
        self.check_input(x.shape())?;
        let mut h = x.to_owned();
        let mut mask: Option<Array2<bool>> = args.mask.map(|m| m.to_owned());
        let mut tapes = Vec::with_capacity(self.layers().len());
        for layer in self.layers() {
            let next = layer.output_mask(h.view(), mask.as_ref().map(|m| m.view()));
            let (out, tape) = layer.forward_train(
                h.view(),
                CallArgs {
                    mask: mask.as_ref().map(|m| m.view()),
                    initial_state: None,
                },
            )?;
            mask = next.filter(|_| out.ndim() == 3);
            tapes.push(tape);
            h = out;
        }
        Ok((h, ModelTape { layers: tapes }))
    }

    fn backward(&self, tape: &ModelTape, d_outputs: &[ArrayViewD<'_, f32>]) -> Result<Gradients> {
        let [d] = d_outputs else {
            return Err(Error::count(
                "Sequential",
                "output gradients",
                1,
                d_outputs.len(),
            ));
        };
        let mut d = d.to_owned();
        let mut weights: Vec<Vec<ArrayD<f32>>> = Vec::with_capacity(self.layers().len());
        for (layer, layer_tape) in self.layers().iter().zip(&tape.layers).rev() {
            let g = layer.backward(layer_tape, d.view())?;
            weights.push(g.weights);
            d = g.input;
        }
        Ok(Gradients {
            weights: weights.into_iter().rev().flatten().collect(),
            input: d,
            initial_state: Vec::new(),
        })
    }
}
