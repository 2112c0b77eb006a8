//! A shortened run of the main job on the shipped data: it learns, the same
//! seed gives the same run, and a checkpoint gives identical predictions.

use katachi::models::{SimpleConvNet, TwoLayerNet};
use std::path::Path;

use katachi::checkpoint;
use katachi::data::{Batches, Mnist, Split};
use katachi::prelude::*;
use katachi::train::{evaluate, train_epoch};

fn train(mnist: &Mnist) -> (TwoLayerNet, f64) {
    let train = mnist.train.head(6000);
    let mut net = <TwoLayerNet>::default();
    net.init(Init::He, 42);
    let (mut loss, mut opt) = (SoftmaxWithLoss::new(), Sgd::new(0.1));
    let mut batches = Batches::new(train.len(), 100, 42);
    for epoch in 1..=3 {
        train_epoch(
            &mut net,
            &mut loss,
            &mut opt,
            &train,
            &mut batches,
            epoch,
            |_, _| {},
        )
        .unwrap();
    }
    let accuracy = evaluate(&net, &mnist.test.head(2000)).unwrap();
    (net, accuracy)
}

#[test]
fn a_short_run_learns_and_round_trips_through_a_checkpoint() {
    let mnist =
        Mnist::<f32>::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist")).unwrap();
    let (net, accuracy) = train(&mnist);
    // 180 steps on a tenth of the data: far above the 10 % of guessing.
    assert!(accuracy > 0.85, "test accuracy {accuracy}");
    let (again, same) = train(&mnist);
    assert_eq!(accuracy, same);
    assert_eq!(net.affine1.weight.value, again.affine1.weight.value);

    let path =
        std::env::temp_dir().join(format!("katachi-mnist-{}.safetensors", std::process::id()));
    checkpoint::save(&net, &path).unwrap();
    let mut fresh = <TwoLayerNet>::default();
    checkpoint::load(&mut fresh, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let x = mnist.test.head(500).images;
    assert_eq!(fresh.predict(x.clone()), net.predict(x));
}

/// The first `n` examples of a split as 1×28×28 images and their labels.
fn images(split: &Split, n: usize) -> Split<Nchw<1, 28, 28>> {
    split.head(n).reshape().unwrap()
}

#[test]
fn a_short_cnn_run_learns_and_round_trips_through_a_checkpoint() {
    let mnist =
        Mnist::<f32>::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist")).unwrap();
    let (train, test) = (images(&mnist.train, 3000), images(&mnist.test, 1000));
    let mut net = <SimpleConvNet>::default();
    net.init(Init::He, 42);
    let (mut loss, mut opt) = (SoftmaxWithLoss::new(), Adam::new(0.001));
    let mut batches = Batches::new(3000, 50, 42);
    train_epoch(
        &mut net,
        &mut loss,
        &mut opt,
        &train,
        &mut batches,
        1,
        |_, _| {},
    )
    .unwrap();
    // 60 steps on a twentieth of the data (He initialisation learns faster
    // than the book's N(0, 0.01²) in so few steps): 0.884, far above guessing.
    let accuracy = evaluate(&net, &test).unwrap();
    assert!(accuracy > 0.85, "test accuracy {accuracy}");

    let path = std::env::temp_dir().join(format!(
        "katachi-mnist-cnn-{}.safetensors",
        std::process::id()
    ));
    checkpoint::save(&net, &path).unwrap();
    let mut fresh = <SimpleConvNet>::default();
    checkpoint::load(&mut fresh, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(fresh.conv1.weight.value.dims(), [30, 1, 5, 5]);
    assert_eq!(fresh.predict(test.images.clone()), net.predict(test.images));
}
