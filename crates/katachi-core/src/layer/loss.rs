//! Loss layers: `SoftmaxWithLoss<N>` for classification and
//! `IdentityWithLoss<N>` for regression.
//!
//! Both keep their buffers across steps: the input's buffer becomes the
//! gradient that `backward` returns, so a training step allocates nothing
//! here once the batch size has been seen.

use katachi_par::Par;
use katachi_par::softmax_xent::{self, Targets};

use super::{Loss, LossBackward, NO_FORWARD};
use crate::check::{InputFits, TargetFits};
use crate::func::sum_squared_error;
use crate::labels::Labels;
use crate::shape::{Const, Dim};
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::{Error, Result};

/// Softmax followed by cross-entropy over `N` classes (chapter 5).
///
/// # Shapes
/// - input: `[batch, N]` scores
/// - target: [`Labels<N>`] (one label per row) or `[batch, N]` one-hot rows
/// - output: a scalar, the mean loss; `backward` gives `[batch, N]`
///
/// Targets are [`Labels<N>`] or one-hot rows `[batch, N]`; both widths are
/// checked by the type. The loss is `−Σ t log y` averaged over the batch,
/// computed as log-sum-exp so it is exact and finite for any logits (unlike
/// [`crate::func::cross_entropy`], it needs no `+1e-7` guard because it never
/// sees a rounded-to-zero probability). `backward` returns `(y − t) / batch`,
/// the exact gradient of that loss.
///
/// ```
/// use katachi::prelude::*;
/// let mut loss = SoftmaxWithLoss::<3, f64>::new();
/// let x = Tensor::<Batch<3>, f64>::from_rows(&[[0.0, 0.0, 0.0]])?;
/// let l = loss.forward(x, &Labels::new(vec![1])?)?;
/// assert!((l - 3f64.ln()).abs() < 1e-12);
/// let dx: Tensor<Batch<3>, f64> = loss.backward();
/// assert!((dx.as_slice()[1] - (1.0 / 3.0 - 1.0)).abs() < 1e-12);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SoftmaxWithLoss<const N: usize, E: Element = f32> {
    /// Softmax of the latest forward, row-major.
    probs: Vec<E>,
    /// The latest target, in the form it came in.
    target: Option<TargetKind>,
    labels: Vec<usize>,
    dense: Vec<E>,
    /// The latest input's buffer, reused for the gradient.
    spare: Vec<E>,
}

#[derive(Clone, Copy, Debug)]
enum TargetKind {
    Labels,
    Dense,
}

impl<const N: usize, E: Element> SoftmaxWithLoss<N, E> {
    /// A new loss layer with nothing cached.
    pub fn new() -> Self {
        Self::default()
    }

    /// The softmax probabilities of the latest forward, row-major.
    pub fn probabilities(&self) -> &[E] {
        &self.probs
    }

    fn targets(&self) -> Targets<'_, E> {
        match self.target.expect(NO_FORWARD) {
            TargetKind::Labels => Targets::Labels(&self.labels),
            TargetKind::Dense => Targets::Dense(&self.dense),
        }
    }

    /// Runs the fused kernel on `x` (whose width `W` is `N`, by the impls'
    /// bounds), keeping probabilities and `x`'s buffer.
    fn run<B: Dim, const W: usize>(&mut self, x: Tensor<(B, Const<W>), E>, kind: TargetKind) -> E {
        self.probs.resize(x.numel(), E::ZERO);
        self.target = Some(kind);
        let targets = match kind {
            TargetKind::Labels => Targets::Labels(&self.labels),
            TargetKind::Dense => Targets::Dense(&self.dense),
        };
        let loss = softmax_xent::forward(x.as_slice(), targets, &mut self.probs, N, Par::Rayon);
        self.spare = x.into_vec();
        loss
    }
}

