//! Affine layer forward + backward, and the fused softmax-with-loss, at the
//! book net's shapes. Throughput counts FLOPs (2·m·k·n per product) for the
//! affine layer and logits per second for softmax-with-loss.

// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use katachi::prelude::*;

fn batch<const N: usize>(rows: usize) -> Tensor<Batch<N>> {
    Tensor::from_fn((rows, Const), |i| {
        ((i[0] * 31 + i[1] * 7) % 17) as f32 / 17.0 - 0.5
    })
}

fn affine(c: &mut Criterion) {
    let mut group = c.benchmark_group("affine");
    let mut layer = Affine::<784, 50>::seeded_like();
    let x = batch::<784>(100);
    let dy = batch::<50>(100);
    // forward (Y = XW + b), dW = XᵀdY, dX = dYWᵀ
    group.throughput(Throughput::Elements(3 * 2 * 100 * 784 * 50));
    group.bench_function("784x50/batch100/forward+backward", |b| {
        b.iter_batched(
            || (x.clone(), dy.clone()),
            |(x, dy)| {
                let _ = layer.forward(x);
                let dx: Tensor<Batch<784>> = layer.backward(dy);
                dx
            },
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(2 * 2 * 100 * 784 * 50));
    group.bench_function("784x50/batch100/forward+backward_params", |b| {
        b.iter_batched(
            || (x.clone(), dy.clone()),
            |(x, dy)| {
                let _ = layer.forward(x);
                Layer::<Tensor<Batch<784>>>::backward_params(&mut layer, dy)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn softmax_with_loss(c: &mut Criterion) {
    let mut group = c.benchmark_group("softmax_with_loss");
    let mut loss = SoftmaxWithLoss::<10>::new();
    let labels = Labels::<10>::new((0..256).map(|i| i % 10).collect()).expect("labels < 10");
    for rows in [100, 256] {
        let x = batch::<10>(rows);
        let t = Labels::<10>::new(labels.as_slice()[..rows].to_vec()).expect("labels < 10");
        group.throughput(Throughput::Elements((rows * 10) as u64));
        group.bench_function(format!("10_classes/batch{rows}/forward+backward"), |b| {
            b.iter_batched(
                || x.clone(),
                |x| {
                    let value = loss.forward(x, &t).expect("batch matches");
                    let dx: Tensor<Batch<10>> = loss.backward();
                    (value, dx)
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// A layer with the book's default initialisation, for benches.
trait SeededLike {
    fn seeded_like() -> Self;
}

impl<const I: usize, const O: usize> SeededLike for Affine<I, O> {
    fn seeded_like() -> Self {
        let mut layer = Self::zeros();
        layer.init(Init::default(), 7);
        layer
    }
}

criterion_group!(benches, affine, softmax_with_loss);
criterion_main!(benches);
