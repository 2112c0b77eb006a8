use katachi::prelude::*;

#[derive(Network)]
enum Net {
    Small(Affine<784, 10>),
    Large(Affine<784, 100>),
}

fn main() {}
