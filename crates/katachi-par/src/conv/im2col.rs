//! im2col and col2im: one image's windows as the columns of a matrix, and
//! back (adding where windows overlap).

use super::ConvDims;
use crate::compiled::compiled_here;
use crate::element::Element;
use crate::extent::check_len;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        im2col: fn(&[E], &mut [E], &ConvDims) = im2col_impl,
        col2im: fn(&[E], &mut [E], &ConvDims) = col2im_impl,
        col2im_consuming: fn(&mut [E], &mut [E], &ConvDims) = col2im_consuming_impl,
    }
);

/// Lays out one image `x` (`channels × height × width`) as the `patch ×
/// positions` matrix `col`: row `(c·k + i)·k + j` holds input `(c, oy·s + i
/// − p, ox·s + j − p)` at column `oy·out_width + ox`, zero in the padding.
///
/// # Panics
/// If a slice's length does not match `dims` (its `batch` is ignored).
///
/// ```
/// use katachi::par::conv::{im2col, ConvDims};
/// // One 3×3 channel, 2×2 kernel: four positions, four rows.
/// let dims = ConvDims { batch: 1, channels: 1, height: 3, width: 3, filters: 1, kernel: 2, stride: 1, padding: 0 };
/// let x = [1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
/// let mut col = [0.0; 16];
/// im2col(&x, &mut col, &dims);
/// assert_eq!(&col[..4], &[1.0, 2.0, 4.0, 5.0]); // top-left of each window
/// assert_eq!(&col[12..], &[5.0, 6.0, 8.0, 9.0]); // bottom-right
/// ```
#[track_caller]
pub fn im2col<E: Element>(x: &[E], col: &mut [E], dims: &ConvDims) {
    (Compiled::<E>::get().im2col)(x, col, dims)
}

/// The body of [im2col], instantiated here for each element type.
pub(crate) fn im2col_impl<E: Element>(x: &[E], col: &mut [E], dims: &ConvDims) {
    check_len("convolution", "an image", x.len(), dims.image_len());
    check_len(
        "convolution",
        "an image's col",
        col.len(),
        dims.patch() * dims.positions(),
    );
    let (out_w, positions) = (dims.out_width(), dims.positions());
    let mut rows = col.chunks_exact_mut(positions);
    // Stride 1 with "same" padding (2p = k − 1, DeepConvNet's 3×3 pad 1):
    // each col row is the plane shifted, one copy instead of one per line.
    let same = dims.stride == 1 && out_w == dims.width;
    // Stride 1 without padding (SimpleConvNet's 5×5): every window lies in
    // the image, so each output line is one run of an input line, with no
    // padding to find or zero.
    let valid = dims.stride == 1 && dims.padding == 0;
    for plane in x.chunks_exact(dims.height * dims.width) {
        for i in 0..dims.kernel {
            for j in 0..dims.kernel {
                let row = rows.next().expect("patch rows");
                let columns = valid_columns(out_w, j, dims);
                if same {
                    shifted_plane(plane, row, (i, j), columns, dims);
                    continue;
                }
                if valid {
                    for (oy, out) in row.chunks_exact_mut(out_w).enumerate() {
                        let line = &plane[(oy + i) * dims.width + j..][..out_w];
                        copy_short_run(out, line);
                    }
                    continue;
                }
                for (oy, out) in row.chunks_exact_mut(out_w).enumerate() {
                    match input_index(oy, i, dims.stride, dims.padding, dims.height) {
                        Some(y) => gather_row(
                            &plane[y * dims.width..][..dims.width],
                            out,
                            columns,
                            j,
                            dims,
                        ),
                        None => out.fill(E::ZERO),
                    }
                }
            }
        }
    }
}

/// One col row of [`im2col`] at stride 1 with "same" padding (output
/// extents equal the input's): `row[oy·w + ox] = plane[(oy + i − p)·w +
/// ox + j − p]`, zero in the padding. For the valid lines that is one
/// contiguous copy at a fixed offset; the copy also carries the
/// neighbouring line's elements into the padded columns, which are then
/// zeroed.
fn shifted_plane<E: Element>(
    plane: &[E],
    row: &mut [E],
    (i, j): (usize, usize),
    columns: (usize, usize),
    dims: &ConvDims,
) {
    let run = ShiftedRun::new(plane.len(), (i, j), dims);
    let w = dims.width;
    row[..run.top * w].fill(E::ZERO);
    row[run.bottom * w..].fill(E::ZERO);
    let (first, last) = (run.first, run.last);
    if first < last {
        row[first..last].copy_from_slice(&plane[run.from..run.from + (last - first)]);
    }
    zero_padded_columns(row, &run, columns, w);
}

