use katachi::prelude::*;

#[derive(Network)]
#[network(input = Tensor<(usize, Const<28>)>)]
struct Net {
    affine: Affine<784, 10>,
}

fn main() {}
