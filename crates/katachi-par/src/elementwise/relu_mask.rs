//! ReLU through a mask: its derivative depends only on whether the output is
//! positive, so a layer can keep one byte per element for its backward
//! instead of a copy of the output (a quarter of the bytes in `f32`, an
//! eighth in `f64`). On a CNN's activations, megabytes per layer, that is
//! memory traffic the forward no longer writes and the backward no longer
//! reads.

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::par::{ELEMENTS_PER_TASK, Par};
use crate::team;
use crate::wide::wide;

use super::Activation;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        relu_keeping_mask: fn(&mut [E], &mut [u8], Par) = relu_keeping_mask_impl,
        relu_grad_from_mask: fn(&mut [E], &[u8], Par) = relu_grad_from_mask_impl,
    }
);

/// `x ← max(0, x)` element-wise, and `positive[i] ← 1` where the result is
/// positive, else 0 (NaN maps to 0 and is not positive, as
/// [`Activation::Relu`] takes it).
///
/// # Panics
/// If `positive` has another length than `x`.
///
/// ```
/// use katachi::par::{Par, elementwise::{relu_grad_from_mask, relu_keeping_mask}};
/// let mut x = [-1.0_f32, 0.0, 2.0];
/// let mut positive = [9_u8; 3];
/// relu_keeping_mask(&mut x, &mut positive, Par::Seq);
/// assert_eq!((x, positive), ([0.0, 0.0, 2.0], [0, 0, 1]));
///
/// let mut dy = [5.0_f32, 5.0, 5.0];
/// relu_grad_from_mask(&mut dy, &positive, Par::Seq);
/// assert_eq!(dy, [0.0, 0.0, 5.0]);
/// ```
#[track_caller]
pub fn relu_keeping_mask<E: Element>(x: &mut [E], positive: &mut [u8], par: Par) {
    (Compiled::<E>::get().relu_keeping_mask)(x, positive, par)
}

/// The body of [relu_keeping_mask], instantiated here for each element type.
pub(crate) fn relu_keeping_mask_impl<E: Element>(x: &mut [E], positive: &mut [u8], par: Par) {
    assert_eq!(x.len(), positive.len(), "relu: the mask's length");
    let each = |(x, positive): (&mut [E], &mut [u8])| wide(|| relu_keeping_mask_seq(x, positive));
    if par.split_elements(x.len()) {
        let chunks = x.chunks_mut(ELEMENTS_PER_TASK);
        let chunks = chunks.zip(positive.chunks_mut(ELEMENTS_PER_TASK));
        team::for_each(par.threads(), chunks, each);
    } else {
        each((x, positive));
    }
}

/// `dy ← dy · f'` for ReLU, from the mask [relu_keeping_mask] kept: the
/// same products as [`activation_grad`](super::activation_grad) with
/// [`Activation::Relu`] and the kept output, bit for bit (a NaN or an
/// infinity in `dy` still gives NaN where the mask is 0: it is multiplied
/// by zero, not replaced).
///
/// # Panics
/// If `positive` has another length than `dy`.
#[track_caller]
pub fn relu_grad_from_mask<E: Element>(dy: &mut [E], positive: &[u8], par: Par) {
    (Compiled::<E>::get().relu_grad_from_mask)(dy, positive, par)
}

/// The body of [relu_grad_from_mask], instantiated here for each element
/// type.
pub(crate) fn relu_grad_from_mask_impl<E: Element>(dy: &mut [E], positive: &[u8], par: Par) {
    assert_eq!(dy.len(), positive.len(), "relu gradient: the mask's length");
    let each = |(dy, positive): (&mut [E], &[u8])| wide(|| relu_grad_from_mask_seq(dy, positive));
    if par.split_elements(dy.len()) {
        let chunks = dy.chunks_mut(ELEMENTS_PER_TASK);
        team::for_each(
            par.threads(),
            chunks.zip(positive.chunks(ELEMENTS_PER_TASK)),
            each,
        );
    } else {
        each((dy, positive));
    }
}

/// One thread's part of [relu_keeping_mask].
#[inline(always)]
fn relu_keeping_mask_seq<E: Element>(x: &mut [E], positive: &mut [u8]) {
    x.iter_mut().zip(positive).for_each(|(v, p)| {
        *v = Activation::Relu.f(*v);
        *p = u8::from(*v > E::ZERO);
    })
}

/// One thread's part of [relu_grad_from_mask].
#[inline(always)]
fn relu_grad_from_mask_seq<E: Element>(dy: &mut [E], positive: &[u8]) {
    // Whether the mask is set, as 0.0 or 1.0, multiplied in: with a
    // select on it instead, the compiler skips the product by one and
    // branches on every element.
    dy.iter_mut()
        .zip(positive)
        .for_each(|(d, &p)| *d *= E::from_f64(f64::from(u8::from(p != 0))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elementwise::{activate, activation_grad};
    use crate::par::on_pool;

    /// Inputs with every case the sign test meets: negatives, both zeros,
    /// positives, NaN and the infinities.
    fn inputs() -> Vec<f32> {
        let special = [0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-45];
        (0..300_000)
            .map(|i| match i % 101 {
                k @ 0..6 => special[k],
                _ => ((i * 37) % 97) as f32 / 20.0 - 2.4,
            })
            .collect()
    }

    #[test]
    fn the_mask_gives_the_kept_outputs_results_bit_for_bit_on_any_thread_count() {
        let x = inputs();
        // Upstream gradients with NaN, infinities and signed zeros too, so
        // the product by zero is checked, not only the pass-through.
        let dy: Vec<f32> = x.iter().rev().map(|v| v * 3.0 - 1.0).collect();
        let (mut y, mut kept) = (x.clone(), vec![0.0; x.len()]);
        activate(Activation::Relu, &mut y, Some(&mut kept), Par::Seq);
        let mut reference = dy.clone();
        activation_grad(Activation::Relu, &mut reference, &kept, Par::Seq);
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for threads in [1, 2, 3] {
            let (masked, grad, positive) = on_pool(threads, || {
                let (mut v, mut positive) = (x.clone(), vec![7; x.len()]);
                relu_keeping_mask(&mut v, &mut positive, Par::Rayon);
                let mut d = dy.clone();
                relu_grad_from_mask(&mut d, &positive, Par::Rayon);
                (v, d, positive)
            });
            assert_eq!(bits(&masked), bits(&y), "{threads} threads");
            assert_eq!(bits(&grad), bits(&reference), "{threads} threads");
            for (i, (&p, &v)) in positive.iter().zip(&y).enumerate() {
                assert_eq!(p, u8::from(v > 0.0), "element {i}");
            }
        }
        assert!(
            reference.iter().any(|v| v.is_nan()),
            "a NaN gradient was checked"
        );
    }

    #[test]
    #[should_panic(expected = "relu: the mask's length")]
    fn a_mask_of_another_length_is_refused() {
        relu_keeping_mask(&mut [1.0_f64, 2.0], &mut [0; 3], Par::Seq);
    }
}
