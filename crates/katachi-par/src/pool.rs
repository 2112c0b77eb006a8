//! Max pooling over square windows, forward and backward.
//!
//! The input is a stack of `planes` row-major `height × width` planes (for
//! NCHW tensors, `planes = batch · channels`); each output element is the
//! maximum of one window, and its position within the plane is kept so the
//! backward pass routes the gradient to it alone (the first maximum wins a
//! tie, as NumPy's `argmax` does in the book).

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::extent::{check_len, out_extent};
use crate::par::Par;
use crate::team;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        max_forward: fn(&[E], &mut [E], &mut [u32], &PoolDims, Par) = max_forward_impl,
        max_backward: fn(&[E], &[u32], &mut [E], &PoolDims, Par) = max_backward_impl,
    }
);

/// The extents of one pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolDims {
    /// Independent planes (`batch · channels`).
    pub planes: usize,
    /// Plane height.
    pub height: usize,
    /// Plane width.
    pub width: usize,
    /// Window extent (square windows).
    pub window: usize,
    /// Step between windows.
    pub stride: usize,
}

impl PoolDims {
    /// `(height − window) / stride + 1`.
    ///
    /// # Panics
    /// If the window is larger than the plane or the stride is 0.
    pub fn out_height(&self) -> usize {
        out_extent(self.height, self.window, self.stride, 0)
    }

    /// `(width − window) / stride + 1`.
    ///
    /// # Panics
    /// As [`PoolDims::out_height`].
    pub fn out_width(&self) -> usize {
        out_extent(self.width, self.window, self.stride, 0)
    }

    /// Output elements per plane.
    pub fn out_plane(&self) -> usize {
        self.out_height() * self.out_width()
    }
}

mod tiles;

/// Planes handed to one thread at a time: enough work to repay the hand-off.
const PLANES_PER_TASK: usize = 64;

/// `y ← max over each window of x`, and `argmax ←` the position of that
/// maximum within its plane.
///
/// # Panics
/// If a slice's length does not match `dims`.
///
/// ```
/// use katachi::par::{pool::{max_forward, PoolDims}, Par};
/// let dims = PoolDims { planes: 1, height: 2, width: 4, window: 2, stride: 2 };
/// let x = [1.0_f32, 5.0, 2.0, 0.0,
///          3.0, 4.0, 7.0, 6.0];
/// let (mut y, mut arg) = ([0.0; 2], [0; 2]);
/// max_forward(&x, &mut y, &mut arg, &dims, Par::Seq);
/// assert_eq!((y, arg), ([5.0, 7.0], [1, 6]));
/// ```
#[track_caller]
pub fn max_forward<E: Element>(
    x: &[E],
    y: &mut [E],
    argmax: &mut [u32],
    dims: &PoolDims,
    par: Par,
) {
    (Compiled::<E>::get().max_forward)(x, y, argmax, dims, par)
}

