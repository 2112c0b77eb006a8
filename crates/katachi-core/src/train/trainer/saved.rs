//! The training checkpoint: one safetensors file holding the weights, the
//! best weights, the optimiser's buffers, the batch order and the history
//! as tensors, and everything else (positions, generators, what the run was
//! written for) as JSON in its metadata. One file, replaced atomically, so
//! that what it holds is always one moment of one run.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::record::{EpochRecord, StepRecord};
use crate::checkpoint::{Stored, dtype, from_bytes, read, to_bytes, write};
use crate::init::RngState;
use crate::optim::OptimizerState;
use crate::param::{ParamPath, Parameters};
use crate::train::BatchesState;
use katachi_par::Element;

use crate::error::{Error, Result};

/// The layout this code writes and reads.
const VERSION: u32 = 1;

/// Everything a run needs to continue besides the weights.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Snapshot<E> {
    /// Steps taken in the whole run.
    pub step: usize,
    /// The epoch in progress or last finished, from 1 (0: none yet).
    pub epoch: usize,
    /// Batches of that epoch done.
    pub in_epoch: usize,
    /// The sum of that epoch's losses so far.
    pub epoch_loss: f64,
    /// Whether early stopping ended the run.
    pub stopped: bool,
    pub optimizer: OptimizerState,
    pub rngs: Vec<(String, RngState)>,
    pub batches: BatchesState,
    pub schedule: Vec<f64>,
    /// The watched metric's best epoch and value, and epochs waited since.
    pub watch: Option<(Option<(usize, f64)>, usize)>,
    pub epochs: Vec<EpochRecord>,
    pub steps: Vec<StepRecord>,
    /// The best epoch's weights, one vector per parameter.
    pub best: Option<Vec<Vec<E>>>,
}

/// What a checkpoint was written for: a run continues only from its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct Identity {
    pub network: Vec<(String, Vec<usize>)>,
    pub optimizer: String,
    pub samples: usize,
    pub data: u64,
    pub batch: usize,
    pub seed: u64,
}

#[derive(Serialize, Deserialize)]
struct Rng {
    seed: [u8; 32],
    stream: u64,
    word_pos: String,
}

impl Rng {
    fn of(s: &RngState) -> Self {
        Self {
            seed: s.seed,
            stream: s.stream,
            word_pos: s.word_pos.to_string(),
        }
    }

    fn state(&self) -> Option<RngState> {
        Some(RngState {
            seed: self.seed,
            stream: self.stream,
            word_pos: self.word_pos.parse().ok()?,
        })
    }
}

/// An epoch record with every number as its bits (JSON has no NaN, and
/// the bits are exact).
#[derive(Serialize, Deserialize)]
struct Epoch {
    epoch: usize,
    step: usize,
    loss: u64,
    metrics: Vec<(String, u64)>,
    lr: u64,
    seconds: u64,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    version: u32,
    identity: Identity,
    step: usize,
    epoch: usize,
    in_epoch: usize,
    epoch_loss: u64,
    stopped: bool,
    optimizer_steps: u64,
    optimizer_buffers: Vec<(String, usize)>,
    rngs: Vec<(String, Rng)>,
    shuffle: Rng,
    schedule: Vec<u64>,
    watch: Option<(Option<(usize, u64)>, usize)>,
    epochs: Vec<Epoch>,
}

