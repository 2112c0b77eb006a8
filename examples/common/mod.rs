//! What the MNIST examples share: the training flags, the thread pool, the
//! results at the end.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use katachi::optim::schedule::{
    Constant, Cosine, Exponential, OneCycle, ReduceOnPlateau, Schedule, StepDecay,
};
use katachi::train::{EarlyStopping, Goal, Report, Trainer};

pub mod dist;
pub mod plot;

/// The flags both examples take for the run around the loop.
#[derive(clap::Args, Debug)]
pub struct RunFlags {
    /// The learning-rate schedule over the run [default: constant; cosine
    /// for mnist_deep_cnn].
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleKind>,
    /// Steps of linear warm-up before the cosine schedule.
    #[arg(long, default_value_t = 0)]
    pub warmup: usize,
    /// Stop after this many epochs without a better test accuracy, and keep
    /// the best epoch's weights.
    #[arg(long, value_parser = flag::positive)]
    pub patience: Option<usize>,
    /// Scale the gradients so that their global norm is at most this.
    #[arg(long, value_parser = flag::positive_number)]
    pub clip: Option<f64>,
    /// Also write a resumable checkpoint every this many steps (one is
    /// written at every epoch's end).
    #[arg(long, value_parser = flag::positive)]
    pub checkpoint_every: Option<usize>,
    /// Continue the run that wrote to this folder (and write there).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Train data-parallel over MPI: run under `mpirun -np N`; `--batch` is
    /// the global batch. Needs a build with `--features mpi`.
    #[arg(long)]
    pub dist: bool,
    /// With `--dist`: each global batch is summed in this many groups, and
    /// runs on 1 to this many ranks end with the same bits.
    #[arg(long, default_value_t = 6, value_parser = flag::positive)]
    pub groups: usize,
}

/// The schedules `--schedule` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleKind {
    /// The same rate throughout.
    Constant,
    /// Halved at each quarter of the run.
    Step,
    /// Falling smoothly to a hundredth of the rate by the end.
    Exponential,
    /// Half a cosine down to 0 by the end, after `--warmup` steps.
    Cosine,
    /// Up to the rate over 30 % of the run and down again (one-cycle).
    Onecycle,
    /// Halved after 2 epochs without a better test loss.
    Plateau,
}

impl RunFlags {
    /// The folder the run writes to: `--resume`'s if given, else `out`.
    pub fn out_dir(&self, out: &Path) -> PathBuf {
        self.resume.clone().unwrap_or_else(|| out.to_path_buf())
    }

    /// The schedule `--schedule` names, or constant.
    pub fn schedule_kind(&self) -> ScheduleKind {
        self.schedule.unwrap_or(ScheduleKind::Constant)
    }

    /// The schedule for a run of `total` steps at rate `lr`.
    ///
    /// # Errors
    /// If `--warmup` is given for a schedule other than cosine.
    pub fn schedule(&self, lr: f64, total: usize) -> Result<Box<dyn Schedule>, katachi::Error> {
        if self.warmup > 0 && self.schedule_kind() != ScheduleKind::Cosine {
            return Err(katachi::Error::setting(
                "--warmup",
                self.warmup,
                "a warm-up goes with --schedule cosine",
            ));
        }
        Ok(match self.schedule_kind() {
            ScheduleKind::Constant => Box::new(Constant::new(lr)),
            ScheduleKind::Step => Box::new(StepDecay::new(lr, total.div_ceil(4), 0.5)),
            ScheduleKind::Exponential => {
                Box::new(Exponential::new(lr, 0.01f64.powf(1.0 / total as f64)))
            }
            ScheduleKind::Cosine => Box::new(Cosine::new(lr, total).with_warmup(self.warmup)),
            ScheduleKind::Onecycle => Box::new(OneCycle::new(lr, total)),
            ScheduleKind::Plateau => Box::new(ReduceOnPlateau::new(lr).with(0.5, 2)),
        })
    }

    /// `trainer` with these flags' schedule (for `total` steps at `lr`),
    /// clipping, early stopping on the test accuracy, checkpoints and resume.
    ///
    /// # Errors
    /// As [`RunFlags::schedule`].
    pub fn apply<'a, N, L, S, const C: usize>(
        &self,
        trainer: Trainer<'a, N, L, S, C, f32>,
        lr: f64,
        total: usize,
    ) -> Result<Trainer<'a, N, L, S, C, f32>, katachi::Error> {
        let mut trainer = trainer.schedule(self.schedule(lr, total)?);
        if let Some(max_norm) = self.clip {
            trainer = trainer.clip_grad_norm(max_norm);
        }
        if let Some(patience) = self.patience {
            let rule = EarlyStopping::new(Goal::Maximize, patience);
            trainer = trainer.early_stopping("test_accuracy", rule).restore_best();
        }
        if let Some(steps) = self.checkpoint_every {
            trainer = trainer.checkpoint_every(steps);
        }
        if let Some(dir) = &self.resume {
            trainer = trainer.resume(dir);
        }
        Ok(trainer)
    }
}

