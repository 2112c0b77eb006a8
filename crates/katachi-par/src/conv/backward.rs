//! The backward pass: the filters' and biases' gradients, summed in fixed
//! groups of images, and the input's gradient by col2im.

use super::im2col::{col2im_consuming, im2col};
use super::{ConvDims, per_image};
use crate::compiled::compiled_here;
use crate::element::Element;
use crate::extent::check_len;
use crate::gemm::{Accum, GemmScratch, gemm_in};
use crate::matrix::{MatMut, MatRef};
use crate::par::Par;
use crate::scratch::{with_buffers, with_packing};
use crate::team;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        conv_param_grads: fn(&[E], &[E], &mut [E], &mut [E], &ConvDims, Par) = param_grads_impl,
        conv_input_grad: fn(&[E], &[E], &mut [E], &ConvDims, Par) = input_grad_impl,
    }
);

/// Images summed into one partial `dW` before partials are added in order.
/// Fixed, so the order of additions does not depend on the thread count.
const IMAGES_PER_PARTIAL: usize = 8;

/// `dw ← Σ_n dY_n · col_nᵀ` and `db ← Σ dY`, from the input `x` of the
/// forward pass (its im2col matrices are recomputed, see [`forward`](super::forward)) and
/// the upstream gradient `dy` (`batch · filters · positions`). Overwrites
/// `dw` and `db`.
///
/// # Panics
/// If a slice's length does not match `dims`.
#[track_caller]
pub fn param_grads<E: Element>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    db: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    (Compiled::<E>::get().conv_param_grads)(x, dy, dw, db, dims, par)
}

/// The body of [param_grads], instantiated here for each element type.
pub(crate) fn param_grads_impl<E: Element>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    db: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    check_len("convolution", "x", x.len(), dims.batch * dims.image_len());
    check_len(
        "convolution",
        "dy",
        dy.len(),
        dims.batch * filters * positions,
    );
    check_len("convolution", "dw", dw.len(), filters * patch);
    check_len("convolution", "db", db.len(), filters);
    dw.fill(E::ZERO);
    db.fill(E::ZERO);
    if dims.batch == 0 || positions == 0 || filters == 0 {
        return;
    }
    // One partial (dW then db) per group of images; each group adds its
    // images in order, then the partials are added in group order.
    let partial_len = filters * patch + filters;
    let groups = dims.batch.div_ceil(IMAGES_PER_PARTIAL);
    let image_len = dims.image_len().max(1);
    let (x_group, dy_group) = (
        IMAGES_PER_PARTIAL * image_len,
        IMAGES_PER_PARTIAL * filters * positions,
    );
    type Group<'g, E> = ((&'g mut [E], &'g [E]), &'g [E]);
    let group =
        |col: &mut Vec<E>, packing: &mut GemmScratch<E>, ((partial, x), dy): Group<'_, E>| {
            let (pdw, pdb) = partial.split_at_mut(filters * patch);
            for (x, dy) in x
                .chunks_exact(image_len)
                .zip(dy.chunks_exact(filters * positions))
            {
                im2col(x, col, dims);
                gemm_in(
                    packing,
                    MatMut::row_major(pdw, filters, patch),
                    Accum::Add,
                    MatRef::row_major(dy, filters, positions),
                    MatRef::row_major(col, patch, positions).t(),
                );
                for (s, row) in pdb.iter_mut().zip(dy.chunks_exact(positions)) {
                    *s += lane_sum(row);
                }
            }
        };
    let split = par.split(2 * dims.flops());
    // The partials, then a column buffer per group (one, unsplit): the
    // calling thread's from one call to the next.
    let cols = if split { groups } else { 1 };
    let len = |i: usize| {
        if i == 0 {
            groups * partial_len
        } else {
            patch * positions
        }
    };
    with_buffers::<E, _>(1 + cols, len, |buffers| {
        let (partials, cols) = buffers.split_first_mut().expect("partials and columns");
        partials.fill(E::ZERO);
        let tasks = partials.chunks_mut(partial_len).zip(x.chunks(x_group));
        with_packing::<E, _>(cols.len(), |packing| {
            if split {
                let tasks = tasks.zip(dy.chunks(dy_group)).zip(cols.iter_mut());
                let tasks = tasks.zip(packing.iter_mut());
                team::for_each(par.threads(), tasks, |((task, col), packing)| {
                    group(col, packing, task)
                });
            } else {
                let (col, packing) = (&mut cols[0], &mut packing[0]);
                let tasks = tasks.zip(dy.chunks(dy_group));
                tasks.for_each(|task| group(col, packing, task));
            }
        });
        for partial in partials.chunks_exact(partial_len) {
            let (pdw, pdb) = partial.split_at(filters * patch);
            dw.iter_mut().zip(pdw).for_each(|(d, &p)| *d += p);
            db.iter_mut().zip(pdb).for_each(|(d, &p)| *d += p);
        }
    });
}

/// `dx ← col2im(Wᵀ · dY_n)` for every image: the gradient of the input.
/// Overwrites `dx` (`batch · image_len`).
///
/// # Panics
/// If a slice's length does not match `dims`.
#[track_caller]
pub fn input_grad<E: Element>(w: &[E], dy: &[E], dx: &mut [E], dims: &ConvDims, par: Par) {
    (Compiled::<E>::get().conv_input_grad)(w, dy, dx, dims, par)
}

/// The body of [input_grad], instantiated here for each element type.
pub(crate) fn input_grad_impl<E: Element>(
    w: &[E],
    dy: &[E],
    dx: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    check_len("convolution", "w", w.len(), filters * patch);
    check_len(
        "convolution",
        "dy",
        dy.len(),
        dims.batch * filters * positions,
    );
    check_len("convolution", "dx", dx.len(), dims.batch * dims.image_len());
    dx.fill(E::ZERO);
    if dims.batch == 0 || positions == 0 || filters == 0 || dims.image_len() == 0 {
        return;
    }
    let image = |dcol: &mut Vec<E>, packing: &mut GemmScratch<E>, dy: &[E], dx: &mut [E]| {
        gemm_in(
            packing,
            MatMut::row_major(dcol, patch, positions),
            Accum::Replace,
            MatRef::row_major(w, filters, patch).t(),
            MatRef::row_major(dy, filters, positions),
        );
        col2im_consuming(dcol, dx, dims);
    };
    let (image_len, out_len) = (dims.image_len(), filters * positions);
    let split = par.split(dims.flops());
    per_image(
        dy,
        out_len,
        dx,
        image_len,
        dims.batch,
        patch * positions,
        split,
        image,
    );
}

/// The sum of `v`, in sixteen interleaved lanes, then the lanes in order
/// and last the tail: a fixed order, which the compiler keeps in four SSE
/// (two AVX) accumulators with one add per vector. Eight lanes summed
/// pairwise at the end made it keep the pairs apart and shuffle every
/// vector it loaded (six shuffles per eight elements; the bias gradient
/// was a twentieth of a SimpleConvNet step).
pub(super) fn lane_sum<E: Element>(v: &[E]) -> E {
    const LANES: usize = 16;
    let mut lanes = [E::ZERO; LANES];
    let (chunks, tail) = v.as_chunks::<LANES>();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += x;
        }
    }
    let lanes = lanes.iter().fold(E::ZERO, |acc, &x| acc + x);
    lanes + tail.iter().fold(E::ZERO, |acc, &x| acc + x)
}
