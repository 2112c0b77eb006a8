// Tuples of up to 12 layers are chains, as the standard library's traits
// on tuples go up to 12.
#![deny(warnings)]

use katachi::prelude::*;

fn main() {
    let mut six = (
        Affine::<2, 2>::zeros(),
        Relu::new(),
        Affine::<2, 2>::zeros(),
        Relu::new(),
        Affine::<2, 2>::zeros(),
        Relu::new(),
    );
    let y = six.forward(Tensor::<Batch<2>>::zeros((1, Const)));
    let _: Tensor<Batch<2>> = six.backward(y);
    let twelve = (
        Affine::<2, 3>::zeros(),
        Sigmoid::new(),
        Affine::<3, 3>::zeros(),
        Sigmoid::new(),
        Affine::<3, 3>::zeros(),
        Sigmoid::new(),
        Affine::<3, 3>::zeros(),
        Sigmoid::new(),
        Affine::<3, 3>::zeros(),
        Sigmoid::new(),
        Affine::<3, 3>::zeros(),
        Sigmoid::new(),
    );
    assert_eq!(twelve.predict(Tensor::<Batch<2>>::zeros((4, Const))).as_slice(), &[0.5; 12]);
    assert_eq!(twelve.param_names().len(), 12);
}
