//! The main job: train the book's two-layer net on MNIST, offline.
//!
//! ```sh
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --optimizer adam --init he --hidden 100,100
//! cargo run --release --example mnist -- --schedule cosine --warmup 200 --patience 3
//! cargo run --release --example mnist -- --checkpoint-every 500   # stop it, then:
//! cargo run --release --example mnist -- --checkpoint-every 500 --resume target/mnist
//! cargo run --release --example mnist -- --load target/mnist/weights.safetensors
//! cargo run --release --example mnist -- --help
//! ```
//!
//! By default: 784-50-10 with ReLU, weights N(0, 0.01²), SGD with learning
//! rate 0.1, batches of 100, 17 epochs (about the book's 10 000 steps). Each
//! epoch prints its loss and accuracies; `--out` receives the weights, the
//! metrics as CSV, the curves (`curves.png`, `curves.svg`) and a checkpoint
//! that `--resume` continues from exactly. The last line is the test
//! accuracy.

use katachi::models::TwoLayerNet;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use katachi::checkpoint;
use katachi::data::Mnist;
use katachi::onnx::Exportable;
use katachi::prelude::*;
use katachi::train::{Trainer, evaluate};

#[path = "common/mod.rs"]
mod common;
use common::dist::Dist;
use common::{RunFlags, flag, print_results, with_threads, write_model};

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
    /// Threads for the kernels (0: one per core; with `--dist`, the cores
    /// shared out among the ranks on each machine).
    #[arg(long, default_value_t = 0, value_parser = flag::threads)]
    threads: usize,
    /// A folder with the four IDX files (gzipped or not).
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Where the weights, metrics, curves and checkpoint are written.
    #[arg(long, default_value = "target/mnist")]
    out: PathBuf,
    /// Evaluate these saved weights instead of training.
    #[arg(long)]
    load: Option<PathBuf>,
    #[command(flatten)]
    run: RunFlags,
}

/// What a network must be for this program.
trait MnistNet:
    Layer<Tensor<Batch<784>>, Out = Tensor<Batch<10>>>
    + FixedInput<Input = Tensor<Batch<784>>>
    + Parameters<Elem = f32>
    + Exportable
    + Network
    + Default
{
}

impl<N> MnistNet for N where
    N: Layer<Tensor<Batch<784>>, Out = Tensor<Batch<10>>>
        + FixedInput<Input = Tensor<Batch<784>>>
        + Parameters<Elem = f32>
        + Exportable
        + Network
        + Default
{
}

fn main() {
    let args = Args::parse();
    let dist = match Dist::start(args.run.dist, args.run.groups) {
        Ok(dist) => dist,
        Err(error) => return Dist::alone().finish(Err(error)),
    };
    let result = with_threads(dist.threads(args.threads), || with_network(&args, &dist));
    dist.finish(result);
}

/// Runs with the network `--hidden` names.
fn with_network(args: &Args, dist: &Dist) -> Result<(), Error> {
    match args.hidden.as_str() {
        "50" => run::<TwoLayerNet<784, 50>>(args, dist),
        "100" => run::<TwoLayerNet<784, 100>>(args, dist),
        "200" => run::<TwoLayerNet<784, 200>>(args, dist),
        "500" => run::<TwoLayerNet<784, 500>>(args, dist),
        "1000" => run::<TwoLayerNet<784, 1000>>(args, dist),
        "100,100" => run::<ThreeLayerNet<100, 100>>(args, dist),
        "200,100" => run::<ThreeLayerNet<200, 100>>(args, dist),
        "100,100,bn" => run::<ThreeLayerBnNet<100, 100>>(args, dist),
        other => Err(Error::Format {
            file: "--hidden".into(),
            problem: format!(
                "{other} is not one of 50, 100, 200, 500, 1000, 100,100, 200,100, 100,100,bn"
            ),
        }),
    }
}

/// The optimiser `--optimizer` names, and its learning rate.
fn optimizer(args: &Args) -> (Box<dyn Optimizer<f32>>, f64) {
    let wd = args.weight_decay;
    let lr = |default| args.lr.unwrap_or(default);
    let opt: Box<dyn Optimizer<f32>> = match args.optimizer {
        OptimizerKind::Sgd => Box::new(Sgd::new(lr(0.1)).with_weight_decay(wd)),
        OptimizerKind::Momentum => Box::new(Momentum::new(lr(0.1)).with_weight_decay(wd)),
        OptimizerKind::Adagrad => Box::new(AdaGrad::new(lr(0.01)).with_weight_decay(wd)),
        OptimizerKind::Rmsprop => Box::new(RmsProp::new(lr(0.001)).with_weight_decay(wd)),
        OptimizerKind::Adam => Box::new(Adam::new(lr(0.001)).with_weight_decay(wd)),
    };
    let rate = opt.learning_rate();
    (opt, rate)
}

fn run<N: MnistNet>(args: &Args, dist: &Dist) -> Result<(), Error> {
    let root = dist.is_root();
    let started = Instant::now();
    let mnist = Mnist::<f32>::load(&args.data)?;
    if root {
        println!(
            "data: {} training and {} test images from {} ({:.1} s)",
            mnist.train.len(),
            mnist.test.len(),
            args.data.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let mut net = N::default();
    let init = match args.init {
        InitKind::Normal => Init::Normal { std: 0.01 },
        InitKind::Xavier => Init::Xavier,
        InitKind::He => Init::He,
    };
    net.init(init, args.seed);
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
        println!("test accuracy: {:.4}", evaluate(&net, &mnist.test)?);
        return Ok(());
    }

    let (opt, lr) = optimizer(args);
    let total = args.epochs * mnist.train.len().div_ceil(args.batch);
    let out = args.run.out_dir(&args.out);
    if root {
        println!(
            "training: {:?} lr {lr} ({:?}), batch {}, {} epochs, {total} steps, {} threads{}",
            args.optimizer,
            args.run.schedule_kind(),
            args.batch,
            args.epochs,
            rayon::current_num_threads(),
            dist.describe()
        );
    }
    let trainer = Trainer::new(&mut net, SoftmaxWithLoss::new(), opt)
        .epochs(args.epochs)
        .batch(args.batch)
        .seed(args.seed)
        .train_accuracy(usize::MAX)
        .validation("test", &mnist.test)
        .out_dir(&out);
    let training = Instant::now();
    let trainer = dist.apply(trainer);
    let report = args.run.apply(trainer, lr, total)?.fit(&mnist.train)?;
    let accuracy = evaluate(&net, &mnist.test)?;
    if !root {
        return Ok(());
    }
    println!("trained in {:.1} s", training.elapsed().as_secs_f64());
    dist.print_traffic(&report);
    write_model(&net, &out)?;
    print_results(&out, &report, accuracy);
    Ok(())
}
