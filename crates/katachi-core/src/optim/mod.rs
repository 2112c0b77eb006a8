//! Optimisers (the book's chapter 6): SGD, Momentum, AdaGrad, RMSProp, Adam,
//! and the learning-rate [`schedule`]s that drive them.
//!
//! Each walks any network's parameters through [`Parameters`], in their
//! fixed visiting order, keeping its per-parameter state in that order. Each
//! takes an optional weight decay `λ`, which adds `λ·W` to the gradient of
//! every weight (not of biases), the gradient of the book's `½λ‖W‖²` term.
//!
//! ```
//! use katachi::prelude::*;
//! use katachi::optim::{Optimizer, Sgd};
//! let mut layer = Affine::<2, 1, f64>::zeros();
//! layer.weight.grad = Tensor::from([[1.0], [-2.0]]);
//! Sgd::new(0.5).step(&mut layer);
//! assert_eq!(layer.weight.value.as_slice(), &[-0.5, 1.0]);
//! ```

/// `learning_rate` and `set_learning_rate` for an optimiser whose rate is
/// its `lr` field (all of katachi's).
macro_rules! lr_field {
    () => {
        fn learning_rate(&self) -> f64 {
            self.lr
        }

        fn set_learning_rate(&mut self, lr: f64) {
            self.lr = lr;
        }
    };
}

mod adaptive;
mod clip;
pub mod schedule;
mod sgd;
mod state;

pub use adaptive::{AdaGrad, Adam, RmsProp};
pub use clip::clip_grad_norm;
pub use schedule::Schedule;
pub use sgd::{Momentum, Sgd};
pub use state::OptimizerState;

use crate::error::{require_non_negative, require_positive};
use crate::param::{ParamPath, Parameters, Role};
use katachi_par::Element;

/// Updates parameters from their gradients.
pub trait Optimizer<E: Element> {
    /// One update of every parameter of `params`.
    fn step(&mut self, params: &mut dyn Parameters<Elem = E>);

    /// The learning rate the next step uses.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate of the steps that follow: what a
    /// [`Schedule`] does each step, through a
    /// `Box<dyn Optimizer<E>>` too. Optimiser state (momentum, moments,
    /// step count) is kept.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut opt: Box<dyn Optimizer<f32>> = Box::new(Adam::new(0.001));
    /// opt.set_learning_rate(0.0005);
    /// assert_eq!(opt.learning_rate(), 0.0005);
    /// ```
    fn set_learning_rate(&mut self, lr: f64);

    /// The state a resumed run needs to continue exactly: the per-parameter
    /// buffers and the step count (see [`OptimizerState`]).
    fn state(&self) -> OptimizerState;

    /// Continues from `state`, taken by [`Optimizer::state`] from an
    /// optimiser of the same kind.
    ///
    /// # Errors
    /// [`Error::Setting`](crate::error::Error::Setting) naming both kinds
    /// if `state` is another optimiser's, or the buffer that is missing.
    fn load_state(&mut self, state: &OptimizerState) -> crate::error::Result<()>;

    /// Whether the hyperparameters mean anything: a learning rate that is
    /// finite and above 0, a weight decay that is finite and not negative.
    /// `train_epoch` asks before the first step, so a NaN learning rate is
    /// refused by name rather than reported as a diverged loss.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// assert!(Optimizer::<f32>::validate(&Sgd::new(0.1)).is_ok());
    /// let err = Optimizer::<f32>::validate(&Adam::new(f64::NAN)).unwrap_err();
    /// assert_eq!(err.to_string(), "the learning rate is NaN: it must be a finite number above 0");
    /// ```
    ///
    /// # Errors
    /// [`Error::Setting`](crate::error::Error::Setting) naming the first one that
    /// does not.
    fn validate(&self) -> crate::error::Result<()> {
        Ok(())
    }
}

/// The check every optimiser's `validate` makes, plus its own extras.
/// A boxed optimiser is one: `Box<dyn Optimizer<E>>` goes wherever an
/// optimiser does, chosen at run time.
impl<E: Element, O: Optimizer<E> + ?Sized> Optimizer<E> for Box<O> {
    fn step(&mut self, params: &mut dyn Parameters<Elem = E>) {
        (**self).step(params)
    }

    fn learning_rate(&self) -> f64 {
        (**self).learning_rate()
    }

    fn set_learning_rate(&mut self, lr: f64) {
        (**self).set_learning_rate(lr)
    }

    fn state(&self) -> OptimizerState {
        (**self).state()
    }

    fn load_state(&mut self, state: &OptimizerState) -> crate::error::Result<()> {
        (**self).load_state(state)
    }

    fn validate(&self) -> crate::error::Result<()> {
        (**self).validate()
    }
}

pub(crate) fn check_rates(lr: f64, weight_decay: f64) -> crate::error::Result<()> {
    require_positive("the learning rate", lr)?;
    require_non_negative("the weight decay", weight_decay)
}

/// The `1e-7` the book adds to denominators so a zero accumulator never
/// divides by zero.
pub const EPSILON: f64 = 1e-7;

/// Calls `update(index, value, grad, decay)` for every learned parameter
/// (buffers are skipped but keep their index). `decay` is the weight decay
/// to add to the gradient, for weights only; the kernel in
/// `katachi_par::elementwise::update` adds it as it reads the gradient, so
/// the stored gradient is left as backward computed it.
fn for_each<E: Element>(
    params: &mut dyn Parameters<Elem = E>,
    weight_decay: f64,
    mut update: impl FnMut(usize, &mut [E], &[E], Option<E>),
) {
    let mut index = 0;
    let decay = E::from_f64(weight_decay);
    params.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        if !p.role.is_learned() {
            index += 1;
            return;
        }
        let decay = (weight_decay != 0.0 && matches!(p.role, Role::Weight { .. })).then_some(decay);
        update(index, p.value, p.grad, decay);
        index += 1;
    });
}

/// The state vector of parameter `index`, created as zeros on first use.
fn state<E: Element>(states: &mut Vec<Vec<E>>, index: usize, len: usize) -> &mut [E] {
    if states.len() <= index {
        states.resize_with(index + 1, Vec::new);
    }
    let s = &mut states[index];
    if s.len() != len {
        *s = vec![E::ZERO; len];
    }
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::layer::Affine;
    use crate::optim::Optimizer;
    use crate::tensor::Tensor;

    /// A single parameter w = [1, −2] as a layer, for hand-computed updates.
    pub(crate) fn two_steps(opt: &mut dyn Optimizer<f64>) -> [f64; 2] {
        let mut layer = Affine::<2, 1, f64>::new(Tensor::from([[1.0], [-2.0]]), Tensor::default());
        for g in [[0.5, -1.0], [0.1, 0.2]] {
            layer.weight.grad = Tensor::from([[g[0]], [g[1]]]);
            opt.step(&mut layer);
        }
        // The bias had zero gradients all along and no decay: it stays 0.
        assert_eq!(layer.bias.value.as_slice(), &[0.0]);
        [
            layer.weight.value.as_slice()[0],
            layer.weight.value.as_slice()[1],
        ]
    }

    /// Values from the book's formulas, computed independently in f64.
    pub(crate) fn assert_close(got: [f64; 2], want: [f64; 2]) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }
}
