//! Softmax along the last axis.
//!
//! `softmax(a)_k = exp(a_k) / Σ_i exp(a_i)`. Multiplying numerator and
//! denominator by `exp(−max a)` changes nothing mathematically but keeps every
//! exponent ≤ 0, so `exp` never overflows: softmax of `[1000, 1000]` is
//! `[0.5, 0.5]`, not `NaN`.

use katachi_par::{Par, softmax_xent};

use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::Result;

/// Softmax of each row (along the last axis).
///
/// ```
/// use katachi::{func::softmax, prelude::*};
/// let y = softmax(&Tensor::<Rank1<2>>::from([1000.0, 1000.0]));
/// assert_eq!(y.as_slice(), &[0.5, 0.5]);
/// ```
pub fn softmax<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    let mut y = Tensor::zeros(x.shape());
    softmax_xent::softmax_rows(x.as_slice(), y.as_mut_slice(), x.row_len(), Par::Rayon);
    y
}

/// The backward pass of softmax (its Jacobian applied to an upstream
/// gradient): `dx = y ⊙ (dy − Σ_row dy ⊙ y)`, given the output `y`.
///
/// # Errors
/// [`crate::error::Error::Shape`] if `y` and `dy` have different runtime extents.
pub fn softmax_backward<S: Shape, E: Element>(
    y: &Tensor<S, E>,
    dy: &Tensor<S, E>,
) -> Result<Tensor<S, E>> {
    y.check_same_shape("softmax_backward", dy)?;
    let mut dx = Tensor::zeros(y.shape());
    let n = y.row_len();
    if n > 0 {
        for ((y, dy), dx) in y
            .as_slice()
            .chunks_exact(n)
            .zip(dy.as_slice().chunks_exact(n))
            .zip(dx.as_mut_slice().chunks_exact_mut(n))
        {
            let dot: E = y.iter().zip(dy).map(|(&y, &d)| y * d).sum();
            for ((dx, &y), &dy) in dx.iter_mut().zip(y).zip(dy) {
                *dx = y * (dy - dot);
            }
        }
    }
    Ok(dx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grad::numerical_gradient;
    use crate::shape::{Rank1, Rank2};
    use crate::tensor::Tensor;

    #[test]
    fn book_example_to_five_decimals() {
        let y = softmax(&Tensor::<Rank1<3>, f64>::from([0.3, 2.9, 4.0]));
        let want = [0.01821, 0.24519, 0.73660];
        for (y, w) in y.as_slice().iter().zip(want) {
            assert!((y - w).abs() < 5e-6, "{y} vs {w}");
        }
        assert!((y.sum() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn every_row_sums_to_one_and_is_shift_invariant() {
        let x = Tensor::<Rank2<3, 4>, f64>::from_fn(Default::default(), |i| {
            (i[0] as f64 - 1.0) * 300.0 + i[1] as f64
        });
        let y = softmax(&x);
        for row in y.rows() {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        let shifted = softmax(&x.map(|v| v + 50.0));
        for (a, b) in y.as_slice().iter().zip(shifted.as_slice()) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn backward_matches_numerical_gradient() {
        // L = Σ w ⊙ softmax(x) for fixed weights w: dL/dx = softmax_backward(y, w).
        let w = Tensor::<Rank2<2, 3>, f64>::from([[0.3, -1.0, 2.0], [1.5, 0.2, -0.7]]);
        let mut x = Tensor::<Rank2<2, 3>, f64>::from([[0.1, 0.5, -0.2], [2.0, -1.0, 0.3]]);
        let analytic = softmax_backward(&softmax(&x), &w).unwrap();
        let numeric = numerical_gradient(
            |x| softmax(x).zip_map(&w, |a, b| a * b).unwrap().sum(),
            &mut x,
        );
        for (a, n) in analytic.as_slice().iter().zip(numeric.as_slice()) {
            assert!((a - n).abs() < 1e-9, "{a} vs {n}");
        }
    }
}
