//! The convolutional network of chapter 7.

use crate::prelude::*;

/// Conv(30 filters, 5×5) → ReLU → 2×2 max pool → Affine(100) → ReLU →
/// Affine(10): the book's `SimpleConvNet`, for 1×28×28 images (98.7 % on
/// MNIST after a few epochs).
///
/// # Shapes
/// - input: `[batch, 1, 28, 28]`
/// - after `conv1`: `[batch, 30, 24, 24]`; after `pool1`: `[batch, 30, 12, 12]`
/// - after `flatten`: `[batch, 4320]`
/// - output: `[batch, 10]` scores, before softmax
///
/// The book initialises it with `N(0, 0.01²)` weights ([`Network::seeded`]).
///
/// ```
/// use katachi::models::SimpleConvNet;
/// use katachi::prelude::*;
/// let net = SimpleConvNet::<f32>::seeded(1);
/// let y = net.predict(Tensor::<Nchw<1, 28, 28>>::zeros((2, Const, Const, Const)));
/// assert_eq!(y.dims(), [2, 10]);
/// ```
#[derive(Network, Clone, Debug, Default)]
#[network(input = Tensor<Nchw<1, 28, 28>, E>)]
pub struct SimpleConvNet<E: Element = f32> {
    /// 30 filters of 5×5, stride 1, no padding.
    pub conv1: Conv2d<1, 30, 5, 1, 0, E>,
    /// After the convolution.
    pub relu1: Relu<E>,
    /// 2×2 windows, stride 2.
    pub pool1: MaxPool2d<2, 2, E>,
    /// 30×12×12 maps → rows of 4320.
    pub flatten: Flatten<E>,
    /// 4320 → 100.
    pub affine1: Affine<4320, 100, E>,
    /// After the hidden layer.
    pub relu2: Relu<E>,
    /// 100 → 10 scores.
    pub affine2: Affine<100, 10, E>,
}
