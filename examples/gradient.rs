//! The book's chapter 4: numerical gradient and gradient descent on
//! f(x0, x1) = x0² + x1².
//!
//! Run with `cargo run --example gradient`.

use katachi::grad::{gradient_descent, numerical_gradient};
use katachi::prelude::*;

fn function_2(x: &Tensor<Rank1<2>, f64>) -> f64 {
    x.as_slice().iter().map(|v| v * v).sum()
}

fn main() {
    for point in [[3.0, 4.0], [0.0, 2.0], [3.0, 0.0]] {
        let mut x = Tensor::from(point);
        let g = numerical_gradient(function_2, &mut x);
        println!("gradient at {point:?} = {:?}", g.as_slice());
    }
    for lr in [0.1, 10.0, 1e-10] {
        let x = gradient_descent(function_2, Tensor::from([-3.0, 4.0]), lr, 100);
        println!(
            "100 steps of lr {lr:e} from (-3, 4) end at {:?}",
            x.as_slice()
        );
    }
}
