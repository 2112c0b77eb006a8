//! `BatchNorm<N>` (chapter 6): normalises each of `N` features over the
//! batch, then scales and shifts by learned `γ` and `β`.

use super::{Layer, NO_FORWARD};
use crate::check::Signature;
use crate::check::Width;
use crate::param::{
    FileForm, Mode, Param, ParamMut, ParamPath, ParamView, Parameters, Role, visit_param,
    visit_param_as, visit_param_mut, visit_param_mut_as,
};
use crate::shape::{Const, Dim, Rank1};
use crate::tensor::Tensor;
use katachi_par::Element;
use katachi_par::batch_norm::{self, BatchNormGrads, Normalisation};

/// Batch normalisation over rows of `N` features.
///
/// # Shapes
/// - input `x`: `[batch, N]`
/// - `γ`, `β`, running mean and variance: `[N]`
/// - output: `[batch, N]`
///
/// Training (`forward` in [`Mode::Train`]): `μ`, `σ²` are each feature's
/// mean and (biased) variance over the batch, `x̂ = (x − μ)/√(σ² + ε)`,
/// `y = γ·x̂ + β`, and the running averages move towards the batch's by
/// `momentum`: `running = (1 − momentum)·running + momentum·batch`, with the
/// batch variance unbiased (`σ²·n/(n − 1)`) in the running average.
/// Inference (`predict`, or [`Mode::Eval`]) normalises by the running
/// averages instead. `γ` starts at 1, `β` at 0; the running averages (at 0
/// and 1) and the count of training batches are `Buffer` parameters: saved
/// in checkpoints, left alone by optimisers.
///
/// The defaults are PyTorch's `nn.BatchNorm1d`: ε = 1e-5, momentum 0.1 (the
/// book's "momentum 0.9" is the same average seen from the other side), the
/// same unbiased running variance, and parameters named `weight` (γ),
/// `bias` (β), `running_mean`, `running_var` and `num_batches_tracked` (the
/// batches seen in training, counted exactly up to 2²⁴ in `f32`), so a
/// checkpoint of either loads into the other.
///
/// ```
/// use katachi::prelude::*;
/// let mut bn = BatchNorm::<2, f64>::new();
/// let x = Tensor::<Batch<2>, f64>::from_rows(&[[1.0, 10.0], [3.0, 30.0]])?;
/// let y = bn.forward(x);
/// // Each column now has mean 0 and variance ≈ 1.
/// assert!((y.row(0)[0] + 1.0).abs() < 1e-5 && (y.row(1)[1] - 1.0).abs() < 1e-5);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BatchNorm<const N: usize, E: Element = f32> {
    /// `γ`, the learned scale.
    pub gamma: Param<Rank1<N>, E>,
    /// `β`, the learned shift.
    pub beta: Param<Rank1<N>, E>,
    /// The running mean used in inference.
    pub running_mean: Param<Rank1<N>, E>,
    /// The running variance used in inference.
    pub running_var: Param<Rank1<N>, E>,
    /// Training batches seen (PyTorch's `num_batches_tracked`).
    pub num_batches_tracked: Param<Rank1<1>, E>,
    /// The weight of each training batch in the running averages (0.1, as
    /// in PyTorch).
    pub momentum: f64,
    /// Added to the variance before the square root (1e-5, as in PyTorch).
    pub eps: f64,
    mode: Mode,
    cache: Cache<E>,
}

/// What backward needs from the latest forward.
#[derive(Clone, Debug, Default)]
struct Cache<E> {
    /// `x̂` per element.
    xn: Vec<E>,
    /// `1/√(σ² + ε)` per feature.
    inv_std: Vec<E>,
    /// Whether the forward used batch statistics.
    batch_stats: bool,
    fresh: bool,
}

impl<const N: usize, E: Element> BatchNorm<N, E> {
    /// γ = 1, β = 0, running mean 0 and variance 1, momentum 0.1, ε = 1e-5.
    pub fn new() -> Self {
        let filled = |v: f64| Tensor::filled((Const,), E::from_f64(v));
        Self {
            gamma: Param::new(filled(1.0), Role::Scale),
            beta: Param::new(filled(0.0), Role::Bias),
            running_mean: Param::new(filled(0.0), Role::Buffer { init: 0.0 }),
            running_var: Param::new(filled(1.0), Role::Buffer { init: 1.0 }),
            num_batches_tracked: Param::new(Tensor::zeros((Const,)), Role::Buffer { init: 0.0 }),
            momentum: 0.1,
            eps: 1e-5,
            mode: Mode::Train,
            cache: Cache::default(),
        }
    }

