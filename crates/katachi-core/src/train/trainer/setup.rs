//! Before the first step: the settings checked, and the run's state either
//! fresh or read back from a checkpoint; and that state written out.

use std::path::Path;

use super::saved::{self, Identity, Snapshot};
use super::{CHECKPOINT, Length, Trainer};
use crate::error::{Error, Result, require_positive};
use crate::param::Parameters;
use crate::train::Batches;
use katachi_par::Element;

/// Bytes a training checkpoint may hold beyond its weights, optimiser
/// buffers and batch order: the metadata and the per-step history.
const CHECKPOINT_SLACK: u64 = 16 << 20;

/// Bytes per step of history in a checkpoint (its loss and rate).
const BYTES_PER_STEP: u64 = 16;

/// Each weight is held at most five times over in a checkpoint: itself,
/// the best copy, and up to three optimiser buffers.
const COPIES_PER_WEIGHT: u64 = 5;

impl<N, L, S, const C: usize, E> Trainer<'_, N, L, S, C, E>
where
    E: Element,
    N: Parameters<Elem = E>,
{
    /// `Ok` if every setting means something.
    pub(super) fn check_settings(&self) -> Result<()> {
        let (what, count) = match self.length {
            Length::Epochs(e) => ("the number of epochs", e),
            Length::Steps(s) => ("the number of steps", s),
        };
        if count == 0 {
            return Err(Error::setting(what, 0, "a run needs at least 1"));
        }
        self.optimizer.validate()?;
        if let Some(schedule) = &self.schedule {
            schedule.validate()?;
        }
        if let Some(max_norm) = self.clip {
            require_positive("the gradient norm limit", max_norm)?;
        }
        match (self.split, &self.validation) {
            (Some(_), Some(_)) => {
                return Err(Error::setting(
                    "the validation split",
                    "set with a validation set",
                    "choose one: `validation` or `validation_split`",
                ));
            }
            (Some(f), None) if !(f > 0.0 && f < 1.0) => {
                return Err(Error::setting(
                    "the validation split",
                    f,
                    "it must be above 0 and below 1",
                ));
            }
            _ => {}
        }
        if self.train_accuracy == Some(0) {
            return Err(Error::setting(
                "the samples for the training accuracy",
                0,
                "it needs at least 1",
            ));
        }
        match (self.checkpoint_every, &self.out) {
            (Some(0), _) => {
                return Err(Error::setting(
                    "the steps between checkpoints",
                    0,
                    "it must be at least 1",
                ));
            }
            (Some(k), None) => {
                return Err(Error::setting(
                    "the steps between checkpoints",
                    k,
                    "checkpoints need a folder to go to: set `out_dir`",
                ));
            }
            _ => {}
        }
        if let Some(watch) = &self.watch {
            watch.tracker.validate()?;
            let names = self.metric_names();
            if !names.contains(&watch.metric) {
                return Err(Error::setting(
                    "the watched metric",
                    &watch.metric,
                    format!("this run measures {}", names.join(", ")),
                ));
            }
        } else if self.restore_best {
            return Err(Error::setting(
                "restore_best",
                "set",
                "it needs `early_stopping` or `keep_best` to say which epoch is best",
            ));
        }
        Ok(())
    }

    /// The names of the metrics each epoch records, `loss` first.
    fn metric_names(&self) -> Vec<String> {
        let mut names = vec!["loss".to_string()];
        if self.train_accuracy.is_some() {
            names.push("train_accuracy".to_string());
        }
        if let Some(name) = self.validation_name() {
            names.push(format!("{name}_loss"));
            names.push(format!("{name}_accuracy"));
        }
        names.extend(self.metrics.iter().map(|(name, _)| name.clone()));
        names
    }

    /// What the validation metrics are called, if there are any.
    pub(super) fn validation_name(&self) -> Option<&str> {
        match (&self.validation, self.split) {
            (Some((name, _)), _) => Some(name),
            (None, Some(_)) => Some("val"),
            (None, None) => None,
        }
    }

    /// The state of a run that has not started.
    pub(super) fn fresh(&mut self, batches: &Batches) -> Snapshot<E> {
        Snapshot {
            step: 0,
            epoch: 0,
            in_epoch: 0,
            epoch_loss: 0.0,
            stopped: false,
            optimizer: self.optimizer.state(),
            rngs: self.net.rng_states(),
            batches: batches.state(),
            schedule: Vec::new(),
            watch: None,
            epochs: Vec::new(),
            steps: Vec::new(),
            best: None,
        }
    }

    /// The state of the run whose checkpoint is `path` (a file, or a folder
    /// holding one), put back into the optimiser, the schedule, the
    /// watched metric, `batches` and, last, the network.
    pub(super) fn continue_from(
        &mut self,
        path: &Path,
        identity: &Identity,
        batches: &mut Batches,
        total: usize,
    ) -> Result<Snapshot<E>> {
        let file = match path.is_dir() {
            true => path.join(CHECKPOINT),
            false => path.to_path_buf(),
        };
        let weights: u64 = (identity.network.iter())
            .map(|(_, dims)| dims.iter().product::<usize>() as u64)
            .sum();
        let limit = CHECKPOINT_SLACK
            + 8 * COPIES_PER_WEIGHT * weights
            + 8 * identity.samples as u64
            + BYTES_PER_STEP * total as u64;
        let (snap, values) = saved::load::<E>(&file, identity, limit)?;
        self.optimizer.load_state(&snap.optimizer)?;
        if let Some(schedule) = &mut self.schedule {
            schedule.load_state(&snap.schedule)?;
        }
        if let (Some(watch), Some((best, waited))) = (&mut self.watch, snap.watch) {
            watch.tracker = watch.tracker.clone().resumed(best, waited);
        }
        *batches = Batches::from_state(snap.batches.clone())?;
        self.net.restore_rngs(&snap.rngs)?;
        saved::set_weights(self.net, &values);
        Ok(snap)
    }

    /// Writes the training checkpoint: `snap` with the optimiser's, the
    /// generators', the batches' and the schedule's state as they are now.
    pub(super) fn save(
        &mut self,
        snap: &mut Snapshot<E>,
        batches: &Batches,
        identity: &Identity,
    ) -> Result<()> {
        let Some(dir) = &self.out else {
            return Ok(());
        };
        snap.optimizer = self.optimizer.state();
        snap.rngs = self.net.rng_states();
        snap.batches = batches.state();
        snap.schedule = self.schedule.as_ref().map_or(Vec::new(), |s| s.state());
        snap.watch = (self.watch.as_ref()).map(|w| (w.tracker.best(), w.tracker.waited()));
        saved::save(&dir.join(CHECKPOINT), &*self.net, snap, identity)
    }
}