/// Writes `net` as an ONNX model, `out/model.onnx`, and says where.
///
/// # Errors
/// If the file cannot be written.
pub fn write_model<N: katachi::onnx::Exportable>(
    net: &N,
    out: &Path,
) -> Result<(), katachi::Error> {
    let path = out.join("model.onnx");
    katachi::onnx::export(net, &path)?;
    println!(
        "model: {} (ONNX, opset {})",
        path.display(),
        katachi::onnx::OPSET
    );
    Ok(())
}

/// Writes the curves (`curves.png`, `curves.svg`) into `out`, and prints
/// where everything went and `test accuracy` of the network as it ends.
pub fn print_results(out: &Path, report: &Report, test_accuracy: f64) {
    if let Some(step) = report.resumed_from {
        println!("resumed at step {step}");
    }
    if let (true, Some((epoch, _))) = (report.stopped_early, report.best) {
        println!("stopped early: the best epoch was {epoch}, and the weights are its");
    }
    for name in ["curves.png", "curves.svg"] {
        let path = out.join(name);
        match plot::curves(&path, report) {
            Ok(()) => println!("curves: {}", path.display()),
            Err(e) => println!("curves: {} not written ({e})", path.display()),
        }
    }
    println!(
        "weights: {} (PyTorch's layout; and steps.csv, epochs.csv, training.safetensors)",
        out.join("weights.safetensors").display()
    );
    println!("test accuracy: {test_accuracy:.4}");
}

/// A thread pool of `threads` threads (0: one per core) that runs `job`.
///
/// # Errors
/// If the pool cannot be started, or what `job` returns.
pub fn with_threads<T>(
    threads: usize,
    job: impl FnOnce() -> Result<T, katachi::Error> + Send,
) -> Result<T, katachi::Error>
where
    T: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| katachi::Error::Setting {
            setting: "--threads".to_string(),
            value: threads.to_string(),
            expected: format!("the thread pool could not start: {e}"),
        })?;
    pool.install(job)
}

/// Flag values checked when the command line is read, so a bad one is
/// refused up front with a message about that flag (clap names the flag).
pub mod flag {
    /// More threads than this many per core only contend for the cores.
    const THREADS_PER_CORE: usize = 4;

    /// A whole number of at least 1 (`--epochs`, `--batch`).
    pub fn positive(text: &str) -> Result<usize, String> {
        match text.parse::<usize>() {
            Ok(0) => Err("must be at least 1".to_string()),
            Ok(n) => Ok(n),
            Err(e) => Err(format!("not a whole number: {e}")),
        }
    }

    /// A finite number above 0 (`--clip`).
    pub fn positive_number(text: &str) -> Result<f64, String> {
        let x = number(text)?;
        if x > 0.0 {
            Ok(x)
        } else {
            Err("must be above 0".to_string())
        }
    }

    /// A learning rate: a finite number above 0.
    pub fn learning_rate(text: &str) -> Result<f64, String> {
        let lr = number(text)?;
        if lr > 0.0 {
            Ok(lr)
        } else {
            Err("a learning rate must be above 0".to_string())
        }
    }

    /// A weight decay: a finite number of at least 0.
    pub fn weight_decay(text: &str) -> Result<f64, String> {
        let decay = number(text)?;
        if decay >= 0.0 {
            Ok(decay)
        } else {
            Err("a weight decay must be 0 or more".to_string())
        }
    }

    /// A thread count: 0 (one per core) up to a few per core.
    pub fn threads(text: &str) -> Result<usize, String> {
        let threads = text
            .parse::<usize>()
            .map_err(|e| format!("not a whole number: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let most = cores * THREADS_PER_CORE;
        if threads > most {
            Err(format!(
                "this machine has {cores} cores; use at most {most} threads (0: one per core)"
            ))
        } else {
            Ok(threads)
        }
    }

    fn number(text: &str) -> Result<f64, String> {
        let x = text
            .parse::<f64>()
            .map_err(|e| format!("not a number: {e}"))?;
        if x.is_finite() {
            Ok(x)
        } else {
            Err("must be a finite number".to_string())
        }
    }
}
