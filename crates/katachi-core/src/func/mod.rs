//! The book's functions (chapters 3 and 4) on tensors of any shape.
//!
//! Activations work element by element; softmax works along the last axis
//! (each row is one sample); losses average over the rows.

mod activation;
mod loss;
mod softmax;

pub use activation::{
    Activation, IdentityFn, ReluFn, SigmoidFn, TanhFn, identity, identity_grad, relu, relu_grad,
    sigmoid, sigmoid_grad, step, tanh, tanh_grad,
};
pub use loss::{
    LOG_EPSILON, accuracy, cross_entropy, cross_entropy_grad, cross_entropy_labels,
    sum_squared_error, sum_squared_error_grad,
};
pub use softmax::{softmax, softmax_backward};
