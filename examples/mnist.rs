//! The main job: train the book's two-layer net on MNIST, offline.
//!
//! ```sh
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --optimizer adam --init he --hidden 100,100
//! cargo run --release --example mnist -- --load target/mnist/weights.safetensors
//! cargo run --release --example mnist -- --help
//! ```
//!
//! By default: 784-50-10 with ReLU, weights N(0, 0.01²), SGD with learning
//! rate 0.1, batches of 100, 17 epochs (about the book's 10 000 steps). Each
//! epoch prints its loss and accuracies; at the end the curves go to
//! `curves.png` and the weights to `weights.safetensors` in `--out`, and the
//! last line is the test accuracy.

use katachi::models::TwoLayerNet;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use katachi::checkpoint;
use katachi::data::{Batches, Mnist};
use katachi::prelude::*;
use katachi::train::{evaluate, train_epoch};

#[path = "common/mod.rs"]
mod common;
use common::{EpochLog, epoch_bar, flag, save_results, save_weights, with_threads};

/// Three layers with batch normalisation after each hidden affine layer,
/// for `--hidden 100,100,bn` (the book's chapter 6 shows how much faster
/// it learns).
#[derive(Network, Default)]
struct ThreeLayerBnNet<const H1: usize, const H2: usize> {
    affine1: Affine<784, H1>,
    norm1: BatchNorm<H1>,
    relu1: Relu,
    affine2: Affine<H1, H2>,
    norm2: BatchNorm<H2>,
    relu2: Relu,
    affine3: Affine<H2, 10>,
}

