use katachi::prelude::*;

#[derive(Network)]
struct Net {
    affine1: Affine<784, 50>,
    sigmoid: Sigmoid,
    affine2: Affine<50, 10>,
    tanh: Tanh,
    readout: Affine<12, 3>,
}

fn main() {}
