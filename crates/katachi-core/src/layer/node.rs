//! The multiplication and addition nodes of the book's computational graph.
//!
//! The addition node passes its upstream gradient through to both inputs;
//! the multiplication node sends each input the upstream gradient times the
//! *other* input. Both work on scalars (`f32`, `f64`) and on tensors.

use super::{Layer, NO_FORWARD};
use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

/// A value that can flow through [`Mul`] and [`Add`] nodes.
pub trait NodeValue: Clone {
    /// `self · other` (element-wise for tensors).
    fn mul(&self, other: &Self) -> Self;
    /// `self + other` (element-wise for tensors).
    fn add(&self, other: &Self) -> Self;
}

impl NodeValue for f32 {
    fn mul(&self, other: &Self) -> Self {
        self * other
    }
    fn add(&self, other: &Self) -> Self {
        self + other
    }
}

impl NodeValue for f64 {
    fn mul(&self, other: &Self) -> Self {
        self * other
    }
    fn add(&self, other: &Self) -> Self {
        self + other
    }
}

impl<S: Shape, E: Element> NodeValue for Tensor<S, E> {
    /// # Panics
    /// If the two tensors' runtime extents differ.
    #[track_caller]
    fn mul(&self, other: &Self) -> Self {
        self.zip_map(other, |a, b| a * b)
            .unwrap_or_else(|e| panic!("Mul node: {e}"))
    }
    /// # Panics
    /// If the two tensors' runtime extents differ.
    #[track_caller]
    fn add(&self, other: &Self) -> Self {
        self.zip_map(other, |a, b| a + b)
            .unwrap_or_else(|e| panic!("Add node: {e}"))
    }
}

/// The multiplication node: `forward((x, y)) = x · y`; backward sends
/// `(dout · y, dout · x)`.
///
/// # Shapes
/// - inputs `x`, `y`: scalars, or tensors of one shape
/// - output: the same shape; backward gives two of it
///
/// ```
/// use katachi::prelude::*;
/// let mut mul = Mul::default();
/// assert_eq!(mul.forward((100.0_f64, 2.0)), 200.0);
/// assert_eq!(mul.backward(1.0), (2.0, 100.0));
/// ```
#[derive(Clone, Debug)]
pub struct Mul<T = f32> {
    inputs: Option<(T, T)>,
}

impl<T> Default for Mul<T> {
    fn default() -> Self {
        Self { inputs: None }
    }
}

impl<T: NodeValue> Layer<(T, T)> for Mul<T> {
    type Out = T;

    fn forward(&mut self, (x, y): (T, T)) -> T {
        let out = x.mul(&y);
        self.inputs = Some((x, y));
        out
    }

    fn backward(&mut self, dout: T) -> (T, T) {
        let (x, y) = self.inputs.as_ref().expect(NO_FORWARD);
        (dout.mul(y), dout.mul(x))
    }

    fn predict(&self, (x, y): (T, T)) -> T {
        x.mul(&y)
    }
}

/// The addition node: `forward((x, y)) = x + y`; backward passes `dout` to both.
///
/// # Shapes
/// - inputs `x`, `y`: scalars, or tensors of one shape
/// - output: the same shape; backward gives two of it
///
/// ```
/// use katachi::prelude::*;
/// let mut add = Add;
/// assert_eq!(add.forward((200.0_f64, 450.0)), 650.0);
/// assert_eq!(add.backward(1.1), (1.1, 1.1));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Add;

impl<T: NodeValue> Layer<(T, T)> for Add {
    type Out = T;

    fn forward(&mut self, (x, y): (T, T)) -> T {
        x.add(&y)
    }

    fn backward(&mut self, dout: T) -> (T, T) {
        (dout.clone(), dout)
    }

    fn predict(&self, (x, y): (T, T)) -> T {
        x.add(&y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grad::numerical_gradient;
    use crate::layer::{Add, Mul};
    use crate::shape::Rank1;
    use crate::tensor::Tensor;

    /// The book's shopping example: 2 apples at 100 and 3 oranges at 150,
    /// with 10 % tax.
    #[test]
    fn buying_apples_and_oranges() {
        let (apple, apple_num, orange, orange_num, tax) = (100.0_f64, 2.0, 150.0, 3.0, 1.1);
        let mut mul_apple = Mul::default();
        let mut mul_orange = Mul::default();
        let mut add_fruit = Add;
        let mut mul_tax = Mul::default();

        let apple_price = mul_apple.forward((apple, apple_num));
        let orange_price = mul_orange.forward((orange, orange_num));
        let all_price = add_fruit.forward((apple_price, orange_price));
        let price = mul_tax.forward((all_price, tax));
        assert!((price - 715.0).abs() < 1e-9);

        let (d_all_price, d_tax) = mul_tax.backward(1.0);
        let (d_apple_price, d_orange_price) = add_fruit.backward(d_all_price);
        let (d_apple, d_apple_num) = mul_apple.backward(d_apple_price);
        let (d_orange, d_orange_num) = mul_orange.backward(d_orange_price);
        for (got, want) in [
            (d_apple, 2.2),
            (d_apple_num, 110.0),
            (d_orange, 3.3),
            (d_orange_num, 165.0),
            (d_tax, 650.0),
        ] {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn tensor_nodes_match_numerical_gradients() {
        // L = Σ w ⊙ (x ⊙ y + x): check d/dx and d/dy through Mul then Add.
        let w = Tensor::<Rank1<3>, f64>::from([0.5, -2.0, 1.5]);
        let x = Tensor::<Rank1<3>, f64>::from([1.0, 2.0, -3.0]);
        let y = Tensor::<Rank1<3>, f64>::from([4.0, -0.5, 0.25]);
        let (mut mul, mut add) = (Mul::default(), Add);
        let xy = mul.forward((x.clone(), y.clone()));
        let _ = add.forward((xy, x.clone()));
        let (d_xy, d_x_direct) = add.backward(w.clone());
        let (d_x_mul, d_y) = mul.backward(d_xy);
        let d_x = d_x_mul.add(&d_x_direct);
        let loss =
            |x: &Tensor<Rank1<3>, f64>, y: &Tensor<Rank1<3>, f64>| w.mul(&x.mul(y).add(x)).sum();
        let num_x = numerical_gradient(|x| loss(x, &y), &mut x.clone());
        let num_y = numerical_gradient(|y| loss(&x, y), &mut y.clone());
        for (a, n) in d_x
            .as_slice()
            .iter()
            .chain(d_y.as_slice())
            .zip(num_x.as_slice().iter().chain(num_y.as_slice()))
        {
            assert!((a - n).abs() < 1e-8, "{a} vs {n}");
        }
    }

    #[test]
    #[should_panic(expected = "backward called without a matching forward")]
    fn mul_backward_before_forward_panics_clearly() {
        Mul::<f32>::default().backward(1.0);
    }
}
