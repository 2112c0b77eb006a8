//! `AvgPool2d` and `GlobalAvgPool`: the mean of each window, or of each
//! whole map.

use std::marker::PhantomData;

use katachi_par::Par;
use katachi_par::avg_pool;
use katachi_par::pool::PoolDims;

use super::pool::pool_dims;
use super::{Layer, NO_FORWARD};
use crate::check::{Signature, WindowFits};
use crate::param::{ParamMut, ParamPath, ParamView, Parameters};
use crate::shape::{ConstDim, Dim, Window};
use crate::tensor::Tensor;
use katachi_par::Element;

/// Average pooling over `K × K` windows moved by `S` (by default `S = K`:
/// the windows tile the input), per channel, without padding: PyTorch's
/// `nn.AvgPool2d(K, S)`. No parameters.
///
/// # Shapes
/// - input: `[batch, C, H, W]`
/// - output: `[batch, C, (H − K) / S + 1, (W − K) / S + 1]`, computed by
///   the compiler; a window larger than the input does not compile.
///
/// Backward gives every position of a window `1/K²` of the window's
/// gradient (overlapping windows add up).
///
/// ```
/// use katachi::prelude::*;
/// let mut pool = AvgPool2d::<2>::new();
/// let x = Tensor::<(usize, Const<1>, Const<2>, Const<4>)>::from_vec(
///     (1, Const, Const, Const),
///     vec![1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 7.0, 6.0],
/// )?;
/// let y = pool.forward(x);
/// assert_eq!((y.dims(), y.as_slice()), ([1, 1, 1, 2], &[3.25, 3.75][..]));
/// let dx = pool.backward(y.map(|_| 1.0));
/// assert_eq!(dx.as_slice(), &[0.25; 8]);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct AvgPool2d<const K: usize, const S: usize = K, E: Element = f32> {
    /// The extents of the latest forward; `None` once backward used them.
    dims: Option<PoolDims>,
    /// The buffer of the latest input, reused for the input gradient.
    spare_input: Vec<E>,
    /// The buffer of the latest upstream gradient, reused for the next output.
    spare_output: Vec<E>,
}

impl<const K: usize, const S: usize, E: Element> AvgPool2d<K, S, E> {
    /// A pooling layer.
    pub fn new() -> Self {
        Self {
            dims: None,
            spare_input: Vec::new(),
            spare_output: Vec::new(),
        }
    }

    fn pool_dims<C: Dim, H: ConstDim, W: ConstDim>(batch: usize, channels: C) -> PoolDims {
        pool_dims::<C, H, W>(batch, channels, K, S)
    }

    /// Pools `x` into the buffer `y` (resized as needed).
    fn pool<B: Dim, C: Dim, H: ConstDim, W: ConstDim>(
        x: &Tensor<(B, C, H, W), E>,
        mut y: Vec<E>,
    ) -> Pooled<PoolOut<B, C, H, W, K, S>, E> {
        let () = WindowFits::<(B, C, H, W), PoolOut<B, C, H, W, K, S>>::CHECK;
        let (batch, channels, _, _) = x.shape();
        let dims = Self::pool_dims::<C, H, W>(batch.size(), channels);
        y.resize(dims.planes * dims.out_plane(), E::ZERO);
        avg_pool::avg_forward(x.as_slice(), &mut y, &dims, Par::Rayon);
        let y = Tensor::from_vec((batch, channels, Default::default(), Default::default()), y)
            .expect("batch × C × output extents");
        (y, dims)
    }
}

/// The pooled tensor and the extents.
type Pooled<S, E> = (Tensor<S, E>, PoolDims);

/// The output of pooling `[B, C, H, W]`.
type PoolOut<B, C, H, W, const K: usize, const S: usize> =
    (B, C, Window<H, K, S, 0>, Window<W, K, S, 0>);

impl<B, C, H, W, const K: usize, const S: usize, E> Layer<Tensor<(B, C, H, W), E>>
    for AvgPool2d<K, S, E>
