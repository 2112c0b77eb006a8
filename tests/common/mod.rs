//! Fixtures shared by the integration tests.

use katachi::prelude::*;

/// Four 6-wide rows of mixed signs: the input of the derived-network tests.
pub fn batch() -> Tensor<Batch<6>, f64> {
    Tensor::from_rows(&[
        [0.5, -1.2, 0.3, 2.0, -0.1, 0.7],
        [1.0, 0.1, -0.4, -0.6, 0.9, -1.5],
        [-0.8, 0.9, 1.5, 0.2, 0.4, 0.0],
        [0.3, 0.3, -0.3, 1.1, -2.0, 0.6],
    ])
    .unwrap()
}

/// One label of three classes per row of [`batch`].
pub fn labels() -> Labels<3> {
    Labels::new(vec![2, 0, 1, 1]).unwrap()
}
