//! General matrix product on strided views: packed, cache-blocked, with a
//! SIMD micro-kernel chosen at run time and a portable one always compiled.
//! A product of few rows reads `B` in place when its rows are contiguous
//! (`Blocking::direct_b_max_m`), and one of few columns reads `A` in place.
//!
//! - `blocking.rs`: the block sizes, from the kernel's tile and the caches
//!   the CPU reports;
//! - `pack.rs`: copying blocks of the operands into kernel order;
//! - `loops.rs`: the five loops around the micro-kernel, and the threading;
//! - `kernel/`: the micro-kernels (the only `unsafe` in the crate);
//! - `simple.rs`: a plain row-by-row product for tiny problems, where packing
//!   costs more than it saves.

mod blocking;
mod grid;
pub(crate) mod kernel;
mod loops;
mod pack;
mod simple;
#[cfg(test)]
mod tests;
mod tile;

use std::any::Any;
use std::cell::Cell;
use std::sync::OnceLock;
use std::thread::LocalKey;

use crate::caches::cache_sizes;
use crate::compiled::compiled_here;
use crate::element::{Element, ElementKind};
use crate::matrix::{MatMut, MatRef};
use crate::par::Par;

/// Whether a product overwrites its destination or adds to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accum {
    /// `C ← A·B`: the old contents of `C` are never read.
    Replace,
    /// `C ← C + A·B`.
    Add,
}

/// The buffers a product packs into, kept by the calling thread and reused
/// from one product to the next.
#[derive(Debug, Default)]
pub struct GemmScratch<E> {
    /// All of `B~`, when one packed copy is shared by every row block.
    pub shared_b: Vec<E>,
    /// One pair per row block, lent to whichever thread runs it.
    pub tasks: Vec<TaskScratch<E>>,
}

/// One row block's buffers.
#[derive(Debug, Default)]
pub struct TaskScratch<E> {
    /// Its packed panels of `A`.
    pub a: Vec<E>,
    /// Its own copy of `B~`, when `B` is small enough to copy per block;
    /// or, when `B` is read in place (a product of few rows), the ragged
    /// last panel of each block, packed.
    pub b: Vec<E>,
}

/// Below this many multiply-adds the plain product wins: packing costs
/// about as much as the arithmetic.
const PACKING_PAYS_FROM: usize = 4096;

/// `dst ← lhs · rhs` or `dst ← dst + lhs · rhs` (see [`Accum`]).
///
/// `lhs` is `m × k`, `rhs` is `k × n`, `dst` is `m × n`. Operands may be
/// transposed views ([`MatRef::t`]); nothing is copied but the packed blocks.
/// The result is the same, bit for bit, whatever the number of threads.
///
/// # Panics
/// If the extents do not agree; the message names all three shapes.
///
/// # Example
/// ```
/// use katachi::par::{gemm, Accum, MatMut, MatRef, Par};
/// // x is 2×3; xᵀ·x is 3×3, computed without materialising xᵀ.
/// let x = [1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let mut g = [0.0_f64; 9];
/// let xv = MatRef::row_major(&x, 2, 3);
/// gemm(MatMut::row_major(&mut g, 3, 3), Accum::Replace, xv.t(), xv, Par::Seq);
/// assert_eq!(g, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
/// ```
#[track_caller]
pub fn gemm<E: Element>(
    dst: MatMut<'_, E>,
    accum: Accum,
    lhs: MatRef<'_, E>,
    rhs: MatRef<'_, E>,
    par: Par,
) {
    (Compiled::<E>::get().gemm)(dst, accum, lhs, rhs, par)
}

/// The body of [gemm], instantiated here for each element type.
pub(crate) fn gemm_impl<E: Element>(
    dst: MatMut<'_, E>,
    accum: Accum,
    lhs: MatRef<'_, E>,
    rhs: MatRef<'_, E>,
    par: Par,
) {
    gemm_with_bias(dst, accum, None, lhs, rhs, par);
}

/// [`gemm`] with an optional bias row added in the write-back of the first
/// block (`C ← A·B + b`), which is how the affine forward avoids a second
/// pass over `C`. The bias only applies with [`Accum::Replace`].
#[track_caller]
pub(crate) fn gemm_with_bias<E: Element>(
    dst: MatMut<'_, E>,
    accum: Accum,
    bias: Option<&[E]>,
    lhs: MatRef<'_, E>,
    rhs: MatRef<'_, E>,
    par: Par,
) {
    check_extents(&dst, &lhs, &rhs);
    if let Some(b) = bias {
        assert_eq!(
            b.len(),
            dst.cols,
            "gemm: bias has {} elements for {} columns",
            b.len(),
            dst.cols
        );
        assert_eq!(
            accum,
            Accum::Replace,
            "gemm: a bias only goes with Accum::Replace"
        );
    }
    let product = Product {
        dst,
        accum,
        bias,
        lhs,
        rhs,
    };
    run(product, par, None);
}

