//! The book's networks, ready to train: [`TwoLayerNet`] (chapters 4–5),
//! [`SimpleConvNet`] (chapter 7) and [`DeepConvNet`] (chapter 8).
//!
//! Each is an ordinary `#[derive(Network)]` struct with public fields, so a
//! model here is also an example of how to write one; the examples, tests
//! and benches of katachi use these definitions.
//!
//! Their generic parameters have defaults (784-50-10, `f32`), which Rust
//! applies in types but not in expressions: write `<TwoLayerNet>::seeded(42)`
//! or `TwoLayerNet::<784, 50, 10>::seeded(42)`, or name the type
//! (`let net: TwoLayerNet = …`).
//!
//! ```
//! use katachi::models::TwoLayerNet;
//! use katachi::prelude::*;
//!
//! let mut net = TwoLayerNet::<784, 50, 10>::seeded(42); // N(0, 0.01²) weights
//! let x = Tensor::<Batch<784>>::zeros((3, Const));
//! assert_eq!(net.forward(x).dims(), [3, 10]);
//! assert_eq!(net.param_names(), ["affine1.weight", "affine1.bias", "affine2.weight", "affine2.bias"]);
//! let book: TwoLayerNet = <TwoLayerNet>::seeded(42); // the defaults: the same network
//! assert_eq!(book.num_params(), net.num_params());
//! ```

mod deep_conv;
mod simple_conv;
mod two_layer;

pub use deep_conv::DeepConvNet;
pub use simple_conv::SimpleConvNet;
pub use two_layer::TwoLayerNet;
