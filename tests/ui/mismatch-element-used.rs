use katachi::prelude::*;

// f64 and f32 layers mixed in a network that is also used: one error.
#[derive(Network, Default)]
struct Net {
    affine1: Affine<784, 50, f64>,
    relu: Relu<f32>,
    affine2: Affine<50, 10, f64>,
}

fn main() -> Result<(), Error> {
    let mut net = Net::seeded(1);
    let x = Tensor::<Batch<784>, f64>::zeros((2, Const));
    let t = Labels::<10>::new(vec![0, 1])?;
    let _ = net.predict(x.clone());
    backprop(&mut net, &mut SoftmaxWithLoss::<10, f64>::new(), x, &t)?;
    Ok(())
}
