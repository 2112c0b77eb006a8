//! Single tiles: each kernel against the naive sum, and each kernel's half,
//! quarter and short twin against the full tile they stand in for.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{random, tolerance};
use crate::element::Element;
use crate::gemm::kernel::{self, MicroKernel};

#[test]
fn every_kernel_computes_a_tile_like_the_naive_sum() {
    fn check<E: Element>(kernels: Vec<&'static MicroKernel<E>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for kernel in kernels {
            let (mr, nr, k) = (kernel.mr, kernel.nr, 37);
            let a = random::<E>(&mut rng, mr * k);
            let b = random::<E>(&mut rng, nr * k);
            let mut c = vec![E::ZERO; mr * nr];
            (kernel.run)(
                k,
                kernel::APanel::packed(&a, mr),
                kernel::BPanel::packed(&b, nr),
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

/// One tile of `kernel`'s `run` and of `other` (its half, its quarter or
/// its short twin) from the same random packed panels, `k` deep: `(run's tile,
/// other's tile)`, the second starting all ones so a write past what
/// `other` computes shows.
fn two_tiles<E: Element>(
    rng: &mut ChaCha8Rng,
    kernel: &MicroKernel<E>,
    other: kernel::KernelFn<E>,
    k: usize,
) -> (Vec<E>, Vec<E>) {
    let (mr, nr) = (kernel.mr, kernel.nr);
    let a = random::<E>(rng, mr * k);
    let b = random::<E>(rng, nr * k);
    let panel = kernel::APanel::packed(&a, mr);
    let mut full = vec![E::ZERO; mr * nr];
    let mut part = vec![E::ONE; mr * nr];
    let bpanel = kernel::BPanel::packed(&b, nr);
    (kernel.run)(k, panel, bpanel, &mut full, nr, kernel::WriteBack::Replace);
    other(k, panel, bpanel, &mut part, nr, kernel::WriteBack::Replace);
    (full, part)
}

#[test]
fn half_and_quarter_kernels_equal_the_left_of_full_ones_bit_for_bit() {
    fn check<E: Element>(kernels: Vec<&'static MicroKernel<E>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for kernel in kernels {
            let (mr, nr) = (kernel.mr, kernel.nr);
            for (part, width) in [(kernel.half, nr / 2), (kernel.quarter, nr / 4)] {
                let (full, left) = two_tiles(&mut rng, kernel, part, 29);
                for i in 0..mr {
                    assert!(
                        full[i * nr..i * nr + width] == left[i * nr..i * nr + width],
                        "{}: the left {width} columns",
                        kernel.name
                    );
                    assert!(
                        left[i * nr + width..(i + 1) * nr]
                            .iter()
                            .all(|&v| v == E::ONE),
                        "{} wrote past {width} columns",
                        kernel.name
                    );
                }
            }
        }
    }
    check::<f32>(kernel::available_f32());
    check::<f64>(kernel::available_f64());
}

#[test]
fn short_twins_equal_the_top_rows_of_the_tall_kernel_bit_for_bit() {
    fn check<E: Element>(kernels: Vec<&'static MicroKernel<E>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for kernel in kernels {
            // Every 12-row kernel (the AVX-512 ones, and the test-only AVX2
            // one wherever AVX2 runs) hands its tails to a twin.
            assert!(
                kernel.mr < 12 || kernel.short.is_some(),
                "{kernel:?} has no short twin"
            );
            let Some(short) = kernel.short else { continue };
            assert!(
                short.nr == kernel.nr && short.mr < kernel.mr,
                "{kernel:?}: its short twin {short:?} must be as wide and shorter"
            );
            // The short kernel reads the tall one's packed panel through
            // its strides, as the loops do for a ragged tail.
            let (tall, top) = two_tiles(&mut rng, kernel, short.run, 37);
            let rows = short.mr * kernel.nr;
            assert!(tall[..rows] == top[..rows], "{kernel:?} vs {short:?}");
            assert!(
                top[rows..].iter().all(|&v| v == E::ONE),
                "{short:?} wrote past its rows"
            );
        }
    }
    check::<f32>(kernel::available_f32());
    check::<f64>(kernel::available_f64());
}

#[test]
fn kernels_read_b_through_its_row_stride_bit_for_bit() {
    fn check<E: Element>(kernels: Vec<&'static MicroKernel<E>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        for kernel in kernels {
            let (mr, nr, k) = (kernel.mr, kernel.nr, 23);
            // The panel as rows of a wider matrix (stride nr + 5), with
            // other values between them, and the same panel packed.
            let stride = nr + 5;
            let wide = random::<E>(&mut rng, k * stride);
            let packed: Vec<E> = (0..k)
                .flat_map(|p| wide[p * stride..p * stride + nr].to_vec())
                .collect();
            let a = random::<E>(&mut rng, mr * k);
            let panel = kernel::APanel::packed(&a, mr);
            let mut from_packed = vec![E::ZERO; mr * nr];
            let mut in_place = vec![E::ONE; mr * nr];
            let packed = kernel::BPanel::packed(&packed, nr);
            let strided = kernel::BPanel {
                data: &wide[..(k - 1) * stride + nr],
                rs: stride,
            };
            for (b, c) in [(packed, &mut from_packed), (strided, &mut in_place)] {
                (kernel.run)(k, panel, b, c, nr, kernel::WriteBack::Replace);
            }
            assert!(from_packed == in_place, "{kernel:?}");
        }
    }
    check::<f32>(kernel::available_f32());
    check::<f64>(kernel::available_f64());
}
