use katachi::prelude::*;

#[derive(Network)]
struct Net {
    affine1: Affine<784, 50>,
    affine2: Affine<60, 10>,
}

fn main() {}
