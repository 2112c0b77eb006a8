//! The products of an affine layer `Y = X·W + b`.
//!
//! `X` is `batch × inputs`, `W` is `inputs × outputs`, `b` has `outputs`
//! elements; all row-major. Backward takes `dY` (`batch × outputs`) and gives
//! `dW = Xᵀ·dY`, `db = Σ_rows dY` and, when asked for, `dX = dY·Wᵀ`. The
//! transposes are strided views, never copies.

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::extent::check_matrix_len;
use crate::gemm::gemm_with_bias;
use crate::gemm::{Accum, gemm};
use crate::matrix::{MatMut, MatRef};
use crate::par::{ELEMENTS_PER_TASK, Par};
use crate::team;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        affine_forward: fn(&[E], &[E], &[E], &mut [E], AffineDims, Par) = forward_impl,
        affine_backward: fn(&[E], &[E], &[E], AffineGrads<'_, E>, AffineDims, Par) = backward_impl,
        affine_param_grads: fn(&[E], &[E], &mut [E], &mut [E], AffineDims, Par) = param_grads_impl,
        affine_input_grad: fn(&[E], &[E], &mut [E], AffineDims, Par) = input_grad_impl,
        column_sums: fn(&[E], &mut [E], usize) = column_sums_impl,
        add_bias: fn(&mut [E], &[E], Par) = add_bias_impl,
    }
);

/// The extents of one affine product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AffineDims {
    /// Rows of `X` and `Y`.
    pub batch: usize,
    /// Columns of `X`, rows of `W`.
    pub inputs: usize,
    /// Columns of `W` and `Y`, length of `b`.
    pub outputs: usize,
}

/// `y ← x·w + b`.
///
/// # Panics
/// If a slice's length does not match `dims`.
///
/// # Example
/// ```
/// use katachi::par::{affine::{forward, AffineDims}, Par};
/// let dims = AffineDims { batch: 1, inputs: 2, outputs: 3 };
/// let x = [1.0_f32, 2.0];
/// let w = [1.0, 0.0, 2.0, 0.0, 1.0, 3.0];
/// let b = [0.5, 0.5, 0.5];
/// let mut y = [0.0; 3];
/// forward(&x, &w, &b, &mut y, dims, Par::Seq);
/// assert_eq!(y, [1.5, 2.5, 8.5]);
/// ```
#[track_caller]
pub fn forward<E: Element>(x: &[E], w: &[E], b: &[E], y: &mut [E], dims: AffineDims, par: Par) {
    (Compiled::<E>::get().affine_forward)(x, w, b, y, dims, par)
}

/// The body of [forward], instantiated here for each element type.
pub(crate) fn forward_impl<E: Element>(
    x: &[E],
    w: &[E],
    b: &[E],
    y: &mut [E],
    dims: AffineDims,
    par: Par,
) {
    let AffineDims {
        batch,
        inputs,
        outputs,
    } = dims;
    check_matrix_len("affine", "x", x.len(), batch, inputs);
    check_matrix_len("affine", "w", w.len(), inputs, outputs);
    check_matrix_len("affine", "b", b.len(), 1, outputs);
    check_matrix_len("affine", "y", y.len(), batch, outputs);
    // The bias is added as each tile of Y is written, not in a second pass.
    gemm_with_bias(
        MatMut::row_major(y, batch, outputs),
        Accum::Replace,
        Some(b),
        MatRef::row_major(x, batch, inputs),
        MatRef::row_major(w, inputs, outputs),
        par,
    );
}

/// Where the backward pass writes its gradients.
#[derive(Debug)]
pub struct AffineGrads<'a, E> {
    /// `dW = Xᵀ·dY`, `inputs × outputs`; overwritten.
    pub dw: &'a mut [E],
    /// `db = Σ_rows dY`, `outputs`; overwritten.
    pub db: &'a mut [E],
    /// `dX = dY·Wᵀ`, `batch × inputs`; overwritten. `None` skips the product,
    /// as the first layer of a network may: nobody needs the gradient of the
    /// input images.
    pub dx: Option<&'a mut [E]>,
}

