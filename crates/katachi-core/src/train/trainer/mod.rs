//! [`Trainer`]: a whole training run configured in a few lines.

mod fingerprint;
mod progress;
mod record;
mod run;
mod saved;
mod setup;

use std::path::PathBuf;

pub use progress::Progress;
pub use record::{EpochRecord, Report, StepRecord};

use super::early_stop::{EarlyStopping, Goal};
use super::eval::Images;
use super::parallel::DataParallel;
use crate::optim::{Optimizer, Schedule};
use katachi_par::Element;

/// How long a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Length {
    Epochs(usize),
    Steps(usize),
}

/// The metric that picks the best epoch and, when it stops improving, may
/// end the run.
struct Watch {
    metric: String,
    tracker: EarlyStopping,
    stops: bool,
}

/// A metric a user computes after each epoch, by name.
type UserMetric<'a, N> = (String, Box<dyn FnMut(&N) -> crate::Result<f64> + 'a>);

/// What [`Trainer::on_step`] is given.
type StepCallback<'a> = Box<dyn FnMut(&StepRecord) + 'a>;

/// What [`Trainer::on_epoch`] is given.
type EpochCallback<'a, N> = Box<dyn FnMut(&EpochRecord, &N) + 'a>;

/// A training run: a network, its loss and optimiser, and everything around
/// the loop — epochs or a step budget, the batch size and shuffle seed, a
/// learning-rate schedule, gradient clipping, a validation set, metrics,
/// early stopping, the best weights, checkpoints and exact resume, a
/// progress bar, and callbacks per step and per epoch.
///
/// [`Trainer::fit`] runs it on a training set and returns a [`Report`]; the
/// network is trained in place.
///
/// ```
/// use katachi::prelude::*;
/// use katachi::train::{EarlyStopping, Goal, Progress, Trainer};
///
/// #[derive(Network, Default)]
/// struct Net {
///     affine1: Affine<4, 8>,
///     relu: Relu,
///     affine2: Affine<8, 2>,
/// }
///
/// // Label 1 when the first pixel is lit.
/// let x = Tensor::<Batch<4>>::from_fn((64, Const), |i| ((i[0] >> i[1]) & 1) as f32);
/// let labels = Labels::<2>::new((0..64).map(|i| i & 1).collect())?;
/// let data = (x, labels);
///
/// let mut net = Net::seeded(1);
/// let report = Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.5))
///     .epochs(30)
///     .batch(16)
///     .validation("test", &data)
///     .early_stopping("test_loss", EarlyStopping::new(Goal::Minimize, 3))
///     .progress(Progress::Off)
///     .fit(&data)?;
/// let last = report.epochs.last().unwrap();
/// assert_eq!(last.get("test_accuracy"), Some(1.0));
/// assert!(last.loss < report.epochs[0].loss);
/// # Ok::<(), katachi::Error>(())
/// ```
///
/// # Resuming a run
///
/// With [`Trainer::out_dir`] set, the trainer writes there the weights
/// (`weights.safetensors`, the network as the run leaves it, rewritten at
/// each epoch's end; and `best.safetensors` when a metric is watched), the
/// metrics as CSV (`steps.csv`, one row per step;
/// `epochs.csv`, one per epoch), and `training.safetensors`: everything the
/// run needs to continue — weights, optimiser state, schedule state, step,
/// epoch and position in the epoch, every generator (shuffle, dropout), the
/// history and the early-stopping state. It is written atomically at each
/// epoch's end and every [`Trainer::checkpoint_every`] steps.
///
/// A run built the same way with [`Trainer::resume`] pointing at that folder
/// continues where the checkpoint stood, and ends with weights
/// **bit-identical** to a run that was never stopped, on any number of
/// threads. A checkpoint written for another network, optimiser, batch
/// size, seed or data set is refused, with a message saying which.
pub struct Trainer<'a, N, L, S, const C: usize, E: Element> {
    net: &'a mut N,
    loss: L,
    optimizer: Box<dyn Optimizer<E> + 'a>,
    schedule: Option<Box<dyn Schedule + 'a>>,
    length: Length,
    batch: usize,
    seed: u64,
    clip: Option<f64>,
    validation: Option<(String, &'a dyn Images<S, C, E>)>,
    split: Option<f64>,
    train_accuracy: Option<usize>,
    metrics: Vec<UserMetric<'a, N>>,
    watch: Option<Watch>,
    restore_best: bool,
    out: Option<PathBuf>,
    checkpoint_every: Option<usize>,
    resume: Option<PathBuf>,
    progress: Progress,
    on_step: Option<StepCallback<'a>>,
    on_epoch: Option<EpochCallback<'a, N>>,
    parallel: Option<DataParallel<'a>>,
}

