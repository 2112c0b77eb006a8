//! Convolutional layers: shapes the compiler computes, gradients against
//! central differences (f64), and a derived CNN through the gradient check.

use katachi::grad::numerical_gradient;
use katachi::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A batch of `n` images with values in [-1, 1), the same for a seed.
fn images<const C: usize, const H: usize, const W: usize>(
    n: usize,
    seed: u64,
) -> Tensor<Nchw<C, H, W>, f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Tensor::from_fn((n, Const, Const, Const), |_| rng.random_range(-1.0..1.0))
}

/// For `L = Σ w ⊙ layer(x)`, `backward(w)` must be `∂L/∂x`; also checks
/// that `predict` gives what `forward` gives.
fn check_input_gradient<S, L>(mut layer: L, mut x: Tensor<S, f64>, seed: u64)
where
    S: Shape,
    L: Layer<Tensor<S, f64>>,
    L::Out: Clone + PartialEq + std::fmt::Debug + AsWeights,
{
    let y = layer.forward(x.clone());
    assert_eq!(y, layer.predict(x.clone()), "predict differs from forward");
    let w = y.random_like(seed);
    let dx = layer.backward(w.clone());
    let numeric = numerical_gradient(|x| layer.predict(x.clone()).dot(&w), &mut x);
    for (i, (a, n)) in dx.as_slice().iter().zip(numeric.as_slice()).enumerate() {
        assert!(
            (a - n).abs() < 1e-8,
            "element {i}: backward {a} vs numerical {n}"
        );
    }
}

/// Tensors as the weights of a weighted sum, whatever their shape.
trait AsWeights: Sized {
    fn random_like(&self, seed: u64) -> Self;
    fn dot(&self, other: &Self) -> f64;
}

impl<S: Shape> AsWeights for Tensor<S, f64> {
    fn random_like(&self, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        self.map(|_| rng.random_range(-1.0..1.0))
    }

    fn dot(&self, other: &Self) -> f64 {
        self.as_slice()
            .iter()
            .zip(other.as_slice())
            .map(|(a, b)| a * b)
            .sum()
    }
}

#[test]
fn simple_conv_net_extents_are_computed_by_the_compiler() {
    let x = Tensor::<Nchw<1, 28, 28>>::zeros((2, Const, Const, Const));
    let conv = Conv2d::<1, 30, 5>::zeros().forward(x);
    assert_eq!(conv.dims(), [2, 30, 24, 24]);
    let pooled = MaxPool2d::<2>::new().forward(conv);
    assert_eq!(pooled.dims(), [2, 30, 12, 12]);
    let rows = Flatten::new().forward(pooled);
    assert_eq!(rows.dims(), [2, 4320]);
    let scores = Affine::<4320, 100>::zeros().forward(rows);
    assert_eq!(scores.dims(), [2, 100]);
    // Padding keeps the extent; a stride halves it.
    let same = Conv2d::<1, 2, 3, 1, 1>::zeros()
        .forward(Tensor::<Nchw<1, 28, 28>>::zeros((1, Const, Const, Const)));
    assert_eq!(same.dims(), [1, 2, 28, 28]);
    let half = Conv2d::<2, 2, 2, 2>::zeros().forward(same);
    assert_eq!(half.dims(), [1, 2, 14, 14]);
}

#[test]
fn conv_input_gradient_with_stride_and_padding() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    check_input_gradient(
        Conv2d::<2, 3, 3, 2, 1, f64>::normal(&mut rng, 1.0),
        images::<2, 7, 6>(3, 2),
        3,
    );
    check_input_gradient(
        Conv2d::<2, 4, 2, 1, 0, f64>::normal(&mut rng, 1.0),
        images::<2, 5, 5>(2, 4),
        5,
    );
}

#[test]
fn max_pool_input_gradient_with_overlapping_and_tiling_windows() {
    check_input_gradient(MaxPool2d::<3, 2, f64>::new(), images::<2, 7, 6>(3, 6), 7);
    check_input_gradient(MaxPool2d::<2, 2, f64>::new(), images::<3, 6, 6>(2, 8), 9);
}

