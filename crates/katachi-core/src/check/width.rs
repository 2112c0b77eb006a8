//! Row widths a layer accepts: its own, or a computed extent of the same
//! size.

use super::message::mismatch_message;
use crate::shape::dim::{Const, ConstDim, Derived};
use crate::shape::extent::Expected;

#[cfg(doc)]
use crate::shape::Flat;

/// An extent `Affine<I, _>` takes as its rows: `Const<I>`, or a computed
/// extent ([`Flat`], after a convolution) whose size
/// the compiler checks to be `I`.
#[diagnostic::on_unimplemented(
    message = "a layer that takes rows of {I} numbers cannot take rows of `{Self}`",
    label = "rows of another width",
    note = "an `Affine<I, O>` takes `[batch, I]`; flatten 4-D activations with `Flatten` first"
)]
pub trait Width<const I: usize>: ConstDim {
    /// Evaluates to `()`, or fails to compile when the size is not `I`.
    const CHECK: ();
}

impl<const I: usize> Width<I> for Const<I> {
    const CHECK: () = ();
}

/// A computed extent already compared with `I` where a network was
/// checked (see [`Expected`]).
impl<D: ConstDim, const I: usize> Width<I> for Expected<D, I> {
    const CHECK: () = ();
}

impl<D: Derived, const I: usize> Width<I> for D {
    const CHECK: () = if let Some(message) =
        mismatch_message::<(usize, D), (usize, Const<I>)>("an `Affine` layer takes ", " but gets ")
    {
        panic!("{}", message.as_str())
    };
}
