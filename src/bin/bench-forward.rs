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

use std::time::{Duration, Instant};

use rnn_basics::prelude::*;

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
        // Warm up, and find how many calls make a run of at least 20 ms.
        let started = Instant::now();
        let mut calls = 0u32;
        while started.elapsed() < Duration::from_millis(if quick { 100 } else { 300 }) || calls < 3
        {
            call();
            calls += 1;
        }
        let per_call = started.elapsed().as_secs_f64() / calls as f64;
        let repeat = ((0.02 / per_call).ceil() as u32).max(1);
        let mut times: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..repeat {
                    call();
                }
                t.elapsed().as_secs_f64() / repeat as f64
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!(
            "{{\"workload\": \"{}\", \"layer\": \"{}\", \"batch\": {}, \"time\": {}, \"input\": {}, \"units\": {}, \"median_ms\": {:.4}, \"gflops\": {:.1}, \"runs\": {runs}, \"calls_per_run\": {repeat}}}",
            w.name,
            w.layer,
            w.batch,
            w.time,
            w.input,
            w.units,
            median * 1e3,
            w.flops() / median / 1e9,
        );
    }
}
