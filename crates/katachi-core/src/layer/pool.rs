//! `MaxPool2d`: max pooling (chapter 7).

use katachi_par::Par;
use katachi_par::pool::{self, PoolDims};

use super::{Layer, NO_FORWARD};
use crate::check::{Signature, WindowFits};
use crate::param::{ParamMut, ParamPath, ParamView, Parameters};
use crate::shape::{ConstDim, Dim, Window};
use crate::tensor::Tensor;
use katachi_par::Element;

/// Max pooling over `K × K` windows moved by `S` (by default `S = K`: the
/// windows tile the input), per channel. No parameters.
///
/// # Shapes
/// - input: `[batch, C, H, W]`
/// - output: `[batch, C, (H − K) / S + 1, (W − K) / S + 1]`, computed by
///   the compiler ([`Window`]); a window larger than the input does not
///   compile.
///
/// Backward routes each gradient to the position of its window's maximum
/// (the first one on a tie).
///
/// ```
/// use katachi::prelude::*;
/// let mut pool = MaxPool2d::<2>::new();
/// let x = Tensor::<(usize, Const<1>, Const<2>, Const<4>)>::from_vec(
///     (1, Const, Const, Const),
///     vec![1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 7.0, 6.0],
/// )?;
/// let y = pool.forward(x);
/// assert_eq!((y.dims(), y.as_slice()), ([1, 1, 1, 2], &[5.0, 7.0][..]));
/// let dx = pool.backward(y.map(|_| 1.0));
/// assert_eq!(dx.as_slice(), &[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MaxPool2d<const K: usize, const S: usize = K, E: Element = f32> {
    /// Per output element of the latest forward: where its maximum is.
    argmax: Vec<u32>,
    /// The extents of the latest forward; `None` once backward used them.
    dims: Option<PoolDims>,
    /// The buffer of the latest input, reused for the input gradient.
    spare_input: Vec<E>,
    /// The buffer of the latest upstream gradient, reused for the next output.
    spare_output: Vec<E>,
}

impl<const K: usize, const S: usize, E: Element> MaxPool2d<K, S, E> {
    /// A pooling layer.
    pub fn new() -> Self {
        Self {
            argmax: Vec::new(),
            dims: None,
            spare_input: Vec::new(),
            spare_output: Vec::new(),
        }
    }

    fn pool_dims<C: Dim, H: ConstDim, W: ConstDim>(batch: usize, channels: C) -> PoolDims {
        pool_dims::<C, H, W>(batch, channels, K, S)
    }
}

/// The extents of pooling `[batch, C, H, W]` by `window × window` windows
/// moved by `stride`: what the max and the average pool hand their kernels.
pub(super) fn pool_dims<C: Dim, H: ConstDim, W: ConstDim>(
    batch: usize,
    channels: C,
    window: usize,
    stride: usize,
) -> PoolDims {
    PoolDims {
        planes: batch * channels.size(),
        height: H::SIZE,
        width: W::SIZE,
        window,
        stride,
    }
}

/// The pooled tensor, where each maximum came from, and the extents.
type Pooled<S, E> = (Tensor<S, E>, Vec<u32>, PoolDims);

/// The output of pooling `[B, C, H, W]`.
type PoolOut<B, C, H, W, const K: usize, const S: usize> =
    (B, C, Window<H, K, S, 0>, Window<W, K, S, 0>);

impl<B, C, H, W, const K: usize, const S: usize, E> Layer<Tensor<(B, C, H, W), E>>
    for MaxPool2d<K, S, E>
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
        let (y, argmax) = (
            std::mem::take(&mut self.spare_output),
            std::mem::take(&mut self.argmax),
        );
        let (y, argmax, dims) = Self::pool(&x, y, argmax);
        self.argmax = argmax;
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
        pool::max_backward(dy.as_slice(), &self.argmax, &mut dx, &dims, Par::Rayon);
        self.spare_output = dy.into_vec();
        Tensor::from_vec((batch, channels, H::default(), W::default()), dx)
            .expect("batch × C × H × W")
    }

    fn predict(&self, x: Tensor<(B, C, H, W), E>) -> Self::Out {
        Self::pool(&x, Vec::new(), Vec::new()).0
    }
}

impl<const K: usize, const S: usize, E: Element> MaxPool2d<K, S, E> {
    /// Pools `x` into the buffers `y` and `argmax` (resized as needed).
    fn pool<B: Dim, C: Dim, H: ConstDim, W: ConstDim>(
        x: &Tensor<(B, C, H, W), E>,
        mut y: Vec<E>,
        mut argmax: Vec<u32>,
    ) -> Pooled<PoolOut<B, C, H, W, K, S>, E> {
        let () = WindowFits::<(B, C, H, W), PoolOut<B, C, H, W, K, S>>::CHECK;
        let (batch, channels, _, _) = x.shape();
        let dims = Self::pool_dims::<C, H, W>(batch.size(), channels);
        let len = dims.planes * dims.out_plane();
        y.resize(len, E::ZERO);
        argmax.resize(len, 0);
        pool::max_forward(x.as_slice(), &mut y, &mut argmax, &dims, Par::Rayon);
        let y = Tensor::from_vec((batch, channels, Default::default(), Default::default()), y)
            .expect("batch × C × output extents");
        (y, argmax, dims)
    }
}

impl<B, C, H, W, E2, const K: usize, const S: usize, E> Signature<Tensor<(B, C, H, W), E2>>
    for MaxPool2d<K, S, E>
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

impl<const K: usize, const S: usize, E: Element> Parameters for MaxPool2d<K, S, E> {
    type Elem = E;

    fn visit(&self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {}

    fn visit_mut(&mut self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>)) {
    }
}
