//! Average pooling over square windows, and global average pooling (one
//! mean per plane), forward and backward.
//!
//! Layouts as in [`pool`](crate::pool): a stack of `planes` row-major
//! `height × width` planes. Each window's elements are added in row-major
//! order and the sum divided by the window's size, as PyTorch's
//! `AvgPool2d` (without padding) does; the same on any number of threads.

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::extent::check_len;
use crate::par::Par;
use crate::pool::PoolDims;
use crate::team;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        avg_forward: fn(&[E], &mut [E], &PoolDims, Par) = avg_forward_impl,
        avg_backward: fn(&[E], &mut [E], &PoolDims, Par) = avg_backward_impl,
        plane_mean: fn(&[E], &mut [E]) = plane_mean_impl,
        plane_mean_backward: fn(&[E], &mut [E]) = plane_mean_backward_impl,
    }
);

/// Planes handed to one thread at a time: enough work to repay the hand-off.
const PLANES_PER_TASK: usize = 64;

/// `y ←` the mean of each window of `x`.
///
/// # Panics
/// If a slice's length does not match `dims`.
///
/// ```
/// use katachi::par::{avg_pool::avg_forward, pool::PoolDims, Par};
/// let dims = PoolDims { planes: 1, height: 2, width: 4, window: 2, stride: 2 };
/// let x = [1.0_f32, 5.0, 2.0, 0.0,
///          3.0, 4.0, 7.0, 6.0];
/// let mut y = [0.0; 2];
/// avg_forward(&x, &mut y, &dims, Par::Seq);
/// assert_eq!(y, [3.25, 3.75]);
/// ```
#[track_caller]
pub fn avg_forward<E: Element>(x: &[E], y: &mut [E], dims: &PoolDims, par: Par) {
    (Compiled::<E>::get().avg_forward)(x, y, dims, par)
}

/// The body of [avg_forward], instantiated here for each element type.
pub(crate) fn avg_forward_impl<E: Element>(x: &[E], y: &mut [E], dims: &PoolDims, par: Par) {
    let (plane, out_plane, out_w) = (dims.height * dims.width, dims.out_plane(), dims.out_width());
    check_len("average pool", "x", x.len(), dims.planes * plane);
    check_len("average pool", "y", y.len(), dims.planes * out_plane);
    if out_plane == 0 || plane == 0 {
        return;
    }
    let (window, stride, width) = (dims.window, dims.stride, dims.width);
    let size = E::from_f64((window * window) as f64);
    let one_plane = |(x, y): (&[E], &mut [E])| {
        for (oy, y) in y.chunks_exact_mut(out_w).enumerate() {
            let top = oy * stride * width;
            y.fill(E::ZERO);
            // Window rows in order, and within a row its columns in order:
            // every window adds its elements in row-major order.
            for i in 0..window {
                let line = &x[top + i * width..][..width];
                for j in 0..window {
                    for (ox, y) in y.iter_mut().enumerate() {
                        *y += line[ox * stride + j];
                    }
                }
            }
            y.iter_mut().for_each(|y| *y /= size);
        }
    };
    let (xc, yc) = (PLANES_PER_TASK * plane, PLANES_PER_TASK * out_plane);
    if par.split(dims.planes * plane) {
        team::for_each(
            par.threads(),
            x.chunks(xc).zip(y.chunks_mut(yc)),
            |(x, y)| {
                x.chunks(plane)
                    .zip(y.chunks_mut(out_plane))
                    .for_each(one_plane)
            },
        );
    } else {
        x.chunks(plane)
            .zip(y.chunks_mut(out_plane))
            .for_each(one_plane);
    }
}

/// `dx ←` each element of `dy` divided by the window's size and added to
/// every position of its window (windows that overlap add up). Overwrites
/// `dx`.
///
/// # Panics
/// If a slice's length does not match `dims`.
///
/// ```
/// use katachi::par::{avg_pool::avg_backward, pool::PoolDims, Par};
/// let dims = PoolDims { planes: 1, height: 2, width: 4, window: 2, stride: 2 };
/// let mut dx = [0.0_f32; 8];
/// avg_backward(&[4.0, 8.0], &mut dx, &dims, Par::Seq);
/// assert_eq!(dx, [1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
/// ```
#[track_caller]
pub fn avg_backward<E: Element>(dy: &[E], dx: &mut [E], dims: &PoolDims, par: Par) {
    (Compiled::<E>::get().avg_backward)(dy, dx, dims, par)
}

