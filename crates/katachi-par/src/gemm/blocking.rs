//! Cache blocking: how big a piece of each operand the loops work on.
//!
//! Sized for the micro-kernels (6×16 or 6×32 `f32`, 6×8 or 6×16 `f64`) and common x86 caches
//! (32 KiB L1d, ≥ 512 KiB L2, a few MiB of L3 per core).

/// Block sizes for one element type.
#[derive(Clone, Copy, Debug)]
pub struct Blocking {
    /// Rows of `B` (depth of the product) per block, loop 4. A `KC × NR`
    /// micro-panel of `B` (16 KiB here) stays in L1 while a kernel streams
    /// `A` past it.
    pub kc: usize,
    /// Rows of `A` per block, loop 3: the packed `MC × KC` block of `A`
    /// (144 KiB here) stays in L2. A multiple of the kernel's `MR`.
    pub mc: usize,
    /// Columns of `B` per block, loop 5: the packed `KC × NC` block of `B`
    /// (4 MiB here) stays in L3. A multiple of the kernel's `NR`.
    pub nc: usize,
    /// Up to this many columns of C, A is read in place instead of packed:
    /// each element of A then feeds at most `direct_a_max_n / NR` tiles,
    /// too few to repay the copy.
    pub direct_a_max_n: usize,
}

pub(crate) const F32: Blocking = Blocking {
    kc: 256,
    mc: 144,
    nc: 4096,
    direct_a_max_n: 64,
};
pub(crate) const F64: Blocking = Blocking {
    kc: 256,
    mc: 72,
    nc: 2048,
    direct_a_max_n: 32,
};