/// Writes `net`'s weights and `snap` to `path`, atomically.
pub(super) fn save<P: Parameters + ?Sized>(
    path: &Path,
    net: &P,
    snap: &Snapshot<P::Elem>,
    identity: &Identity,
) -> Result<()> {
    let mut tensors = Vec::new();
    let mut names = Vec::new();
    net.visit(&ParamPath::ROOT, &mut |name, p| {
        let stored = Stored {
            dtype: dtype::<P::Elem>(),
            dims: p.dims.to_vec(),
            bytes: to_bytes(p.value),
        };
        tensors.push((format!("model.{name}"), stored));
        names.push((name.to_string(), p.dims.to_vec()));
    });
    for (values, (name, dims)) in snap.best.iter().flatten().zip(&names) {
        let stored = Stored {
            dtype: dtype::<P::Elem>(),
            dims: dims.clone(),
            bytes: to_bytes(values),
        };
        tensors.push((format!("best.{name}"), stored));
    }
    for (buffer, vectors) in &snap.optimizer.buffers {
        for (i, v) in vectors.iter().enumerate() {
            tensors.push((format!("optimizer.{buffer}.{i}"), Stored::f64s(v)));
        }
    }
    tensors.push(("batches.order".into(), Stored::indices(&snap.batches.order)));
    let losses: Vec<f64> = snap.steps.iter().map(|s| s.loss).collect();
    let rates: Vec<f64> = snap.steps.iter().map(|s| s.lr).collect();
    tensors.push(("steps.loss".into(), Stored::f64s(&losses)));
    tensors.push(("steps.lr".into(), Stored::f64s(&rates)));

    let meta = Meta {
        version: VERSION,
        identity: identity.clone(),
        step: snap.step,
        epoch: snap.epoch,
        in_epoch: snap.in_epoch,
        epoch_loss: snap.epoch_loss.to_bits(),
        stopped: snap.stopped,
        optimizer_steps: snap.optimizer.steps,
        optimizer_buffers: (snap.optimizer.buffers.iter())
            .map(|(name, v)| (name.clone(), v.len()))
            .collect(),
        rngs: (snap.rngs.iter())
            .map(|(name, s)| (name.clone(), Rng::of(s)))
            .collect(),
        shuffle: Rng::of(&snap.batches.rng),
        schedule: snap.schedule.iter().map(|v| v.to_bits()).collect(),
        watch: (snap.watch).map(|(best, waited)| (best.map(|(e, v)| (e, v.to_bits())), waited)),
        epochs: snap.epochs.iter().map(epoch_bits).collect(),
    };
    let json = serde_json::to_string(&meta).expect("plain data serialises");
    let metadata = HashMap::from([
        ("format".to_string(), "katachi-training".to_string()),
        ("state".to_string(), json),
    ]);
    write(path, &tensors, metadata)
}

fn epoch_bits(e: &EpochRecord) -> Epoch {
    Epoch {
        epoch: e.epoch,
        step: e.step,
        loss: e.loss.to_bits(),
        metrics: (e.metrics.iter())
            .map(|(n, v)| (n.clone(), v.to_bits()))
            .collect(),
        lr: e.lr.to_bits(),
        seconds: e.seconds.to_bits(),
    }
}

fn epoch_record(e: &Epoch) -> EpochRecord {
    EpochRecord {
        epoch: e.epoch,
        step: e.step,
        loss: f64::from_bits(e.loss),
        metrics: (e.metrics.iter())
            .map(|(n, v)| (n.clone(), f64::from_bits(*v)))
            .collect(),
        lr: f64::from_bits(e.lr),
        seconds: f64::from_bits(e.seconds),
    }
}

