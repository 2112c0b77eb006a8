use katachi::prelude::*;

#[derive(Network, Default)]
struct Net {
    affine1: Affine<784, 50>,
    relu: Relu,
    affine2: Affine<50, 10>,
}

fn main() -> Result<(), Error> {
    let mut net = Net::default();
    let mut loss = SoftmaxWithLoss::<10>::new();
    let scores = net.forward(Tensor::<Batch<784>>::zeros((2, Const)));
    let labels = Labels::<5>::new(vec![0, 1])?;
    loss.forward(scores, &labels)?;
    Ok(())
}
