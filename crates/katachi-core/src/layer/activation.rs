//! Activation layers: `Relu`, `Sigmoid`, `Tanh`.
//!
//! Each keeps only what its derivative is written through: Sigmoid and Tanh
//! their output `y` ([`Activation::df_from_output`]), ReLU only where `y` is
//! positive, one byte per element (a quarter of an `f32` copy: on a CNN's
//! activations, megabytes the forward need not write nor the backward read).
//! `backward` multiplies the upstream gradient by the derivative in place.

use std::marker::PhantomData;

use katachi_par::{Par, elementwise};

use super::{Layer, NO_FORWARD};
use crate::check::Signature;
use crate::func::{Activation, ReluFn, SigmoidFn, TanhFn};
use crate::param::{ParamMut, ParamPath, ParamView, Parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

/// The shared machinery: what the backward needs, and the loops.
#[derive(Clone, Debug, Default)]
struct Cache<A, E> {
    /// The output, for activations other than ReLU.
    output: Vec<E>,
    /// ReLU's mask: 1 where the output is positive.
    positive: Vec<u8>,
    /// Elements the last forward kept something for; `None` before the
    /// first.
    kept: Option<usize>,
    activation: PhantomData<A>,
}

impl<A: Activation, E: Element> Cache<A, E> {
    const MASKED: bool = matches!(A::KIND, elementwise::Activation::Relu);

    fn forward<S: Shape>(&mut self, mut x: Tensor<S, E>) -> Tensor<S, E> {
        // Reuse the buffers: no allocation once they have reached batch size.
        let len = x.numel();
        if Self::MASKED {
            self.positive.resize(len, 0);
            elementwise::relu_keeping_mask(x.as_mut_slice(), &mut self.positive, Par::Rayon);
        } else {
            self.output.resize(len, E::ZERO);
            let kept = Some(self.output.as_mut_slice());
            elementwise::activate(A::KIND, x.as_mut_slice(), kept, Par::Rayon);
        }
        self.kept = Some(len);
        x
    }

    fn backward<S: Shape>(&mut self, mut dy: Tensor<S, E>) -> Tensor<S, E> {
        assert!(
            self.kept == Some(dy.numel()),
            "{} layer: {NO_FORWARD}",
            A::NAME
        );
        if Self::MASKED {
            elementwise::relu_grad_from_mask(dy.as_mut_slice(), &self.positive, Par::Rayon);
        } else {
            elementwise::activation_grad(A::KIND, dy.as_mut_slice(), &self.output, Par::Rayon);
        }
        dy
    }
}

/// `f` on every element, in place (predict: nothing cached, nothing copied).
fn apply<A: Activation, S: Shape, E: Element>(mut x: Tensor<S, E>) -> Tensor<S, E> {
    elementwise::activate(A::KIND, x.as_mut_slice(), None, Par::Rayon);
    x
}

macro_rules! activation_layer {
    ($(#[$doc:meta])* $name:ident, $fun:ident) => {
        $(#[$doc])*
        ///
        /// # Shapes
        /// - input: any shape
        /// - output: the input's shape
        #[derive(Clone, Debug, Default)]
        pub struct $name<E: Element = f32> {
            cache: Cache<$fun, E>,
        }

        impl<E: Element> $name<E> {
            /// A new layer with nothing cached.
            pub fn new() -> Self {
                Self::default()
            }
        }

        impl<S: Shape, E: Element> Layer<Tensor<S, E>> for $name<E> {
            type Out = Tensor<S, E>;

            fn forward(&mut self, x: Tensor<S, E>) -> Tensor<S, E> {
                self.cache.forward(x)
            }

            fn backward(&mut self, dy: Tensor<S, E>) -> Tensor<S, E> {
                self.cache.backward(dy)
            }

            fn predict(&self, x: Tensor<S, E>) -> Tensor<S, E> {
                apply::<$fun, S, E>(x)
            }
        }

        impl<E: Element> Parameters for $name<E> {
            type Elem = E;

            fn visit(&self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {}

            fn visit_mut(&mut self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>)) {}
        }
    };
}

activation_layer!(
    /// ReLU as a layer: passes positive inputs, zeroes the rest; backward lets
    /// the gradient through only where the input was positive.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut relu = Relu::new();
    /// let y = relu.forward(Tensor::<Rank1<3>>::from([-1.0, 0.0, 2.0]));
    /// assert_eq!(y.as_slice(), &[0.0, 0.0, 2.0]);
    /// let dx = relu.backward(Tensor::from([5.0, 5.0, 5.0]));
    /// assert_eq!(dx.as_slice(), &[0.0, 0.0, 5.0]);
    /// ```
    Relu,
    ReluFn
);

activation_layer!(
    /// Sigmoid as a layer; backward multiplies by `y (1 − y)`.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut s = Sigmoid::<f64>::new();
    /// assert_eq!(s.forward(Tensor::<Rank1<1>, f64>::from([0.0])).as_slice(), &[0.5]);
    /// assert_eq!(s.backward(Tensor::from([1.0])).as_slice(), &[0.25]);
    /// ```
    Sigmoid,
    SigmoidFn
);

activation_layer!(
    /// Tanh as a layer; backward multiplies by `1 − y²`.
    Tanh,
    TanhFn
);

// An activation takes any shape and gives the same.
macro_rules! shape_preserving {
    ($($layer:ident),+) => {$(
        impl<S: Shape, E2: Element, E: Element> Signature<Tensor<S, E2>> for $layer<E> {
            type Input = Tensor<S, E>;
            type Output = Tensor<S, E>;
        }
    )+};
}

shape_preserving!(Relu, Sigmoid, Tanh);

#[cfg(test)]
mod tests {
    use crate::grad::numerical_gradient;
    use crate::layer::{Layer, Relu, Sigmoid, Tanh};
    use crate::shape::{Rank1, Rank2};
    use crate::tensor::Tensor;

    /// backward(w) equals the numerical gradient of x ↦ Σ w ⊙ layer(x).
    fn check<L: Layer<Tensor<Rank2<2, 3>, f64>, Out = Tensor<Rank2<2, 3>, f64>> + Default>() {
        let w = Tensor::<Rank2<2, 3>, f64>::from([[0.3, -1.2, 2.0], [1.0, 0.5, -0.7]]);
        let mut x = Tensor::<Rank2<2, 3>, f64>::from([[-1.5, 0.25, 0.8], [2.2, -0.1, 0.05]]);
        let mut layer = L::default();
        let y = layer.forward(x.clone());
        assert_eq!(y, layer.predict(x.clone()));
        let dx = layer.backward(w.clone());
        let numeric = numerical_gradient(|x| layer_sum(&L::default(), x, &w), &mut x);
        for (a, n) in dx.as_slice().iter().zip(numeric.as_slice()) {
            assert!((a - n).abs() < 1e-8, "{a} vs {n}");
        }
    }

    fn layer_sum<L: Layer<Tensor<Rank2<2, 3>, f64>, Out = Tensor<Rank2<2, 3>, f64>>>(
        layer: &L,
        x: &Tensor<Rank2<2, 3>, f64>,
        w: &Tensor<Rank2<2, 3>, f64>,
    ) -> f64 {
        layer
            .predict(x.clone())
            .zip_map(w, |a, b| a * b)
            .unwrap()
            .sum()
    }

    #[test]
    fn backward_matches_numerical_gradient() {
        check::<Relu<f64>>();
        check::<Sigmoid<f64>>();
        check::<Tanh<f64>>();
    }

    #[test]
    #[should_panic(expected = "relu layer: backward called without a matching forward")]
    fn backward_with_another_shape_panics_clearly() {
        let mut relu = Relu::<f32>::new();
        relu.forward(Tensor::<Rank1<2>>::default());
        relu.backward(Tensor::<Rank1<3>>::default());
    }
}
