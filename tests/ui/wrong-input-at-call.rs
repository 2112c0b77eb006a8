use katachi::prelude::*;

#[derive(Network, Default)]
struct Net {
    affine1: Affine<784, 50>,
    relu: Relu,
    affine2: Affine<50, 10>,
}

fn main() {
    let mut net = Net::default();
    let images = Tensor::<Batch<28>>::zeros((100, Const));
    let _ = net.forward(images);
}
