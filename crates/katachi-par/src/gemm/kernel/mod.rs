//! Micro-kernels: `MR × NR` tiles of `C` from a panel of `A` and a packed
//! panel of `B`.
//!
//! The contract every kernel keeps (the loops in `loops.rs` rely on it):
//! - `a` is an `MR × k` panel read through strides, `A[i, p] =
//!   a.data[i·a.rs + p·a.cs]`: packed (`rs = 1, cs = MR`, the fast common
//!   case) or straight from the caller's matrix when packing would not pay;
//! - `b` is a `k × NR` panel read through its row stride, `B[p, j] =
//!   b.data[p·b.rs + j]`: packed (`rs = NR`) or, for a product with few
//!   rows, straight from the caller's row-major matrix;
//! - the tile `T = A·B` is summed over `p` in increasing order, one
//!   multiply-add per `p`, so every element's arithmetic is fixed by `k`
//!   alone (not by how `A` was laid out), and written back into `c` (row `i`
//!   at `c[i·rs..]`) as [`WriteBack`] says;
//! - lengths are checked on entry; a kernel never reads or writes outside
//!   the slices it is given.
//!
//! Ragged edges never reach a kernel: the loops run it on a scratch tile and
//! copy the valid part, and give it a packed, zero-padded `A` for the last
//! rows (`loops.rs`).

mod portable;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_transpose;

use std::sync::OnceLock;

use crate::element::Element;

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

/// An `MR × k` panel of `A`: `A[i, p] = data[i·rs + p·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct APanel<'a, E> {
    /// The elements, starting at `A[0, 0]` of the panel.
    pub data: &'a [E],
    /// Distance between rows.
    pub rs: usize,
    /// Distance between columns.
    pub cs: usize,
}

impl<'a, E> APanel<'a, E> {
    /// A packed panel: `data[p·mr + i]`.
    pub fn packed(data: &'a [E], mr: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: mr,
        }
    }
}

/// A `k × NR` panel of `B`: `B[p, j] = data[p·rs + j]`.
#[derive(Clone, Copy, Debug)]
pub struct BPanel<'a, E> {
    /// The elements, starting at `B[0, 0]` of the panel.
    pub data: &'a [E],
    /// Distance between rows: `NR` when packed, at least `NR` always.
    pub rs: usize,
}

impl<'a, E> BPanel<'a, E> {
    /// A packed panel: `data[p·nr + j]`.
    pub fn packed(data: &'a [E], nr: usize) -> Self {
        Self { data, rs: nr }
    }
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
    /// Computes only the left `NR / 2` columns of a tile, from the same
    /// `NR`-wide packed `B` panel, and writes only those: for a ragged last
    /// panel of at most `NR / 2` columns. Each element gets the same
    /// multiply-adds as from `run`, so results do not depend on which ran.
    pub half: KernelFn<E>,
    /// Computes only the left `NR / 4` columns, in vectors a quarter of the
    /// panel wide, from the same panel, and writes only those: for a ragged
    /// last panel of at most `NR / 4` columns (the last 4 of a 100-column
    /// product), where `half` would do twice the work. Same multiply-adds
    /// per element as `run`.
    pub quarter: KernelFn<E>,
    /// A kernel as wide but shorter, for the last panel of a row block when
    /// it holds no more than `short.mr` valid rows: the 12-row AVX-512
    /// kernels hand a tail of up to 6 rows (the last 4 of a batch of 100)
    /// to their 6-row twins instead of computing 12. It reads the same
    /// packed panel through its strides (`rs = 1, cs = mr`) and gives each
    /// element the same multiply-adds, so results do not depend on which ran.
    pub short: Option<&'static MicroKernel<E>>,
}

/// A kernel's entry: `(k, a, b, c, rs, write_back)`, as in the module docs.
pub type KernelFn<E> = fn(usize, APanel<'_, E>, BPanel<'_, E>, &mut [E], usize, WriteBack<'_, E>);

impl<E> std::fmt::Debug for MicroKernel<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}×{})", self.name, self.mr, self.nr)
    }
}

