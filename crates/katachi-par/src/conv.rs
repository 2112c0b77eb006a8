//! 2-D convolution as the book builds it: im2col, then one GEMM.
//!
//! Layouts, all row-major: input `x` is `batch × channels × height × width`
//! (NCHW); the filters `w` are `filters × (channels·kernel·kernel)`, i.e.
//! `filters × channels × kernel × kernel`; the output `y` is `batch ×
//! filters × out_height × out_width`.
//!
//! Per image, im2col lays the input out as a `patch × positions` matrix
//! (`patch = channels·kernel²`, one column per output position), so the
//! convolution is `Y_n = W · col_n` (`filters × positions`), already in NCHW
//! order: no transpose. Backward: `dW = Σ_n dY_n · col_nᵀ` (`col_n`
//! recomputed from the input, which is cheaper than keeping it), `db = Σ dY`
//! over images and positions, `dcol_n = Wᵀ · dY_n`, and col2im scatters
//! `dcol_n` back onto the input (adding where windows overlap).
//!
//! Images are independent, so work is split across threads by image; `dW`
//! and `db` are summed in fixed groups of images and then group by group,
//! so every result is bit-identical on any number of threads.

use rayon::prelude::*;

use crate::{Accum, Float, MatMut, MatRef, Par, gemm};

/// Images summed into one partial `dW` before partials are added in order.
/// Fixed, so the order of additions does not depend on the thread count.
const IMAGES_PER_PARTIAL: usize = 8;

/// The extents of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvDims {
    /// Images in the batch.
    pub batch: usize,
    /// Input channels.
    pub channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Output channels (filters).
    pub filters: usize,
    /// Kernel extent (square kernels).
    pub kernel: usize,
    /// Step between windows.
    pub stride: usize,
    /// Zeros added on each side of both spatial axes.
    pub padding: usize,
}

impl ConvDims {
    /// `(height + 2·padding − kernel) / stride + 1`.
    ///
    /// # Panics
    /// If the kernel is larger than the padded input or the stride is 0.
    pub fn out_height(&self) -> usize {
        out_extent(self.height, self.kernel, self.stride, self.padding)
    }

    /// `(width + 2·padding − kernel) / stride + 1`.
    ///
    /// # Panics
    /// As [`ConvDims::out_height`].
    pub fn out_width(&self) -> usize {
        out_extent(self.width, self.kernel, self.stride, self.padding)
    }

    /// Output positions per image: `out_height · out_width`.
    pub fn positions(&self) -> usize {
        self.out_height() * self.out_width()
    }

