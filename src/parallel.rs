//! Worker threads that share one call's work across the CPU's cores.
//!
//! A layer splits a large batch into parts that never meet (one loop per
//! part). Spawning threads for every call costs tens of microseconds, and a
//! freshly spawned thread is often placed on the caller's own core by the
//! scheduler, which then runs both parts one after the other. So the
//! workers here are started once and kept: after a part they spin for a
//! moment (as OpenMP's workers do) before they sleep, so that calls made
//! one after another find them awake, each on its own core. A worker woken
//! from its sleep can be placed beside its waker too, so on Linux each call
//! also keeps the workers off the caller's CPU, within the CPUs the caller
//! may run on. The caller's own affinity is read, never changed.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, TryLockError};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long an idle worker spins for new work before it sleeps.
const SPIN: Duration = Duration::from_millis(2);

/// How long a caller done with its part spins for the workers before it sleeps.
const WAIT_SPIN: Duration = Duration::from_micros(50);

/// At most this many threads share a call.
const MAX_THREADS: usize = 8;

/// Set in the child of a fork, which has none of the workers.
static FORKED: AtomicBool = AtomicBool::new(false);

extern "C" fn forked() {
    FORKED.store(true, Ordering::Relaxed);
}

/// How many parts a call may be cut into: the caller and the workers, as
/// many as the CPU has threads (at most 8), or `RNN_BASICS_THREADS` if set
/// to a smaller number (1: every call runs on its caller's thread), or the
/// count the tests chose with [`crate::testing::with_settings`] (parts
/// beyond the workers then run one after another).
pub(crate) fn threads() -> usize {
    match crate::testing::current() {
        Some(settings) => settings.threads,
        None => pool_threads(),
    }
}

/// The caller and the workers.
fn pool_threads() -> usize {
    pool().workers.len() + 1
}

/// Runs `part(0)`, …, `part(parts - 1)`: part 0 on the calling thread,
/// each other one on a worker, and returns when all have finished. If the
/// workers are busy with another call (from another thread, or from inside
/// a part, or in the child of a fork), every part runs here, one after
/// another. A panic in a part is raised again here once every part has
/// stopped.
pub(crate) fn for_each_part(parts: usize, part: &(dyn Fn(usize) + Sync)) {
    let pool = pool();
    // A lock poisoned by a part's panic in an earlier call is free all the same.
    let claimed = (parts > 1)
        .then(|| match pool.busy.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        })
        .flatten();
    if claimed.is_none() || parts > pool_threads() || FORKED.load(Ordering::Relaxed) {
        (0..parts).for_each(part);
        return;
    }
    // SAFETY: the guard below waits for every worker handed this job to
    // finish it before `part` goes out of scope, even while unwinding.
    let job: Job = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(part) };
    let started = Started {
        workers: &pool.workers[..parts - 1],
    };
    // The CPUs this thread may run on now (its own affinity, which may have
    // changed since the pool started), and the one it runs on.
    let place = placement::Cpus::of_this_thread().zip(placement::current_cpu());
    for (i, worker) in started.workers.iter().enumerate() {
        if let Some((cpus, cpu)) = &place {
            worker.keep_off(cpus, *cpu);
        }
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
        placement::on_fork_child(forked);
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
    /// The CPUs the worker was last allowed (by the call holding the pool).
    placed: Mutex<Option<placement::Cpus>>,
}

/// What the caller and a worker share. The caller writes `job` (the part,
/// its index and the caller's thread, to wake when done), then publishes it
/// by raising `given`; the worker runs it and sets `done` to the same
/// number. `job` is not touched again until `done` catches up.
struct Slot {
    job: UnsafeCell<Option<(Job, usize, Thread)>>,
    given: AtomicU64,
    done: AtomicU64,
    panicked: AtomicBool,
    /// The worker's thread id, once it has started (0 before).
    thread_id: AtomicI32,
}

// SAFETY: `job` is written by the caller holding the pool only while the
// worker is idle (done == given), and taken by the worker only after `given`
// (Acquire) has published that write and before `done` (Release) tells the
// caller it may write again.
unsafe impl Sync for Slot {}

