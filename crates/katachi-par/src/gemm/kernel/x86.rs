//! x86-64 kernels: AVX-512F (6×32 or 12×32 `f32`, 6×16 or 12×16 `f64`)
//! and AVX2 + FMA (6×16 `f32`, 6×8 `f64`), the best the CPU has chosen at
//! run time.
//!
//! Each row of the tile is two vector accumulators. AVX2 has 16 registers:
//! 6 rows (12 accumulators) leave room for the two `B` vectors and the
//! broadcast `A` value, and twelve independent FMA chains cover the FMA
//! latency on two ports. AVX-512 has 32: 12 rows (24 accumulators, 27
//! registers in all) halve the `B` loads per FMA again, for cores whose
//! two full-width FMA ports need more to stay fed; which height runs is
//! chosen by vendor (`by_preference`), and a 12-row kernel hands a tail
//! of up to 6 rows to its 6-row twin. Each kernel is a safe
//! entry that checks bounds (`check_tile`) and then calls a
//! `#[target_feature]` body, which only `kernel::mod` selects, after runtime
//! detection of the features. All of them come from one template
//! (`simd_kernel!`), so there is one `unsafe` body to review; the packed
//! case gets constant strides so the compiler folds them into the
//! addressing. The tile's shape changes which elements a tile holds, never
//! how an element is summed, so every kernel gives the same bits (tested).
//! AVX-512 measured 5–15 % faster than AVX2 on Zen 4 (interleaved runs).

#![allow(unsafe_code)]

use std::arch::x86_64::*;

use super::{APanel, BPanel, MicroKernel, WriteBack, check_tile};

/// Whether this CPU runs AVX-512 Foundation instructions (FMA included).
pub(super) fn has_avx512f() -> bool {
    is_x86_feature_detected!("avx512f")
}

/// Whether this CPU runs AVX2 and FMA instructions.
pub(super) fn has_avx2_fma() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// The two AVX-512 tiles of one element type, the one this CPU runs faster
/// first. AMD's Zen 5 runs the 6-row tile 3–10 % faster than the 12-row one
/// on whole products (12 rows of C are 24 cache lines per tile, which a C
/// with a power-of-two row stride maps into two L1 sets), and Zen 4 was
/// tuned on 6 rows; on Intel the 6-row tile reached 54 % of the peak of a
/// Sapphire Rapids core, so Intel gets the 12-row tile and its 24
/// accumulators.
pub(super) fn by_preference<E>(
    twelve_rows: &'static MicroKernel<E>,
    six_rows: &'static MicroKernel<E>,
) -> [&'static MicroKernel<E>; 2] {
    if crate::caches::cpu_is_amd() {
        [six_rows, twelve_rows]
    } else {
        [twelve_rows, six_rows]
    }
}

pub(super) static F32_AVX2: MicroKernel<f32> = MicroKernel {
    mr: 6,
    nr: 16,
    name: "avx2+fma",
    run: f32_6x16::<2>,
    half: f32_6x16::<1>,
    short: None,
};
pub(super) static F32_AVX512: MicroKernel<f32> = MicroKernel {
    mr: 12,
    nr: 32,
    name: "avx512f",
    run: f32_12x32::<2>,
    half: f32_12x32::<1>,
    short: Some(&F32_AVX512_6ROWS),
};
pub(super) static F64_AVX512: MicroKernel<f64> = MicroKernel {
    mr: 12,
    nr: 16,
    name: "avx512f",
    run: f64_12x16::<2>,
    half: f64_12x16::<1>,
    short: Some(&F64_AVX512_6ROWS),
};
pub(super) static F32_AVX512_6ROWS: MicroKernel<f32> = MicroKernel {
    mr: 6,
    nr: 32,
    name: "avx512f-6rows",
    run: f32_6x32::<2>,
    half: f32_6x32::<1>,
    short: None,
};
pub(super) static F64_AVX512_6ROWS: MicroKernel<f64> = MicroKernel {
    mr: 6,
    nr: 16,
    name: "avx512f-6rows",
    run: f64_6x16::<2>,
    half: f64_6x16::<1>,
    short: None,
};
/// The AVX2 template at 12 rows: more accumulators than AVX2 has registers
/// (some live on the stack), so slower, but it runs the 12-row code path of
/// the template on any AVX2 machine, for the harness.
#[cfg(test)]
pub(super) static F32_AVX2_12ROWS: MicroKernel<f32> = MicroKernel {
    mr: 12,
    nr: 16,
    name: "avx2+fma-12rows",
    run: f32_12x16::<2>,
    half: f32_12x16::<1>,
    short: Some(&F32_AVX2),
};
pub(super) static F64_AVX2: MicroKernel<f64> = MicroKernel {
    mr: 6,
    nr: 8,
    name: "avx2+fma",
    run: f64_6x8::<2>,
    half: f64_6x8::<1>,
    short: None,
};

