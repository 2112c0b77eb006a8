use katachi::prelude::*;

#[derive(Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Net {
    conv1: Conv2d<1, 30, 5>,
    affine1: Affine<17280, 10>,
}

fn main() {}
