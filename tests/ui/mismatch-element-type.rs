use katachi::prelude::*;

#[derive(Network)]
struct Net {
    affine1: Affine<784, 50, f64>,
    relu: Relu<f32>,
}

fn main() {}