/// `y` as rows of `M`: the same data, `W` being `M` by the impls' bounds.
fn as_target_width<B: Dim, const W: usize, const M: usize, E: Element>(
    y: Tensor<(B, Const<W>), E>,
) -> Result<Tensor<(B, Const<M>), E>> {
    let rows = y.shape().0;
    y.reshape((rows, Const))
}

fn check_batch(what: &'static str, input: usize, target: usize) -> Result<()> {
    if input == target {
        Ok(())
    } else {
        Err(Error::BatchMismatch {
            what,
            input,
            target,
        })
    }
}

// For any width `W` (another than `N` fails to build): an impl for
// `Const<N>` alone would make rustc infer the network's output from it, and
// a bound here would repeat the `Loss` impl's error. A width other than `N`
// cannot have had a forward.
impl<B: Dim, const W: usize, const N: usize, E: Element> LossBackward<Tensor<(B, Const<W>), E>>
    for SoftmaxWithLoss<N, E>
{
    type Elem = E;

    fn backward(&mut self) -> Tensor<(B, Const<W>), E> {
        const {
            assert!(W == N, "a loss over N classes gives gradients of N columns");
        }
        let rows = self.probs.len() / N.max(1);
        let batch = B::from_size(rows).expect(NO_FORWARD);
        let mut dx = std::mem::take(&mut self.spare);
        dx.resize(self.probs.len(), E::ZERO);
        softmax_xent::backward(&self.probs, self.targets(), &mut dx, N);
        Tensor::from_vec((batch, Const), dx).expect("batch × N gradients")
    }
}

/// What [`SoftmaxWithLoss<N>`] takes as targets: [`Labels`] over `N`
/// classes, or rows of `N` target probabilities (one-hot or not). Other
/// widths are refused by [`TargetFits`], naming both numbers.
#[diagnostic::on_unimplemented(
    message = "the loss is over {N} classes but the target is `{Self}`",
    label = "the loss is over {N} classes",
    note = "a loss over N classes takes `Labels<N>`, or rows of N numbers with the input's element type"
)]
pub trait ClassTargets<const N: usize, E: Element> {
    /// The number of rows (samples).
    fn rows(&self) -> usize;
    /// The targets as the kernel reads them.
    fn targets(&self) -> Targets<'_, E>;
}

// Not named in errors: the trait's message says what fits.
#[diagnostic::do_not_recommend]
impl<const M: usize, const N: usize, E: Element> ClassTargets<N, E> for Labels<M>
where
    (): TargetFits<M, N>,
{
    fn rows(&self) -> usize {
        self.len()
    }

    fn targets(&self) -> Targets<'_, E> {
        Targets::Labels(self.as_slice())
    }
}

#[diagnostic::do_not_recommend]
impl<B: Dim, const M: usize, const N: usize, E: Element> ClassTargets<N, E>
    for Tensor<(B, Const<M>), E>
where
    (): TargetFits<M, N>,
{
    fn rows(&self) -> usize {
        self.num_rows()
    }

    fn targets(&self) -> Targets<'_, E> {
        Targets::Dense(self.as_slice())
    }
}

// One impl for every width and target: with the target not yet inferred
// (as in `backprop(&mut net, &mut loss, x, &t)`), rustc still selects it
// and reports the bound that fails, naming both widths.
impl<B: Dim, const W: usize, const N: usize, E: Element, T> Loss<Tensor<(B, Const<W>), E>, T>
    for SoftmaxWithLoss<N, E>
