//! The correctness harness: every kernel, through the packed loops, against
//! a naive reference, over awkward shapes, strides, transposes, write-back
//! modes and thread counts.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::element::Element;
use crate::gemm::Accum;
use crate::gemm::kernel::{self, MicroKernel};
use crate::gemm::{Blocking, Product, gemm_packed_with, gemm_with_bias};
use crate::matrix::{MatMut, MatRef};
use crate::par::Par;

mod tiles;
mod transposes;

/// Extents that hit every edge: 1, 2, below and above each tile size, the
/// book net's 50 and 784, and 127 (prime-ish, one below a power of two).
/// As the last columns of a product they reach every part of a kernel:
/// its quarter, half, half and quarter, and whole.
const EXTENTS: [usize; 9] = [1, 2, 7, 17, 33, 50, 100, 127, 784];

/// `out[i, j] = Σ_p lhs[i, p] · rhs[p, j]` in f64, the obvious way.
fn naive<E: Element>(lhs: &MatRef<'_, E>, rhs: &MatRef<'_, E>) -> Vec<f64> {
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

fn random<E: Element>(rng: &mut ChaCha8Rng, len: usize) -> Vec<E> {
    (0..len)
        .map(|_| E::from_f64(rng.random_range(-1.0..1.0)))
        .collect()
}

/// An `m × k` view of a fresh buffer: row-major, transposed, or with padded
/// rows (row stride larger than the width).
fn operand<E: Element>(data: &[E], rows: usize, cols: usize, layout: usize) -> MatRef<'_, E> {
    match layout {
        0 => MatRef::row_major(&data[..rows * cols], rows, cols),
        1 => MatRef::row_major(&data[..rows * cols], cols, rows).t(),
        _ => MatRef::strided(data, rows, cols, cols + 3, 1),
    }
}

/// Tolerance for a sum of `k` products of numbers in [-1, 1].
fn tolerance<E: Element>(k: usize) -> f64 {
    let eps = E::EPSILON;
    4.0 * eps * (k.max(1) as f64).sqrt() * 8.0
}

/// The blockings every kernel runs under: the real one, A always read in
/// place and B always packed, A always packed and B always read in place
/// (where its rows are contiguous), and tiny blocks that cut even small
/// shapes into many depth and column blocks.
fn blockings(real: Blocking) -> [Blocking; 4] {
    [
        real,
        Blocking {
            direct_a_max_n: usize::MAX,
            direct_b_max_m: 0,
            split_ragged_panel: !real.split_ragged_panel,
            ..real
        },
        Blocking {
            direct_a_max_n: 0,
            direct_b_max_m: usize::MAX,
            ..real
        },
        Blocking {
            kc: 16,
            mc: 12,
            nc: 48,
            direct_a_max_n: 40,
            direct_b_max_m: 40,
            split_ragged_panel: !real.split_ragged_panel,
        },
    ]
}

/// The blocking a product with `kernel` runs under on this CPU.
fn blocking_for<E: Element>(kernel: &MicroKernel<E>) -> Blocking {
    Blocking::for_kernel(
        kernel.mr,
        kernel.nr,
        size_of::<E>(),
        crate::caches::cache_sizes(),
    )
}

fn check_kernel<E: Element>(kernel: &MicroKernel<E>, real: Blocking, seed: u64) {
    for blocking in blockings(real) {
        check_kernel_blocking(kernel, blocking, seed);
    }
}

fn check_kernel_blocking<E: Element>(kernel: &MicroKernel<E>, blocking: Blocking, seed: u64) {
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
        check_kernel(kernel, blocking_for(kernel), 1);
    }
}

#[test]
fn every_f64_kernel_matches_the_reference() {
    for kernel in kernel::available_f64() {
        check_kernel(kernel, blocking_for(kernel), 2);
    }
}

/// Fails when `KATACHI_REQUIRE_KERNEL` names a kernel ("avx512", "avx2",
/// "portable") that is not among `ran`: on a machine that should have
/// AVX-512, a test run that fell back to AVX2 then fails instead of
/// passing on the fallback.
fn require_kernel_among(ran: &[&str]) {
    if let Ok(want) = std::env::var("KATACHI_REQUIRE_KERNEL") {
        assert!(
            ran.iter().any(|name| name.starts_with(want.as_str())),
            "KATACHI_REQUIRE_KERNEL={want}, but the kernels that ran are {ran:?}"
        );
    }
}

