//! A schedule that watches a metric: the rate falls when it stops improving.

use super::{Schedule, expect_state_len, require};
use crate::error::{Result, require_positive};

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

    fn state(&self) -> Vec<f64> {
        vec![self.lr, self.best, self.bad_epochs as f64]
    }

    fn load_state(&mut self, state: &[f64]) -> Result<()> {
        expect_state_len(state, 3)?;
        self.lr = state[0];
        self.best = state[1];
        self.bad_epochs = state[2] as usize;
        Ok(())
    }

    fn validate(&self) -> Result<()> {
        require_positive("the learning rate", self.lr)?;
        require(
            self.factor > 0.0 && self.factor < 1.0,
            "the reduction factor",
            self.factor,
            "it must be above 0 and below 1",
        )
    }
}
