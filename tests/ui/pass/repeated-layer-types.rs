// A layer type that appears again later, and a block used twice, derive:
// the element type of the parameters is pinned once, not projected from
// the first field (which made rustc overflow, E0275).
#![deny(warnings)]

use katachi::prelude::*;

#[derive(Network, Default)]
struct SameTwice {
    a: Affine<4, 4>,
    r: Relu,
    b: Affine<4, 4>,
}

#[derive(Network, Default)]
struct Mlp {
    fc1: Affine<64, 64>,
    r1: Relu,
    fc2: Affine<64, 64>,
    r2: Relu,
    fc3: Affine<64, 10>,
}

#[derive(Network, Default)]
struct Block {
    fc: Affine<8, 8>,
    relu: Relu,
}

#[derive(Network, Default)]
struct BlockTwice {
    block1: Block,
    block2: Block,
    head: Affine<8, 2>,
}

#[derive(Network, Default)]
struct BlockThenItsFirstLayer {
    block: Block,
    mid: Affine<8, 8>,
    head: Affine<8, 2>,
}

#[derive(Network, Default)]
#[network(input = Tensor<Batch<4>>)]
struct TanhTwice {
    t1: Tanh,
    fc: Affine<4, 4>,
    t2: Tanh,
    out: Affine<4, 2>,
}

fn main() {
    let mut net = SameTwice::seeded(1);
    let y = net.forward(Tensor::zeros((3, Const)));
    assert_eq!(y.dims(), [3, 4]);
    let _ = net.backward(y);
    assert_eq!(Mlp::seeded(1).predict(Tensor::zeros((2, Const))).dims(), [2, 10]);
    let twice = BlockTwice::seeded(2);
    assert_eq!(twice.param_names()[2], "block2.fc.weight");
    assert_eq!(twice.predict(Tensor::zeros((1, Const))).dims(), [1, 2]);
    let mid = BlockThenItsFirstLayer::seeded(3);
    assert_eq!(mid.predict(Tensor::zeros((1, Const))).dims(), [1, 2]);
    let tanh = TanhTwice::seeded(4);
    assert_eq!(tanh.predict(Tensor::zeros((5, Const))).dims(), [5, 2]);
}
