//! A whole training step (forward, loss, backward, SGD update) of the book
//! net (784-50-10, batch 100) and of a wide net (784-1024-1024-10, batch
//! 256). Throughput counts the step's FLOPs the way the NumPy baseline does:
//! 2·m·k·n for every product of forward and backward, without the first
//! layer's input gradient (nobody needs it, and katachi skips it).

// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use katachi::prelude::*;

#[derive(Network, Default)]
struct BookNet {
    affine1: Affine<784, 50>,
    relu1: Relu,
    affine2: Affine<50, 10>,
}

#[derive(Network, Default)]
struct WideNet {
    affine1: Affine<784, 1024>,
    relu1: Relu,
    affine2: Affine<1024, 1024>,
    relu2: Relu,
    affine3: Affine<1024, 10>,
}

/// FLOPs of one step for layer sizes `sizes` and a batch, as in the
/// baseline: forward and dW for every layer, dX for all but the first.
fn step_flops(sizes: &[usize], batch: usize) -> u64 {
    let layers = sizes.windows(2).enumerate();
    layers
        .map(|(i, w)| 2 * batch * w[0] * w[1] * if i == 0 { 2 } else { 3 })
        .sum::<usize>() as u64
}

fn sgd<N: Parameters<Elem = f32>>(net: &mut N, lr: f32) {
    net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        for (v, g) in p.value.iter_mut().zip(p.grad.iter()) {
            *v -= lr * g;
        }
    });
}

fn inputs(batch: usize) -> (Tensor<Batch<784>>, Labels<10>) {
    let x = Tensor::from_fn((batch, Const), |i| {
        ((i[0] * 31 + i[1] * 7) % 17) as f32 / 17.0
    });
    (
        x,
        Labels::new((0..batch).map(|i| i * 3 % 10).collect()).expect("labels < 10"),
    )
}

fn step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_step");

    let mut book = BookNet::seeded(42);
    let mut loss = SoftmaxWithLoss::<10>::new();
    let (x, t) = inputs(100);
    group.throughput(Throughput::Elements(step_flops(&[784, 50, 10], 100)));
    group.bench_function("book_784-50-10/batch100", |b| {
        b.iter_batched(
            || x.clone(),
            |x| {
                let value = backprop(&mut book, &mut loss, x, &t).expect("batch matches");
                sgd(&mut book, 0.1);
                value
            },
            BatchSize::SmallInput,
        )
    });

    let mut wide = WideNet::seeded(42);
    let (x, t) = inputs(256);
    group.throughput(Throughput::Elements(step_flops(
        &[784, 1024, 1024, 10],
        256,
    )));
    group.bench_function("wide_784-1024-1024-10/batch256", |b| {
        b.iter_batched(
            || x.clone(),
            |x| {
                let value = backprop(&mut wide, &mut loss, x, &t).expect("batch matches");
                sgd(&mut wide, 0.1);
                value
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
