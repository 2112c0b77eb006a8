//! [`DataParallel`]: one training step's gradient, computed by groups spread
//! over the ranks and summed exactly.

mod start;

use std::time::Instant;

use super::Collective;
use super::agree::{agree, outcome, settle, status};
use super::exact::{exponent, mean, mean_factor, quantize, scale};
use super::shard::{group_rng, group_rows, rank_groups};
use super::stash::Stash;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::layer::{Layer, Loss};
use crate::param::{ParamPath, Parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::train::step::forward_backward;
use katachi_par::Element;

/// The group count when none is set: every job of 1, 2, 3 or 6 ranks
/// reproduces the others.
const DEFAULT_GROUPS: usize = 6;

/// What the collectives of a data-parallel run cost, summed over its steps
/// (see [`DataParallel::traffic`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Traffic {
    /// Steps taken.
    pub steps: usize,
    /// Bytes each rank contributes to each step's collectives: the flat
    /// gradient buffer (8 bytes per learned parameter, plus the loss) and
    /// the header (status and one scale per tensor).
    pub bytes_per_step: usize,
    /// Seconds spent in the collectives, waiting for the slowest rank
    /// included.
    pub seconds: f64,
    /// Seconds of the whole steps (forward, backward, summing).
    pub step_seconds: f64,
}

impl Traffic {
    /// The share of the step spent communicating, from 0 to 1.
    pub fn share(&self) -> f64 {
        match self.step_seconds > 0.0 {
            true => self.seconds / self.step_seconds,
            false => 0.0,
        }
    }
}

/// The gradient of a global batch, computed data-parallel: the batch is cut
/// into groups, each rank of `comm` computes its groups' gradients, and the
/// exact sum of all of them becomes every parameter's gradient on every
/// rank, bit-identical for any number of ranks up to the group count (see
/// [the module](crate::train::parallel) for exactly what is guaranteed).
///
/// On [`Local`](super::Local) it is one process doing all the groups: the
/// reference a job of several ranks reproduces.
///
/// ```
/// use katachi::prelude::*;
/// use katachi::train::parallel::{DataParallel, Local};
///
/// let mut net = (Affine::<3, 4, f64>::zeros(), Relu::new(), Affine::<4, 2, f64>::zeros());
/// net.init(Init::He, 1);
/// let x = Tensor::<Batch<3>, f64>::from_fn((12, Const), |i| (i[0] * 3 + i[1]) as f64 / 36.0);
/// let t = Labels::<2>::new((0..12).map(|i| i % 2).collect())?;
///
/// let mut step = DataParallel::new(&Local).groups(3);
/// let mut loss = SoftmaxWithLoss::new();
/// let value = step.backprop(&mut net, &mut loss, &x, &t, 0)?;
///
/// // The same gradient as one pass over the batch, to within rounding.
/// let mut reference = net.clone();
/// let expected = backprop(&mut reference, &mut SoftmaxWithLoss::new(), x, &t)?;
/// assert!((value - expected).abs() < 1e-12);
/// let (a, b) = (&net.0.weight.grad, &reference.0.weight.grad);
/// assert!(a.as_slice().iter().zip(b.as_slice()).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), katachi::Error>(())
/// ```
pub struct DataParallel<'a> {
    comm: &'a dyn Collective,
    groups: usize,
    started: bool,
    /// This rank's groups' gradients, until they are summed.
    stash: Stash,
    /// The grid integers of this rank's groups, summed (exactly, in `f64`).
    sums: Vec<f64>,
    /// This rank's groups' losses × group size.
    losses: Vec<f64>,
    header: Vec<i64>,
    send: Vec<i64>,
    recv: Vec<i64>,
    traffic: Traffic,
}

impl<'a> DataParallel<'a> {
    /// A data-parallel step over the ranks of `comm`, with 6 groups.
    pub fn new(comm: &'a dyn Collective) -> Self {
        Self {
            comm,
            groups: DEFAULT_GROUPS,
            started: false,
            stash: Stash::default(),
            sums: Vec::new(),
            losses: Vec::new(),
            header: Vec::new(),
            send: Vec::new(),
            recv: Vec::new(),
            traffic: Traffic::default(),
        }
    }