/// Every kernel the CPU has, the portable one included, on one product.
fn same_bits_on_every_kernel<E: Element>(
    kernels: Vec<&'static MicroKernel<E>>,
    blocking: Blocking,
) {
    // NR only decides which columns a tile holds, not how any element is
    // summed, and every kernel fuses its multiply-adds: all must agree bit
    // for bit, so a result is the same on every CPU.
    // The widths leave every ragged last panel shape on some kernel: 70 is
    // a quarter of a 32-wide panel, a half of 16 and a half and a quarter
    // of 8; 50 a half and a quarter of 32; 43 a half and a quarter of 16.
    // Each with a half and a quarter computed apart and as one panel.
    for n in [70, 50, 43] {
        for split_ragged_panel in [false, true] {
            let blocking = Blocking {
                split_ragged_panel,
                ..blocking
            };
            same_bits_for_width(&kernels, blocking, n);
        }
    }
    let names: Vec<&str> = kernels.iter().map(|kernel| kernel.name).collect();
    require_kernel_among(&names);
}

/// [`same_bits_on_every_kernel`] for a product `n` wide.
fn same_bits_for_width<E: Element>(
    kernels: &[&'static MicroKernel<E>],
    blocking: Blocking,
    n: usize,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (m, k) = (37, 300);
    let a = random::<E>(&mut rng, m * k);
    let b = random::<E>(&mut rng, k * n);
    let run = |kernel: &MicroKernel<E>, blocking: Blocking| {
        let mut c = vec![E::ZERO; m * n];
        let product = Product {
            dst: MatMut::row_major(&mut c, m, n),
            accum: Accum::Replace,
            bias: None,
            lhs: MatRef::row_major(&a, m, k),
            rhs: MatRef::row_major(&b, k, n),
        };
        gemm_packed_with(kernel, blocking, product, Par::Seq);
        c
    };
    // The reference computes every ragged panel whole.
    let whole = Blocking {
        split_ragged_panel: false,
        ..blocking
    };
    let reference = run(kernel::portable(kernels), whole);
    for kernel in kernels {
        assert!(
            run(kernel, blocking) == reference,
            "{kernel:?} under {blocking:?} disagrees with the portable kernel, {m}×{k}×{n}"
        );
    }
}

#[test]
fn every_kernel_gives_the_same_bits() {
    same_bits_on_every_kernel(kernel::available_f32(), crate::gemm::blocking::<f32>());
    same_bits_on_every_kernel(kernel::available_f64(), crate::gemm::blocking::<f64>());
}

#[test]
fn the_required_kernel_is_the_one_chosen() {
    // The best kernel is the one every product runs (see `best_f32`).
    require_kernel_among(&[kernel::best_f32().name]);
    require_kernel_among(&[kernel::best_f64().name]);
}

/// The product at several thread counts, bit for bit.
fn same_bits_on_any_pool<E: Element>(m: usize, k: usize, n: usize, transposed: bool) {
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
    // A B~ large enough to share: tall row blocks pack their own blocks of
    // it on 2 and 3 threads, 8 threads share one packed copy.
    same_bits_on_any_pool::<f32>(300, 700, 260, false);
    same_bits_on_any_pool::<f64>(127, 300, 33, true);
}

#[test]
fn blocking_is_consistent_with_the_kernels() {
    fn check<E: Element>(kernels: Vec<&'static MicroKernel<E>>) {
        for kernel in kernels {
            let Blocking { mc, nc, kc, .. } = blocking_for(kernel);
            assert_eq!(kc, crate::gemm::DEPTH, "{kernel:?}: KC = {kc}");
            assert_eq!(mc % kernel.mr, 0, "{kernel:?}: MC = {mc}");
            assert_eq!(nc % kernel.nr, 0, "{kernel:?}: NC = {nc}");
        }
    }
    check(kernel::available_f32());
    check(kernel::available_f64());
}
