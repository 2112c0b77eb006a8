//! Loss functions (chapter 4) and accuracy. Every loss is averaged over the
//! rows (the batch), so its size does not depend on the batch size.

use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::{Error, Result};

/// The `1e-7` the book adds inside the logarithm of cross-entropy so that a
/// probability of exactly 0 gives a large loss rather than infinity.
pub const LOG_EPSILON: f64 = 1e-7;

/// Sum of squared error, `0.5 Σ (y − t)²`, averaged over the rows.
///
/// # Errors
/// [`Error::Shape`] if `y` and `t` have different runtime extents.
///
/// ```
/// use katachi::{func::sum_squared_error, prelude::*};
/// let y = Tensor::<Rank1<3>>::from([0.1, 0.6, 0.3]);
/// let t = Tensor::<Rank1<3>>::from([0.0, 1.0, 0.0]);
/// let e = sum_squared_error(&y, &t)?;
/// assert!((e - 0.5 * (0.01 + 0.16 + 0.09)).abs() < 1e-7);
/// # Ok::<(), katachi::Error>(())
/// ```
pub fn sum_squared_error<S: Shape, E: Element>(y: &Tensor<S, E>, t: &Tensor<S, E>) -> Result<E> {
    y.check_same_shape("sum_squared_error", t)?;
    let half = E::from_f64(0.5);
    let sum: E = y
        .as_slice()
        .iter()
        .zip(t.as_slice())
        .map(|(&y, &t)| (y - t) * (y - t))
        .sum();
    Ok(half * sum / rows_as::<E>(y.num_rows()))
}

/// The gradient of [`sum_squared_error`] with respect to `y`: `(y − t) / rows`.
///
/// # Errors
/// [`Error::Shape`] if `y` and `t` have different runtime extents.
pub fn sum_squared_error_grad<S: Shape, E: Element>(
    y: &Tensor<S, E>,
    t: &Tensor<S, E>,
) -> Result<Tensor<S, E>> {
    let inv = E::ONE / rows_as::<E>(y.num_rows());
    y.zip_map(t, |y, t| (y - t) * inv)
}

/// Cross-entropy with one-hot (or probability) targets,
/// `−Σ t log(y + 1e-7)`, averaged over the rows.
///
/// # Errors
/// [`Error::Shape`] if `y` and `t` have different runtime extents.
///
/// ```
/// use katachi::{func::cross_entropy, prelude::*};
/// let y = Tensor::<Rank1<2>, f64>::from([0.5, 0.5]);
/// let t = Tensor::<Rank1<2>, f64>::from([0.0, 1.0]);
/// assert!((cross_entropy(&y, &t)? - 2f64.ln()).abs() < 1e-6);
/// # Ok::<(), katachi::Error>(())
/// ```
pub fn cross_entropy<S: Shape, E: Element>(y: &Tensor<S, E>, t: &Tensor<S, E>) -> Result<E> {
    y.check_same_shape("cross_entropy", t)?;
    let eps = E::from_f64(LOG_EPSILON);
    let sum: E = y
        .as_slice()
        .iter()
        .zip(t.as_slice())
        .map(|(&y, &t)| t * (y + eps).ln())
        .sum();
    Ok(-sum / rows_as::<E>(y.num_rows()))
}

/// The gradient of [`cross_entropy`] with respect to `y`: `−t / (y + 1e-7) / rows`.
///
/// # Errors
/// [`Error::Shape`] if `y` and `t` have different runtime extents.
pub fn cross_entropy_grad<S: Shape, E: Element>(
    y: &Tensor<S, E>,
    t: &Tensor<S, E>,
) -> Result<Tensor<S, E>> {
    let eps = E::from_f64(LOG_EPSILON);
    let inv = E::ONE / rows_as::<E>(y.num_rows());
    y.zip_map(t, |y, t| -t / (y + eps) * inv)
}

/// Cross-entropy with integer labels, one per row: `−log(y[label] + 1e-7)`,
/// averaged over the rows. Same value as [`cross_entropy`] with one-hot targets.
///
/// # Errors
/// [`Error::BatchMismatch`] if there is not one label per row;
/// [`Error::LabelOutOfRange`] if a label is not below the row length.
///
/// ```
/// use katachi::{func::cross_entropy_labels, prelude::*};
/// let y = Tensor::<Rank2<1, 3>>::from([[0.1, 0.6, 0.3]]);
/// let err = cross_entropy_labels(&y, &[3]).unwrap_err();
/// assert_eq!(err.to_string(), "label 3 at row 0 is out of range: there are 3 classes (0..3)");
/// ```
pub fn cross_entropy_labels<S: Shape, E: Element>(y: &Tensor<S, E>, labels: &[usize]) -> Result<E> {
    check_labels("cross_entropy_labels", y, labels)?;
    let eps = E::from_f64(LOG_EPSILON);
    let sum: E = y
        .rows()
        .zip(labels)
        .map(|(row, &l)| (row[l] + eps).ln())
        .sum();
    Ok(-sum / rows_as::<E>(y.num_rows()))
}

/// The fraction of rows whose largest element is at the label's index.
///
/// # Errors
/// As [`cross_entropy_labels`].
///
/// ```
/// use katachi::{func::accuracy, prelude::*};
/// let y = Tensor::<Rank2<4, 2>>::from([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]);
/// assert_eq!(accuracy(&y, &[0, 1, 1, 1])?, 0.75);
/// # Ok::<(), katachi::Error>(())
/// ```
pub fn accuracy<S: Shape, E: Element>(y: &Tensor<S, E>, labels: &[usize]) -> Result<f64> {
    check_labels("accuracy", y, labels)?;
    let rows = y.num_rows();
    if rows == 0 {
        return Ok(0.0);
    }
    let correct = y
        .rows()
        .zip(labels)
        .filter(|&(row, &l)| {
            row.iter().all(|&v| v <= row[l]) && row[..l].iter().all(|&v| v < row[l])
        })
        .count();
    Ok(correct as f64 / rows as f64)
}

