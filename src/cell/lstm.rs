use std::mem::MaybeUninit;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut2};

use super::{
    Cell, check_activation, check_sizes, check_weight, contiguous_mut, sealed, write_rows,
};
use crate::Result;
use crate::activation::{self, Activation};
use crate::init::{self, Rng};
use crate::linalg::{PackCache, multiversion};

/// Keras's `LSTMCell`: four gates side by side in the order i, f, c, o.
///
/// ```text
/// z = x_t · kernel + h_{t-1} · recurrent_kernel + bias      (batch, 4·units)
/// i = σ(z_i)    f = σ(z_f)    c̃ = tanh(z_c)    o = σ(z_o)
/// c_t = f * c_{t-1} + i * c̃
/// h_t = o * tanh(c_t)
/// ```
///
/// σ is `recurrent_activation` (sigmoid), tanh is `activation`. The states
/// are `[h, c]`.
///
/// # Shapes
///
/// - `kernel`: `(input_dim, 4·units)`
/// - `recurrent_kernel`: `(units, 4·units)`
/// - `bias`: `(4·units,)`; Keras starts the forget block at 1 (`unit_forget_bias`)
///
/// # Example
///
/// ```
/// use rnn_basics::{cell::{Cell, LstmCell}, init};
///
/// let cell = LstmCell::new(3, 5, &mut init::rng(0))?;
/// assert_eq!(cell.param_count(), 4 * 3 * (5 + 3 + 1));
/// assert_eq!(cell.state_count(), 2); // h and c
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LstmCell {
    kernel: Array2<f32>,
    recurrent_kernel: Array2<f32>,
    bias: Option<Array1<f32>>,
    activation: Activation,
    recurrent_activation: Activation,
    packed: PackCache,
}

impl LstmCell {
    /// A cell with Keras's defaults: tanh and sigmoid, a bias with
    /// `unit_forget_bias`, glorot_uniform kernel, orthogonal recurrent kernel.
    pub fn new(units: usize, input_dim: usize, rng: &mut Rng) -> Result<Self> {
        check_sizes("LSTM", units, input_dim)?;
        Ok(LstmCell {
            kernel: init::glorot_uniform(rng, input_dim, 4 * units),
            recurrent_kernel: init::orthogonal(rng, units, 4 * units),
            bias: Some(init::unit_forget_bias(units)),
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            packed: PackCache::default(),
        })
    }

    /// A cell with the given weights, in Keras's shapes.
    pub fn from_weights(
        kernel: Array2<f32>,
        recurrent_kernel: Array2<f32>,
        bias: Option<Array1<f32>>,
        activation: Activation,
        recurrent_activation: Activation,
    ) -> Result<Self> {
        let (input_dim, width) = kernel.dim();
        if width % 4 != 0 {
            return Err(crate::Error::shape(
                "LSTM",
                "weight kernel",
                format!("({input_dim}, 4·units)"),
                crate::show::shape(kernel.shape()),
            ));
        }
        let units = width / 4;
        check_sizes("LSTM", units, input_dim)?;
        check_activation("LSTM", "activation", activation)?;
        check_activation("LSTM", "recurrent_activation", recurrent_activation)?;
        check_weight(
            "LSTM",
            "recurrent_kernel",
            &[units, 4 * units],
            recurrent_kernel.shape(),
        )?;
        if let Some(b) = &bias {
            check_weight("LSTM", "bias", &[4 * units], b.shape())?;
        }
        Ok(LstmCell {
            kernel,
            recurrent_kernel,
            bias,
            activation,
            recurrent_activation,
            packed: PackCache::default(),
        })
    }

    /// The same cell with other activations (`activation`,
    /// `recurrent_activation`); an error for softmax, which is not element-wise.
    pub fn with_activations(
        mut self,
        activation: Activation,
        recurrent_activation: Activation,
    ) -> Result<Self> {
        check_activation("LSTM", "activation", activation)?;
        check_activation("LSTM", "recurrent_activation", recurrent_activation)?;
        self.activation = activation;
        self.recurrent_activation = recurrent_activation;
        Ok(self)
    }

