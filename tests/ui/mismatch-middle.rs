use katachi::prelude::*;

#[derive(Network)]
struct Net {
    affine1: Affine<784, 100>,
    relu1: Relu,
    affine2: Affine<100, 50>,
    relu2: Relu,
    affine3: Affine<60, 20>,
    relu3: Relu,
    affine4: Affine<20, 10>,
}

fn main() {}