where
    (): InputFits<W, N>,
    T: ClassTargets<N, E> + ?Sized,
{
    fn forward(&mut self, x: Tensor<(B, Const<W>), E>, t: &T) -> Result<E> {
        check_batch("SoftmaxWithLoss", x.num_rows(), t.rows())?;
        let kind = match t.targets() {
            Targets::Labels(labels) => {
                self.labels.clear();
                self.labels.extend_from_slice(labels);
                TargetKind::Labels
            }
            Targets::Dense(dense) => {
                self.dense.clear();
                self.dense.extend_from_slice(dense);
                TargetKind::Dense
            }
        };
        Ok(self.run(x, kind))
    }

    fn loss(&self, x: Tensor<(B, Const<W>), E>, t: &T) -> Result<E> {
        check_batch("SoftmaxWithLoss", x.num_rows(), t.rows())?;
        let mut probs = vec![E::ZERO; x.numel()];
        Ok(softmax_xent::forward(
            x.as_slice(),
            t.targets(),
            &mut probs,
            N,
            Par::Rayon,
        ))
    }
}

/// The identity output with the sum-of-squared-error loss, for regression:
/// loss `0.5 Σ (y − t)²` averaged over the rows, backward `(y − t) / batch`.
///
/// # Shapes
/// - input: `[batch, N]`
/// - target: `[batch, N]`
/// - output: a scalar, the mean loss; `backward` gives `[batch, N]`
///
/// ```
/// use katachi::prelude::*;
/// let mut loss = IdentityWithLoss::<2, f64>::new();
/// let y = Tensor::<Batch<2>, f64>::from_rows(&[[1.0, 2.0], [0.0, 0.0]])?;
/// let t = Tensor::<Batch<2>, f64>::from_rows(&[[0.0, 0.0], [0.0, 2.0]])?;
/// assert_eq!(loss.forward(y, &t)?, 0.5 * (1.0 + 4.0 + 4.0) / 2.0);
/// let dy: Tensor<Batch<2>, f64> = loss.backward();
/// assert_eq!(dy.as_slice(), &[0.5, 1.0, 0.0, -1.0]);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct IdentityWithLoss<const N: usize, E: Element = f32> {
    /// `(y − t) / batch` from the latest forward, in the input's buffer.
    grad: Option<Vec<E>>,
}

impl<const N: usize, E: Element> IdentityWithLoss<N, E> {
    /// A new loss layer with nothing cached.
    pub fn new() -> Self {
        Self { grad: None }
    }
}

// Any width, as for `SoftmaxWithLoss`.
impl<B: Dim, const W: usize, const N: usize, E: Element> LossBackward<Tensor<(B, Const<W>), E>>
    for IdentityWithLoss<N, E>
{
    type Elem = E;

    fn backward(&mut self) -> Tensor<(B, Const<W>), E> {
        const {
            assert!(W == N, "a loss over N outputs gives gradients of N columns");
        }
        let grad = self.grad.take().expect(NO_FORWARD);
        let batch = B::from_size(grad.len() / N.max(1)).expect(NO_FORWARD);
        Tensor::from_vec((batch, Const), grad).expect("cached gradient has batch × N elements")
    }
}

impl<B: Dim, const W: usize, const M: usize, const N: usize, E: Element>
    Loss<Tensor<(B, Const<W>), E>, Tensor<(B, Const<M>), E>> for IdentityWithLoss<N, E>
where
    (): InputFits<W, N> + TargetFits<M, N>,
{
    fn forward(&mut self, y: Tensor<(B, Const<W>), E>, t: &Tensor<(B, Const<M>), E>) -> Result<E> {
        check_batch("IdentityWithLoss", y.num_rows(), t.num_rows())?;
        let y = as_target_width(y)?;
        let loss = sum_squared_error(&y, t)?;
        let inv = E::ONE / E::from_f64(y.num_rows().max(1) as f64);
        let mut grad = y.into_vec();
        grad.iter_mut()
            .zip(t.as_slice())
            .for_each(|(g, &t)| *g = (*g - t) * inv);
        self.grad = Some(grad);
        Ok(loss)
    }

    fn loss(&self, y: Tensor<(B, Const<W>), E>, t: &Tensor<(B, Const<M>), E>) -> Result<E> {
        check_batch("IdentityWithLoss", y.num_rows(), t.num_rows())?;
        sum_squared_error(&as_target_width(y)?, t)
    }
}
