//! What `#[derive(Network)]` expands its shape checks to: the types that
//! follow a tensor from field to field, the constant that holds the checks,
//! and the recast between what arrives and what a field takes. The
//! generated code names these; nothing else needs to.

use katachi_par::Element;

use super::message::{ConstMessage, mismatch_message, window_message};
use super::signature::{HasSample, Signature};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// What layer `L` gives when `X` arrives.
pub type Output<L, X> = <L as Signature<X>>::Output;
/// What layer `L` would take where `X` arrives.
pub type Input<L, X> = <L as Signature<X>>::Input;

/// `T: Is<U>` holds exactly when `T` is `U`: a bound that pins an impl
/// parameter to a type written on the struct.
pub trait Is<T> {}
impl<T> Is<T> for T {}

/// What arrives after layer `L` when `X` arrives before it. Taking and
/// returning values lets an error type stop at the first field at fault.
pub const fn next<L: Signature<X>, X>(
    _: core::marker::PhantomData<X>,
) -> core::marker::PhantomData<Output<L, X>> {
    core::marker::PhantomData
}

/// The element type of tensor `T`, for messages.
pub type Elem<T> = <T as HasSample>::Elem;

/// A derived network's shape checks: evaluating `SHAPES` panics with
/// the first mismatch, at the field.
pub trait Checked {
    /// `()`, or a compile error naming the fields and shapes.
    const SHAPES: ();
}

/// Evaluates `T`'s shape checks where a generic network is instantiated.
pub const fn check_shapes<T: Checked>() {
    let () = T::SHAPES;
}

/// The message when what arrives (`X`) and what field `L` takes differ
/// in a static extent; see [`mismatch_message`].
pub const fn mismatch<L, X>(
    _: &core::marker::PhantomData<X>,
    taker: &str,
    giver: &str,
) -> Option<ConstMessage>
where
    L: Signature<X>,
    X: HasSample,
    Input<L, X>: HasSample,
{
    mismatch_message::<X::Shape, <Input<L, X> as HasSample>::Shape>(taker, giver)
}

/// The message when field `L`'s window does not fit what arrives
/// (`X`); see [`window_message`].
pub const fn window<L, X>(_: &core::marker::PhantomData<X>, field: &str) -> Option<ConstMessage>
where
    L: Signature<X>,
    X: HasSample,
    Output<L, X>: HasSample,
{
    window_message::<X::Shape, <Output<L, X> as HasSample>::Shape>(field)
}

/// A tensor recast to another tensor type of the same shape: how a
/// derived network hands a field what arrives as what the field takes
/// (`Input<L, X>`). The data moves as it is when the types agree, which
/// the network's shape checks make sure of at compile time; otherwise
/// the program does not compile, and the conversion never runs.
pub trait Retype<T> {
    /// The same tensor as `T`.
    fn retype(self) -> T;
}

impl<S1: Shape, S2: Shape, E1: Element, E2: Element> Retype<Tensor<S2, E2>> for Tensor<S1, E1> {
    fn retype(self) -> Tensor<S2, E2> {
        let dims = self.dims();
        let mut data = Some(self.into_vec());
        // The same element type in every network that compiles: a move.
        let data = match (&mut data as &mut dyn core::any::Any).downcast_mut::<Option<Vec<E2>>>() {
            Some(same) => same.take().expect("taken once"),
            None => data
                .into_iter()
                .flatten()
                .map(|v| E2::from_f64(v.to_f64()))
                .collect(),
        };
        Tensor::from_dims(dims.as_ref(), data)
            .expect("a network whose fields do not fit each other does not compile")
    }
}

/// `a` recast to `B`; see [`Retype`].
pub fn retype<A: Retype<B>, B>(a: A) -> B {
    a.retype()
}
