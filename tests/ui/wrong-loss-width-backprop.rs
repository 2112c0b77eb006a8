use katachi::prelude::*;

#[derive(Network, Default)]
struct Net {
    affine1: Affine<784, 50>,
    relu: Relu,
    affine2: Affine<50, 10>,
}

// The network gives 10 scores, the loss and the labels are over 5 classes.
fn main() -> Result<(), Error> {
    let mut net = Net::seeded(1);
    let x = Tensor::<Batch<784>>::zeros((2, Const));
    let t = Labels::<5>::new(vec![0, 1])?;
    backprop(&mut net, &mut SoftmaxWithLoss::<5>::new(), x, &t)?;
    Ok(())
}
