//! Guides: pages that walk through a task from start to end, with
//! examples that run as tests.
//!
//! - [`writing_a_layer`]: a layer of your own (a LeakyReLU, a layer with a
//!   learned parameter), from the traits to the gradient check.

#[doc = include_str!("writing-a-layer.md")]
pub mod writing_a_layer {}
