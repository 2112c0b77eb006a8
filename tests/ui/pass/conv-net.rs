//! The book's convolutional networks from `katachi::models`, and a generic
//! CNN whose checks run when it is instantiated: all build and run.
use katachi::models::{DeepConvNet, SimpleConvNet};
use katachi::prelude::*;

#[derive(Default, Network)]
#[network(input = Tensor<Nchw<1, 12, 12>>)]
struct Generic<const F: usize> {
    conv: Conv2d<1, F, 3, 1, 1>,
    pool: MaxPool2d<3>,
    flatten: Flatten,
    affine: Affine<{ 16 * 4 * 4 }, 2>,
}

fn main() {
    let net = <SimpleConvNet>::seeded(1);
    let y = net.predict(Tensor::zeros((2, Const, Const, Const)));
    assert_eq!(y.dims(), [2, 10]);
    let deep = DeepConvNet::<f64>::seeded(1);
    assert_eq!(deep.predict(Tensor::zeros((1, Const, Const, Const))).dims(), [1, 10]);
    let generic = Generic::<16>::seeded(2);
    assert_eq!(generic.predict(Tensor::zeros((1, Const, Const, Const))).dims(), [1, 2]);
}
