//! Stochastic gradient descent, plain and with momentum.

use std::marker::PhantomData;

use katachi_par::elementwise::{Update, update};

use super::{Optimizer, OptimizerState, check_rates, for_each, state};
use crate::param::Parameters;
use katachi_par::Element;

/// SGD: `W ← W − lr·g`.
#[derive(Clone, Debug)]
pub struct Sgd<E: Element = f32> {
    /// Learning rate.
    pub lr: f64,
    /// Weight decay `λ` (0 for none).
    pub weight_decay: f64,
    /// SGD keeps no state; the element type it updates is fixed all the same.
    element: PhantomData<E>,
}

impl<E: Element> Sgd<E> {
    /// SGD with learning rate `lr` and no weight decay.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            weight_decay: 0.0,
            element: PhantomData,
        }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<E: Element> Optimizer<E> for Sgd<E> {
    fn state(&self) -> OptimizerState {
        OptimizerState::new("Sgd", 0)
    }

    fn load_state(&mut self, state: &OptimizerState) -> crate::error::Result<()> {
        state.expect_kind("Sgd")
    }

    lr_field!();

    fn validate(&self) -> crate::error::Result<()> {
        check_rates(self.lr, self.weight_decay)
    }

    fn step(&mut self, params: &mut dyn Parameters<Elem = E>) {
        let lr = E::from_f64(self.lr);
        for_each(params, self.weight_decay, |_, w, g, decay| {
            update(w, g, decay, Update::Sgd { lr });
        });
    }
}

/// Momentum: `v ← α·v − lr·g`, `W ← W + v` (the book's α = 0.9).
#[derive(Clone, Debug)]
pub struct Momentum<E: Element = f32> {
    /// Learning rate.
    pub lr: f64,
    /// `α`, how much of the last step carries over.
    pub momentum: f64,
    /// Weight decay `λ` (0 for none).
    pub weight_decay: f64,
    velocity: Vec<Vec<E>>,
}

impl<E: Element> Momentum<E> {
    /// Momentum with learning rate `lr` and the book's `α = 0.9`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: 0.9,
            weight_decay: 0.0,
            velocity: Vec::new(),
        }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<E: Element> Optimizer<E> for Momentum<E> {
    fn state(&self) -> OptimizerState {
        OptimizerState::new("Momentum", 0).with("velocity", &self.velocity)
    }

    fn load_state(&mut self, state: &OptimizerState) -> crate::error::Result<()> {
        state.expect_kind("Momentum")?;
        self.velocity = state.buffer("velocity")?;
        Ok(())
    }

    lr_field!();

    fn validate(&self) -> crate::error::Result<()> {
        check_rates(self.lr, self.weight_decay)
    }

    fn step(&mut self, params: &mut dyn Parameters<Elem = E>) {
        let (lr, alpha) = (E::from_f64(self.lr), E::from_f64(self.momentum));
        let velocity = &mut self.velocity;
        for_each(params, self.weight_decay, |i, w, g, decay| {
            let v = state(velocity, i, w.len());
            update(w, g, decay, Update::Momentum { lr, alpha, v });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_close, two_steps};

    #[test]
    fn sgd_two_steps() {
        assert_close(two_steps(&mut Sgd::new(0.1)), [0.94, -1.92]);
    }

    #[test]
    fn sgd_with_weight_decay_two_steps() {
        assert_close(
            two_steps(&mut Sgd::new(0.1).with_weight_decay(0.01)),
            [0.938051, -1.916102],
        );
    }

    #[test]
    fn momentum_two_steps() {
        assert_close(
            two_steps(&mut Momentum::new(0.1)),
            [0.8949999999999999, -1.8299999999999998],
        );
    }
}
