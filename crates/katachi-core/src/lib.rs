//! The core of katachi: shape-typed tensors, the book's functions, layers,
//! losses and numerical gradients.
//!
//! | module | what it holds | the book |
//! |---|---|---|
//! | [`shape`] | shapes as types: `Const<N>` and runtime `usize` extents | — |
//! | [`check`] | how layers tell the compiler what they take and give | — |
//! | [`tensor`] | `Tensor<S, E>`: constructors, rows, map/zip, matmul, reductions | ch. 1 |
//! | [`func`] | step, sigmoid, ReLU, tanh, softmax, losses, accuracy | ch. 3–4 |
//! | [`grad`] | numerical differentiation, gradient descent, gradient check | ch. 4–5 |
//! | [`layer`] | `Layer`/`Loss` traits, `Mul`/`Add` nodes, `Affine`, activations, loss layers | ch. 5 |
//! | [`param`] | parameters and the visitor that names them | ch. 5–6 |
//! | [`init`] | weight initialisers: N(0, σ²), Xavier, He | ch. 6 |
//! | [`optim`] | SGD, Momentum, AdaGrad, RMSProp, Adam, weight decay; learning-rate schedules | ch. 6 |
//! | [`train`] | seeded mini-batches, one epoch of them, evaluation; `Trainer`: a whole run with schedules, early stopping, metrics, checkpoints and exact resume | ch. 4–6 |
//! | [`checkpoint`] | save and load parameters as safetensors | — |
//!
//! ```
//! use katachi::prelude::*;
//!
//! // A two-layer net as a chain of layers, checked against numerical gradients.
//! let mut rng = katachi::init::seeded_rng(3);
//! let mut net = (Affine::<2, 3, f64>::normal(&mut rng, 1.0), Relu::new(), Affine::<3, 2, f64>::normal(&mut rng, 1.0));
//! let x = Tensor::<Batch<2>, f64>::from_rows(&[[0.6, 0.9], [-0.3, 0.2]])?;
//! let t = Labels::<2>::new(vec![1, 0])?;
//! let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &x, &t)?;
//! assert!(report.max_relative_error() < 1e-6);
//! # Ok::<(), katachi::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod check;
pub mod checkpoint;
mod error;
pub mod func;
pub mod grad;
pub mod init;
mod labels;
pub mod layer;
pub mod onnx;
pub mod optim;
pub mod param;
pub mod shape;
pub mod tensor;
pub mod train;

/// A tensor element: `f32` or `f64` (sealed: the kernels are written for these two).
///
/// Everything generic code needs comes with this one bound, the arithmetic
/// and the math functions the book's layers use. A network generic over its
/// element type writes `E: Element` and nothing else:
///
/// ```
/// use katachi::prelude::*;
///
/// #[derive(Network, Default)]
/// struct Fit<E: Element> {
///     fc1: Affine<1, 16, E>,
///     act: Tanh<E>,
///     fc2: Affine<16, 1, E>,
/// }
///
/// let net = Fit::<f64>::seeded(7);
/// assert_eq!(net.predict(Tensor::zeros((3, Const))).dims(), [3, 1]);
/// ```
pub use error::{Error, Result};
pub use katachi_par::Element;
pub use labels::Labels;

/// Everything a typical program needs, in one import.
pub mod prelude {
    pub use crate::check::{FixedInput, Signature};
    pub use crate::error::Error;
    pub use crate::grad::{gradient_check, numerical_gradient};
    pub use crate::init::Init;
    pub use crate::labels::Labels;
    pub use crate::layer::Network;
    pub use crate::layer::{
        Add, Affine, AvgPool2d, BatchNorm, BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool,
        IdentityWithLoss, Layer, Loss, LossBackward, MaxPool2d, Mul, Relu, Sigmoid,
        SoftmaxWithLoss, Tanh, backprop,
    };
    pub use crate::optim::{AdaGrad, Adam, Momentum, Optimizer, RmsProp, Schedule, Sgd};
    pub use crate::param::{Mode, Param, ParamPath, Parameters};
    pub use crate::shape::{Batch, Const, Dim, Nchw, Rank0, Rank1, Rank2, Rank3, Rank4, Shape};
    pub use crate::tensor::Tensor;
    pub use katachi_par::Element;
}
