//! The book's networks in `katachi::models`: their parameters are the
//! book's, their gradients agree with central differences, and they learn.

use katachi::models::{DeepConvNet, SimpleConvNet, TwoLayerNet};
use katachi::prelude::*;
use katachi::shape::Nchw;

/// Weights and biases of a `c_in → c_out` convolution with `k × k` kernels.
fn conv(c_in: usize, c_out: usize, k: usize) -> usize {
    c_out * c_in * k * k + c_out
}

/// Weights and biases of an `i → o` affine layer.
fn affine(i: usize, o: usize) -> usize {
    i * o + o
}

#[test]
fn parameter_counts_are_the_books() {
    assert_eq!(
        <TwoLayerNet>::default().num_params(),
        affine(784, 50) + affine(50, 10)
    );
    assert_eq!(
        <SimpleConvNet>::default().num_params(),
        conv(1, 30, 5) + affine(4320, 100) + affine(100, 10)
    );
    // Chapter 8: 16, 16, 32, 32, 64, 64 filters of 3×3, then 1024 → 50 → 10.
    let deep = conv(1, 16, 3)
        + conv(16, 16, 3)
        + conv(16, 32, 3)
        + conv(32, 32, 3)
        + conv(32, 64, 3)
        + conv(64, 64, 3)
        + affine(64 * 4 * 4, 50)
        + affine(50, 10);
    assert_eq!(deep, 123_552);
    assert_eq!(<DeepConvNet>::default().num_params(), deep);
    assert_eq!(
        <DeepConvNet>::default().param_names()[6..8],
        ["conv4.weight", "conv4.bias"]
    );
}

#[test]
fn two_layer_net_gradients_match_central_differences() {
    let mut net = TwoLayerNet::<5, 4, 3, f64>::default();
    net.init(Init::Normal { std: 1.0 }, 3);
    let x = Tensor::<Batch<5>, f64>::from_rows(&[
        [0.3, -1.2, 0.5, 2.0, -0.1],
        [1.1, 0.4, -0.7, 0.2, 0.9],
    ])
    .unwrap();
    let t = Labels::<3>::new(vec![2, 0]).unwrap();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &x, &t).unwrap();
    assert!(report.max_relative_error() < 1e-6, "{report:?}");
}

/// Two 1×28×28 images with a bright square each, in different places.
fn squares() -> (Tensor<Nchw<1, 28, 28>>, Labels<10>) {
    let x = Tensor::from_fn((2, Const, Const, Const), |i| {
        let (n, y, x) = (i[0], i[2], i[3]);
        let corner = 4 + 12 * n;
        if (corner..corner + 8).contains(&y) && (corner..corner + 8).contains(&x) {
            1.0
        } else {
            0.0
        }
    });
    (x, Labels::new(vec![3, 8]).unwrap())
}

#[test]
fn deep_conv_net_fits_a_batch_and_predicts_without_dropout() {
    let (x, t) = squares();
    let mut net = <DeepConvNet>::default();
    net.init(Init::He, 5);
    // Training drops half the scores (as the book does); inference none.
    assert_ne!(net.forward(x.clone()), net.predict(x.clone()));
    assert_eq!(net.predict(x.clone()), net.predict(x.clone()));
    // On two images, dropping half of ten scores makes the loss jump from
    // step to step; without dropout the rest of the network must fit them.
    net.dropout1 = Dropout::new(0.0);
    net.dropout2 = Dropout::new(0.0);
    let mut loss = SoftmaxWithLoss::new();
    let mut adam = Adam::new(0.001);
    net.set_mode(Mode::Eval);
    let before = loss.forward(net.forward(x.clone()), &t).unwrap();
    net.set_mode(Mode::Train);
    for _ in 0..20 {
        backprop(&mut net, &mut loss, x.clone(), &t).unwrap();
        adam.step(&mut net);
    }
    net.set_mode(Mode::Eval);
    let after = loss.forward(net.forward(x.clone()), &t).unwrap();
    // From about ln 10 (a guess among ten) to a confident answer.
    assert!(
        after < 0.1 && after < before / 10.0,
        "loss {before} → {after}"
    );
    let scores = net.predict(x);
    let predicted: Vec<usize> = (0..2)
        .map(|r| {
            let row = scores.row(r);
            (0..10).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap()
        })
        .collect();
    assert_eq!(predicted, [3, 8]);
}
