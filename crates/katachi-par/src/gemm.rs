//! General matrix product on strided views.
//!
//! This is the straightforward kernel: each output row is produced by one
//! thread, by whichever of two loop orders keeps the inner loop on contiguous
//! memory. It is correct for every stride combination and is the reference
//! the faster kernels are tested against.

use rayon::prelude::*;

use crate::{Float, MatMut, MatRef, Par};

/// Whether a product overwrites its destination or adds to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accum {
    /// `C ← A·B`: the old contents of `C` are never read.
    Replace,
    /// `C ← C + A·B`.
    Add,
}

/// Rows handed to one rayon task: enough that scheduling is cheap next to the
/// arithmetic, few enough that both cores get work on a 100-row batch.
const ROWS_PER_TASK: usize = 8;

/// `dst ← lhs · rhs` or `dst ← dst + lhs · rhs` (see [`Accum`]).
///
/// `lhs` is `m × k`, `rhs` is `k × n`, `dst` is `m × n`. Operands may be
/// transposed views ([`MatRef::t`]); nothing is copied.
///
/// # Panics
/// If the extents do not agree; the message names all three shapes.
///
/// # Example
/// ```
/// use katachi_par::{gemm, Accum, MatMut, MatRef, Par};
/// // x is 2×3; xᵀ·x is 3×3, computed without materialising xᵀ.
/// let x = [1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let mut g = [0.0_f64; 9];
/// let xv = MatRef::row_major(&x, 2, 3);
/// gemm(MatMut::row_major(&mut g, 3, 3), Accum::Replace, xv.t(), xv, Par::Seq);
/// assert_eq!(g, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
/// ```
#[track_caller]
pub fn gemm<E: Float>(
    dst: MatMut<'_, E>,
    accum: Accum,
    lhs: MatRef<'_, E>,
    rhs: MatRef<'_, E>,
    par: Par,
) {
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
    let (m, n, k) = (dst.rows, dst.cols, lhs.cols);
    if m == 0 || n == 0 {
        return;
    }
    let rs = dst.rs;
    let row_task = |(block, rows): (usize, &mut [E])| {
        for (r, row) in rows.chunks_mut(rs).enumerate() {
            product_row(&mut row[..n], block * ROWS_PER_TASK + r, accum, &lhs, &rhs);
        }
    };
    // The destination slice may end right after the last row's last column.
    let data = &mut dst.data[..(m - 1) * rs + n];
    if par.split(m * n * k) {
        data.par_chunks_mut(rs * ROWS_PER_TASK)
            .enumerate()
            .for_each(row_task);
    } else {
        data.chunks_mut(rs * ROWS_PER_TASK)
            .enumerate()
            .for_each(row_task);
    }
}

/// One output row: `out ← (out +) lhs[i, :] · rhs`.
fn product_row<E: Float>(
    out: &mut [E],
    i: usize,
    accum: Accum,
    lhs: &MatRef<'_, E>,
    rhs: &MatRef<'_, E>,
) {
    let k = lhs.cols;
    if let (Some(a_row), true) = (lhs.row_slice(i), rhs.rs == 1 && rhs.cs != 1) {
        // rhs columns are contiguous: each output element is a dot product.
        for (j, o) in out.iter_mut().enumerate() {
            let col = rhs.col_slice(j).expect("rs == 1");
            let dot = dot(a_row, col);
            *o = match accum {
                Accum::Replace => dot,
                Accum::Add => *o + dot,
            };
        }
        return;
    }
    if accum == Accum::Replace {
        out.fill(E::ZERO);
    }
    // Otherwise stream rows of rhs: out += lhs[i, p] · rhs[p, :].
    for p in 0..k {
        let a = lhs.data[i * lhs.rs + p * lhs.cs];
        match rhs.row_slice(p) {
            Some(b_row) => {
                for (o, &b) in out.iter_mut().zip(b_row) {
                    *o = a.mul_add(b, *o);
                }
            }
            None => {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = a.mul_add(rhs.data[p * rhs.rs + j * rhs.cs], *o);
                }
            }
        }
    }
}

/// Dot product with four independent accumulators so the loop pipelines.
fn dot<E: Float>(a: &[E], b: &[E]) -> E {
    let mut acc = [E::ZERO; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            acc[l] = x[l].mul_add(y[l], acc[l]);
        }
    }
    let mut tail = E::ZERO;
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        tail = x.mul_add(y, tail);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn naive(lhs: &MatRef<'_, f64>, rhs: &MatRef<'_, f64>) -> Vec<f64> {
        let mut out = vec![0.0; lhs.rows * rhs.cols];
        for i in 0..lhs.rows {
            for j in 0..rhs.cols {
                out[i * rhs.cols + j] = (0..lhs.cols).map(|p| lhs.at(i, p) * rhs.at(p, j)).sum();
            }
        }
        out
    }

    fn random(rng: &mut ChaCha8Rng, len: usize) -> Vec<f64> {
        (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    #[test]
    fn every_transpose_combination_matches_naive() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for &(m, k, n) in &[
            (1, 1, 1),
            (2, 7, 3),
            (17, 33, 9),
            (33, 17, 100),
            (100, 50, 10),
        ] {
            let a = random(&mut rng, m * k);
            let b = random(&mut rng, k * n);
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let av = if ta {
                    MatRef::row_major(&a, k, m).t()
                } else {
                    MatRef::row_major(&a, m, k)
                };
                let bv = if tb {
                    MatRef::row_major(&b, n, k).t()
                } else {
                    MatRef::row_major(&b, k, n)
                };
                let want = naive(&av, &bv);
                for accum in [Accum::Replace, Accum::Add] {
                    let mut c = vec![1.0; m * n];
                    gemm(MatMut::row_major(&mut c, m, n), accum, av, bv, Par::Rayon);
                    let offset = if accum == Accum::Add { 1.0 } else { 0.0 };
                    for (got, want) in c.iter().zip(&want) {
                        assert!(
                            (got - want - offset).abs() < 1e-12,
                            "{m}×{k}×{n} t=({ta},{tb}) {accum:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn padded_destination_rows_leave_padding_untouched() {
        let a = [1.0_f32, 2.0, 3.0, 4.0];
        let mut c = [-1.0_f32; 2 * 3];
        gemm(
            MatMut::with_row_stride(&mut c, 2, 2, 3),
            Accum::Replace,
            MatRef::row_major(&a, 2, 2),
            MatRef::row_major(&[1.0, 0.0, 0.0, 1.0], 2, 2),
            Par::Seq,
        );
        assert_eq!(c, [1.0, 2.0, -1.0, 3.0, 4.0, -1.0]);
    }

    #[test]
    #[should_panic(expected = "cannot multiply 2×3 by 2×2 into 2×2")]
    fn mismatched_inner_extent_panics_with_all_shapes() {
        let a = [0.0_f32; 6];
        let b = [0.0_f32; 4];
        let mut c = [0.0_f32; 4];
        gemm(
            MatMut::row_major(&mut c, 2, 2),
            Accum::Replace,
            MatRef::row_major(&a, 2, 3),
            MatRef::row_major(&b, 2, 2),
            Par::Seq,
        );
    }
}
