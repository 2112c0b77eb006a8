use katachi::prelude::*;

// The book's SimpleConvNet with a wrong width: 28×28 → conv 5×5 → 24×24
// → pool 2×2 → 12×12, so flatten gives 30·12·12 = 4320, not 4000.
#[derive(Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Cnn {
    conv1: Conv2d<1, 30, 5>,
    relu1: Relu,
    pool1: MaxPool2d<2>,
    flatten: Flatten,
    affine1: Affine<4000, 100>,
    relu2: Relu,
    affine2: Affine<100, 10>,
}

fn main() {}
