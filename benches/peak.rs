//! The machine's ceiling: a pure multiply-add loop on every core, counting
//! two FLOPs a lane, with as many independent accumulators as keep the
//! multiply-add units busy. No loads or stores: nothing real runs faster.

use std::time::Instant;

/// Multiply-adds per accumulator in one timed pass.
const ROUNDS: usize = 4_000_000;

/// Peak GFLOP/s of `threads` threads, each running the widest multiply-add
/// loop this CPU has; the best of `passes` passes.
pub fn peak_gflops(threads: usize, passes: usize) -> f64 {
    (0..passes)
        .map(|_| {
            let start = Instant::now();
            let flops: f64 = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads).map(|_| s.spawn(one_core)).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .sum()
            });
            flops / start.elapsed().as_secs_f64() / 1e9
        })
        .fold(0.0, f64::max)
}

/// FLOPs done by one thread's loop.
fn one_core() -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F is present.
            return unsafe { x86::fma512() };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: AVX2 and FMA are present.
            return unsafe { x86::fma256() };
        }
    }
    portable()
}

fn portable() -> f64 {
    let mut acc = [1.0f32; 8];
    for _ in 0..ROUNDS {
        for a in &mut acc {
            *a = a.mul_add(0.999_999, 1e-7);
        }
    }
    std::hint::black_box(acc);
    (ROUNDS * 8 * 2) as f64
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Twelve independent chains: more than a multiply-add's latency
    /// times the units that can take one each cycle.
    const CHAINS: usize = 12;

    #[target_feature(enable = "avx512f")]
    pub unsafe fn fma512() -> f64 {
        let (m, a) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
        let mut acc = [_mm512_set1_ps(1.0); CHAINS];
        for _ in 0..super::ROUNDS {
            for v in &mut acc {
                *v = _mm512_fmadd_ps(*v, m, a);
            }
        }
        std::hint::black_box(acc);
        (super::ROUNDS * CHAINS * 16 * 2) as f64
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma256() -> f64 {
        let (m, a) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_set1_ps(1.0); CHAINS];
        for _ in 0..super::ROUNDS {
            for v in &mut acc {
                *v = _mm256_fmadd_ps(*v, m, a);
            }
        }
        std::hint::black_box(acc);
        (super::ROUNDS * CHAINS * 8 * 2) as f64
    }
}
