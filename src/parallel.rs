//! Worker threads that share one call's work across the CPU's cores.
//!
//! A layer splits a large batch into parts that never meet (one loop per
//! part). Spawning threads for every call costs tens of microseconds, and a
//! freshly spawned thread is often placed on the caller's own core by the
//! scheduler, which then runs both parts one after the other. So the
//! workers here are started once and kept: after a part they spin for a
//! moment (as OpenMP's workers do) before they sleep, so that calls made
//! one after another find them awake, each on its own core.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long an idle worker spins for new work before it sleeps.
const SPIN: Duration = Duration::from_millis(2);

/// At most this many threads share a call.
const MAX_THREADS: usize = 8;

/// How many parts a call can run at once: the caller and the workers, as
/// many as the CPU has threads (at most 8), or `RNN_BASICS_THREADS` if set
/// to a smaller number (1: every call runs on its caller's thread).
pub(crate) fn threads() -> usize {
    pool().workers.len() + 1
}

/// Runs `part(0)`, …, `part(parts - 1)`: part 0 on the calling thread,
/// each other one on a worker, and returns when all have finished. If the
/// workers are busy with another call (from another thread, or from inside
/// a part), every part runs here, one after another. A panic in a part is
/// raised again here once every part has stopped.
pub(crate) fn for_each_part(parts: usize, part: &(dyn Fn(usize) + Sync)) {
    let pool = pool();
    let claimed = (parts > 1).then(|| pool.busy.try_lock().ok()).flatten();
    if claimed.is_none() || parts > threads() {
        (0..parts).for_each(part);
        return;
    }
    // SAFETY: the guard below waits for every worker handed this job to
    // finish it before `part` goes out of scope, even while unwinding.
    let job: Job = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(part) };
    let started = Started {
        workers: &pool.workers[..parts - 1],
    };
    for (i, worker) in started.workers.iter().enumerate() {
        worker.give(job, i + 1);
    }
    part(0);
    drop(started);
    drop(claimed);
}

/// A part to run, its borrow erased: valid until the caller has seen it done.
type Job = &'static (dyn Fn(usize) + Sync);

struct Pool {
    workers: Vec<Worker>,
    /// Held by the call using the workers.
    busy: Mutex<()>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        let asked = std::env::var("RNN_BASICS_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n >= 1);
        let threads = asked.unwrap_or(available).min(available).min(MAX_THREADS);
        let workers = (1..threads).map_while(Worker::spawn).collect();
        Pool {
            workers,
            busy: Mutex::new(()),
        }
    })
}

/// One worker thread and the slot through which it is handed work.
struct Worker {
    slot: Arc<Slot>,
    thread: Thread,
}

/// What the caller and a worker share. The caller writes `job`, then
/// publishes it by raising `given`; the worker runs it and sets `done` to
/// the same number. `job` is not touched again until `done` catches up.
struct Slot {
    job: UnsafeCell<Option<(Job, usize)>>,
    given: AtomicU64,
    done: AtomicU64,
    panicked: AtomicBool,
}

// SAFETY: `job` is written only by the caller holding the pool, while the
// worker is not reading it (done == given), and read by the worker only
// after `given` (Acquire) has published the write.
unsafe impl Sync for Slot {}

impl Worker {
    fn spawn(index: usize) -> Option<Worker> {
        let slot = Arc::new(Slot {
            job: UnsafeCell::new(None),
            given: AtomicU64::new(0),
            done: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
        });
        let theirs = Arc::clone(&slot);
        let handle = std::thread::Builder::new()
            .name(format!("rnn-basics-{index}"))
            .spawn(move || work(&theirs))
            .ok()?;
        Some(Worker {
            slot,
            thread: handle.thread().clone(),
        })
    }

