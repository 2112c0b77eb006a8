//! Softmax followed by cross-entropy, the book's `SoftmaxWithLoss`.
//!
//! For each row `a` of the logits: `y = exp(a − max a) / Σ exp(a − max a)`
//! (shifting by the maximum keeps `exp` finite for any input), and the loss is
//! `−Σ t log y`, averaged over the rows. The backward pass is the famously
//! simple `(y − t) / batch`.
//!
//! The loss is computed as `log-sum-exp`: `−log y_k = log Σ exp(a − max a) −
//! (a_k − max a)`. That is exactly the function whose gradient backward
//! returns, and it never takes `log 0`, so it needs no `+ 1e-7` guard. (The
//! book's guard, `−Σ t log(y + 1e-7)`, belongs to a cross-entropy that only
//! sees probabilities; it shifts the gradient by a relative `1e-7 / y`, which
//! a gradient check in `f64` would flag.)
//!
//! Probabilities are computed row-parallel; the loss is then summed row by
//! row in order, so it is the same whatever the thread count.

use rayon::prelude::*;

use crate::{Float, Par};

/// `y ← softmax(a)` row by row, for rows of `classes` elements.
///
/// # Panics
/// If `a` and `y` differ in length, or it is not a multiple of `classes`.
#[track_caller]
pub fn softmax_rows<E: Float>(a: &[E], y: &mut [E], classes: usize, par: Par) {
    assert_eq!(
        a.len(),
        y.len(),
        "softmax: {} logits but {} outputs",
        a.len(),
        y.len()
    );
    if classes == 0 {
        return;
    }
    assert_eq!(
        a.len() % classes,
        0,
        "softmax: {} elements is not a whole number of {classes}-wide rows",
        a.len()
    );
    let row = |(a, y): (&[E], &mut [E])| softmax_row(a, y);
    if par.split(a.len() * 8) {
        a.par_chunks_exact(classes)
            .zip(y.par_chunks_exact_mut(classes))
            .for_each(row);
    } else {
        a.chunks_exact(classes)
            .zip(y.chunks_exact_mut(classes))
            .for_each(row);
    }
}

fn softmax_row<E: Float>(a: &[E], y: &mut [E]) {
    let max = a.iter().copied().fold(a[0], E::max);
    let mut sum = E::ZERO;
    for (y, &a) in y.iter_mut().zip(a) {
        *y = (a - max).exp();
        sum += *y;
    }
    let inv = E::ONE / sum;
    y.iter_mut().for_each(|y| *y *= inv);
}

/// `log Σ exp(a)`, shifted by the maximum so no `exp` overflows.
fn log_sum_exp<E: Float>(a: &[E]) -> E {
    let max = a.iter().copied().fold(a[0], E::max);
    let sum: E = a.iter().map(|&a| (a - max).exp()).sum();
    sum.ln() + max
}

#[track_caller]
fn check_labels(labels: &[usize], rows: usize, classes: usize) {
    assert_eq!(
        labels.len(),
        rows,
        "softmax-with-loss: {rows} rows but {} labels",
        labels.len()
    );
    if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        panic!("softmax-with-loss: label {l} at row {i} is not below {classes} classes");
    }
}

/// Forward with integer labels: fills `probs` and returns the mean loss.
///
/// # Panics
/// If lengths disagree or a label is `≥ classes` (callers validate labels
/// where they enter; `katachi-core` does).
///
/// # Example
/// ```
/// use katachi_par::{softmax_xent, Par};
/// let logits = [0.0_f64, 0.0];
/// let mut probs = [0.0; 2];
/// let loss = softmax_xent::forward_labels(&logits, &[1], &mut probs, 2, Par::Seq);
/// assert_eq!(probs, [0.5, 0.5]);
/// assert!((loss - 2f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn forward_labels<E: Float>(
    logits: &[E],
    labels: &[usize],
    probs: &mut [E],
    classes: usize,
    par: Par,
) -> E {
    softmax_rows(logits, probs, classes, par);
    if classes == 0 {
        return E::ZERO;
    }
    let rows = logits.len() / classes;
    check_labels(labels, rows, classes);
    let total: E = logits
        .chunks_exact(classes)
        .zip(labels)
        .map(|(a, &l)| log_sum_exp(a) - a[l])
        .sum();
    total / E::from_f64(rows.max(1) as f64)
}

