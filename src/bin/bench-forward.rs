//! `bench-forward`: times the fused layers' forward pass on the workloads
//! of `benches/workloads.rs` and prints one JSON object per line.
//!
//! ```text
//! cargo run --release --bin bench-forward            # 15 runs each
//! cargo run --release --bin bench-forward -- --quick # 5 runs each
//! ```
//!
//! Each run times enough calls to last at least 20 ms and reports the time
//! of one call; the median of the runs is printed, after a warm-up.

use rnn_basics::prelude::*;

#[path = "../../benches/timing.rs"]
mod timing;

#[path = "../../benches/workloads.rs"]
mod workloads;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let runs = if quick { 5 } else { 15 };
    for w in workloads::WORKLOADS
        .iter()
        .filter(|w| only.is_empty() || only.iter().any(|o| *o == w.name))
    {
        let layer = w.layer();
        let x = w.input();
        let call = || {
            let out = layer.call(&x).expect("the workload runs");
            std::hint::black_box(out);
        };
        let (median, repeat) = timing::median(quick, runs, call);
        timing::say(format_args!(
            "{{\"workload\": \"{}\", \"layer\": \"{}\", \"batch\": {}, \"time\": {}, \"input\": {}, \"units\": {}, \"median_ms\": {:.4}, \"gflops\": {:.1}, \"runs\": {runs}, \"calls_per_run\": {repeat}}}",
            w.name,
            w.layer,
            w.batch,
            w.time,
            w.input,
            w.units,
            median * 1e3,
            w.flops() / median / 1e9,
        ));
    }
}
