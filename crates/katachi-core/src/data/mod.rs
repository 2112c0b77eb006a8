//! Data: the IDX reader, MNIST-format data sets, and seeded mini-batches.

mod batches;
mod idx;
mod mnist;

pub use batches::{Batches, gather_rows};
pub use idx::{Idx, parse_idx, read_idx};
pub use mnist::{Mnist, Split};
