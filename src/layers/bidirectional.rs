use ndarray::{ArrayD, ArrayViewD, Axis, Zip, concatenate};

use crate::rnn::{CallArgs, Recurrent, RnnConfig, RnnOutput, reverse_time};
use crate::{Error, Result, show};

/// How [`Bidirectional`] joins the forward and the backward outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MergeMode {
    /// Side by side along the last axis: `2·units` wide (Keras's default).
    Concat,
    /// `forward + backward`
    Sum,
    /// `forward * backward`
    Mul,
    /// `(forward + backward) / 2`
    Ave,
    /// Not joined: the two outputs come back apart (Keras's `merge_mode=None`).
    None,
}

impl MergeMode {
    /// The mode Keras calls `name` (`None` for JSON's `null`).
    pub fn from_keras(name: Option<&str>) -> Result<Self> {
        Ok(match name {
            None => MergeMode::None,
            Some("concat") => MergeMode::Concat,
            Some("sum") => MergeMode::Sum,
            Some("mul") => MergeMode::Mul,
            Some("ave") => MergeMode::Ave,
            Some(other) => {
                return Err(Error::config(
                    "Bidirectional",
                    format!("unknown merge_mode {other:?}; expected concat, sum, mul, ave or null"),
                ));
            }
        })
    }

    /// Width of the merged output for a layer of `units`.
    pub fn output_units(self, units: usize) -> usize {
        if self == MergeMode::Concat {
            2 * units
        } else {
            units
        }
    }
}

/// Keras's `Bidirectional`: one layer reads the sequence forward, a second
/// (with its own weights) reads it backward, and their outputs are merged.
///
/// The backward layer is configured like the forward one with
/// `go_backwards` flipped. With `return_sequences` its output is reversed
/// back, so that step `t` of both halves belongs to input step `t`. With a
/// mask, both layers output zeros at masked steps when they return
/// sequences (Keras sets `zero_output_for_mask` that way).
///
/// # Shapes
///
/// - input: `(batch, time, input_dim)`
/// - output: `(batch, time, 2·units)` with `concat` and `return_sequences`;
///   `units` wide with sum, mul or ave; two outputs with `MergeMode::None`
/// - states (with `return_state`): the forward layer's, then the backward's
///
/// # Example
///
/// ```
/// use ndarray::{Array3, s};
/// use rnn_basics::prelude::*;
/// use rnn_basics::layers::{Bidirectional, MergeMode};
///
/// let mut rng = init::rng(0);
/// let forward = Lstm::new(3, 5, &mut rng)?.return_sequences(true).return_state(true);
/// let backward = Lstm::new(3, 5, &mut rng)?;
/// let bi = Bidirectional::new(forward, backward, MergeMode::Concat)?;
/// let x = init::normal(&mut rng, (2, 4, 5));
/// let out = bi.call(&x)?;
/// assert_eq!(out.outputs[0].shape(), &[2, 4, 6]);
/// assert_eq!(out.states.len(), 4); // forward h, c, backward h, c
/// // The forward state is the last step's first half; the backward state
/// // is the first step's second half.
/// assert_eq!(out.outputs[0].slice(s![.., 3, ..3]), out.states[0]);
/// assert_eq!(out.outputs[0].slice(s![.., 0, 3..]), out.states[2]);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Bidirectional<L> {
    forward: L,
    backward: L,
    merge_mode: MergeMode,
}

/// What [`Bidirectional`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct BidirectionalOutput {
    /// The merged output; or, with [`MergeMode::None`], the forward then the
    /// backward output.
    pub outputs: Vec<ArrayD<f32>>,
    /// With `return_state`: the forward states, then the backward states.
    pub states: Vec<ndarray::Array2<f32>>,
}

impl BidirectionalOutput {
    /// The arrays in the order Keras returns them: outputs, then states.
    pub fn into_keras(self) -> Vec<ArrayD<f32>> {
        self.outputs
            .into_iter()
            .chain(self.states.into_iter().map(|s| s.into_dyn()))
            .collect()
    }
}

impl<L: Recurrent> Bidirectional<L> {
    /// Wraps `forward`; `backward` gives the second set of weights and is
    /// configured like `forward` with `go_backwards` flipped.
    pub fn new(forward: L, mut backward: L, merge_mode: MergeMode) -> Result<Self> {
        let same = forward.units() == backward.units()
            && forward.input_dim() == backward.input_dim()
            && forward.state_count() == backward.state_count()
            && forward.type_name() == backward.type_name();
        if !same {
            return Err(Error::config(
                "Bidirectional",
                format!(
                    "the backward layer must match the forward one: forward {}(units {}, input_dim {}), backward {}(units {}, input_dim {})",
                    forward.type_name(),
                    forward.units(),
                    forward.input_dim(),
                    backward.type_name(),
                    backward.units(),
                    backward.input_dim()
                ),
            ));
        }
        let config = *forward.config();
        *backward.config_mut() = RnnConfig {
            go_backwards: !config.go_backwards,
            ..config
        };
        let mut bi = Bidirectional {
            forward,
            backward,
            merge_mode,
        };
        bi.sync_mask_output();
        Ok(bi)
    }