/// [`gemm`] on the calling thread alone, packing into `packing` (a task's
/// own buffers, lent by [`crate::scratch::with_packing`]) instead of the
/// thread's: a task then packs into buffers its caller keeps from one call
/// to the next, whichever thread takes it, and a warm step allocates
/// nothing whatever the scheduling.
///
/// # Panics
/// As [`gemm`].
#[track_caller]
pub(crate) fn gemm_in<E: Element>(
    packing: &mut GemmScratch<E>,
    dst: MatMut<'_, E>,
    accum: Accum,
    lhs: MatRef<'_, E>,
    rhs: MatRef<'_, E>,
) {
    check_extents(&dst, &lhs, &rhs);
    let product = Product {
        dst,
        accum,
        bias: None,
        lhs,
        rhs,
    };
    run(product, Par::Seq, Some(packing));
}

/// Panics unless `dst ← lhs · rhs` fits, naming all three shapes.
#[track_caller]
fn check_extents<E>(dst: &MatMut<'_, E>, lhs: &MatRef<'_, E>, rhs: &MatRef<'_, E>) {
    assert!(
        lhs.cols == rhs.rows && dst.rows == lhs.rows && dst.cols == rhs.cols,
        "gemm: cannot multiply {}×{} by {}×{} into {}×{}",
        lhs.rows,
        lhs.cols,
        rhs.rows,
        rhs.cols,
        dst.rows,
        dst.cols
    );
}

/// A checked product: plain when tiny, packed otherwise (into `packing`,
/// or the calling thread's buffers when `None`).
fn run<E: Element>(product: Product<'_, E>, par: Par, packing: Option<&mut GemmScratch<E>>) {
    let Product { dst, lhs, .. } = &product;
    if dst.rows * dst.cols * lhs.cols < PACKING_PAYS_FROM {
        simple::gemm(product, par);
    } else {
        let (kernel, blocking) = (best_kernel::<E>(), blocking::<E>());
        loops::gemm_packed(kernel, blocking, product, par, packing);
    }
}

/// The best micro-kernel this CPU has for `E`, detected once.
fn best_kernel<E: Element>() -> &'static kernel::MicroKernel<E> {
    crate::compiled::for_element::<E, kernel::MicroKernel<E>>(
        kernel::best_f32(),
        kernel::best_f64(),
    )
}

/// The cache blocking for `E`'s best kernel on this CPU's caches, worked
/// out once.
pub(crate) fn blocking<E: Element>() -> Blocking {
    static F32: OnceLock<Blocking> = OnceLock::new();
    static F64: OnceLock<Blocking> = OnceLock::new();
    let cell = match E::KIND {
        ElementKind::F32 => &F32,
        ElementKind::F64 => &F64,
    };
    *cell.get_or_init(|| {
        let kernel = best_kernel::<E>();
        Blocking {
            split_ragged_panel: crate::caches::avx512_in_halves(),
            ..Blocking::for_kernel(kernel.mr, kernel.nr, size_of::<E>(), cache_sizes())
        }
    })
}

/// Lends this thread's reusable buffers for packed blocks of `E`. A nested
/// call on the same thread (a product inside a task of another) gets
/// fresh buffers instead of a panic.
fn with_scratch<E: Element, R>(f: impl FnOnce(&mut GemmScratch<E>) -> R) -> R {
    thread_local! {
        static F32: Cell<GemmScratch<f32>> = Cell::new(GemmScratch::default());
        static F64: Cell<GemmScratch<f64>> = Cell::new(GemmScratch::default());
    }
    fn lend<T: 'static, E: 'static, R>(
        cell: &'static LocalKey<Cell<GemmScratch<T>>>,
        f: impl FnOnce(&mut GemmScratch<E>) -> R,
    ) -> R {
        // Take the buffers out while in use, so a nested call finds empty
        // ones rather than borrowed ones.
        let empty = || GemmScratch {
            shared_b: Vec::new(),
            tasks: Vec::new(),
        };
        let mut scratch = cell.with(|c| c.replace(empty()));
        let same = (&mut scratch as &mut dyn Any).downcast_mut::<GemmScratch<E>>();
        let out = f(same.expect("the buffers of the element type asked for"));
        cell.with(|c| c.set(scratch));
        out
    }
    match E::KIND {
        ElementKind::F32 => lend(&F32, f),
        ElementKind::F64 => lend(&F64, f),
    }
}

/// One product, its shapes already checked: `dst ← (dst +) lhs·rhs (+ bias)`.
pub(crate) struct Product<'a, E> {
    /// `C`, `m × n`.
    pub(crate) dst: MatMut<'a, E>,
    /// Overwrite or add.
    pub(crate) accum: Accum,
    /// A row added to `C` on overwrite (`n` elements).
    pub(crate) bias: Option<&'a [E]>,
    /// `A`, `m × k`.
    pub(crate) lhs: MatRef<'a, E>,
    /// `B`, `k × n`.
    pub(crate) rhs: MatRef<'a, E>,
}

/// Runs the packed loops with a chosen kernel and blocking (for the test
/// harness).
#[cfg(test)]
pub(crate) fn gemm_packed_with<E: Element>(
    kernel: &kernel::MicroKernel<E>,
    blocking: Blocking,
    product: Product<'_, E>,
    par: Par,
) {
    loops::gemm_packed(kernel, blocking, product, par, None);
}

pub(crate) use blocking::Blocking;
#[cfg(test)]
pub(crate) use blocking::DEPTH;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        gemm: fn(MatMut<'_, E>, Accum, MatRef<'_, E>, MatRef<'_, E>, Par) = gemm_impl,
    }
);
