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

static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

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

/// The smallest kept buffer that holds `len` numbers, or a new one.
fn take(len: usize) -> Vec<f32> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let best = pool
        .iter()
        .enumerate()
        .filter(|(_, v)| v.capacity() >= len)
        .min_by_key(|(_, v)| v.capacity())
        .map(|(i, _)| i);
    match best {
        Some(i) => pool.swap_remove(i),
        None => Vec::with_capacity(len),
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.capacity() == 0 {
            return;
        }
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let kept: usize = pool.iter().map(|b| b.capacity() * 4).sum();
        if pool.len() < MAX_KEPT && kept + v.capacity() * 4 <= MAX_KEPT_BYTES {
            pool.push(v);
        }
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
}
