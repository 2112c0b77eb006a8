//! Numerical differentiation (chapter 4) and the gradient check that holds
//! backprop to it (chapter 5).

mod check;
mod numerical;

pub use check::{GradientReport, ParamCheck, gradient_check};
pub use numerical::{H, gradient_descent, numerical_diff, numerical_gradient};
