use katachi::prelude::*;

#[derive(Network)]
struct Block {
    affine: Affine<64, 32>,
    relu: Relu,
}

#[derive(Network)]
struct Net {
    stem: Affine<784, 50>,
    block: Block,
}

fn main() {}