    /// Elements of one window over all channels: `channels · kernel²`.
    pub fn patch(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Elements of one input image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Multiply-adds of the forward product (`batch · filters · patch ·
    /// positions`); the backward takes twice as many (`dW` and `dcol`).
    pub fn flops(&self) -> usize {
        self.batch * self.filters * self.patch() * self.positions()
    }
}

/// The output extent of a window of `kernel` sliding by `stride` over
/// `input` padded by `padding` on both sides.
///
/// # Panics
/// If the window is larger than the padded input or `stride` is 0.
pub fn out_extent(input: usize, kernel: usize, stride: usize, padding: usize) -> usize {
    assert!(stride > 0, "convolution: stride must be positive");
    assert!(
        kernel > 0 && input + 2 * padding >= kernel,
        "convolution: a {kernel}-wide window does not fit an input of {input} padded by {padding}"
    );
    (input + 2 * padding - kernel) / stride + 1
}

#[track_caller]
fn check_len(what: &str, len: usize, expected: usize) {
    assert_eq!(
        len, expected,
        "convolution: {what} must have {expected} elements, has {len}"
    );
}

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
pub fn im2col<E: Float>(x: &[E], col: &mut [E], dims: &ConvDims) {
    (E::kernels().im2col)(x, col, dims)
}

/// The body of [im2col], instantiated here for each element type.
pub(crate) fn im2col_impl<E: Float>(x: &[E], col: &mut [E], dims: &ConvDims) {
    check_len("an image", x.len(), dims.image_len());
    check_len("an image's col", col.len(), dims.patch() * dims.positions());
    let (out_w, positions) = (dims.out_width(), dims.positions());
    let mut rows = col.chunks_exact_mut(positions);
    for plane in x.chunks_exact(dims.height * dims.width) {
        for i in 0..dims.kernel {
            for j in 0..dims.kernel {
                let row = rows.next().expect("patch rows");
                let columns = valid_columns(out_w, j, dims);
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

/// The inverse scatter of [`im2col`]: adds each element of `col` onto the
/// input position it was read from, into one image `x` (which the caller
/// zeroes first). Windows that overlap add up, as the gradient requires.
///
/// # Panics
/// As [`im2col`].
#[track_caller]
pub fn col2im<E: Float>(col: &[E], x: &mut [E], dims: &ConvDims) {
    (E::kernels().col2im)(col, x, dims)
}

/// The body of [col2im], instantiated here for each element type.
pub(crate) fn col2im_impl<E: Float>(col: &[E], x: &mut [E], dims: &ConvDims) {
    check_len("an image", x.len(), dims.image_len());
    check_len("an image's col", col.len(), dims.patch() * dims.positions());
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
fn gather_row<E: Float>(
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
        out[lo..hi].copy_from_slice(&line[first..first + (hi - lo)]);
    } else {
        for (o, &v) in out[lo..hi]
            .iter_mut()
            .zip(line[first..].iter().step_by(dims.stride))
        {
            *o = v;
        }
    }
}

/// The adjoint of [`gather_row`]: `line[ox·s + j − p] += src[ox]`.
fn scatter_row<E: Float>(
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
    for (l, &v) in line[first..]
        .iter_mut()
        .step_by(dims.stride)
        .zip(&src[lo..hi])
    {
        *l += v;
    }
}

/// `y ← w * x + b`.
///
/// Each image is laid out by im2col into a scratch buffer of the thread
/// working on it (`patch × positions`, 57 KB for a 5×5 kernel on 28×28),
/// not into a batch-sized matrix: that matrix would be written here and
/// read back by [`param_grads`] through main memory (5.8 MB for a batch of
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
pub fn forward<E: Float>(x: &[E], w: &[E], b: &[E], y: &mut [E], dims: &ConvDims, par: Par) {
    (E::kernels().conv_forward)(x, w, b, y, dims, par)
}

/// The body of [forward], instantiated here for each element type.
pub(crate) fn forward_impl<E: Float>(
    x: &[E],
    w: &[E],
    b: &[E],
    y: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    check_len("x", x.len(), dims.batch * dims.image_len());
    check_len("w", w.len(), filters * patch);
    check_len("b", b.len(), filters);
    check_len("y", y.len(), dims.batch * filters * positions);
    if dims.batch == 0 || positions == 0 || filters == 0 {
        return;
    }
    let image = |col: &mut Vec<E>, (x, y): (&[E], &mut [E])| image_forward(x, w, b, col, y, dims);
    let scratch = || vec![E::ZERO; patch * positions];
    let image_len = dims.image_len().max(1);
    if par.split(dims.flops()) {
        x.par_chunks(image_len)
            .zip(y.par_chunks_mut(filters * positions))
            .for_each_init(scratch, image);
    } else {
        let mut col = scratch();
        x.chunks(image_len)
            .zip(y.chunks_mut(filters * positions))
            .for_each(|pair| image(&mut col, pair));
    }
}

/// One image: im2col into `col`, then `y ← W·col + b` (bias per filter row).
fn image_forward<E: Float>(x: &[E], w: &[E], b: &[E], col: &mut [E], y: &mut [E], dims: &ConvDims) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    im2col(x, col, dims);
    let out = MatMut::row_major(y, filters, positions);
    let (w, col) = (
        MatRef::row_major(w, filters, patch),
        MatRef::row_major(col, patch, positions),
    );
    gemm(out, Accum::Replace, w, col, Par::Seq);
    for (row, &bias) in y.chunks_exact_mut(positions).zip(b) {
        row.iter_mut().for_each(|v| *v += bias);
    }
}

/// The sum of `v`, in eight interleaved lanes (so the compiler can keep
/// them in one vector register), combined in a fixed order.
fn lane_sum<E: Float>(v: &[E]) -> E {
    const LANES: usize = 8;
    let mut lanes = [E::ZERO; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder().iter().fold(E::ZERO, |acc, &x| acc + x);
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += x;
        }
    }
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + b) + (c + d)) + ((e + f) + (g + h)) + tail
}

/// `dw ← Σ_n dY_n · col_nᵀ` and `db ← Σ dY`, from the input `x` of the
/// forward pass (its im2col matrices are recomputed, see [`forward`]) and
/// the upstream gradient `dy` (`batch · filters · positions`). Overwrites
/// `dw` and `db`.
///
/// # Panics
/// If a slice's length does not match `dims`.
#[track_caller]
pub fn param_grads<E: Float>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    db: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    (E::kernels().conv_param_grads)(x, dy, dw, db, dims, par)
}