    fn give(&self, job: Job, index: usize) {
        let slot = &self.slot;
        debug_assert_eq!(
            slot.done.load(Ordering::Acquire),
            slot.given.load(Ordering::Relaxed)
        );
        // SAFETY: the worker has finished its last job (done == given) and
        // reads the slot again only after `given` rises below.
        unsafe { *slot.job.get() = Some((job, index)) };
        slot.given.fetch_add(1, Ordering::Release);
        self.thread.unpark();
    }

    /// Waits until the worker has finished what it was given; true if it panicked.
    fn wait(&self) -> bool {
        let slot = &self.slot;
        let given = slot.given.load(Ordering::Relaxed);
        let mut spins = 0u32;
        while slot.done.load(Ordering::Acquire) != given {
            spins = spins.saturating_add(1);
            if spins < 1 << 16 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        slot.panicked.swap(false, Ordering::Relaxed)
    }
}

/// The workers handed one job: dropping this waits for all of them.
struct Started<'a> {
    workers: &'a [Worker],
}

impl Drop for Started<'_> {
    fn drop(&mut self) {
        let panicked = self.workers.iter().fold(false, |any, w| w.wait() | any);
        if panicked && !std::thread::panicking() {
            panic!("a part of the batch panicked on a worker thread");
        }
    }
}

/// A worker's life: wait for a job (spinning, then asleep), run it, repeat.
fn work(slot: &Slot) {
    let mut seen = 0;
    loop {
        let idle = Instant::now();
        let mut spins = 0u32;
        while slot.given.load(Ordering::Acquire) == seen {
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(1024) {
                std::hint::spin_loop();
            } else if idle.elapsed() > SPIN {
                // `give` unparks after raising `given`, so no wake-up is lost.
                std::thread::park();
            }
        }
        seen += 1;
        // SAFETY: published by `give` before `given` rose to `seen`.
        let (job, index) = unsafe { (*slot.job.get()).expect("a job was given") };
        if catch_unwind(AssertUnwindSafe(|| job(index))).is_err() {
            slot.panicked.store(true, Ordering::Relaxed);
        }
        slot.done.store(seen, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_part_runs_once() {
        for parts in 1..=threads() {
            let counts: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            for _ in 0..100 {
                for_each_part(parts, &|i| {
                    counts[i].fetch_add(1, Ordering::Relaxed);
                });
            }
            assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 100));
        }
    }

    #[test]
    fn more_parts_than_threads_run_here() {
        let n = threads() + 3;
        let sum = AtomicUsize::new(0);
        for_each_part(n, &|i| {
            sum.fetch_add(i + 1, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), n * (n + 1) / 2);
    }

    #[test]
    fn a_part_inside_a_part_runs_without_the_workers() {
        let sum = AtomicUsize::new(0);
        for_each_part(threads(), &|_| {
            for_each_part(threads(), &|j| {
                sum.fetch_add(j + 1, Ordering::Relaxed);
            });
        });
        let t = threads();
        assert_eq!(sum.load(Ordering::Relaxed), t * t * (t + 1) / 2);
    }

    #[test]
    fn callers_on_many_threads_share_the_workers() {
        // One call holds the workers at a time; the others run their parts
        // themselves. Every part of every call runs once either way.
        let parts = threads().max(2);
        let total = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let seen: Vec<AtomicUsize> =
                            (0..parts).map(|_| AtomicUsize::new(0)).collect();
                        for_each_part(parts, &|i| {
                            seen[i].fetch_add(1, Ordering::Relaxed);
                        });
                        assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
                        total.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 800);
    }

    #[test]
    fn a_worker_panic_reaches_the_caller_and_the_pool_still_works() {
        if threads() < 2 {
            return;
        }
        let caught = catch_unwind(|| {
            for_each_part(2, &|i| {
                if i == 1 {
                    panic!("part 1 fails");
                }
            })
        });
        assert!(caught.is_err());
        let sum = AtomicUsize::new(0);
        for_each_part(2, &|i| {
            sum.fetch_add(i + 1, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 3);
    }
}
