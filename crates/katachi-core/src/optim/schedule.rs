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

use std::f64::consts::PI;

use katachi_par::Element;

use super::Optimizer;
use crate::error::{Error, Result};

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

    /// Sets `optimizer`'s learning rate to the rate for `step`.
    fn apply<E: Element>(&self, step: usize, optimizer: &mut dyn Optimizer<E>)
    where
        Self: Sized,
    {
        optimizer.set_learning_rate(self.rate(step));
    }
}

/// `Err(Setting)` unless `ok`.
fn require(ok: bool, setting: &str, value: impl ToString, expected: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Setting {
            setting: setting.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        })
    }
}

fn positive_rate(setting: &str, lr: f64) -> Result<()> {
    require(
        lr.is_finite() && lr > 0.0,
        setting,
        lr,
        "it must be a finite number above 0",
    )
}

fn decay_factor(setting: &str, gamma: f64) -> Result<()> {
    require(
        gamma > 0.0 && gamma <= 1.0,
        setting,
        gamma,
        "it must be above 0 and at most 1",
    )
}

/// `end + (start − end)·(1 + cos πτ)/2`: from `start` at `τ = 0` to `end`
/// at `τ = 1`, flat at both ends.
fn cosine_between(start: f64, end: f64, tau: f64) -> f64 {
    end + (start - end) * (1.0 + (PI * tau.clamp(0.0, 1.0)).cos()) / 2.0
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
        positive_rate("the learning rate", self.lr)
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
        positive_rate("the learning rate", self.lr)?;
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
        positive_rate("the learning rate", self.lr)?;
        decay_factor("the decay factor", self.gamma)
    }
}

/// Cosine annealing with an optional linear warm-up: `lr·(t + 1)/warmup`
/// for the first `warmup` steps, then `min + (lr − min)·(1 + cos πτ)/2`
/// with `τ = (t − warmup)/(total − warmup)`, and `min` from step `total` on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cosine {
    /// The peak rate, reached at the end of the warm-up.
    pub lr: f64,
    /// The rate at step `total` and after.
    pub min_lr: f64,
    /// Steps of linear warm-up (0 for none).
    pub warmup: usize,
    /// The step at which the rate reaches `min_lr`: the run's length.
    pub total: usize,
}

impl Cosine {
    /// From `lr` down to 0 over `total` steps, no warm-up.
    pub fn new(lr: f64, total: usize) -> Self {
        Self {
            lr,
            min_lr: 0.0,
            warmup: 0,
            total,
        }
    }

    /// With `warmup` steps of linear warm-up first.
    pub fn with_warmup(mut self, warmup: usize) -> Self {
        self.warmup = warmup;
        self
    }

    /// Down to `min_lr` rather than 0.
    pub fn with_min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }
}

impl Schedule for Cosine {
    fn rate(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.lr * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1);
        let tau = (step - self.warmup) as f64 / span as f64;
        cosine_between(self.lr, self.min_lr, tau)
    }

    fn validate(&self) -> Result<()> {
        positive_rate("the learning rate", self.lr)?;
        require(
            self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_lr <= self.lr,
            "the final learning rate",
            self.min_lr,
            "it must be between 0 and the peak rate",
        )?;
        require(
            self.warmup < self.total,
            "the warm-up",
            format!("{} steps", self.warmup),
            &format!("it must be shorter than the run ({} steps)", self.total),
        )
    }
}

/// The one-cycle policy (Smith; PyTorch's `OneCycleLR` with cosine
/// annealing): from `max_lr / div` up to `max_lr` over the first
/// `pct_start` of `total` steps, then down to `max_lr / (div · final_div)`
/// at the last step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneCycle {
    /// The peak rate.
    pub max_lr: f64,
    /// The run's length in steps.
    pub total: usize,
    /// The share of the run spent rising (0.3).
    pub pct_start: f64,
    /// `max_lr / div` is the starting rate (25).
    pub div: f64,
    /// The final rate is the starting rate divided by this (10⁴).
    pub final_div: f64,
}

impl OneCycle {
    /// PyTorch's defaults: 30 % rising, from `max_lr / 25`, down to
    /// `max_lr / 25 / 10⁴`.
    pub fn new(max_lr: f64, total: usize) -> Self {
        Self {
            max_lr,
            total,
            pct_start: 0.3,
            div: 25.0,
            final_div: 1e4,
        }
    }

    /// The step at which the rate peaks, as a real number (PyTorch's
    /// `pct_start · total − 1`).
    fn peak(&self) -> f64 {
        self.pct_start * self.total as f64 - 1.0
    }
}