/// The body of [param_grads], instantiated here for each element type.
pub(crate) fn param_grads_impl<E: Float>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    db: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    check_len("x", x.len(), dims.batch * dims.image_len());
    check_len("dy", dy.len(), dims.batch * filters * positions);
    check_len("dw", dw.len(), filters * patch);
    check_len("db", db.len(), filters);
    dw.fill(E::ZERO);
    db.fill(E::ZERO);
    if dims.batch == 0 || positions == 0 || filters == 0 {
        return;
    }
    // One partial (dW then db) per group of images; each group adds its
    // images in order, then the partials are added in group order.
    let partial_len = filters * patch + filters;
    let groups = dims.batch.div_ceil(IMAGES_PER_PARTIAL);
    let mut partials = vec![E::ZERO; groups * partial_len];
    let image_len = dims.image_len().max(1);
    let (x_group, dy_group) = (
        IMAGES_PER_PARTIAL * image_len,
        IMAGES_PER_PARTIAL * filters * positions,
    );
    let group = |col: &mut Vec<E>, ((partial, x), dy): ((&mut [E], &[E]), &[E])| {
        let (pdw, pdb) = partial.split_at_mut(filters * patch);
        for (x, dy) in x
            .chunks_exact(image_len)
            .zip(dy.chunks_exact(filters * positions))
        {
            im2col(x, col, dims);
            gemm(
                MatMut::row_major(pdw, filters, patch),
                Accum::Add,
                MatRef::row_major(dy, filters, positions),
                MatRef::row_major(col, patch, positions).t(),
                Par::Seq,
            );
            for (s, row) in pdb.iter_mut().zip(dy.chunks_exact(positions)) {
                *s += lane_sum(row);
            }
        }
    };
    let scratch = || vec![E::ZERO; patch * positions];
    if par.split(2 * dims.flops()) {
        partials
            .par_chunks_mut(partial_len)
            .zip(x.par_chunks(x_group))
            .zip(dy.par_chunks(dy_group))
            .for_each_init(scratch, group);
    } else {
        let mut col = scratch();
        partials
            .chunks_mut(partial_len)
            .zip(x.chunks(x_group))
            .zip(dy.chunks(dy_group))
            .for_each(|task| group(&mut col, task));
    }
    for partial in partials.chunks_exact(partial_len) {
        let (pdw, pdb) = partial.split_at(filters * patch);
        dw.iter_mut().zip(pdw).for_each(|(d, &p)| *d += p);
        db.iter_mut().zip(pdb).for_each(|(d, &p)| *d += p);
    }
}

/// `dx ← col2im(Wᵀ · dY_n)` for every image: the gradient of the input.
/// Overwrites `dx` (`batch · image_len`).
///
/// # Panics
/// If a slice's length does not match `dims`.
#[track_caller]
pub fn input_grad<E: Float>(w: &[E], dy: &[E], dx: &mut [E], dims: &ConvDims, par: Par) {
    (E::kernels().conv_input_grad)(w, dy, dx, dims, par)
}

