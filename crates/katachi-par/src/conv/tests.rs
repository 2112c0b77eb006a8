//! Convolution against a direct definition, on any number of threads.

use super::backward::lane_sum;
use super::*;
use crate::par::Par;
use crate::par::on_pool;
use rand::{Rng, SeedableRng};

fn random(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn dims(stride: usize, padding: usize) -> ConvDims {
    ConvDims {
        batch: 11,
        channels: 3,
        height: 7,
        width: 6,
        filters: 4,
        kernel: 3,
        stride,
        padding,
    }
}

/// The convolution straight from its definition.
fn direct(x: &[f64], w: &[f64], b: &[f64], d: &ConvDims) -> Vec<f64> {
    let (oh, ow) = (d.out_height(), d.out_width());
    let mut y = vec![0.0; d.batch * d.filters * oh * ow];
    for n in 0..d.batch {
        for f in 0..d.filters {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut sum = b[f];
                    for c in 0..d.channels {
                        for i in 0..d.kernel {
                            for j in 0..d.kernel {
                                let (iy, ix) = (oy * d.stride + i, ox * d.stride + j);
                                if iy < d.padding || ix < d.padding {
                                    continue;
                                }
                                let (iy, ix) = (iy - d.padding, ix - d.padding);
                                if iy >= d.height || ix >= d.width {
                                    continue;
                                }
                                let xi = ((n * d.channels + c) * d.height + iy) * d.width + ix;
                                let wi = ((f * d.channels + c) * d.kernel + i) * d.kernel + j;
                                sum += x[xi] * w[wi];
                            }
                        }
                    }
                    y[((n * d.filters + f) * oh + oy) * ow + ox] = sum;
                }
            }
        }
    }
    y
}

