use katachi::prelude::*;

// A generic network is checked with its parameters: `Mlp<60>` fits, and
// `Mlp<50>` is an error where it is first used.
#[derive(Network, Default)]
struct Mlp<const H: usize> {
    hidden: Affine<784, H>,
    relu: Relu,
    out: Affine<60, 10>,
}

fn main() {
    let fits = Mlp::<60>::seeded(1);
    let _ = fits.predict(Tensor::zeros((1, Const)));
    let wrong = Mlp::<50>::seeded(1);
    let _ = wrong.predict(Tensor::zeros((1, Const)));
}
