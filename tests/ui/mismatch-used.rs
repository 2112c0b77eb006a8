use katachi::prelude::*;

// A mismatch in a network that is also used: one error, at the field.
#[derive(Network, Default)]
struct Net {
    affine1: Affine<784, 50>,
    relu1: Relu,
    affine2: Affine<60, 10>,
}

fn main() -> Result<(), Error> {
    let mut net = Net::seeded(1);
    let mut loss = SoftmaxWithLoss::<10>::new();
    let x = Tensor::<Batch<784>>::zeros((2, Const));
    let t = Labels::<10>::new(vec![0, 1])?;
    let _ = net.predict(x.clone());
    let scores = net.forward(x.clone());
    let _ = net.backward(scores);
    backprop(&mut net, &mut loss, x, &t)?;
    Ok(())
}