    /// `y` from `x` normalised by per-feature `mean` and `inv_std`, keeping
    /// `x̂` in `xn` when given.
    fn normalise(&self, x: &mut [E], mean: &[E], inv_std: &[E], xn: Option<&mut Vec<E>>) {
        let by = Normalisation {
            gamma: self.gamma.value.as_slice(),
            beta: self.beta.value.as_slice(),
            mean,
            inv_std,
        };
        let xn = xn.map(|xn| {
            xn.resize(x.len(), E::ZERO);
            xn.as_mut_slice()
        });
        batch_norm::normalise(x, by, xn);
    }

    fn running_inv_std(&self) -> Vec<E> {
        let eps = E::from_f64(self.eps);
        self.running_var
            .value
            .as_slice()
            .iter()
            .map(|&v| E::ONE / (v + eps).sqrt())
            .collect()
    }
}

impl<const N: usize, E: Element> Default for BatchNorm<N, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Dim, D: Width<N>, const N: usize, E: Element> Layer<Tensor<(B, D), E>> for BatchNorm<N, E> {
    type Out = Tensor<(B, D), E>;

    fn forward(&mut self, mut x: Tensor<(B, D), E>) -> Self::Out {
        let () = D::CHECK;
        let rows = x.num_rows();
        let mut cache = std::mem::take(&mut self.cache);
        if self.mode == Mode::Eval || rows == 0 {
            let inv_std = self.running_inv_std();
            let mean = self.running_mean.value.as_slice().to_vec();
            self.normalise(x.as_mut_slice(), &mean, &inv_std, Some(&mut cache.xn));
            cache.inv_std = inv_std;
            cache.batch_stats = false;
        } else {
            let (mut mean, mut var) = (vec![E::ZERO; N], vec![E::ZERO; N]);
            batch_norm::statistics(x.as_slice(), N, &mut mean, &mut var);
            let eps = E::from_f64(self.eps);
            let inv_std: Vec<E> = var.iter().map(|&v| E::ONE / (v + eps).sqrt()).collect();
            self.normalise(x.as_mut_slice(), &mean, &inv_std, Some(&mut cache.xn));
            let (keep, take) = (E::from_f64(1.0 - self.momentum), E::from_f64(self.momentum));
            let rm = self.running_mean.value.as_mut_slice();
            rm.iter_mut()
                .zip(&mean)
                .for_each(|(r, &m)| *r = keep * *r + take * m);
            // PyTorch's running variance is the unbiased one.
            let unbias = E::from_f64(rows as f64 / (rows.max(2) - 1) as f64);
            let rv = self.running_var.value.as_mut_slice();
            rv.iter_mut()
                .zip(&var)
                .for_each(|(r, &v)| *r = keep * *r + take * (v * unbias));
            let count = &mut self.num_batches_tracked.value.as_mut_slice()[0];
            *count += E::ONE;
            cache.inv_std = inv_std;
            cache.batch_stats = true;
        }
        cache.fresh = true;
        self.cache = cache;
        x
    }

    fn backward(&mut self, mut dy: Self::Out) -> Tensor<(B, D), E> {
        let cache = &self.cache;
        assert!(
            cache.fresh && cache.xn.len() == dy.numel(),
            "batch norm: {NO_FORWARD}"
        );
        let grads = BatchNormGrads {
            xn: &cache.xn,
            gamma: self.gamma.value.as_slice(),
            inv_std: &cache.inv_std,
            dgamma: self.gamma.grad.as_mut_slice(),
            dbeta: self.beta.grad.as_mut_slice(),
            batch_stats: cache.batch_stats,
        };
        batch_norm::backward(dy.as_mut_slice(), grads);
        dy
    }

    fn predict(&self, mut x: Tensor<(B, D), E>) -> Self::Out {
        let () = D::CHECK;
        let inv_std = self.running_inv_std();
        self.normalise(
            x.as_mut_slice(),
            self.running_mean.value.as_slice(),
            &inv_std,
            None,
        );
        x
    }
}

impl<B: Dim, D: Dim, E2: Element, const N: usize, E: Element> Signature<Tensor<(B, D), E2>>
    for BatchNorm<N, E>
{
    type Input = Tensor<(B, D::Expect<N>), E>;
    type Output = Tensor<(B, D::Expect<N>), E>;
}