    /// Keras makes both halves output zeros at masked steps when they return sequences.
    fn sync_mask_output(&mut self) {
        let zero = self.forward.config().return_sequences;
        self.forward.config_mut().zero_output_for_mask = zero;
        self.backward.config_mut().zero_output_for_mask = zero;
    }

    /// The layer reading forward.
    pub fn forward_layer(&self) -> &L {
        &self.forward
    }

    /// The layer reading backward.
    pub fn backward_layer(&self) -> &L {
        &self.backward
    }

    /// Both layers, to change their weights (for training).
    pub fn layers_mut(&mut self) -> (&mut L, &mut L) {
        (&mut self.forward, &mut self.backward)
    }

    /// How the two outputs are joined.
    pub fn merge_mode(&self) -> MergeMode {
        self.merge_mode
    }

    /// The wrapped layer's Keras arguments (the forward layer's).
    pub fn config(&self) -> &RnnConfig {
        self.forward.config()
    }

    /// Width of the (merged) output.
    pub fn output_units(&self) -> usize {
        self.merge_mode.output_units(self.forward.units())
    }

    /// Features of one input step.
    pub fn input_dim(&self) -> usize {
        self.forward.input_dim()
    }

    /// Weights in Keras's order: the forward layer's, then the backward's.
    pub fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        let mut w = self.forward.weights();
        w.extend(self.backward.weights());
        w
    }

    /// The same weights, to change (training, loading).
    pub fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        let mut w = self.forward.weights_mut();
        w.extend(self.backward.weights_mut());
        w
    }

    /// Twice the wrapped layer's count.
    pub fn param_count(&self) -> usize {
        self.forward.param_count() + self.backward.param_count()
    }

    /// Runs both directions on `(batch, time, features)`.
    pub fn call<S, D>(&self, x: &ndarray::ArrayBase<S, D>) -> Result<BidirectionalOutput>
    where
        S: ndarray::Data<Elem = f32>,
        D: ndarray::Dimension,
    {
        self.call_with(x.view().into_dyn(), CallArgs::default())
    }

    /// Runs both directions with a mask or initial states: the first half
    /// of `initial_state` goes to the forward layer, the second to the backward.
    pub fn call_with(
        &self,
        x: ArrayViewD<'_, f32>,
        args: CallArgs<'_>,
    ) -> Result<BidirectionalOutput> {
        let (forward_args, backward_args) = self.split_args(args)?;
        let forward = self.forward.call_with(x.view(), forward_args)?;
        let backward = self.backward.call_with(x, backward_args)?;
        self.join(forward, backward)
    }

    /// The call arguments of each direction: the same mask, and one half
    /// of the initial states each.
    pub(crate) fn split_args<'a>(
        &self,
        args: CallArgs<'a>,
    ) -> Result<(CallArgs<'a>, CallArgs<'a>)> {
        let (forward_init, backward_init) = match args.initial_state {
            Some(states) => {
                let n = self.forward.state_count();
                if states.len() != 2 * n {
                    return Err(Error::count(
                        "Bidirectional",
                        "initial states",
                        2 * n,
                        states.len(),
                    ));
                }
                let (f, b) = states.split_at(n);
                (Some(f), Some(b))
            }
            None => (None, None),
        };
        Ok((
            CallArgs {
                mask: args.mask,
                initial_state: forward_init,
            },
            CallArgs {
                mask: args.mask,
                initial_state: backward_init,
            },
        ))
    }

    /// Lines the backward output up with the forward one and merges them.
    pub(crate) fn join(
        &self,
        forward: RnnOutput,
        backward: RnnOutput,
    ) -> Result<BidirectionalOutput> {
        let RnnOutput {
            output: y,
            states: forward_states,
        } = forward;
        let RnnOutput {
            output: mut y_rev,
            states: backward_states,
        } = backward;
        if self.config().return_sequences {
            y_rev = reverse_time(&y_rev);
        }
        Ok(BidirectionalOutput {
            outputs: merge(self.merge_mode, y, y_rev)?,
            states: forward_states.into_iter().chain(backward_states).collect(),
        })
    }
}

/// Joins the two outputs.
pub(crate) fn merge(
    mode: MergeMode,
    y: ArrayD<f32>,
    y_rev: ArrayD<f32>,
) -> Result<Vec<ArrayD<f32>>> {
    if y.shape() != y_rev.shape() {
        return Err(Error::shape(
            "Bidirectional",
            "backward output",
            show::shape(y.shape()),
            show::shape(y_rev.shape()),
        ));
    }
    Ok(match mode {
        MergeMode::None => vec![y, y_rev],
        MergeMode::Concat => {
            let last = Axis(y.ndim() - 1);
            vec![concatenate(last, &[y.view(), y_rev.view()]).expect("equal shapes")]
        }
        MergeMode::Sum => vec![y + y_rev],
        MergeMode::Mul => vec![y * y_rev],
        MergeMode::Ave => {
            let mut out = y;
            Zip::from(&mut out)
                .and(&y_rev)
                .for_each(|a, &b| *a = (*a + b) / 2.0);
            vec![out]
        }
    })
}
