// A network whose first layer takes any shape declares its input.
#![deny(warnings, unused_qualifications)]

use katachi::prelude::*;

#[derive(Network, Default)]
#[network(input = Tensor<(usize, Const<4>), f64>)]
struct Squash {
    sigmoid: Sigmoid<f64>,
    affine: Affine<4, 2, f64>,
}

fn main() {
    let net = Squash::seeded(1);
    let x = Tensor::<Batch<4>, f64>::zeros((3, Const));
    assert_eq!(net.predict(x).dims(), [3, 2]);
}
