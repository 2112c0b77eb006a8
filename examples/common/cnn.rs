//! What the convolutional MNIST examples share: their flags and their run,
//! for any network of 1×28×28 images and 10 classes. An example includes
//! it next to `common` (whose pieces it uses).

use std::path::PathBuf;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches, Parser};
use katachi::checkpoint;
use katachi::data::{Mnist, Split};
use katachi::onnx::Exportable;
use katachi::prelude::*;
use katachi::train::{Trainer, evaluate};

use crate::common::dist::Dist;
use crate::common::{RunFlags, ScheduleKind, flag, print_results, with_threads, write_model};

/// The flags of a convolutional example (the defaults that differ between
/// networks come from its [`Recipe`]).
#[derive(Parser, Debug)]
#[command(version, allow_negative_numbers = true)]
pub struct Args {
    /// Passes over the training set [default: the network's].
    #[arg(long, value_parser = flag::positive)]
    epochs: Option<usize>,
    /// Images per mini-batch.
    #[arg(long, default_value_t = 100, value_parser = flag::positive)]
    batch: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.001, value_parser = flag::learning_rate)]
    lr: f64,
    /// Weight decay λ (adds λ·W to every weight's gradient).
    #[arg(long, default_value_t = 0.0, value_parser = flag::weight_decay)]
    weight_decay: f64,
    /// Seed for initialisation and the batch order.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Threads for the kernels (0: one per core; with `--dist`, the cores
    /// shared out among the ranks on each machine).
    #[arg(long, default_value_t = 0, value_parser = flag::threads)]
    threads: usize,
    /// A folder with the four IDX files (gzipped or not).
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Where the weights, metrics, curves and checkpoint are written
    /// [default: target/<example>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Evaluate these saved weights instead of training.
    #[arg(long)]
    load: Option<PathBuf>,
    #[command(flatten)]
    run: RunFlags,
}

/// What differs between the convolutional examples.
pub struct Recipe {
    /// `--help`'s first line.
    pub about: &'static str,
    /// Epochs unless `--epochs` says otherwise.
    pub epochs: usize,
    /// The output folder unless `--out` says otherwise.
    pub out: &'static str,
    /// How the weights start.
    pub init: Init,
    /// The learning-rate schedule unless `--schedule` says otherwise.
    pub schedule: ScheduleKind,
}

/// Training images checked for the per-epoch train accuracy: enough to
/// follow overfitting, at a sixth of the cost of all 60 000.
const TRAIN_EVAL: usize = 10_000;

/// Images as 1×28×28 and their labels, the form the networks take.
type Images = Split<Nchw<1, 28, 28>>;

/// What a network must be for these examples.
pub trait CnnNet:
    Layer<Tensor<Nchw<1, 28, 28>>, Out = Tensor<Batch<10>>>
    + Parameters<Elem = f32>
    + Exportable
    + Network
    + Default
{
}

impl<N> CnnNet for N where
    N: Layer<Tensor<Nchw<1, 28, 28>>, Out = Tensor<Batch<10>>>
        + Parameters<Elem = f32>
        + Exportable
        + Network
        + Default
{
}

/// The whole program: flags read, the run, errors reported.
pub fn main<N: CnnNet>(recipe: Recipe) {
    let matches = Args::command().about(recipe.about).get_matches();
    let mut args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    args.run.schedule.get_or_insert(recipe.schedule);
    let dist = match Dist::start(args.run.dist, args.run.groups) {
        Ok(dist) => dist,
        Err(error) => return Dist::alone().finish(Err(error)),
    };
    let result = with_threads(dist.threads(args.threads), || {
        run::<N>(&args, &recipe, &dist)
    });
    dist.finish(result);
}

fn run<N: CnnNet>(args: &Args, recipe: &Recipe, dist: &Dist) -> Result<(), Error> {
    let root = dist.is_root();
    let started = Instant::now();
    let Mnist { train, test } = Mnist::<f32>::load(&args.data)?;
    // A reshape moves the pixels rather than copying them.
    let (train, test): (Images, Images) = (train.reshape()?, test.reshape()?);
    if root {
        println!(
            "data: {} training and {} test images from {} ({:.1} s)",
            train.len(),
            test.len(),
            args.data.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let mut net = N::default();
    net.init(recipe.init, args.seed);
    if root {
        println!(
            "network: {} ({} parameters)",
            N::LAYERS.join(" → "),
            net.num_params()
        );
    }

    if let Some(path) = &args.load {
        checkpoint::load(&mut net, path)?;
        println!("weights: {}", path.display());
        println!("test accuracy: {:.4}", evaluate(&net, &test)?);
        return Ok(());
    }

    let epochs = args.epochs.unwrap_or(recipe.epochs);
    let total = epochs * train.len().div_ceil(args.batch);
    let out = args.out.clone().unwrap_or_else(|| recipe.out.into());
    let out = args.run.out_dir(&out);
    if root {
        println!(
            "training: Adam lr {} ({:?}), batch {}, {epochs} epochs, {total} steps, {} threads{}",
            args.lr,
            args.run.schedule_kind(),
            args.batch,
            rayon::current_num_threads(),
            dist.describe()
        );
    }
    let opt = Adam::new(args.lr).with_weight_decay(args.weight_decay);
    let trainer = Trainer::new(&mut net, SoftmaxWithLoss::new(), opt)
        .epochs(epochs)
        .batch(args.batch)
        .seed(args.seed)
        .train_accuracy(TRAIN_EVAL)
        .validation("test", &test)
        .out_dir(&out);
    let training = Instant::now();
    let trainer = dist.apply(trainer);
    let report = args.run.apply(trainer, args.lr, total)?.fit(&train)?;
    let accuracy = evaluate(&net, &test)?;
    if !root {
        return Ok(());
    }
    println!("trained in {:.1} s", training.elapsed().as_secs_f64());
    dist.print_traffic(&report);
    write_model(&net, &out)?;
    print_results(&out, &report, accuracy);
    Ok(())
}
