use katachi::prelude::*;

// A generic network is checked when it is instantiated: with 16 filters,
// flatten gives 16·12·12 = 2304, not the 4320 `affine1` takes.
#[derive(Default, Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Cnn<const F: usize> {
    conv1: Conv2d<1, F, 5>,
    pool1: MaxPool2d<2>,
    flatten: Flatten,
    affine1: Affine<4320, 10>,
}

fn main() {
    let net = Cnn::<30>::seeded(1);
    let _ = net.predict(Tensor::zeros((1, Const, Const, Const)));
    let net = Cnn::<16>::seeded(1);
    let _ = net.predict(Tensor::zeros((1, Const, Const, Const)));
}
