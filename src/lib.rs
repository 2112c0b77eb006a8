//! # katachi (形, "shape")
//!
//! Deep learning from scratch in Rust, with the shape of every tensor in its
//! type: a layer that cannot take what the previous one produces does not
//! compile.
//!
//! katachi follows the book *Deep Learning from Scratch*: activation and
//! output functions, losses, numerical differentiation, and backprop through
//! a graph of layers, each a typed, tested building block.
//!
//! ```
//! use katachi::prelude::*;
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
//! // Affine → ReLU → Affine, a batch of 784-wide rows in, 10 scores out.
//! let mut net = (Affine::<784, 50>::normal(&mut rng, 0.01), Relu::new(), Affine::<50, 10>::normal(&mut rng, 0.01));
//! let mut loss = SoftmaxWithLoss::<10>::new();
//!
//! let x = Tensor::<Batch<784>>::zeros((2, Const));
//! let t = Labels::<10>::new(vec![3, 7])?;
//! let l = backprop(&mut net, &mut loss, x, &t)?; // forward, loss, backward
//! assert!((l - 10f32.ln()).abs() < 1e-6); // all-zero input: uniform softmax
//! assert_eq!(net.param_names(), ["0.weight", "0.bias", "2.weight", "2.bias"]);
//! # Ok::<(), katachi::Error>(())
//! ```
//!
//! The crates behind this facade: [`katachi_core`] (tensors, functions,
//! layers, gradients) and [`par`] (the kernels on plain slices).

pub use katachi_core::{Element, Error, Labels, Result, func, grad, layer, param, shape, tensor};
#[doc(inline)]
pub use katachi_derive::Network;
/// Kernels on plain slices: GEMM, affine products, softmax-with-loss.
pub use katachi_par as par;

/// Everything a typical program needs, in one import.
pub mod prelude {
    pub use katachi_core::prelude::*;
}
