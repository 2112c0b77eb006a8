//! What a layer takes and gives, as types, for compile-time shape checks.
//!
//! [`Layer`] says what a layer *does* with an input it accepts.
//! [`Signature`] says what it *would* accept and give when some `X` arrives,
//! even an `X` it rejects: `Affine<60, 10>` fed `[_, 50]` rows would accept
//! `[_, 60]` and give `[_, 10]`. Comparing the accepted type with the arriving
//! one is how `#[derive(Network)]` reports a mismatch at the field, naming
//! both shapes, instead of an unsatisfied bound deep in a generic impl.

use katachi_par::Element;

use crate::layer::Layer;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// The input a layer accepts and the output it gives when `X` arrives.
///
/// Implement it next to [`Layer`] for a custom layer that
/// should go inside a `#[derive(Network)]` struct. It must be total: defined
/// for every `X` of the form the layer works on, including the wrong widths.
/// The layer must implement `Layer<Self::Input>` with `Out =
/// Self::Output`: a derived network calls it with what arrives recast to
/// `Input` (the same data, when the shapes fit, which the network's shape
/// checks make sure of at compile time) and passes `Output` to the next
/// field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a layer",
    label = "not a layer",
    note = "every field of a `#[derive(Network)]` struct is a layer (`Affine`, `Relu`, another network, …); mark other fields `#[network(skip)]`"
)]
pub trait Signature<X> {
    /// What the layer takes in place of `X`.
    type Input;
    /// What the layer gives for [`Signature::Input`].
    type Output;
}

/// A layer whose type fixes what it takes (with a runtime batch extent):
/// `Affine<784, 50>` takes `Tensor<(usize, Const<784>)>`. The first layer of a
/// derived network tells the network's input this way.
#[diagnostic::on_unimplemented(
    message = "`{Self}` takes any shape, so it cannot tell the network's input",
    label = "the first layer decides the network's input",
    note = "declare the input on the struct, e.g. `#[network(input = Tensor<(usize, Const<784>)>)]`"
)]
pub trait FixedInput {
    /// The input, with a runtime batch extent.
    type Input;
}

/// A tensor's shape and element type as types, for compile-time checks.
pub trait HasSample {
    /// The tensor's shape type.
    type Shape: Shape;
    /// The tensor's element type.
    type Elem;
}

impl<S: Shape, E: Element> HasSample for Tensor<S, E> {
    type Shape = S;
    type Elem = E;
}

/// Compiles only when layer `L`, where `X` arrives, gives what its
/// [`Signature`] promises: `L: Layer<Input>` with `Out = Output`. A layer
/// that promised one shape and produced another would pass the network's
/// checks and then fail to build inside it; this names the layer instead.
/// Call it in a `const` for each input form the layer works on:
///
/// ```
/// use katachi::check::signature_agrees;
/// use katachi::prelude::*;
/// const _: () = signature_agrees::<Relu, Tensor<Rank2<2, 3>>>();
/// const _: () = signature_agrees::<MaxPool2d<2>, Tensor<Nchw<3, 8, 8>>>();
/// ```
pub const fn signature_agrees<L, X>()
where
    L: Signature<X> + Layer<<L as Signature<X>>::Input, Out = <L as Signature<X>>::Output>,
{
}

#[cfg(test)]
mod tests {
    use super::signature_agrees;
    use crate::layer::{
        Affine, BatchNorm, Conv2d, Dropout, Flatten, MaxPool2d, Relu, Sigmoid, Tanh,
    };
    use crate::shape::{Batch, Const, Flat, Nchw, Rank2, Window};
    use crate::tensor::Tensor;

    type Maps = Nchw<1, 28, 28>;
    type Conv = Window<Const<28>, 5, 1, 0>;
    type Pooled = Window<Conv, 2, 2, 0>;
    type Rows = (usize, Flat<Const<30>, Pooled, Pooled>);

    // Every built-in layer gives what its Signature promises, for each form
    // of input it works on: plain rows, maps, and extents the compiler computes.
    const _: () = signature_agrees::<Affine<784, 50>, Tensor<Batch<784>>>();
    const _: () = signature_agrees::<Affine<4320, 10>, Tensor<Rows>>();
    const _: () = signature_agrees::<Affine<2, 3, f64>, Tensor<Rank2<5, 2>, f64>>();
    const _: () = signature_agrees::<Relu, Tensor<Maps>>();
    const _: () = signature_agrees::<Sigmoid, Tensor<Batch<7>>>();
    const _: () = signature_agrees::<Tanh<f64>, Tensor<Rank2<2, 2>, f64>>();
    const _: () = signature_agrees::<Conv2d<1, 30, 5>, Tensor<Maps>>();
    const _: () =
        signature_agrees::<Conv2d<30, 8, 3, 2, 1>, Tensor<(usize, Const<30>, Conv, Conv)>>();
    const _: () = signature_agrees::<MaxPool2d<2>, Tensor<(usize, Const<30>, Conv, Conv)>>();
    const _: () = signature_agrees::<Flatten, Tensor<(usize, Const<30>, Pooled, Pooled)>>();
    const _: () = signature_agrees::<BatchNorm<50>, Tensor<Batch<50>>>();
    const _: () = signature_agrees::<BatchNorm<4320>, Tensor<Rows>>();
    const _: () = signature_agrees::<Dropout, Tensor<Batch<50>>>();
    const _: () = signature_agrees::<(Affine<4, 3>, Relu, Affine<3, 2>), Tensor<Batch<4>>>();

    #[test]
    fn built_in_layers_keep_their_promises() {
        // The checks above run when this module compiles; here one value
        // confirms a promised output shape by running the layer.
        use crate::layer::Layer;
        let mut conv = Conv2d::<1, 30, 5>::zeros();
        let y = conv.forward(Tensor::<Maps>::zeros((2, Const, Const, Const)));
        assert_eq!(y.dims(), [2, 30, 24, 24]);
    }
}
