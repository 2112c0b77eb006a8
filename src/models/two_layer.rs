//! The two-layer net of chapters 4 and 5.

use crate::prelude::*;

/// Affine → ReLU → Affine: `I` inputs, `H` hidden units, `O` scores (the
/// book's `TwoLayerNet`, 784-50-10 for MNIST by default).
///
/// # Shapes
/// - input: `[batch, I]`
/// - output: `[batch, O]` scores, before softmax
///
/// The book initialises it with `N(0, 0.01²)` weights, which is what
/// [`Network::seeded`] does.
///
/// ```
/// use katachi::models::TwoLayerNet;
/// use katachi::prelude::*;
/// // The rings of `examples/two_layer_net.rs`: 2 inputs, 3 classes, in f64.
/// let mut net = TwoLayerNet::<2, 50, 3, f64>::default();
/// net.init(Init::He, 1);
/// let x = Tensor::<Batch<2>, f64>::from_rows(&[[0.1, -0.4]])?;
/// assert_eq!(net.predict(x).dims(), [1, 3]);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Network, Clone, Debug, Default)]
pub struct TwoLayerNet<
    const I: usize = 784,
    const H: usize = 50,
    const O: usize = 10,
    E: Element = f32,
> {
    /// `[batch, I]` → `[batch, H]`.
    pub affine1: Affine<I, H, E>,
    /// The hidden activation.
    pub relu: Relu<E>,
    /// `[batch, H]` → `[batch, O]`.
    pub affine2: Affine<H, O, E>,
}
