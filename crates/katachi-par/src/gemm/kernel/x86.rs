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
//!
//! Each kernel also has a quarter ([`MicroKernel::quarter`]): the same
//! template in vectors a quarter of the panel wide (256-bit for AVX-512,
//! 128-bit for AVX2), for a ragged last panel that narrow.

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
    quarter: f32_6x16_quarter::<1>,
    short: None,
};
pub(super) static F32_AVX512: MicroKernel<f32> = MicroKernel {
    mr: 12,
    nr: 32,
    name: "avx512f",
    run: f32_12x32::<2>,
    half: f32_12x32::<1>,
    quarter: f32_12x32_quarter::<1>,
    short: Some(&F32_AVX512_6ROWS),
};
pub(super) static F64_AVX512: MicroKernel<f64> = MicroKernel {
    mr: 12,
    nr: 16,
    name: "avx512f",
    run: f64_12x16::<2>,
    half: f64_12x16::<1>,
    quarter: f64_12x16_quarter::<1>,
    short: Some(&F64_AVX512_6ROWS),
};
pub(super) static F32_AVX512_6ROWS: MicroKernel<f32> = MicroKernel {
    mr: 6,
    nr: 32,
    name: "avx512f-6rows",
    run: f32_6x32::<2>,
    half: f32_6x32::<1>,
    quarter: f32_6x32_quarter::<1>,
    short: None,
};
pub(super) static F64_AVX512_6ROWS: MicroKernel<f64> = MicroKernel {
    mr: 6,
    nr: 16,
    name: "avx512f-6rows",
    run: f64_6x16::<2>,
    half: f64_6x16::<1>,
    quarter: f64_6x16_quarter::<1>,
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
    quarter: f32_12x16_quarter::<1>,
    short: Some(&F32_AVX2),
};
pub(super) static F64_AVX2: MicroKernel<f64> = MicroKernel {
    mr: 6,
    nr: 8,
    name: "avx2+fma",
    run: f64_6x8::<2>,
    half: f64_6x8::<1>,
    quarter: f64_6x8_quarter::<1>,
    short: None,
};