/// One `rows`-row kernel over two column vectors per row (256- or 512-bit),
/// compiled for the target features `features` names and entered only
/// after `detect` has found them.
///
/// `$entry::<V>` computes the left `V` of the two vectors (2: the whole
/// tile, 1: [`MicroKernel::half`]).
macro_rules! simd_kernel {
    (
        $entry:ident, $body:ident, $t:ty, $vec:ty, rows = $rows:literal, lanes = $lanes:literal,
        features = $features:literal, detect = $detect:ident, name = $name:literal,
        $zero:ident, $load:ident, $store:ident, $broadcast:ident, $fmadd:ident, $add:ident
    ) => {
        fn $entry<const V: usize>(
            k: usize,
            a: APanel<'_, $t>,
            b: BPanel<'_, $t>,
            c: &mut [$t],
            rs: usize,
            wb: WriteBack<'_, $t>,
        ) {
            const MR: usize = $rows;
            const NR: usize = 2 * $lanes;
            check_tile(k, &a, &b, c, rs, &wb, (MR, NR));
            assert!(
                $detect(),
                "the {} kernel needs {} on this CPU",
                $name,
                $features
            );
            let (ap, bp, cp) = (a.data.as_ptr(), b.data.as_ptr(), c.as_mut_ptr());
            let (packed_a, packed_b) = (a.rs == 1 && a.cs == MR, b.rs == NR);
            // SAFETY: the CPU has every feature in `$features`, the ones
            // the body is compiled for (asserted just above by `$detect`), and
            // `check_tile` established every bound the body relies on: `a`
            // is readable at i·rs + p·cs for i < MR, p < k; `b` at p·b.rs + j
            // for p < k, j < NR; `c` holds (MR − 1)·rs + NR with rs ≥ NR; a
            // bias holds NR. Each call passes the strides it tested for.
            unsafe {
                match (packed_a, packed_b) {
                    (true, true) => $body::<true, true, V>(k, ap, 1, MR, bp, NR, cp, rs, wb),
                    (true, false) => $body::<true, false, V>(k, ap, 1, MR, bp, b.rs, cp, rs, wb),
                    (false, true) => $body::<false, true, V>(k, ap, a.rs, a.cs, bp, NR, cp, rs, wb),
                    (false, false) => {
                        $body::<false, false, V>(k, ap, a.rs, a.cs, bp, b.rs, cp, rs, wb)
                    }
                }
            }
        }

        /// # Safety
        #[doc = concat!("The CPU must support `", $features, "`; `a` must be readable at")]
        /// `i·a_rs + p·a_cs` for `i < rows`, `p < k` (with `PACKED`, `a_rs = 1`
        /// and `a_cs = rows`); `b` at `p·b_rs + j` for `p < k`, `j < 2·lanes`
        /// (with `PACKED_B`, `b_rs = 2·lanes`); `c` for reads and
        /// writes of `2·lanes` elements at each `c + i·rs`, `i < rows`; a
        /// bias for `2·lanes` reads.
        #[target_feature(enable = $features)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $body<const PACKED: bool, const PACKED_B: bool, const V: usize>(
            k: usize,
            a: *const $t,
            a_rs: usize,
            a_cs: usize,
            b: *const $t,
            b_rs: usize,
            c: *mut $t,
            rs: usize,
            wb: WriteBack<'_, $t>,
        ) {
            const MR: usize = $rows;
            const NR: usize = 2 * $lanes;
            let (a_rs, a_cs) = if PACKED { (1, MR) } else { (a_rs, a_cs) };
            let b_rs = if PACKED_B { NR } else { b_rs };
            // SAFETY: every offset below stays within the bounds the caller
            // guarantees: p < k, i < MR, lanes 0..NR of each row.
            unsafe {
                // Ask for the C tile now, so its lines arrive while the k
                // loop runs instead of stalling the write-back (rows are
                // often 4 KiB apart).
                for i in 0..MR {
                    _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs).cast());
                    _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs + NR - 1).cast());
                }
                let mut acc = [[$zero(); V]; MR];
                for p in 0..k {
                    let bp = b.add(p * b_rs);
                    let bv: [$vec; V] = std::array::from_fn(|h| $load(bp.add(h * $lanes)));
                    let ap = a.add(p * a_cs);
                    for (i, row) in acc.iter_mut().enumerate() {
                        let ai = $broadcast(*ap.add(i * a_rs));
                        for (t, &b) in row.iter_mut().zip(&bv) {
                            *t = $fmadd(ai, b, *t);
                        }
                    }
                }
                for (i, row) in acc.iter().enumerate() {
                    let out = c.add(i * rs);
                    for (h, &t) in row.iter().enumerate() {
                        let dst = out.add(h * $lanes);
                        let value = match wb {
                            WriteBack::Replace => t,
                            WriteBack::Add => $add($load(dst), t),
                            WriteBack::ReplaceWithBias(bias) => {
                                $add(t, $load(bias.as_ptr().add(h * $lanes)))
                            }
                        };
                        $store(dst, value);
                    }
                }
            }
        }
    };
}