#[test]
fn forward_matches_the_definition_with_stride_and_padding() {
    for (stride, padding) in [(1, 0), (1, 1), (2, 0), (2, 2), (3, 1), (1, 3), (2, 3)] {
        let d = dims(stride, padding);
        let x = random(d.batch * d.image_len(), 1);
        let w = random(d.filters * d.patch(), 2);
        let b = random(d.filters, 3);
        let mut y = vec![0.0; d.batch * d.filters * d.positions()];
        forward(&x, &w, &b, &mut y, &d, Par::Seq);
        for (got, want) in y.iter().zip(direct(&x, &w, &b, &d)) {
            assert!(
                (got - want).abs() < 1e-12,
                "stride {stride} padding {padding}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn deep_patches_and_many_filters_match_the_definition() {
    // A patch of 32·9 = 288 is two depth blocks (the bias goes in before
    // the second); 9 filters read the im2col matrix in place, 40 pack it;
    // 13×11 positions leave a ragged last panel of columns.
    for filters in [9, 40] {
        let d = ConvDims {
            batch: 3,
            channels: 32,
            height: 13,
            width: 11,
            filters,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        let x = random(d.batch * d.image_len(), 4);
        let w = random(d.filters * d.patch(), 5);
        let b = random(d.filters, 6);
        let mut y = vec![0.0; d.batch * d.filters * d.positions()];
        forward(&x, &w, &b, &mut y, &d, Par::Seq);
        for (got, want) in y.iter().zip(direct(&x, &w, &b, &d)) {
            assert!(
                (got - want).abs() < 1e-12,
                "{filters} filters: {got} vs {want}"
            );
        }
    }
}

#[test]
fn lane_sums_add_every_element() {
    for n in [0, 1, 7, 8, 9, 15, 16, 17, 100, 577] {
        let v: Vec<f64> = (1..=n).map(f64::from).collect();
        assert_eq!(lane_sum(&v), f64::from(n * (n + 1) / 2), "n = {n}");
    }
}

/// im2col against its definition, element by element, with the "same"
/// padding of odd kernels (the shifted-plane path) and without.
#[test]
fn im2col_matches_its_definition() {
    // Widths whose output lines are shorter than a copy block, a few
    // blocks with a ragged end, and longer than the inline copies go.
    let cases = [
        (3, 1, 1),
        (5, 1, 2),
        (1, 1, 0),
        (3, 1, 0),
        (3, 1, 2),
        (3, 2, 1),
    ];
    for ((kernel, stride, padding), width) in
        cases.into_iter().flat_map(|c| [6, 29, 75].map(|w| (c, w)))
    {
        let d = ConvDims {
            batch: 1,
            kernel,
            width,
            ..dims(stride, padding)
        };
        let x = random(d.image_len(), 6);
        let mut col = vec![f64::NAN; d.patch() * d.positions()];
        im2col(&x, &mut col, &d);
        let (oh, ow) = (d.out_height(), d.out_width());
        for c in 0..d.channels {
            for i in 0..kernel {
                for j in 0..kernel {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let (iy, ix) = (oy * stride + i, ox * stride + j);
                            let inside = iy >= padding
                                && ix >= padding
                                && iy - padding < d.height
                                && ix - padding < d.width;
                            let want = if inside {
                                x[(c * d.height + iy - padding) * d.width + ix - padding]
                            } else {
                                0.0
                            };
                            let got = col[((c * kernel + i) * kernel + j) * oh * ow + oy * ow + ox];
                            assert!(
                                got == want,
                                "k {kernel} s {stride} p {padding} w {width}: ({c},{i},{j},{oy},{ox}) {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// `<col2im(c), x> = <c, im2col(x)>`: col2im is the adjoint of im2col,
/// which is exactly what the input gradient needs.
#[test]
fn col2im_is_the_adjoint_of_im2col() {
    for (stride, padding) in [(1, 0), (1, 1), (1, 2), (2, 1), (3, 0)] {
        let d = ConvDims {
            batch: 1,
            ..dims(stride, padding)
        };
        let x = random(d.image_len(), 4);
        let c = random(d.patch() * d.positions(), 5);
        let mut col = vec![0.0; c.len()];
        im2col(&x, &mut col, &d);
        let mut back = vec![0.0; x.len()];
        col2im(&c, &mut back, &d);
        let lhs: f64 = back.iter().zip(&x).map(|(a, b)| a * b).sum();
        let rhs: f64 = c.iter().zip(&col).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
    }
}

/// The gradients against the definition: for the loss `<dy, y>`,
/// `dW[f, q] = Σ dy · ∂y/∂W`, computed from `direct` with unit filters.
#[test]
fn col2im_of_a_spent_col_gives_col2im_bit_for_bit() {
    // "Same" padding (the one-run path) and others (the line-by-line one).
    let shapes = [
        (3, 1, 1, 7, 6),
        (3, 1, 1, 5, 5),
        (5, 1, 2, 6, 9),
        (1, 1, 0, 4, 4),
        (3, 1, 2, 6, 6),
        (3, 2, 1, 7, 7),
    ];
    for (kernel, stride, padding, height, width) in shapes {
        let d = ConvDims {
            batch: 1,
            channels: 2,
            height,
            width,
            filters: 1,
            kernel,
            stride,
            padding,
        };
        let col = random(d.patch() * d.positions(), 7);
        let mut want = random(d.image_len(), 8);
        let mut got = want.clone();
        col2im(&col, &mut want, &d);
        im2col::col2im_consuming(&mut col.clone(), &mut got, &d);
        assert!(got == want, "{d:?}");
    }
}

#[test]
fn gradients_match_the_definition() {
    let d = dims(2, 1);
    let x = random(d.batch * d.image_len(), 6);
    let w = random(d.filters * d.patch(), 7);
    let dy = random(d.batch * d.filters * d.positions(), 8);
    let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; 4], vec![0.0; x.len()]);
    param_grads(&x, &dy, &mut dw, &mut db, &d, Par::Seq);
    input_grad(&w, &dy, &mut dx, &d, Par::Seq);
    // y is linear in w, b and x: each gradient element is <dy, y(e_k)>.
    let dot = |y: Vec<f64>| y.iter().zip(&dy).map(|(a, b)| a * b).sum::<f64>();
    for k in [0, 5, 17, w.len() - 1] {
        let mut unit = vec![0.0; w.len()];
        unit[k] = 1.0;
        let want = dot(direct(&x, &unit, &[0.0; 4], &d));
        assert!((dw[k] - want).abs() < 1e-12, "dw[{k}]: {} vs {want}", dw[k]);
    }
    for f in 0..4 {
        let mut unit = [0.0; 4];
        unit[f] = 1.0;
        let want = dot(direct(&x, &vec![0.0; w.len()], &unit, &d));
        assert!((db[f] - want).abs() < 1e-12);
    }
    for k in [0, 3, 100, x.len() - 1] {
        let mut unit = vec![0.0; x.len()];
        unit[k] = 1.0;
        let want = dot(direct(&unit, &w, &[0.0; 4], &d));
        assert!((dx[k] - want).abs() < 1e-12, "dx[{k}]: {} vs {want}", dx[k]);
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Large enough to be split: 40 images of 3×28×28, 8 filters.
    let d = ConvDims {
        batch: 40,
        channels: 3,
        height: 28,
        width: 28,
        filters: 8,
        kernel: 5,
        stride: 1,
        padding: 2,
    };
    let x: Vec<f32> = random(d.batch * d.image_len(), 9)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let w: Vec<f32> = random(d.filters * d.patch(), 10)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let dy: Vec<f32> = random(d.batch * d.filters * d.positions(), 11)
        .iter()
        .map(|&v| v as f32)
        .collect();
    assert!(Par::Rayon.split(d.flops()) || rayon::current_num_threads() == 1);
    let run = || {
        let mut y = vec![0.0; dy.len()];
        forward(&x, &w, &[0.5; 8], &mut y, &d, Par::Rayon);
        let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; 8], vec![0.0; x.len()]);
        param_grads(&x, &dy, &mut dw, &mut db, &d, Par::Rayon);
        input_grad(&w, &dy, &mut dx, &d, Par::Rayon);
        (y, dw, db, dx)
    };
    let one = on_pool(1, run);
    for threads in [2, 3, 8] {
        assert!(
            on_pool(threads, run) == one,
            "{threads} threads differ from one"
        );
    }
}

#[test]
#[should_panic(expected = "a 5-wide window does not fit an input of 4 padded by 0")]
fn a_kernel_larger_than_the_input_is_refused() {
    let _ = ConvDims {
        height: 4,
        kernel: 5,
        ..dims(1, 0)
    }
    .out_height();
}
