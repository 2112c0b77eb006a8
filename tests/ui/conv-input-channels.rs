use katachi::prelude::*;

#[derive(Network)]
#[network(input = Tensor<Nchw<3, 28, 28>>)]
struct Net {
    conv1: Conv2d<1, 30, 5>,
    relu1: Relu,
}

fn main() {}
