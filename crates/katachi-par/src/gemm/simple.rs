//! The plain product for tiny problems: each output row by whichever of
//! two loop orders keeps the inner loop on contiguous memory. No packing, so
//! no set-up cost; each row is computed by one thread.

use super::{Accum, Product};
use crate::element::Element;
use crate::matrix::MatRef;
use crate::par::Par;
use crate::team;

/// Rows per task when the product is split across threads.
const ROWS_PER_TASK: usize = 8;

/// A [`Product`], row by row.
pub(crate) fn gemm<E: Element>(product: Product<'_, E>, par: Par) {
    let Product {
        dst,
        accum,
        bias,
        lhs,
        rhs,
    } = product;
    let (m, n, k) = (dst.rows, dst.cols, lhs.cols);
    if m == 0 || n == 0 {
        return;
    }
    let rs = dst.rs;
    let row_task = |(block, rows): (usize, &mut [E])| {
        for (r, row) in rows.chunks_mut(rs).enumerate() {
            let row = &mut row[..n];
            product_row(row, block * ROWS_PER_TASK + r, accum, &lhs, &rhs);
            if let Some(b) = bias {
                row.iter_mut().zip(b).for_each(|(v, &b)| *v += b);
            }
        }
    };
    let data = &mut dst.data[..(m - 1) * rs + n];
    if par.split(m * n * k) {
        let blocks = data.chunks_mut(rs * ROWS_PER_TASK).enumerate();
        team::for_each(par.threads(), blocks, row_task);
    } else {
        data.chunks_mut(rs * ROWS_PER_TASK)
            .enumerate()
            .for_each(row_task);
    }
}

/// One output row: `out ← (out +) lhs[i, :] · rhs`.
fn product_row<E: Element>(
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
                    *o += a * b;
                }
            }
            None => {
                for (j, o) in out.iter_mut().enumerate() {
                    *o += a * rhs.data[p * rhs.rs + j * rhs.cs];
                }
            }
        }
    }
}

/// Dot product with four independent accumulators so the loop pipelines.
fn dot<E: Element>(a: &[E], b: &[E]) -> E {
    let mut acc = [E::ZERO; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = E::ZERO;
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}
