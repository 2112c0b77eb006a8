//! SGEMM throughput at the shapes a training step uses, ours against the
//! `matrixmultiply` crate and the `gemm` crate (with its AVX-512 kernels,
//! feature `x86-v4`) in the same run. Criterion's "elem/s" is FLOP/s here
//! (2·m·k·n per product).
//!
//! `cargo bench --bench gemm`; set the thread count with RAYON_NUM_THREADS
//! (and MATMUL_NUM_THREADS for matrixmultiply) to the same value; `gemm`
//! runs on the rayon pool's threads.

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
    let threads = rayon::current_num_threads();
    let parallelism = match threads {
        1 => gemm::Parallelism::None,
        n => gemm::Parallelism::Rayon(n),
    };
    for (m, k, n) in SHAPES {
        let (a, b, mut out) = operands(m, k, n);
        let ours = |out: &mut [f32]| {
            gemm(
                MatMut::row_major(out, m, n),
                Accum::Replace,
                MatRef::row_major(&a, m, k),
                MatRef::row_major(&b, k, n),
                Par::Rayon,
            )
        };
        let matrixmultiply = |out: &mut [f32]| {
            assert_eq!((a.len(), b.len(), out.len()), (m * k, k * n, m * n));
            // SAFETY: the pointers come from live slices of exactly m·k,
            // k·n and m·n elements (checked above), with row-major strides
            // that stay inside them, and `out` is not aliased.
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
        };
        let gemm_crate = |out: &mut [f32]| {
            assert_eq!((a.len(), b.len(), out.len()), (m * k, k * n, m * n));
            // SAFETY: as for matrixmultiply: live slices of m·k, k·n and
            // m·n elements, row-major strides (column stride 1) inside
            // them, `out` not aliased; `read_dst = false` overwrites it.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    out.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    a.as_ptr(),
                    1,
                    k as isize,
                    b.as_ptr(),
                    1,
                    n as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    parallelism,
                )
            }
        };
        // Every baseline computes the same product: checked once, untimed.
        let id = format!("{m}x{k}x{n}");
        let mut reference = vec![0.0; m * n];
        ours(&mut reference);
        for (name, run) in [
            ("matrixmultiply", &matrixmultiply as &dyn Fn(&mut [f32])),
            ("gemm", &gemm_crate),
        ] {
            let mut got = vec![0.0; m * n];
            run(&mut got);
            let worst = (reference.iter().zip(&got)).fold(0.0f32, |w, (x, y)| w.max((x - y).abs()));
            assert!(
                worst < 1e-4,
                "{name} {id}: differs from katachi's by {worst}"
            );
        }
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_with_input(BenchmarkId::new("katachi", &id), &(), |bench, ()| {
            bench.iter(|| ours(&mut out))
        });
        group.bench_with_input(BenchmarkId::new("matrixmultiply", &id), &(), |bench, ()| {
            bench.iter(|| matrixmultiply(&mut out))
        });
        group.bench_with_input(BenchmarkId::new("gemm", &id), &(), |bench, ()| {
            bench.iter(|| gemm_crate(&mut out))
        });
    }
    group.finish();
}

criterion_group!(benches, sgemm);
criterion_main!(benches);
