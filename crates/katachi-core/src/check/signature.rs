//! What a layer takes and gives, as types, for compile-time shape checks.
//!
//! [`Layer`](crate::layer::Layer) says what a layer *does* with an input it accepts.
//! [`Signature`] says what it *would* accept and give when some `X` arrives,
//! even an `X` it rejects: `Affine<60, 10>` fed `[_, 50]` rows would accept
//! `[_, 60]` and give `[_, 10]`. Comparing the accepted type with the arriving
//! one is how `#[derive(Network)]` reports a mismatch at the field, naming
//! both shapes, instead of an unsatisfied bound deep in a generic impl.

use katachi_par::Element;

use crate::shape::Shape;
use crate::tensor::Tensor;

/// The input a layer accepts and the output it gives when `X` arrives.
///
/// Implement it next to [`Layer`](crate::layer::Layer) for a custom layer that
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
