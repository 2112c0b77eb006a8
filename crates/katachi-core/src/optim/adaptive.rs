//! Optimisers that adapt the step per element: AdaGrad, RMSProp, Adam.

use katachi_par::elementwise::{Update, update};

use super::{EPSILON, Optimizer, OptimizerState, check_rates, for_each, state};
use crate::param::Parameters;
use katachi_par::Element;

/// AdaGrad: `h ← h + g²`, `W ← W − lr·g / (√h + 1e-7)`.
#[derive(Clone, Debug)]
pub struct AdaGrad<E: Element = f32> {
    /// Learning rate.
    pub lr: f64,
    /// Weight decay `λ` (0 for none).
    pub weight_decay: f64,
    h: Vec<Vec<E>>,
}

impl<E: Element> AdaGrad<E> {
    /// AdaGrad with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            weight_decay: 0.0,
            h: Vec::new(),
        }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

/// The step AdaGrad and RMSProp share: `h ← accumulate(h, g²)`, then
/// `W ← W − lr·g / (√h + 1e-7)`.
/// `keep`/`add` are RMSProp's `ρ` and `1 − ρ`, and 1 and 1 for AdaGrad.
fn scaled_step<E: Element>(
    params: &mut dyn Parameters<Elem = E>,
    (lr, weight_decay): (f64, f64),
    hs: &mut Vec<Vec<E>>,
    (keep, add): (E, E),
) {
    let (lr, eps) = (E::from_f64(lr), E::from_f64(EPSILON));
    for_each(params, weight_decay, |i, w, g, decay| {
        let h = state(hs, i, w.len());
        update(
            w,
            g,
            decay,
            Update::Scaled {
                lr,
                keep,
                add,
                eps,
                h,
            },
        );
    });
}

impl<E: Element> Optimizer<E> for AdaGrad<E> {
    fn state(&self) -> OptimizerState {
        OptimizerState::new("AdaGrad", 0).with("h", &self.h)
    }

    fn load_state(&mut self, state: &OptimizerState) -> crate::error::Result<()> {
        state.expect_kind("AdaGrad")?;
        self.h = state.buffer("h")?;
        Ok(())
    }

    lr_field!();

    fn validate(&self) -> crate::error::Result<()> {
        check_rates(self.lr, self.weight_decay)
    }

    fn step(&mut self, params: &mut dyn Parameters<Elem = E>) {
        let hyper = (self.lr, self.weight_decay);
        scaled_step(params, hyper, &mut self.h, (E::ONE, E::ONE));
    }
}

/// RMSProp: `h ← ρ·h + (1 − ρ)·g²`, `W ← W − lr·g / (√h + 1e-7)` (the
/// book's `ρ = 0.99`).
#[derive(Clone, Debug)]
pub struct RmsProp<E: Element = f32> {
    /// Learning rate.
    pub lr: f64,
    /// `ρ`, how slowly old squared gradients fade.
    pub decay: f64,
    /// Weight decay `λ` (0 for none).
    pub weight_decay: f64,
    h: Vec<Vec<E>>,
}

impl<E: Element> RmsProp<E> {
    /// RMSProp with learning rate `lr` and the book's `ρ = 0.99`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            decay: 0.99,
            weight_decay: 0.0,
            h: Vec::new(),
        }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<E: Element> Optimizer<E> for RmsProp<E> {
    fn state(&self) -> OptimizerState {
        OptimizerState::new("RmsProp", 0).with("h", &self.h)
    }

    fn load_state(&mut self, state: &OptimizerState) -> crate::error::Result<()> {
        state.expect_kind("RmsProp")?;
        self.h = state.buffer("h")?;
        Ok(())
    }

    lr_field!();

    fn validate(&self) -> crate::error::Result<()> {
        check_rates(self.lr, self.weight_decay)
    }

    fn step(&mut self, params: &mut dyn Parameters<Elem = E>) {
        let (rho, keep) = (E::from_f64(self.decay), E::from_f64(1.0 - self.decay));
        let hyper = (self.lr, self.weight_decay);
        scaled_step(params, hyper, &mut self.h, (rho, keep));
    }
}

/// Adam, as the book writes it: with `t` the step count,
/// `lr_t = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)`, `m ← m + (1 − β₁)(g − m)`,
/// `v ← v + (1 − β₂)(g² − v)`, `W ← W − lr_t·m / (√v + 1e-7)`
/// (`β₁ = 0.9`, `β₂ = 0.999`).
#[derive(Clone, Debug)]
pub struct Adam<E: Element = f32> {
    /// Learning rate (the book's default is 0.001).
    pub lr: f64,
    /// `β₁`, decay of the mean.
    pub beta1: f64,
    /// `β₂`, decay of the squared mean.
    pub beta2: f64,
    /// Weight decay `λ` (0 for none).
    pub weight_decay: f64,
    m: Vec<Vec<E>>,
    v: Vec<Vec<E>>,
    t: i32,
}

impl<E: Element> Adam<E> {
    /// Adam with learning rate `lr` and the book's `β₁ = 0.9`, `β₂ = 0.999`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            weight_decay: 0.0,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<E: Element> Optimizer<E> for Adam<E> {
    fn state(&self) -> OptimizerState {
        OptimizerState::new("Adam", u64::try_from(self.t).unwrap_or(0))
            .with("m", &self.m)
            .with("v", &self.v)
    }

    fn load_state(&mut self, state: &OptimizerState) -> crate::error::Result<()> {
        state.expect_kind("Adam")?;
        let t = i32::try_from(state.steps).map_err(|_| {
            let most = format!("it must be at most {}", i32::MAX);
            crate::error::Error::setting("the saved Adam step count", state.steps, most)
        })?;
        let (m, v) = (state.buffer("m")?, state.buffer("v")?);
        (self.m, self.v, self.t) = (m, v, t);
        Ok(())
    }

    lr_field!();

    fn validate(&self) -> crate::error::Result<()> {
        check_rates(self.lr, self.weight_decay)
    }

    fn step(&mut self, params: &mut dyn Parameters<Elem = E>) {
        self.t = self.t.saturating_add(1);
        let lr_t =
            self.lr * (1.0 - self.beta2.powi(self.t)).sqrt() / (1.0 - self.beta1.powi(self.t));
        let (lr_t, eps) = (E::from_f64(lr_t), E::from_f64(EPSILON));
        let (b1, b2) = (E::from_f64(1.0 - self.beta1), E::from_f64(1.0 - self.beta2));
        let (ms, vs) = (&mut self.m, &mut self.v);
        for_each(params, self.weight_decay, |i, w, g, decay| {
            state(ms, i, w.len());
            state(vs, i, w.len());
            let (m, v) = (&mut ms[i], &mut vs[i]);
            update(
                w,
                g,
                decay,
                Update::Adam {
                    lr_t,
                    b1,
                    b2,
                    eps,
                    m,
                    v,
                },
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_close, two_steps};

    #[test]
    fn adagrad_two_steps() {
        assert_close(
            two_steps(&mut AdaGrad::new(0.1)),
            [0.8803884103323307, -1.9196116215907406],
        );
    }

    #[test]
    fn rmsprop_two_steps() {
        assert_close(
            two_steps(&mut RmsProp::new(0.1)),
            [-0.1970634672881088, -1.1970666614572931],
        );
    }

    #[test]
    fn adam_two_steps() {
        assert_close(
            two_steps(&mut Adam::new(0.001)),
            [0.9981969703286983, -1.9984889786704665],
        );
    }
}
