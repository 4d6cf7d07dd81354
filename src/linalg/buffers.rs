//! Buffers of numbers that go back to a pool when dropped, so that a
//! training step reuses the memory of the step before it instead of asking
//! the system for fresh pages (each page's first touch costs a fault, which
//! for a medium workload was a quarter of the step).
//!
//! The pool keeps at most [`MAX_KEPT_BYTES`], so that a long run's memory
//! stays at the size of its largest step.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

/// What the pool keeps at most, in bytes.
const MAX_KEPT_BYTES: usize = 512 << 20;

/// Buffers at most the pool keeps.
const MAX_KEPT: usize = 64;

static POOL: Mutex<Pool> = Mutex::new(Pool { kept: Vec::new() });

/// The buffers kept for reuse.
struct Pool {
    kept: Vec<Vec<f32>>,
}

impl Pool {
    /// The smallest kept buffer that holds `len` numbers, or a new one.
    fn take(&mut self, len: usize) -> Vec<f32> {
        let best = self
            .kept
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        match best {
            Some(i) => self.kept.swap_remove(i),
            None => Vec::with_capacity(len),
        }
    }

    /// Keeps `v` for reuse, unless the pool is full.
    fn give(&mut self, v: Vec<f32>) {
        let bytes: usize = self.kept.iter().map(|b| b.capacity() * 4).sum();
        if v.capacity() > 0
            && self.kept.len() < MAX_KEPT
            && bytes + v.capacity() * 4 <= MAX_KEPT_BYTES
        {
            self.kept.push(v);
        }
    }
}

/// `len` numbers that go back to the pool when dropped.
pub(crate) struct Buffer(Vec<f32>);

impl Buffer {
    /// `len` numbers left as they were: the caller writes every number
    /// before it reads it (debug builds fill them with NaN, so that a
    /// number read before it is written shows).
    pub(crate) fn uninit(len: usize) -> Buffer {
        let mut v = take(len);
        if v.len() >= len {
            v.truncate(len);
        } else {
            v.resize(len, 0.0);
        }
        if cfg!(debug_assertions) {
            v.fill(f32::NAN);
        }
        Buffer(v)
    }

    /// `len` zeros.
    pub(crate) fn zeroed(len: usize) -> Buffer {
        let mut v = take(len);
        v.clear();
        v.resize(len, 0.0);
        Buffer(v)
    }
}

fn take(len: usize) -> Vec<f32> {
    POOL.lock().unwrap_or_else(|e| e.into_inner()).take(len)
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        POOL.lock().unwrap_or_else(|e| e.into_inner()).give(v);
    }
}

impl Deref for Buffer {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Buffer {
        let mut copy = Buffer::uninit(self.len());
        copy.copy_from_slice(self);
        copy
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Buffer({} numbers)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_is_zeros_after_reuse_and_uninit_has_the_length() {
        let mut a = Buffer::uninit(1000);
        a.fill(7.0);
        drop(a);
        let b = Buffer::zeroed(900);
        assert_eq!(b.len(), 900);
        assert!(b.iter().all(|&v| v == 0.0));
        drop(b);
        let c = Buffer::uninit(1500);
        assert_eq!(c.len(), 1500);
        let d = c.clone();
        assert_eq!(d.len(), 1500);
    }

    #[test]
    fn a_buffer_debugs_as_its_length_not_its_numbers() {
        assert_eq!(format!("{:?}", Buffer::zeroed(3)), "Buffer(3 numbers)");
    }

    #[test]
    fn a_pool_hands_back_the_smallest_buffer_that_fits_and_keeps_a_bounded_amount() {
        let mut pool = Pool { kept: Vec::new() };
        let (small, large) = (
            Vec::<f32>::with_capacity(100),
            Vec::<f32>::with_capacity(1000),
        );
        let (small_at, large_at) = (small.as_ptr(), large.as_ptr());
        pool.give(large);
        pool.give(small);
        let first = pool.take(50);
        assert_eq!(first.as_ptr(), small_at, "the smallest that fits");
        let second = pool.take(50);
        assert_eq!(second.as_ptr(), large_at, "then the next");
        assert!(pool.take(50).capacity() >= 50, "then a new one");
        // The pool keeps no more than MAX_KEPT_BYTES.
        let big = MAX_KEPT_BYTES / 4 / 2;
        pool.give(Vec::with_capacity(big));
        pool.give(Vec::with_capacity(big));
        pool.give(Vec::with_capacity(big));
        assert_eq!(pool.kept.len(), 2);
        // A buffer larger than that alone is not kept, nor one of no numbers.
        let mut pool = Pool { kept: Vec::new() };
        pool.give(Vec::with_capacity(MAX_KEPT_BYTES / 4 + 1));
        pool.give(Vec::new());
        assert!(pool.kept.is_empty());
        // And no more than MAX_KEPT buffers.
        let mut pool = Pool { kept: Vec::new() };
        for _ in 0..MAX_KEPT + 5 {
            pool.give(Vec::with_capacity(1));
        }
        assert_eq!(pool.kept.len(), MAX_KEPT);
    }

    #[test]
    fn a_dropped_buffer_goes_back_to_the_pool() {
        // A size no other test asks for, so that none takes it meanwhile.
        const LEN: usize = 5_000_003;
        let buffer = Buffer::zeroed(LEN);
        let at = buffer.as_ptr();
        drop(buffer);
        let is_kept = || {
            let pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            pool.kept.iter().any(|v| v.as_ptr() == at)
        };
        assert!(is_kept(), "the buffer was not kept");
        // The next request of that size reuses it (unless a test running
        // meanwhile took it first: then it has left the pool all the same).
        let again = Buffer::uninit(LEN);
        assert!(
            again.as_ptr() == at || !is_kept(),
            "a kept buffer of the right size was not reused"
        );
        drop(again);
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        pool.kept.retain(|v| v.as_ptr() != at);
    }
}
