//! The book's two-layer net (chapter 5), chained by hand, checked against
//! numerical gradients and then trained on a toy problem.
//!
//! Run with `cargo run --release --example two_layer_net`.

use katachi::func::accuracy;
use katachi::grad::gradient_check;
use katachi::param::ParamPath;
use katachi::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Points in the plane, labelled by which of three sectors around the origin
/// they fall in: not linearly separable, so the hidden layer has to work.
fn sectors(rng: &mut impl Rng, n: usize) -> (Tensor<Batch<2>, f64>, Labels<3>) {
    let mut xs = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let (x, y): (f64, f64) = (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
        let angle = y.atan2(x) + std::f64::consts::PI; // 0 .. 2π
        labels.push(((angle / (2.0 * std::f64::consts::PI / 3.0)) as usize).min(2));
        xs.push([x, y]);
    }
    (
        Tensor::from_rows(&xs).expect("batch extent is runtime"),
        Labels::new(labels).expect("labels are 0..3"),
    )
}

fn main() -> Result<(), Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut net = (
        Affine::<2, 50, f64>::normal(&mut rng, 1.0),
        Relu::new(),
        Affine::<50, 3, f64>::normal(&mut rng, 0.1),
    );
    let mut loss = SoftmaxWithLoss::new();

    let (x, t) = sectors(&mut rng, 300);
    let (x_few, t_few) = sectors(&mut rng, 3);
    println!("gradient check (backprop vs central differences, f64):");
    print!("{}", gradient_check(&mut net, &mut loss, &x_few, &t_few)?);

    let lr = 0.5;
    for epoch in 0..=2000 {
        let value = backprop(&mut net, &mut loss, x.clone(), &t)?;
        net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
            for (v, g) in p.value.iter_mut().zip(p.grad.iter()) {
                *v -= lr * g;
            }
        });
        if epoch % 500 == 0 {
            let acc = accuracy(&net.predict(x.clone()), t.as_slice())?;
            println!("epoch {epoch:4}: loss {value:.4}, train accuracy {acc:.3}");
        }
    }
    let (x_test, t_test) = sectors(&mut rng, 1000);
    println!(
        "test accuracy: {:.4}",
        accuracy(&net.predict(x_test), t_test.as_slice())?
    );
    Ok(())
}