/// Where one col row of a stride-1 "same" convolution meets its input
/// plane (see [`shifted_plane`]): output lines `top..bottom` read input
/// lines, and row elements `first..last` are plane elements `from..` in
/// order (row element d is plane element d + (i − p)·w + j − p). The row
/// elements of those lines outside `first..last` would read outside the
/// plane: they are padded columns.
struct ShiftedRun {
    top: usize,
    bottom: usize,
    first: usize,
    last: usize,
    from: usize,
}

impl ShiftedRun {
    fn new(plane_len: usize, (i, j): (usize, usize), dims: &ConvDims) -> Self {
        let (w, p, h) = (dims.width, dims.padding, dims.height);
        // Output lines oy whose input line oy + i − p lies in 0..h.
        let top = p.saturating_sub(i).min(h);
        let bottom = (h + p).saturating_sub(i).clamp(top, h);
        let shift = (i * w + j) as isize - (p * w + p) as isize;
        let first = (top * w).max((-shift).max(0) as usize);
        let last = (bottom * w).min((plane_len as isize - shift).max(0) as usize);
        let from = (first as isize + shift).max(0) as usize;
        ShiftedRun {
            top,
            bottom,
            first,
            last,
            from,
        }
    }
}

/// Zeroes the padded columns (outside `lo..hi`) of the row's lines
/// `run.top..run.bottom`, lines `w` long.
fn zero_padded_columns<E: Element>(
    row: &mut [E],
    run: &ShiftedRun,
    (lo, hi): (usize, usize),
    w: usize,
) {
    for line in row[run.top * w..run.bottom * w].chunks_exact_mut(w) {
        line[..lo].fill(E::ZERO);
        line[hi..].fill(E::ZERO);
    }
}

/// The inverse scatter of [`im2col`]: adds each element of `col` onto the
/// input position it was read from, into one image `x` (which the caller
/// zeroes first). Windows that overlap add up, as the gradient requires.
///
/// # Panics
/// As [`im2col`].
#[track_caller]
pub fn col2im<E: Element>(col: &[E], x: &mut [E], dims: &ConvDims) {
    (Compiled::<E>::get().col2im)(col, x, dims)
}

/// The body of [col2im], instantiated here for each element type.
pub(crate) fn col2im_impl<E: Element>(col: &[E], x: &mut [E], dims: &ConvDims) {
    check_len("convolution", "an image", x.len(), dims.image_len());
    check_len(
        "convolution",
        "an image's col",
        col.len(),
        dims.patch() * dims.positions(),
    );
    let (out_w, positions) = (dims.out_width(), dims.positions());
    let mut rows = col.chunks_exact(positions);
    for plane in x.chunks_exact_mut(dims.height * dims.width) {
        for i in 0..dims.kernel {
            for j in 0..dims.kernel {
                let row = rows.next().expect("patch rows");
                let columns = valid_columns(out_w, j, dims);
                for (oy, src) in row.chunks_exact(out_w).enumerate() {
                    if let Some(y) = input_index(oy, i, dims.stride, dims.padding, dims.height) {
                        scatter_row(
                            src,
                            &mut plane[y * dims.width..][..dims.width],
                            columns,
                            j,
                            dims,
                        );
                    }
                }
            }
        }
    }
}

/// [`col2im`] of a `col` the caller is done with (its padded columns may
/// be zeroed): at stride 1 with "same" padding each col row is added onto
/// the plane in one run at a fixed offset, as [`shifted_plane`] copies it,
/// instead of line by line (the lines of DeepConvNet's planes are 8 to 28
/// elements, each its own short loop: col2im was a tenth of its step).
/// Every element gets the same additions in the same order as from
/// [`col2im`].
pub(super) fn col2im_consuming<E: Element>(col: &mut [E], x: &mut [E], dims: &ConvDims) {
    (Compiled::<E>::get().col2im_consuming)(col, x, dims)
}

/// The body of [col2im_consuming], instantiated here for each element type.
pub(crate) fn col2im_consuming_impl<E: Element>(col: &mut [E], x: &mut [E], dims: &ConvDims) {
    let (out_w, positions) = (dims.out_width(), dims.positions());
    if dims.stride != 1 || out_w != dims.width {
        return col2im_impl(col, x, dims);
    }
    check_len("convolution", "an image", x.len(), dims.image_len());
    check_len(
        "convolution",
        "an image's col",
        col.len(),
        dims.patch() * positions,
    );
    let mut rows = col.chunks_exact_mut(positions);
    for plane in x.chunks_exact_mut(dims.height * dims.width) {
        for i in 0..dims.kernel {
            for j in 0..dims.kernel {
                let row = rows.next().expect("patch rows");
                let columns = valid_columns(out_w, j, dims);
                shifted_add(row, plane, (i, j), columns, dims);
            }
        }
    }
}

