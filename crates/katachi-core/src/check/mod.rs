//! Shape checking: how layers tell the compiler what they take and give.
//!
//! Users never name what is here; they write `Affine<784, 50>` and read the
//! errors. A *layer author* implements one contract, in four parts; the
//! second and third are this module's:
//!
//! 1. [`Layer<In>`](crate::layer::Layer) for each input the layer works on:
//!    what it does, with `Out` the tensor it gives.
//! 2. [`Signature<X>`] for every `X` of the form it works on, the wrong
//!    widths included: which input it *would* take where `X` arrives
//!    (`Input`) and what it gives for that (`Output`). A
//!    `#[derive(Network)]` struct compares `Input` with what the previous
//!    field gives, so a mismatch is one error at the field, naming both
//!    shapes. The two must agree — `Layer<Input>` with `Out = Output` —
//!    which [`signature_agrees`](crate::layer::signature_agrees) checks at
//!    compile time.
//! 3. [`FixedInput`] if the layer's type fixes its input (an `Affine<784,
//!    _>` takes `[_, 784]` rows), so a network can start with it.
//! 4. [`Parameters`](crate::param::Parameters): its learned numbers by name,
//!    for optimisers, checkpoints and the gradient check (none for an
//!    activation).
//!
//! A step-by-step guide with whole examples is the page
//! `katachi::guide::writing_a_layer` ("Writing your own layer").
//!
//! The rest serves those checks: [`Width`] accepts rows whose width the
//! compiler computes ([`Flat`](crate::shape::Flat) after a convolution) and
//! compares it; [`Expected`] and [`Derived`] carry a computed extent to that
//! comparison; [`ConstMessage`], [`mismatch_message`] and [`window_message`]
//! build the messages the compiler prints ("`affine1` takes [_, 4000] but
//! `flatten` produces [_, 4320]"); [`InputFits`] and [`TargetFits`] compare
//! a loss's width; [`derived`] is what the derive expands to.
//!
//! ```
//! use katachi::layer::signature_agrees;
//! use katachi::prelude::*;
//!
//! // Every layer promises what it gives; this line fails to compile if not.
//! const _: () = signature_agrees::<Affine<4, 3>, Tensor<Batch<4>>>();
//! const _: () = signature_agrees::<Conv2d<1, 8, 3>, Tensor<Nchw<1, 28, 28>>>();
//! ```

pub mod derived;
mod fits;
mod message;
mod signature;
mod width;
mod window;

pub use crate::shape::dim::{Derived, WindowFault};
pub use crate::shape::extent::Expected;
pub use fits::{InputFits, TargetFits};
pub use message::{ConstMessage, mismatch_message, window_message};
pub use signature::{FixedInput, HasSample, Signature};
pub use width::Width;
pub(crate) use window::WindowFits;
