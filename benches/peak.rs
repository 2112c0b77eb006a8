//! The CPU's measured FMA peak per thread: the ceiling every other bench's
//! GFLOP/s is a fraction of. Independent chains of fused multiply-adds on
//! registers only (no loads), 256-bit with AVX2 + FMA and 512-bit with
//! AVX-512F where the CPU has them. Criterion's "elem/s" is FLOP/s (two per
//! lane per FMA).
//!
//! `cargo bench --bench peak` (one thread; run it in the same session as
//! the GEMM and convolution benches, since clocks move between runs).

// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// FMA rounds per measured call.
const ROUNDS: usize = 1 << 14;

/// Independent accumulators: enough to cover an FMA latency of 4–5 cycles
/// on two ports (8–10 in flight), fewer than the 16 (AVX2) or 32 (AVX-512)
/// vector registers.
const CHAINS: usize = 12;

#[cfg(target_arch = "x86_64")]
mod x86 {
    #![allow(unsafe_code)]

    use std::arch::x86_64::*;

    use super::{CHAINS, ROUNDS};

    /// `ROUNDS` rounds of `CHAINS` independent 256-bit FMAs; returns a lane
    /// of the sum so the work cannot be dropped.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma256(scale: f32, shift: f32) -> f32 {
        let (x, y) = (_mm256_set1_ps(scale), _mm256_set1_ps(shift));
        let mut acc = [_mm256_setzero_ps(); CHAINS];
        for _ in 0..ROUNDS {
            for a in &mut acc {
                *a = _mm256_fmadd_ps(*a, x, y);
            }
        }
        let sum = acc
            .iter()
            .fold(_mm256_setzero_ps(), |s, &a| _mm256_add_ps(s, a));
        _mm256_cvtss_f32(sum)
    }

    /// As [`fma256`] with 512-bit vectors.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn fma512(scale: f32, shift: f32) -> f32 {
        let (x, y) = (_mm512_set1_ps(scale), _mm512_set1_ps(shift));
        let mut acc = [_mm512_setzero_ps(); CHAINS];
        for _ in 0..ROUNDS {
            for a in &mut acc {
                *a = _mm512_fmadd_ps(*a, x, y);
            }
        }
        _mm512_reduce_add_ps(
            acc.iter()
                .fold(_mm512_setzero_ps(), |s, &a| _mm512_add_ps(s, a)),
        )
    }
}

fn peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("fma_peak");
    println!("caches: {}", katachi::par::caches::cache_sizes());
    // Values that neither overflow nor go subnormal over the rounds.
    let (scale, shift) = (0.999_f32, 0.001_f32);
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            group.throughput(Throughput::Elements((ROUNDS * CHAINS * 8 * 2) as u64));
            group.bench_function("avx2_fma_256bit", |b| {
                // SAFETY: AVX2 and FMA were detected just above.
                b.iter(|| unsafe { x86::fma256(black_box(scale), black_box(shift)) })
            });
        }
        if is_x86_feature_detected!("avx512f") {
            group.throughput(Throughput::Elements((ROUNDS * CHAINS * 16 * 2) as u64));
            group.bench_function("avx512f_512bit", |b| {
                // SAFETY: AVX-512F was detected just above.
                b.iter(|| unsafe { x86::fma512(black_box(scale), black_box(shift)) })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, peak);
criterion_main!(benches);