    /// The same cell with Keras's initial bias (`true`) or none (`false`).
    pub fn with_bias(mut self, use_bias: bool) -> Self {
        self.bias = use_bias.then(|| init::unit_forget_bias(self.units()));
        self
    }

    /// `(input_dim, 4·units)`
    pub fn kernel(&self) -> &Array2<f32> {
        &self.kernel
    }

    /// `(units, 4·units)`
    pub fn recurrent_kernel(&self) -> &Array2<f32> {
        &self.recurrent_kernel
    }

    /// `(4·units,)`, or `None` without a bias.
    pub fn bias(&self) -> Option<&Array1<f32>> {
        self.bias.as_ref()
    }

    /// `activation` (tanh) and `recurrent_activation` (sigmoid).
    pub fn activations(&self) -> (Activation, Activation) {
        (self.activation, self.recurrent_activation)
    }
}

impl LstmCell {
    /// [`Cell::recur`], writing each new `h` to its row of `output` too, if given.
    fn step_writing(
        &self,
        mut xw: ArrayViewMut2<f32>,
        states: &mut [Array2<f32>],
        output: Option<ArrayViewMut2<MaybeUninit<f32>>>,
    ) {
        let units = self.units();
        let (h, c) = states.split_at_mut(1);
        let (h, c) = (contiguous_mut(&mut h[0]), contiguous_mut(&mut c[0]));
        let z = xw
            .as_slice_mut()
            .expect("the projected input is contiguous");
        // z = x·kernel + bias + h·recurrent_kernel, the four gates side by side.
        self.packed
            .add_recurrent(self.recurrent_kernel.view(), h, z);
        let (act, rec) = (self.activation, self.recurrent_activation);
        lstm_gates(z, h, c, units, act, rec, output);
    }
}

/// The gates of every example, in one pass over memory:
/// `c = σ(f)·c + σ(i)·tanh(g)`, `h = σ(o)·tanh(c)`, each example's `h` also
/// written to its row of `output` if given.
fn lstm_gates(
    z: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    units: usize,
    act: Activation,
    rec: Activation,
    output: Option<ArrayViewMut2<MaybeUninit<f32>>>,
) {
    #[cfg(target_arch = "x86_64")]
    if (act, rec) == (Activation::Tanh, Activation::Sigmoid)
        && crate::linalg::simd_level() == crate::linalg::Level::Avx512
    {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { lstm_gates_avx512(z, h, c, units, output) };
    }
    lstm_gates_any(z, h, c, units, act, rec);
    if let Some(output) = output {
        write_rows(output, h);
    }
}

multiversion! {
    /// [`lstm_gates`] with any activations, on any CPU.
    fn lstm_gates_any(z: &[f32], h: &mut [f32], c: &mut [f32], units: usize, act: Activation, rec: Activation) {
        match (act, rec) {
            (Activation::Tanh, Activation::Sigmoid) => {
                lstm_loop(z, h, c, units, activation::tanh, activation::sigmoid)
            }
            _ => lstm_loop(z, h, c, units, |x| act.apply(x), |x| rec.apply(x)),
        }
    }
}

