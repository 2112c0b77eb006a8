use katachi::prelude::*;

// A field of the user's own type that is not a layer: the type checks say so.
#[derive(Default)]
struct Settings {
    lr: f64,
}

#[derive(Network)]
struct Net {
    affine1: Affine<784, 50>,
    settings: Settings,
    affine2: Affine<50, 10>,
}

fn main() {}
