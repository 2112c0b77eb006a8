//! Schedules that follow a cosine: annealing with warm-up, and one cycle.

use std::f64::consts::PI;

use super::{Schedule, require};
use crate::error::{Result, require_positive};

/// `end + (start − end)·(1 + cos πτ)/2`: from `start` at `τ = 0` to `end`
/// at `τ = 1`, flat at both ends.
pub(super) fn cosine_between(start: f64, end: f64, tau: f64) -> f64 {
    end + (start - end) * (1.0 + (PI * tau.clamp(0.0, 1.0)).cos()) / 2.0
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
        require_positive("the learning rate", self.lr)?;
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
        require_positive("the peak learning rate", self.max_lr)?;
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
