//! Softmax followed by cross-entropy, the book's `SoftmaxWithLoss`, fused.
//!
//! For each row `a` of the logits, one function computes the maximum, the
//! shifted exponentials and their sum, the probabilities
//! `y = exp(a − max a) / Σ exp(a − max a)` (shifting by the maximum keeps
//! `exp` finite for any input), and the row's loss `−Σ t log y`, from the
//! same sum: `−log y_k = log Σ exp(a − max a) − (a_k − max a)`. The loss is
//! averaged over the rows; the backward pass is `(y − t) / batch`.
//!
//! Computing `−log y` this way is exact and never takes `log 0`, so it needs
//! no `+ 1e-7` guard. (The book's guard, `−Σ t log(y + 1e-7)`, belongs to a
//! cross-entropy that only sees probabilities; it shifts the gradient by a
//! relative `1e-7 / y`, which a gradient check in `f64` flags.)
//!
//! Rows are processed in chunks of a fixed size; each chunk's losses are
//! summed in order and the chunk sums are added in order, so the loss is the
//! same, bit for bit, whether the chunks ran on one thread or many.

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::par::{ELEMENTS_PER_TASK, Par};
use crate::team;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        softmax_rows: fn(&[E], &mut [E], usize, Par) = softmax_rows_impl,
        xent_forward: fn(&[E], Targets<'_, E>, &mut [E], usize, Par) -> E = forward_impl,
        xent_backward: fn(&[E], Targets<'_, E>, &mut [E], usize) = backward_impl,
    }
);

/// Rows per chunk of work. Fixed, so the summation order never depends on
/// the thread count.
const ROWS_PER_CHUNK: usize = 64;

