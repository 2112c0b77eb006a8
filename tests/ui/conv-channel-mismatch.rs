use katachi::prelude::*;

#[derive(Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Net {
    conv1: Conv2d<1, 30, 5>,
    pool1: MaxPool2d<2>,
    conv2: Conv2d<16, 32, 3>,
}

fn main() {}
