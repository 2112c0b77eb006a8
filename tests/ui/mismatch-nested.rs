use katachi::prelude::*;

#[derive(Network)]
struct Block {
    affine: Affine<50, 40>,
    relu: Relu,
    project: Affine<30, 10>,
}

#[derive(Network)]
struct Net {
    stem: Affine<784, 50>,
    block: Block,
}

fn main() {}