impl Schedule for OneCycle {
    fn rate(&self, step: usize) -> f64 {
        let start = self.max_lr / self.div;
        let end = start / self.final_div;
        let (t, peak, last) = (step as f64, self.peak(), self.total as f64 - 1.0);
        if t <= peak {
            cosine_between(start, self.max_lr, t / peak)
        } else {
            cosine_between(self.max_lr, end, (t - peak) / (last - peak))
        }
    }

    fn validate(&self) -> Result<()> {
        positive_rate("the peak learning rate", self.max_lr)?;
        require(
            self.pct_start > 0.0 && self.pct_start < 1.0 && self.peak() >= 1.0,
            "the rising share",
            self.pct_start,
            &format!(
                "it must be above 0 and below 1, and leave at least 2 steps of {} rising",
                self.total
            ),
        )?;
        require(
            self.div >= 1.0 && self.final_div >= 1.0,
            "the start and final divisors",
            format!("{} and {}", self.div, self.final_div),
            "they must be at least 1",
        )
    }
}

/// The rate multiplied by `factor` when the monitored metric (told by
/// [`Schedule::observe`] after each epoch) has not improved on its best by
/// more than `threshold` (relative) for more than `patience` epochs; never
/// below `min_lr`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReduceOnPlateau {
    /// The current rate.
    pub lr: f64,
    /// The factor at each reduction (0.1).
    pub factor: f64,
    /// Epochs without improvement tolerated before a reduction (10).
    pub patience: usize,
    /// The relative improvement that counts (10⁻⁴): `metric < best · (1 − threshold)`.
    pub threshold: f64,
    /// The rate is never reduced below this (0).
    pub min_lr: f64,
    /// The best metric so far.
    pub best: f64,
    /// Epochs since the best.
    pub bad_epochs: usize,
}

impl ReduceOnPlateau {
    /// PyTorch's defaults: ×0.1 after 10 epochs without a 10⁻⁴ relative
    /// improvement.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            min_lr: 0.0,
            best: f64::INFINITY,
            bad_epochs: 0,
        }
    }

    /// Reduce by `factor` after `patience` epochs without improvement.
    pub fn with(mut self, factor: f64, patience: usize) -> Self {
        self.factor = factor;
        self.patience = patience;
        self
    }
}

impl Schedule for ReduceOnPlateau {
    fn rate(&self, _: usize) -> f64 {
        self.lr
    }

    fn observe(&mut self, metric: f64) {
        if metric < self.best * (1.0 - self.threshold) {
            self.best = metric;
            self.bad_epochs = 0;
            return;
        }
        self.bad_epochs += 1;
        if self.bad_epochs > self.patience {
            self.lr = (self.lr * self.factor).max(self.min_lr);
            self.bad_epochs = 0;
        }
    }

