//! Data: the IDX reader, MNIST-format data sets, and seeded mini-batches.

mod batches;
mod idx;
mod mnist;

pub use batches::{Batches, gather_rows};
pub use idx::{DEFAULT_MAX_ELEMENTS, Idx, parse_idx, read_idx, read_idx_limited};
pub use mnist::{Mnist, Split};
