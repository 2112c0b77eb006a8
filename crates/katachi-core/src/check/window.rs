//! The compile-time check shared by the layers that slide a window.

use std::marker::PhantomData;

use super::message::window_message;
use crate::shape::Shape;

/// `WindowFits::<In, Out>::CHECK` fails to compile when `Out`, the output of a
/// convolution or pooling over `In`, has a window larger than its input.
/// Inside a `#[derive(Network)]` struct the derive reports the same fault
/// first, naming the field; this catches it anywhere else.
pub(crate) struct WindowFits<In, Out>(PhantomData<(In, Out)>);

impl<In: Shape, Out: Shape> WindowFits<In, Out> {
    pub(crate) const CHECK: () =
        if let Some(message) = window_message::<In, Out>("this convolution or pooling layer") {
            panic!("{}", message.as_str())
        };
}
