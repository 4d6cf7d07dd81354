//! A million time steps through each layer: the working memory stays a few
//! megabytes and does not grow with the sequence (return_sequences=false),
//! and nothing recurses.
//!
//! This file is its own test binary, so the counting allocator below sees
//! only this test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array3;
use rnn_basics::layers::RecurrentLayer;
use rnn_basics::prelude::*;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, counting the bytes in use.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the peak of `f`, beyond what was in use before it.
/// `f` runs on a thread of its own, so that the buffers a thread keeps
/// between calls (the layers' scratch for projected inputs) are counted in
/// every measurement, not only in the first.
fn working_memory(f: impl FnOnce() + Send) -> usize {
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    std::thread::scope(|s| s.spawn(f).join().expect("the call ran"));
    PEAK.load(Ordering::Relaxed) - before
}

#[test]
fn a_million_steps_in_a_few_megabytes() {
    let mut rng = init::rng(3);
    let layers: Vec<RecurrentLayer> = vec![
        SimpleRnn::new(16, 8, &mut rng).unwrap().into(),
        Lstm::new(16, 8, &mut rng).unwrap().into(),
        Gru::new(16, 8, &mut rng).unwrap().into(),
    ];
    let long = Array3::from_elem((1, 1_000_000, 8), 0.01f32);
    let shorter = Array3::from_elem((1, 200_000, 8), 0.01f32);
    for layer in &layers {
        let mut out = None;
        let long_bytes = working_memory(|| out = Some(layer.call(&long).unwrap()));
        let out = out.unwrap();
        assert_eq!(out.output.shape(), &[1, 16]);
        assert!(out.output.iter().all(|v| v.is_finite()));
        let shorter_bytes = working_memory(|| {
            layer.call(&shorter).unwrap();
        });
        // The input alone is 32 MB; the layer's own memory is bounded by its
        // chunk of projected inputs (about 2^18 numbers), the same for
        // 200 thousand steps or a million.
        let name = layer.type_name();
        assert!(
            long_bytes < 12 << 20,
            "{name}: {long_bytes} bytes for 1,000,000 steps"
        );
        assert!(
            long_bytes <= shorter_bytes + (64 << 10),
            "{name}: {long_bytes} bytes for 1,000,000 steps, {shorter_bytes} for 200,000"
        );
    }
}
