//! AVX2 + FMA kernels for x86-64: 6×16 for `f32` and 6×8 for `f64`.
//!
//! Twelve 256-bit accumulators hold the tile, leaving registers for the two
//! `B` vectors and the broadcast `A` value; twelve independent FMA chains
//! cover the FMA latency on every AVX2 core we know of. Each kernel is a
//! safe entry that checks bounds (`check_tile`) and then calls a
//! `#[target_feature]` body, which only `kernel::mod` selects, after runtime
//! detection of the features. The body is written once, generic over where
//! `A` comes from; the packed case gets constant strides so the compiler
//! can fold them into the addressing.

#![allow(unsafe_code)]

use std::arch::x86_64::*;

use super::{APanel, MicroKernel, WriteBack, check_tile};

/// Whether this CPU runs AVX2 and FMA instructions.
pub(super) fn has_avx2_fma() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

pub(super) static F32_AVX2: MicroKernel<f32> = MicroKernel {
    mr: 6,
    nr: 16,
    name: "avx2+fma",
    run: f32_6x16::<2>,
    half: f32_6x16::<1>,
};
pub(super) static F64_AVX2: MicroKernel<f64> = MicroKernel {
    mr: 6,
    nr: 8,
    name: "avx2+fma",
    run: f64_6x8::<2>,
    half: f64_6x8::<1>,
};

/// `V` of the tile's two 8-lane column vectors: 2 for all 16 columns, 1
/// for the left 8 ([`MicroKernel::half`]).
fn f32_6x16<const V: usize>(
    k: usize,
    a: APanel<'_, f32>,
    b: &[f32],
    c: &mut [f32],
    rs: usize,
    wb: WriteBack<'_, f32>,
) {
    check_tile(k, &a, b, c, rs, &wb, (6, 16));
    assert!(has_avx2_fma(), "the AVX2 kernel needs AVX2 and FMA");
    let (ap, bp, cp) = (a.data.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    // SAFETY: the CPU has AVX2 and FMA (asserted above), and `check_tile`
    // established every bound the body relies on: `a` is readable at
    // i·rs + p·cs for i < 6, p < k; `b` holds 16·k elements; `c` holds
    // 5·rs + 16 with rs ≥ 16; a bias holds 16.
    unsafe {
        if a.rs == 1 && a.cs == 6 {
            f32_6x16_avx2::<true, V>(k, ap, 1, 6, bp, cp, rs, wb)
        } else {
            f32_6x16_avx2::<false, V>(k, ap, a.rs, a.cs, bp, cp, rs, wb)
        }
    }
}

/// # Safety
/// AVX2 and FMA must be available; `a` must be readable at `i·a_rs + p·a_cs`
/// for `i < 6`, `p < k` (with `PACKED`, `a_rs = 1` and `a_cs = 6`); `b` for
/// `16k` reads; `c` for reads and writes of 16 elements at each `c + i·rs`,
/// `i < 6`; a bias for 16 reads.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn f32_6x16_avx2<const PACKED: bool, const V: usize>(
    k: usize,
    a: *const f32,
    a_rs: usize,
    a_cs: usize,
    b: *const f32,
    c: *mut f32,
    rs: usize,
    wb: WriteBack<'_, f32>,
) {
    let (a_rs, a_cs) = if PACKED { (1, 6) } else { (a_rs, a_cs) };
    // SAFETY: every offset below stays within the bounds the caller
    // guarantees: p < k, i < 6, lanes 0..16 of each row.
    unsafe {
        // Ask for the C tile now, so its lines arrive while the k loop runs
        // instead of stalling the write-back (rows are often 4 KiB apart).
        for i in 0..6 {
            _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs).cast());
            _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs + 15).cast());
        }
        let mut acc = [[_mm256_setzero_ps(); V]; 6];
        for p in 0..k {
            let bp = b.add(p * 16);
            let bv: [__m256; V] = std::array::from_fn(|h| _mm256_loadu_ps(bp.add(h * 8)));
            let ap = a.add(p * a_cs);
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm256_broadcast_ss(&*ap.add(i * a_rs));
                for (t, &b) in row.iter_mut().zip(&bv) {
                    *t = _mm256_fmadd_ps(ai, b, *t);
                }
            }
        }
        for (i, row) in acc.iter().enumerate() {
            let out = c.add(i * rs);
            for (h, &t) in row.iter().enumerate() {
                let dst = out.add(h * 8);
                let value = match wb {
                    WriteBack::Replace => t,
                    WriteBack::Add => _mm256_add_ps(_mm256_loadu_ps(dst), t),
                    WriteBack::ReplaceWithBias(bias) => {
                        _mm256_add_ps(t, _mm256_loadu_ps(bias.as_ptr().add(h * 8)))
                    }
                };
                _mm256_storeu_ps(dst, value);
            }
        }
    }
}