#[test]
fn flatten_keeps_the_order_and_its_gradient_is_the_identity() {
    let x = images::<2, 3, 4>(2, 10);
    let mut flatten = Flatten::new();
    let y = flatten.forward(x.clone());
    assert_eq!(y.dims(), [2, 24]);
    assert_eq!(y.as_slice(), x.as_slice());
    let dx = flatten.backward(y.clone());
    assert_eq!(dx, x);
    check_input_gradient(Flatten::new(), x, 11);
}

#[test]
fn max_pool_takes_the_window_maximum() {
    let x = Tensor::<Nchw<1, 4, 4>, f64>::from_vec(
        (1, Const, Const, Const),
        vec![
            1.0, 2.0, 5.0, 3.0, //
            4.0, 0.0, 1.0, 1.0, //
            -1.0, -2.0, 0.0, 8.0, //
            -3.0, -4.0, 7.0, 6.0,
        ],
    )
    .unwrap();
    let y = MaxPool2d::<2, 2, f64>::new().predict(x);
    assert_eq!(y.as_slice(), &[4.0, 5.0, -1.0, 8.0]);
}

#[test]
fn conv_matches_a_hand_computed_cross_correlation() {
    // Two channels, one 2×2 filter per channel, stride 1: y = Σ_c w_c ⋆ x_c + b.
    let mut conv = Conv2d::<2, 1, 2, 1, 0, f64>::zeros();
    conv.weight
        .value
        .as_mut_slice()
        .copy_from_slice(&[1.0, 0.0, 0.0, -1.0, 0.5, 0.5, 0.5, 0.5]);
    conv.bias.value.as_mut_slice()[0] = 0.25;
    let x = Tensor::<Nchw<2, 2, 3>, f64>::from_vec(
        (1, Const, Const, Const),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 2.0, 2.0, 2.0, 0.0, 0.0, 4.0],
    )
    .unwrap();
    // Window (0,0): (1 − 5) + 0.5·(2 + 2 + 0 + 0) = −2; window (0,1): (2 − 6) + 0.5·(2 + 2 + 0 + 4) = 0.
    assert_eq!(conv.predict(x).as_slice(), &[-2.0 + 0.25, 0.25]);
}

/// Two convolutions (padding, then stride), pooling, flatten and affine:
/// every backward path of the convolution layers is on the way. Tanh, not
/// ReLU, between the convolutions: the check probes ±2·10⁻⁴ around each
/// weight, and a ReLU input that close to 0 bends the loss there (seed 12
/// with ReLU reads 6e-3 on `conv1` for that reason alone; seeds 1–4 pass).
/// ReLU's own backward is checked in `layers.rs`.
#[derive(Default, Network)]
#[network(input = Tensor<Nchw<1, 10, 10>, f64>)]
struct SmallCnn {
    conv1: Conv2d<1, 4, 3, 1, 1, f64>,
    relu1: Tanh<f64>,
    conv2: Conv2d<4, 3, 3, 2, 0, f64>,
    pool: MaxPool2d<2, 2, f64>,
    flatten: Flatten<f64>,
    affine: Affine<12, 5, f64>,
}

#[test]
fn derived_cnn_passes_the_gradient_check() {
    let mut net = SmallCnn::default();
    net.init(Init::He, 12);
    let x = images::<1, 10, 10>(4, 13);
    let t = Labels::<5>::new(vec![0, 3, 4, 1]).unwrap();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &x, &t).unwrap();
    let names: Vec<_> = report
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.numel))
        .collect();
    assert_eq!(
        names,
        [
            ("conv1.weight", 36),
            ("conv1.bias", 4),
            ("conv2.weight", 108),
            ("conv2.bias", 3),
            ("affine.weight", 60),
            ("affine.bias", 5)
        ]
    );
    for p in &report.params {
        assert!(p.max_relative_error < 1e-6, "{report}");
    }
    assert_eq!(net.predict(x.clone()), net.forward(x));
}

