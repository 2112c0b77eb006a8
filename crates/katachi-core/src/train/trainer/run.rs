//! The run itself: settings checked up front, the steps, each epoch's end,
//! the checkpoints, and resuming from one.

use std::time::Instant;

use super::fingerprint;
use super::progress::Shown;
use super::record::{Csv, EpochRecord, Report, StepRecord};
use super::saved::{self, Identity, Snapshot};
use super::{Length, Trainer};
use crate::checkpoint;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::layer::{Layer, Loss};
use crate::optim::clip_grad_norm;
use crate::param::{Mode, Parameters};
use crate::shape::{Batch, Shape};
use crate::tensor::Tensor;
use crate::train::early_stop::Verdict;
use crate::train::eval::{Images, all_finite, evaluate, measure, samples};
use crate::train::parallel::Place;
use crate::train::step::{check_parameters, forward_backward};
use crate::train::{Batches, gather_rows};
use katachi_par::Element;

impl<N, L, S, const C: usize, E> Trainer<'_, N, L, S, C, E>
where
    S: Shape,
    E: Element,
    N: Layer<Tensor<S, E>, Out = Tensor<Batch<C>, E>> + Parameters<Elem = E>,
    L: Loss<Tensor<Batch<C>, E>, Labels<C>, Elem = E>,
{
    /// Trains the network on `train` and returns the run's history.
    ///
    /// # Errors
    /// - [`Error::Setting`] before any step, for a setting that means
    ///   nothing (no epochs, a batch of 0, a learning rate or clipping
    ///   limit that is not a positive number, `checkpoint_every` without an
    ///   `out_dir`, a watched metric the run does not measure);
    /// - [`Error::Resume`] for a checkpoint written by another run, and
    ///   [`Error::Io`] / [`Error::Format`] for one that cannot be read;
    /// - [`Error::NonFinite`] and [`Error::Diverged`] as in
    ///   [`train_epoch`](crate::train::train_epoch): a NaN never trains
    ///   silently, and never replaces a good checkpoint;
    /// - [`Error::Io`] if the output folder cannot be written.
    pub fn fit<D: Images<S, C, E> + ?Sized>(mut self, train: &D) -> Result<Report> {
        self.settled(self.check_settings())?;
        if let Some(parallel) = &mut self.parallel {
            parallel.start(self.net)?;
            if parallel.comm().rank() != 0 {
                // One rank speaks and writes for all of them.
                (self.out, self.progress) = (None, super::Progress::Off);
            }
        }
        let Some(fraction) = self.split else {
            return self.fit_on(train, None);
        };
        let (images, labels) = train.parts();
        let n = samples(images, labels, "the training data")?;
        let held = (n as f64 * fraction).round() as usize;
        if held == 0 || held == n {
            return self.settled(Err(Error::setting(
                "the validation split",
                fraction,
                format!("it leaves {} of {n} samples for training", n - held),
            )));
        }
        let part = |rows: std::ops::Range<usize>| -> Result<(Tensor<S, E>, Labels<C>)> {
            let t = Labels::new(labels.as_slice()[rows.clone()].to_vec())?;
            Ok((gather_rows(images, &rows.collect::<Vec<_>>()), t))
        };
        let (kept, validation) = (part(0..n - held)?, part(n - held..n)?);
        self.fit_on(&kept, Some(&validation))
    }

    /// [`Trainer::fit`] on `train`, measured on `held_out` if the run has a
    /// validation split.
    fn fit_on<D: Images<S, C, E> + ?Sized>(
        mut self,
        train: &D,
        held_out: Option<&(Tensor<S, E>, Labels<C>)>,
    ) -> Result<Report> {
        let prepared = self.prepare(train);
        let Prepared {
            mut batches,
            total,
            identity,
            mut snap,
            mut csv,
            head,
        } = self.settled(prepared)?;
        if let Some(parallel) = &self.parallel {
            parallel.agree("the training data's fingerprint", identity.data as i64)?;
            parallel.agree("the number of training samples", identity.samples as i64)?;
            parallel.agree("the batch size", self.batch as i64)?;
            parallel.agree("the seed", self.seed as i64)?;
        }
        let (images, labels) = train.parts();
        let per_epoch = batches.per_epoch();
        let resumed_from = self.resume.is_some().then_some(snap.step);
        let epochs = total.div_ceil(per_epoch);
        let shown = Shown::new(self.progress, total, snap.step);
        if let Some(path) = &self.resume {
            let place = match snap.in_epoch == per_epoch {
                true => format!("the end of epoch {}", snap.epoch),
                false => format!("epoch {}, batch {}/{per_epoch}", snap.epoch, snap.in_epoch),
            };
            let (path, step) = (path.display(), snap.step);
            shown.line(&format!("resuming {path} at step {step}/{total} ({place})"));
        }
        // Batch statistics and dropout masks, whatever mode the network was
        // left in (evaluation predicts, and so never needs the other).
        self.net.set_mode(Mode::Train);
        let mut started = Instant::now();
        while snap.step < total && !snap.stopped {
            if snap.epoch == 0 || snap.in_epoch == per_epoch {
                batches.shuffle();
                (snap.epoch, snap.in_epoch, snap.epoch_loss) = (snap.epoch + 1, 0, 0.0);
                started = Instant::now();
            }
            for rows in batches.current_epoch(snap.in_epoch) {
                if snap.step == total {
                    break;
                }
                let lr = match &self.schedule {
                    Some(schedule) => {
                        let lr = schedule.rate(snap.step);
                        self.optimizer.set_learning_rate(lr);
                        lr
                    }
                    None => self.optimizer.learning_rate(),
                };
                let batch = snap.in_epoch + 1;
                let value = match &mut self.parallel {
                    Some(parallel) => {
                        let (epoch, step) = (snap.epoch, snap.step);
                        let place = Place {
                            checked: true,
                            epoch,
                            batch,
                            step,
                        };
                        parallel.step_rows(self.net, &mut self.loss, images, labels, rows, place)
                    }
                    None => forward_backward(
                        self.net,
                        &mut self.loss,
                        images,
                        labels,
                        rows,
                        true, // checked above, all at once
                        snap.epoch,
                        batch,
                    ),
                }?;
                if let Some(max_norm) = self.clip {
                    clip_grad_norm(self.net, max_norm)?;
                }
                self.optimizer.step(self.net);
                (snap.step, snap.in_epoch, snap.epoch_loss) =
                    (snap.step + 1, batch, snap.epoch_loss + value);
                let record = StepRecord {
                    step: snap.step,
                    epoch: snap.epoch,
                    batch,
                    loss: value,
                    lr,
                };
                snap.steps.push(record);
                if let Some(csv) = &mut csv {
                    csv.step(&record);
                }
                if let Some(on_step) = &mut self.on_step {
                    on_step(&record);
                }
                shown.step(
                    snap.step,
                    snap.epoch,
                    epochs,
                    snap.epoch_loss / batch as f64,
                    batch,
                );
                let mid_epoch = batch < per_epoch && snap.step < total;
                if mid_epoch && self.checkpoint_every.is_some_and(|k| snap.step % k == 0) {
                    let saved = check_parameters(&*self.net, snap.epoch, snap.step)
                        .and_then(|()| self.save(&mut snap, &batches, &identity))
                        .and_then(|()| csv.as_mut().map_or(Ok(()), Csv::flush));
                    self.settled(saved)?;
                }
            }
            let ended = self.end_epoch(&mut snap, train, &head, held_out, started);
            let ended = ended.and_then(|record| {
                if let (Some(dir), Some(csv)) = (self.out.clone(), &mut csv) {
                    checkpoint::save(&*self.net, &dir.join("weights.safetensors"))?;
                    csv.flush()?;
                    csv.epoch(&record, snap.epochs.len() == 1)?;
                    self.save(&mut snap, &batches, &identity)?;
                }
                Ok(record)
            });
            let record = self.settled(ended)?;
            shown.line(&epoch_line(&record, epochs));
            if let Some(on_epoch) = &mut self.on_epoch {
                on_epoch(&record, self.net);
            }
        }
        shown.finish();
        if let (true, Some(best)) = (self.restore_best, &snap.best) {
            saved::set_weights(self.net, best);
            // The weights file is the network as the run leaves it (the
            // training checkpoint keeps the last epoch's, to continue from).
            if let Some(dir) = &self.out {
                checkpoint::save(&*self.net, &dir.join("weights.safetensors"))?;
            }
        }
        Ok(Report {
            epochs: snap.epochs,
            steps: snap.steps,
            stopped_early: snap.stopped,
            best: self.watch.as_ref().and_then(|w| w.tracker.best()),
            resumed_from,
            traffic: self.parallel.as_ref().map(|p| p.traffic()),
        })
    }

    /// The parameters checked, the training accuracy measured, and
    /// [`Trainer::epoch_end`].
    fn end_epoch<D: Images<S, C, E> + ?Sized>(
        &mut self,
        snap: &mut Snapshot<E>,
        train: &D,
        head: &Option<(Tensor<S, E>, Labels<C>)>,
        held_out: Option<&(Tensor<S, E>, Labels<C>)>,
        started: Instant,
    ) -> Result<EpochRecord> {
        check_parameters(&*self.net, snap.epoch, snap.step)?;
        let train_accuracy = match (self.train_accuracy, head) {
            (None, _) => None,
            (Some(_), Some(head)) => Some(evaluate(&*self.net, head)?),
            (Some(_), None) => Some(evaluate(&*self.net, train)?),
        };
        self.epoch_end(snap, train_accuracy, held_out, started)
    }

    /// Everything before the first step: the data checked, the batches, a
    /// fresh or resumed snapshot, the CSV files started.
    fn prepare<D: Images<S, C, E> + ?Sized>(&mut self, train: &D) -> Result<Prepared<S, C, E>> {
        let (images, labels) = train.parts();
        let n = samples(images, labels, "the training data")?;
        // One pass before the first step, rather than one per batch: a bad
        // sample is refused before anything trains, and the steps skip it.
        all_finite(images, "the training data")?;
        let mut batches = Batches::try_new(n, self.batch, self.seed)?;
        let per_epoch = batches.per_epoch();
        let total = match self.length {
            Length::Epochs(epochs) => epochs * per_epoch,
            Length::Steps(steps) => steps,
        };
        let identity = Identity {
            network: fingerprint::network(&*self.net),
            optimizer: self.optimizer.state().kind,
            samples: n,
            // Hashing every sample costs a pass over the data: only for
            // runs that write or read a checkpoint, or check that every
            // rank has the same data.
            data: match self.out.is_some() || self.resume.is_some() || self.parallel.is_some() {
                true => fingerprint::data(images, labels),
                false => 0,
            },
            batch: self.batch,
            seed: self.seed,
        };
        let snap = match self.resume.clone() {
            Some(path) => self.continue_from(&path, &identity, &mut batches, total)?,
            None => self.fresh(&batches),
        };
        let csv = match &self.out {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                Some(Csv::start(dir, &snap.steps, &snap.epochs)?)
            }
            None => None,
        };
        let head = match self.train_accuracy {
            Some(k) if k < n => Some((gather_rows(images, &(0..k).collect::<Vec<_>>()), {
                Labels::<C>::new(labels.as_slice()[..k].to_vec())?
            })),
            _ => None,
        };
        Ok(Prepared {
            batches,
            total,
            identity,
            snap,
            csv,
            head,
        })
    }

    /// `local` as every rank of a data-parallel run reached it (the first
    /// failing rank's error on all of them), or as it is.
    fn settled<T>(&self, local: Result<T>) -> Result<T> {
        match &self.parallel {
            Some(parallel) => parallel.settle(local),
            None => local,
        }
    }

    /// The epoch's metrics, recorded; the schedule and the watched metric
    /// told; the best weights kept if they are.
    fn epoch_end(
        &mut self,
        snap: &mut Snapshot<E>,
        train_accuracy: Option<f64>,
        held_out: Option<&(Tensor<S, E>, Labels<C>)>,
        started: Instant,
    ) -> Result<EpochRecord> {
        let net = &*self.net;
        let mut metrics = Vec::new();
        if let Some(accuracy) = train_accuracy {
            metrics.push(("train_accuracy".to_string(), accuracy));
        }
        let mut monitored = snap.epoch_loss / snap.in_epoch as f64;
        let validation = match (&self.validation, held_out) {
            (Some((_, data)), _) => Some(measure(net, &self.loss, *data)?),
            (None, Some(data)) => Some(measure(net, &self.loss, data)?),
            (None, None) => None,
        };
        if let (Some(m), Some(name)) = (validation, self.validation_name()) {
            metrics.push((format!("{name}_loss"), m.loss));
            metrics.push((format!("{name}_accuracy"), m.accuracy));
            monitored = m.loss;
        }
        for (name, metric) in &mut self.metrics {
            metrics.push((name.clone(), metric(net)?));
        }
        let record = EpochRecord {
            epoch: snap.epoch,
            step: snap.step,
            loss: snap.epoch_loss / snap.in_epoch as f64,
            metrics,
            lr: snap.steps.last().map_or(0.0, |s| s.lr),
            seconds: started.elapsed().as_secs_f64(),
        };
        if let Some(schedule) = &mut self.schedule {
            schedule.observe(monitored);
        }
        if let Some(watch) = &mut self.watch {
            let value = record.get(&watch.metric).expect("checked before the run");
            match watch.tracker.observe(snap.epoch, value)? {
                Verdict::Improved => {
                    snap.best = Some(saved::weights(net));
                    if let Some(dir) = &self.out {
                        checkpoint::save(net, &dir.join("best.safetensors"))?;
                    }
                }
                Verdict::Stop if watch.stops => snap.stopped = true,
                _ => {}
            }
        }
        snap.epochs.push(record.clone());
        Ok(record)
    }
}

/// `epoch  3/17: loss 0.1234, train accuracy 0.9804, test loss …  (1.2 s)`.
fn epoch_line(record: &EpochRecord, epochs: usize) -> String {
    let width = epochs.to_string().len();
    let mut line = format!(
        "epoch {:>width$}/{epochs}: loss {:.4}",
        record.epoch, record.loss
    );
    for (name, value) in &record.metrics {
        line.push_str(&format!(", {} {value:.4}", name.replace('_', " ")));
    }
    line.push_str(&format!(" ({:.1} s)", record.seconds));
    line
}

/// What [`Trainer::prepare`] sets up for the steps.
struct Prepared<S: Shape, const C: usize, E: Element> {
    batches: Batches,
    total: usize,
    identity: Identity,
    snap: Snapshot<E>,
    csv: Option<Csv>,
    head: Option<(Tensor<S, E>, Labels<C>)>,
}
