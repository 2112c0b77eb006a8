use katachi::prelude::*;

// 8 channels come out of the convolution; the batch norm was written for 6.
#[derive(Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Net {
    conv1: Conv2d<1, 8, 3, 1, 1>,
    norm1: BatchNorm2d<6>,
    relu1: Relu,
}

fn main() {}
