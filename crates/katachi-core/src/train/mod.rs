//! The training loop, in pieces a program can read in one screen: one epoch
//! of shuffled mini-batches, and evaluation.

mod batches;
mod early_stop;

use crate::func::accuracy;
use crate::labels::Labels;
use crate::layer::{Layer, Loss, backprop};
use crate::optim::Optimizer;
use crate::param::Parameters;
use crate::shape::{Batch, Shape};
use crate::tensor::Tensor;
pub use batches::{Batches, BatchesState, gather_rows};
pub use early_stop::{EarlyStopping, Goal, Verdict};
use katachi_par::Element;

use crate::error::{Error, Result};

/// Rows predicted at once by [`evaluate`]: bounds memory, not results.
const EVAL_CHUNK: usize = 1000;

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
    let n = samples(images, labels, "the training data")?;
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
        let x = finite_rows(images, rows, "the training data")?;
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
    // The loss above is checked before each update; this catches the last.
    if let Some((name, index, value)) = net.first_non_finite() {
        return Err(Error::NonFinite {
            what: format!("parameter `{name}`"),
            at: format!(
                "element {index} after epoch {epoch}, step {steps}: training diverged; try a smaller learning rate"
            ),
            value: format!("{value}"),
        });
    }
    Ok(total / steps.max(1) as f64)
}

/// The number of samples, if there are some and every one has a label.
fn samples<S: Shape, E: Element, const C: usize>(
    images: &Tensor<S, E>,
    labels: &Labels<C>,
    what: &str,
) -> Result<usize> {
    let n = images.dims().as_ref().first().copied().unwrap_or(1);
    if n != labels.len() {
        return Err(Error::BatchMismatch {
            what: "a labelled data set",
            input: n,
            target: labels.len(),
        });
    }
    if n == 0 {
        return Err(Error::setting(
            what,
            "empty",
            "it needs at least one sample",
        ));
    }
    Ok(n)
}

/// The samples `rows` of `images` as a batch, refused if one holds a NaN or
/// an infinity: such a sample would spread NaN through the gradients (or,
/// through a ReLU, silently not), so it is reported where it enters.
fn finite_rows<S: Shape, E: Element>(
    images: &Tensor<S, E>,
    rows: &[usize],
    what: &str,
) -> Result<Tensor<S, E>> {
    let x = gather_rows(images, rows);
    match katachi_par::finite::first_non_finite(x.as_slice()) {
        None => Ok(x),
        Some((i, value)) => {
            let sample = x.numel() / rows.len();
            Err(Error::NonFinite {
                what: what.to_string(),
                at: format!("sample {}, element {}", rows[i / sample], i % sample),
                value: format!("{value}"),
            })
        }
    }
}

/// The fraction of `data` that `net` classifies correctly (argmax of its
/// output against the label), predicting in chunks.
///
/// # Errors
/// [`Error::NonFinite`] naming the sample, for a NaN or an infinity in the
/// data (a prediction from it would mean nothing); [`Error::Setting`] for a
/// data set without samples; an error if the labels do not fit the output
/// (they always do for a split of a data set).
pub fn evaluate<S, const C: usize, E, D, N>(net: &N, data: &D) -> Result<f64>
where
    S: Shape,
    E: Element,
    D: Images<S, C, E> + ?Sized,
    N: Layer<Tensor<S, E>, Out = Tensor<Batch<C>, E>>,
{
    let (images, labels) = data.parts();
    let n = samples(images, labels, "the evaluation data")?;
    let mut correct = 0.0;
    let rows: Vec<usize> = (0..n).collect();
    for chunk in rows.chunks(EVAL_CHUNK) {
        let y = net.predict(finite_rows(images, chunk, "the evaluation data")?);
        let t = &labels.as_slice()[chunk[0]..chunk[0] + chunk.len()];
        correct += accuracy(&y, t)? * chunk.len() as f64;
    }
    Ok(correct / n as f64)
}

/// A labelled data set: samples of shape `S` (the batch axis first) and
/// their labels among `C` classes: a pair `(images, labels)`, or a split of
/// a data set (`katachi::data::Split`, any sample shape).
pub trait Images<S: Shape, const C: usize, E: Element> {
    /// The samples and their labels.
    fn parts(&self) -> (&Tensor<S, E>, &Labels<C>);
}

impl<S: Shape, const C: usize, E: Element> Images<S, C, E> for (Tensor<S, E>, Labels<C>) {
    fn parts(&self) -> (&Tensor<S, E>, &Labels<C>) {
        (&self.0, &self.1)
    }
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
    use crate::shape::Const;
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