impl Worker {
    fn spawn(index: usize) -> Option<Worker> {
        let slot = Arc::new(Slot {
            job: UnsafeCell::new(None),
            given: AtomicU64::new(0),
            done: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
            thread_id: AtomicI32::new(0),
        });
        let theirs = Arc::clone(&slot);
        let handle = std::thread::Builder::new()
            .name(format!("rnn-basics-{index}"))
            .spawn(move || work(&theirs))
            .ok()?;
        Some(Worker {
            slot,
            thread: handle.thread().clone(),
            placed: Mutex::new(None),
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
        unsafe { *slot.job.get() = Some((job, index, std::thread::current())) };
        slot.given.fetch_add(1, Ordering::Release);
        self.thread.unpark();
    }

    /// Lets the worker run on the caller's CPUs `cpus` but `cpu` (the one
    /// the caller is on), or on all of `cpus` if that is the only one.
    fn keep_off(&self, cpus: &placement::Cpus, cpu: i32) {
        let thread_id = self.slot.thread_id.load(Ordering::Acquire);
        if thread_id == 0 {
            return;
        }
        let wanted = cpus.without(cpu);
        let mut placed = self.placed.lock().unwrap_or_else(|p| p.into_inner());
        if placed.as_ref().is_some_and(|p| p.same(&wanted)) {
            return;
        }
        *placed = wanted.apply_to(thread_id).then_some(wanted);
    }

    /// Waits until the worker has finished what it was given (spinning a
    /// moment, then asleep until the worker wakes it); true if it panicked.
    fn wait(&self) -> bool {
        let slot = &self.slot;
        let given = slot.given.load(Ordering::Relaxed);
        // The worker unparks this thread after raising `done`.
        spin_then_park(WAIT_SPIN, || slot.done.load(Ordering::Acquire) == given);
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
    slot.thread_id
        .store(placement::current_thread_id(), Ordering::Release);
    let mut seen = 0;
    loop {
        // `give` unparks after raising `given`, so no wake-up is lost.
        spin_then_park(SPIN, || slot.given.load(Ordering::Acquire) != seen);
        seen += 1;
        // SAFETY: published by `give` before `given` rose to `seen`.
        let (job, index, caller) = unsafe { (*slot.job.get()).take().expect("a job was given") };
        if catch_unwind(AssertUnwindSafe(|| job(index))).is_err() {
            slot.panicked.store(true, Ordering::Relaxed);
        }
        slot.done.store(seen, Ordering::Release);
        caller.unpark();
    }
}

/// Returns once `ready()`: spins for up to `budget`, then sleeps until
/// unparked (by whoever makes it ready), checking again at every wake-up.
fn spin_then_park(budget: Duration, ready: impl Fn() -> bool) {
    let started = Instant::now();
    let mut spins = 0u32;
    while !ready() {
        spins = spins.wrapping_add(1);
        if !spins.is_multiple_of(64) || started.elapsed() < budget {
            std::hint::spin_loop();
        } else {
            std::thread::park();
        }
    }
}

/// Where threads run: Linux's CPU affinity, and nothing elsewhere.
#[cfg(target_os = "linux")]
mod placement {
    /// A set of CPUs.
    #[derive(Clone)]
    pub(super) struct Cpus(libc::cpu_set_t);

    impl Cpus {
        /// The CPUs the calling thread may run on (read only).
        pub(super) fn of_this_thread() -> Option<Cpus> {
            Cpus::of(0)
        }

        /// The CPUs thread `thread_id` may run on (0: the calling thread).
        pub(super) fn of(thread_id: i32) -> Option<Cpus> {
            // SAFETY: a zeroed cpu_set_t is an empty set; the call fills it.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                let size = std::mem::size_of::<libc::cpu_set_t>();
                (libc::sched_getaffinity(thread_id, size, &mut set) == 0).then_some(Cpus(set))
            }
        }

        /// These CPUs but `cpu`, or all of them if `cpu` is the only one.
        pub(super) fn without(&self, cpu: i32) -> Cpus {
            let mut set = self.0;
            // SAFETY: `set` is a valid cpu_set_t; CPU_CLR ignores numbers
            // past its end.
            let left = unsafe {
                if let Ok(cpu) = usize::try_from(cpu) {
                    libc::CPU_CLR(cpu, &mut set);
                }
                libc::CPU_COUNT(&set)
            };
            if left > 0 { Cpus(set) } else { self.clone() }
        }

        /// Whether the two sets hold the same CPUs.
        pub(super) fn same(&self, other: &Cpus) -> bool {
            // SAFETY: two valid cpu_set_t.
            unsafe { libc::CPU_EQUAL(&self.0, &other.0) }
        }

        /// Whether `cpu` is in the set.
        #[cfg(test)]
        pub(super) fn has(&self, cpu: usize) -> bool {
            // SAFETY: `self.0` is a valid cpu_set_t.
            unsafe { libc::CPU_ISSET(cpu, &self.0) }
        }

        /// Lets thread `thread_id` (a worker's, never 0, which would be the
        /// calling thread) run on these CPUs; false if the system refuses.
        pub(super) fn apply_to(&self, thread_id: i32) -> bool {
            assert_ne!(thread_id, 0, "a worker's thread id");
            // SAFETY: a valid cpu_set_t of its own size.
            unsafe {
                libc::sched_setaffinity(thread_id, std::mem::size_of::<libc::cpu_set_t>(), &self.0)
                    == 0
            }
        }
    }

    /// The CPU the calling thread runs on now.
    pub(super) fn current_cpu() -> Option<i32> {
        // SAFETY: no arguments; -1 on failure.
        let cpu = unsafe { libc::sched_getcpu() };
        (cpu >= 0).then_some(cpu)
    }

    /// The calling thread's id.
    pub(super) fn current_thread_id() -> i32 {
        // SAFETY: no arguments; cannot fail.
        unsafe { libc::gettid() }
    }

    /// Has `child` run in the child of every later fork.
    pub(super) fn on_fork_child(child: extern "C" fn()) {
        // SAFETY: registers a handler that only stores to an atomic.
        unsafe { libc::pthread_atfork(None, None, Some(child)) };
    }
}

#[cfg(not(target_os = "linux"))]
mod placement {
    pub(super) struct Cpus;

    impl Cpus {
        pub(super) fn of_this_thread() -> Option<Cpus> {
            None
        }
        pub(super) fn without(&self, _cpu: i32) -> Cpus {
            Cpus
        }
        pub(super) fn same(&self, _other: &Cpus) -> bool {
            true
        }
        pub(super) fn apply_to(&self, _thread_id: i32) -> bool {
            false
        }
    }

    pub(super) fn current_cpu() -> Option<i32> {
        None
    }

    pub(super) fn current_thread_id() -> i32 {
        0
    }

    pub(super) fn on_fork_child(_child: extern "C" fn()) {}
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
    #[cfg(target_os = "linux")]
    fn a_forked_child_runs_every_part_itself() {
        // The child of a fork has this thread only, not the workers.
        for_each_part(threads(), &|_| {});
        // SAFETY: the child calls only what is safe after a fork (atomics,
        // alarm, _exit) besides the code under test, which allocates nothing.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // A hang ends the child with SIGALRM instead of hanging the tests.
            unsafe { libc::alarm(10) };
            let sum = AtomicUsize::new(0);
            for_each_part(2, &|i| {
                sum.fetch_add(i + 1, Ordering::Relaxed);
            });
            let ok = sum.load(Ordering::Relaxed) == 3;
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for the child started above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the child ended with status {status:#x}"
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_callers_affinity_is_kept_and_the_workers_stay_within_it() {
        use placement::Cpus;
        // On a thread of its own, whose affinity this test may change.
        std::thread::spawn(|| {
            let before = Cpus::of_this_thread().expect("affinity");
            for_each_part(pool_threads(), &|_| {});
            assert!(Cpus::of_this_thread().unwrap().same(&before));
            let Some(cpu) = (0..libc::CPU_SETSIZE as usize).find(|c| before.has(*c)) else {
                return;
            };
            // Pinned to one CPU by its caller: the call leaves the pin as it
            // was, and every part runs on that CPU, on whichever thread.
            let mut pinned: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            unsafe { libc::CPU_SET(cpu, &mut pinned) };
            let size = std::mem::size_of::<libc::cpu_set_t>();
            assert_eq!(unsafe { libc::sched_setaffinity(0, size, &pinned) }, 0);
            let pinned = Cpus::of_this_thread().unwrap();
            let caller = placement::current_thread_id();
            let mut on_a_worker = false;
            // Other tests may hold the workers for a while: try until a part
            // runs on one.
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                let seen: Vec<Mutex<Option<(i32, bool)>>> =
                    (0..pool_threads()).map(|_| Mutex::new(None)).collect();
                for_each_part(pool_threads(), &|i| {
                    let mine = Cpus::of_this_thread().unwrap();
                    let inside =
                        (0..libc::CPU_SETSIZE as usize).all(|c| !mine.has(c) || pinned.has(c));
                    *seen[i].lock().unwrap() = Some((placement::current_thread_id(), inside));
                });
                for s in &seen {
                    let (thread, inside) = s.lock().unwrap().expect("every part ran");
                    assert!(inside, "a part ran outside its caller's CPUs");
                    on_a_worker |= thread != caller;
                }
                assert!(Cpus::of_this_thread().unwrap().same(&pinned));
                if on_a_worker {
                    break;
                }
            }
            assert!(
                on_a_worker || pool_threads() == 1,
                "no part ran on a worker"
            );
        })
        .join()
        .unwrap();
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
        // And the workers still take parts (the panic left the pool's lock
        // poisoned, which must not make every later call run alone).
        let caller = std::thread::current().id();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut on_a_worker = false;
        while !on_a_worker && Instant::now() < deadline {
            let on = Mutex::new(None);
            for_each_part(2, &|i| {
                if i == 1 {
                    *on.lock().unwrap() = Some(std::thread::current().id());
                }
            });
            on_a_worker = on.into_inner().unwrap() != Some(caller);
        }
        assert!(on_a_worker, "no part ran on a worker after the panic");
    }
}