/// The backward pass of [`forward`]: fills `grads` from `x`, `w` and `dy`.
///
/// # Panics
/// If a slice's length does not match `dims`.
#[track_caller]
pub fn backward<E: Element>(
    x: &[E],
    w: &[E],
    dy: &[E],
    grads: AffineGrads<'_, E>,
    dims: AffineDims,
    par: Par,
) {
    (Compiled::<E>::get().affine_backward)(x, w, dy, grads, dims, par)
}

/// The body of [backward], instantiated here for each element type.
pub(crate) fn backward_impl<E: Element>(
    x: &[E],
    w: &[E],
    dy: &[E],
    grads: AffineGrads<'_, E>,
    dims: AffineDims,
    par: Par,
) {
    param_grads(x, dy, grads.dw, grads.db, dims, par);
    if let Some(dx) = grads.dx {
        input_grad(w, dy, dx, dims, par);
    }
}

/// The parameter half of [`backward`]: `dw ← xᵀ·dy`, `db ← Σ_rows dy`.
///
/// # Panics
/// If a slice's length does not match `dims`.
#[track_caller]
pub fn param_grads<E: Element>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    db: &mut [E],
    dims: AffineDims,
    par: Par,
) {
    (Compiled::<E>::get().affine_param_grads)(x, dy, dw, db, dims, par)
}

/// The body of [param_grads], instantiated here for each element type.
pub(crate) fn param_grads_impl<E: Element>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    db: &mut [E],
    dims: AffineDims,
    par: Par,
) {
    let AffineDims {
        batch,
        inputs,
        outputs,
    } = dims;
    check_matrix_len("affine", "x", x.len(), batch, inputs);
    check_matrix_len("affine", "dy", dy.len(), batch, outputs);
    check_matrix_len("affine", "dw", dw.len(), inputs, outputs);
    check_matrix_len("affine", "db", db.len(), 1, outputs);
    gemm(
        MatMut::row_major(dw, inputs, outputs),
        Accum::Replace,
        MatRef::row_major(x, batch, inputs).t(),
        MatRef::row_major(dy, batch, outputs),
        par,
    );
    column_sums(dy, db, outputs);
}

/// The input half of [`backward`]: `dx ← dy·wᵀ`. Separate so a layer can
/// write `dx` into the buffer that held `x`, once `dw` no longer needs it.
///
/// # Panics
/// If a slice's length does not match `dims`.
#[track_caller]
pub fn input_grad<E: Element>(w: &[E], dy: &[E], dx: &mut [E], dims: AffineDims, par: Par) {
    (Compiled::<E>::get().affine_input_grad)(w, dy, dx, dims, par)
}

/// The body of [input_grad], instantiated here for each element type.
pub(crate) fn input_grad_impl<E: Element>(
    w: &[E],
    dy: &[E],
    dx: &mut [E],
    dims: AffineDims,
    par: Par,
) {
    let AffineDims {
        batch,
        inputs,
        outputs,
    } = dims;
    check_matrix_len("affine", "w", w.len(), inputs, outputs);
    check_matrix_len("affine", "dy", dy.len(), batch, outputs);
    check_matrix_len("affine", "dx", dx.len(), batch, inputs);
    gemm(
        MatMut::row_major(dx, batch, inputs),
        Accum::Replace,
        MatRef::row_major(dy, batch, outputs),
        MatRef::row_major(w, inputs, outputs).t(),
        par,
    );
}

/// `sums[j] ← Σ_i m[i, j]` for a row-major matrix with `cols` columns,
/// adding rows in order so the result is the same on every thread count.
///
/// # Panics
/// If `sums.len() != cols` or `m.len()` is not a multiple of `cols`.
#[track_caller]
pub fn column_sums<E: Element>(m: &[E], sums: &mut [E], cols: usize) {
    (Compiled::<E>::get().column_sums)(m, sums, cols)
}

/// The body of [column_sums], instantiated here for each element type.
pub(crate) fn column_sums_impl<E: Element>(m: &[E], sums: &mut [E], cols: usize) {
    assert_eq!(
        sums.len(),
        cols,
        "column_sums: {} sums for {cols} columns",
        sums.len()
    );
    sums.fill(E::ZERO);
    if cols == 0 {
        return;
    }
    assert_eq!(
        m.len() % cols,
        0,
        "column_sums: {} elements is not a whole number of {cols}-wide rows",
        m.len()
    );
    for row in m.chunks_exact(cols) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += v;
        }
    }
}