/// One `rows`-row kernel on `B` panels `panel` columns wide, in column
/// vectors of `lanes` (128-, 256- or 512-bit), compiled for the target
/// features `features` names and entered only after `detect` has found
/// them.
///
/// `$entry::<V>` computes the left `V` vectors of each row: with vectors
/// half a panel wide, 2 is the whole tile and 1 [`MicroKernel::half`]; with
/// vectors a quarter of a panel wide, 1 is [`MicroKernel::quarter`].
macro_rules! simd_kernel {
    (
        $entry:ident, $body:ident, $t:ty, $vec:ty, rows = $rows:literal, lanes = $lanes:literal,
        panel = $panel:literal, features = $features:literal, detect = $detect:ident,
        name = $name:literal,
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
            const NR: usize = $panel;
            // The columns this entry reads and writes: all of the panel, or
            // its left half or quarter.
            let width = V * $lanes;
            assert!(width <= NR, "{width} columns of a {NR}-wide panel");
            check_tile(k, &a, &b, c, rs, &wb, (MR, NR, width));
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
            // for p < k, j < width = V·lanes ≤ NR ≤ b.rs; `c` holds
            // (MR − 1)·rs + width with rs ≥ width; a bias holds width. Each
            // call passes the strides it tested for.
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
        /// and `a_cs = rows`); `b` at `p·b_rs + j` for `p < k`, `j < V·lanes`
        /// (with `PACKED_B`, `b_rs = panel`); `c` for reads and writes of
        /// `V·lanes` elements at each `c + i·rs`, `i < rows`; a bias for
        /// `V·lanes` reads; `V·lanes ≤ panel`.
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
            const NR: usize = $panel;
            let (a_rs, a_cs) = if PACKED { (1, MR) } else { (a_rs, a_cs) };
            let b_rs = if PACKED_B { NR } else { b_rs };
            // SAFETY: every offset below stays within the bounds the caller
            // guarantees: p < k, i < MR, lanes 0..V·lanes ≤ NR of each row.
            unsafe {
                // Ask for the C tile now, so its lines arrive while the k
                // loop runs instead of stalling the write-back (rows are
                // often 4 KiB apart).
                for i in 0..MR {
                    _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs).cast());
                    _mm_prefetch::<_MM_HINT_T0>(c.add(i * rs + V * $lanes - 1).cast());
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
    (sse f32, $entry:ident, $body:ident, rows = $rows:literal, panel = $panel:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f32,
            __m128,
            rows = $rows,
            lanes = 4,
            panel = $panel,
            features = "avx2,fma",
            detect = has_avx2_fma,
            name = "AVX2",
            _mm_setzero_ps,
            _mm_loadu_ps,
            _mm_storeu_ps,
            _mm_set1_ps,
            _mm_fmadd_ps,
            _mm_add_ps
        );
    };
    (sse f64, $entry:ident, $body:ident, rows = $rows:literal, panel = $panel:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f64,
            __m128d,
            rows = $rows,
            lanes = 2,
            panel = $panel,
            features = "avx2,fma",
            detect = has_avx2_fma,
            name = "AVX2",
            _mm_setzero_pd,
            _mm_loadu_pd,
            _mm_storeu_pd,
            _mm_set1_pd,
            _mm_fmadd_pd,
            _mm_add_pd
        );
    };
    (avx2 f32, $entry:ident, $body:ident, rows = $rows:literal, panel = $panel:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f32,
            __m256,
            rows = $rows,
            lanes = 8,
            panel = $panel,
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
    (avx2 f64, $entry:ident, $body:ident, rows = $rows:literal, panel = $panel:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f64,
            __m256d,
            rows = $rows,
            lanes = 4,
            panel = $panel,
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
    (avx512 f32, $entry:ident, $body:ident, rows = $rows:literal, panel = $panel:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f32,
            __m512,
            rows = $rows,
            lanes = 16,
            panel = $panel,
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
    (avx512 f64, $entry:ident, $body:ident, rows = $rows:literal, panel = $panel:literal) => {
        simd_kernel!(
            $entry,
            $body,
            f64,
            __m512d,
            rows = $rows,
            lanes = 8,
            panel = $panel,
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

kernel_for!(avx2 f32, f32_6x16, f32_6x16_avx2, rows = 6, panel = 16);
kernel_for!(avx2 f64, f64_6x8, f64_6x8_avx2, rows = 6, panel = 8);
kernel_for!(avx512 f32, f32_6x32, f32_6x32_avx512, rows = 6, panel = 32);
kernel_for!(avx512 f64, f64_6x16, f64_6x16_avx512, rows = 6, panel = 16);
kernel_for!(avx512 f32, f32_12x32, f32_12x32_avx512, rows = 12, panel = 32);
kernel_for!(avx512 f64, f64_12x16, f64_12x16_avx512, rows = 12, panel = 16);
#[cfg(test)]
kernel_for!(avx2 f32, f32_12x16, f32_12x16_avx2, rows = 12, panel = 16);

// The quarters: vectors a quarter of the panel wide, for ragged last panels
// of up to a quarter of it (the last 4 of 100 columns, 1 and 2 of the
// book net's 33 and 50 in 16-wide panels).
kernel_for!(sse f32, f32_6x16_quarter, f32_6x16_quarter_sse, rows = 6, panel = 16);
kernel_for!(sse f64, f64_6x8_quarter, f64_6x8_quarter_sse, rows = 6, panel = 8);
kernel_for!(avx2 f32, f32_6x32_quarter, f32_6x32_quarter_avx2, rows = 6, panel = 32);
kernel_for!(avx2 f64, f64_6x16_quarter, f64_6x16_quarter_avx2, rows = 6, panel = 16);
kernel_for!(avx2 f32, f32_12x32_quarter, f32_12x32_quarter_avx2, rows = 12, panel = 32);
kernel_for!(avx2 f64, f64_12x16_quarter, f64_12x16_quarter_avx2, rows = 12, panel = 16);
#[cfg(test)]
kernel_for!(sse f32, f32_12x16_quarter, f32_12x16_quarter_sse, rows = 12, panel = 16);