/// The adjoint of [`shifted_plane`]: `plane[(oy + i − p)·w + ox + j − p]
/// += row[oy·w + ox]` for the valid lines and columns. The padded columns
/// of `row` are zeroed first: in the one run they land on the ends of the
/// neighbouring line, where adding zero changes nothing.
fn shifted_add<E: Element>(
    row: &mut [E],
    plane: &mut [E],
    (i, j): (usize, usize),
    columns: (usize, usize),
    dims: &ConvDims,
) {
    let run = ShiftedRun::new(plane.len(), (i, j), dims);
    zero_padded_columns(row, &run, columns, dims.width);
    // The row elements outside `first..last` are padded columns too.
    let (first, last) = (run.first, run.last);
    if first < last {
        let to = &mut plane[run.from..run.from + (last - first)];
        for (d, &v) in to.iter_mut().zip(&row[first..last]) {
            *d += v;
        }
    }
}

/// The input coordinate read by output coordinate `out` at kernel offset
/// `offset`, or `None` in the padding.
fn input_index(
    out: usize,
    offset: usize,
    stride: usize,
    padding: usize,
    extent: usize,
) -> Option<usize> {
    (out * stride + offset)
        .checked_sub(padding)
        .filter(|&i| i < extent)
}

/// The output columns `lo..hi` whose input column `ox·s + j − p` lies
/// inside `0..width`, for kernel column `j`: the others read padding.
fn valid_columns(out_w: usize, j: usize, dims: &ConvDims) -> (usize, usize) {
    let (s, p, w) = (dims.stride, dims.padding, dims.width);
    // ox·s + j ≥ p  ⇔  ox ≥ ⌈(p − j) / s⌉.
    let lo = p.saturating_sub(j).div_ceil(s).min(out_w);
    // ox·s + j − p ≤ w − 1  ⇔  ox ≤ ⌊(w − 1 + p − j) / s⌋.
    let hi = match (w + p).checked_sub(j + 1) {
        Some(last) => (last / s + 1).min(out_w),
        None => 0,
    };
    (lo, hi.max(lo))
}

/// One output row of a col row: `out[ox] = line[ox·s + j − p]`, zero in
/// the padding.
fn gather_row<E: Element>(
    line: &[E],
    out: &mut [E],
    (lo, hi): (usize, usize),
    j: usize,
    dims: &ConvDims,
) {
    out[..lo].fill(E::ZERO);
    out[hi..].fill(E::ZERO);
    if lo == hi {
        return;
    }
    let first = lo * dims.stride + j - dims.padding;
    if dims.stride == 1 {
        copy_short_run(&mut out[lo..hi], &line[first..first + (hi - lo)]);
    } else {
        for (o, &v) in out[lo..hi]
            .iter_mut()
            .zip(line[first..].iter().step_by(dims.stride))
        {
            *o = v;
        }
    }
}

/// `dst ← src` for runs as short as a convolution's output lines: up to
/// 64 elements go in blocks of 8 moved inline, the last block overlapping
/// the one before, where `copy_from_slice` calls `memcpy` (SimpleConvNet's
/// im2col copies its 24-element lines 60 000 times a step, and the calls
/// were a thirtieth of the step). Longer and shorter runs use
/// `copy_from_slice`.
fn copy_short_run<E: Copy>(dst: &mut [E], src: &[E]) {
    const BLOCK: usize = 8;
    let n = dst.len();
    if !(BLOCK..=8 * BLOCK).contains(&n) {
        dst.copy_from_slice(src);
        return;
    }
    let (blocks, _) = dst.as_chunks_mut::<BLOCK>();
    for (d, s) in blocks.iter_mut().zip(src.as_chunks::<BLOCK>().0) {
        *d = *s;
    }
    let (last, from) = (&mut dst[n - BLOCK..], &src[n - BLOCK..]);
    let (last, _) = last.as_chunks_mut::<BLOCK>();
    last[0] = from.as_chunks::<BLOCK>().0[0];
}

/// The adjoint of [`gather_row`]: `line[ox·s + j − p] += src[ox]`.
fn scatter_row<E: Element>(
    src: &[E],
    line: &mut [E],
    (lo, hi): (usize, usize),
    j: usize,
    dims: &ConvDims,
) {
    if lo == hi {
        return;
    }
    let first = lo * dims.stride + j - dims.padding;
    if dims.stride == 1 {
        // Two slices of one length: the compiler vectorises this, not the
        // `step_by` loop below (col2im was a fifth of a DeepConvNet step's
        // instructions).
        let n = hi - lo;
        for (l, &v) in line[first..first + n].iter_mut().zip(&src[lo..hi]) {
            *l += v;
        }
        return;
    }
    for (l, &v) in line[first..]
        .iter_mut()
        .step_by(dims.stride)
        .zip(&src[lo..hi])
    {
        *l += v;
    }
}