/// The body of [avg_backward], instantiated here for each element type.
pub(crate) fn avg_backward_impl<E: Element>(dy: &[E], dx: &mut [E], dims: &PoolDims, par: Par) {
    let (plane, out_plane, out_w) = (dims.height * dims.width, dims.out_plane(), dims.out_width());
    check_len("average pool", "dy", dy.len(), dims.planes * out_plane);
    check_len("average pool", "dx", dx.len(), dims.planes * plane);
    dx.fill(E::ZERO);
    if out_plane == 0 || plane == 0 {
        return;
    }
    let (window, stride, width) = (dims.window, dims.stride, dims.width);
    let size = E::from_f64((window * window) as f64);
    let one_plane = |(dx, dy): (&mut [E], &[E])| {
        for (oy, dy) in dy.chunks_exact(out_w).enumerate() {
            let top = oy * stride * width;
            for i in 0..window {
                let line = &mut dx[top + i * width..][..width];
                for j in 0..window {
                    for (ox, &g) in dy.iter().enumerate() {
                        line[ox * stride + j] += g / size;
                    }
                }
            }
        }
    };
    let (xc, yc) = (PLANES_PER_TASK * plane, PLANES_PER_TASK * out_plane);
    if par.split(dims.planes * plane) {
        team::for_each(
            par.threads(),
            dx.chunks_mut(xc).zip(dy.chunks(yc)),
            |(dx, dy)| {
                dx.chunks_mut(plane)
                    .zip(dy.chunks(out_plane))
                    .for_each(one_plane)
            },
        );
    } else {
        dx.chunks_mut(plane)
            .zip(dy.chunks(out_plane))
            .for_each(one_plane);
    }
}

/// `y[p] ←` the mean of plane `p` of `x` (global average pooling): `x`
/// holds `y.len()` planes, each summed in order.
///
/// # Panics
/// If `x` is not a whole number of planes.
///
/// ```
/// use katachi::par::avg_pool::plane_mean;
/// let mut y = [0.0_f32; 2];
/// plane_mean(&[1.0, 2.0, 3.0, 6.0, 10.0, 20.0, 30.0, 0.0], &mut y);
/// assert_eq!(y, [3.0, 15.0]);
/// ```
#[track_caller]
pub fn plane_mean<E: Element>(x: &[E], y: &mut [E]) {
    (Compiled::<E>::get().plane_mean)(x, y)
}

/// The body of [plane_mean], instantiated here for each element type.
pub(crate) fn plane_mean_impl<E: Element>(x: &[E], y: &mut [E]) {
    let plane = plane_of(x.len(), y.len());
    let size = E::from_f64(plane as f64);
    for (y, x) in y.iter_mut().zip(x.chunks_exact(plane.max(1))) {
        *y = x.iter().fold(E::ZERO, |s, &v| s + v) / size;
    }
}

/// `dx ←` each plane filled with its `dy` divided by the plane's size (the
/// gradient of [`plane_mean`]).
///
/// # Panics
/// If `dx` is not a whole number of planes.
#[track_caller]
pub fn plane_mean_backward<E: Element>(dy: &[E], dx: &mut [E]) {
    (Compiled::<E>::get().plane_mean_backward)(dy, dx)
}

/// The body of [plane_mean_backward], instantiated here for each element type.
pub(crate) fn plane_mean_backward_impl<E: Element>(dy: &[E], dx: &mut [E]) {
    let plane = plane_of(dx.len(), dy.len());
    let size = E::from_f64(plane as f64);
    for (dx, &g) in dx.chunks_exact_mut(plane.max(1)).zip(dy) {
        dx.fill(g / size);
    }
}

