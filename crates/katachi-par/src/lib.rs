//! Kernels on plain slices for katachi.
//!
//! This crate knows nothing about tensors or shapes: every function takes
//! slices plus the extents that describe them, checks the lengths once at the
//! entry, and then runs a loop that cannot index out of bounds.
//!
//! - [`gemm`]: `C ← A·B` or `C ← C + A·B` on strided matrices ([`MatRef`],
//!   [`MatMut`]), so transposed operands need no copy.
//! - [`affine`]: the three products of an affine layer (`Y = XW + b`,
//!   `dW = XᵀdY`, `dX = dYWᵀ`) and the bias gradient (column sums of `dY`).
//! - [`batch_norm`]: batch statistics, normalisation and its backward pass.
//! - [`caches`]: the data caches the CPU reports, which the GEMM sizes its
//!   blocks from.
//! - [`conv`]: 2-D convolution by im2col and the GEMM, forward and backward.
//! - [`pool`]: max pooling, forward and backward.
//! - [`elementwise`]: activations and their gradients, optimiser updates.
//! - [`finite`]: the first NaN or infinity in a slice, for checking data
//!   and parameters.
//! - [`softmax_xent`]: fused row-wise softmax + cross-entropy, forward and
//!   backward, with integer labels or one-hot targets.
//!
//! Every kernel is generic over [`Element`] (`f32` and `f64`), and compiled
//! for both here, so a debug build that optimises this crate alone
//! (`[profile.dev.package.katachi-par] opt-level = 3`) runs them at full
//! speed. Work is split by [`Par`] above a size threshold, along rows of
//! the output, so results never depend on the number of threads: as many
//! threads as the current rayon pool has, running on a team of katachi's
//! own that stays awake between kernels.
//!
//! ```
//! use katachi::par::{gemm, Accum, MatMut, MatRef, Par};
//!
//! // [1 2] · [5 6]   [19 22]
//! // [3 4]   [7 8] = [43 50]
//! let a = [1.0_f32, 2.0, 3.0, 4.0];
//! let b = [5.0_f32, 6.0, 7.0, 8.0];
//! let mut c = [0.0_f32; 4];
//! gemm(
//!     MatMut::row_major(&mut c, 2, 2),
//!     Accum::Replace,
//!     MatRef::row_major(&a, 2, 2),
//!     MatRef::row_major(&b, 2, 2),
//!     Par::Seq,
//! );
//! assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
//! ```

// `unsafe` is allowed in exactly three places: the x86 kernels (the GEMM's
// micro-kernels and the 8 × 8 transpose packing uses), the team of threads
// (a parallel region's task lent to its threads), and `wide` (element-wise
// loops entered through an AVX2 function).
#![deny(unsafe_code)]

pub mod affine;
pub mod avg_pool;
pub mod batch_norm;
pub mod caches;
mod compiled;
pub mod conv;
mod element;
pub mod elementwise;
mod extent;
pub mod finite;
mod gemm;
mod matrix;
mod par;
pub mod pool;
mod scratch;
pub mod softmax_xent;
mod team;
mod wide;

pub use element::{Element, ElementKind};
pub use gemm::{Accum, gemm};

#[cfg(test)]
mod harness;
pub use matrix::{MatMut, MatRef};
pub use par::Par;
