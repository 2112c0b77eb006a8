//! The book's chapters 3 and 4 in numbers: activations, softmax and losses.
//!
//! Run with `cargo run --example functions`.

use katachi::func::{cross_entropy, relu, sigmoid, softmax, step, sum_squared_error};
use katachi::prelude::*;

fn main() -> Result<(), Error> {
    let x = Tensor::<Rank1<5>, f64>::from([-2.0, -0.5, 0.0, 0.5, 2.0]);
    println!("x          = {x:?}");
    println!("step(x)    = {:?}", step(&x));
    println!("sigmoid(x) = {:?}", sigmoid(&x));
    println!("relu(x)    = {:?}", relu(&x));

    let a = Tensor::<Rank1<3>, f64>::from([0.3, 2.9, 4.0]);
    println!("softmax([0.3, 2.9, 4.0]) = {:?}", softmax(&a));
    println!(
        "softmax([1000, 1000])    = {:?}",
        softmax(&Tensor::<Rank1<2>, f64>::from([1000.0, 1000.0]))
    );

    // The book's example: the answer is class 2.
    let t = Tensor::<Rank1<10>, f64>::from([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let good = Tensor::from([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]);
    let bad = Tensor::from([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]);
    println!(
        "sum of squared error: {:.4} (confident and right), {:.4} (confident and wrong)",
        sum_squared_error(&good, &t)?,
        sum_squared_error(&bad, &t)?
    );
    println!(
        "cross-entropy:        {:.6} (confident and right), {:.6} (confident and wrong)",
        cross_entropy(&good, &t)?,
        cross_entropy(&bad, &t)?
    );
    Ok(())
}