/// Reads the checkpoint `path` (of at most `limit` bytes) for a run that is
/// `identity`: the snapshot and the weights, one vector per parameter.
#[allow(clippy::type_complexity)]
pub(super) fn load<E: Element>(
    path: &Path,
    identity: &Identity,
    limit: u64,
) -> Result<(Snapshot<E>, Vec<Vec<E>>)> {
    let file = path.display().to_string();
    let malformed =
        |what: &str| Error::format(&file, format!("is not a training checkpoint: {what}"));
    let (tensors, metadata) = read(path, limit)?;
    if metadata.get("format").map(String::as_str) != Some("katachi-training") {
        return Err(malformed(
            "it has no `format: katachi-training` (a weights file loads with `checkpoint::load`)",
        ));
    }
    let meta: Meta = metadata
        .get("state")
        .and_then(|json| serde_json::from_str(json).ok())
        .ok_or_else(|| malformed("its state is missing or malformed"))?;
    if meta.version != VERSION {
        return Err(malformed(&format!(
            "layout version {}; this katachi reads {VERSION}",
            meta.version
        )));
    }
    refuse_another_run(&file, &meta.identity, identity)?;

    let elements = |prefix: &str| -> Result<Vec<Vec<E>>> {
        let mut out = Vec::new();
        for (name, dims) in &identity.network {
            let t = (tensors.get(&format!("{prefix}.{name}")))
                .filter(|t| t.dtype == dtype::<E>() && &t.dims == dims)
                .ok_or_else(|| malformed(&format!("`{prefix}.{name}` is missing or malformed")))?;
            let mut values = vec![E::ZERO; dims.iter().product()];
            from_bytes(&t.bytes, &mut values);
            out.push(values);
        }
        Ok(out)
    };
    let f64s = |name: &str| {
        (tensors.get(name).and_then(Stored::to_f64s))
            .ok_or_else(|| malformed(&format!("`{name}` is missing or malformed")))
    };
    let weights = elements("model")?;
    let has_best = (identity.network.first())
        .is_some_and(|(name, _)| tensors.contains_key(&format!("best.{name}")));
    let best = if has_best {
        Some(elements("best")?)
    } else {
        None
    };
    let mut buffers = Vec::new();
    for (name, count) in &meta.optimizer_buffers {
        let vectors = (0..*count)
            .map(|i| f64s(&format!("optimizer.{name}.{i}")))
            .collect::<Result<Vec<_>>>()?;
        buffers.push((name.clone(), vectors));
    }
    let order = (tensors.get("batches.order").and_then(Stored::to_indices))
        .ok_or_else(|| malformed("`batches.order` is missing or malformed"))?;
    let (losses, rates) = (f64s("steps.loss")?, f64s("steps.lr")?);
    let per_epoch = identity.samples.div_ceil(identity.batch);
    let steps = (losses.iter().zip(&rates).enumerate())
        .map(|(i, (&loss, &lr))| StepRecord {
            step: i + 1,
            epoch: i / per_epoch + 1,
            batch: i % per_epoch + 1,
            loss,
            lr,
        })
        .collect();
    let rng = |r: &Rng| {
        r.state()
            .ok_or_else(|| malformed("a generator state is malformed"))
    };
    let snap = Snapshot {
        step: meta.step,
        epoch: meta.epoch,
        in_epoch: meta.in_epoch,
        epoch_loss: f64::from_bits(meta.epoch_loss),
        stopped: meta.stopped,
        optimizer: OptimizerState {
            kind: meta.identity.optimizer.clone(),
            steps: meta.optimizer_steps,
            buffers,
        },
        rngs: (meta.rngs.iter())
            .map(|(name, r)| Ok((name.clone(), rng(r)?)))
            .collect::<Result<_>>()?,
        batches: BatchesState {
            order,
            batch: identity.batch,
            rng: rng(&meta.shuffle)?,
        },
        schedule: meta.schedule.iter().map(|&b| f64::from_bits(b)).collect(),
        watch: (meta.watch).map(|(best, w)| (best.map(|(e, v)| (e, f64::from_bits(v))), w)),
        epochs: meta.epochs.iter().map(epoch_record).collect(),
        steps,
        best,
    };
    Ok((snap, weights))
}

/// Copies `values` (one vector per parameter, in visiting order, as
/// [`load`] and [`Snapshot::best`] hold them) into `net`.
pub(super) fn set_weights<P: Parameters + ?Sized>(net: &mut P, values: &[Vec<P::Elem>]) {
    let mut values = values.iter();
    net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        p.value
            .copy_from_slice(values.next().expect("one vector per parameter"))
    });
}

/// `net`'s weights, one vector per parameter in visiting order.
pub(super) fn weights<P: Parameters + ?Sized>(net: &P) -> Vec<Vec<P::Elem>> {
    let mut out = Vec::new();
    net.visit(&ParamPath::ROOT, &mut |_, p| out.push(p.value.to_vec()));
    out
}

/// `Ok` if the checkpoint was written by a run like this one.
fn refuse_another_run(file: &str, saved: &Identity, here: &Identity) -> Result<()> {
    let reason =
        if let Some(diff) = super::fingerprint::network_difference(&saved.network, &here.network) {
            format!("it was written for another network: {diff}")
        } else if saved.optimizer != here.optimizer {
            format!(
                "it was written by a run with the {} optimiser; this one uses {}",
                saved.optimizer, here.optimizer
            )
        } else if (saved.samples, saved.data) != (here.samples, here.data) {
            format!(
                "it was written for another training set: {} samples with fingerprint {:016x}; \
             this one has {} with fingerprint {:016x}",
                saved.samples, saved.data, here.samples, here.data
            )
        } else if saved.batch != here.batch {
            format!(
                "it was written with batch size {}; this run's is {}",
                saved.batch, here.batch
            )
        } else if saved.seed != here.seed {
            format!(
                "it was written with shuffle seed {}; this run's is {}",
                saved.seed, here.seed
            )
        } else {
            return Ok(());
        };
    Err(Error::Resume {
        file: file.to_string(),
        reason,
    })
}
