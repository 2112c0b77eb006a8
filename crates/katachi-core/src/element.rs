//! The element types tensors hold.

/// A tensor element: `f32` or `f64`.
///
/// Everything generic code needs comes with this one bound: the arithmetic
/// and math functions of [`katachi_par::Float`], which the kernels are
/// written for. A network generic over its element type writes
/// `E: Element` and nothing else:
///
/// ```
/// use katachi::prelude::*;
///
/// #[derive(Network, Default)]
/// struct Fit<E: Element> {
///     fc1: Affine<1, 16, E>,
///     act: Tanh<E>,
///     fc2: Affine<16, 1, E>,
/// }
///
/// let net = Fit::<f64>::seeded(7);
/// assert_eq!(net.predict(Tensor::zeros((3, Const))).dims(), [3, 1]);
/// ```
///
/// It is implemented for every `Float`, and `Float` is sealed: `f32` and
/// `f64`.
pub trait Element: katachi_par::Float {}

impl<E: katachi_par::Float> Element for E {}
