//! Train and eval mode through derived networks: Dropout and BatchNorm
//! inside nested networks, the mode reaching every field, and the gradient
//! check over BatchNorm.

use katachi::grad::gradient_check;
use katachi::prelude::*;

mod common;
use common::{batch, labels};

#[derive(Network, Default)]
struct Block {
    affine: Affine<6, 5, f64>,
    norm: BatchNorm<5, f64>,
    relu: Relu<f64>,
    dropout: Dropout<f64>,
}

#[derive(Network, Default)]
struct Net {
    block: Block,
    head: Affine<5, 3, f64>,
}

#[test]
fn eval_mode_reaches_nested_fields_and_matches_predict() {
    let mut net = Net::default();
    net.init(Init::He, 4);
    // Train a few steps so BatchNorm's running averages are not the defaults.
    for _ in 0..5 {
        let _ = net.forward(batch());
    }
    let x = batch();
    net.set_mode(Mode::Eval);
    let eval = net.forward(x.clone());
    assert_eq!(
        eval,
        net.predict(x.clone()),
        "eval forward differs from predict"
    );
    net.set_mode(Mode::Train);
    assert_ne!(
        net.forward(x),
        eval,
        "train mode should drop and use batch statistics"
    );
}

#[test]
fn batch_norm_passes_the_gradient_check_inside_a_network() {
    let mut net = Net::default();
    net.init(Init::He, 8);
    net.block.norm.gamma.value = Tensor::from([1.3, 0.6, -0.9, 1.1, 0.4]);
    net.block.norm.beta.value = Tensor::from([0.2, -0.1, 0.3, 0.0, 0.5]);
    // Dropout's mask would change between the probes: check with it off,
    // BatchNorm still on batch statistics.
    net.block.dropout.ratio = 0.0;
    let t = labels();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &batch(), &t).unwrap();
    let names: Vec<_> = report.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "block.affine.weight",
            "block.affine.bias",
            "block.norm.gamma",
            "block.norm.beta",
            "head.weight",
            "head.bias"
        ]
    );
    assert!(report.max_relative_error() < 1e-6, "{report}");
}

#[test]
fn running_averages_are_saved_but_not_trained() {
    let mut net = Net::default();
    let _ = net.forward(batch());
    let names = net.param_names();
    assert!(names.contains(&"block.norm.running_mean".to_string()));
    let mean_before = net.block.norm.running_mean.value.clone();
    net.block.norm.running_mean.grad = Tensor::filled((Const,), 1.0);
    Sgd::new(1.0).step(&mut net);
    assert_eq!(net.block.norm.running_mean.value, mean_before);
}