/// One label per row, each below the number of classes (the row length).
pub(crate) fn check_labels<S: Shape, E: Element>(
    what: &'static str,
    y: &Tensor<S, E>,
    labels: &[usize],
) -> Result<()> {
    if labels.len() != y.num_rows() {
        return Err(Error::BatchMismatch {
            what,
            input: y.num_rows(),
            target: labels.len(),
        });
    }
    let classes = y.row_len();
    match labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        Some((row, &label)) => Err(Error::LabelOutOfRange {
            row,
            label,
            classes,
        }),
        None => Ok(()),
    }
}

fn rows_as<E: Element>(rows: usize) -> E {
    // An empty batch has no loss; dividing by 1 keeps it 0 rather than NaN.
    E::from_f64(rows.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::grad::numerical_gradient;
    use crate::shape::{Rank1, Rank2};
    use crate::tensor::Tensor;

    fn book_y(hot: usize) -> Tensor<Rank1<10>, f64> {
        // The book's y has 0.1 at both index 2 and index 7; one of them is 0.6.
        let mut y = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
        y[hot] = 0.6;
        Tensor::from(y)
    }

    fn one_hot_two() -> Tensor<Rank1<10>, f64> {
        Tensor::from_fn(Default::default(), |i| if i[0] == 2 { 1.0 } else { 0.0 })
    }

    #[test]
    fn book_examples_sum_squared_error() {
        let t = one_hot_two();
        assert!((sum_squared_error(&book_y(2), &t).unwrap() - 0.0975).abs() < 1e-12);
        assert!((sum_squared_error(&book_y(7), &t).unwrap() - 0.5975).abs() < 1e-12);
    }

    #[test]
    fn book_examples_cross_entropy_one_hot_and_labels() {
        let t = one_hot_two();
        let good = cross_entropy(&book_y(2), &t).unwrap();
        let bad = cross_entropy(&book_y(7), &t).unwrap();
        assert!((good - 0.510825).abs() < 1e-6, "{good}");
        assert!((bad - 2.302584).abs() < 1e-6, "{bad}");
        assert_eq!(cross_entropy_labels(&book_y(2), &[2]).unwrap(), good);
        assert_eq!(cross_entropy_labels(&book_y(7), &[2]).unwrap(), bad);
    }

    #[test]
    fn losses_average_over_the_batch() {
        let y = Tensor::<Rank2<2, 2>, f64>::from([[0.5, 0.5], [0.5, 0.5]]);
        let ce = cross_entropy_labels(&y, &[0, 1]).unwrap();
        assert!((ce - -(0.5_f64 + 1e-7).ln()).abs() < 1e-15);
        let t = Tensor::<Rank2<2, 2>, f64>::from([[1.0, 0.0], [1.0, 0.0]]);
        assert!((sum_squared_error(&y, &t).unwrap() - 0.25).abs() < 1e-15);
    }

    #[test]
    fn label_errors() {
        let y = Tensor::<Rank2<2, 3>>::default();
        assert_eq!(
            cross_entropy_labels(&y, &[0]).unwrap_err(),
            Error::BatchMismatch {
                what: "cross_entropy_labels",
                input: 2,
                target: 1
            }
        );
        assert_eq!(
            accuracy(&y, &[0, 7]).unwrap_err(),
            Error::LabelOutOfRange {
                row: 1,
                label: 7,
                classes: 3
            }
        );
    }

    #[test]
    fn accuracy_counts_argmax_hits_with_first_index_on_ties() {
        let y = Tensor::<Rank2<3, 3>>::from([[0.2, 0.2, 0.1], [0.0, 1.0, 0.0], [0.3, 0.3, 0.4]]);
        // Row 0 ties at 0 and 1: argmax is 0, so label 1 is a miss.
        assert_eq!(accuracy(&y, &[1, 1, 2]).unwrap(), 2.0 / 3.0);
        assert_eq!(accuracy(&y, &[0, 1, 2]).unwrap(), 1.0);
    }

    #[test]
    fn gradients_match_numerical_gradient() {
        let t = Tensor::<Rank2<2, 3>, f64>::from([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]]);
        let mut y = Tensor::<Rank2<2, 3>, f64>::from([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]);
        type T = Tensor<Rank2<2, 3>, f64>;
        type LossFn = fn(&T, &T) -> Result<f64>;
        type GradFn = fn(&T, &T) -> Result<T>;
        let checks: [(LossFn, GradFn); 2] = [
            (sum_squared_error, sum_squared_error_grad),
            (cross_entropy, cross_entropy_grad),
        ];
        for (loss, grad) in checks {
            let analytic = grad(&y, &t).unwrap();
            let numeric = numerical_gradient(|y| loss(y, &t).unwrap(), &mut y);
            for (a, n) in analytic.as_slice().iter().zip(numeric.as_slice()) {
                // Central-difference error is h²/6·f''' ≈ 4e-7 for −log y at y = 0.2.
                assert!((a - n).abs() < 1e-6 * a.abs().max(1.0), "{a} vs {n}");
            }
        }
    }
}
