// Forty layers build without `#![recursion_limit]`: the derive writes no
// nested types whose depth grows with the number of fields.
#![deny(warnings)]

use katachi::prelude::*;

#[derive(Network, Default)]
struct Deep {
    affine0: Affine<32, 16>,
    relu0: Relu,
    affine1: Affine<16, 16>,
    relu1: Relu,
    affine2: Affine<16, 16>,
    relu2: Relu,
    affine3: Affine<16, 16>,
    relu3: Relu,
    affine4: Affine<16, 16>,
    relu4: Relu,
    affine5: Affine<16, 16>,
    relu5: Relu,
    affine6: Affine<16, 16>,
    relu6: Relu,
    affine7: Affine<16, 16>,
    relu7: Relu,
    affine8: Affine<16, 16>,
    relu8: Relu,
    affine9: Affine<16, 16>,
    relu9: Relu,
    affine10: Affine<16, 16>,
    relu10: Relu,
    affine11: Affine<16, 16>,
    relu11: Relu,
    affine12: Affine<16, 16>,
    relu12: Relu,
    affine13: Affine<16, 16>,
    relu13: Relu,
    affine14: Affine<16, 16>,
    relu14: Relu,
    affine15: Affine<16, 16>,
    relu15: Relu,
    affine16: Affine<16, 16>,
    relu16: Relu,
    affine17: Affine<16, 16>,
    relu17: Relu,
    affine18: Affine<16, 16>,
    relu18: Relu,
    affine19: Affine<16, 16>,
    relu19: Relu,
}

fn main() {
    let mut net = Deep::seeded(1);
    let y = net.forward(Tensor::<Batch<32>>::zeros((2, Const)));
    assert_eq!(y.dims(), [2, 16]);
    assert_eq!(<Deep as Network>::LAYERS.len(), 40);
    let _dx = net.backward(y);
}
