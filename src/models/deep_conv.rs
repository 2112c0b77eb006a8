//! The deep convolutional network of chapter 8.

use crate::prelude::*;

/// Six 3×3 convolutions in three pairs (16, 32 and 64 filters), each pair
/// followed by a 2×2 max pool, then Affine(50) → ReLU → Dropout →
/// Affine(10) → Dropout: the book's `DeepConvNet`, which passes 99 % on
/// MNIST.
///
/// Every convolution pads by 1 except `conv4`, which pads by 2 (as in the
/// book), so its 14×14 input grows to 16×16 and three pools leave 4×4.
///
/// # Shapes
/// - input: `[batch, 1, 28, 28]`
/// - after `pool1`: `[batch, 16, 14, 14]`
/// - after `pool2`: `[batch, 32, 8, 8]`
/// - after `pool3`: `[batch, 64, 4, 4]`; after `flatten`: `[batch, 1024]`
/// - output: `[batch, 10]` scores, before softmax
///
/// The book initialises it by He's rule: `net.init(Init::He, seed)`. Both
/// dropouts drop half their inputs in training and none in inference.
///
/// ```
/// use katachi::models::DeepConvNet;
/// use katachi::prelude::*;
/// let mut net = DeepConvNet::<f32>::default();
/// net.init(Init::He, 1);
/// let y = net.predict(Tensor::<Nchw<1, 28, 28>>::zeros((2, Const, Const, Const)));
/// assert_eq!(y.dims(), [2, 10]);
/// let weights: usize = net.param_names().len();
/// assert_eq!(weights, 16); // 8 weighted layers, a weight and a bias each
/// ```
#[derive(Network, Clone, Debug, Default)]
#[network(input = Tensor<Nchw<1, 28, 28>, E>)]
pub struct DeepConvNet<E: Element = f32> {
    /// 16 filters, 28×28 → 28×28.
    pub conv1: Conv2d<1, 16, 3, 1, 1, E>,
    /// After `conv1`.
    pub relu1: Relu<E>,
    /// 16 filters, 28×28 → 28×28.
    pub conv2: Conv2d<16, 16, 3, 1, 1, E>,
    /// After `conv2`.
    pub relu2: Relu<E>,
    /// 28×28 → 14×14.
    pub pool1: MaxPool2d<2, 2, E>,
    /// 32 filters, 14×14 → 14×14.
    pub conv3: Conv2d<16, 32, 3, 1, 1, E>,
    /// After `conv3`.
    pub relu3: Relu<E>,
    /// 32 filters, padded by 2: 14×14 → 16×16.
    pub conv4: Conv2d<32, 32, 3, 1, 2, E>,
    /// After `conv4`.
    pub relu4: Relu<E>,
    /// 16×16 → 8×8.
    pub pool2: MaxPool2d<2, 2, E>,
    /// 64 filters, 8×8 → 8×8.
    pub conv5: Conv2d<32, 64, 3, 1, 1, E>,
    /// After `conv5`.
    pub relu5: Relu<E>,
    /// 64 filters, 8×8 → 8×8.
    pub conv6: Conv2d<64, 64, 3, 1, 1, E>,
    /// After `conv6`.
    pub relu6: Relu<E>,
    /// 8×8 → 4×4.
    pub pool3: MaxPool2d<2, 2, E>,
    /// 64×4×4 maps → rows of 1024.
    pub flatten: Flatten<E>,
    /// 1024 → 50.
    pub affine1: Affine<1024, 50, E>,
    /// After the hidden layer.
    pub relu7: Relu<E>,
    /// Half the hidden units dropped in training.
    pub dropout1: Dropout<E>,
    /// 50 → 10 scores.
    pub affine2: Affine<50, 10, E>,
    /// Half the scores dropped in training, as in the book.
    pub dropout2: Dropout<E>,
}
