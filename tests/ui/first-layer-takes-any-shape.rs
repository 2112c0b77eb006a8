use katachi::prelude::*;

#[derive(Network)]
struct Net {
    relu: Relu,
    affine: Affine<784, 10>,
}

fn main() {}