    /// Cuts each global batch into `groups` groups (6 by default): runs on
    /// any number of ranks up to `groups` give the same bits. More groups
    /// allow more ranks; fewer make each rank's products larger.
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    /// The communicator.
    pub fn comm(&self) -> &'a dyn Collective {
        self.comm
    }

    /// What the collectives have cost so far.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Forward, loss and backward on the global batch `x` (every rank
    /// passes the same batch and takes its groups' samples), then every
    /// parameter's gradient is the batch's, summed exactly over the groups
    /// of every rank. Returns the batch's mean loss, the same on every
    /// rank. `step` (counted from 0 over the run) picks the dropout masks.
    ///
    /// # Errors
    /// What [`DataParallel::start`] returns on the first call; then, on
    /// every rank together, [`Error::Rank`] naming the rank whose part
    /// failed — a NaN or infinity in its samples, a diverged loss, a
    /// non-finite gradient — and why.
    pub fn backprop<S, const C: usize, E, N, L>(
        &mut self,
        net: &mut N,
        loss: &mut L,
        x: &Tensor<S, E>,
        t: &Labels<C>,
        step: usize,
    ) -> Result<f64>
    where
        S: Shape,
        E: Element,
        N: Layer<Tensor<S, E>> + Parameters<Elem = E>,
        L: Loss<N::Out, Labels<C>, Elem = E>,
    {
        if !self.started {
            self.start(net)?;
        }
        let n = x.dims().as_ref().first().copied().unwrap_or(1);
        if t.as_slice().len() != n {
            return Err(Error::BatchMismatch {
                what: "DataParallel::backprop",
                input: n,
                target: t.as_slice().len(),
            });
        }
        let rows: Vec<usize> = (0..n).collect();
        let place = Place {
            checked: false,
            epoch: 1,
            batch: step + 1,
            step,
        };
        self.step_rows(net, loss, x, t, &rows, place)
    }

    /// [`DataParallel::backprop`] on the samples `rows` of `images`.
    pub(crate) fn step_rows<S, const C: usize, E, N, L>(
        &mut self,
        net: &mut N,
        loss: &mut L,
        images: &Tensor<S, E>,
        labels: &Labels<C>,
        rows: &[usize],
        place: Place,
    ) -> Result<f64>
    where
        S: Shape,
        E: Element,
        N: Layer<Tensor<S, E>> + Parameters<Elem = E>,
        L: Loss<N::Out, Labels<C>, Elem = E>,
    {
        let started = Instant::now();
        let comm = self.comm;
        let local = self.compute(net, loss, images, labels, rows, place);
        // The header: every rank's status and each tensor's largest value.
        self.header.clear();
        self.header.push(status(comm, local.is_err()));
        let loss_largest = self.losses.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        self.header.push(exponent(loss_largest));
        let maxima = self.stash.maxima().iter();
        self.header.extend(maxima.map(|&m| exponent(m)));
        let talk = Instant::now();
        comm.all_reduce_max(&mut self.header);
        let mut seconds = talk.elapsed().as_secs_f64();
        outcome(comm, self.header[0], local.as_ref().err())?;

        // Every group on the shared grid, summed over this rank's groups.
        let scales: Vec<i32> = (self.header[1..].iter())
            .map(|&e| scale(e, self.groups))
            .collect();
        self.stash.sum_into(&mut self.sums, &scales[1..]);
        self.send.clear();
        self.send
            .push(self.losses.iter().map(|&v| quantize(v, scales[0])).sum());
        // Integers below 2⁵⁰: the conversion is exact.
        self.send.extend(self.sums.iter().map(|&v| v as i64));
        self.recv.clear();
        self.recv.resize(self.send.len(), 0);
        let talk = Instant::now();
        comm.all_reduce_sum(&self.send, &mut self.recv);
        seconds += talk.elapsed().as_secs_f64();

        let n = rows.len();
        let mut sums = self.recv[1..].iter();
        let mut tensor = 0;
        net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
            if p.role.is_learned() {
                let factor = mean_factor(scales[1 + tensor], n);
                for (g, &sum) in p.grad.iter_mut().zip(&mut sums) {
                    *g = E::from_f64(sum as f64 * factor);
                }
                tensor += 1;
            }
        });
        self.traffic.steps += 1;
        self.traffic.bytes_per_step = 8 * (self.header.len() + self.send.len());
        self.traffic.seconds += seconds;
        self.traffic.step_seconds += started.elapsed().as_secs_f64();
        Ok(mean(self.recv[0], scales[0], n))
    }

    /// This rank's groups: forward and backward on each, its gradient and
    /// loss (times its size) kept; the dropout generators drawn per group
    /// and put back as they stood.
    fn compute<S, const C: usize, E, N, L>(
        &mut self,
        net: &mut N,
        loss: &mut L,
        images: &Tensor<S, E>,
        labels: &Labels<C>,
        rows: &[usize],
        place: Place,
    ) -> Result<()>
    where
        S: Shape,
        E: Element,
        N: Layer<Tensor<S, E>> + Parameters<Elem = E>,
        L: Loss<N::Out, Labels<C>, Elem = E>,
    {
        self.losses.clear();
        self.stash.clear();
        let bases = net.rng_states();
        let (comm, groups) = (self.comm, self.groups);
        let mut result = Ok(());
        for k in rank_groups(groups, comm.size(), comm.rank()) {
            let part = &rows[group_rows(rows.len(), groups, k)];
            if part.is_empty() {
                continue;
            }
            let mut next = bases.iter();
            net.visit_rngs(&ParamPath::ROOT, &mut |_, rng| {
                if let Some((_, base)) = next.next() {
                    *rng = group_rng(base, place.step, k);
                }
            });
            let value = forward_backward(
                net,
                loss,
                images,
                labels,
                part,
                place.checked,
                place.epoch,
                place.batch,
            );
            let value = match value {
                Ok(value) => value,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            self.losses.push(value * part.len() as f64);
            let bad = self.stash.keep(net, part.len());
            if let Some((name, i, v)) = bad {
                result = Err(Error::NonFinite {
                    what: format!("the gradient of `{name}`"),
                    at: format!(
                        "element {i}, group {k} of epoch {}, step {}: try a smaller learning rate",
                        place.epoch, place.batch
                    ),
                    value: format!("{v}"),
                });
                break;
            }
        }
        // The generators only ever advance by the step number.
        let restored = net.restore_rngs(&bases);
        result.and(restored)
    }

    /// [`settle`] over this step's ranks.
    pub(crate) fn settle<T>(&self, local: Result<T>) -> Result<T> {
        settle(self.comm, local)
    }

    /// [`agree`] over this step's ranks.
    pub(crate) fn agree(&self, what: &str, value: i64) -> Result<()> {
        agree(self.comm, what, value)
    }
}

/// Where a step is, for its errors and its dropout masks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    /// Whether the whole data set was checked for NaN already.
    pub checked: bool,
    /// The epoch, from 1.
    pub epoch: usize,
    /// The batch within the epoch, from 1.
    pub batch: usize,
    /// The step over the run, from 0.
    pub step: usize,
}
