//! Every layer's backward against the numerical gradient of its input, and
//! predict against forward.

use katachi::grad::numerical_gradient;
use katachi::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type X = Tensor<Batch<3>, f64>;

fn input() -> X {
    Tensor::from_rows(&[[0.5, -1.2, 0.3], [1.0, 0.1, -0.4]]).unwrap()
}

/// For L = Σ w ⊙ layer(x), backward(w) must equal dL/dx numerically.
fn check_input_gradient<L>(mut layer: L, w: Tensor<Batch<2>, f64>)
where
    L: Layer<X, Out = Tensor<Batch<2>, f64>>,
{
    let mut x = input();
    let y = layer.forward(x.clone());
    assert_eq!(y, layer.predict(x.clone()), "predict differs from forward");
    let dx = layer.backward(w.clone());
    let numeric = numerical_gradient(
        |x| {
            layer
                .predict(x.clone())
                .zip_map(&w, |a, b| a * b)
                .unwrap()
                .sum()
        },
        &mut x,
    );
    for (a, n) in dx.as_slice().iter().zip(numeric.as_slice()) {
        assert!((a - n).abs() < 1e-8, "{a} vs {n}");
    }
}

#[test]
fn affine_input_gradient() {
    let w = Tensor::from_rows(&[[1.0, -2.0], [0.5, 0.25]]).unwrap();
    check_input_gradient(
        Affine::<3, 2, f64>::normal(&mut ChaCha8Rng::seed_from_u64(1), 1.0),
        w,
    );
}

#[test]
fn chained_layers_input_gradient() {
    let w = Tensor::from_rows(&[[1.0, -2.0], [0.5, 0.25]]).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let chain = (
        Affine::<3, 4, f64>::normal(&mut rng, 1.0),
        Tanh::new(),
        Affine::<4, 2, f64>::normal(&mut rng, 1.0),
        Sigmoid::new(),
    );
    check_input_gradient(chain, w);
}

#[test]
fn affine_parameter_gradients_are_the_book_formulas() {
    let mut affine = Affine::<3, 2, f64>::normal(&mut ChaCha8Rng::seed_from_u64(9), 1.0);
    let x = input();
    affine.forward(x.clone());
    let dy: Tensor<Batch<2>, f64> = Tensor::from_rows(&[[1.0, 2.0], [3.0, -1.0]]).unwrap();
    // The input type is named: an `Affine` also takes computed widths (after `Flatten`).
    let _: Tensor<Batch<3>, f64> = affine.backward(dy.clone());
    // dW[i][j] = Σ_n x[n][i] dy[n][j]; db[j] = Σ_n dy[n][j].
    for i in 0..3 {
        for j in 0..2 {
            let want: f64 = (0..2).map(|n| x.row(n)[i] * dy.row(n)[j]).sum();
            assert!((affine.weight.grad.as_slice()[i * 2 + j] - want).abs() < 1e-12);
        }
    }
    assert_eq!(affine.bias.grad.as_slice(), &[4.0, 1.0]);
}

#[test]
fn softmax_with_loss_backward_is_y_minus_t_over_batch() {
    let mut loss = SoftmaxWithLoss::<3, f64>::new();
    let x = input();
    let t = Labels::<3>::new(vec![2, 0]).unwrap();
    loss.forward(x.clone(), &t).unwrap();
    let dx: X = loss.backward();
    let y = katachi::func::softmax(&x);
    let want = y.zip_map(&t.one_hot(), |y, t| (y - t) / 2.0).unwrap();
    assert_eq!(dx, want);
    // And it is the numerical gradient of the loss.
    let numeric = numerical_gradient(|x| loss.loss(x.clone(), &t).unwrap(), &mut x.clone());
    for (a, n) in dx.as_slice().iter().zip(numeric.as_slice()) {
        assert!((a - n).abs() < 1e-8, "{a} vs {n}");
    }
}

#[test]
fn identity_with_loss_backward_matches_numerical_gradient() {
    let mut loss = IdentityWithLoss::<3, f64>::new();
    let t: X = Tensor::from_rows(&[[0.0, 1.0, 0.0], [0.5, 0.5, 0.5]]).unwrap();
    let x = input();
    let value = loss.forward(x.clone(), &t).unwrap();
    assert!((value - katachi::func::sum_squared_error(&x, &t).unwrap()).abs() < 1e-15);
    let dx: X = loss.backward();
    let numeric = numerical_gradient(|x| loss.loss(x.clone(), &t).unwrap(), &mut x.clone());
    for (a, n) in dx.as_slice().iter().zip(numeric.as_slice()) {
        assert!((a - n).abs() < 1e-8, "{a} vs {n}");
    }
}

#[test]
fn one_network_serves_any_batch_size() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let net = (
        Affine::<3, 4, f32>::normal(&mut rng, 0.5),
        Relu::new(),
        Affine::<4, 2, f32>::normal(&mut rng, 0.5),
    );
    let batch = Tensor::<Batch<3>>::from_rows(&[[0.1, 0.2, 0.3], [-0.3, 0.0, 1.0]]).unwrap();
    let single = Tensor::<Batch<3>>::from_rows(&[[-0.3, 0.0, 1.0]]).unwrap();
    let out_batch = net.predict(batch);
    let out_single = net.predict(single);
    assert_eq!(out_batch.dims(), [2, 2]);
    assert_eq!(out_single.dims(), [1, 2]);
    assert_eq!(out_batch.row(1), out_single.row(0));
}

#[test]
fn seeded_initialisation_is_reproducible_and_scaled() {
    let a = Affine::<784, 50, f64>::normal(&mut ChaCha8Rng::seed_from_u64(7), 0.01);
    let b = Affine::<784, 50, f64>::normal(&mut ChaCha8Rng::seed_from_u64(7), 0.01);
    let c = Affine::<784, 50, f64>::normal(&mut ChaCha8Rng::seed_from_u64(8), 0.01);
    assert_eq!(a.weight.value, b.weight.value);
    assert_ne!(a.weight.value, c.weight.value);
    assert!(a.bias.value.as_slice().iter().all(|&b| b == 0.0));
    let w = a.weight.value.as_slice();
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    let std = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
    // 39 200 draws: the sample std is within 2 % of 0.01 with overwhelming probability.
    assert!((std - 0.01).abs() < 2e-4, "std {std}");
    assert!(mean.abs() < 2e-4, "mean {mean}");
}
