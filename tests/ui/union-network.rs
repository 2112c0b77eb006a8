use katachi::prelude::*;

#[derive(Network)]
union Net {
    a: std::mem::ManuallyDrop<Affine<784, 10>>,
}

fn main() {}
