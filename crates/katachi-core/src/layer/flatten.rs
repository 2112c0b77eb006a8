//! `Flatten`: from `[batch, C, H, W]` maps to `[batch, C·H·W]` rows.

use std::marker::PhantomData;

use super::Layer;
use crate::check::Signature;
use crate::param::{ParamMut, ParamPath, ParamView, Parameters};
use crate::shape::{ConstDim, Dim, Flat};
use crate::tensor::Tensor;
use katachi_par::Element;

/// Flattens each sample of `[batch, C, H, W]` into one row of `C·H·W`
/// numbers, in the same (row-major) order, so an `Affine` can follow a
/// convolution. Moves the buffer; copies nothing.
///
/// # Shapes
/// - input: `[batch, C, H, W]`
/// - output: `[batch, C·H·W]`
///
/// The row width is computed by the compiler ([`Flat`]): after a
/// `Conv2d<1, 30, 5>` and a 2×2 pool on 28×28 images it is 4320, and an
/// `Affine<4000, _>` there does not compile.
///
/// ```
/// use katachi::prelude::*;
/// let x = Tensor::<(usize, Const<2>, Const<2>, Const<3>)>::zeros((5, Const, Const, Const));
/// let y = Flatten::new().forward(x);
/// assert_eq!(y.dims(), [5, 12]);
/// // An Affine takes the flattened rows; its width is checked at compile time.
/// let z = Affine::<12, 4>::zeros().forward(y);
/// assert_eq!(z.dims(), [5, 4]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten<E: Element = f32>(PhantomData<E>);

impl<E: Element> Flatten<E> {
    /// A flatten layer.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<B, C, H, W, E> Layer<Tensor<(B, C, H, W), E>> for Flatten<E>
where
    B: Dim,
    C: ConstDim,
    H: ConstDim,
    W: ConstDim,
    E: Element,
{
    type Out = Tensor<(B, Flat<C, H, W>), E>;

    fn forward(&mut self, x: Tensor<(B, C, H, W), E>) -> Self::Out {
        self.predict(x)
    }

    fn backward(&mut self, dy: Self::Out) -> Tensor<(B, C, H, W), E> {
        let batch = dy.shape().0;
        dy.reshape((batch, C::default(), H::default(), W::default()))
            .expect("C·H·W elements per sample")
    }

    fn predict(&self, x: Tensor<(B, C, H, W), E>) -> Self::Out {
        let batch = x.shape().0;
        x.reshape((batch, Flat::default()))
            .expect("C·H·W elements per sample")
    }
}

impl<B, C, H, W, E2, E> Signature<Tensor<(B, C, H, W), E2>> for Flatten<E>
where
    B: Dim,
    C: ConstDim,
    H: ConstDim,
    W: ConstDim,
    E2: Element,
    E: Element,
{
    type Input = Tensor<(B, C, H, W), E>;
    type Output = Tensor<(B, Flat<C, H, W>), E>;
}

impl<E: Element> Parameters for Flatten<E> {
    type Elem = E;

    fn visit(&self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {}

    fn visit_mut(&mut self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>)) {
    }
}
