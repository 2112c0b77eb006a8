use katachi::prelude::*;

#[derive(Network)]
struct Mlp<const H: usize> {
    hidden: Affine<784, H>,
    relu: Relu,
    out: Affine<60, 10>,
}

fn main() {}
