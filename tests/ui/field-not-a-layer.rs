use katachi::prelude::*;

#[derive(Network)]
struct Net {
    affine1: Affine<784, 50>,
    steps: usize,
    affine2: Affine<50, 10>,
}

fn main() {}