where
    B: Dim,
    C: Dim,
    H: ConstDim,
    W: ConstDim,
    E: Element,
{
    type Out = Tensor<PoolOut<B, C, H, W, K, S>, E>;

    fn forward(&mut self, x: Tensor<(B, C, H, W), E>) -> Self::Out {
        // Buffers from the previous step: a warm step allocates nothing here.
        let (y, dims) = Self::pool(&x, std::mem::take(&mut self.spare_output));
        self.dims = Some(dims);
        self.spare_input = x.into_vec();
        y
    }

    fn backward(&mut self, dy: Self::Out) -> Tensor<(B, C, H, W), E> {
        let (batch, channels, _, _) = dy.shape();
        let dims = self
            .dims
            .take()
            .filter(|d| *d == Self::pool_dims::<C, H, W>(batch.size(), channels))
            .expect(NO_FORWARD);
        let mut dx = std::mem::take(&mut self.spare_input);
        dx.resize(dims.planes * dims.height * dims.width, E::ZERO);
        avg_pool::avg_backward(dy.as_slice(), &mut dx, &dims, Par::Rayon);
        self.spare_output = dy.into_vec();
        Tensor::from_vec((batch, channels, H::default(), W::default()), dx)
            .expect("batch × C × H × W")
    }

    fn predict(&self, x: Tensor<(B, C, H, W), E>) -> Self::Out {
        Self::pool(&x, Vec::new()).0
    }
}

impl<B, C, H, W, E2, const K: usize, const S: usize, E> Signature<Tensor<(B, C, H, W), E2>>
    for AvgPool2d<K, S, E>
where
    B: Dim,
    C: Dim,
    H: ConstDim,
    W: ConstDim,
    E2: Element,
    E: Element,
{
    type Input = Tensor<(B, C, H, W), E>;
    type Output = Tensor<PoolOut<B, C, H, W, K, S>, E>;
}

impl<const K: usize, const S: usize, E: Element> Parameters for AvgPool2d<K, S, E> {
    type Elem = E;

    fn visit(&self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {}

    fn visit_mut(&mut self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>)) {
    }
}

/// Global average pooling: each map of `[batch, C, H, W]` becomes its mean,
/// giving rows of `C` numbers an `Affine<C, _>` takes directly (PyTorch's
/// `nn.AdaptiveAvgPool2d(1)` followed by a flatten). No parameters.
///
/// # Shapes
/// - input: `[batch, C, H, W]`
/// - output: `[batch, C]`
///
/// ```
/// use katachi::prelude::*;
/// let x = Tensor::<(usize, Const<2>, Const<2>, Const<2>)>::from_vec(
///     (1, Const, Const, Const),
///     vec![1.0, 2.0, 3.0, 6.0, 10.0, 20.0, 30.0, 0.0],
/// )?;
/// let mut pool = GlobalAvgPool::new();
/// let y = pool.forward(x);
/// assert_eq!((y.dims(), y.as_slice()), ([1, 2], &[3.0, 15.0][..]));
/// // Rows of 2: an Affine<2, _> follows, checked at compile time.
/// let z = Affine::<2, 3>::zeros().forward(y);
/// assert_eq!(z.dims(), [1, 3]);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalAvgPool<E: Element = f32>(PhantomData<E>);

impl<E: Element> GlobalAvgPool<E> {
    /// A global average pooling layer.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<B, C, H, W, E> Layer<Tensor<(B, C, H, W), E>> for GlobalAvgPool<E>
where
    B: Dim,
    C: ConstDim,
    H: ConstDim,
    W: ConstDim,
    E: Element,
{
    type Out = Tensor<(B, C), E>;

    fn forward(&mut self, x: Tensor<(B, C, H, W), E>) -> Self::Out {
        self.predict(x)
    }

    fn backward(&mut self, dy: Self::Out) -> Tensor<(B, C, H, W), E> {
        let (batch, channels) = dy.shape();
        let mut dx = vec![E::ZERO; dy.numel() * H::SIZE * W::SIZE];
        avg_pool::plane_mean_backward(dy.as_slice(), &mut dx);
        Tensor::from_vec((batch, channels, H::default(), W::default()), dx)
            .expect("batch × C × H × W")
    }

    fn predict(&self, x: Tensor<(B, C, H, W), E>) -> Self::Out {
        let (batch, channels, _, _) = x.shape();
        let mut y = vec![E::ZERO; batch.size() * channels.size()];
        avg_pool::plane_mean(x.as_slice(), &mut y);
        Tensor::from_vec((batch, channels), y).expect("batch × C")
    }
}

impl<B, C, H, W, E2, E> Signature<Tensor<(B, C, H, W), E2>> for GlobalAvgPool<E>
where
    B: Dim,
    C: ConstDim,
    H: ConstDim,
    W: ConstDim,
    E2: Element,
    E: Element,
{
    type Input = Tensor<(B, C, H, W), E>;
    type Output = Tensor<(B, C), E>;
}

impl<E: Element> Parameters for GlobalAvgPool<E> {
    type Elem = E;

    fn visit(&self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {}

    fn visit_mut(&mut self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>)) {
    }
}
