//! Activation functions and their derivatives.
//!
//! Each activation is a marker type implementing [`Activation`]: the function
//! and its derivative written once, used both by the free functions here and
//! by the layers in [`crate::layer`]. The derivative is expressed through the
//! output `y = f(x)`, which is all a layer has to keep for backward.

use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

/// An element-wise function with a derivative that depends only on its output.
pub trait Activation: Copy + Default + Send + Sync + 'static {
    /// The name the book uses.
    const NAME: &'static str;

    /// The kernels' name for it, where the formulas are written once.
    const KIND: katachi_par::elementwise::Activation;

    /// `f(x)`.
    fn f<E: Element>(x: E) -> E {
        Self::KIND.f(x)
    }

    /// `f'(x)`, given `y = f(x)`.
    fn df_from_output<E: Element>(y: E) -> E {
        Self::KIND.df_from_output(y)
    }
}

/// `relu(x) = max(0, x)`; `relu'(x) = 1` for `x > 0`, else 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReluFn;

/// `sigmoid(x) = 1 / (1 + e^-x)`; `sigmoid'(x) = y (1 − y)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SigmoidFn;

/// `tanh(x)`; `tanh'(x) = 1 − y²`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TanhFn;

/// `identity(x) = x`; `identity'(x) = 1`.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityFn;

impl Activation for ReluFn {
    const NAME: &'static str = "relu";
    const KIND: katachi_par::elementwise::Activation = katachi_par::elementwise::Activation::Relu;
}

impl Activation for SigmoidFn {
    const NAME: &'static str = "sigmoid";
    const KIND: katachi_par::elementwise::Activation =
        katachi_par::elementwise::Activation::Sigmoid;
}

impl Activation for TanhFn {
    const NAME: &'static str = "tanh";
    const KIND: katachi_par::elementwise::Activation = katachi_par::elementwise::Activation::Tanh;
}

impl Activation for IdentityFn {
    const NAME: &'static str = "identity";
    const KIND: katachi_par::elementwise::Activation =
        katachi_par::elementwise::Activation::Identity;
}

fn apply<A: Activation, S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    x.map(A::f)
}

fn derivative<A: Activation, S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    x.map(|x| A::df_from_output(A::f(x)))
}

/// The step function: 1 where `x > 0`, else 0. Its derivative is 0 wherever
/// it exists, which is why the book replaces it with sigmoid for learning.
///
/// ```
/// use katachi::{func::step, prelude::*};
/// let y = step(&Tensor::<Rank1<3>>::from([-1.0, 0.0, 2.0]));
/// assert_eq!(y.as_slice(), &[0.0, 0.0, 1.0]);
/// ```
pub fn step<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    x.map(|x| if x > E::ZERO { E::ONE } else { E::ZERO })
}

/// Sigmoid, element-wise.
///
/// ```
/// use katachi::{func::sigmoid, prelude::*};
/// let y = sigmoid(&Tensor::<Rank1<3>>::from([0.0, 1000.0, -1000.0]));
/// assert_eq!(y.as_slice(), &[0.5, 1.0, 0.0]);
/// ```
pub fn sigmoid<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    apply::<SigmoidFn, _, _>(x)
}

/// The derivative of sigmoid at each element, `y (1 − y)`.
///
/// ```
/// use katachi::{func::sigmoid_grad, prelude::*};
/// assert_eq!(sigmoid_grad(&Tensor::<Rank1<1>>::from([0.0])).as_slice(), &[0.25]);
/// ```
pub fn sigmoid_grad<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    derivative::<SigmoidFn, _, _>(x)
}

/// ReLU, element-wise: `max(0, x)` (unbounded above).
///
/// ```
/// use katachi::{func::relu, prelude::*};
/// let y = relu(&Tensor::<Rank1<3>>::from([-2.0, 0.0, 5.0]));
/// assert_eq!(y.as_slice(), &[0.0, 0.0, 5.0]);
/// ```
pub fn relu<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    apply::<ReluFn, _, _>(x)
}

/// The derivative of ReLU: 1 where `x > 0`, else 0.
pub fn relu_grad<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    derivative::<ReluFn, _, _>(x)
}

/// Hyperbolic tangent, element-wise.
pub fn tanh<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    apply::<TanhFn, _, _>(x)
}

/// The derivative of tanh, `1 − tanh²(x)`.
pub fn tanh_grad<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    derivative::<TanhFn, _, _>(x)
}

/// The identity: the book's output function for regression.
pub fn identity<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    x.clone()
}

/// The derivative of the identity: all ones.
pub fn identity_grad<S: Shape, E: Element>(x: &Tensor<S, E>) -> Tensor<S, E> {
    derivative::<IdentityFn, _, _>(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grad::numerical_diff;
    use crate::shape::Rank1;
    use crate::tensor::Tensor;

    fn probe() -> Tensor<Rank1<7>, f64> {
        Tensor::from([-3.0, -1.2, -0.3, 0.2, 0.7, 1.5, 4.0])
    }

    fn assert_derivative_matches_numeric<A: Activation>(
        grad: fn(&Tensor<Rank1<7>, f64>) -> Tensor<Rank1<7>, f64>,
    ) {
        let x = probe();
        for (&x, &g) in x.as_slice().iter().zip(grad(&x).as_slice()) {
            let n = numerical_diff(A::f::<f64>, x);
            assert!((g - n).abs() < 1e-7, "{}'({x}) = {g}, numeric {n}", A::NAME);
        }
    }

    #[test]
    fn sigmoid_values() {
        assert_eq!(SigmoidFn::f(0.0_f64), 0.5);
        let y = sigmoid(&Tensor::<Rank1<2>, f64>::from([1.0, -1.0]));
        assert!((y.as_slice()[0] - 0.731_058_578_630_004_9).abs() < 1e-15);
        assert!((y.as_slice()[0] + y.as_slice()[1] - 1.0).abs() < 1e-15);
        let big = sigmoid(&Tensor::<Rank1<2>>::from([1000.0, -1000.0]));
        assert!(big.as_slice().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn relu_is_unbounded_above_and_zero_below() {
        let y = relu(&Tensor::<Rank1<3>>::from([-1e6, 0.5, 1e6]));
        assert_eq!(y.as_slice(), &[0.0, 0.5, 1e6]);
    }

    #[test]
    fn tanh_and_identity_values() {
        let x = Tensor::<Rank1<2>, f64>::from([0.0, 0.5]);
        assert_eq!(tanh(&x).as_slice(), &[0.0, 0.5_f64.tanh()]);
        assert_eq!(identity(&x), x);
        assert_eq!(identity_grad(&x).as_slice(), &[1.0, 1.0]);
        assert_eq!(tanh_grad(&x).as_slice()[0], 1.0);
    }

    #[test]
    fn step_is_zero_at_zero() {
        assert_eq!(
            step(&Tensor::<Rank1<2>>::from([0.0, 1e-30])).as_slice(),
            &[0.0, 1.0]
        );
    }

    #[test]
    fn derivatives_match_central_differences() {
        assert_derivative_matches_numeric::<SigmoidFn>(sigmoid_grad);
        assert_derivative_matches_numeric::<TanhFn>(tanh_grad);
        assert_derivative_matches_numeric::<ReluFn>(relu_grad);
        assert_derivative_matches_numeric::<IdentityFn>(identity_grad);
    }
}
