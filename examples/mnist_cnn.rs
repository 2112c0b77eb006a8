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
//! image, and writing `Affine<4000, 100>` in the network does not compile.
//! `mnist_deep_cnn` is the same program for the book's DeepConvNet.
//!
//! Each epoch prints its loss, the accuracy on the first 10 000 training
//! images, the loss and accuracy on the 10 000 test images, and its
//! wall-clock time; `--out` receives the weights, the metrics as CSV, the
//! curves (`curves.png`, `curves.svg`) and a checkpoint that `--resume`
//! continues from exactly.

use katachi::models::SimpleConvNet;
use katachi::prelude::*;

#[path = "common/cnn.rs"]
mod cnn;
#[path = "common/mod.rs"]
mod common;
use cnn::Recipe;
use common::ScheduleKind;

fn main() {
    cnn::main::<SimpleConvNet>(Recipe {
        about: "Train the book's SimpleConvNet on MNIST and report the test accuracy.",
        epochs: 5,
        out: "target/mnist_cnn",
        schedule: ScheduleKind::Constant,
        init: Init::Normal { std: 0.01 },
    });
}
