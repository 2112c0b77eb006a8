//! `Affine<I, O>`: the fully connected layer `Y = X·W + b`.

use katachi_par::Par;
use katachi_par::affine::{self, AffineDims};
use rand::Rng;

use super::{Layer, NO_FORWARD};
use crate::check::{FixedInput, Signature, Width};
use crate::init::Init;
use crate::param::{
    FileForm, Param, ParamMut, ParamPath, ParamView, Parameters, Role, visit_param, visit_param_as,
    visit_param_mut, visit_param_mut_as,
};
use crate::shape::{Const, Dim, Rank1, Rank2};
use crate::tensor::Tensor;
use katachi_par::Element;

/// The affine (fully connected) layer of chapter 5: `Y = X·W + b`.
///
/// # Shapes
/// - input `X`: `[batch, I]`, batch static or runtime
/// - weight `W`: `[I, O]`; bias `b`: `[O]`
/// - output `Y`: `[batch, O]`
///
/// Backward stores `dW = Xᵀ·dY` and `db = Σ_rows dY` and returns `dX = dY·Wᵀ`.
///
/// Besides `[batch, I]` rows, the layer takes the rows [`Flatten`](super::Flatten)
/// makes of convolution maps, whose width the compiler computes and checks
/// to be `I` (see [`Width`]). So where nothing else fixes the input type, as
/// for `backward` on a lone layer, name it: `let dx: Tensor<Batch<2>> =
/// affine.backward(dy);`.
///
/// ```
/// use katachi::prelude::*;
/// let w = Tensor::<Rank2<2, 3>>::from([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]);
/// let b = Tensor::<Rank1<3>>::from([0.5, 0.5, 0.5]);
/// let mut affine = Affine::new(w, b);
/// let y = affine.forward(Tensor::<Batch<2>>::from_rows(&[[1.0, 2.0]])?);
/// assert_eq!(y.as_slice(), &[1.5, 2.5, 8.5]);
/// let dx: Tensor<Batch<2>> = affine.backward(Tensor::<Batch<3>>::from_rows(&[[1.0, 1.0, 1.0]])?);
/// assert_eq!(dx.as_slice(), &[3.0, 4.0]);
/// assert_eq!(affine.weight.grad.as_slice(), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Affine<const I: usize, const O: usize, E: Element = f32> {
    /// `W`, `[I, O]`.
    pub weight: Param<Rank2<I, O>, E>,
    /// `b`, `[O]`.
    pub bias: Param<Rank1<O>, E>,
    /// The input of the latest forward, kept for `dW = Xᵀ·dY`; its buffer
    /// then receives `dX`.
    input: Option<Vec<E>>,
    /// The buffer of the latest upstream gradient, reused for the next
    /// output: a training step allocates nothing here once warm.
    spare: Vec<E>,
}