/// Adds `b` to every row of the row-major `y` (used where the product was
/// computed by a caller-chosen kernel).
#[track_caller]
pub fn add_bias<E: Element>(y: &mut [E], b: &[E], par: Par) {
    (Compiled::<E>::get().add_bias)(y, b, par)
}

/// The body of [add_bias], instantiated here for each element type.
pub(crate) fn add_bias_impl<E: Element>(y: &mut [E], b: &[E], par: Par) {
    let cols = b.len();
    if cols == 0 {
        return;
    }
    assert_eq!(
        y.len() % cols,
        0,
        "add_bias: {} elements is not a whole number of {cols}-wide rows",
        y.len()
    );
    let add = |row: &mut [E]| row.iter_mut().zip(b).for_each(|(v, &bias)| *v += bias);
    if par.split(y.len()) {
        // Whole rows, about ELEMENTS_PER_TASK to a task: a row alone is
        // too little work to hand out.
        let len = (ELEMENTS_PER_TASK / cols).max(1) * cols;
        team::for_each(par.threads(), y.chunks_mut(len), |rows| {
            rows.chunks_exact_mut(cols).for_each(add)
        });
    } else {
        y.chunks_exact_mut(cols).for_each(add);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backward_products_match_hand_computation() {
        // x = [[1, 2]], w = [[1, 0, 2], [0, 1, 3]], dy = [[1, 2, 3]]
        let dims = AffineDims {
            batch: 1,
            inputs: 2,
            outputs: 3,
        };
        let x = [1.0_f64, 2.0];
        let w = [1.0, 0.0, 2.0, 0.0, 1.0, 3.0];
        let dy = [1.0, 2.0, 3.0];
        let (mut dw, mut db, mut dx) = ([9.0; 6], [9.0; 3], [9.0; 2]);
        backward(
            &x,
            &w,
            &dy,
            AffineGrads {
                dw: &mut dw,
                db: &mut db,
                dx: Some(&mut dx),
            },
            dims,
            Par::Seq,
        );
        assert_eq!(dw, [1.0, 2.0, 3.0, 2.0, 4.0, 6.0]);
        assert_eq!(db, [1.0, 2.0, 3.0]);
        assert_eq!(dx, [1.0 + 6.0, 2.0 + 9.0]);
    }

    #[test]
    fn skipping_dx_still_fills_parameter_gradients() {
        let dims = AffineDims {
            batch: 2,
            inputs: 1,
            outputs: 1,
        };
        let (mut dw, mut db) = ([0.0_f32], [0.0_f32]);
        backward(
            &[1.0, 3.0],
            &[5.0],
            &[2.0, 4.0],
            AffineGrads {
                dw: &mut dw,
                db: &mut db,
                dx: None,
            },
            dims,
            Par::Seq,
        );
        assert_eq!(dw, [14.0]);
        assert_eq!(db, [6.0]);
    }

    #[test]
    fn bias_rows_split_across_threads_get_the_bias_once() {
        // 1.2 M elements in rows of 1000: the parallel path, in tasks of
        // whole rows with a ragged last task.
        let (rows, cols) = (1200, 1000);
        let b: Vec<f32> = (0..cols).map(|j| j as f32).collect();
        for threads in [1, 2, 3] {
            let mut y: Vec<f32> = (0..rows * cols).map(|i| (i / cols) as f32).collect();
            crate::par::on_pool(threads, || add_bias(&mut y, &b, Par::Rayon));
            let wrong = y
                .iter()
                .enumerate()
                .find(|&(i, &v)| v != (i / cols + i % cols) as f32);
            assert_eq!(wrong, None, "{threads} threads");
        }
    }

    #[test]
    #[should_panic(expected = "affine: w must have 2×3 = 6 elements, has 5")]
    fn short_weight_slice_is_named() {
        let dims = AffineDims {
            batch: 1,
            inputs: 2,
            outputs: 3,
        };
        forward(
            &[0.0_f32; 2],
            &[0.0; 5],
            &[0.0; 3],
            &mut [0.0; 3],
            dims,
            Par::Seq,
        );
    }
}