/// Three layers, for `--hidden A,B`.
#[derive(Network, Default)]
struct ThreeLayerNet<const H1: usize, const H2: usize> {
    affine1: Affine<784, H1>,
    relu1: Relu,
    affine2: Affine<H1, H2>,
    relu2: Relu,
    affine3: Affine<H2, 10>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OptimizerKind {
    Sgd,
    Momentum,
    Adagrad,
    Rmsprop,
    Adam,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InitKind {
    /// N(0, 0.01²), the book's default.
    Normal,
    /// σ = 1/√n, for sigmoid and tanh.
    Xavier,
    /// σ = √(2/n), for ReLU.
    He,
}

/// Train a network on MNIST (or any data set in its format) and report the
/// test accuracy.
#[derive(Parser, Debug)]
#[command(version, about, allow_negative_numbers = true)]
struct Args {
    /// Passes over the training set.
    #[arg(long, default_value_t = 17, value_parser = flag::positive)]
    epochs: usize,
    /// Examples per mini-batch.
    #[arg(long, default_value_t = 100, value_parser = flag::positive)]
    batch: usize,
    /// Learning rate [default: 0.1 for sgd and momentum, 0.01 for adagrad,
    /// 0.001 for rmsprop and adam].
    #[arg(long, value_parser = flag::learning_rate)]
    lr: Option<f64>,
    /// Weight decay λ (adds λ·W to every weight's gradient).
    #[arg(long, default_value_t = 0.0, value_parser = flag::weight_decay)]
    weight_decay: f64,
    /// The optimiser.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    optimizer: OptimizerKind,
    /// How weights start.
    #[arg(long, value_enum, default_value_t = InitKind::Normal)]
    init: InitKind,
    /// Hidden layer widths: one of 50, 100, 200, 500, 1000, or 100,100 or
    /// 200,100 for two hidden layers, or 100,100,bn for two with batch
    /// normalisation (each is a type, so the list is fixed here; add yours
    /// in `with_network`).
    #[arg(long, default_value = "50")]
    hidden: String,
    /// Seed for initialisation and the batch order: the same seed gives the
    /// same run.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Threads for the kernels (0: one per core).
    #[arg(long, default_value_t = 0, value_parser = flag::threads)]
    threads: usize,
    /// A folder with the four IDX files (gzipped or not).
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Where the curves and the weights are written.
    #[arg(long, default_value = "target/mnist")]
    out: PathBuf,
    /// Evaluate these saved weights instead of training.
    #[arg(long)]
    load: Option<PathBuf>,
}

/// What a network must be for this program.
trait MnistNet:
    Layer<Tensor<Batch<784>>, Out = Tensor<Batch<10>>> + Parameters<Elem = f32> + Network + Default
{
}

impl<N> MnistNet for N where
    N: Layer<Tensor<Batch<784>>, Out = Tensor<Batch<10>>>
        + Parameters<Elem = f32>
        + Network
        + Default
{
}

fn main() {
    let args = Args::parse();
    if let Err(error) = with_threads(args.threads, || with_network(&args)) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// Runs with the network `--hidden` names.
fn with_network(args: &Args) -> Result<(), Error> {
    match args.hidden.as_str() {
        "50" => run::<TwoLayerNet<784, 50>>(args),
        "100" => run::<TwoLayerNet<784, 100>>(args),
        "200" => run::<TwoLayerNet<784, 200>>(args),
        "500" => run::<TwoLayerNet<784, 500>>(args),
        "1000" => run::<TwoLayerNet<784, 1000>>(args),
        "100,100" => run::<ThreeLayerNet<100, 100>>(args),
        "200,100" => run::<ThreeLayerNet<200, 100>>(args),
        "100,100,bn" => run::<ThreeLayerBnNet<100, 100>>(args),
        other => Err(Error::Format {
            file: "--hidden".into(),
            problem: format!(
                "{other} is not one of 50, 100, 200, 500, 1000, 100,100, 200,100, 100,100,bn"
            ),
        }),
    }
}

fn optimizer(args: &Args) -> Box<dyn Optimizer<f32>> {
    let (wd, lr) = (args.weight_decay, args.lr);
    match args.optimizer {
        OptimizerKind::Sgd => Box::new(Sgd::new(lr.unwrap_or(0.1)).with_weight_decay(wd)),
        OptimizerKind::Momentum => Box::new(Momentum::new(lr.unwrap_or(0.1)).with_weight_decay(wd)),
        OptimizerKind::Adagrad => Box::new(AdaGrad::new(lr.unwrap_or(0.01)).with_weight_decay(wd)),
        OptimizerKind::Rmsprop => Box::new(RmsProp::new(lr.unwrap_or(0.001)).with_weight_decay(wd)),
        OptimizerKind::Adam => Box::new(Adam::new(lr.unwrap_or(0.001)).with_weight_decay(wd)),
    }
}

fn run<N: MnistNet>(args: &Args) -> Result<(), Error> {
    let started = Instant::now();
    let mnist = Mnist::<f32>::load(&args.data)?;
    println!(
        "data: {} training and {} test images from {} ({:.1} s)",
        mnist.train.len(),
        mnist.test.len(),
        args.data.display(),
        started.elapsed().as_secs_f64()
    );
    let mut net = N::default();
    let init = match args.init {
        InitKind::Normal => Init::Normal { std: 0.01 },
        InitKind::Xavier => Init::Xavier,
        InitKind::He => Init::He,
    };
    net.init(init, args.seed);
    println!(
        "network: {} ({} parameters)",
        N::LAYERS.join(" → "),
        net.num_params()
    );

    if let Some(path) = &args.load {
        checkpoint::load(&mut net, path)?;
        println!("weights: {}", path.display());
        println!("test accuracy: {:.4}", evaluate(&net, &mnist.test)?);
        return Ok(());
    }

    let mut opt = optimizer(args);
    let mut loss = SoftmaxWithLoss::<10>::new();
    let mut batches = Batches::try_new(mnist.train.len(), args.batch, args.seed)?;
    println!(
        "training: {:?}, batch {}, {} epochs × {} steps, {} threads",
        args.optimizer,
        args.batch,
        args.epochs,
        batches.per_epoch(),
        rayon::current_num_threads()
    );
    let mut history = Vec::new();
    let training = Instant::now();
    for epoch in 1..=args.epochs {
        let epoch_start = Instant::now();
        let bar = epoch_bar(epoch, batches.per_epoch());
        let mean_loss = train_epoch(
            &mut net,
            &mut loss,
            opt.as_mut(),
            &mnist.train,
            &mut batches,
            epoch,
            |step, l| {
                bar.set_position(step as u64);
                if step % 50 == 0 {
                    bar.set_message(format!("{l:.4}"));
                }
            },
        )?;
        bar.finish_and_clear();
        let log = EpochLog {
            loss: mean_loss,
            train: evaluate(&net, &mnist.train)?,
            test: evaluate(&net, &mnist.test)?,
        };
        println!(
            "epoch {epoch:>3}/{}: loss {:.4}, train accuracy {:.4}, test accuracy {:.4} ({:.1} s)",
            args.epochs,
            log.loss,
            log.train,
            log.test,
            epoch_start.elapsed().as_secs_f64()
        );
        history.push(log);
        // Every epoch is kept: a run stopped now loses at most the next one.
        save_weights(&net, &args.out)?;
    }
    println!("trained in {:.1} s", training.elapsed().as_secs_f64());

    save_results(&net, &args.out, &history)
}