/// The body of [max_forward], instantiated here for each element type.
pub(crate) fn max_forward_impl<E: Element>(
    x: &[E],
    y: &mut [E],
    argmax: &mut [u32],
    dims: &PoolDims,
    par: Par,
) {
    let (plane, out_plane, out_w) = (dims.height * dims.width, dims.out_plane(), dims.out_width());
    check_len("max pool", "x", x.len(), dims.planes * plane);
    check_len("max pool", "y", y.len(), dims.planes * out_plane);
    check_len("max pool", "argmax", argmax.len(), y.len());
    assert!(
        u32::try_from(plane).is_ok(),
        "max pool: planes of {plane} elements are too large"
    );
    if out_plane == 0 || plane == 0 {
        return;
    }
    let (window, stride, width) = (dims.window, dims.stride, dims.width);
    // Row by row of the output, one window offset at a time across the row:
    // each window still sees its elements in row-major order (so the first
    // maximum wins), and the inner loop is a plain pass over slices.
    let one_plane = |((x, y), arg): ((&[E], &mut [E]), &mut [u32])| {
        if window == 2 && stride == 2 {
            return tiles::forward_2x2(x, y, arg, width, out_w);
        }
        let rows = y.chunks_exact_mut(out_w).zip(arg.chunks_exact_mut(out_w));
        for (oy, (y, arg)) in rows.enumerate() {
            let top = oy * stride * width;
            for (ox, (y, arg)) in y.iter_mut().zip(arg.iter_mut()).enumerate() {
                let at = top + ox * stride;
                // Fits: the plane length was checked against u32 above.
                (*y, *arg) = (x[at], at as u32);
            }
            for i in 0..window {
                let line = &x[top + i * width..][..width];
                for j in (0..window).filter(|&j| i > 0 || j > 0) {
                    for (ox, (y, arg)) in y.iter_mut().zip(arg.iter_mut()).enumerate() {
                        let v = line[ox * stride + j];
                        if v > *y {
                            (*y, *arg) = (v, (top + i * width + ox * stride + j) as u32);
                        }
                    }
                }
            }
        }
    };
    let chunks = |n: usize| (n * plane, n * out_plane);
    let (xc, yc) = chunks(PLANES_PER_TASK);
    if par.split(dims.planes * plane) {
        let tasks = x
            .chunks(xc)
            .zip(y.chunks_mut(yc))
            .zip(argmax.chunks_mut(yc));
        team::for_each(par.threads(), tasks, |((x, y), arg)| {
            x.chunks(plane)
                .zip(y.chunks_mut(out_plane))
                .zip(arg.chunks_mut(out_plane))
                .for_each(one_plane)
        });
    } else {
        x.chunks(plane)
            .zip(y.chunks_mut(out_plane))
            .zip(argmax.chunks_mut(out_plane))
            .for_each(one_plane);
    }
}

/// `dx ←` each element of `dy` added at the position its window's maximum
/// came from (zero elsewhere). Overwrites `dx`.
///
/// # Panics
/// If a slice's length does not match `dims`, or an `argmax` lies outside
/// its plane.
#[track_caller]
pub fn max_backward<E: Element>(dy: &[E], argmax: &[u32], dx: &mut [E], dims: &PoolDims, par: Par) {
    (Compiled::<E>::get().max_backward)(dy, argmax, dx, dims, par)
}

