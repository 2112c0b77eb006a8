use katachi::prelude::*;

// Without the derive, a chain written as a tuple is checked when it is
// compiled for its input: a post-monomorphisation error.
fn main() {
    let mut net = (Conv2d::<1, 30, 5>::zeros(), MaxPool2d::<2>::new(), Flatten::new(), Affine::<4000, 10>::zeros());
    let _ = net.forward(Tensor::<Nchw<1, 28, 28>>::zeros((1, Const, Const, Const)));
}
