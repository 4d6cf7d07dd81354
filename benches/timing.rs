//! How `bench-forward` and `bench-train` time a call, and print a result.

use std::io::Write;
use std::time::{Duration, Instant};

/// One line of output; when the reader has stopped reading (`| head`), the
/// run ends quietly instead of timing what no one will see.
pub fn say(line: std::fmt::Arguments<'_>) {
    if writeln!(std::io::stdout(), "{line}").is_err() {
        std::process::exit(0);
    }
}

/// The median time of `call` in seconds over `runs` runs, after a warm-up,
/// and the calls each run made: a run times enough calls to last at least
/// 20 ms and reports the time of one.
pub fn median(quick: bool, runs: usize, mut call: impl FnMut()) -> (f64, u32) {
    let started = Instant::now();
    let mut calls = 0u32;
    while started.elapsed() < Duration::from_millis(if quick { 100 } else { 300 }) || calls < 3 {
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
    (times[times.len() / 2], repeat)
}
