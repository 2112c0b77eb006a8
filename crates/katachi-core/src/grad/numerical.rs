//! Central differences and gradient descent.

use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

/// The book's step for numerical differentiation: small enough for accuracy,
/// large enough that `f(x + h) − f(x − h)` does not vanish in rounding.
pub const H: f64 = 1e-4;

/// The central difference `(f(x + h) − f(x − h)) / 2h` with `h = 1e-4`.
///
/// Its error shrinks with `h²`, where the forward difference's shrinks only
/// with `h`.
///
/// ```
/// use katachi::grad::numerical_diff;
/// // d/dx (0.01x² + 0.1x) at x = 5 is 0.2.
/// let d = numerical_diff(|x: f64| 0.01 * x * x + 0.1 * x, 5.0);
/// assert!((d - 0.2).abs() < 1e-9);
/// ```
pub fn numerical_diff<E: Element>(mut f: impl FnMut(E) -> E, x: E) -> E {
    let h = E::from_f64(H);
    (f(x + h) - f(x - h)) / (h + h)
}

/// The gradient of `f` at `x`: each partial derivative by central difference.
///
/// Each element of `x` is probed at `x ± h` and then restored to its exact
/// original value, so `x` is unchanged on return.
///
/// ```
/// use katachi::{grad::numerical_gradient, prelude::*};
/// // f(x0, x1) = x0² + x1² has gradient (2x0, 2x1).
/// let mut x = Tensor::<Rank1<2>, f64>::from([3.0, 4.0]);
/// let g = numerical_gradient(|x| x.as_slice().iter().map(|v| v * v).sum(), &mut x);
/// assert!((g.as_slice()[0] - 6.0).abs() < 1e-6 && (g.as_slice()[1] - 8.0).abs() < 1e-6);
/// assert_eq!(x.as_slice(), &[3.0, 4.0]);
/// ```
pub fn numerical_gradient<S: Shape, E: Element>(
    mut f: impl FnMut(&Tensor<S, E>) -> E,
    x: &mut Tensor<S, E>,
) -> Tensor<S, E> {
    let h = E::from_f64(H);
    let mut grad = Tensor::zeros(x.shape());
    for i in 0..x.numel() {
        let original = x.as_slice()[i];
        x.as_mut_slice()[i] = original + h;
        let plus = f(x);
        x.as_mut_slice()[i] = original - h;
        let minus = f(x);
        x.as_mut_slice()[i] = original;
        grad.as_mut_slice()[i] = (plus - minus) / (h + h);
    }
    grad
}

/// Gradient descent: `steps` times, `x ← x − lr · ∇f(x)`, with the gradient
/// taken numerically. Returns the final `x`.
///
/// ```
/// use katachi::{grad::gradient_descent, prelude::*};
/// let init = Tensor::<Rank1<2>, f64>::from([-3.0, 4.0]);
/// let x = gradient_descent(|x| x.as_slice().iter().map(|v| v * v).sum(), init, 0.1, 100);
/// assert!(x.as_slice().iter().all(|v| v.abs() < 1e-8));
/// ```
pub fn gradient_descent<S: Shape, E: Element>(
    mut f: impl FnMut(&Tensor<S, E>) -> E,
    init: Tensor<S, E>,
    lr: E,
    steps: usize,
) -> Tensor<S, E> {
    let mut x = init;
    for _ in 0..steps {
        let grad = numerical_gradient(&mut f, &mut x);
        for (x, &g) in x.as_mut_slice().iter_mut().zip(grad.as_slice()) {
            *x -= lr * g;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grad::numerical_gradient;
    use crate::shape::{Rank1, Rank2};
    use crate::tensor::Tensor;

    fn function_2(x: &Tensor<Rank1<2>, f64>) -> f64 {
        x.as_slice().iter().map(|v| v * v).sum()
    }

    #[test]
    fn gradient_of_sum_of_squares_at_3_4() {
        let mut x = Tensor::from([3.0, 4.0]);
        let g = numerical_gradient(function_2, &mut x);
        assert!((g.as_slice()[0] - 6.0).abs() < 1e-6);
        assert!((g.as_slice()[1] - 8.0).abs() < 1e-6);
        let mut x = Tensor::from([0.0, 2.0]);
        let g = numerical_gradient(function_2, &mut x);
        assert!(g.as_slice()[0].abs() < 1e-6 && (g.as_slice()[1] - 4.0).abs() < 1e-6);
    }

    #[test]
    fn probing_restores_every_element_exactly() {
        let values = [0.1, -7.25, 1e-9, 3.3];
        let mut x =
            Tensor::<Rank2<2, 2>, f64>::from([[values[0], values[1]], [values[2], values[3]]]);
        let mut seen = Vec::new();
        numerical_gradient(
            |x| {
                seen.push(x.as_slice().to_vec());
                0.0
            },
            &mut x,
        );
        assert_eq!(x.as_slice(), &values);
        // Each call perturbs exactly one element.
        for (call, probe) in seen.iter().enumerate() {
            let changed = probe.iter().zip(&values).filter(|(a, b)| a != b).count();
            assert_eq!(changed, 1, "call {call}");
        }
        assert_eq!(seen.len(), 8);
    }

    #[test]
    fn gradient_descent_reaches_the_minimum() {
        let x = gradient_descent(function_2, Tensor::from([-3.0, 4.0]), 0.1, 100);
        assert!(x.as_slice().iter().all(|v| v.abs() < 1e-8), "{x:?}");
        // Too large a step diverges, too small barely moves: the book's point.
        let big = gradient_descent(function_2, Tensor::from([-3.0, 4.0]), 10.0, 100);
        assert!(big.as_slice()[0].abs() > 1e10);
        let small = gradient_descent(function_2, Tensor::from([-3.0, 4.0]), 1e-10, 100);
        assert!((small.as_slice()[0] + 3.0).abs() < 1e-6);
    }
}
