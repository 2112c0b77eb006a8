//! Batch normalisation over rows of `features` numbers: the statistics of
//! a batch, the normalisation, and the backward pass (the book's chapter 6).
//!
//! Layouts: `x` and `dy` are `rows × features`, row-major; every
//! per-feature slice (`gamma`, `beta`, `mean`, `inv_std`, …) has `features`
//! elements. Sums run over rows in order, so results are the same on every
//! run.

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::extent::check_len;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        batch_norm_statistics: fn(&[E], usize, &mut [E], &mut [E]) = statistics_impl,
        batch_norm_normalise: fn(&mut [E], Normalisation<'_, E>, Option<&mut [E]>) = normalise_impl,
        batch_norm_backward: fn(&mut [E], BatchNormGrads<'_, E>) = backward_impl,
    }
);

/// The per-feature normalisation a forward pass uses: the mean and
/// `1/√(σ² + ε)`, with `x̂` written to `xn` when given.
#[derive(Clone, Copy, Debug)]
pub struct Normalisation<'a, E> {
    /// `γ`, the learned scale.
    pub gamma: &'a [E],
    /// `β`, the learned shift.
    pub beta: &'a [E],
    /// The mean subtracted from each feature.
    pub mean: &'a [E],
    /// `1/√(σ² + ε)` per feature.
    pub inv_std: &'a [E],
}

/// `mean ←` each feature's mean over the rows of `x`, `var ←` its biased
/// variance (divided by the number of rows).
///
/// # Panics
/// If `x` is not a whole number of rows or a per-feature slice has another
/// length than `features`.
///
/// ```
/// use katachi::par::batch_norm::statistics;
/// let x = [1.0_f64, 10.0, 3.0, 30.0];
/// let (mut mean, mut var) = ([0.0; 2], [0.0; 2]);
/// statistics(&x, 2, &mut mean, &mut var);
/// assert_eq!((mean, var), ([2.0, 20.0], [1.0, 100.0]));
/// ```
#[track_caller]
pub fn statistics<E: Element>(x: &[E], features: usize, mean: &mut [E], var: &mut [E]) {
    (Compiled::<E>::get().batch_norm_statistics)(x, features, mean, var)
}

