//! The book's SimpleConvNet (chapter 7) on MNIST, offline.
//!
//! ```sh
//! cargo run --release --example mnist_cnn
//! cargo run --release --example mnist_cnn -- --threads 1 --epochs 1
//! cargo run --release --example mnist_cnn -- --epochs 10 --schedule cosine --patience 2
//! cargo run --release --example mnist_cnn -- --resume target/mnist_cnn
//! cargo run --release --example mnist_cnn -- --load target/mnist_cnn/weights.safetensors
//! ```
//!
//! conv 30 filters 5×5 → ReLU → max pool 2×2 → affine 100 → ReLU → affine
//! 10, trained with Adam (learning rate 0.001) on batches of 100, weights
//! drawn from N(0, 0.01²) as in the book. The extents between the layers
//! are computed by the compiler: 28×28 → 24×24 → 12×12 → 4320 numbers per
//! image, and writing `Affine<4000, 100>` below does not compile.
//!
//! Each epoch prints its loss, the accuracy on the first 10 000 training
//! images, the loss and accuracy on the 10 000 test images, and its
//! wall-clock time; `--out` receives the weights, the metrics as CSV, the
//! curves (`curves.png`, `curves.svg`) and a checkpoint that `--resume`
//! continues from exactly.

use katachi::models::SimpleConvNet;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use katachi::checkpoint;
use katachi::data::{Mnist, Split};
use katachi::prelude::*;
use katachi::train::{Trainer, evaluate};

#[path = "common/mod.rs"]
mod common;
use common::dist::Dist;
use common::{RunFlags, flag, print_results, with_threads, write_model};

/// Train the book's SimpleConvNet on MNIST and report the test accuracy.
#[derive(Parser, Debug)]
#[command(version, about, allow_negative_numbers = true)]
struct Args {
    /// Passes over the training set.
    #[arg(long, default_value_t = 5, value_parser = flag::positive)]
    epochs: usize,
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
    /// Threads for the kernels (0: one per core).
    #[arg(long, default_value_t = 0, value_parser = flag::threads)]
    threads: usize,
    /// A folder with the four IDX files (gzipped or not).
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Where the weights, metrics, curves and checkpoint are written.
    #[arg(long, default_value = "target/mnist_cnn")]
    out: PathBuf,
    /// Evaluate these saved weights instead of training.
    #[arg(long)]
    load: Option<PathBuf>,
    #[command(flatten)]
    run: RunFlags,
}

/// Training images checked for the per-epoch train accuracy: enough to
/// follow overfitting, at a sixth of the cost of all 60 000.
const TRAIN_EVAL: usize = 10_000;

/// Images as 1×28×28 and their labels, the form the network takes.
type Images = Split<Nchw<1, 28, 28>>;

fn main() {
    let args = Args::parse();
    let dist = match Dist::start(args.run.dist, args.run.groups) {
        Ok(dist) => dist,
        Err(error) => return Dist::alone().finish(Err(error)),
    };
    let result = with_threads(args.threads, || run(&args, &dist));
    dist.finish(result);
}

fn run(args: &Args, dist: &Dist) -> Result<(), Error> {
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
    let mut net = <SimpleConvNet>::default();
    net.init(Init::Normal { std: 0.01 }, args.seed);
    if root {
        println!(
            "network: {} ({} parameters)",
            <SimpleConvNet>::LAYERS.join(" → "),
            net.num_params()
        );
    }

    if let Some(path) = &args.load {
        checkpoint::load(&mut net, path)?;
        println!("weights: {}", path.display());
        println!("test accuracy: {:.4}", evaluate(&net, &test)?);
        return Ok(());
    }

    let total = args.epochs * train.len().div_ceil(args.batch);
    let out = args.run.out_dir(&args.out);
    if root {
        println!(
            "training: Adam lr {} ({:?}), batch {}, {} epochs, {total} steps, {} threads{}",
            args.lr,
            args.run.schedule,
            args.batch,
            args.epochs,
            rayon::current_num_threads(),
            dist.describe()
        );
    }
    let opt = Adam::new(args.lr).with_weight_decay(args.weight_decay);
    let trainer = Trainer::new(&mut net, SoftmaxWithLoss::new(), opt)
        .epochs(args.epochs)
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
