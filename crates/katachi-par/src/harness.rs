//! The correctness harness: every kernel, through the packed loops, against
//! a naive reference, over awkward shapes, strides, transposes, write-back
//! modes and thread counts.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::gemm::kernel::{self, MicroKernel};
use crate::gemm::{Blocking, Product, gemm_packed_with, gemm_with_bias};
use crate::{Accum, Float, MatMut, MatRef, Par};

/// Extents that hit every edge: 1, 2, below and above each tile size, the
/// book net's 784, and 127 (prime-ish, one below a power of two).
const EXTENTS: [usize; 8] = [1, 2, 7, 17, 33, 100, 127, 784];

/// `out[i, j] = Σ_p lhs[i, p] · rhs[p, j]` in f64, the obvious way.
fn naive<E: Float>(lhs: &MatRef<'_, E>, rhs: &MatRef<'_, E>) -> Vec<f64> {
    let mut out = vec![0.0; lhs.rows() * rhs.cols()];
    for i in 0..lhs.rows() {
        for j in 0..rhs.cols() {
            out[i * rhs.cols() + j] = (0..lhs.cols())
                .map(|p| lhs.at(i, p).to_f64() * rhs.at(p, j).to_f64())
                .sum();
        }
    }
    out
}

fn random<E: Float>(rng: &mut ChaCha8Rng, len: usize) -> Vec<E> {
    (0..len)
        .map(|_| E::from_f64(rng.random_range(-1.0..1.0)))
        .collect()
}

/// An `m × k` view of a fresh buffer: row-major, transposed, or with padded
/// rows (row stride larger than the width).
fn operand<E: Float>(data: &[E], rows: usize, cols: usize, layout: usize) -> MatRef<'_, E> {
    match layout {
        0 => MatRef::row_major(&data[..rows * cols], rows, cols),
        1 => MatRef::row_major(&data[..rows * cols], cols, rows).t(),
        _ => MatRef::strided(data, rows, cols, cols + 3, 1),
    }
}

/// Tolerance for a sum of `k` products of numbers in [-1, 1].
fn tolerance<E: Float>(k: usize) -> f64 {
    let eps = if E::NAME == "f32" { 1.2e-7 } else { 2.3e-16 };
    4.0 * eps * (k.max(1) as f64).sqrt() * 8.0
}

/// The blockings every kernel runs under: the real one, A always read in
/// place, A always packed, and tiny blocks that cut even small shapes into
/// many depth and column blocks.
fn blockings(real: Blocking) -> [Blocking; 4] {
    [
        real,
        Blocking {
            direct_a_max_n: usize::MAX,
            ..real
        },
        Blocking {
            direct_a_max_n: 0,
            ..real
        },
        Blocking {
            kc: 16,
            mc: 12,
            nc: 48,
            direct_a_max_n: 40,
        },
    ]
}

fn check_kernel<E: Float>(kernel: &MicroKernel<E>, real: Blocking, seed: u64) {
    for blocking in blockings(real) {
        check_kernel_blocking(kernel, blocking, seed);
    }
}

fn check_kernel_blocking<E: Float>(kernel: &MicroKernel<E>, blocking: Blocking, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (case, _) in (0..40).enumerate() {
        let m = EXTENTS[rng.random_range(0..EXTENTS.len())];
        let n = EXTENTS[rng.random_range(0..EXTENTS.len())];
        let k = EXTENTS[rng.random_range(0..EXTENTS.len())].min(300);
        let a = random::<E>(&mut rng, (m + 3) * (k + 3));
        let b = random::<E>(&mut rng, (k + 3) * (n + 3));
        let bias = random::<E>(&mut rng, n);
        let (la, lb) = (case % 3, (case / 3) % 3);
        let lhs = operand(&a, m, k, la);
        let rhs = operand(&b, k, n, lb);
        let want = naive(&lhs, &rhs);
        for mode in 0..3 {
            let start = random::<E>(&mut rng, m * (n + 2));
            let mut c = start.clone();
            let (accum, with_bias) = [
                (Accum::Replace, false),
                (Accum::Add, false),
                (Accum::Replace, true),
            ][mode];
            let dst = MatMut::with_row_stride(&mut c, m, n, n + 2);
            let row_bias = with_bias.then_some(&bias[..]);
            gemm_packed_with(
                kernel,
                blocking,
                Product {
                    dst,
                    accum,
                    bias: row_bias,
                    lhs,
                    rhs,
                },
                Par::Rayon,
            );
            for i in 0..m {
                for j in 0..n + 2 {
                    let got = c[i * (n + 2) + j].to_f64();
                    if j >= n {
                        assert_eq!(
                            got,
                            start[i * (n + 2) + j].to_f64(),
                            "padding touched at ({i}, {j})"
                        );
                        continue;
                    }
                    let mut expect = want[i * n + j];
                    if accum == Accum::Add {
                        expect += start[i * (n + 2) + j].to_f64();
                    }
                    if with_bias {
                        expect += bias[j].to_f64();
                    }
                    let tol = tolerance::<E>(k) * (1.0 + expect.abs());
                    assert!(
                        (got - expect).abs() <= tol,
                        "{} {} {blocking:?}: {m}×{k}×{n} layouts ({la}, {lb}) mode {mode}: ({i}, {j}) = {got}, want {expect}",
                        kernel.name,
                        E::NAME
                    );
                }
            }
        }
    }
}

#[test]
fn every_f32_kernel_matches_the_reference() {
    for kernel in kernel::available_f32() {
        check_kernel(kernel, crate::gemm::BLOCKING_F32, 1);
    }
}