/// [`lstm_gates`] for tanh and sigmoid, 16 units at a time, with the same
/// bits as [`lstm_loop`].
///
/// # Safety
///
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn lstm_gates_avx512(
    z: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    units: usize,
    output: Option<ArrayViewMut2<MaybeUninit<f32>>>,
) {
    use std::arch::x86_64::*;

    use activation::avx512::{sigmoid16, tanh16};
    debug_assert_eq!(crate::linalg::simd_level(), crate::linalg::Level::Avx512);
    let examples = h.len() / units;
    assert!(z.len() >= examples * 4 * units && c.len() >= examples * units);
    // Each example's row of the output sequence, if given: `stride` numbers apart.
    let output = output.map(|mut rows| {
        assert_eq!(rows.dim(), (examples, units), "one output row an example");
        let [stride, along] = [0, 1].map(|axis| rows.strides()[axis]);
        assert!(
            stride >= 0 && (along == 1 || units == 1),
            "output rows are contiguous"
        );
        (rows.as_mut_ptr().cast::<f32>(), stride as usize)
    });
    // A group's last stage, `h = σ(o)·tanh(c)`, waits until the next group's
    // gates are under way, so that the two chains of dependent steps overlap.
    let mut finish = |(example, j, lanes, c_new, o): (usize, usize, __mmask16, __m512, __m512)| {
        // SAFETY: the lanes of units j.. of the example are inside h and
        // inside the example's output row.
        unsafe {
            let h_new = _mm512_mul_ps(o, tanh16(c_new));
            _mm512_mask_storeu_ps(h.as_mut_ptr().add(example * units + j), lanes, h_new);
            if let Some((rows, stride)) = output {
                _mm512_mask_storeu_ps(rows.add(example * stride + j), lanes, h_new);
            }
        }
    };
    let mut waiting = None;
    for example in 0..examples {
        let (z, c) = (&z[example * 4 * units..], &mut c[example * units..]);
        for j in (0..units).step_by(16) {
            // The last group of units may be short: its other lanes are neither read nor written.
            let lanes: __mmask16 = if units - j >= 16 {
                !0
            } else {
                (1 << (units - j)) - 1
            };
            // SAFETY: every lane in `lanes` is inside its gate block of z and
            // inside the example's units of c.
            unsafe {
                let gate = |g: usize| _mm512_maskz_loadu_ps(lanes, z.as_ptr().add(g * units + j));
                let (i, f) = (sigmoid16(gate(0)), sigmoid16(gate(1)));
                let (g, o) = (tanh16(gate(2)), sigmoid16(gate(3)));
                let c_at = c.as_mut_ptr().add(j);
                let c_prev = _mm512_maskz_loadu_ps(lanes, c_at);
                let c_new = _mm512_add_ps(_mm512_mul_ps(f, c_prev), _mm512_mul_ps(i, g));
                _mm512_mask_storeu_ps(c_at, lanes, c_new);
                if let Some(group) = waiting.replace((example, j, lanes, c_new, o)) {
                    finish(group);
                }
            }
        }
    }
    if let Some(group) = waiting {
        finish(group);
    }
}

#[inline(always)]
fn lstm_loop(
    z: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    units: usize,
    act: impl Fn(f32) -> f32,
    rec: impl Fn(f32) -> f32,
) {
    for ((z, h), c) in z
        .chunks_exact(4 * units)
        .zip(h.chunks_exact_mut(units))
        .zip(c.chunks_exact_mut(units))
    {
        let (zi, rest) = z.split_at(units);
        let (zf, rest) = rest.split_at(units);
        let (zg, zo) = rest.split_at(units);
        let gates = zi.iter().zip(zf).zip(zg).zip(zo);
        for ((((zi, zf), zg), zo), (c, h)) in gates.zip(c.iter_mut().zip(h.iter_mut())) {
            let (i, f, g, o) = (rec(*zi), rec(*zf), act(*zg), rec(*zo));
            *c = f * *c + i * g;
            *h = o * act(*c);
        }
    }
}

impl Cell for LstmCell {
    /// Nothing: the packed weights live in the cell.
    type Workspace = ();

