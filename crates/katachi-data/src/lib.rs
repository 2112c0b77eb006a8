//! Data sets for katachi: the IDX reader and labelled image sets in
//! MNIST's format, at any image size and class count.
//!
//! The facade re-exports this crate as `katachi::data` (feature `data`, on
//! by default), with the core's seeded mini-batches beside it:
//!
//! ```no_run
//! use katachi::data::{Batches, Mnist};
//! let mnist = Mnist::<f32>::load("data/mnist".as_ref())?;
//! let mut batches = Batches::new(mnist.train.len(), 100, 7);
//! for rows in batches.epoch().take(1) {
//!     let batch = mnist.train.select(rows);
//!     assert_eq!(batch.images.dims(), [100, 784]);
//! }
//! # Ok::<(), katachi::Error>(())
//! ```

#![forbid(unsafe_code)]

mod idx;
mod image_set;

pub use idx::{DEFAULT_MAX_ELEMENTS, Idx, parse_idx, read_idx, read_idx_limited};
pub use image_set::{ImageSet, Mnist, Split};
/// Seeded mini-batches and row gathering, from `katachi::train`, where the
/// training loop draws its batches.
pub use katachi_core::train::{Batches, gather_rows};
