//! The training loop, in pieces a program can read in one screen: one epoch
//! of shuffled mini-batches, and evaluation.

use crate::data::{Batches, Split, gather_rows};
use crate::func::accuracy;
use crate::labels::Labels;
use crate::layer::{Layer, Loss, backprop};
use crate::optim::Optimizer;
use crate::param::Parameters;
use crate::shape::{Batch, Shape};
use crate::tensor::Tensor;
use crate::{Element, Error, Result};

/// Rows predicted at once by [`evaluate`]: bounds memory, not results.
const EVAL_CHUNK: usize = 1000;

/// One epoch: for every batch of `batches` (reshuffled), forward, loss,
/// backward and an optimiser step. Calls `after_step(step, loss)` after
/// each batch (a progress bar, say) and returns the mean loss.
///
/// # Errors
/// [`Error::Diverged`] as soon as a loss is NaN or infinite;
/// what the loss returns for mismatched targets.
#[allow(clippy::too_many_arguments)]
pub fn train_epoch<S, const C: usize, E, D, N, L, O>(
    net: &mut N,
    loss: &mut L,
    optimizer: &mut O,
    data: &D,
    batches: &mut Batches,
    epoch: usize,
    mut after_step: impl FnMut(usize, f64),
) -> Result<f64>
where
    S: Shape,
    E: Element,
    D: Images<S, C, E> + ?Sized,
    N: Layer<Tensor<S, E>> + Parameters<Elem = E>,
    L: Loss<N::Out, Labels<C>, Elem = E>,
    O: Optimizer<E> + ?Sized,
{
    let (images, labels) = data.parts();
    let mut total = 0.0;
    let mut steps = 0;
    for (i, rows) in batches.epoch().enumerate() {
        let x = gather_rows(images, rows);
        let t = Labels::new(rows.iter().map(|&r| labels.as_slice()[r]).collect())?;
        let value = backprop(net, loss, x, &t)?.to_f64();
        if !value.is_finite() {
            return Err(Error::Diverged {
                epoch,
                step: i + 1,
                loss: format!("{value}"),
            });
        }
        optimizer.step(net);
        total += value;
        steps += 1;
        after_step(steps, value);
    }
    Ok(total / steps.max(1) as f64)
}

/// The fraction of `data` that `net` classifies correctly (argmax of its
/// output against the label), predicting in chunks.
///
/// # Errors
/// Only if the labels do not fit the output (they always do for a `Split`).
pub fn evaluate<S, const C: usize, E, D, N>(net: &N, data: &D) -> Result<f64>
where
    S: Shape,
    E: Element,
    D: Images<S, C, E> + ?Sized,
    N: Layer<Tensor<S, E>, Out = Tensor<Batch<C>, E>>,
{
    let (images, labels) = data.parts();
    let n = labels.len();
    let mut correct = 0.0;
    let rows: Vec<usize> = (0..n).collect();
    for chunk in rows.chunks(EVAL_CHUNK) {
        let y = net.predict(gather_rows(images, chunk));
        let t = &labels.as_slice()[chunk[0]..chunk[0] + chunk.len()];
        correct += accuracy(&y, t)? * chunk.len() as f64;
    }
    Ok(if n == 0 { 0.0 } else { correct / n as f64 })
}

/// A labelled data set: samples of shape `S` (the batch axis first) and
/// their labels among `C` classes. MNIST's [`Split`] gives 784-wide rows;
/// a pair `(images, labels)` gives whatever shape its tensor has, e.g.
/// `(split.images_nchw(), split.labels.clone())` for a convolutional network.
pub trait Images<S: Shape, const C: usize, E: Element> {
    /// The samples and their labels.
    fn parts(&self) -> (&Tensor<S, E>, &Labels<C>);
}

impl<E: Element> Images<Batch<784>, 10, E> for Split<E> {
    fn parts(&self) -> (&Tensor<Batch<784>, E>, &Labels<10>) {
        (&self.images, &self.labels)
    }
}

impl<S: Shape, const C: usize, E: Element> Images<S, C, E> for (Tensor<S, E>, Labels<C>) {
    fn parts(&self) -> (&Tensor<S, E>, &Labels<C>) {
        (&self.0, &self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Sgd;
    use crate::prelude::*;

    /// Ten 784-pixel images, label = which tenth of the row is lit.
    fn toy() -> Split<f32> {
        let images = Tensor::from_fn((10, Const), |i| if i[1] / 78 == i[0] { 1.0 } else { 0.0 });
        Split {
            images,
            labels: Labels::new((0..10).collect()).unwrap(),
        }
    }

    type ToyNet = (Affine<784, 10>, Relu, Affine<10, 10>);

    /// `epochs` epochs of SGD at `lr` on the toy set from a fixed seed: the
    /// network and each epoch's result.
    fn run(lr: f64, epochs: usize) -> (ToyNet, Vec<Result<f64>>) {
        let mut net: ToyNet = (Affine::zeros(), Relu::new(), Affine::zeros());
        net.init(Init::He, 3);
        let (mut loss, mut opt, mut batches) =
            (SoftmaxWithLoss::new(), Sgd::new(lr), Batches::new(10, 5, 9));
        let results = (1..=epochs)
            .map(|epoch| {
                train_epoch(
                    &mut net,
                    &mut loss,
                    &mut opt,
                    &toy(),
                    &mut batches,
                    epoch,
                    |_, _| {},
                )
            })
            .collect();
        (net, results)
    }

    #[test]
    fn training_learns_and_the_same_seed_gives_the_same_run() {
        let learn = || {
            let (net, results) = run(0.5, 30);
            let losses: Vec<f64> = results.into_iter().map(Result::unwrap).collect();
            (losses, evaluate(&net, &toy()).unwrap())
        };
        let (losses, acc) = learn();
        assert!(losses[29] < losses[0] / 10.0, "{losses:?}");
        assert_eq!(acc, 1.0);
        assert_eq!(learn(), (losses, acc));
    }

    #[test]
    fn a_diverging_run_stops_with_advice() {
        let (_, results) = run(1e30, 5);
        let err = results
            .into_iter()
            .find_map(Result::err)
            .expect("a learning rate of 1e30 diverges");
        assert!(matches!(err, Error::Diverged { .. }), "{err}");
        assert!(
            err.to_string()
                .ends_with("training diverged; try a smaller learning rate"),
            "{err}"
        );
    }
}
