use katachi::prelude::*;

#[derive(Network)]
#[network(input = Tensor<Nchw<1, 4, 4>>)]
struct Net {
    conv1: Conv2d<1, 8, 5>,
    relu1: Relu,
    pool1: MaxPool2d<2>,
    flatten: Flatten,
    affine1: Affine<8, 10>,
}

fn main() {}
