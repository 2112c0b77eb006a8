// Generic, nested and skipping networks build and run; parameter names nest.
#![deny(warnings, unused_qualifications)]

use katachi::prelude::*;

#[derive(Network, Default)]
struct Block<const H: usize> {
    affine: Affine<H, H>,
    act: Tanh,
}

#[derive(Network, Default)]
struct Net<const H: usize> {
    stem: Affine<784, H>,
    relu: Relu,
    block: Block<H>,
    head: Affine<H, 10>,
    #[network(skip)]
    steps: u64,
}

fn main() {
    let mut net = Net::<32>::seeded(3);
    let y = net.forward(Tensor::<Batch<784>>::zeros((4, Const)));
    assert_eq!(y.dims(), [4, 10]);
    let _: Tensor<Batch<784>> = net.backward(y);
    net.steps += 1;
    assert_eq!(
        net.param_names(),
        ["stem.weight", "stem.bias", "block.affine.weight", "block.affine.bias", "head.weight", "head.bias"]
    );
    assert_eq!(<Net<32> as Network>::LAYERS, ["stem", "relu", "block", "head"]);
    assert_eq!(net.steps, 1);
}
