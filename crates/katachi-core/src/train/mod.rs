//! The training loop, in pieces a program can read in one screen: one epoch
//! of shuffled mini-batches, and evaluation; and [`Trainer`], which puts
//! them together with schedules, clipping, early stopping, metrics,
//! checkpoints and exact resume.

mod batches;
mod early_stop;
mod eval;
pub mod parallel;
mod step;
mod trainer;

use crate::labels::Labels;
use crate::layer::{Layer, Loss};
use crate::optim::Optimizer;
use crate::param::Parameters;
use crate::shape::Shape;
use crate::tensor::Tensor;
pub use batches::{Batches, BatchesState, gather_rows};
pub use early_stop::{EarlyStopping, Goal, Verdict};
pub use eval::{Images, Measured, evaluate, measure};
use katachi_par::Element;
pub use trainer::{EpochRecord, Progress, Report, StepRecord, Trainer};

use crate::error::{Error, Result};

/// One epoch: for every batch of `batches` (reshuffled), forward, loss,
/// backward and an optimiser step. Calls `after_step(step, loss)` after
/// each batch (a progress bar, say) and returns the mean loss.
///
/// Nothing non-finite passes silently: each batch is checked as it is
/// gathered (one branch-free pass over memory the step reads anyway), the
/// loss before each update, and the parameters after the epoch's last
/// update.
///
/// # Errors
/// - [`Error::NonFinite`] naming the sample and element, for a NaN or an
///   infinity in the data (before any update with it); naming the
///   parameter, if the last update of the epoch left one;
/// - [`Error::Diverged`] as soon as a loss is NaN or infinite;
/// - [`Error::Setting`] for a data set without samples, or an optimiser
///   whose learning rate or weight decay means nothing
///   ([`Optimizer::validate`]);
/// - what the loss returns for mismatched targets.
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
    optimizer.validate()?;
    let (images, labels) = data.parts();
    let n = eval::samples(images, labels, "the training data")?;
    if batches.len() != n {
        return Err(Error::setting(
            "the number of samples the batches are drawn from",
            batches.len(),
            format!("the training data has {n}"),
        ));
    }
    let mut total = 0.0;
    let mut steps = 0;
    for (i, rows) in batches.epoch().enumerate() {
        let value = step::forward_backward(net, loss, images, labels, rows, false, epoch, i + 1)?;
        optimizer.step(net);
        total += value;
        steps += 1;
        after_step(steps, value);
    }
    // The loss above is checked before each update; this catches the last.
    step::check_parameters(net, epoch, steps)?;
    Ok(total / steps.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::init::Init;
    use crate::labels::Labels;
    use crate::layer::{Affine, Relu, SoftmaxWithLoss};
    use crate::optim::Adam;
    use crate::optim::Sgd;
    use crate::shape::{Batch, Const};
    use crate::tensor::Tensor;

    /// Ten 784-pixel images and their labels.
    type Toy = (Tensor<Batch<784>>, Labels<10>);

    /// Ten 784-pixel images, label = which tenth of the row is lit.
    fn toy() -> Toy {
        let images = Tensor::from_fn((10, Const), |i| if i[1] / 78 == i[0] { 1.0 } else { 0.0 });
        (images, Labels::new((0..10).collect()).unwrap())
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

    fn one_epoch(net: &mut ToyNet, data: &Toy, lr: f64, batch: usize) -> Result<f64> {
        let mut batches = Batches::new(data.1.len(), batch, 9);
        let (mut loss, mut opt) = (SoftmaxWithLoss::new(), Sgd::new(lr));
        train_epoch(net, &mut loss, &mut opt, data, &mut batches, 1, |_, _| {})
    }

    fn toy_net() -> ToyNet {
        let mut net: ToyNet = (Affine::zeros(), Relu::new(), Affine::zeros());
        net.init(Init::He, 3);
        net
    }

    #[test]
    fn meaningless_rates_are_refused_by_name_before_any_step() {
        let mut net = toy_net();
        let before = net.0.weight.value.clone();
        for (lr, message) in [
            (
                f64::NAN,
                "the learning rate is NaN: it must be a finite number above 0",
            ),
            (
                f64::INFINITY,
                "the learning rate is inf: it must be a finite number above 0",
            ),
            (
                0.0,
                "the learning rate is 0: it must be a finite number above 0",
            ),
            (
                -0.1,
                "the learning rate is -0.1: it must be a finite number above 0",
            ),
        ] {
            assert_eq!(
                one_epoch(&mut net, &toy(), lr, 5).unwrap_err().to_string(),
                message
            );
        }
        let mut batches = Batches::new(10, 5, 9);
        let mut adam = Adam::new(0.1).with_weight_decay(-1.0);
        let err = train_epoch(
            &mut net,
            &mut SoftmaxWithLoss::new(),
            &mut adam,
            &toy(),
            &mut batches,
            1,
            |_, _| {},
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "the weight decay is -1: it must be a finite number, 0 or more"
        );
        assert_eq!(net.0.weight.value, before);
    }

    #[test]
    fn a_nan_pixel_is_refused_before_any_update() {
        let mut data = toy();
        data.0.as_mut_slice()[4 * 784 + 100] = f32::NAN;
        let mut net = toy_net();
        let before = net.0.weight.value.clone();
        // One batch of all ten: the bad sample is in the first (only) step.
        let err = one_epoch(&mut net, &data, 0.1, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the training data holds NaN at sample 4, element 100"
        );
        assert_eq!(net.0.weight.value, before);
        data.0.as_mut_slice()[4 * 784 + 100] = f32::NEG_INFINITY;
        let err = evaluate(&net, &data).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the evaluation data holds -inf at sample 4, element 100"
        );
    }

    #[test]
    fn nan_weights_left_by_the_last_update_are_reported() {
        // One step per epoch: its loss is finite, the update is not (1e300
        // is a valid rate, but infinite in f32).
        let err = one_epoch(&mut toy_net(), &toy(), 1e300, 10).unwrap_err();
        let Error::NonFinite { what, at, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(what, "parameter `0.weight`");
        assert!(
            at.ends_with("after epoch 1, step 1: training diverged; try a smaller learning rate"),
            "{at}"
        );
    }

    #[test]
    fn empty_or_mislabelled_data_is_an_error_not_an_accuracy() {
        let empty: Toy = (Tensor::zeros((0, Const)), Labels::new(Vec::new()).unwrap());
        let net = toy_net();
        assert_eq!(
            evaluate(&net, &empty).unwrap_err().to_string(),
            "the evaluation data is empty: it needs at least one sample"
        );
        assert!(matches!(
            one_epoch(&mut toy_net(), &empty, 0.1, 10).unwrap_err(),
            Error::Setting { .. }
        ));
        let short = (toy().0, Labels::<10>::new(vec![1, 2]).unwrap());
        assert_eq!(
            evaluate(&net, &short).unwrap_err().to_string(),
            "a labelled data set: the input has 10 rows but the target has 2"
        );
        let mut batches = Batches::new(7, 5, 1);
        let err = train_epoch(
            &mut toy_net(),
            &mut SoftmaxWithLoss::new(),
            &mut Sgd::new(0.1),
            &toy(),
            &mut batches,
            1,
            |_, _| {},
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the number of samples the batches are drawn from is 7: the training data has 10"
        );
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
