//! SGEMM throughput at the shapes a training step uses, ours against the
//! `matrixmultiply` crate in the same run. Criterion's "elem/s" is FLOP/s
//! here (2·m·k·n per product).
//!
//! `cargo bench --bench gemm`; set the thread count with RAYON_NUM_THREADS
//! (and MATMUL_NUM_THREADS for the baseline) to the same value.

// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use katachi::par::{Accum, MatMut, MatRef, Par, gemm};

const SHAPES: [(usize, usize, usize); 5] = [
    (100, 784, 50),
    (100, 50, 10),
    (256, 784, 1024),
    (256, 1024, 1024),
    (1024, 1024, 1024),
];

fn operands(m: usize, k: usize, n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let a = (0..m * k)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.01)
        .collect();
    let b = (0..k * n)
        .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.01)
        .collect();
    (a, b, vec![0.0; m * n])
}

fn sgemm(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgemm");
    for (m, k, n) in SHAPES {
        let (a, b, mut out) = operands(m, k, n);
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        let id = format!("{m}x{k}x{n}");
        group.bench_with_input(BenchmarkId::new("katachi", &id), &(), |bench, ()| {
            bench.iter(|| {
                gemm(
                    MatMut::row_major(&mut out, m, n),
                    Accum::Replace,
                    MatRef::row_major(&a, m, k),
                    MatRef::row_major(&b, k, n),
                    Par::Rayon,
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("matrixmultiply", &id), &(), |bench, ()| {
            bench.iter(|| {
                // SAFETY: the pointers come from live vectors of exactly
                // m·k, k·n and m·n elements, with row-major strides that
                // stay inside them, and `out` is not aliased.
                unsafe {
                    matrixmultiply::sgemm(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_ptr(),
                        k as isize,
                        1,
                        b.as_ptr(),
                        n as isize,
                        1,
                        0.0,
                        out.as_mut_ptr(),
                        n as isize,
                        1,
                    )
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sgemm);
criterion_main!(benches);