impl<'a, N, L, S, const C: usize, E: Element> Trainer<'a, N, L, S, C, E> {
    /// A run that trains `net` on `loss` with `optimizer` (any optimiser, or
    /// a `Box<dyn Optimizer<E>>` chosen at run time). By default: 1 epoch,
    /// batches of 100, seed 0, the optimiser's rate throughout, no
    /// clipping, no validation, nothing written, [`Progress::Auto`].
    pub fn new(net: &'a mut N, loss: L, optimizer: impl Optimizer<E> + 'a) -> Self {
        Self {
            net,
            loss,
            optimizer: Box::new(optimizer),
            schedule: None,
            length: Length::Epochs(1),
            batch: 100,
            seed: 0,
            clip: None,
            validation: None,
            split: None,
            train_accuracy: None,
            metrics: Vec::new(),
            watch: None,
            restore_best: false,
            out: None,
            checkpoint_every: None,
            resume: None,
            progress: Progress::Auto,
            on_step: None,
            on_epoch: None,
            parallel: None,
        }
    }

    /// Train for `epochs` passes over the training set.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.length = Length::Epochs(epochs);
        self
    }

    /// Train for `steps` optimiser steps (the last epoch may end early),
    /// instead of a number of epochs.
    pub fn steps(mut self, steps: usize) -> Self {
        self.length = Length::Steps(steps);
        self
    }

    /// Samples per mini-batch (the last of an epoch may be smaller).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// The seed of the shuffle: the same seed gives the same batches. (The
    /// network's own generators, for initialisation and dropout, are seeded
    /// by `init` or `seeded`.)
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the learning rate before each step from `schedule` (steps
    /// counted from 0 over the whole run). [`Schedule::observe`] is told,
    /// after each epoch, the validation loss if there is a validation set,
    /// else the mean training loss.
    pub fn schedule(mut self, schedule: impl Schedule + 'a) -> Self {
        self.schedule = Some(Box::new(schedule));
        self
    }

    /// Scales the gradients before each step so that their global norm is at
    /// most `max_norm` ([`clip_grad_norm`](crate::optim::clip_grad_norm)).
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip = Some(max_norm);
        self
    }

    /// Measures the loss and accuracy on `data` after each epoch, as the
    /// metrics `{name}_loss` and `{name}_accuracy` (`"val"` gives
    /// `val_loss`; the examples call their test set `"test"`).
    pub fn validation(mut self, name: &str, data: &'a dyn Images<S, C, E>) -> Self {
        self.validation = Some((name.to_string(), data));
        self
    }

    /// Holds out the last `fraction` of the training set (in its order, not
    /// shuffled) and measures on it after each epoch, as `val_loss` and
    /// `val_accuracy`; the steps use the rest. Instead of
    /// [`Trainer::validation`].
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.split = Some(fraction);
        self
    }

    /// Measures the accuracy on the first `samples` training samples after
    /// each epoch, as the metric `train_accuracy` (`usize::MAX`: all).
    pub fn train_accuracy(mut self, samples: usize) -> Self {
        self.train_accuracy = Some(samples);
        self
    }

    /// Computes a metric of the user's after each epoch, from the network
    /// (capture the data it needs), recorded under `name`.
    pub fn metric(mut self, name: &str, metric: impl FnMut(&N) -> crate::Result<f64> + 'a) -> Self {
        self.metrics.push((name.to_string(), Box::new(metric)));
        self
    }

    /// Ends the run when `metric` (`"loss"`, `"train_accuracy"`,
    /// `"{validation}_loss"`, `"{validation}_accuracy"` or a user metric's
    /// name) has not improved for `rule.patience` epochs; the best epoch's
    /// weights are kept (see [`Trainer::keep_best`]).
    pub fn early_stopping(mut self, metric: &str, rule: EarlyStopping) -> Self {
        self.watch = Some(Watch {
            metric: metric.to_string(),
            tracker: rule,
            stops: true,
        });
        self
    }

    /// Keeps the weights of the epoch at which `metric` was best, without
    /// stopping early: in memory, in `best.safetensors` when there is an
    /// [`out_dir`](Trainer::out_dir), and in the network at the end if
    /// [`Trainer::restore_best`] is set.
    pub fn keep_best(mut self, metric: &str, goal: Goal) -> Self {
        self.watch = Some(Watch {
            metric: metric.to_string(),
            tracker: EarlyStopping::new(goal, usize::MAX),
            stops: false,
        });
        self
    }

    /// Leaves the best epoch's weights in the network at the end, instead
    /// of the last epoch's (with [`Trainer::early_stopping`] or
    /// [`Trainer::keep_best`]).
    pub fn restore_best(mut self) -> Self {
        self.restore_best = true;
        self
    }

    /// Writes the weights, the metrics as CSV and the training checkpoint
    /// into `dir` (created if missing).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out = Some(dir.into());
        self
    }

    /// Also writes the training checkpoint every `steps` steps (it is
    /// always written at each epoch's end). Needs an
    /// [`out_dir`](Trainer::out_dir).
    pub fn checkpoint_every(mut self, steps: usize) -> Self {
        self.checkpoint_every = Some(steps);
        self
    }

    /// Continues the run whose checkpoint is `path`: a folder an earlier run
    /// wrote to, or its `training.safetensors`.
    pub fn resume(mut self, path: impl Into<PathBuf>) -> Self {
        self.resume = Some(path.into());
        self
    }

    /// What the run shows as it goes: a bar and a line per epoch, lines
    /// only, or nothing.
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Called after every step, with its number, loss and learning rate.
    pub fn on_step(mut self, callback: impl FnMut(&StepRecord) + 'a) -> Self {
        self.on_step = Some(Box::new(callback));
        self
    }

    /// Called after every epoch (after its checkpoint), with its metrics
    /// and the network.
    pub fn on_epoch(mut self, callback: impl FnMut(&EpochRecord, &N) + 'a) -> Self {
        self.on_epoch = Some(Box::new(callback));
        self
    }

    /// Trains data-parallel: every rank of the job runs the same program
    /// with the same data and settings; each global batch (`batch`) is cut
    /// into groups, each rank computes its groups' gradients, and all ranks
    /// apply the same exactly summed update, so every rank's network stays
    /// bit-identical — and identical to the same run on one process (see
    /// [`parallel`](crate::train::parallel) for the guarantee).
    ///
    /// Before the first step every rank is given rank 0's parameters, and
    /// the ranks check that they have the same network, settings and
    /// training data. Only rank 0 shows progress and writes to
    /// [`Trainer::out_dir`]; [`Trainer::resume`] reads the folder on every
    /// rank (a shared file system, or a copy on each machine). The
    /// [`Report`] has what the communication cost.
    ///
    /// A failure on any rank — an error, bad data, a diverged loss — ends
    /// the run on every rank with [`Error::Rank`](crate::Error::Rank),
    /// naming it.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// use katachi::train::parallel::{DataParallel, Local};
    /// use katachi::train::{Progress, Trainer};
    ///
    /// let x = Tensor::<Batch<4>>::from_fn((64, Const), |i| ((i[0] >> i[1]) & 1) as f32);
    /// let labels = Labels::<2>::new((0..64).map(|i| i & 1).collect())?;
    /// let data = (x, labels);
    /// let mut net = (Affine::<4, 8>::zeros(), Relu::new(), Affine::<8, 2>::zeros());
    /// net.init(Init::He, 1);
    /// let report = Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.5))
    ///     .epochs(20)
    ///     .batch(16)
    ///     .data_parallel(DataParallel::new(&Local).groups(4))
    ///     .progress(Progress::Off)
    ///     .fit(&data)?;
    /// assert!(report.epochs.last().unwrap().loss < 0.1);
    /// let traffic = report.traffic.unwrap();
    /// assert_eq!(traffic.steps, 80);
    /// // 4·8 + 8 + 8·2 + 2 = 58 parameters and the loss, in 64-bit words,
    /// // and a header: a status, and a scale for the loss and each tensor.
    /// assert_eq!(traffic.bytes_per_step, 8 * (59 + 6));
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn data_parallel(mut self, step: DataParallel<'a>) -> Self {
        self.parallel = Some(step);
        self
    }
}

/// The name of the training checkpoint in an output folder.
pub(crate) const CHECKPOINT: &str = "training.safetensors";
