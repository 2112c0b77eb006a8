//! The book's chapter 5 shopping example: backprop through multiplication
//! and addition nodes. 2 apples at 100 and 3 oranges at 150, with 10 % tax.
//!
//! Run with `cargo run --example shopping`.

use katachi::prelude::*;

fn main() {
    let (apple, apple_num, orange, orange_num, tax) = (100.0_f64, 2.0, 150.0, 3.0, 1.1);
    let (mut mul_apple, mut mul_orange, mut add_fruit, mut mul_tax) =
        (Mul::default(), Mul::default(), Add, Mul::default());

    // forward
    let apple_price = mul_apple.forward((apple, apple_num));
    let orange_price = mul_orange.forward((orange, orange_num));
    let all_price = add_fruit.forward((apple_price, orange_price));
    let price = mul_tax.forward((all_price, tax));

    // backward
    let (d_all_price, d_tax) = mul_tax.backward(1.0);
    let (d_apple_price, d_orange_price) = add_fruit.backward(d_all_price);
    let (d_apple, d_apple_num) = mul_apple.backward(d_apple_price);
    let (d_orange, d_orange_num) = mul_orange.backward(d_orange_price);

    println!("price: {price:.0}");
    println!("d apple: {d_apple:.1}, d apple count: {d_apple_num:.0}");
    println!("d orange: {d_orange:.1}, d orange count: {d_orange_num:.0}");
    println!("d tax: {d_tax:.0}");
}