/// `V` of the tile's two 4-lane column vectors, as for `f32_6x16`.
fn f64_6x8<const V: usize>(
    k: usize,
    a: APanel<'_, f64>,
    b: &[f64],
    c: &mut [f64],
    rs: usize,
    wb: WriteBack<'_, f64>,
) {
    check_tile(k, &a, b, c, rs, &wb, (6, 8));
    assert!(has_avx2_fma(), "the AVX2 kernel needs AVX2 and FMA");
    let (ap, bp, cp) = (a.data.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    // SAFETY: as for `f32_6x16`: features asserted, bounds checked by
    // `check_tile` (`a` at i·rs + p·cs, `b` 8·k, `c` 5·rs + 8 with rs ≥ 8,
    // bias 8).
    unsafe {
        if a.rs == 1 && a.cs == 6 {
            f64_6x8_avx2::<true, V>(k, ap, 1, 6, bp, cp, rs, wb)
        } else {
            f64_6x8_avx2::<false, V>(k, ap, a.rs, a.cs, bp, cp, rs, wb)
        }
    }
}

/// # Safety
/// As [`f32_6x16_avx2`], with 8 columns.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn f64_6x8_avx2<const PACKED: bool, const V: usize>(
    k: usize,
    a: *const f64,
    a_rs: usize,
    a_cs: usize,
    b: *const f64,
    c: *mut f64,
    rs: usize,
    wb: WriteBack<'_, f64>,
) {
    let (a_rs, a_cs) = if PACKED { (1, 6) } else { (a_rs, a_cs) };
    // SAFETY: every offset stays within the caller's bounds: p < k, i < 6,
    // lanes 0..8 of each row.
    unsafe {
        for i in 0..6 {
            _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs).cast());
            _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs + 7).cast());
        }
        let mut acc = [[_mm256_setzero_pd(); V]; 6];
        for p in 0..k {
            let bp = b.add(p * 8);
            let bv: [__m256d; V] = std::array::from_fn(|h| _mm256_loadu_pd(bp.add(h * 4)));
            let ap = a.add(p * a_cs);
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm256_broadcast_sd(&*ap.add(i * a_rs));
                for (t, &b) in row.iter_mut().zip(&bv) {
                    *t = _mm256_fmadd_pd(ai, b, *t);
                }
            }
        }
        for (i, row) in acc.iter().enumerate() {
            let out = c.add(i * rs);
            for (h, &t) in row.iter().enumerate() {
                let dst = out.add(h * 4);
                let value = match wb {
                    WriteBack::Replace => t,
                    WriteBack::Add => _mm256_add_pd(_mm256_loadu_pd(dst), t),
                    WriteBack::ReplaceWithBias(bias) => {
                        _mm256_add_pd(t, _mm256_loadu_pd(bias.as_ptr().add(h * 4)))
                    }
                };
                _mm256_storeu_pd(dst, value);
            }
        }
    }
}