    fn layer_name(&self) -> &'static str {
        "LSTM"
    }

    fn units(&self) -> usize {
        self.recurrent_kernel.nrows()
    }

    fn input_dim(&self) -> usize {
        self.kernel.nrows()
    }

    fn state_count(&self) -> usize {
        2
    }

    fn kernel(&self) -> ArrayView2<'_, f32> {
        self.kernel.view()
    }

    fn input_bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }

    fn workspace(&self, _batch: usize) {}

    fn project(&self, x: ArrayView2<f32>, out: ArrayViewMut2<f32>) {
        self.packed
            .project(self.kernel.view(), self.input_bias(), x, out);
    }

    fn project_rows(&self, x: &[f32], lda: usize, rows: usize, out: &mut [f32], ldc: usize) {
        let (kernel, bias) = (self.kernel.view(), self.input_bias());
        self.packed
            .project_rows(kernel, bias, x, lda, rows, out, ldc);
    }

    fn recur(&self, xw: ArrayViewMut2<f32>, states: &mut [Array2<f32>], _: &mut ()) {
        self.step_writing(xw, states, None);
    }

    fn recur_into(
        &self,
        xw: ArrayViewMut2<f32>,
        states: &mut [Array2<f32>],
        _: &mut (),
        output: ArrayViewMut2<MaybeUninit<f32>>,
        _: sealed::Token,
    ) {
        self.step_writing(xw, states, Some(output));
    }

    fn weights_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        self.packed = PackCache::default();
        let mut w = vec![
            self.kernel.view_mut().into_dyn(),
            self.recurrent_kernel.view_mut().into_dyn(),
        ];
        if let Some(b) = &mut self.bias {
            w.push(b.view_mut().into_dyn());
        }
        w
    }

    fn weights(&self) -> Vec<ArrayViewD<'_, f32>> {
        let mut w = vec![
            self.kernel.view().into_dyn(),
            self.recurrent_kernel.view().into_dyn(),
        ];
        if let Some(b) = &self.bias {
            w.push(b.view().into_dyn());
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx512_gate_pass_gives_the_bits_of_the_plain_loop() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            eprintln!("no AVX-512 on this CPU: nothing to compare");
            return;
        }
        let mut rng = init::rng(7);
        let examples = 3;
        // Whole groups of 16 units, short last groups, and fewer than 16.
        for units in [1, 5, 16, 17, 31, 128, 130] {
            let z = init::normal(&mut rng, (examples, 4 * units)).mapv(|v| 6.0 * v);
            let z = z.as_slice().unwrap();
            let c0 = init::normal(&mut rng, (examples, units));
            let (mut h_plain, mut c_plain) = (vec![0.0f32; examples * units], c0.clone());
            let c_plain = c_plain.as_slice_mut().unwrap();
            lstm_loop(
                z,
                &mut h_plain,
                c_plain,
                units,
                activation::tanh,
                activation::sigmoid,
            );
            // Past the end of h and c, numbers that the pass must not touch.
            let sentinel = 7.5f32;
            let mut h = vec![sentinel; examples * units + 16];
            let mut c = c0.iter().copied().chain([sentinel; 16]).collect::<Vec<_>>();
            let n = examples * units;
            // Output rows inside wider rows, as a step's rows of a sequence are.
            let mut output = Array2::from_elem((examples, units + 19), MaybeUninit::new(sentinel));
            let rows = output.slice_mut(ndarray::s![.., 2..2 + units]);
            // SAFETY: the CPU has AVX-512F (checked above).
            unsafe { lstm_gates_avx512(z, &mut h[..n], &mut c[..n], units, Some(rows)) };
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&h[..n]), bits(&h_plain), "h, {units} units");
            assert_eq!(bits(&c[..n]), bits(c_plain), "c, {units} units");
            assert!(h[n..].iter().chain(&c[n..]).all(|v| *v == sentinel));
            // SAFETY: every number of `output` was initialized with the sentinel.
            let output = unsafe { output.assume_init() };
            for (b, row) in output.outer_iter().enumerate() {
                let row = row.as_slice().unwrap();
                assert_eq!(
                    bits(&row[2..2 + units]),
                    bits(&h_plain[b * units..][..units])
                );
                let (before, after) = (&row[..2], &row[2 + units..]);
                assert!(before.iter().chain(after).all(|v| *v == sentinel));
            }
        }
    }
}
