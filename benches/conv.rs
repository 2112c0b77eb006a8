//! Convolution layers, next to the affine benches: the book's SimpleConvNet
//! layer (30 filters 5×5 on 28×28 images) and a second-layer shape (32
//! filters 3×3 over 30 channels of 12×12, padding 1), forward and backward;
//! max pooling; and whole training steps of SimpleConvNet and of the
//! book's DeepConvNet (chapter 8).
//!
//! Throughput counts FLOPs as the im2col GEMMs do: 2·filters·patch·positions
//! per image for each product (forward, dW, and dX where computed), patch
//! being channels·kernel². Thread count: `RAYON_NUM_THREADS`.

// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use katachi::models::{DeepConvNet, SimpleConvNet};
use katachi::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// FLOPs of one im2col product for a batch.
fn product_flops(batch: usize, filters: usize, patch: usize, positions: usize) -> u64 {
    (2 * batch * filters * patch * positions) as u64
}

/// Deterministic images with values in [0, 1).
fn images<const C: usize, const H: usize, const W: usize>(batch: usize) -> Tensor<Nchw<C, H, W>> {
    Tensor::from_fn((batch, Const, Const, Const), |i| {
        ((i[0] * 31 + i[1] * 17 + i[2] * 7 + i[3] * 3) % 23) as f32 / 23.0
    })
}

fn conv(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv");

    // SimpleConvNet's convolution: 100 × 1×28×28 → 100 × 30×24×24.
    let mut first = Conv2d::<1, 30, 5>::normal(&mut ChaCha8Rng::seed_from_u64(1), 0.1);
    let x = images::<1, 28, 28>(100);
    let flops = product_flops(100, 30, 25, 24 * 24);
    group.throughput(Throughput::Elements(flops));
    group.bench_function("1x28x28->30x24x24/batch100/forward", |b| {
        b.iter_batched(|| x.clone(), |x| first.forward(x), BatchSize::LargeInput)
    });
    let dy = first.predict(x.clone());
    group.throughput(Throughput::Elements(2 * flops));
    group.bench_function("1x28x28->30x24x24/batch100/forward+backward_params", |b| {
        b.iter_batched(
            || (x.clone(), dy.clone()),
            |(x, dy)| {
                let _ = first.forward(x);
                first.backward_params(dy)
            },
            BatchSize::LargeInput,
        )
    });

    // A second convolution layer: 100 × 30×12×12 → 100 × 32×12×12.
    let mut second = Conv2d::<30, 32, 3, 1, 1>::normal(&mut ChaCha8Rng::seed_from_u64(2), 0.1);
    let x = images::<30, 12, 12>(100);
    let flops = product_flops(100, 32, 30 * 9, 12 * 12);
    let dy = second.predict(x.clone());
    group.throughput(Throughput::Elements(flops));
    group.bench_function("30x12x12->32x12x12/batch100/forward", |b| {
        b.iter_batched(|| x.clone(), |x| second.forward(x), BatchSize::LargeInput)
    });
    group.throughput(Throughput::Elements(3 * flops));
    group.bench_function("30x12x12->32x12x12/batch100/forward+backward", |b| {
        b.iter_batched(
            || (x.clone(), dy.clone()),
            |(x, dy)| {
                let _ = second.forward(x);
                second.backward(dy)
            },
            BatchSize::LargeInput,
        )
    });

    // Max pooling 2×2 of the first layer's output; throughput in input elements.
    let mut pool = MaxPool2d::<2>::new();
    let maps = images::<30, 24, 24>(100);
    let dy = pool.predict(maps.clone());
    group.throughput(Throughput::Elements(maps.numel() as u64));
    group.bench_function("maxpool2x2/30x24x24/batch100/forward+backward", |b| {
        b.iter_batched(
            || (maps.clone(), dy.clone()),
            |(x, dy)| {
                let _ = pool.forward(x);
                pool.backward(dy)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_step");
    let mut net = <SimpleConvNet>::seeded(3);
    let mut loss = SoftmaxWithLoss::<10>::new();
    let mut adam = Adam::new(0.001);
    let x = images::<1, 28, 28>(100);
    let t = Labels::<10>::new((0..100).map(|i| i * 7 % 10).collect()).expect("labels < 10");
    // conv: forward and dW; affine layers: forward, dW and dX.
    let flops = 2 * product_flops(100, 30, 25, 576)
        + 3 * (2 * 100 * 4320 * 100) as u64
        + 3 * (2 * 100 * 100 * 10) as u64;
    group.throughput(Throughput::Elements(flops));
    group.bench_function("simple_conv_net/batch100/adam", |b| {
        b.iter_batched(
            || x.clone(),
            |x| {
                let value = backprop(&mut net, &mut loss, x, &t).expect("batch matches");
                adam.step(&mut net);
                value
            },
            BatchSize::LargeInput,
        )
    });

    // DeepConvNet: six 3×3 convolutions (forward, dW, and dX for all but
    // the first), the two affine layers (forward, dW, dX).
    let mut deep = DeepConvNet::<f32>::default();
    deep.init(Init::He, 3);
    deep.set_mode(Mode::Train);
    let mut adam = Adam::new(0.001);
    let convs = [
        (16, 9, 28 * 28, 2),
        (16, 16 * 9, 28 * 28, 3),
        (32, 16 * 9, 14 * 14, 3),
        (32, 32 * 9, 16 * 16, 3),
        (64, 32 * 9, 8 * 8, 3),
        (64, 64 * 9, 8 * 8, 3),
    ];
    let flops = convs
        .iter()
        .map(|&(f, patch, positions, products)| products * product_flops(100, f, patch, positions))
        .sum::<u64>()
        + 3 * (2 * 100 * 1024 * 50) as u64
        + 3 * (2 * 100 * 50 * 10) as u64;
    group.throughput(Throughput::Elements(flops));
    group.bench_function("deep_conv_net/batch100/adam", |b| {
        b.iter_batched(
            || x.clone(),
            |x| {
                let value = backprop(&mut deep, &mut loss, x, &t).expect("batch matches");
                adam.step(&mut deep);
                value
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, conv, step);
criterion_main!(benches);
