//! Learning-rate schedules: the rate for each step of a run.
//!
//! A [`Schedule`] maps the step number (from 0, counted over the whole run,
//! not per epoch) to a learning rate, and [`Schedule::apply`] hands that rate
//! to an optimiser before its step. [`ReduceOnPlateau`] also watches a metric
//! at each epoch's end ([`Schedule::observe`]).
//!
//! | schedule | rate at step `t` |
//! |---|---|
//! | [`Constant`] | `lr` |
//! | [`StepDecay`] | `lr · γ^⌊t / every⌋` |
//! | [`Exponential`] | `lr · γ^t` |
//! | [`Cosine`] | linear warm-up to `lr` over `warmup` steps, then `min + (lr − min)·(1 + cos πτ)/2` down to `min` at `total` |
//! | [`OneCycle`] | cosine from `max/div` up to `max` over the first `pct_start` of `total`, then down to `max/(div·final_div)` (PyTorch's `OneCycleLR`) |
//! | [`ReduceOnPlateau`] | `lr`, multiplied by `factor` after `patience` epochs without improvement |
//!
//! ```
//! use katachi::optim::schedule::{Cosine, Schedule};
//! use katachi::prelude::*;
//!
//! let schedule = Cosine::new(0.1, 1000).with_warmup(100);
//! let mut opt = Sgd::<f32>::new(0.1);
//! let mut net = Affine::<2, 2>::zeros();
//! for step in 0..3 {
//!     schedule.apply(step, &mut opt);
//!     opt.step(&mut net);
//! }
//! assert!((opt.learning_rate() - 0.003).abs() < 1e-12); // 3 of 100 warm-up steps
//! ```

use katachi_par::Element;

mod cyclic;
mod plateau;

pub use cyclic::{Cosine, OneCycle};
pub use plateau::ReduceOnPlateau;

use super::Optimizer;
use crate::error::{Error, Result, require_positive};

/// A learning rate per step.
pub trait Schedule {
    /// The rate for step `step`, counted from 0 over the whole run.
    fn rate(&self, step: usize) -> f64;

    /// Told the monitored metric at the end of each epoch (lower is better,
    /// as for a validation loss). Only [`ReduceOnPlateau`] listens; the
    /// default ignores it.
    fn observe(&mut self, metric: f64) {
        let _ = metric;
    }

    /// Whether the settings mean anything (a rate above 0, a decay factor
    /// in (0, 1], a warm-up shorter than the run); a trainer asks before
    /// the first step.
    ///
    /// # Errors
    /// [`Error::Setting`] naming the first setting that does not.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// What the schedule has learned during the run, as numbers a training
    /// checkpoint keeps: empty for the schedules whose rate depends on the
    /// step alone; [`ReduceOnPlateau`]'s current rate, best metric and
    /// epochs since it.
    fn state(&self) -> Vec<f64> {
        Vec::new()
    }

    /// Continues from `state`, taken by [`Schedule::state`] from a schedule
    /// of the same kind.
    ///
    /// # Errors
    /// [`Error::Setting`] if `state` does not have this schedule's length.
    fn load_state(&mut self, state: &[f64]) -> Result<()> {
        expect_state_len(state, 0)
    }

    /// Sets `optimizer`'s learning rate to the rate for `step`.
    fn apply<E: Element>(&self, step: usize, optimizer: &mut dyn Optimizer<E>)
    where
        Self: Sized,
    {
        optimizer.set_learning_rate(self.rate(step));
    }
}

/// A boxed schedule is one: `Box<dyn Schedule>` goes wherever a schedule
/// does, chosen at run time.
impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn rate(&self, step: usize) -> f64 {
        (**self).rate(step)
    }

    fn observe(&mut self, metric: f64) {
        (**self).observe(metric)
    }

    fn validate(&self) -> Result<()> {
        (**self).validate()
    }

    fn state(&self) -> Vec<f64> {
        (**self).state()
    }

    fn load_state(&mut self, state: &[f64]) -> Result<()> {
        (**self).load_state(state)
    }
}

/// `Ok` if a saved schedule state has the `len` numbers this schedule keeps.
pub(super) fn expect_state_len(state: &[f64], len: usize) -> Result<()> {
    require(
        state.len() == len,
        "the saved schedule state",
        format!("{} numbers", state.len()),
        &format!("this schedule keeps {len}"),
    )
}

/// `Err(Setting)` unless `ok`.
pub(super) fn require(ok: bool, setting: &str, value: impl ToString, expected: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::setting(setting, value, expected))
    }
}

fn decay_factor(setting: &str, gamma: f64) -> Result<()> {
    require(
        gamma > 0.0 && gamma <= 1.0,
        setting,
        gamma,
        "it must be above 0 and at most 1",
    )
}

/// The same rate at every step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant {
    /// The rate.
    pub lr: f64,
}

impl Constant {
    /// `lr` at every step.
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Schedule for Constant {
    fn rate(&self, _: usize) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<()> {
        require_positive("the learning rate", self.lr)
    }
}

/// `lr · γ^⌊t / every⌋`: the rate multiplied by `gamma` every `every` steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    /// The rate of the first `every` steps.
    pub lr: f64,
    /// Steps between decays.
    pub every: usize,
    /// The factor at each decay.
    pub gamma: f64,
}

impl StepDecay {
    /// `lr`, times `gamma` every `every` steps.
    pub fn new(lr: f64, every: usize, gamma: f64) -> Self {
        Self { lr, every, gamma }
    }
}

impl Schedule for StepDecay {
    fn rate(&self, step: usize) -> f64 {
        let decays = step / self.every.max(1);
        self.lr * self.gamma.powi(decays.min(i32::MAX as usize) as i32)
    }

    fn validate(&self) -> Result<()> {
        require_positive("the learning rate", self.lr)?;
        require(
            self.every > 0,
            "the steps between decays",
            self.every,
            "there must be at least 1",
        )?;
        decay_factor("the decay factor", self.gamma)
    }
}

/// `lr · γ^t`: the rate multiplied by `gamma` at every step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponential {
    /// The rate of step 0.
    pub lr: f64,
    /// The factor per step.
    pub gamma: f64,
}

impl Exponential {
    /// `lr`, times `gamma` each step.
    pub fn new(lr: f64, gamma: f64) -> Self {
        Self { lr, gamma }
    }
}

impl Schedule for Exponential {
    fn rate(&self, step: usize) -> f64 {
        self.lr * self.gamma.powf(step as f64)
    }

    fn validate(&self) -> Result<()> {
        require_positive("the learning rate", self.lr)?;
        decay_factor("the decay factor", self.gamma)
    }
}

#[cfg(test)]
mod tests;
