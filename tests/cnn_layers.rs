//! The layers a CNN has next to convolutions: `BatchNorm2d`, `AvgPool2d`
//! and `GlobalAvgPool` — values from the definitions, gradients against
//! central differences (f64), and a derived network with all three through
//! the gradient check.

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

/// Random weights the shape of `like`.
fn weights_like<S: Shape>(like: &Tensor<S, f64>, seed: u64) -> Tensor<S, f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    like.map(|_| rng.random_range(-1.0..1.0))
}

fn dot<S: Shape>(a: &Tensor<S, f64>, b: &Tensor<S, f64>) -> f64 {
    a.as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(a, b)| a * b)
        .sum()
}

/// For `L = Σ w ⊙ layer(x)`, `backward(w)` must be `∂L/∂x` (by central
/// differences through `forward` on a copy, so batch statistics count).
fn check_input_gradient<S, T, L>(mut layer: L, mut x: Tensor<S, f64>, seed: u64)
where
    S: Shape,
    T: Shape,
    L: Layer<Tensor<S, f64>, Out = Tensor<T, f64>> + Clone,
{
    let mut probe = layer.clone();
    let y = layer.forward(x.clone());
    let w = weights_like(&y, seed);
    let dx = layer.backward(w.clone());
    let numeric = numerical_gradient(|x| dot(&probe.forward(x.clone()), &w), &mut x);
    for (i, (a, n)) in dx.as_slice().iter().zip(numeric.as_slice()).enumerate() {
        assert!(
            (a - n).abs() < 1e-7,
            "element {i}: backward {a} vs numerical {n}"
        );
    }
}

#[test]
fn avg_pool_is_the_window_mean_and_its_gradient_checks() {
    let x = images::<2, 7, 6>(3, 1);
    let y = AvgPool2d::<3, 2, f64>::new().predict(x.clone());
    assert_eq!(y.dims(), [3, 2, 3, 2]);
    // Sample 1, channel 1, output (2, 1): rows 4..7, columns 2..5.
    let at = |h: usize, w: usize| x.as_slice()[((2 + 1) * 7 + h) * 6 + w];
    let want = (4..7)
        .flat_map(|h| (2..5).map(move |w| (h, w)))
        .map(|(h, w)| at(h, w))
        .sum::<f64>()
        / 9.0;
    let (sample, channel, oy, ox) = (1, 1, 2, 1);
    let index = ((sample * 2 + channel) * 3 + oy) * 2 + ox;
    assert!((y.as_slice()[index] - want).abs() < 1e-15);
    check_input_gradient(AvgPool2d::<3, 2, f64>::new(), x, 2);
    check_input_gradient(AvgPool2d::<2, 2, f64>::new(), images::<3, 6, 6>(2, 3), 4);
}

#[test]
fn global_avg_pool_is_each_maps_mean_and_its_gradient_checks() {
    let x = images::<3, 4, 5>(2, 5);
    let y = GlobalAvgPool::<f64>::new().predict(x.clone());
    assert_eq!(y.dims(), [2, 3]);
    let map = &x.as_slice()[(3 + 2) * 20..(3 + 3) * 20]; // sample 1, channel 2
    assert!((y.as_slice()[5] - map.iter().sum::<f64>() / 20.0).abs() < 1e-15);
    check_input_gradient(GlobalAvgPool::<f64>::new(), x, 6);
}

#[test]
fn batch_norm_2d_normalises_each_channel_over_batch_and_positions() {
    let mut bn = BatchNorm2d::<3, f64>::new();
    let x = images::<3, 4, 4>(5, 7);
    let y = bn.forward(x.clone());
    for c in 0..3 {
        let values: Vec<f64> = (0..5)
            .flat_map(|b| y.as_slice()[(b * 3 + c) * 16..(b * 3 + c + 1) * 16].to_vec())
            .collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        assert!(
            mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-3,
            "channel {c}: {mean} {var}"
        );
    }
    // The running mean moved 10 % of the way to channel 0's mean over all
    // 80 of its values, the running variance to their unbiased variance.
    let channel0: Vec<f64> = (0..5)
        .flat_map(|b| x.as_slice()[b * 48..b * 48 + 16].to_vec())
        .collect();
    let mean = channel0.iter().sum::<f64>() / 80.0;
    let unbiased = channel0.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 79.0;
    assert!((bn.norm.running_mean.value.as_slice()[0] - 0.1 * mean).abs() < 1e-15);
    assert!((bn.norm.running_var.value.as_slice()[0] - (0.9 + 0.1 * unbiased)).abs() < 1e-15);
    // Inference uses the running averages; Eval mode's forward too.
    let expect = (x.as_slice()[0] - 0.1 * mean) / (0.9 + 0.1 * unbiased + 1e-5).sqrt();
    let p = bn.predict(x.clone());
    assert!((p.as_slice()[0] - expect).abs() < 1e-12);
    bn.set_mode(Mode::Eval);
    assert_eq!(bn.forward(x), p);
}

#[test]
fn batch_norm_2d_input_gradient_checks_in_both_modes() {
    for mode in [Mode::Train, Mode::Eval] {
        let mut bn = BatchNorm2d::<2, f64>::new();
        bn.norm.gamma.value = Tensor::from([1.5, -0.7]);
        bn.norm.beta.value = Tensor::from([0.2, 0.1]);
        bn.norm.running_var.value = Tensor::from([0.5, 2.0]);
        bn.set_mode(mode);
        check_input_gradient(bn, images::<2, 3, 3>(3, 8), 9);
    }
}

#[test]
fn batch_norm_2d_names_its_parameters_as_pytorch_does() {
    let bn = BatchNorm2d::<4>::new();
    assert_eq!(
        bn.param_names(),
        [
            "weight",
            "bias",
            "running_mean",
            "running_var",
            "num_batches_tracked"
        ]
    );
}

/// conv → BatchNorm2d → ReLU → 2×2 average pool → conv → global average
/// pool → affine: every new layer between parameters.
#[derive(Network, Clone, Default)]
#[network(input = Tensor<Nchw<1, 8, 8>, f64>)]
struct NormedCnn {
    conv1: Conv2d<1, 3, 3, 1, 1, f64>,
    norm: BatchNorm2d<3, f64>,
    relu: Relu<f64>,
    pool: AvgPool2d<2, 2, f64>,
    conv2: Conv2d<3, 4, 3, 1, 0, f64>,
    gap: GlobalAvgPool<f64>,
    affine: Affine<4, 3, f64>,
}

#[test]
fn a_network_of_them_passes_the_gradient_check() {
    let mut net = NormedCnn::default();
    net.init(Init::He, 10);
    net.norm.norm.gamma.value = Tensor::from([1.2, 0.8, -0.5]);
    let x = images::<1, 8, 8>(4, 11);
    assert_eq!(net.predict(x.clone()).dims(), [4, 3]);
    let t = Labels::<3>::new(vec![2, 0, 1, 1]).unwrap();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &x, &t).unwrap();
    for p in report.params.iter().filter(|p| p.name != "conv1.bias") {
        assert!(p.max_relative_error < 1e-6, "{report}");
    }
    // conv1's bias is subtracted again by the batch norm: its exact
    // gradient is 0, and backprop's is 0 to rounding.
    assert!(
        net.conv1
            .bias
            .grad
            .as_slice()
            .iter()
            .all(|g| g.abs() < 1e-12)
    );
}
