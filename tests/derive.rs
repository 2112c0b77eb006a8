//! Behaviour of `#[derive(Network)]`: the generated forward, backward,
//! predict, parameters and initialisation, against hand-chained layers and
//! central differences.

use katachi::grad::gradient_check;
use katachi::models::TwoLayerNet;
use katachi::prelude::*;

mod common;
use common::{batch, labels};

#[derive(Network, Default, Clone)]
struct SmallRelu {
    affine1: Affine<6, 5, f64>,
    relu: Relu<f64>,
    affine2: Affine<5, 3, f64>,
}

#[derive(Network, Default)]
struct SmallSigmoid {
    affine1: Affine<6, 8, f64>,
    sigmoid: Sigmoid<f64>,
    affine2: Affine<8, 4, f64>,
    sigmoid2: Sigmoid<f64>,
    affine3: Affine<4, 3, f64>,
}

#[derive(Network, Default)]
struct Block<const H: usize> {
    affine: Affine<H, H, f64>,
    tanh: Tanh<f64>,
}

#[derive(Network, Default)]
struct Nested {
    stem: Affine<6, 7, f64>,
    relu: Relu<f64>,
    block: Block<7>,
    head: Affine<7, 3, f64>,
    #[network(skip)]
    epochs_seen: u32,
}

/// The first field's type appears again later (this once overflowed, E0275).
#[derive(Network, Default)]
struct RepeatedTypes {
    a: Affine<6, 6, f64>,
    tanh: Tanh<f64>,
    b: Affine<6, 6, f64>,
    relu: Relu<f64>,
    head: Affine<6, 3, f64>,
}

/// A block used twice, first.
#[derive(Network, Default)]
struct BlockTwice {
    block1: Block<6>,
    block2: Block<6>,
    head: Affine<6, 3, f64>,
}

/// Generic over the element type with `E: Element` alone.
#[derive(Network, Default)]
struct AnyElement<E: Element> {
    a: Affine<6, 5, E>,
    sigmoid: Sigmoid<E>,
    b: Affine<5, 3, E>,
}

#[test]
fn forward_and_backward_equal_the_hand_chained_layers() {
    let mut net = SmallRelu::default();
    net.init(Init::Normal { std: 1.0 }, 11);
    let mut chain = (net.affine1.clone(), Relu::<f64>::new(), net.affine2.clone());
    let x = batch();
    assert_eq!(net.forward(x.clone()), chain.forward(x.clone()));

    let mut loss = SoftmaxWithLoss::<3, f64>::new();
    let from_net = backprop(&mut net, &mut loss, x.clone(), &labels()).unwrap();
    let from_chain = backprop(&mut chain, &mut SoftmaxWithLoss::new(), x, &labels()).unwrap();
    assert_eq!(from_net, from_chain);
    assert_eq!(net.affine1.weight.grad, chain.0.weight.grad);
    assert_eq!(net.affine2.bias.grad, chain.2.bias.grad);
}

#[test]
fn backward_infers_its_types_without_annotations() {
    let mut net = SmallRelu::seeded(5);
    let mut loss = SoftmaxWithLoss::<3, f64>::new();
    let scores = net.forward(batch());
    loss.forward(scores, &labels()).unwrap();
    // A derived network takes exactly one input type, so this needs no turbofish.
    let dx = net.backward(loss.backward());
    assert_eq!(dx.dims(), [4, 6]);
}

#[test]
fn predict_equals_forward() {
    let mut net = Nested::seeded(3);
    let x = batch();
    assert_eq!(net.predict(x.clone()), net.forward(x));
}

#[test]
fn parameter_names_and_counts() {
    let net = <TwoLayerNet>::default();
    assert_eq!(
        net.param_names(),
        [
            "affine1.weight",
            "affine1.bias",
            "affine2.weight",
            "affine2.bias"
        ]
    );
    assert_eq!(net.num_params(), 784 * 50 + 50 + 50 * 10 + 10);
    assert_eq!(
        <TwoLayerNet as Network>::LAYERS,
        ["affine1", "relu", "affine2"]
    );

    let nested = Nested::default();
    assert_eq!(
        nested.param_names(),
        [
            "stem.weight",
            "stem.bias",
            "block.affine.weight",
            "block.affine.bias",
            "head.weight",
            "head.bias"
        ]
    );
    assert_eq!(nested.num_params(), 6 * 7 + 7 + 7 * 7 + 7 + 7 * 3 + 3);
    assert!(
        nested
            .summary()
            .ends_with(&format!("{:>10}", nested.num_params()))
    );
}

fn assert_gradients_check<N>(mut net: N)
where
    N: Layer<Tensor<Batch<6>, f64>, Out = Tensor<Batch<3>, f64>> + Parameters<Elem = f64>,
{
    let report =
        gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &batch(), &labels()).unwrap();
    assert_eq!(report.params.len(), net.param_names().len());
    for p in &report.params {
        assert!(p.max_relative_error < 1e-6, "{}:\n{report}", p.name);
    }
}

#[test]
fn gradient_check_two_layer_relu() {
    let mut net = SmallRelu::default();
    net.init(Init::Normal { std: 1.0 }, 1);
    assert_gradients_check(net);
}