/// The body of [max_backward], instantiated here for each element type.
pub(crate) fn max_backward_impl<E: Element>(
    dy: &[E],
    argmax: &[u32],
    dx: &mut [E],
    dims: &PoolDims,
    par: Par,
) {
    let (plane, out_plane) = (dims.height * dims.width, dims.out_plane());
    check_len("max pool", "dy", dy.len(), dims.planes * out_plane);
    check_len("max pool", "argmax", argmax.len(), dy.len());
    check_len("max pool", "dx", dx.len(), dims.planes * plane);
    // A memset and a scatter: measured faster than writing each 2×2
    // window's four gradients in one pass with selects (SimpleConvNet's
    // pool forward and backward, Zen 4: 0.9–1.3 ms against 1.7–1.9).
    dx.fill(E::ZERO);
    if out_plane == 0 || plane == 0 {
        return;
    }
    let one_plane = |((dx, dy), arg): ((&mut [E], &[E]), &[u32])| {
        for (&g, &at) in dy.iter().zip(arg) {
            dx[at as usize] += g;
        }
    };
    let (xc, yc) = (PLANES_PER_TASK * plane, PLANES_PER_TASK * out_plane);
    if par.split(dims.planes * plane) {
        let tasks = dx.chunks_mut(xc).zip(dy.chunks(yc)).zip(argmax.chunks(yc));
        team::for_each(par.threads(), tasks, |((dx, dy), arg)| {
            dx.chunks_mut(plane)
                .zip(dy.chunks(out_plane))
                .zip(arg.chunks(out_plane))
                .for_each(one_plane)
        });
    } else {
        dx.chunks_mut(plane)
            .zip(dy.chunks(out_plane))
            .zip(argmax.chunks(out_plane))
            .for_each(one_plane);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::par::on_pool;

    #[test]
    fn overlapping_windows_pick_the_first_maximum_and_add_gradients() {
        // 3×3 plane, 2×2 windows with stride 1: four windows sharing the centre.
        let dims = PoolDims {
            planes: 1,
            height: 3,
            width: 3,
            window: 2,
            stride: 1,
        };
        let x = [0.0_f64, 1.0, 0.0, 1.0, 9.0, 2.0, 0.0, 3.0, 9.0];
        let (mut y, mut arg) = ([0.0; 4], [0; 4]);
        max_forward(&x, &mut y, &mut arg, &dims, Par::Seq);
        // The last window holds two nines: the first one (the centre) wins.
        assert_eq!((y, arg), ([9.0; 4], [4; 4]));
        let mut dx = [0.0; 9];
        max_backward(&[1.0, 2.0, 3.0, 4.0], &arg, &mut dx, &dims, Par::Seq);
        assert_eq!(dx, [0.0, 0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn the_2x2_path_matches_the_general_loop_ties_included() {
        // Values from a small set, so windows hold ties; odd widths drop a column.
        for (height, width) in [(6, 8), (5, 7), (2, 2)] {
            let dims = PoolDims {
                planes: 3,
                height,
                width,
                window: 2,
                stride: 2,
            };
            let x: Vec<f32> = (0..3 * height * width)
                .map(|i| ((i * 7919) % 5) as f32)
                .collect();
            let n = 3 * dims.out_plane();
            let (mut y, mut arg) = (vec![0.0; n], vec![0; n]);
            max_forward(&x, &mut y, &mut arg, &dims, Par::Seq);
            // The reference: each window scanned in row-major order.
            let (mut y_ref, mut arg_ref) = (vec![0.0; n], vec![0; n]);
            for p in 0..3 {
                let plane = &x[p * height * width..][..height * width];
                for o in 0..dims.out_plane() {
                    let (top, left) = (o / dims.out_width() * 2, o % dims.out_width() * 2);
                    let mut best = (plane[top * width + left], top * width + left);
                    for at in [
                        top * width + left + 1,
                        (top + 1) * width + left,
                        (top + 1) * width + left + 1,
                    ] {
                        if plane[at] > best.0 {
                            best = (plane[at], at);
                        }
                    }
                    (
                        y_ref[p * dims.out_plane() + o],
                        arg_ref[p * dims.out_plane() + o],
                    ) = (best.0, best.1 as u32);
                }
            }
            assert_eq!((y, arg), (y_ref, arg_ref), "{height}×{width}");
        }
    }

    #[test]
    fn a_ragged_edge_is_dropped_and_planes_stay_apart() {
        // Two 3×5 planes, 2×2 windows, stride 2: a 1×2 output each.
        let dims = PoolDims {
            planes: 2,
            height: 3,
            width: 5,
            window: 2,
            stride: 2,
        };
        let x: Vec<f32> = (0..30).map(|v| v as f32).collect();
        let (mut y, mut arg) = ([0.0; 4], [0; 4]);
        max_forward(&x, &mut y, &mut arg, &dims, Par::Seq);
        assert_eq!(y, [6.0, 8.0, 21.0, 23.0]);
        assert_eq!(arg, [6, 8, 6, 8]);
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let dims = PoolDims {
            planes: 3000,
            height: 24,
            width: 24,
            window: 2,
            stride: 2,
        };
        let x: Vec<f32> = (0..dims.planes * 576)
            .map(|i| ((i * 7919) % 1013) as f32)
            .collect();
        let dy: Vec<f32> = (0..dims.planes * 144).map(|i| (i % 17) as f32).collect();
        let run = || {
            let (mut y, mut arg, mut dx) =
                (vec![0.0; dy.len()], vec![0; dy.len()], vec![0.0; x.len()]);
            max_forward(&x, &mut y, &mut arg, &dims, Par::Rayon);
            max_backward(&dy, &arg, &mut dx, &dims, Par::Rayon);
            (y, arg, dx)
        };
        let one = on_pool(1, run);
        assert!(on_pool(2, run) == one);
        assert!(on_pool(5, run) == one);
    }
}
