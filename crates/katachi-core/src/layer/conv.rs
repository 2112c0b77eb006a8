//! `Conv2d`: the convolution layer of chapter 7, by im2col and the GEMM.

use katachi_par::Par;
use katachi_par::conv::{self, ConvDims};
use rand::Rng;

use super::{Layer, NO_FORWARD};
use crate::check::{Signature, WindowFits};
use crate::init::Init;
use crate::param::{
    Param, ParamMut, ParamPath, ParamView, Parameters, Role, visit_param, visit_param_mut,
};
use crate::shape::{Const, ConstDim, Dim, Rank1, Rank4, Shape, Window};
use crate::tensor::Tensor;
use katachi_par::Element;

/// A 2-D convolution: `C_OUT` filters of `C_IN × K × K`, sliding with stride
/// `S` over the input padded by `P` zeros on each side, plus a bias per
/// filter.
///
/// # Shapes
/// - input: `[batch, C_IN, H, W]` (NCHW)
/// - weight: `[C_OUT, C_IN, K, K]`; bias: `[C_OUT]`
/// - output: `[batch, C_OUT, (H + 2P − K) / S + 1, (W + 2P − K) / S + 1]`
///
/// The output extents are computed by the compiler ([`Window`]): on 28×28
/// images `Conv2d<1, 30, 5>` gives `[batch, 30, 24, 24]`, and a kernel
/// larger than the padded input does not compile. Forward lays each image
/// out with im2col and multiplies by the filters with the GEMM kernel;
/// backward gives `dW`, `db` and, through col2im, `dX`
/// ([`katachi_par::conv`]).
///
/// ```
/// use katachi::prelude::*;
/// // One 2×2 filter that sums its window, bias 1, on a 3×3 image.
/// let mut conv = Conv2d::<1, 1, 2, 1, 0, f64>::zeros();
/// conv.weight.value.as_mut_slice().fill(1.0);
/// conv.bias.value.as_mut_slice()[0] = 1.0;
/// let x = Tensor::<(usize, Const<1>, Const<3>, Const<3>), f64>::from_vec(
///     (1, Const, Const, Const),
///     (1..=9).map(f64::from).collect(),
/// )?;
/// let y = conv.forward(x);
/// assert_eq!(y.dims(), [1, 1, 2, 2]);
/// assert_eq!(y.as_slice(), &[13.0, 17.0, 25.0, 29.0]);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Conv2d<
    const C_IN: usize,
    const C_OUT: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
    E: Element = f32,
> {
    /// The filters, `[C_OUT, C_IN, K, K]`.
    pub weight: Param<Rank4<C_OUT, C_IN, K, K>, E>,
    /// One bias per filter, `[C_OUT]`.
    pub bias: Param<Rank1<C_OUT>, E>,
    /// The input of the latest forward and its extents, kept for `dW`
    /// (im2col is recomputed from it); its buffer then receives `dX`.
    input: Option<(Vec<E>, ConvDims)>,
    /// The buffer of the latest upstream gradient, reused for the next output.
    spare: Vec<E>,
}

impl<const C_IN: usize, const C_OUT: usize, const K: usize, const S: usize, const P: usize, E>
    Conv2d<C_IN, C_OUT, K, S, P, E>
where
    E: Element,
{
    /// A layer with these parameters.
    pub fn new(weight: Tensor<Rank4<C_OUT, C_IN, K, K>, E>, bias: Tensor<Rank1<C_OUT>, E>) -> Self {
        Self {
            weight: Param::new(
                weight,
                Role::Weight {
                    fan_in: C_IN * K * K,
                },
            ),
            bias: Param::new(bias, Role::Bias),
            input: None,
            spare: Vec::new(),
        }
    }

    /// All parameters zero.
    pub fn zeros() -> Self {
        Self::new(Tensor::default(), Tensor::default())
    }

    /// Filters drawn from `N(0, std²)`, biases zero (the book's
    /// `SimpleConvNet` uses `std = 0.01`).
    pub fn normal(rng: &mut impl Rng, std: f64) -> Self {
        let mut layer = Self::zeros();
        layer.initialize(Init::Normal { std }, rng);
        layer
    }

    fn conv_dims<H: ConstDim, W: ConstDim>(batch: usize) -> ConvDims {
        ConvDims {
            batch,
            channels: C_IN,
            height: H::SIZE,
            width: W::SIZE,
            filters: C_OUT,
            kernel: K,
            stride: S,
            padding: P,
        }
    }

    /// The input and extents of the latest forward, for a gradient of
    /// `batch` images.
    ///
    /// # Panics
    /// Without such a forward (see the `Layer` contract).
    fn take_input(&mut self, batch: usize) -> (Vec<E>, ConvDims) {
        self.input
            .take()
            .filter(|(_, d)| d.batch == batch)
            .expect(NO_FORWARD)
    }
}

impl<const C_IN: usize, const C_OUT: usize, const K: usize, const S: usize, const P: usize, E>
    Default for Conv2d<C_IN, C_OUT, K, S, P, E>
where
    E: Element,
{
    fn default() -> Self {
        Self::zeros()
    }
}

