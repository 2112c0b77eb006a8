use katachi::prelude::*;

// A CNN with batch normalisation, average pooling and a global average
// pool in front of its classifier: it builds, checks and runs.
#[derive(Network, Default)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Net {
    conv1: Conv2d<1, 16, 3, 1, 1>,
    norm1: BatchNorm2d<16>,
    relu1: Relu,
    pool1: AvgPool2d<2>,
    conv2: Conv2d<16, 32, 3, 1, 1>,
    norm2: BatchNorm2d<32>,
    relu2: Relu,
    gap: GlobalAvgPool,
    affine: Affine<32, 10>,
}

fn main() {
    let net = Net::seeded(1);
    let y = net.predict(Tensor::<Nchw<1, 28, 28>>::zeros((2, Const, Const, Const)));
    assert_eq!(y.dims(), [2, 10]);
}
