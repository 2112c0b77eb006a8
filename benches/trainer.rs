//! What the trainer costs per step over the loop it replaces: three epochs
//! of the book net (784-50-10, SGD, batch 100, 6 000 samples: 180 steps)
//! run by hand — shuffled batches gathered, `backprop`, `step` — and by
//! `Trainer::fit` with nothing shown or written. The ratio of the two
//! medians is the overhead (goal: under 2 %). The trainer also checks every
//! sample for NaN and infinity, once per run, which the bare loop does not.

// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use katachi::models::TwoLayerNet;
use katachi::prelude::*;
use katachi::train::{Batches, Progress, Trainer, gather_rows};

const SAMPLES: usize = 6000;
const BATCH: usize = 100;
const EPOCHS: usize = 3;

fn data() -> (Tensor<Batch<784>>, Labels<10>) {
    let x = Tensor::from_fn((SAMPLES, Const), |i| {
        ((i[0] * 31 + i[1] * 7) % 17) as f32 / 17.0
    });
    let labels = Labels::new((0..SAMPLES).map(|i| i * 3 % 10).collect()).expect("labels < 10");
    (x, labels)
}

fn epoch(c: &mut Criterion) {
    let mut group = c.benchmark_group("trainer_run");
    let (x, t) = data();
    let data = (x.clone(), t.clone());
    let mut net = <TwoLayerNet>::seeded(42);

    let mut seed = 0;
    group.bench_function("bare_loop", |b| {
        b.iter(|| {
            let (mut loss, mut opt) = (SoftmaxWithLoss::<10>::new(), Sgd::new(0.01));
            seed += 1;
            let mut batches = Batches::new(SAMPLES, BATCH, seed);
            let mut total = 0.0;
            for _ in 0..EPOCHS {
                for rows in batches.epoch() {
                    let labels = Labels::new(rows.iter().map(|&r| t.as_slice()[r]).collect())
                        .expect("labels < 10");
                    total += backprop(&mut net, &mut loss, gather_rows(&x, rows), &labels)
                        .expect("batch matches");
                    opt.step(&mut net);
                }
            }
            total
        })
    });

    group.bench_function("trainer", |b| {
        b.iter(|| {
            seed += 1;
            Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.01))
                .epochs(EPOCHS)
                .batch(BATCH)
                .seed(seed)
                .progress(Progress::Off)
                .fit(&data)
                .expect("the run is valid")
        })
    });
    group.finish();
}

criterion_group!(benches, epoch);
criterion_main!(benches);