/// The target of each row.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a, E> {
    /// One class index per row.
    Labels(&'a [usize]),
    /// A row of target probabilities (one-hot or not) per row of logits.
    Dense(&'a [E]),
}

/// `y ← softmax(a)` row by row, for rows of `classes` elements.
///
/// # Panics
/// If `a` and `y` differ in length, or it is not a multiple of `classes`.
#[track_caller]
pub fn softmax_rows<E: Element>(a: &[E], y: &mut [E], classes: usize, par: Par) {
    (Compiled::<E>::get().softmax_rows)(a, y, classes, par)
}

/// The body of [softmax_rows], instantiated here for each element type.
pub(crate) fn softmax_rows_impl<E: Element>(a: &[E], y: &mut [E], classes: usize, par: Par) {
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
    let row = |(a, y): (&[E], &mut [E])| {
        softmax_row(a, y);
    };
    if par.split(a.len() * 8) {
        // Whole rows, about ELEMENTS_PER_TASK to a task: a row alone is
        // too little work to hand out.
        let len = (ELEMENTS_PER_TASK / classes).max(1) * classes;
        let tasks = a.chunks(len).zip(y.chunks_mut(len));
        team::for_each(par.threads(), tasks, |(a, y)| {
            a.chunks_exact(classes)
                .zip(y.chunks_exact_mut(classes))
                .for_each(row)
        });
    } else {
        a.chunks_exact(classes)
            .zip(y.chunks_exact_mut(classes))
            .for_each(row);
    }
}

/// Softmax of one row; returns `(max a, log Σ exp(a − max a))`.
fn softmax_row<E: Element>(a: &[E], y: &mut [E]) -> (E, E) {
    let max = a.iter().copied().fold(a[0], E::max);
    let mut sum = E::ZERO;
    for (y, &a) in y.iter_mut().zip(a) {
        *y = (a - max).exp();
        sum += *y;
    }
    let inv = E::ONE / sum;
    y.iter_mut().for_each(|y| *y *= inv);
    (max, sum.ln())
}

#[track_caller]
fn check<E: Element>(logits: &[E], targets: &Targets<'_, E>, probs: &[E], classes: usize) -> usize {
    assert_eq!(
        logits.len(),
        probs.len(),
        "softmax-with-loss: {} logits but {} probabilities",
        logits.len(),
        probs.len()
    );
    if classes == 0 {
        return 0;
    }
    assert_eq!(
        logits.len() % classes,
        0,
        "softmax-with-loss: {} logits is not a whole number of {classes}-wide rows",
        logits.len()
    );
    let rows = logits.len() / classes;
    match targets {
        Targets::Labels(labels) => {
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
        Targets::Dense(t) => {
            assert_eq!(
                t.len(),
                logits.len(),
                "softmax-with-loss: {} logits but {} targets",
                logits.len(),
                t.len()
            );
        }
    }
    rows
}

/// The fused forward pass: fills `probs` and returns the mean loss.
///
/// # Panics
/// If lengths disagree or a label is `≥ classes` (callers validate labels
/// where they enter; `katachi-core` does).
///
/// # Example
/// ```
/// use katachi::par::{softmax_xent::{forward, Targets}, Par};
/// let logits = [0.0_f64, 0.0];
/// let mut probs = [0.0; 2];
/// let loss = forward(&logits, Targets::Labels(&[1]), &mut probs, 2, Par::Seq);
/// assert_eq!(probs, [0.5, 0.5]);
/// assert!((loss - 2f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn forward<E: Element>(
    logits: &[E],
    targets: Targets<'_, E>,
    probs: &mut [E],
    classes: usize,
    par: Par,
) -> E {
    (Compiled::<E>::get().xent_forward)(logits, targets, probs, classes, par)
}

/// The body of [forward], instantiated here for each element type.
pub(crate) fn forward_impl<E: Element>(
    logits: &[E],
    targets: Targets<'_, E>,
    probs: &mut [E],
    classes: usize,
    par: Par,
) -> E {
    let rows = check(logits, &targets, probs, classes);
    if rows == 0 {
        return E::ZERO;
    }
    let chunk = ROWS_PER_CHUNK * classes;
    let chunk_loss = |(c, (a, y)): (usize, (&[E], &mut [E]))| -> E {
        let first_row = c * ROWS_PER_CHUNK;
        let mut total = E::ZERO;
        for (r, (a, y)) in a
            .chunks_exact(classes)
            .zip(y.chunks_exact_mut(classes))
            .enumerate()
        {
            let (max, log_sum) = softmax_row(a, y);
            let row = first_row + r;
            total += match targets {
                Targets::Labels(labels) => log_sum - (a[labels[row]] - max),
                Targets::Dense(t) => {
                    let t = &t[row * classes..(row + 1) * classes];
                    t.iter()
                        .zip(a)
                        .map(|(&t, &a)| {
                            if t == E::ZERO {
                                E::ZERO
                            } else {
                                t * (log_sum - (a - max))
                            }
                        })
                        .sum()
                }
            };
        }
        total
    };
    let chunks = logits
        .chunks(chunk)
        .zip(probs.chunks_mut(chunk))
        .enumerate();
    let total = if par.split(logits.len() * 8) {
        // Only for very large batches; the vector of chunk sums is the one
        // allocation, and the sums are still added in chunk order.
        let mut sums = vec![E::ZERO; chunks.len()];
        team::for_each(
            par.threads(),
            sums.iter_mut().zip(chunks),
            |(sum, chunk)| *sum = chunk_loss(chunk),
        );
        sums.into_iter().fold(E::ZERO, |acc, s| acc + s)
    } else {
        chunks.map(chunk_loss).fold(E::ZERO, |acc, s| acc + s)
    };
    total / E::from_f64(rows as f64)
}

/// The backward pass: `dx ← (probs − t) / batch`.
///
/// # Panics
/// If lengths disagree, as for [`forward`].
#[track_caller]
pub fn backward<E: Element>(probs: &[E], targets: Targets<'_, E>, dx: &mut [E], classes: usize) {
    (Compiled::<E>::get().xent_backward)(probs, targets, dx, classes)
}

/// The body of [backward], instantiated here for each element type.
pub(crate) fn backward_impl<E: Element>(
    probs: &[E],
    targets: Targets<'_, E>,
    dx: &mut [E],
    classes: usize,
) {
    let rows = check(probs, &targets, dx, classes);
    if rows == 0 {
        return;
    }
    let inv = E::ONE / E::from_f64(rows as f64);
    match targets {
        Targets::Labels(labels) => {
            for ((p, d), &label) in probs
                .chunks_exact(classes)
                .zip(dx.chunks_exact_mut(classes))
                .zip(labels)
            {
                for (d, &p) in d.iter_mut().zip(p) {
                    *d = p * inv;
                }
                d[label] = (p[label] - E::ONE) * inv;
            }
        }
        Targets::Dense(t) => {
            for ((&p, &t), d) in probs.iter().zip(t).zip(dx.iter_mut()) {
                *d = (p - t) * inv;
            }
        }
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
        let one_hot = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let (mut p1, mut p2) = ([0.0; 6], [0.0; 6]);
        let l1 = forward(&logits, Targets::Labels(&[2, 0]), &mut p1, 3, Par::Seq);
        let l2 = forward(&logits, Targets::Dense(&one_hot), &mut p2, 3, Par::Seq);
        assert_eq!(p1, p2);
        assert!((l1 - l2).abs() < 1e-15);
        // Row 0's loss is log Σ exp(a) − a_2, row 1's log Σ exp(a) − a_0.
        let lse = |a: &[f64]| a.iter().map(|v| v.exp()).sum::<f64>().ln();
        let want = ((lse(&logits[..3]) - 4.0) + (lse(&logits[3..]) + 1.0)) / 2.0;
        assert!((l1 - want).abs() < 1e-14);
        let (mut d1, mut d2) = ([0.0; 6], [0.0; 6]);
        backward(&p1, Targets::Labels(&[2, 0]), &mut d1, 3);
        backward(&p2, Targets::Dense(&one_hot), &mut d2, 3);
        assert_eq!(d1, d2);
        assert!((d1[0] + d1[1] + d1[2]).abs() < 1e-15);
        assert_eq!(d1[2], (p1[2] - 1.0) / 2.0);
    }

    #[test]
    fn loss_is_exact_even_for_vanishing_probabilities() {
        // y_0 = e^-100 / (1 + e^-100): log(y + 1e-7) would give 16.1, the truth is ~100.
        let mut probs = [0.0_f64; 2];
        let loss = forward(
            &[0.0, 100.0],
            Targets::Labels(&[0]),
            &mut probs,
            2,
            Par::Seq,
        );
        assert!(
            (loss - (100.0 + (-100.0_f64).exp().ln_1p())).abs() < 1e-12,
            "{loss}"
        );
    }

    #[test]
    fn loss_and_softmax_do_not_depend_on_the_thread_count() {
        // Large enough to take the parallel path.
        let rows = 40_000;
        let classes = 10;
        let logits: Vec<f32> = (0..rows * classes)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.07)
            .collect();
        let labels: Vec<usize> = (0..rows).map(|i| i * 7 % classes).collect();
        let run = |threads: usize| {
            crate::par::on_pool(threads, || {
                let mut probs = vec![0.0; logits.len()];
                let loss = forward(
                    &logits,
                    Targets::Labels(&labels),
                    &mut probs,
                    classes,
                    Par::Rayon,
                );
                let mut soft = vec![0.0; logits.len()];
                softmax_rows(&logits, &mut soft, classes, Par::Rayon);
                (loss, probs, soft)
            })
        };
        let one = run(1);
        for threads in [2, 3, 8] {
            assert!(run(threads) == one, "{threads} threads differ from 1");
        }
        let seq = {
            let (mut probs, mut soft) = (vec![0.0; logits.len()], vec![0.0; logits.len()]);
            softmax_rows(&logits, &mut soft, classes, Par::Seq);
            (
                forward(
                    &logits,
                    Targets::Labels(&labels),
                    &mut probs,
                    classes,
                    Par::Seq,
                ),
                probs,
                soft,
            )
        };
        assert!(seq == one, "sequential and parallel paths differ");
    }

    #[test]
    #[should_panic(expected = "label 3 at row 1 is not below 3 classes")]
    fn out_of_range_label_is_reported() {
        forward(
            &[0.0_f32; 6],
            Targets::Labels(&[0, 3]),
            &mut [0.0; 6],
            3,
            Par::Seq,
        );
    }
}
