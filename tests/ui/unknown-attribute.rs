use katachi::prelude::*;

#[derive(Network)]
struct Net {
    affine1: Affine<784, 50>,
    #[network(skipp)]
    relu: Relu,
    affine2: Affine<50, 10>,
}

fn main() {}