/// The output of a convolution on `[B, _, H, W]`.
type ConvOut<B, const C_OUT: usize, H, W, const K: usize, const S: usize, const P: usize> =
    (B, Const<C_OUT>, Window<H, K, S, P>, Window<W, K, S, P>);

impl<
    B,
    H,
    W,
    const C_IN: usize,
    const C_OUT: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    E,
> Layer<Tensor<(B, Const<C_IN>, H, W), E>> for Conv2d<C_IN, C_OUT, K, S, P, E>
where
    B: Dim,
    H: ConstDim,
    W: ConstDim,
    E: Element,
{
    type Out = Tensor<ConvOut<B, C_OUT, H, W, K, S, P>, E>;

    fn forward(&mut self, x: Tensor<(B, Const<C_IN>, H, W), E>) -> Self::Out {
        // The buffer of the latest upstream gradient: a warm step allocates no output.
        let spare = std::mem::take(&mut self.spare);
        let (y, dims) = self.convolve(&x, spare);
        self.input = Some((x.into_vec(), dims));
        y
    }

    fn backward(&mut self, dy: Self::Out) -> Tensor<(B, Const<C_IN>, H, W), E> {
        let batch = dy.shape().0;
        // The input is no longer needed once dW is computed: its buffer takes dX.
        let (mut dx, dims) = self.backward_params_inner(&dy, batch.size());
        conv::input_grad(
            self.weight.value.as_slice(),
            dy.as_slice(),
            &mut dx,
            &dims,
            Par::Rayon,
        );
        self.spare = dy.into_vec();
        Tensor::from_vec((batch, Const, H::default(), W::default()), dx)
            .expect("batch × C_IN × H × W")
    }

    fn backward_params(&mut self, dy: Self::Out) {
        let batch = dy.shape().0;
        let kept = self.backward_params_inner(&dy, batch.size());
        self.input = Some(kept);
        self.spare = dy.into_vec();
    }

    fn predict(&self, x: Tensor<(B, Const<C_IN>, H, W), E>) -> Self::Out {
        self.convolve(&x, Vec::new()).0
    }
}

impl<const C_IN: usize, const C_OUT: usize, const K: usize, const S: usize, const P: usize, E>
    Conv2d<C_IN, C_OUT, K, S, P, E>
where
    E: Element,
{
    /// `x` convolved into the buffer `y` (resized), and the extents used.
    fn convolve<B: Dim, H: ConstDim, W: ConstDim>(
        &self,
        x: &Tensor<(B, Const<C_IN>, H, W), E>,
        mut y: Vec<E>,
    ) -> (Tensor<ConvOut<B, C_OUT, H, W, K, S, P>, E>, ConvDims) {
        let () = WindowFits::<(B, Const<C_IN>, H, W), ConvOut<B, C_OUT, H, W, K, S, P>>::CHECK;
        let batch = x.shape().0;
        let dims = Self::conv_dims::<H, W>(batch.size());
        y.resize(batch.size() * C_OUT * dims.positions(), E::ZERO);
        conv::forward(
            x.as_slice(),
            self.weight.value.as_slice(),
            self.bias.value.as_slice(),
            &mut y,
            &dims,
            Par::Rayon,
        );
        let y = Tensor::from_vec((batch, Const, Default::default(), Default::default()), y)
            .expect("batch × C_OUT × output extents");
        (y, dims)
    }

    /// `dW` and `db` from the kept input; gives the input back.
    fn backward_params_inner<Sh: Shape>(
        &mut self,
        dy: &Tensor<Sh, E>,
        batch: usize,
    ) -> (Vec<E>, ConvDims) {
        let (x, dims) = self.take_input(batch);
        conv::param_grads(
            &x,
            dy.as_slice(),
            self.weight.grad.as_mut_slice(),
            self.bias.grad.as_mut_slice(),
            &dims,
            Par::Rayon,
        );
        (x, dims)
    }
}

impl<
    B,
    C,
    H,
    W,
    E2,
    const C_IN: usize,
    const C_OUT: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    E,
> Signature<Tensor<(B, C, H, W), E2>> for Conv2d<C_IN, C_OUT, K, S, P, E>
where
    B: Dim,
    C: Dim,
    H: ConstDim,
    W: ConstDim,
    E2: Element,
    E: Element,
{
    type Input = Tensor<(B, C::Expect<C_IN>, H, W), E>;
    type Output = Tensor<ConvOut<B, C_OUT, H, W, K, S, P>, E>;
}

impl<const C_IN: usize, const C_OUT: usize, const K: usize, const S: usize, const P: usize, E>
    Parameters for Conv2d<C_IN, C_OUT, K, S, P, E>
where
    E: Element,
{
    type Elem = E;

    fn visit(&self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {
        visit_param(&self.weight, path, "weight", f);
        visit_param(&self.bias, path, "bias", f);
    }

    fn visit_mut(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>),
    ) {
        visit_param_mut(&mut self.weight, path, "weight", f);
        visit_param_mut(&mut self.bias, path, "bias", f);
    }
}
