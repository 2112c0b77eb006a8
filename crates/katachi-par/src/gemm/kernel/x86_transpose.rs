//! An 8 × 8 `f32` transpose in AVX shuffles ([`transpose8_f32`]), which
//! packing a transposed operand runs block after block. It moves bits and
//! computes nothing, and is tested against the portable loop's definition
//! element by element (`kernel::mod` tests every transpose this CPU runs).

#![allow(unsafe_code)]

use std::arch::x86_64::*;

use super::check_block;

/// Whether this CPU runs AVX instructions (256-bit shuffles).
pub(super) fn has_avx() -> bool {
    is_x86_feature_detected!("avx")
}

/// The [`TransposeFn`](super::TransposeFn) for `f32` in AVX registers:
/// eight rows loaded, three rounds of shuffles, eight columns stored (the
/// portable loop moves one element at a time; packing a transposed operand
/// was a twelfth of a SimpleConvNet step).
pub(super) fn transpose8_f32(src: &[f32], src_rs: usize, out: &mut [f32], out_rs: usize) {
    check_block(src, src_rs, out, out_rs);
    assert!(has_avx(), "the AVX transpose needs AVX on this CPU");
    // SAFETY: the CPU has AVX (asserted just above), and `check_block`
    // established that `src` holds 8 elements at each r·src_rs and `out` 8
    // at each q·out_rs, for r, q < 8.
    unsafe { transpose8_f32_avx(src.as_ptr(), src_rs, out.as_mut_ptr(), out_rs) }
}

/// # Safety
/// The CPU must support AVX; `src` must be readable for 8 elements at each
/// `r·src_rs`, and `out` writable for 8 at each `q·out_rs`, `r, q < 8`.
#[target_feature(enable = "avx")]
unsafe fn transpose8_f32_avx(src: *const f32, src_rs: usize, out: *mut f32, out_rs: usize) {
    // SAFETY: every row read is src + r·src_rs, r < 8, and every row
    // written out + q·out_rs, q < 8, 8 elements each: within the bounds the
    // caller guarantees.
    unsafe {
        let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(src.add(i * src_rs)));
        // Pairs of rows interleaved: t[2i] holds columns 0, 1, 4, 5 of rows
        // 2i and 2i + 1, t[2i + 1] columns 2, 3, 6, 7.
        let t: [__m256; 8] = std::array::from_fn(|i| {
            let (a, b) = (r[i / 2 * 2], r[i / 2 * 2 + 1]);
            if i % 2 == 0 {
                _mm256_unpacklo_ps(a, b)
            } else {
                _mm256_unpackhi_ps(a, b)
            }
        });
        // Four rows at a time: s[j] (and s[j + 4] for rows 4-7) holds column
        // j of rows 0-3 in its low half and column j + 4 in its high half.
        let s: [__m256; 8] = std::array::from_fn(|i| {
            let base = i / 4 * 4;
            let (lo, hi) = (t[base + i % 4 / 2], t[base + 2 + i % 4 / 2]);
            if i % 2 == 0 {
                _mm256_shuffle_ps::<0x44>(lo, hi)
            } else {
                _mm256_shuffle_ps::<0xEE>(lo, hi)
            }
        });
        for q in 0..4 {
            let low = _mm256_permute2f128_ps::<0x20>(s[q], s[q + 4]);
            let high = _mm256_permute2f128_ps::<0x31>(s[q], s[q + 4]);
            _mm256_storeu_ps(out.add(q * out_rs), low);
            _mm256_storeu_ps(out.add((q + 4) * out_rs), high);
        }
    }
}
