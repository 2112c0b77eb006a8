use katachi::prelude::*;

// Global average pooling leaves one number per channel: rows of 16, not 32.
#[derive(Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Net {
    conv1: Conv2d<1, 16, 3, 1, 1>,
    relu1: Relu,
    gap: GlobalAvgPool,
    affine1: Affine<32, 10>,
}

fn main() {}
