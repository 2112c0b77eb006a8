//! The book's DeepConvNet (chapter 8) on MNIST, offline.
//!
//! ```sh
//! cargo run --release --example mnist_deep_cnn
//! cargo run --release --example mnist_deep_cnn -- --threads 1 --epochs 1
//! cargo run --release --example mnist_deep_cnn -- --resume target/mnist_deep_cnn
//! cargo build --release --features mpi --example mnist_deep_cnn
//! mpirun -np 2 target/release/examples/mnist_deep_cnn --dist --threads 1
//! ```
//!
//! Six 3×3 convolutions (16, 16, 32, 32, 64, 64 filters, padded so the
//! maps keep their size, the fourth by 2), a 2×2 max pool after each pair,
//! affine 50 → ReLU → dropout 0.5 → affine 10 → dropout 0.5: the network of
//! `katachi::models::DeepConvNet`, initialised by He's rule and trained
//! with Adam (learning rate 0.001) on batches of 100, as in the book (which
//! reports 99.38 %), for 10 epochs with the rate annealed to 0 by a cosine
//! schedule (`--schedule constant` for the book's constant rate: the
//! accuracy then wanders by ±0.1 % from epoch to epoch instead of
//! settling).
//!
//! The flags and the output are `mnist_cnn`'s: a line per epoch with the
//! loss, the accuracy on the first 10 000 training images and on the test
//! set; `--out` receives the weights, the metrics as CSV, the curves and a
//! checkpoint that `--resume` continues from exactly.

use katachi::models::DeepConvNet;
use katachi::prelude::*;

#[path = "common/cnn.rs"]
mod cnn;
#[path = "common/mod.rs"]
mod common;
use cnn::Recipe;
use common::ScheduleKind;

fn main() {
    cnn::main::<DeepConvNet>(Recipe {
        about: "Train the book's DeepConvNet on MNIST and report the test accuracy.",
        epochs: 10,
        out: "target/mnist_deep_cnn",
        schedule: ScheduleKind::Cosine,
        init: Init::He,
    });
}