/// Elements per plane of `len` elements in `planes` planes.
#[track_caller]
fn plane_of(len: usize, planes: usize) -> usize {
    let plane = len.checked_div(planes).unwrap_or(0);
    assert!(
        plane * planes == len,
        "global average pool: {len} elements are not {planes} whole planes"
    );
    plane
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::par::on_pool;

    /// The mean of each window, written the obvious way.
    fn reference(x: &[f64], d: &PoolDims) -> Vec<f64> {
        let (oh, ow) = (d.out_height(), d.out_width());
        let mut y = Vec::new();
        for p in 0..d.planes {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut s = 0.0;
                    for i in 0..d.window {
                        for j in 0..d.window {
                            let at = p * d.height * d.width
                                + (oy * d.stride + i) * d.width
                                + ox * d.stride
                                + j;
                            s += x[at];
                        }
                    }
                    y.push(s / (d.window * d.window) as f64);
                }
            }
        }
        y
    }

    fn input(len: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 37 + 11) % 19) as f64 / 7.0 - 1.0)
            .collect()
    }

    #[test]
    fn forward_is_the_window_mean_for_tiling_and_overlapping_windows() {
        for (window, stride) in [(2, 2), (3, 1), (3, 2), (1, 1)] {
            let d = PoolDims {
                planes: 3,
                height: 7,
                width: 6,
                window,
                stride,
            };
            let x = input(3 * 42);
            let mut y = vec![0.0; 3 * d.out_plane()];
            avg_forward(&x, &mut y, &d, Par::Seq);
            assert_eq!(y, reference(&x, &d), "{window}×{window} stride {stride}");
        }
    }

    #[test]
    fn backward_is_the_transpose_of_forward() {
        // ⟨forward(x), w⟩ = ⟨x, backward(w)⟩ for every x and w: backward is
        // the forward's transpose, which is its gradient.
        let d = PoolDims {
            planes: 2,
            height: 6,
            width: 5,
            window: 3,
            stride: 2,
        };
        let x = input(2 * 30);
        let w: Vec<f64> = (0..2 * d.out_plane())
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let mut y = vec![0.0; w.len()];
        avg_forward(&x, &mut y, &d, Par::Seq);
        let mut dx = vec![0.0; x.len()];
        avg_backward(&w, &mut dx, &d, Par::Seq);
        let left: f64 = y.iter().zip(&w).map(|(a, b)| a * b).sum();
        let right: f64 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
        assert!((left - right).abs() < 1e-12, "{left} vs {right}");
    }

    #[test]
    fn global_means_and_their_gradient() {
        let x: Vec<f64> = input(3 * 20);
        let mut y = [0.0; 3];
        plane_mean(&x, &mut y);
        for (p, &m) in y.iter().enumerate() {
            let want = x[p * 20..(p + 1) * 20].iter().sum::<f64>() / 20.0;
            assert!((m - want).abs() < 1e-15);
        }
        let mut dx = vec![0.0; 60];
        plane_mean_backward(&[2.0, -4.0, 0.5], &mut dx);
        assert!(dx[..20].iter().all(|&g| g == 0.1) && dx[20..40].iter().all(|&g| g == -0.2));
        assert!(dx[40..].iter().all(|&g| g == 0.025));
    }

    #[test]
    fn threads_give_the_same_bits() {
        let d = PoolDims {
            planes: 300,
            height: 12,
            width: 12,
            window: 2,
            stride: 2,
        };
        let x: Vec<f32> = (0..300 * 144)
            .map(|i| ((i * 13) % 29) as f32 / 3.0)
            .collect();
        let run = |par| {
            let (mut y, mut dx) = (vec![0.0f32; 300 * 36], vec![0.0f32; x.len()]);
            avg_forward(&x, &mut y, &d, par);
            avg_backward(&y, &mut dx, &d, par);
            (y, dx)
        };
        let one = run(Par::Seq);
        assert_eq!(on_pool(2, || run(Par::Rayon)), one);
        assert_eq!(on_pool(3, || run(Par::Rayon)), one);
    }
}