/// The body of [statistics], instantiated here for each element type.
pub(crate) fn statistics_impl<E: Element>(x: &[E], features: usize, mean: &mut [E], var: &mut [E]) {
    let rows = rows_of(x.len(), features);
    check_len("batch norm", "mean", mean.len(), features);
    check_len("batch norm", "var", var.len(), features);
    let count = E::from_f64(rows as f64);
    mean.fill(E::ZERO);
    for row in x.chunks_exact(features) {
        mean.iter_mut().zip(row).for_each(|(m, &v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= count);
    var.fill(E::ZERO);
    for row in x.chunks_exact(features) {
        var.iter_mut()
            .zip(row)
            .zip(mean.iter())
            .for_each(|((s, &v), &m)| *s += (v - m) * (v - m));
    }
    var.iter_mut().for_each(|s| *s /= count);
}

/// `x ← γ·x̂ + β` with `x̂ = (x − mean)·inv_std`, in place; `x̂` is also
/// written to `xn` (as many elements as `x`) when given, for the backward.
///
/// # Panics
/// If a slice's length does not match `features` (or `x`, for `xn`).
///
/// ```
/// use katachi::par::batch_norm::{normalise, Normalisation};
/// let mut x = [1.0_f64, 10.0, 3.0, 30.0];
/// let (gamma, beta) = ([2.0, 1.0], [0.5, 0.0]);
/// let (mean, inv_std) = ([2.0, 20.0], [1.0, 0.1]);
/// normalise(&mut x, Normalisation { gamma: &gamma, beta: &beta, mean: &mean, inv_std: &inv_std }, None);
/// assert_eq!(x, [-1.5, -1.0, 2.5, 1.0]);
/// ```
#[track_caller]
pub fn normalise<E: Element>(x: &mut [E], by: Normalisation<'_, E>, xn: Option<&mut [E]>) {
    (Compiled::<E>::get().batch_norm_normalise)(x, by, xn)
}

/// The body of [normalise], instantiated here for each element type.
pub(crate) fn normalise_impl<E: Element>(
    x: &mut [E],
    by: Normalisation<'_, E>,
    mut xn: Option<&mut [E]>,
) {
    let features = by.gamma.len();
    rows_of(x.len(), features);
    for (what, len) in [
        ("beta", by.beta.len()),
        ("mean", by.mean.len()),
        ("inv_std", by.inv_std.len()),
    ] {
        check_len("batch norm", what, len, features);
    }
    if let Some(xn) = xn.as_deref() {
        check_len("batch norm", "xn", xn.len(), x.len());
    }
    for (r, row) in x.chunks_exact_mut(features).enumerate() {
        for j in 0..features {
            let n = (row[j] - by.mean[j]) * by.inv_std[j];
            if let Some(xn) = xn.as_deref_mut() {
                xn[r * features + j] = n;
            }
            row[j] = by.gamma[j] * n + by.beta[j];
        }
    }
}

/// What the backward pass reads and writes besides `dy`.
#[derive(Debug)]
pub struct BatchNormGrads<'a, E> {
    /// `x̂` of the forward pass, as many elements as `dy`.
    pub xn: &'a [E],
    /// `γ`.
    pub gamma: &'a [E],
    /// `1/√(σ² + ε)` of the forward pass.
    pub inv_std: &'a [E],
    /// Overwritten with `dγ = Σ dy·x̂`.
    pub dgamma: &'a mut [E],
    /// Overwritten with `dβ = Σ dy`.
    pub dbeta: &'a mut [E],
    /// Whether the forward normalised by the batch's own statistics (then
    /// every row's `dx` depends on every row) or by fixed ones.
    pub batch_stats: bool,
}

/// `dy ← dx`, and `dγ`, `dβ` from the upstream gradient `dy`. With batch
/// statistics `dx = γ·inv_std · (dy − mean(dy) − x̂·mean(dy·x̂))`, with fixed
/// ones `dx = γ·inv_std·dy`.
///
/// # Panics
/// If a slice's length does not match.
#[track_caller]
pub fn backward<E: Element>(dy: &mut [E], grads: BatchNormGrads<'_, E>) {
    (Compiled::<E>::get().batch_norm_backward)(dy, grads)
}

/// The body of [backward], instantiated here for each element type.
pub(crate) fn backward_impl<E: Element>(dy: &mut [E], grads: BatchNormGrads<'_, E>) {
    let BatchNormGrads {
        xn,
        gamma,
        inv_std,
        dgamma,
        dbeta,
        batch_stats,
    } = grads;
    let features = gamma.len();
    let rows = rows_of(dy.len(), features);
    check_len("batch norm", "xn", xn.len(), dy.len());
    for (what, len) in [
        ("inv_std", inv_std.len()),
        ("dgamma", dgamma.len()),
        ("dbeta", dbeta.len()),
    ] {
        check_len("batch norm", what, len, features);
    }
    dgamma.fill(E::ZERO);
    dbeta.fill(E::ZERO);
    for (row, xn) in dy.chunks_exact(features).zip(xn.chunks_exact(features)) {
        for j in 0..features {
            dgamma[j] += row[j] * xn[j];
            dbeta[j] += row[j];
        }
    }
    if batch_stats {
        let count = E::from_f64(rows as f64);
        for (row, xn) in dy.chunks_exact_mut(features).zip(xn.chunks_exact(features)) {
            for j in 0..features {
                let centred = row[j] - dbeta[j] / count - xn[j] * dgamma[j] / count;
                row[j] = gamma[j] * inv_std[j] * centred;
            }
        }
    } else {
        for row in dy.chunks_exact_mut(features) {
            for j in 0..features {
                row[j] *= gamma[j] * inv_std[j];
            }
        }
    }
}

/// The number of rows of `features` in `len` elements.
#[track_caller]
fn rows_of(len: usize, features: usize) -> usize {
    assert!(
        features > 0 && len.is_multiple_of(features),
        "batch norm: {len} elements are not rows of {features} features"
    );
    len / features
}