#[test]
fn every_f64_kernel_matches_the_reference() {
    for kernel in kernel::available_f64() {
        check_kernel(kernel, crate::gemm::BLOCKING_F64, 2);
    }
}

#[test]
fn every_kernel_computes_a_tile_like_the_naive_sum() {
    fn check<E: Float>(kernels: Vec<&'static MicroKernel<E>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for kernel in kernels {
            let (mr, nr, k) = (kernel.mr, kernel.nr, 37);
            let a = random::<E>(&mut rng, mr * k);
            let b = random::<E>(&mut rng, nr * k);
            let mut c = vec![E::ZERO; mr * nr];
            (kernel.run)(
                k,
                kernel::APanel::packed(&a, mr),
                &b,
                &mut c,
                nr,
                kernel::WriteBack::Replace,
            );
            for i in 0..mr {
                for j in 0..nr {
                    let want: f64 = (0..k)
                        .map(|p| a[p * mr + i].to_f64() * b[p * nr + j].to_f64())
                        .sum();
                    let got = c[i * nr + j].to_f64();
                    assert!(
                        (got - want).abs() <= tolerance::<E>(k) * (1.0 + want.abs()),
                        "{} {}: ({i}, {j})",
                        kernel.name,
                        E::NAME
                    );
                }
            }
        }
    }
    check::<f32>(kernel::available_f32());
    check::<f64>(kernel::available_f64());
}

#[test]
fn every_kernel_gives_the_same_bits() {
    // NR only decides which columns a tile holds, not how any element is
    // summed: every FMA kernel must agree with the others bit for bit.
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (m, k, n) = (37, 300, 70);
    let a = random::<f32>(&mut rng, m * k);
    let b = random::<f32>(&mut rng, k * n);
    let results: Vec<Vec<f32>> = kernel::available_f32()
        .into_iter()
        .filter(|kernel| kernel.name != "portable")
        .map(|kernel| {
            let mut c = vec![0.0; m * n];
            let dst = MatMut::row_major(&mut c, m, n);
            let (lhs, rhs) = (MatRef::row_major(&a, m, k), MatRef::row_major(&b, k, n));
            let product = Product {
                dst,
                accum: Accum::Replace,
                bias: None,
                lhs,
                rhs,
            };
            gemm_packed_with(kernel, crate::gemm::BLOCKING_F32, product, Par::Seq);
            c
        })
        .collect();
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "SIMD kernels disagree"
    );
}

#[test]
fn half_kernels_equal_the_left_half_of_full_ones_bit_for_bit() {
    fn check<E: Float>(kernels: Vec<&'static MicroKernel<E>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for kernel in kernels {
            let (mr, nr, k) = (kernel.mr, kernel.nr, 29);
            let a = random::<E>(&mut rng, mr * k);
            let b = random::<E>(&mut rng, nr * k);
            let panel = kernel::APanel::packed(&a, mr);
            let mut full = vec![E::ZERO; mr * nr];
            let mut half = vec![E::ONE; mr * nr];
            (kernel.run)(k, panel, &b, &mut full, nr, kernel::WriteBack::Replace);
            (kernel.half)(k, panel, &b, &mut half, nr, kernel::WriteBack::Replace);
            for i in 0..mr {
                assert!(
                    full[i * nr..i * nr + nr / 2] == half[i * nr..i * nr + nr / 2],
                    "{}",
                    kernel.name
                );
                assert!(
                    half[i * nr + nr / 2..(i + 1) * nr]
                        .iter()
                        .all(|&v| v == E::ONE),
                    "{} wrote past half",
                    kernel.name
                );
            }
        }
    }
    check::<f32>(kernel::available_f32());
    check::<f64>(kernel::available_f64());
}

/// The product at several thread counts, bit for bit.
fn same_bits_on_any_pool<E: Float>(m: usize, k: usize, n: usize, transposed: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64((m * 31 + k * 7 + n) as u64);
    let a = random::<E>(&mut rng, m * k);
    let b = random::<E>(&mut rng, k * n);
    let bias = random::<E>(&mut rng, n);
    let run = |threads: usize| {
        crate::par::on_pool(threads, || {
            let mut c = vec![E::ZERO; m * n];
            let lhs = if transposed {
                MatRef::row_major(&a, k, m).t()
            } else {
                MatRef::row_major(&a, m, k)
            };
            gemm_with_bias(
                MatMut::row_major(&mut c, m, n),
                Accum::Replace,
                Some(&bias),
                lhs,
                MatRef::row_major(&b, k, n),
                Par::Rayon,
            );
            c
        })
    };
    let one = run(1);
    for threads in [2, 3, 8] {
        assert!(
            run(threads) == one,
            "{m}×{k}×{n} {}: {threads} threads differ from 1",
            E::NAME
        );
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    same_bits_on_any_pool::<f32>(100, 784, 50, false);
    same_bits_on_any_pool::<f32>(784, 100, 50, true);
    same_bits_on_any_pool::<f32>(300, 600, 130, false);
    same_bits_on_any_pool::<f64>(127, 300, 33, true);
}

#[test]
fn blocking_is_consistent_with_the_kernels() {
    for (blocking, mr, nr) in [
        (crate::gemm::BLOCKING_F32, 6, 16),
        (crate::gemm::BLOCKING_F64, 6, 8),
    ] {
        let Blocking { mc, nc, kc, .. } = blocking;
        assert_eq!(mc % mr, 0);
        assert_eq!(nc % nr, 0);
        assert!(kc > 0);
    }
}
