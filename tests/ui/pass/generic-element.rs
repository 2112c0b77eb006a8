// `E: Element` is the only bound a network generic over its element type
// needs: nothing internal to katachi leaks into user code.
#![deny(warnings)]

use katachi::prelude::*;

#[derive(Network, Default)]
struct Fit<E: Element> {
    fc1: Affine<1, 64, E>,
    act: Tanh<E>,
    fc2: Affine<64, 1, E>,
}

#[derive(Network, Default)]
#[network(input = Tensor<Nchw<1, 8, 8>, E>)]
struct Conv<E: Element> {
    conv: Conv2d<1, 4, 3, 1, 0, E>,
    relu: Relu<E>,
    pool: MaxPool2d<2, 2, E>,
    flatten: Flatten<E>,
    fc: Affine<36, 2, E>,
}

/// Generic code over any element: the math methods resolve on `N::Elem`.
fn total<N: Parameters>(net: &N) -> f64 {
    let mut sum = N::Elem::ZERO;
    net.visit(&ParamPath::ROOT, &mut |_, p| {
        for &v in p.value {
            sum += v.abs();
        }
    });
    sum.to_f64()
}

fn main() {
    let mut a = Fit::<f32>::seeded(1);
    let mut b = Fit::<f64>::seeded(1);
    let ya = a.forward(Tensor::zeros((4, Const)));
    let yb = b.forward(Tensor::zeros((4, Const)));
    assert_eq!((ya.dims(), yb.dims()), ([4, 1], [4, 1]));
    let _ = a.backward(ya);
    let _ = b.backward(yb);
    assert!(total(&b) > 0.0);
    let conv = Conv::<f64>::seeded(2);
    assert_eq!(conv.predict(Tensor::zeros((2, Const, Const, Const))).dims(), [2, 2]);
}
