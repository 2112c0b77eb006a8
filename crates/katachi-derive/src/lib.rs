//! Implementation detail of the `katachi` crate: `#[derive(Network)]`.
//!
//! Use it through `katachi::Network`, whose documentation shows what it
//! generates and the errors it gives. The phases, one file each:
//! `attr` reads `#[network(...)]`, `ast` lifts the struct into a small
//! model and rejects what cannot be a network, `expand` writes the impls,
//! `check` writes the neighbour-by-neighbour shape checks, and
//! `fallback` writes stub impls when the input is rejected, so the user
//! sees one error instead of a cascade.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod flow;
mod onnx;
mod params;
mod span;

use proc_macro::TokenStream;

/// Derives a network from a struct whose named fields are layers.
///
/// ```
/// use katachi::prelude::*;
///
/// // The book's TwoLayerNet (`katachi::models` ships it ready-made).
/// #[derive(Network, Default)]
/// struct Mlp {
///     affine1: Affine<784, 50>,
///     relu: Relu,
///     affine2: Affine<50, 10>,
/// }
///
/// let mut net = Mlp::seeded(42); // N(0, 0.01²) weights, zero biases
/// let mut loss = SoftmaxWithLoss::<10>::new();
/// let x = Tensor::<Batch<784>>::zeros((100, Const));
/// let t = Labels::<10>::new(vec![0; 100])?;
///
/// let scores = net.forward(x); // affine1 → relu → affine2
/// let value = loss.forward(scores, &t)?;
/// let _dx = net.backward(loss.backward()); // affine2 → relu → affine1
/// assert!((value - 10f32.ln()).abs() < 1e-2);
/// assert_eq!(
///     net.param_names(),
///     ["affine1.weight", "affine1.bias", "affine2.weight", "affine2.bias"]
/// );
/// # Ok::<(), katachi::Error>(())
/// ```
///
/// # What it generates
///
/// - `Layer` for the network's input (what the first field takes, with a
///   runtime batch): `forward` through the fields in declaration order,
///   `backward` in reverse order, `predict` (`&self`, nothing cached) in
///   order. A derived network is a layer, so networks nest.
/// - `Parameters`, naming each parameter by its path (`affine1.weight`,
///   `block.affine.bias`): optimisers, checkpoints, `init` and the gradient
///   check work on any derived network.
/// - `Network` (`LAYERS`, `seeded`, `summary`), and the `Signature` and
///   `FixedInput` that the shape checks and outer networks use.
///
/// Generic structs work:
///
/// ```
/// use katachi::prelude::*;
///
/// #[derive(Network, Default)]
/// struct Mlp<const H: usize> {
///     a: Affine<784, H>,
///     r: Relu,
///     b: Affine<H, 10>,
/// }
///
/// assert_eq!(Mlp::<100>::default().num_params(), 784 * 100 + 100 + 100 * 10 + 10);
/// ```
///
/// # Attributes
///
/// - `#[network(skip)]` on a field that is not a layer (configuration,
///   counters): forward, backward and parameters leave it alone.
/// - `#[network(input = Type)]` on the struct, when the first layer takes any
///   shape (`Relu`, `Sigmoid`, …) and so cannot tell the input:
///
/// ```
/// use katachi::prelude::*;
///
/// #[derive(Network, Default)]
/// #[network(input = Tensor<(usize, Const<4>), f64>)]
/// struct Squash {
///     sigmoid: Sigmoid<f64>,
///     affine: Affine<4, 2, f64>,
///     #[network(skip)]
///     calls: u64,
/// }
///
/// let net = Squash::seeded(1);
/// assert_eq!(net.predict(Tensor::zeros((3, Const))).dims(), [3, 2]);
/// ```
///
/// # Shape errors
///
/// Each field is checked against the one before it, and a mismatch is one
/// error at the field, naming both fields and both shapes. Shapes are
/// written per sample after the batch axis `_`:
///
/// ```compile_fail
/// use katachi::prelude::*;
///
/// #[derive(Network)]
/// struct Net {
///     affine1: Affine<784, 50>,
///     relu1: Relu,
///     affine2: Affine<60, 10>,
/// }
/// ```
///
/// ```text
/// error[E0080]: evaluation panicked: `affine2` takes [_, 60] but `relu1` produces [_, 50]
///  --> src/main.rs:7:14
///   |
/// 7 |     affine2: Affine<60, 10>,
///   |              ^^^^^^ evaluation of `_::<impl katachi::__private::Checked for Net>::SHAPES` failed here
/// ```
///
/// A struct without generics is checked where it is defined (`cargo check`
/// is enough); a generic one with its parameters, where it is first used
/// (`cargo build`): `Mlp<60>` may fit where `Mlp<50>` does not. Code that
/// uses a network with a mismatch (`net.forward(x)`, `backprop(&mut net,
/// …)`) adds no errors of its own.
///
/// Every layer computes in the network's element type, the input's; one of
/// the other type is one error, at the type level (so at `cargo check`
/// even for generic structs): "`relu` takes f32 but the network computes in
/// f64".
///
/// # Convolutional networks
///
/// A convolution takes images of any size, so the input is declared on the
/// struct; every extent after it is computed by the compiler, and checked
/// between fields by value when the struct is compiled:
///
/// ```
/// use katachi::prelude::*;
///
/// #[derive(Network, Default)]
/// #[network(input = Tensor<Nchw<1, 28, 28>>)]
/// struct Cnn {
///     conv1: Conv2d<1, 30, 5>, // [_, 30, 24, 24]
///     relu1: Relu,
///     pool1: MaxPool2d<2>,     // [_, 30, 12, 12]
///     flatten: Flatten,        // [_, 4320]
///     affine1: Affine<4320, 100>,
///     relu2: Relu,
///     affine2: Affine<100, 10>,
/// }
///
/// let net = Cnn::seeded(1);
/// assert_eq!(net.predict(Tensor::zeros((2, Const, Const, Const))).dims(), [2, 10]);
/// ```
///
/// With `Affine<4000, 100>` there, the error reads "`affine1` takes
/// [_, 4000] but `flatten` produces [_, 4320]", and a kernel larger than
/// its input, "`conv1` cannot take [_, 1, 4, 4]: its 5-wide window is
/// larger than the input's extent of 4 padded by 0 on each side".
///
/// A field that is not a layer is reported as "`usize` is not a layer" at
/// that field; a first field that takes any shape (`Relu`, `Conv2d`) without
/// `#[network(input = …)]` says to declare the input. Enums, unions, tuple
/// and unit structs, structs without fields and unknown `#[network(...)]`
/// keys get an error that says what to write instead.
///
/// # Limits
///
/// Any number of fields (forty build without `#![recursion_limit]`); the
/// same layer type or block any number of times; generic over `const`
/// parameters and over the element type with `E: Element` alone.
#[proc_macro_derive(Network, attributes(network))]
pub fn derive_network(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