/// One instruction set and element type: its vector type, lanes and
/// intrinsics, named once for every tile height compiled for it.
macro_rules! kernel_for {
    (avx2 f32, $entry:ident, $body:ident, rows = $rows:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f32,
            __m256,
            rows = $rows,
            lanes = 8,
            features = "avx2,fma",
            detect = has_avx2_fma,
            name = "AVX2",
            _mm256_setzero_ps,
            _mm256_loadu_ps,
            _mm256_storeu_ps,
            _mm256_set1_ps,
            _mm256_fmadd_ps,
            _mm256_add_ps
        );
    };
    (avx2 f64, $entry:ident, $body:ident, rows = $rows:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f64,
            __m256d,
            rows = $rows,
            lanes = 4,
            features = "avx2,fma",
            detect = has_avx2_fma,
            name = "AVX2",
            _mm256_setzero_pd,
            _mm256_loadu_pd,
            _mm256_storeu_pd,
            _mm256_set1_pd,
            _mm256_fmadd_pd,
            _mm256_add_pd
        );
    };
    (avx512 f32, $entry:ident, $body:ident, rows = $rows:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f32,
            __m512,
            rows = $rows,
            lanes = 16,
            features = "avx512f",
            detect = has_avx512f,
            name = "AVX-512",
            _mm512_setzero_ps,
            _mm512_loadu_ps,
            _mm512_storeu_ps,
            _mm512_set1_ps,
            _mm512_fmadd_ps,
            _mm512_add_ps
        );
    };
    (avx512 f64, $entry:ident, $body:ident, rows = $rows:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f64,
            __m512d,
            rows = $rows,
            lanes = 8,
            features = "avx512f",
            detect = has_avx512f,
            name = "AVX-512",
            _mm512_setzero_pd,
            _mm512_loadu_pd,
            _mm512_storeu_pd,
            _mm512_set1_pd,
            _mm512_fmadd_pd,
            _mm512_add_pd
        );
    };
}

kernel_for!(avx2 f32, f32_6x16, f32_6x16_avx2, rows = 6);
kernel_for!(avx2 f64, f64_6x8, f64_6x8_avx2, rows = 6);
kernel_for!(avx512 f32, f32_6x32, f32_6x32_avx512, rows = 6);
kernel_for!(avx512 f64, f64_6x16, f64_6x16_avx512, rows = 6);
kernel_for!(avx512 f32, f32_12x32, f32_12x32_avx512, rows = 12);
kernel_for!(avx512 f64, f64_12x16, f64_12x16_avx512, rows = 12);
#[cfg(test)]
kernel_for!(avx2 f32, f32_12x16, f32_12x16_avx2, rows = 12);
