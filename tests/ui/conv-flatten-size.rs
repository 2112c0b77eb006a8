use katachi::prelude::*;

// Without the pool, flatten gives 30·24·24 = 17280, not 4320.
#[derive(Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Net {
    conv1: Conv2d<1, 30, 5>,
    relu1: Relu,
    flatten: Flatten,
    affine1: Affine<4320, 100>,
}

fn main() {}
