//! Element-wise loops compiled for AVX2 where the CPU has it.
//!
//! This crate is compiled for the baseline x86-64, whose vectors are
//! 128-bit (SSE2), so an auto-vectorised loop handles four `f32` at a time
//! even on a core with 256- or 512-bit units. [`wide`] runs a closure
//! inside a function compiled with AVX2 enabled: the closure (and what it
//! inlines) is generated for 256-bit vectors there. The arithmetic is the
//! same IEEE operations in the same order, only more lanes at once, so the
//! results are the same bits (each caller's tests compare the two).
//!
//! Used for the passes that stream whole parameter and activation arrays
//! (the optimisers' updates, ReLU and its gradient), where the narrower
//! vectors cost the most.

#![allow(unsafe_code)]

/// Runs `f`, compiled with AVX2 where this CPU has it (detected once) and
/// as it is elsewhere.
#[inline(always)]
pub(crate) fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: this CPU has AVX2, detected just above, the one feature
        // `with_avx2` is compiled for.
        return unsafe { with_avx2(f) };
    }
    f()
}

/// `f()`, inlined into a body compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}