/// The body of [input_grad], instantiated here for each element type.
pub(crate) fn input_grad_impl<E: Float>(
    w: &[E],
    dy: &[E],
    dx: &mut [E],
    dims: &ConvDims,
    par: Par,
) {
    let (patch, positions, filters) = (dims.patch(), dims.positions(), dims.filters);
    check_len("w", w.len(), filters * patch);
    check_len("dy", dy.len(), dims.batch * filters * positions);
    check_len("dx", dx.len(), dims.batch * dims.image_len());
    dx.fill(E::ZERO);
    if dims.batch == 0 || positions == 0 || filters == 0 || dims.image_len() == 0 {
        return;
    }
    let image = |dcol: &mut Vec<E>, (dx, dy): (&mut [E], &[E])| {
        gemm(
            MatMut::row_major(dcol, patch, positions),
            Accum::Replace,
            MatRef::row_major(w, filters, patch).t(),
            MatRef::row_major(dy, filters, positions),
            Par::Seq,
        );
        col2im(dcol, dx, dims);
    };
    let scratch = || vec![E::ZERO; patch * positions];
    if par.split(dims.flops()) {
        dx.par_chunks_mut(dims.image_len())
            .zip(dy.par_chunks(filters * positions))
            .for_each_init(scratch, image);
    } else {
        let mut dcol = scratch();
        dx.chunks_mut(dims.image_len())
            .zip(dy.chunks(filters * positions))
            .for_each(|pair| image(&mut dcol, pair));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::par::on_pool;
    use rand::{Rng, SeedableRng};

    fn random(len: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    fn dims(stride: usize, padding: usize) -> ConvDims {
        ConvDims {
            batch: 11,
            channels: 3,
            height: 7,
            width: 6,
            filters: 4,
            kernel: 3,
            stride,
            padding,
        }
    }

    /// The convolution straight from its definition.
    fn direct(x: &[f64], w: &[f64], b: &[f64], d: &ConvDims) -> Vec<f64> {
        let (oh, ow) = (d.out_height(), d.out_width());
        let mut y = vec![0.0; d.batch * d.filters * oh * ow];
        for n in 0..d.batch {
            for f in 0..d.filters {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut sum = b[f];
                        for c in 0..d.channels {
                            for i in 0..d.kernel {
                                for j in 0..d.kernel {
                                    let (iy, ix) = (oy * d.stride + i, ox * d.stride + j);
                                    if iy < d.padding || ix < d.padding {
                                        continue;
                                    }
                                    let (iy, ix) = (iy - d.padding, ix - d.padding);
                                    if iy >= d.height || ix >= d.width {
                                        continue;
                                    }
                                    let xi = ((n * d.channels + c) * d.height + iy) * d.width + ix;
                                    let wi = ((f * d.channels + c) * d.kernel + i) * d.kernel + j;
                                    sum += x[xi] * w[wi];
                                }
                            }
                        }
                        y[((n * d.filters + f) * oh + oy) * ow + ox] = sum;
                    }
                }
            }
        }
        y
    }

    #[test]
    fn forward_matches_the_definition_with_stride_and_padding() {
        for (stride, padding) in [(1, 0), (1, 1), (2, 0), (2, 2), (3, 1), (1, 3), (2, 3)] {
            let d = dims(stride, padding);
            let x = random(d.batch * d.image_len(), 1);
            let w = random(d.filters * d.patch(), 2);
            let b = random(d.filters, 3);
            let mut y = vec![0.0; d.batch * d.filters * d.positions()];
            forward(&x, &w, &b, &mut y, &d, Par::Seq);
            for (got, want) in y.iter().zip(direct(&x, &w, &b, &d)) {
                assert!(
                    (got - want).abs() < 1e-12,
                    "stride {stride} padding {padding}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn lane_sums_add_every_element() {
        for n in [0, 1, 7, 8, 9, 100] {
            let v: Vec<f64> = (1..=n).map(f64::from).collect();
            assert_eq!(lane_sum(&v), f64::from(n * (n + 1) / 2), "n = {n}");
        }
    }

    /// `<col2im(c), x> = <c, im2col(x)>`: col2im is the adjoint of im2col,
    /// which is exactly what the input gradient needs.
    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        for (stride, padding) in [(1, 0), (1, 2), (2, 1), (3, 0)] {
            let d = ConvDims {
                batch: 1,
                ..dims(stride, padding)
            };
            let x = random(d.image_len(), 4);
            let c = random(d.patch() * d.positions(), 5);
            let mut col = vec![0.0; c.len()];
            im2col(&x, &mut col, &d);
            let mut back = vec![0.0; x.len()];
            col2im(&c, &mut back, &d);
            let lhs: f64 = back.iter().zip(&x).map(|(a, b)| a * b).sum();
            let rhs: f64 = c.iter().zip(&col).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
        }
    }

    /// The gradients against the definition: for the loss `<dy, y>`,
    /// `dW[f, q] = Σ dy · ∂y/∂W`, computed from `direct` with unit filters.
    #[test]
    fn gradients_match_the_definition() {
        let d = dims(2, 1);
        let x = random(d.batch * d.image_len(), 6);
        let w = random(d.filters * d.patch(), 7);
        let dy = random(d.batch * d.filters * d.positions(), 8);
        let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; 4], vec![0.0; x.len()]);
        param_grads(&x, &dy, &mut dw, &mut db, &d, Par::Seq);
        input_grad(&w, &dy, &mut dx, &d, Par::Seq);
        // y is linear in w, b and x: each gradient element is <dy, y(e_k)>.
        let dot = |y: Vec<f64>| y.iter().zip(&dy).map(|(a, b)| a * b).sum::<f64>();
        for k in [0, 5, 17, w.len() - 1] {
            let mut unit = vec![0.0; w.len()];
            unit[k] = 1.0;
            let want = dot(direct(&x, &unit, &[0.0; 4], &d));
            assert!((dw[k] - want).abs() < 1e-12, "dw[{k}]: {} vs {want}", dw[k]);
        }
        for f in 0..4 {
            let mut unit = [0.0; 4];
            unit[f] = 1.0;
            let want = dot(direct(&x, &vec![0.0; w.len()], &unit, &d));
            assert!((db[f] - want).abs() < 1e-12);
        }
        for k in [0, 3, 100, x.len() - 1] {
            let mut unit = vec![0.0; x.len()];
            unit[k] = 1.0;
            let want = dot(direct(&unit, &w, &[0.0; 4], &d));
            assert!((dx[k] - want).abs() < 1e-12, "dx[{k}]: {} vs {want}", dx[k]);
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        // Large enough to be split: 40 images of 3×28×28, 8 filters.
        let d = ConvDims {
            batch: 40,
            channels: 3,
            height: 28,
            width: 28,
            filters: 8,
            kernel: 5,
            stride: 1,
            padding: 2,
        };
        let x: Vec<f32> = random(d.batch * d.image_len(), 9)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let w: Vec<f32> = random(d.filters * d.patch(), 10)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let dy: Vec<f32> = random(d.batch * d.filters * d.positions(), 11)
            .iter()
            .map(|&v| v as f32)
            .collect();
        assert!(Par::Rayon.split(d.flops()) || rayon::current_num_threads() == 1);
        let run = || {
            let mut y = vec![0.0; dy.len()];
            forward(&x, &w, &[0.5; 8], &mut y, &d, Par::Rayon);
            let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; 8], vec![0.0; x.len()]);
            param_grads(&x, &dy, &mut dw, &mut db, &d, Par::Rayon);
            input_grad(&w, &dy, &mut dx, &d, Par::Rayon);
            (y, dw, db, dx)
        };
        let one = on_pool(1, run);
        for threads in [2, 3, 8] {
            assert!(
                on_pool(threads, run) == one,
                "{threads} threads differ from one"
            );
        }
    }

    #[test]
    #[should_panic(expected = "a 5-wide window does not fit an input of 4 padded by 0")]
    fn a_kernel_larger_than_the_input_is_refused() {
        let _ = ConvDims {
            height: 4,
            kernel: 5,
            ..dims(1, 0)
        }
        .out_height();
    }
}
