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

use crate::element::Element;
use crate::gemm::GemmScratch;
use crate::par::Par;
use crate::scratch::{with_buffers, with_packing};
use crate::team;

mod backward;
mod forward;
mod im2col;
#[cfg(test)]
mod tests;

pub use crate::extent::out_extent;

/// Images per task of a forward or input-gradient pass: about four tasks
/// per thread when the work is split (each task reuses one column buffer
/// for its images), all of them in one task otherwise. Each image's result
/// is the same whatever the split.
fn images_per_task(batch: usize, split: bool) -> usize {
    match split {
        true => batch.div_ceil(4 * Par::Rayon.threads()).max(1),
        false => batch.max(1),
    }
}

/// Runs `image(col, input_n, output_n)` for each of the `batch` images
/// (`input` in runs of `input_len`, `output` of `output_len`), in tasks
/// across threads when `split`; each task has a column buffer of `col_len`
/// elements and packing buffers for its products, the calling thread's
/// from one call to the next.
#[allow(clippy::too_many_arguments)]
fn per_image<E: Element>(
    input: &[E],
    input_len: usize,
    output: &mut [E],
    output_len: usize,
    batch: usize,
    col_len: usize,
    split: bool,
    image: impl Fn(&mut Vec<E>, &mut GemmScratch<E>, &[E], &mut [E]) + Sync,
) {
    let per_task = images_per_task(batch, split);
    let tasks = batch.div_ceil(per_task);
    let threads = if split { Par::Rayon.threads() } else { 1 };
    let (is, os) = (per_task * input_len, per_task * output_len);
    with_buffers::<E, _>(
        tasks,
        |_| col_len,
        |cols| {
            with_packing(tasks, |packing| {
                let chunks = input.chunks(is).zip(output.chunks_mut(os));
                let tasks = chunks.zip(cols.iter_mut()).zip(packing.iter_mut());
                team::for_each(threads, tasks, |(((input, output), col), packing)| {
                    let images = input.chunks(input_len).zip(output.chunks_mut(output_len));
                    images.for_each(|(i, o)| image(col, packing, i, o));
                });
            })
        },
    );
}

pub use backward::{input_grad, param_grads};
pub use forward::forward;
pub use im2col::{col2im, im2col};

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
