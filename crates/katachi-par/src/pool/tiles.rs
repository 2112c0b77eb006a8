//! The common case, 2×2 windows with stride 2, as a loop the compiler
//! vectorises: each output element is computed from its window with
//! selects instead of branches (a branch on image data mispredicts often),
//! and every access is a plain index into a row, which the compiler turns
//! into de-interleaving vector loads. Same results as the general loop,
//! ties included: the first maximum in row-major order wins.

use crate::element::Element;

/// Max pooling of one plane `x` (`width` wide) into `y` and `arg` (rows of
/// `out_w`).
pub(super) fn forward_2x2<E: Element>(
    x: &[E],
    y: &mut [E],
    arg: &mut [u32],
    width: usize,
    out_w: usize,
) {
    let rows = y.chunks_exact_mut(out_w).zip(arg.chunks_exact_mut(out_w));
    for (oy, (y, arg)) in rows.enumerate() {
        let top = 2 * oy * width;
        let upper = &x[top..][..2 * out_w];
        let lower = &x[top + width..][..2 * out_w];
        // Fits: the plane length was checked against u32 by the caller.
        let (top, below) = (top as u32, width as u32);
        for ox in 0..out_w {
            let (u0, u1) = (upper[2 * ox], upper[2 * ox + 1]);
            let (l0, l1) = (lower[2 * ox], lower[2 * ox + 1]);
            let (m1, i1) = if u1 > u0 { (u1, 1) } else { (u0, 0) };
            let (m2, i2) = if l1 > l0 {
                (l1, below + 1)
            } else {
                (l0, below)
            };
            let (m, i) = if m2 > m1 { (m2, i2) } else { (m1, i1) };
            y[ox] = m;
            arg[ox] = top + 2 * ox as u32 + i;
        }
    }
}
