//! A million time steps through each layer: the working memory stays a few
//! megabytes and does not grow with the sequence (return_sequences=false),
//! and nothing recurses. A long `fit` holds the same memory from epoch to
//! epoch.
//!
//! This file is its own test binary, so the counting allocator below sees
//! only this test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{Array1, Array3};
use rnn_basics::layers::{Dense, RecurrentLayer};
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Adam, Dataset, FitConfig, Loss, Target};

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

/// One measuring test at a time: the counts are the whole process's.
static SERIAL: Mutex<()> = Mutex::new(());

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
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
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

#[test]
fn a_long_fit_holds_the_same_memory_from_epoch_to_epoch() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut rng = init::rng(4);
    let (examples, time, features) = (96, 30, 8);
    let x = init::normal(&mut rng, (examples * time, features))
        .into_shape_with_order((examples, time, features))
        .unwrap();
    let labels = Array1::from_shape_fn(examples, |i| i % 3);
    let mut model = Sequential::with_input_shape(&[time, features]);
    model
        .add(Lstm::new(32, features, &mut rng).unwrap())
        .unwrap();
    model.add(Dense::new(3, 32, &mut rng).unwrap()).unwrap();
    let config = FitConfig {
        epochs: 12,
        batch_size: 32,
        shuffle: true,
        seed: 1,
        clip_norm: None,
    };
    // Bytes in use at the end of each epoch, and the most in use during it.
    let mut ends = Vec::new();
    let mut peaks = Vec::new();
    PEAK.store(CURRENT.load(Ordering::Relaxed), Ordering::Relaxed);
    train::fit(
        &mut model,
        Dataset {
            x: x.view().into_dyn(),
            target: Target::Classes(labels.view().into_dyn()),
            mask: None,
        },
        Loss::SoftmaxCrossEntropy,
        &mut Adam::new(0.01),
        &config,
        |_, _| {
            let now = CURRENT.load(Ordering::Relaxed);
            ends.push(now);
            peaks.push(PEAK.swap(now, Ordering::Relaxed));
        },
    )
    .unwrap();
    assert_eq!(ends.len(), 12);
    // The first epochs fill the buffer pool and the optimizer's moments.
    // After them nothing grows with the epochs: a buffer kept per step would
    // add megabytes an epoch. What is allowed is one allocation of up to
    // 256 KiB that can land in any epoch (seen: 64 KiB, once in six runs,
    // as the two threads happen to split the work).
    const ONCE: usize = 256 << 10;
    let settled = ends[2];
    for (epoch, (&end, &peak)) in ends.iter().zip(&peaks).enumerate().skip(3) {
        assert!(
            end <= settled + ONCE,
            "epoch {epoch}: {end} bytes in use at its end, {settled} after epoch 2"
        );
        assert!(
            peak <= peaks[2] + ONCE,
            "epoch {epoch}: peaked at {peak} bytes, epoch 2 at {}",
            peaks[2]
        );
    }
}
