//! Early stopping: end a run when the watched metric has stopped improving.

use crate::error::{Error, Result, require_non_negative};

/// Whether a larger or a smaller metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// A loss: smaller is better.
    Minimize,
    /// An accuracy: larger is better.
    Maximize,
}

/// What [`EarlyStopping::observe`] decides after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A new best: keep this epoch's weights as the best so far.
    Improved,
    /// No improvement, but `left` more epochs without one are allowed.
    Wait {
        /// Epochs still allowed without improvement.
        left: usize,
    },
    /// `patience` epochs in a row without improvement: stop.
    Stop,
}

/// Stops a run after `patience` epochs in a row in which the metric did not
/// improve on its best by more than `min_delta` (absolute).
///
/// ```
/// use katachi::train::{EarlyStopping, Goal, Verdict};
/// let mut stop = EarlyStopping::new(Goal::Maximize, 2);
/// assert_eq!(stop.observe(1, 0.90)?, Verdict::Improved);
/// assert_eq!(stop.observe(2, 0.95)?, Verdict::Improved);
/// assert_eq!(stop.observe(3, 0.94)?, Verdict::Wait { left: 1 });
/// assert_eq!(stop.observe(4, 0.95)?, Verdict::Stop); // equal is no better
/// assert_eq!(stop.best(), Some((2, 0.95)));
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    /// Whether larger or smaller is better.
    pub goal: Goal,
    /// Epochs in a row without improvement before stopping (at least 1).
    pub patience: usize,
    /// The improvement that counts: more than this, absolute (0 by default).
    pub min_delta: f64,
    best: Option<(usize, f64)>,
    waited: usize,
}

impl EarlyStopping {
    /// Stop after `patience` epochs without any improvement.
    pub fn new(goal: Goal, patience: usize) -> Self {
        Self {
            goal,
            patience,
            min_delta: 0.0,
            best: None,
            waited: 0,
        }
    }

    /// An improvement counts only if larger than `min_delta`.
    pub fn with_min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// The best epoch and its metric so far.
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best
    }

    /// Epochs in a row without improvement so far.
    pub fn waited(&self) -> usize {
        self.waited
    }

    /// Continues a stopped run: the best epoch and metric so far and the
    /// epochs waited since, as [`EarlyStopping::best`] and
    /// [`EarlyStopping::waited`] gave them.
    ///
    /// ```
    /// use katachi::train::{EarlyStopping, Goal, Verdict};
    /// let mut stop = EarlyStopping::new(Goal::Minimize, 2).resumed(Some((3, 0.25)), 1);
    /// assert_eq!(stop.observe(5, 0.30)?, Verdict::Stop);
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn resumed(mut self, best: Option<(usize, f64)>, waited: usize) -> Self {
        self.best = best;
        self.waited = waited;
        self
    }

    /// Whether the settings mean anything: a patience of at least 1 and a
    /// finite `min_delta` of 0 or more.
    ///
    /// # Errors
    /// [`Error::Setting`] naming the first setting that does not.
    pub fn validate(&self) -> Result<()> {
        if self.patience == 0 {
            return Err(Error::setting(
                "the patience",
                0,
                "it must be at least 1 epoch",
            ));
        }
        require_non_negative("the minimum improvement", self.min_delta)
    }

    /// Takes the metric of `epoch` and says whether to go on.
    ///
    /// # Errors
    /// [`Error::Setting`] if `patience` is 0 or `min_delta` is negative or
    /// not finite; [`Error::NonFinite`] if `metric` is NaN or infinite (a
    /// diverged run is not a plateau).
    pub fn observe(&mut self, epoch: usize, metric: f64) -> Result<Verdict> {
        self.validate()?;
        if !metric.is_finite() {
            return Err(Error::NonFinite {
                what: "the early-stopping metric".to_string(),
                at: format!("epoch {epoch}"),
                value: metric.to_string(),
            });
        }
        let better = match (self.best, self.goal) {
            (None, _) => true,
            (Some((_, best)), Goal::Minimize) => metric < best - self.min_delta,
            (Some((_, best)), Goal::Maximize) => metric > best + self.min_delta,
        };
        if better {
            self.best = Some((epoch, metric));
            self.waited = 0;
            return Ok(Verdict::Improved);
        }
        self.waited += 1;
        Ok(if self.waited >= self.patience {
            Verdict::Stop
        } else {
            Verdict::Wait {
                left: self.patience - self.waited,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loss_must_fall_by_more_than_min_delta() {
        let mut stop = EarlyStopping::new(Goal::Minimize, 3).with_min_delta(0.01);
        let verdicts: Vec<Verdict> = [0.50, 0.45, 0.445, 0.30, 0.295, 0.2951, 0.2999]
            .iter()
            .enumerate()
            .map(|(i, &loss)| stop.observe(i + 1, loss).unwrap())
            .collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [
                Improved,
                Improved,
                Wait { left: 2 }, // 0.005 better: within min_delta
                Improved,
                Wait { left: 2 },
                Wait { left: 1 },
                Stop
            ]
        );
        assert_eq!(stop.best(), Some((4, 0.30)));
    }

    #[test]
    fn settings_and_metrics_that_mean_nothing_are_errors() {
        let err = |mut s: EarlyStopping, m: f64| s.observe(1, m).unwrap_err().to_string();
        assert_eq!(
            err(EarlyStopping::new(Goal::Minimize, 0), 1.0),
            "the patience is 0: it must be at least 1 epoch"
        );
        assert_eq!(
            err(
                EarlyStopping::new(Goal::Minimize, 2).with_min_delta(-0.1),
                1.0
            ),
            "the minimum improvement is -0.1: it must be a finite number, 0 or more"
        );
        assert_eq!(
            err(EarlyStopping::new(Goal::Maximize, 2), f64::NAN),
            "the early-stopping metric holds NaN at epoch 1"
        );
    }
}
