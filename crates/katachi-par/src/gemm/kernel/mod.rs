//! Micro-kernels: `MR × NR` tiles of `C` from packed panels of `A` and `B`.
//!
//! The contract every kernel keeps (the loops in `loops.rs` rely on it):
//! - `a` holds a packed `MR × k` panel, `a[p·MR + i] = A[i, p]`;
//! - `b` holds a packed `k × NR` panel, `b[p·NR + j] = B[p, j]`;
//! - the tile `T = A·B` is summed over `p` in increasing order, one
//!   multiply-add per `p`, so every element's arithmetic is fixed by `k`
//!   alone, and written back into `c` (row `i` at `c[i·rs..]`) as
//!   [`WriteBack`] says;
//! - lengths are checked on entry; a kernel never reads or writes outside
//!   the slices it is given.
//!
//! Ragged edges never reach a kernel: the loops run it on a scratch tile and
//! copy the valid part (`loops.rs`).

mod portable;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::sync::OnceLock;

/// How a kernel's tile `T` lands in `C`.
#[derive(Clone, Copy, Debug)]
pub enum WriteBack<'a, E> {
    /// `C ← T`.
    Replace,
    /// `C ← C + T`.
    Add,
    /// `C ← T + bias` (bias broadcast down the rows; `NR` elements).
    ReplaceWithBias(&'a [E]),
}

/// A micro-kernel and the tile it computes.
pub struct MicroKernel<E: 'static> {
    /// Rows of the tile.
    pub mr: usize,
    /// Columns of the tile.
    pub nr: usize,
    /// For reports and test names.
    pub name: &'static str,
    /// Computes one tile.
    pub run: KernelFn<E>,
}

/// A kernel's entry: `(k, a, b, c, rs, write_back)`, as in the module docs.
pub type KernelFn<E> = fn(usize, &[E], &[E], &mut [E], usize, WriteBack<'_, E>);

impl<E> std::fmt::Debug for MicroKernel<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}×{})", self.name, self.mr, self.nr)
    }
}

/// Checks the lengths every kernel relies on; kernels call it first.
#[track_caller]
pub(crate) fn check_tile<E>(
    k: usize,
    a: &[E],
    b: &[E],
    c: &[E],
    rs: usize,
    wb: &WriteBack<'_, E>,
    (mr, nr): (usize, usize),
) {
    assert!(
        a.len() >= k * mr,
        "kernel: A panel has {} elements, needs {}",
        a.len(),
        k * mr
    );
    assert!(
        b.len() >= k * nr,
        "kernel: B panel has {} elements, needs {}",
        b.len(),
        k * nr
    );
    assert!(rs >= nr, "kernel: row stride {rs} < {nr} columns");
    assert!(
        c.len() >= (mr - 1) * rs + nr,
        "kernel: C tile has {} elements, needs {}",
        c.len(),
        (mr - 1) * rs + nr
    );
    if let WriteBack::ReplaceWithBias(bias) = wb {
        assert!(
            bias.len() >= nr,
            "kernel: bias has {} elements, needs {nr}",
            bias.len()
        );
    }
}

/// The portable kernels, always compiled: the fallback, and the reference
/// the SIMD kernels are tested against.
pub(crate) fn portable_f32() -> &'static MicroKernel<f32> {
    &portable::F32
}

/// See [`portable_f32`].
pub(crate) fn portable_f64() -> &'static MicroKernel<f64> {
    &portable::F64
}

/// Every kernel this CPU can run, best first (for the test harness).
pub(crate) fn available_f32() -> Vec<&'static MicroKernel<f32>> {
    let mut all = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        all.push(&x86::F32_AVX2);
    }
    all.push(portable_f32());
    all
}

/// See [`available_f32`].
pub(crate) fn available_f64() -> Vec<&'static MicroKernel<f64>> {
    let mut all = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        all.push(&x86::F64_AVX2);
    }
    all.push(portable_f64());
    all
}

/// The best `f32` kernel for this CPU, detected once.
pub(crate) fn best_f32() -> &'static MicroKernel<f32> {
    static BEST: OnceLock<&'static MicroKernel<f32>> = OnceLock::new();
    BEST.get_or_init(|| available_f32()[0])
}

/// The best `f64` kernel for this CPU, detected once.
pub(crate) fn best_f64() -> &'static MicroKernel<f64> {
    static BEST: OnceLock<&'static MicroKernel<f64>> = OnceLock::new();
    BEST.get_or_init(|| available_f64()[0])
}
