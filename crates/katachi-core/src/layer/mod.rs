//! Layers: the nodes of the book's computational graph (chapter 5).
//!
//! A layer's `forward` computes its output and keeps what `backward` needs;
//! `backward` takes the gradient of the loss with respect to the output and
//! returns it with respect to the input (the chain rule), storing the
//! gradients of its own parameters on the way. `predict` is the same
//! function for inference: it takes `&self` and keeps nothing.
//!
//! Layers compose: a tuple `(A, B, C)` is the chain `A → B → C`, with
//! parameters named `0.weight`, `2.bias`; `#[derive(Network)]` does the same
//! for a struct with named fields.

mod activation;
mod affine;
mod agree;
mod avg_pool;
mod batch_norm;
mod batch_norm2d;
mod chain;
mod conv;
mod dropout;
mod flatten;
mod loss;
mod network;
mod node;
mod pool;

pub use activation::{Relu, Sigmoid, Tanh};
pub use affine::Affine;
pub use agree::signature_agrees;
pub use avg_pool::{AvgPool2d, GlobalAvgPool};
pub use batch_norm::BatchNorm;
pub use batch_norm2d::BatchNorm2d;
pub use conv::Conv2d;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use loss::{ClassTargets, IdentityWithLoss, SoftmaxWithLoss};
pub use network::Network;
pub use node::{Add, Mul, NodeValue};
pub use pool::MaxPool2d;

use katachi_par::Element;

use crate::error::Result;

/// A node of the computational graph, taking `In`.
///
/// The contract every implementation keeps:
/// - `forward` then `backward` computes the vector-Jacobian product: for a
///   scalar loss `L(forward(x))`, `backward(∂L/∂y)` returns `∂L/∂x` and leaves
///   `∂L/∂θ` in each parameter's gradient;
/// - `predict(x)` returns what `forward(x)` would, without caching;
/// - calling `backward` without a matching `forward` is a bug in the caller
///   and panics with a message saying so.
pub trait Layer<In> {
    /// What the layer produces.
    type Out;

    /// The training-time pass: computes the output and caches what
    /// `backward` needs.
    fn forward(&mut self, x: In) -> Self::Out;

    /// The chain rule: from `∂L/∂out` to `∂L/∂in`, storing parameter
    /// gradients. It may consume what `forward` cached: run `forward` again
    /// before another `backward`.
    fn backward(&mut self, dy: Self::Out) -> In;

    /// `backward` for a caller that does not need `∂L/∂in`: only parameter
    /// gradients. The first layer of a network is called this way (nobody
    /// needs the gradient of the input images), and `Affine` then skips the
    /// `dY·Wᵀ` product, about a third of its backward work.
    fn backward_params(&mut self, dy: Self::Out) {
        let _ = self.backward(dy);
    }

    /// The inference pass: same output as `forward`, nothing cached.
    fn predict(&self, x: In) -> Self::Out;
}

/// The backward half of a loss: its element type and `∂loss/∂x`.
///
/// Kept apart from [`Loss`] because it does not depend on the form of the
/// target: `loss.backward()` then needs no annotation even when a loss takes
/// both labels and one-hot rows.
pub trait LossBackward<In> {
    /// The element type of the loss value.
    type Elem: Element;

    /// `∂loss/∂x` for the latest [`Loss::forward`] (the upstream gradient is 1).
    ///
    /// # Panics
    /// If there was no forward pass, or `In` has another batch size.
    fn backward(&mut self) -> In;
}

/// A loss at the end of a network: a layer whose output is a scalar and which
/// also takes a target of type `T` (labels or one-hot rows).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take the target `{T}` for the input `{In}`",
    label = "this target does not fit the loss",
    note = "a loss over N classes takes `Labels<N>`, or one-hot rows with N columns and the input's element type"
)]
pub trait Loss<In, T: ?Sized>: LossBackward<In> {
    /// Computes the loss, caching what `backward` needs.
    ///
    /// # Errors
    /// When the target does not fit the input at run time (e.g. a different
    /// number of rows).
    fn forward(&mut self, x: In, target: &T) -> Result<Self::Elem>;

    /// The loss without caching anything.
    ///
    /// # Errors
    /// As [`Loss::forward`].
    fn loss(&self, x: In, target: &T) -> Result<Self::Elem>;
}

/// One training pass: network forward, loss forward, loss backward, network
/// backward (parameters only: the input gradient is not computed). Returns
/// the loss; every parameter gradient is then fresh.
///
/// Calling the four steps by hand works too, but the batch type of the
/// gradient then has to be written out (`let _: Tensor<Batch<784>> =
/// net.backward(loss.backward());`), because a layer accepts any batch
/// extent; here it is fixed by `x`.
///
/// # Errors
/// Whatever the loss returns for a target that does not fit.
///
/// ```
/// use katachi::prelude::*;
/// let mut net = (Affine::<2, 2, f64>::zeros(), Relu::new());
/// let x = Tensor::<Batch<2>, f64>::from_rows(&[[1.0, 2.0]])?;
/// let loss = backprop(&mut net, &mut SoftmaxWithLoss::new(), x, &Labels::<2>::new(vec![0])?)?;
/// assert!((loss - 2f64.ln()).abs() < 1e-12);
/// // All-zero weights make ReLU's output 0, and ReLU passes no gradient there:
/// // the zero-initialised layer would never learn (why the book initialises randomly).
/// assert_eq!(net.0.bias.grad.as_slice(), &[0.0, 0.0]);
/// # Ok::<(), katachi::Error>(())
/// ```
pub fn backprop<X, T, N, L>(net: &mut N, loss: &mut L, x: X, target: &T) -> Result<L::Elem>
where
    T: ?Sized,
    N: Layer<X>,
    L: Loss<N::Out, T>,
{
    let value = loss.forward(net.forward(x), target)?;
    net.backward_params(loss.backward());
    Ok(value)
}

/// The message layers panic with when `backward` has no matching `forward`.
pub(crate) const NO_FORWARD: &str =
    "backward called without a matching forward (or with a gradient of another shape)";