/// Checks the bounds every kernel relies on; kernels call it first. A
/// kernel for `mr × nr` tiles reads and writes the left `width` columns
/// (`nr`, or its half or quarter), and reads `B` through a row stride of at
/// least `nr`.
#[track_caller]
pub(crate) fn check_tile<E>(
    k: usize,
    a: &APanel<'_, E>,
    b: &BPanel<'_, E>,
    c: &[E],
    rs: usize,
    wb: &WriteBack<'_, E>,
    (mr, nr, width): (usize, usize, usize),
) {
    if k > 0 {
        let last = (mr - 1) * a.rs + (k - 1) * a.cs;
        assert!(
            a.data.len() > last,
            "kernel: A panel has {} elements, reads up to {last}",
            a.data.len()
        );
    }
    assert!(b.rs >= nr, "kernel: B row stride {} < {nr} columns", b.rs);
    if k > 0 {
        let needs = (k - 1) * b.rs + width;
        assert!(
            b.data.len() >= needs,
            "kernel: B panel has {} elements, needs {needs}",
            b.data.len()
        );
    }
    assert!(rs >= width, "kernel: row stride {rs} < {width} columns");
    assert!(
        c.len() >= (mr - 1) * rs + width,
        "kernel: C tile has {} elements, needs {}",
        c.len(),
        (mr - 1) * rs + width
    );
    if let WriteBack::ReplaceWithBias(bias) = wb {
        assert!(
            bias.len() >= width,
            "kernel: bias has {} elements, needs {width}",
            bias.len()
        );
    }
}

/// An 8 × 8 block transposed: `out[q·out_rs + r] = src[r·src_rs + q]` for
/// `r, q < 8`, and nothing else written. Packing a transposed operand is
/// this, block after block (`pack.rs`).
pub type TransposeFn<E> = fn(&[E], usize, &mut [E], usize);

/// Checks the bounds every [`TransposeFn`] relies on; each calls it first.
#[track_caller]
pub(crate) fn check_block<E>(src: &[E], src_rs: usize, out: &[E], out_rs: usize) {
    assert!(
        src.len() >= 7 * src_rs + 8,
        "transpose: source has {} elements, needs {}",
        src.len(),
        7 * src_rs + 8
    );
    assert!(
        out.len() >= 7 * out_rs + 8,
        "transpose: destination has {} elements, needs {}",
        out.len(),
        7 * out_rs + 8
    );
}

/// The fastest 8 × 8 transpose this CPU has for `E`, detected once: AVX
/// shuffles for `f32`, or the portable loop.
pub(crate) fn transpose<E: Element>() -> TransposeFn<E> {
    static F32: OnceLock<TransposeFn<f32>> = OnceLock::new();
    static F64: OnceLock<TransposeFn<f64>> = OnceLock::new();
    let of_f32 = F32.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        if x86_transpose::has_avx() {
            return x86_transpose::transpose8_f32;
        }
        portable::transpose8::<f32>
    });
    let of_f64 = F64.get_or_init(|| portable::transpose8::<f64>);
    *crate::compiled::for_element::<E, TransposeFn<E>>(of_f32, of_f64)
}

/// Every 8 × 8 transpose this CPU can run for `f32`, the portable one last
/// (for the tests).
#[cfg(test)]
pub(crate) fn transposes_f32() -> Vec<TransposeFn<f32>> {
    let mut all: Vec<TransposeFn<f32>> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if x86_transpose::has_avx() {
        all.push(x86_transpose::transpose8_f32);
    }
    all.push(portable::transpose8::<f32>);
    all
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

/// The portable kernel among `kernels` (there is always one: it is last).
#[cfg(test)]
pub(crate) fn portable<E>(kernels: &[&'static MicroKernel<E>]) -> &'static MicroKernel<E> {
    kernels
        .last()
        .expect("the portable kernel is always available")
}

/// Every kernel this CPU can run, best first (the rest for the test
/// harness; in tests the list also holds test-only variants).
pub(crate) fn available_f32() -> Vec<&'static MicroKernel<f32>> {
    let mut all = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx512f() {
        all.extend(x86::by_preference(&x86::F32_AVX512, &x86::F32_AVX512_6ROWS));
    }
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2_fma() {
        all.push(&x86::F32_AVX2);
        #[cfg(test)]
        all.push(&x86::F32_AVX2_12ROWS);
    }
    all.push(portable_f32());
    all
}

/// See [`available_f32`].
pub(crate) fn available_f64() -> Vec<&'static MicroKernel<f64>> {
    let mut all = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx512f() {
        all.extend(x86::by_preference(&x86::F64_AVX512, &x86::F64_AVX512_6ROWS));
    }
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
