//! `Affine<I, O>`: the fully connected layer `Y = X·W + b`.

use katachi_par::Par;
use katachi_par::affine::{self, AffineDims, AffineGrads};
use rand::Rng;

use super::{Layer, NO_FORWARD};
use crate::Element;
use crate::init::Init;
use crate::param::{
    Param, ParamMut, ParamPath, ParamView, Parameters, Role, visit_param, visit_param_mut,
};
use crate::shape::{Const, Dim, Rank1, Rank2};
use crate::tensor::Tensor;

/// The affine (fully connected) layer of chapter 5: `Y = X·W + b`.
///
/// # Shapes
/// - input `X`: `[batch, I]`, batch static or runtime
/// - weight `W`: `[I, O]`; bias `b`: `[O]`
/// - output `Y`: `[batch, O]`
///
/// Backward stores `dW = Xᵀ·dY` and `db = Σ_rows dY` and returns `dX = dY·Wᵀ`.
///
/// ```
/// use katachi_core::prelude::*;
/// let w = Tensor::<Rank2<2, 3>>::from([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]);
/// let b = Tensor::<Rank1<3>>::from([0.5, 0.5, 0.5]);
/// let mut affine = Affine::new(w, b);
/// let y = affine.forward(Tensor::<Batch<2>>::from_rows(&[[1.0, 2.0]])?);
/// assert_eq!(y.as_slice(), &[1.5, 2.5, 8.5]);
/// let dx = affine.backward(Tensor::<Batch<3>>::from_rows(&[[1.0, 1.0, 1.0]])?);
/// assert_eq!(dx.as_slice(), &[3.0, 4.0]);
/// assert_eq!(affine.weight.grad.as_slice(), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
/// # Ok::<(), katachi_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Affine<const I: usize, const O: usize, E: Element = f32> {
    /// `W`, `[I, O]`.
    pub weight: Param<Rank2<I, O>, E>,
    /// `b`, `[O]`.
    pub bias: Param<Rank1<O>, E>,
    /// The input of the latest forward, kept for `dW = Xᵀ·dY`.
    input: Option<Vec<E>>,
}

impl<const I: usize, const O: usize, E: Element> Affine<I, O, E> {
    /// A layer with these parameters.
    pub fn new(weight: Tensor<Rank2<I, O>, E>, bias: Tensor<Rank1<O>, E>) -> Self {
        Self {
            weight: Param::new(weight, Role::Weight { fan_in: I }),
            bias: Param::new(bias, Role::Bias),
            input: None,
        }
    }

    /// All parameters zero.
    pub fn zeros() -> Self {
        Self::new(Tensor::default(), Tensor::default())
    }

    /// The book's initialisation: weights drawn from `N(0, std²)`, biases zero
    /// (the book uses `std = 0.01`). The same generator state gives the same
    /// layer.
    ///
    /// ```
    /// use katachi_core::prelude::*;
    /// use rand::SeedableRng;
    /// let a = Affine::<784, 50>::normal(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1), 0.01);
    /// let b = Affine::<784, 50>::normal(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1), 0.01);
    /// assert_eq!(a.weight.value, b.weight.value);
    /// ```
    pub fn normal(rng: &mut impl Rng, std: f64) -> Self {
        let mut layer = Self::zeros();
        crate::init::initialize(&mut layer, Init::Normal { std }, rng);
        layer
    }

    fn dims(batch: usize) -> AffineDims {
        AffineDims {
            batch,
            inputs: I,
            outputs: O,
        }
    }
}

impl<const I: usize, const O: usize, E: Element> Default for Affine<I, O, E> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<B: Dim, const I: usize, const O: usize, E: Element> Layer<Tensor<(B, Const<I>), E>>
    for Affine<I, O, E>
{
    type Out = Tensor<(B, Const<O>), E>;

    fn forward(&mut self, x: Tensor<(B, Const<I>), E>) -> Self::Out {
        let y = self.predict_ref(&x);
        self.input = Some(x.into_vec());
        y
    }

    fn backward(&mut self, dy: Self::Out) -> Tensor<(B, Const<I>), E> {
        let batch = dy.shape().0;
        let x = self
            .input
            .as_deref()
            .filter(|x| x.len() == batch.size() * I)
            .expect(NO_FORWARD);
        let mut dx = Tensor::zeros((batch, Const));
        let grads = AffineGrads {
            dw: self.weight.grad.as_mut_slice(),
            db: self.bias.grad.as_mut_slice(),
            dx: Some(dx.as_mut_slice()),
        };
        affine::backward(
            x,
            self.weight.value.as_slice(),
            dy.as_slice(),
            grads,
            Self::dims(batch.size()),
            Par::Rayon,
        );
        dx
    }

    fn predict(&self, x: Tensor<(B, Const<I>), E>) -> Self::Out {
        self.predict_ref(&x)
    }
}

impl<const I: usize, const O: usize, E: Element> Affine<I, O, E> {
    fn predict_ref<B: Dim>(&self, x: &Tensor<(B, Const<I>), E>) -> Tensor<(B, Const<O>), E> {
        let batch = x.shape().0;
        let mut y = Tensor::zeros((batch, Const));
        affine::forward(
            x.as_slice(),
            self.weight.value.as_slice(),
            self.bias.value.as_slice(),
            y.as_mut_slice(),
            Self::dims(batch.size()),
            Par::Rayon,
        );
        y
    }
}

impl<const I: usize, const O: usize, E: Element> Parameters for Affine<I, O, E> {
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
