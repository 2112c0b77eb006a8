//! The forward pass: per image, im2col then one GEMM with the filters.

use super::im2col::im2col;
use super::{ConvDims, per_image};
use crate::compiled::compiled_here;
use crate::element::Element;
use crate::extent::check_len;
use crate::gemm::{Accum, GemmScratch, gemm_in};
use crate::matrix::{MatMut, MatRef};
use crate::par::Par;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        conv_forward: fn(&[E], &[E], &[E], &mut [E], &ConvDims, Par) = forward_impl,
    }
);

/// `y ← w * x + b`.
///
/// Each image is laid out by im2col into a scratch buffer of the thread
/// working on it (`patch × positions`, 57 KB for a 5×5 kernel on 28×28),
/// not into a batch-sized matrix: that matrix would be written here and
/// read back by [`param_grads`](super::param_grads) through main memory (5.8 MB for a batch of
/// 100), while recomputing it there from `x` costs less than the traffic.
///
/// # Panics
/// If a slice's length does not match `dims`: `x` is `batch · image_len`,
/// `w` `filters · patch`, `b` `filters`, `y` `batch · filters · positions`.
///
/// ```
/// use katachi::par::{conv::{forward, ConvDims}, Par};
/// // A 2×2 kernel summing its window, on one 3×3 image, plus a bias of 1.
/// let dims = ConvDims { batch: 1, channels: 1, height: 3, width: 3, filters: 1, kernel: 2, stride: 1, padding: 0 };
/// let x = [1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
/// let (w, b) = ([1.0; 4], [1.0]);
/// let mut y = [0.0; 4];
/// forward(&x, &w, &b, &mut y, &dims, Par::Seq);
/// assert_eq!(y, [13.0, 17.0, 25.0, 29.0]);
/// ```
#[track_caller]
pub fn forward<E: Element>(x: &[E], w: &[E], b: &[E], y: &mut [E], dims: &ConvDims, par: Par) {
    (Compiled::<E>::get().conv_forward)(x, w, b, y, dims, par)
}

/// The body of [forward], instantiated here for each element type.
pub(crate) fn forward_impl<E: Element>(
    x: &[E],
    w: &[E],
    b: &[E],
    y: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    check_len("convolution", "x", x.len(), dims.batch * dims.image_len());
    check_len("convolution", "w", w.len(), filters * patch);
    check_len("convolution", "b", b.len(), filters);
    check_len(
        "convolution",
        "y",
        y.len(),
        dims.batch * filters * positions,
    );
    if dims.batch == 0 || positions == 0 || filters == 0 {
        return;
    }
    let image = |col: &mut Vec<E>, packing: &mut GemmScratch<E>, x: &[E], y: &mut [E]| {
        image_forward(x, w, b, (col, packing), y, dims)
    };
    let (image_len, out_len) = (dims.image_len().max(1), filters * positions);
    let split = par.split(dims.flops());
    per_image(
        x,
        image_len,
        y,
        out_len,
        dims.batch,
        patch * positions,
        split,
        image,
    );
}

fn image_forward<E: Element>(
    x: &[E],
    w: &[E],
    b: &[E],
    (col, packing): (&mut [E], &mut GemmScratch<E>),
    y: &mut [E],
    dims: &ConvDims,
) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    // The bias first, the product added onto it: one pass over the output
    // fewer than adding the bias afterwards. With a patch of one depth
    // block (up to 256) each element is T + b rounded once either way;
    // deeper ones take the bias in before their second block, not after the
    // last (other bits, the same on every CPU and thread count). Filling
    // the output also claims its cache lines in a burst,
    // before the product's scattered tile stores: those then hit the cache
    // instead of each waiting for a line from memory (the forward pass of
    // SimpleConvNet's convolution ran 25-30 % faster, measured).
    for (row, &bias) in y.chunks_exact_mut(positions).zip(b) {
        row.fill(bias);
    }
    im2col(x, col, dims);
    let out = MatMut::row_major(y, filters, positions);
    let (w, col) = (
        MatRef::row_major(w, filters, patch),
        MatRef::row_major(col, patch, positions),
    );
    gemm_in(packing, out, Accum::Add, w, col);
}
