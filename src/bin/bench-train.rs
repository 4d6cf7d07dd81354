//! `bench-train`: times one training step of the recurrent layers on the
//! workloads of `benches/workloads.rs` and prints one JSON object per line.
//!
//! ```text
//! cargo run --release --bin bench-train                 # 15 runs each
//! cargo run --release --bin bench-train -- --quick      # 5 runs each
//! cargo run --release --bin bench-train -- lstm_medium  # one workload
//! cargo run --release --bin bench-train -- --digest     # gradient digests, no timing
//! cargo run --release --bin bench-train -- --breakdown  # where a step's time goes
//! cargo run --release --bin bench-train -- --masked     # with an all-true mask: the masked path
//! cargo run --release --bin bench-train -- --peak       # the ceiling: a pure multiply-add loop
//! ```
//!
//! One training step: the forward pass over the whole sequence
//! (`return_sequences=True`, zero initial state) keeping its tape, the loss
//! `sum` of every output, and the backward pass to the gradients of every
//! weight and of the input (no optimizer update). Each run times enough
//! steps to last at least 20 ms and reports the time of one; the median of
//! the runs is printed, after a warm-up. A step counts 3× the forward
//! FLOPs (the forward products, then two products of the same size for the
//! input and weight gradients).
//!
//! `--digest` prints, for each workload, a 64-bit FNV-1a hash of the bits
//! of every gradient of one step (the weights in Keras's order, then the
//! input), so that two machines, thread counts or SIMD levels
//! (`RNN_BASICS_THREADS`, `RNN_BASICS_SIMD`) can be checked to compute the
//! same numbers.

use ndarray::ArrayD;
use rnn_basics::layers::RecurrentLayer;
use rnn_basics::prelude::*;
use rnn_basics::train::{Backward, Gradients, RecurrentTape};

#[path = "../../benches/timing.rs"]
mod timing;
use timing::median;

#[path = "../../benches/peak.rs"]
mod peak;
use peak::peak_gflops;

#[path = "../../benches/workloads.rs"]
#[allow(dead_code)]
mod workloads;

/// The training workloads: those of the forward benchmark but the lesson-sized one.
fn workloads() -> impl Iterator<Item = &'static workloads::Workload> {
    workloads::WORKLOADS
        .iter()
        .filter(|w| w.name != "simple_rnn_lesson")
}

/// The forward pass with its tape, and the gradients of `sum(output)`.
/// With `mask` (all true: the same numbers), the path that masks take, to
/// see what a mask costs.
fn step(
    layer: &RecurrentLayer,
    x: &ndarray::Array3<f32>,
    ones: &mut Option<ArrayD<f32>>,
    mask: Option<&ndarray::Array2<bool>>,
) -> (Gradients, RecurrentTape) {
    let args = CallArgs {
        mask: mask.map(|m| m.view()),
        initial_state: None,
    };
    let (out, tape) = layer
        .forward_train(x.view().into_dyn(), args)
        .expect("the workload runs");
    let d = ones.get_or_insert_with(|| ArrayD::from_elem(out.output.raw_dim(), 1.0));
    let grads = layer
        .backward(&tape, &[d.view()])
        .expect("the workload runs");
    (grads, tape)
}

/// FNV-1a, 64 bits, over the little-endian bytes of every number's bits.
fn digest(grads: &Gradients) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for array in grads.weights.iter().chain(std::iter::once(&grads.input)) {
        for v in array.iter() {
            for byte in v.to_bits().to_le_bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    hash
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let (quick, digests, breakdown) = (flag("--quick"), flag("--digest"), flag("--breakdown"));
    // `--masked`: an all-true mask, the path Keras's padding takes.
    let masked = flag("--masked");
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let runs = if quick { 5 } else { 15 };
    if flag("--peak") {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let gflops = peak_gflops(threads, runs);
        timing::say(format_args!(
            "{{\"peak_multiply_add_gflops\": {gflops:.1}, \"threads\": {threads}}}"
        ));
        return;
    }
    for w in workloads().filter(|w| only.is_empty() || only.iter().any(|o| *o == w.name)) {
        let layer = w.layer();
        let x = w.input();
        let mut ones = None;
        let mask = masked.then(|| ndarray::Array2::from_elem((w.batch, w.time), true));
        let mask = mask.as_ref();
        if digests {
            let (grads, _) = step(&layer, &x, &mut ones, mask);
            timing::say(format_args!(
                "{{\"workload\": \"{}\", \"digest\": \"{:016x}\"}}",
                w.name,
                digest(&grads)
            ));
            continue;
        }
        let (_, tape) = step(&layer, &x, &mut ones, mask);
        let tape_bytes = tape.bytes();
        drop(tape);
        let (step_time, repeat) = median(quick, runs, || {
            std::hint::black_box(step(&layer, &x, &mut ones, mask));
        });
        let mut extra = String::new();
        if breakdown {
            // Every part's time per step, over whole steps.
            rnn_basics::train::profile::reset();
            let (whole, _) = median(quick, runs, || {
                std::hint::black_box(step(&layer, &x, &mut ones, mask));
            });
            let parts = rnn_basics::train::profile::take();
            extra = format!(
                ", \"breakdown_step_ms\": {:.4}, \"breakdown_ms\": {{{}}}",
                whole * 1e3,
                parts
                    .iter()
                    .map(|(name, ms)| format!("\"{name}\": {ms:.4}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        timing::say(format_args!(
            "{{\"workload\": \"{}\", \"layer\": \"{}\", \"batch\": {}, \"time\": {}, \"input\": {}, \"units\": {}, \"median_ms\": {:.4}, \"gflops\": {:.1}, \"tape_bytes\": {tape_bytes}, \"runs\": {runs}, \"calls_per_run\": {repeat}{extra}}}",
            w.name,
            w.layer,
            w.batch,
            w.time,
            w.input,
            w.units,
            step_time * 1e3,
            3.0 * w.flops() / step_time / 1e9,
        ));
    }
}
