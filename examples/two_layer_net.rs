//! The book's two-layer net (chapter 5) as a derived network: checked
//! against numerical gradients, then trained on a toy problem.
//!
//! Run with `cargo run --release --example two_layer_net`.

use katachi::func::accuracy;
use katachi::grad::gradient_check;
use katachi::models::TwoLayerNet;
use katachi::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Points in the square [-1, 1]², labelled by which of three rings around
/// the origin they fall in (radius below 0.4, below 0.75, beyond). No line
/// separates a disc from the ring around it, so the hidden layer has to work.
fn rings(rng: &mut impl Rng, n: usize) -> (Tensor<Batch<2>, f64>, Labels<3>) {
    let mut xs = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let (x, y): (f64, f64) = (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
        let r = x.hypot(y);
        labels.push(if r < 0.4 {
            0
        } else if r < 0.75 {
            1
        } else {
            2
        });
        xs.push([x, y]);
    }
    let x = Tensor::from_rows(&xs).expect("the batch extent is a runtime usize");
    (x, Labels::new(labels).expect("labels are 0..3"))
}

fn main() -> Result<(), Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut net = TwoLayerNet::<2, 50, 3, f64>::default();
    net.init(Init::He, 1);
    let mut loss = SoftmaxWithLoss::new();
    println!("{}\n", net.summary());

    let (x_few, t_few) = rings(&mut rng, 3);
    println!("gradient check (backprop vs central differences, f64):");
    print!("{}", gradient_check(&mut net, &mut loss, &x_few, &t_few)?);

    let (x, t) = rings(&mut rng, 1000);
    let lr = 0.5;
    for epoch in 1..=3000 {
        let value = backprop(&mut net, &mut loss, x.clone(), &t)?;
        // Plain gradient descent: every parameter steps against its gradient.
        net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
            for (v, g) in p.value.iter_mut().zip(p.grad.iter()) {
                *v -= lr * g;
            }
        });
        if epoch % 600 == 0 || epoch == 1 {
            let acc = accuracy(&net.predict(x.clone()), t.as_slice())?;
            println!("epoch {epoch:4}: loss {value:.4}, train accuracy {acc:.3}");
        }
    }
    let (x_test, t_test) = rings(&mut rng, 1000);
    println!(
        "test accuracy: {:.4}",
        accuracy(&net.predict(x_test), t_test.as_slice())?
    );
    Ok(())
}