#[test]
fn gradient_check_with_sigmoids() {
    let mut net = SmallSigmoid::default();
    net.init(Init::Xavier, 2);
    assert_gradients_check(net);
}

#[test]
fn gradient_check_nested_generic_network() {
    let mut net = Nested::default();
    net.init(Init::He, 3);
    assert_gradients_check(net);
}

#[test]
fn same_seed_same_network() {
    let a = <TwoLayerNet>::seeded(42);
    let b = <TwoLayerNet>::seeded(42);
    let c = <TwoLayerNet>::seeded(43);
    assert_eq!(a.affine1.weight.value, b.affine1.weight.value);
    assert_eq!(a.affine2.weight.value, b.affine2.weight.value);
    assert_ne!(a.affine1.weight.value, c.affine1.weight.value);
    // The book's default: N(0, 0.01²) weights, zero biases.
    let w = a.affine1.weight.value.as_slice();
    let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
    assert!((std - 0.01).abs() < 3e-4, "{std}");
    assert!(a.affine1.bias.value.as_slice().iter().all(|&b| b == 0.0));
}

#[test]
fn initialisers_scale_by_fan_in() {
    let mut net = Nested::default();
    net.init(Init::He, 9);
    let w = net.head.weight.value.as_slice(); // fan-in 7: σ = √(2/7) ≈ 0.53
    let rms = (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt();
    assert!(rms > 0.3 && rms < 0.8, "{rms}");
}

#[test]
fn skipped_fields_are_left_alone() {
    let mut net = Nested::seeded(1);
    net.epochs_seen = 7;
    backprop(&mut net, &mut SoftmaxWithLoss::new(), batch(), &labels()).unwrap();
    net.init(Init::He, 2);
    assert_eq!(net.epochs_seen, 7);
    assert!(!net.param_names().iter().any(|n| n.contains("epochs")));
}

#[test]
fn a_repeated_layer_type_runs_as_its_chain() {
    let mut net = RepeatedTypes::default();
    net.init(Init::Normal { std: 0.8 }, 21);
    let mut chain = (
        net.a.clone(),
        Tanh::<f64>::new(),
        net.b.clone(),
        Relu::<f64>::new(),
        net.head.clone(),
    );
    let x = batch();
    assert_eq!(net.forward(x.clone()), chain.forward(x.clone()));
    let from_net = backprop(&mut net, &mut SoftmaxWithLoss::new(), x.clone(), &labels()).unwrap();
    let from_chain = backprop(&mut chain, &mut SoftmaxWithLoss::new(), x, &labels()).unwrap();
    assert_eq!(from_net, from_chain);
    assert_eq!(net.a.weight.grad, chain.0.weight.grad);
    assert_eq!(net.b.weight.grad, chain.2.weight.grad);
    assert_eq!(
        net.param_names(),
        [
            "a.weight",
            "a.bias",
            "b.weight",
            "b.bias",
            "head.weight",
            "head.bias"
        ]
    );
}

#[test]
fn gradient_check_repeated_layer_type() {
    let mut net = RepeatedTypes::default();
    net.init(Init::Normal { std: 0.8 }, 4);
    assert_gradients_check(net);
}

#[test]
fn gradient_check_block_used_twice_first() {
    let mut net = BlockTwice::default();
    net.init(Init::Xavier, 5);
    // The two blocks are separate parameters, drawn from one stream.
    assert_ne!(
        net.block1.affine.weight.value,
        net.block2.affine.weight.value
    );
    assert_eq!(net.param_names()[2], "block2.affine.weight");
    assert_gradients_check(net);
}

#[test]
fn gradient_check_element_generic_network() {
    let mut net = AnyElement::<f64>::default();
    net.init(Init::Xavier, 6);
    assert_gradients_check(net);
    // The same struct in f32 computes the same function to f32 precision.
    let wide = AnyElement::<f64>::seeded(8);
    let narrow = AnyElement::<f32>::seeded(8);
    let y64 = wide.predict(batch());
    let x32 = Tensor::<Batch<6>>::from_vec(
        (4, Const),
        batch().as_slice().iter().map(|&v| v as f32).collect(),
    )
    .unwrap();
    let y32 = narrow.predict(x32);
    for (a, b) in y64.as_slice().iter().zip(y32.as_slice()) {
        assert!((a - f64::from(*b)).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn gradient_check_twelve_layer_tuple() {
    let mut rng = katachi::init::seeded_rng(9);
    let mut layer = || Affine::<6, 6, f64>::normal(&mut rng, 1.0);
    let (a, b, c, d, e) = (layer(), layer(), layer(), layer(), layer());
    let mut rng = katachi::init::seeded_rng(10);
    let net = (
        a,
        Tanh::<f64>::new(),
        b,
        Sigmoid::<f64>::new(),
        c,
        Tanh::<f64>::new(),
        d,
        Relu::<f64>::new(),
        e,
        Tanh::<f64>::new(),
        Affine::<6, 3, f64>::normal(&mut rng, 1.0),
        Tanh::<f64>::new(),
    );
    assert_eq!(net.param_names().len(), 12);
    assert_eq!(net.param_names()[11], "10.bias");
    assert_gradients_check(net);
}