    fn validate(&self) -> Result<()> {
        positive_rate("the learning rate", self.lr)?;
        require(
            self.factor > 0.0 && self.factor < 1.0,
            "the reduction factor",
            self.factor,
            "it must be above 0 and below 1",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Affine;
    use crate::optim::{Adam, Sgd};

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }

    #[test]
    fn constant_step_and_exponential_rates() {
        close(Constant::new(0.1).rate(12_345), 0.1);
        let s = StepDecay::new(0.1, 100, 0.5);
        for (step, want) in [
            (0, 0.1),
            (99, 0.1),
            (100, 0.05),
            (250, 0.025),
            (300, 0.0125),
        ] {
            close(s.rate(step), want);
        }
        let e = Exponential::new(0.2, 0.9);
        for (step, want) in [(0, 0.2), (1, 0.18), (2, 0.162), (10, 0.2 * 0.348_678_440_1)] {
            close(e.rate(step), want);
        }
    }

    #[test]
    fn cosine_warms_up_linearly_then_follows_half_a_cosine() {
        let s = Cosine::new(0.1, 1100).with_warmup(100).with_min_lr(0.001);
        close(s.rate(0), 0.001); // 0.1 · 1/100
        close(s.rate(49), 0.05);
        close(s.rate(99), 0.1);
        close(s.rate(100), 0.1); // τ = 0
        close(s.rate(350), 0.001 + 0.099 * (1.0 + 0.5_f64.sqrt()) / 2.0); // τ = 1/4
        close(s.rate(600), 0.0505); // τ = 1/2: halfway
        close(s.rate(1100), 0.001);
        close(s.rate(5000), 0.001);
        let plain = Cosine::new(1.0, 4);
        for (step, want) in [(0, 1.0), (1, 0.853_553_390_593_273_8), (2, 0.5), (4, 0.0)] {
            close(plain.rate(step), want);
        }
    }

    #[test]
    fn one_cycle_matches_pytorch() {
        // torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=100):
        // initial 0.04 = 1/25, peak at step 29 (0.3·100 − 1), final 4e-6.
        let s = OneCycle::new(1.0, 100);
        close(s.rate(0), 0.04);
        close(s.rate(29), 1.0);
        let quarter = 0.04 + 0.96 * (1.0 - (PI * 0.25).cos()) / 2.0;
        close(
            s.rate(29 / 4),
            0.04 + 0.96 * (1.0 - (PI * 7.0 / 29.0).cos()) / 2.0,
        );
        assert!(quarter > 0.04 && quarter < 1.0);
        close(s.rate(99), 4e-6);
        close(s.rate(64), 4e-6 + (1.0 - 4e-6) / 2.0); // halfway down: (64 − 29)/(99 − 29)
    }

    #[test]
    fn reduce_on_plateau_waits_for_patience_then_reduces() {
        let mut s = ReduceOnPlateau::new(0.1).with(0.5, 2);
        for metric in [1.0, 0.8, 0.8, 0.79995] {
            s.observe(metric); // 0.79995 is within the 1e-4 threshold: no improvement
        }
        close(s.rate(0), 0.1);
        assert_eq!(s.bad_epochs, 2);
        s.observe(0.9); // a third epoch without improvement
        close(s.rate(0), 0.05);
        assert_eq!(s.bad_epochs, 0);
        s.observe(0.5); // a new best
        assert_eq!((s.best, s.bad_epochs), (0.5, 0));
        s.min_lr = 0.04;
        for _ in 0..3 {
            s.observe(0.6);
        }
        close(s.rate(0), 0.04); // 0.025 is below the floor
    }

    #[test]
    fn settings_that_mean_nothing_are_refused_by_name() {
        let err = |s: &dyn Fn() -> Result<()>| s().unwrap_err().to_string();
        assert_eq!(
            err(&|| Cosine::new(0.1, 100).with_warmup(100).validate()),
            "the warm-up is 100 steps: it must be shorter than the run (100 steps)"
        );
        assert_eq!(
            err(&|| StepDecay::new(0.1, 0, 0.5).validate()),
            "the steps between decays is 0: there must be at least 1"
        );
        assert_eq!(
            err(&|| Exponential::new(0.1, 1.5).validate()),
            "the decay factor is 1.5: it must be above 0 and at most 1"
        );
        assert_eq!(
            err(&|| Constant::new(f64::NAN).validate()),
            "the learning rate is NaN: it must be a finite number above 0"
        );
        assert!(OneCycle::new(0.1, 3).validate().is_err());
        assert!(ReduceOnPlateau::new(0.1).with(1.0, 3).validate().is_err());
        for ok in [
            Constant::new(0.1).validate(),
            StepDecay::new(0.1, 10, 0.5).validate(),
            Cosine::new(0.1, 100).with_warmup(10).validate(),
            OneCycle::new(0.1, 100).validate(),
            ReduceOnPlateau::new(0.1).validate(),
        ] {
            assert!(ok.is_ok());
        }
    }

    #[test]
    fn apply_sets_the_rate_through_a_boxed_optimizer_and_keeps_its_state() {
        let mut net = Affine::<2, 2, f64>::zeros();
        net.weight.grad.as_mut_slice().fill(1.0);
        // Two Adam runs, one with its rate halved after a step: the second
        // step moves the weights by half as much, so the moments were kept.
        let run = |second_lr: f64| {
            let mut net = net.clone();
            let mut opt: Box<dyn Optimizer<f64>> = Box::new(Adam::new(0.1));
            opt.step(&mut net);
            let after_one = net.weight.value.as_slice()[0];
            StepDecay::new(0.1, 1, second_lr / 0.1).apply(1, opt.as_mut());
            assert!((opt.learning_rate() - second_lr).abs() < 1e-15);
            opt.step(&mut net);
            net.weight.value.as_slice()[0] - after_one
        };
        close(run(0.05), run(0.1) / 2.0);
        let mut sgd = Sgd::<f64>::new(1.0);
        Constant::new(0.25).apply(0, &mut sgd);
        assert_eq!(Optimizer::<f64>::learning_rate(&sgd), 0.25);
    }
}
