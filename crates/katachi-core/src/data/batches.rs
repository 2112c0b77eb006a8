//! Mini-batches drawn by a seeded shuffle: every epoch visits every example
//! once, in an order fixed by the seed and the epoch number.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::Element;
use crate::shape::{Batch, Const};
use crate::tensor::Tensor;

/// Shuffled index batches over `n` examples.
///
/// ```
/// use katachi_core::data::Batches;
/// let mut batches = Batches::new(10, 4, 7);
/// let epoch: Vec<Vec<usize>> = batches.epoch().map(<[usize]>::to_vec).collect();
/// assert_eq!(epoch.len(), 3); // 4 + 4 + 2
/// let mut seen: Vec<usize> = epoch.concat();
/// seen.sort();
/// assert_eq!(seen, (0..10).collect::<Vec<_>>());
/// ```
#[derive(Clone, Debug)]
pub struct Batches {
    order: Vec<usize>,
    batch: usize,
    rng: ChaCha8Rng,
}

impl Batches {
    /// Batches of `batch` indices (the last of an epoch may be shorter) over
    /// `n` examples, shuffled by a generator seeded with `seed`.
    ///
    /// # Panics
    /// If `batch` is 0.
    pub fn new(n: usize, batch: usize, seed: u64) -> Self {
        assert!(batch > 0, "a batch needs at least one example");
        Self {
            order: (0..n).collect(),
            batch,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Reshuffles and returns the next epoch's batches.
    pub fn epoch(&mut self) -> impl Iterator<Item = &[usize]> {
        self.order.shuffle(&mut self.rng);
        self.order.chunks(self.batch)
    }

    /// Batches per epoch.
    pub fn per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch)
    }
}

/// The rows `rows` of `src`, in that order, as a new batch.
///
/// # Panics
/// If a row index is out of range.
pub fn gather_rows<const N: usize, E: Element>(
    src: &Tensor<Batch<N>, E>,
    rows: &[usize],
) -> Tensor<Batch<N>, E> {
    let mut data = Vec::with_capacity(rows.len() * N);
    for &r in rows {
        data.extend_from_slice(src.row(r));
    }
    Tensor::from_vec((rows.len(), Const), data).expect("rows × N elements")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_order_and_epochs_differ() {
        let take = |seed| {
            let mut b = Batches::new(50, 8, seed);
            let first: Vec<usize> = b.epoch().flatten().copied().collect();
            let second: Vec<usize> = b.epoch().flatten().copied().collect();
            (first, second)
        };
        let (a1, a2) = take(1);
        let (b1, _) = take(1);
        let (c1, _) = take(2);
        assert_eq!(a1, b1);
        assert_ne!(a1, a2);
        assert_ne!(a1, c1);
        let mut sorted = a2.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn gather_keeps_row_order() {
        let t = Tensor::<Batch<2>>::from_rows(&[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]).unwrap();
        assert_eq!(gather_rows(&t, &[2, 0]).as_slice(), &[4.0, 5.0, 0.0, 1.0]);
    }
}