#[test]
fn conv_weights_are_saved_with_their_four_extents() {
    let net = SmallCnn::seeded(14);
    let mut dims = Vec::new();
    net.visit(&ParamPath::ROOT, &mut |path, p| {
        dims.push((path.to_string(), p.dims.to_vec()))
    });
    assert_eq!(dims[0], ("conv1.weight".to_string(), vec![4, 1, 3, 3]));
    assert_eq!(dims[2], ("conv2.weight".to_string(), vec![3, 4, 3, 3]));
}

/// BatchNorm and Dropout take a convolution's flattened rows like any others.
#[derive(Default, Network)]
#[network(input = Tensor<Nchw<1, 6, 6>, f64>)]
struct NormalisedCnn {
    conv: Conv2d<1, 2, 3, 1, 0, f64>,
    flatten: Flatten<f64>,
    norm: BatchNorm<32, f64>,
    drop: Dropout<f64>,
    affine: Affine<32, 3, f64>,
}

#[test]
fn batch_norm_after_flatten_normalises_each_feature() {
    let mut net = NormalisedCnn::default();
    net.init(Init::He, 16);
    net.drop = Dropout::new(0.0);
    let x = images::<1, 6, 6>(8, 17);
    let rows = net.flatten.forward(net.conv.forward(x.clone()));
    let normalised = net.norm.forward(rows);
    // γ = 1, β = 0 at the start: every feature has mean 0 over the batch.
    for f in 0..32 {
        let mean: f64 = (0..8).map(|n| normalised.row(n)[f]).sum::<f64>() / 8.0;
        assert!(mean.abs() < 1e-12, "feature {f}: mean {mean}");
    }
    let t = Labels::<3>::new(vec![0, 1, 2, 0, 1, 2, 0, 1]).unwrap();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &x, &t).unwrap();
    for p in report.params.iter().filter(|p| p.name != "conv.bias") {
        assert!(p.max_relative_error < 1e-6, "{report}");
    }
    // A bias shifts a whole feature, which BatchNorm subtracts again: its
    // exact gradient is 0, so a relative error would only compare rounding
    // noise. Backprop gives 0 up to rounding, and so does the difference.
    assert!(
        net.conv
            .bias
            .grad
            .as_slice()
            .iter()
            .all(|g| g.abs() < 1e-12),
        "{:?}",
        net.conv.bias.grad
    );
    let bias = report
        .params
        .iter()
        .find(|p| p.name == "conv.bias")
        .unwrap();
    // Rounding noise of the size the other parameters' absolute errors show
    // (a few 1e-12 with PyTorch's ε = 1e-5), far below any real gradient.
    assert!(bias.max_abs_error < 1e-11, "{report}");
}

/// A convolutional block as a network of its own.
#[derive(Default, Network)]
#[network(input = Tensor<Nchw<1, 8, 8>, f64>)]
struct ConvBlock {
    conv: Conv2d<1, 3, 3, 1, 1, f64>,
    tanh: Tanh<f64>,
    pool: MaxPool2d<2, 2, f64>,
}

/// The block nested in a classifier: its input comes from the block, and
/// the extents it produces (3 × 4 × 4) are checked against `affine`.
#[derive(Default, Network)]
struct NestedCnn {
    block: ConvBlock,
    flatten: Flatten<f64>,
    affine: Affine<48, 4, f64>,
}

#[test]
fn a_nested_convolutional_block_trains_like_a_layer() {
    let mut net = NestedCnn::default();
    net.init(Init::He, 18);
    assert_eq!(
        net.param_names(),
        [
            "block.conv.weight",
            "block.conv.bias",
            "affine.weight",
            "affine.bias"
        ]
    );
    let x = images::<1, 8, 8>(3, 19);
    assert_eq!(net.predict(x.clone()).dims(), [3, 4]);
    let t = Labels::<4>::new(vec![3, 0, 2]).unwrap();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &x, &t).unwrap();
    assert!(report.max_relative_error() < 1e-6, "{report}");
}
