use katachi::prelude::*;

// Two 2×2 pools leave 7×7 of 28×28; an 8×8 window does not fit.
#[derive(Network)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct Net {
    pool1: AvgPool2d<2>,
    pool2: AvgPool2d<2>,
    pool3: AvgPool2d<8>,
}

fn main() {}