/// Forward with one-hot (or any probability) targets of the logits' shape.
///
/// # Panics
/// If lengths disagree.
#[track_caller]
pub fn forward_targets<E: Float>(
    logits: &[E],
    targets: &[E],
    probs: &mut [E],
    classes: usize,
    par: Par,
) -> E {
    assert_eq!(
        targets.len(),
        logits.len(),
        "softmax-with-loss: {} logits but {} targets",
        logits.len(),
        targets.len()
    );
    softmax_rows(logits, probs, classes, par);
    if classes == 0 {
        return E::ZERO;
    }
    let rows = logits.len() / classes;
    let total: E = logits
        .chunks_exact(classes)
        .zip(targets.chunks_exact(classes))
        .map(|(a, t)| {
            let lse = log_sum_exp(a);
            t.iter()
                .zip(a)
                .map(|(&t, &a)| if t == E::ZERO { E::ZERO } else { t * (lse - a) })
                .sum::<E>()
        })
        .sum();
    total / E::from_f64(rows.max(1) as f64)
}

/// Backward with integer labels: `dx ← (probs − onehot(labels)) / batch`.
///
/// # Panics
/// As [`forward_labels`].
#[track_caller]
pub fn backward_labels<E: Float>(probs: &[E], labels: &[usize], dx: &mut [E], classes: usize) {
    assert_eq!(
        probs.len(),
        dx.len(),
        "softmax-with-loss backward: {} probabilities but {} gradients",
        probs.len(),
        dx.len()
    );
    if classes == 0 {
        return;
    }
    let rows = probs.len() / classes;
    check_labels(labels, rows, classes);
    let inv = E::ONE / E::from_f64(rows.max(1) as f64);
    for (i, (p, d)) in probs
        .chunks_exact(classes)
        .zip(dx.chunks_exact_mut(classes))
        .enumerate()
    {
        for (j, (&p, d)) in p.iter().zip(d.iter_mut()).enumerate() {
            let t = if j == labels[i] { E::ONE } else { E::ZERO };
            *d = (p - t) * inv;
        }
    }
}

/// Backward with targets: `dx ← (probs − targets) / batch`.
///
/// # Panics
/// If lengths disagree.
#[track_caller]
pub fn backward_targets<E: Float>(probs: &[E], targets: &[E], dx: &mut [E], classes: usize) {
    assert!(
        probs.len() == dx.len() && probs.len() == targets.len(),
        "softmax-with-loss backward: {} probabilities, {} targets, {} gradients",
        probs.len(),
        targets.len(),
        dx.len()
    );
    if classes == 0 {
        return;
    }
    let inv = E::ONE / E::from_f64((probs.len() / classes).max(1) as f64);
    for ((&p, &t), d) in probs.iter().zip(targets).zip(dx.iter_mut()) {
        *d = (p - t) * inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_of_huge_equal_logits_is_uniform() {
        let mut y = [0.0_f32; 2];
        softmax_rows(&[1000.0, 1000.0], &mut y, 2, Par::Seq);
        assert_eq!(y, [0.5, 0.5]);
    }

    #[test]
    fn labels_and_one_hot_targets_agree() {
        let logits = [0.3_f64, 2.9, 4.0, -1.0, 0.0, 1.0];
        let (mut p1, mut p2) = ([0.0; 6], [0.0; 6]);
        let l1 = forward_labels(&logits, &[2, 0], &mut p1, 3, Par::Seq);
        let l2 = forward_targets(
            &logits,
            &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
            &mut p2,
            3,
            Par::Seq,
        );
        assert_eq!(p1, p2);
        assert!((l1 - l2).abs() < 1e-15);
        let (mut d1, mut d2) = ([0.0; 6], [0.0; 6]);
        backward_labels(&p1, &[2, 0], &mut d1, 3);
        backward_targets(&p2, &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0], &mut d2, 3);
        assert_eq!(d1, d2);
        // Each row of (y − t) sums to 0, halved by the batch of 2.
        assert!((d1[0] + d1[1] + d1[2]).abs() < 1e-15);
        assert!((d1[2] - (p1[2] - 1.0) / 2.0).abs() < 1e-15);
    }

    #[test]
    fn loss_is_exact_even_for_vanishing_probabilities() {
        // y_0 = e^-100 / (1 + e^-100): log(y + 1e-7) would give 16.1, the truth is ~100.
        let mut probs = [0.0_f64; 2];
        let loss = forward_labels(&[0.0, 100.0], &[0], &mut probs, 2, Par::Seq);
        assert!(
            (loss - (100.0 + (-100.0_f64).exp().ln_1p())).abs() < 1e-12,
            "{loss}"
        );
    }

    #[test]
    #[should_panic(expected = "label 3 at row 1 is not below 3 classes")]
    fn out_of_range_label_is_reported() {
        forward_labels(&[0.0_f32; 6], &[0, 3], &mut [0.0; 6], 3, Par::Seq);
    }
}
