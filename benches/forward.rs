//! `cargo bench`: the forward pass of the fused layers on the workloads of
//! the speed issue, timed by divan (see also `bench-forward`, which prints
//! JSON, and `benches/compare.py`, which runs TensorFlow and PyTorch beside).

use divan::Bencher;
use rnn_basics::prelude::*;

mod workloads;

use workloads::WORKLOADS;

fn main() {
    divan::main();
}

#[divan::bench(args = WORKLOADS.map(|w| w.name), sample_count = 15)]
fn forward(bencher: Bencher, name: &str) {
    let workload = WORKLOADS
        .iter()
        .find(|w| w.name == name)
        .expect("a workload");
    let layer = workload.layer();
    let x = workload.input();
    bencher
        .counter(divan::counter::ItemsCount::new(workload.flops() as usize))
        .bench_local(|| layer.call(&x).expect("the workload runs"));
}
