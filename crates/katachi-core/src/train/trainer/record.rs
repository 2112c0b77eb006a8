//! What a run records: a row per step, a row per epoch, and the report at
//! the end; and the CSV files they are written to.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::train::parallel::Traffic;

/// One optimiser step, as [`Trainer::on_step`](super::Trainer::on_step)
/// sees it and `steps.csv` records it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepRecord {
    /// Steps taken in the whole run, this one included (from 1).
    pub step: usize,
    /// The epoch it belongs to (from 1).
    pub epoch: usize,
    /// Its batch within the epoch (from 1).
    pub batch: usize,
    /// The loss on its batch, before the update.
    pub loss: f64,
    /// The learning rate of its update.
    pub lr: f64,
}

/// One epoch's numbers, as [`Trainer::on_epoch`](super::Trainer::on_epoch)
/// sees them and `epochs.csv` records them.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// The epoch (from 1).
    pub epoch: usize,
    /// Steps taken in the whole run at its end.
    pub step: usize,
    /// The mean training loss over its batches.
    pub loss: f64,
    /// The other metrics by name, in the order of the CSV's columns:
    /// `train_accuracy`, `{validation}_loss`, `{validation}_accuracy`, the
    /// user's metrics — those the run measures.
    pub metrics: Vec<(String, f64)>,
    /// The learning rate of its last step.
    pub lr: f64,
    /// Wall-clock seconds it took, evaluation included.
    pub seconds: f64,
}

impl EpochRecord {
    /// The metric `name` (`"loss"` too), if the run measures it.
    pub fn get(&self, name: &str) -> Option<f64> {
        if name == "loss" {
            return Some(self.loss);
        }
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }
}

/// What [`Trainer::fit`](super::Trainer::fit) returns: the whole run's
/// history (from its start, also when it was resumed) and how it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// One record per epoch (the last may be partial, under a step budget).
    pub epochs: Vec<EpochRecord>,
    /// One record per step.
    pub steps: Vec<StepRecord>,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// The best epoch and its value of the watched metric, if one is
    /// watched.
    pub best: Option<(usize, f64)>,
    /// The step a resumed run continued from (`None`: started afresh).
    pub resumed_from: Option<usize>,
    /// What the communication cost, for a data-parallel run
    /// ([`Trainer::data_parallel`](super::Trainer::data_parallel)).
    pub traffic: Option<Traffic>,
}

/// The CSV files of a run, in its output folder.
pub(super) struct Csv {
    steps: PathBuf,
    epochs: PathBuf,
    pending_steps: String,
}

impl Csv {
    /// Starts both files in `dir`, holding the rows of `steps` and `epochs`
    /// (the history so far, when a run is resumed: rows an interrupted run
    /// wrote after its checkpoint are dropped).
    pub(super) fn start(dir: &Path, steps: &[StepRecord], epochs: &[EpochRecord]) -> Result<Self> {
        let mut csv = Self {
            steps: dir.join("steps.csv"),
            epochs: dir.join("epochs.csv"),
            pending_steps: String::from("step,epoch,batch,loss,lr\n"),
        };
        for s in steps {
            csv.step(s);
        }
        write(&csv.steps, &std::mem::take(&mut csv.pending_steps), false)?;
        let mut text = String::new();
        for (i, e) in epochs.iter().enumerate() {
            epoch_row(&mut text, e, i == 0);
        }
        write(&csv.epochs, &text, false)?;
        Ok(csv)
    }

    /// Queues a step's row (written by [`Csv::flush`]).
    pub(super) fn step(&mut self, s: &StepRecord) {
        let _ = writeln!(
            self.pending_steps,
            "{},{},{},{},{}",
            s.step, s.epoch, s.batch, s.loss, s.lr
        );
    }

    /// Writes the queued step rows.
    pub(super) fn flush(&mut self) -> Result<()> {
        write(&self.steps, &std::mem::take(&mut self.pending_steps), true)
    }

    /// Writes an epoch's row (the header with the first).
    pub(super) fn epoch(&mut self, e: &EpochRecord, first: bool) -> Result<()> {
        let mut text = String::new();
        epoch_row(&mut text, e, first);
        write(&self.epochs, &text, true)
    }
}

fn epoch_row(text: &mut String, e: &EpochRecord, header: bool) {
    if header {
        text.push_str("epoch,step,loss");
        for (name, _) in &e.metrics {
            let _ = write!(text, ",{name}");
        }
        text.push_str(",lr,seconds\n");
    }
    let _ = write!(text, "{},{},{}", e.epoch, e.step, e.loss);
    for (_, value) in &e.metrics {
        let _ = write!(text, ",{value}");
    }
    let _ = writeln!(text, ",{},{:.3}", e.lr, e.seconds);
}

fn write(path: &Path, text: &str, append: bool) -> Result<()> {
    let mut file = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, e))
}
