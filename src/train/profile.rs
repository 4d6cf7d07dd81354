//! Where the backward pass's time goes, for `bench-train --breakdown`: off
//! unless [`reset`] turned it on; not part of the API.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);
static CALLS: AtomicU64 = AtomicU64::new(0);
static PARTS: Mutex<Vec<(&'static str, u64)>> = Mutex::new(Vec::new());

/// Starts counting from nothing.
pub fn reset() {
    PARTS.lock().unwrap_or_else(|p| p.into_inner()).clear();
    CALLS.store(0, Ordering::Relaxed);
    ON.store(true, Ordering::Relaxed);
}

/// Stops counting; returns each part's milliseconds per backward call, in
/// the order the parts first ran.
pub fn take() -> Vec<(&'static str, f64)> {
    ON.store(false, Ordering::Relaxed);
    let calls = CALLS.load(Ordering::Relaxed).max(1) as f64;
    let parts = std::mem::take(&mut *PARTS.lock().unwrap_or_else(|p| p.into_inner()));
    parts
        .into_iter()
        .map(|(name, nanos)| (name, nanos as f64 / 1e6 / calls))
        .collect()
}

/// Counts one backward call.
pub(crate) fn call() {
    if ON.load(Ordering::Relaxed) {
        CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

thread_local! {
    static LAST: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Adds the time since this thread's last mark to `name`'s (an empty
/// name starts the clock without counting).
pub(crate) fn mark(name: &'static str) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let now = Instant::now();
    let last = LAST.with(|l| l.replace(Some(now)));
    if let (false, Some(last)) = (name.is_empty(), last) {
        add(name, (now - last).as_nanos() as u64);
    }
}

fn add(name: &'static str, nanos: u64) {
    let mut parts = PARTS.lock().unwrap_or_else(|p| p.into_inner());
    match parts.iter_mut().find(|(n, _)| *n == name) {
        Some((_, total)) => *total += nanos,
        None => parts.push((name, nanos)),
    }
}

/// Runs `f`, adding its time to `name`'s while counting.
pub(crate) fn time<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    if !ON.load(Ordering::Relaxed) {
        return f();
    }
    let started = Instant::now();
    let result = f();
    add(name, started.elapsed().as_nanos() as u64);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parts_time_is_per_backward_call() {
        reset();
        add("part", 6_000_000);
        (0..3).for_each(|_| call());
        let parts = take();
        // Other tests' backward calls meanwhile can only lower the average.
        let ms = parts.iter().find(|(name, _)| *name == "part").unwrap().1;
        assert!(0.0 < ms && ms <= 2.0, "{parts:?}");
    }
}
