//! `Dropout` (chapter 6): drops a random share of activations while
//! training, so no unit can rely on any other.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Layer, NO_FORWARD};
use crate::check::Signature;
use crate::param::{Mode, ParamMut, ParamPath, ParamView, Parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::elementwise;
use katachi_par::{Element, Par};

/// Drops each element with probability `ratio` in training, scaling the
/// kept ones by `1 / (1 − ratio)` so their expected value is unchanged and
/// inference needs no rescaling: in [`Mode::Eval`] and in `predict` it
/// passes everything through. Backward lets the gradient through exactly
/// where forward kept the element, with the same scale.
///
/// # Shapes
/// - input: any shape
/// - output: the input's shape
///
/// The mask comes from a generator of its own, seeded with 0 at
/// construction or with `with_seed`, so runs repeat. In a network,
/// [`Parameters::init`] and `Network::seeded` reseed every dropout layer from
/// the network's seed and the layer's name ([`Parameters::reseed`]), so two
/// dropout layers never draw the same masks.
///
/// ```
/// use katachi::prelude::*;
/// let mut drop = Dropout::<f64>::new(0.5).with_seed(1);
/// let y = drop.forward(Tensor::<Rank1<8>, f64>::from([1.0; 8]));
/// // Every element is either dropped or doubled.
/// assert!(y.as_slice().iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.set_mode(Mode::Eval);
/// assert_eq!(drop.forward(Tensor::<Rank1<2>, f64>::from([3.0, 4.0])).as_slice(), &[3.0, 4.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Dropout<E: Element = f32> {
    /// The probability of dropping an element, in `[0, 1)`.
    pub ratio: f64,
    mode: Mode,
    /// Per element of the latest forward: 0 or `1 / (1 − ratio)`.
    mask: Vec<E>,
    rng: ChaCha8Rng,
}

impl<E: Element> Dropout<E> {
    /// Dropout of `ratio`, seeded with 0.
    ///
    /// # Panics
    /// If `ratio` is not in `[0, 1)`.
    pub fn new(ratio: f64) -> Self {
        assert!(
            (0.0..1.0).contains(&ratio),
            "dropout ratio {ratio} is not in [0, 1)"
        );
        Self {
            ratio,
            mode: Mode::Train,
            mask: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }

    /// The same, drawing its masks from a generator seeded with `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self
    }
}

impl<E: Element> Default for Dropout<E> {
    /// The book's ratio, 0.5.
    fn default() -> Self {
        Self::new(0.5)
    }
}

impl<S: Shape, E: Element> Layer<Tensor<S, E>> for Dropout<E> {
    type Out = Tensor<S, E>;

    fn forward(&mut self, mut x: Tensor<S, E>) -> Tensor<S, E> {
        self.mask.clear();
        if self.mode == Mode::Eval {
            self.mask.resize(x.numel(), E::ONE);
            return x;
        }
        // The draws are sequential (one generator); the product is a kernel.
        let keep = E::from_f64(1.0 / (1.0 - self.ratio));
        let rng = &mut self.rng;
        let ratio = self.ratio;
        self.mask.extend((0..x.numel()).map(|_| {
            if rng.random::<f64>() < ratio {
                E::ZERO
            } else {
                keep
            }
        }));
        elementwise::multiply(x.as_mut_slice(), &self.mask, Par::Rayon);
        x
    }

    fn backward(&mut self, mut dy: Tensor<S, E>) -> Tensor<S, E> {
        assert_eq!(self.mask.len(), dy.numel(), "dropout: {NO_FORWARD}");
        elementwise::multiply(dy.as_mut_slice(), &self.mask, Par::Rayon);
        dy
    }

    fn predict(&self, x: Tensor<S, E>) -> Tensor<S, E> {
        x
    }
}

impl<S: Shape, E2: Element, E: Element> Signature<Tensor<S, E2>> for Dropout<E> {
    type Input = Tensor<S, E>;
    type Output = Tensor<S, E>;
}

impl<E: Element> Parameters for Dropout<E> {
    type Elem = E;

    fn visit(&self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {}

    fn visit_mut(&mut self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>)) {
    }

    fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    fn visit_rngs(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, &mut ChaCha8Rng),
    ) {
        f(path, &mut self.rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Dropout;
    use crate::param::Mode;
    use crate::shape::{Const, Rank1};
    use crate::tensor::Tensor;

    #[test]
    fn drops_about_the_ratio_and_keeps_the_mean() {
        let mut drop = Dropout::<f64>::new(0.3).with_seed(5);
        let y = drop.forward(Tensor::<Rank1<20000>, f64>::filled((Const,), 1.0));
        let dropped = y.as_slice().iter().filter(|&&v| v == 0.0).count() as f64 / 20000.0;
        assert!((dropped - 0.3).abs() < 0.015, "{dropped}");
        let mean = y.sum() / 20000.0;
        assert!((mean - 1.0).abs() < 0.03, "{mean}");
        assert!(
            y.as_slice()
                .iter()
                .all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-15)
        );
    }

    #[test]
    fn backward_uses_the_forward_mask() {
        let mut drop = Dropout::<f64>::new(0.5).with_seed(2);
        let y = drop.forward(Tensor::<Rank1<64>, f64>::filled((Const,), 1.0));
        let dx = drop.backward(Tensor::<Rank1<64>, f64>::filled((Const,), 3.0));
        for (&y, &d) in y.as_slice().iter().zip(dx.as_slice()) {
            assert_eq!(d, 3.0 * y);
        }
    }

    #[test]
    fn eval_mode_and_predict_pass_everything() {
        let x = Tensor::<Rank1<4>, f64>::from([1.0, -2.0, 3.0, 0.5]);
        let mut drop = Dropout::<f64>::new(0.9);
        assert_eq!(drop.predict(x.clone()), x);
        drop.set_mode(Mode::Eval);
        assert_eq!(drop.forward(x.clone()), x);
        assert_eq!(drop.backward(x.clone()), x);
    }

    #[test]
    fn the_same_seed_draws_the_same_masks() {
        let run = |seed| {
            Dropout::<f32>::new(0.5)
                .with_seed(seed)
                .forward(Tensor::<Rank1<32>>::filled((Const,), 1.0))
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }
}
