//! Derived code adds no warnings to a crate that denies them.
#![deny(warnings, unused_qualifications, missing_docs, rust_2018_idioms)]

use katachi::prelude::*;

/// A network declared in a crate that forbids warnings.
#[derive(Network, Default)]
pub struct Strict<const H: usize> {
    /// Input layer.
    pub affine1: Affine<784, H>,
    /// Activation.
    pub relu: Relu,
    /// Output layer.
    pub affine2: Affine<H, 10>,
    /// Not a layer.
    #[network(skip)]
    pub note: &'static str,
}

#[test]
fn derived_code_is_warning_free() {
    let net = Strict::<16> {
        note: "ok",
        ..Default::default()
    };
    assert_eq!(net.num_params(), 784 * 16 + 16 + 16 * 10 + 10);
}
