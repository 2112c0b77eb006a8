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
    // Without dropout (the check with it is below), BatchNorm on batch
    // statistics.
    net.block.dropout.ratio = 0.0;
    let t = labels();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &batch(), &t).unwrap();
    let names: Vec<_> = report.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "block.affine.weight",
            "block.affine.bias",
            "block.norm.weight",
            "block.norm.bias",
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

/// Two dropout layers, built by `Default` (both seeded 0 at construction).
#[derive(Network, Default)]
struct TwoDropouts {
    affine: Affine<6, 32, f64>,
    drop1: Dropout<f64>,
    relu: Relu<f64>,
    drop2: Dropout<f64>,
    head: Affine<32, 3, f64>,
}

#[test]
fn seeded_reaches_every_dropout_with_its_own_stream() {
    let x = || Tensor::<Batch<32>, f64>::filled((4, Const), 1.0);
    let masks = |seed| {
        let mut net = TwoDropouts::seeded(seed);
        (net.drop1.forward(x()), net.drop2.forward(x()))
    };
    let (a1, a2) = masks(1);
    assert_ne!(a1, a2, "two dropout layers of one net drew the same mask");
    assert_eq!(
        masks(1),
        (a1.clone(), a2),
        "the same seed replays the masks"
    );
    let (b1, _) = masks(2);
    assert_ne!(a1, b1, "seeds 1 and 2 drew the same mask");
}

#[test]
fn the_gradient_check_replays_dropout_and_restores_running_averages() {
    let mut net = Net::default();
    net.init(Init::He, 8);
    net.block.dropout.ratio = 0.4;
    for _ in 0..3 {
        let _ = net.forward(batch());
    }
    let running = (
        net.block.norm.running_mean.value.clone(),
        net.block.norm.running_var.value.clone(),
    );
    let mut probe = net.block.dropout.clone();
    let report =
        gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &batch(), &labels()).unwrap();
    // Training mode, a real mask: checked against one fixed draw. The bias
    // before BatchNorm has a true gradient of 0 (the batch mean absorbs
    // it): both sides are rounding, so its absolute error is what counts.
    for p in &report.params {
        if p.name == "block.affine.bias" {
            assert!(p.max_abs_error < 1e-9, "{report}");
        } else {
            assert!(p.max_relative_error < 1e-6, "{}:\n{report}", p.name);
        }
    }
    assert_eq!(report.replayed, ["block.dropout"]);
    assert!(
        report
            .to_string()
            .ends_with("random draws replayed for every evaluation: block.dropout\n")
    );
    // Left as found: the running averages, and the dropout's next mask.
    assert_eq!(net.block.norm.running_mean.value, running.0);
    assert_eq!(net.block.norm.running_var.value, running.1);
    let x = Tensor::<Batch<5>, f64>::filled((4, Const), 1.0);
    assert_eq!(net.block.dropout.forward(x.clone()), probe.forward(x));
}