impl<const N: usize, E: Element> Parameters for BatchNorm<N, E> {
    type Elem = E;

    fn visit(&self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {
        visit_param(&self.gamma, path, "weight", f);
        visit_param(&self.beta, path, "bias", f);
        visit_param(&self.running_mean, path, "running_mean", f);
        visit_param(&self.running_var, path, "running_var", f);
        let count = FileForm::Count;
        visit_param_as(
            &self.num_batches_tracked,
            path,
            "num_batches_tracked",
            count,
            f,
        );
    }

    fn visit_mut(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>),
    ) {
        visit_param_mut(&mut self.gamma, path, "weight", f);
        visit_param_mut(&mut self.beta, path, "bias", f);
        visit_param_mut(&mut self.running_mean, path, "running_mean", f);
        visit_param_mut(&mut self.running_var, path, "running_var", f);
        let count = FileForm::Count;
        visit_param_mut_as(
            &mut self.num_batches_tracked,
            path,
            "num_batches_tracked",
            count,
            f,
        );
    }

    fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grad::numerical_gradient;
    use crate::layer::BatchNorm;
    use crate::param::Mode;
    use crate::shape::Batch;
    use crate::tensor::Tensor;

    fn x() -> Tensor<Batch<3>, f64> {
        Tensor::from_rows(&[
            [0.5, -1.2, 3.0],
            [1.0, 0.1, -0.4],
            [-0.8, 0.9, 1.5],
            [0.3, 0.3, -0.3],
        ])
        .unwrap()
    }

    #[test]
    fn training_output_has_zero_mean_and_unit_variance_per_feature() {
        let y = BatchNorm::<3, f64>::new().forward(x());
        for j in 0..3 {
            let col: Vec<f64> = y.rows().map(|r| r[j]).collect();
            let mean = col.iter().sum::<f64>() / 4.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
            assert!(
                mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-4,
                "{mean} {var}"
            );
        }
    }

    #[test]
    fn running_averages_move_by_momentum_as_in_pytorch_and_drive_inference() {
        let mut bn = BatchNorm::<3, f64>::new();
        bn.forward(x());
        // Column 0 has mean 0.25: the running mean moves 10 % of the way.
        assert!((bn.running_mean.value.as_slice()[0] - 0.025).abs() < 1e-15);
        // Its unbiased variance: Σ(x − 0.25)² / 3 = (0.0625 + 0.5625 + 1.1025 + 0.0025) / 3.
        let unbiased = 1.73 / 3.0;
        let rv = bn.running_var.value.as_slice()[0];
        assert!((rv - (0.9 + 0.1 * unbiased)).abs() < 1e-15, "{rv}");
        assert_eq!(bn.num_batches_tracked.value.as_slice(), &[1.0]);
        let y = bn.predict(x());
        assert_eq!(bn.num_batches_tracked.value.as_slice(), &[1.0]);
        let expect = (0.5 - 0.025) / (rv + 1e-5).sqrt();
        assert!((y.row(0)[0] - expect).abs() < 1e-12);
        bn.set_mode(Mode::Eval);
        assert_eq!(bn.forward(x()), y);
    }

    #[test]
    fn input_gradient_matches_central_differences_in_both_modes() {
        let w = Tensor::<Batch<3>, f64>::from_rows(&[
            [1.0, -2.0, 0.5],
            [0.3, 0.8, -1.1],
            [2.0, 0.1, 0.4],
            [-0.6, 1.5, 0.9],
        ])
        .unwrap();
        for mode in [Mode::Train, Mode::Eval] {
            let mut bn = BatchNorm::<3, f64>::new();
            bn.gamma.value = Tensor::from([1.5, 0.7, -0.4]);
            bn.beta.value = Tensor::from([0.1, -0.2, 0.3]);
            bn.running_var.value = Tensor::from([0.5, 2.0, 1.5]);
            bn.set_mode(mode);
            let mut probe = bn.clone();
            bn.forward(x());
            let dx = bn.backward(w.clone());
            let numeric = numerical_gradient(
                |x| {
                    probe
                        .forward(x.clone())
                        .zip_map(&w, |a, b| a * b)
                        .unwrap()
                        .sum()
                },
                &mut x(),
            );
            for (a, n) in dx.as_slice().iter().zip(numeric.as_slice()) {
                assert!((a - n).abs() < 1e-7, "{mode:?}: {a} vs {n}");
            }
        }
    }
}