impl<const I: usize, const O: usize, E: Element> Affine<I, O, E> {
    /// A layer with these parameters.
    pub fn new(weight: Tensor<Rank2<I, O>, E>, bias: Tensor<Rank1<O>, E>) -> Self {
        Self {
            weight: Param::new(weight, Role::Weight { fan_in: I }),
            bias: Param::new(bias, Role::Bias),
            input: None,
            spare: Vec::new(),
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
    /// use katachi::prelude::*;
    /// let a = Affine::<784, 50>::normal(&mut katachi::init::seeded_rng(1), 0.01);
    /// let b = Affine::<784, 50>::normal(&mut katachi::init::seeded_rng(1), 0.01);
    /// assert_eq!(a.weight.value, b.weight.value);
    /// ```
    pub fn normal(rng: &mut impl Rng, std: f64) -> Self {
        let mut layer = Self::zeros();
        layer.initialize(Init::Normal { std }, rng);
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

impl<B: Dim, W: Width<I>, const I: usize, const O: usize, E: Element> Layer<Tensor<(B, W), E>>
    for Affine<I, O, E>
{
    type Out = Tensor<(B, Const<O>), E>;

    fn forward(&mut self, x: Tensor<(B, W), E>) -> Self::Out {
        let () = W::CHECK;
        let batch = x.shape().0;
        let mut y = std::mem::take(&mut self.spare);
        y.resize(batch.size() * O, E::ZERO);
        self.write_output(&x, &mut y);
        self.input = Some(x.into_vec());
        Tensor::from_vec((batch, Const), y).expect("batch × O outputs")
    }

    fn backward(&mut self, dy: Self::Out) -> Tensor<(B, W), E> {
        let batch = dy.shape().0;
        let mut x = self.take_input(batch.size());
        let dims = Self::dims(batch.size());
        let (w, dy_slice) = (self.weight.value.as_slice(), dy.as_slice());
        affine::param_grads(
            &x,
            dy_slice,
            self.weight.grad.as_mut_slice(),
            self.bias.grad.as_mut_slice(),
            dims,
            Par::Rayon,
        );
        // X is no longer needed: its buffer takes dX.
        affine::input_grad(w, dy_slice, &mut x, dims, Par::Rayon);
        self.spare = dy.into_vec();
        Tensor::from_vec((batch, W::default()), x).expect("batch × I gradients")
    }

    fn backward_params(&mut self, dy: Self::Out) {
        let batch = dy.shape().0;
        let x = self.take_input(batch.size());
        let dims = Self::dims(batch.size());
        affine::param_grads(
            &x,
            dy.as_slice(),
            self.weight.grad.as_mut_slice(),
            self.bias.grad.as_mut_slice(),
            dims,
            Par::Rayon,
        );
        self.input = Some(x);
        self.spare = dy.into_vec();
    }

    fn predict(&self, x: Tensor<(B, W), E>) -> Self::Out {
        let () = W::CHECK;
        let batch = x.shape().0;
        let mut y = vec![E::ZERO; batch.size() * O];
        self.write_output(&x, &mut y);
        Tensor::from_vec((batch, Const), y).expect("batch × O outputs")
    }
}

impl<const I: usize, const O: usize, E: Element> Affine<I, O, E> {
    /// `y ← x·W + b`, the bias added as each tile of `y` is written.
    fn write_output<B: Dim, W: Width<I>>(&self, x: &Tensor<(B, W), E>, y: &mut [E]) {
        affine::forward(
            x.as_slice(),
            self.weight.value.as_slice(),
            self.bias.value.as_slice(),
            y,
            Self::dims(x.shape().0.size()),
            Par::Rayon,
        );
    }

    /// The cached input of a forward with `batch` rows.
    ///
    /// # Panics
    /// Without such a forward (see the `Layer` contract).
    fn take_input(&mut self, batch: usize) -> Vec<E> {
        self.input
            .take()
            .filter(|x| x.len() == batch * I)
            .expect(NO_FORWARD)
    }
}

// What an affine layer takes and gives where rows, or maps, arrive.
impl<B: Dim, D: Dim, E2: Element, const I: usize, const O: usize, E: Element>
    Signature<Tensor<(B, D), E2>> for Affine<I, O, E>
{
    type Input = Tensor<(B, D::Expect<I>), E>;
    type Output = Tensor<(B, Const<O>), E>;
}

/// Maps arriving where rows are due (a `Flatten` forgotten): the layer would
/// take `[_, I]` rows, so the check reports both shapes, e.g. "`affine1`
/// takes [_, 17280] but `conv1` produces [_, 30, 24, 24]".
impl<B: Dim, C: Dim, H: Dim, W: Dim, E2: Element, const I: usize, const O: usize, E: Element>
    Signature<Tensor<(B, C, H, W), E2>> for Affine<I, O, E>
{
    type Input = Tensor<(B, W::Expect<I>), E>;
    type Output = Tensor<(B, Const<O>), E>;
}

impl<const I: usize, const O: usize, E: Element> FixedInput for Affine<I, O, E> {
    type Input = Tensor<(usize, Const<I>), E>;
}

impl<const I: usize, const O: usize, E: Element> Parameters for Affine<I, O, E> {
    type Elem = E;

    fn visit(&self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {
        // PyTorch's nn.Linear holds its weight [out, in].
        visit_param_as(&self.weight, path, "weight", FileForm::Transposed, f);
        visit_param(&self.bias, path, "bias", f);
    }

    fn visit_mut(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>),
    ) {
        visit_param_mut_as(&mut self.weight, path, "weight", FileForm::Transposed, f);
        visit_param_mut(&mut self.bias, path, "bias", f);
    }
}
