//! Mini-batches drawn by a seeded shuffle: every epoch visits every example
//! once, in an order fixed by the seed and the epoch number.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::init::RngState;
use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::{Error, Result};

/// Shuffled index batches over `n` examples.
///
/// ```
/// use katachi::train::Batches;
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
    /// If `batch` is 0; [`Batches::try_new`] returns an error instead.
    pub fn new(n: usize, batch: usize, seed: u64) -> Self {
        Self::try_new(n, batch, seed).expect("a batch needs at least one example")
    }

    /// [`Batches::new`] for a batch size that comes from a user.
    ///
    /// ```
    /// use katachi::train::Batches;
    /// let err = Batches::try_new(10, 0, 7).unwrap_err();
    /// assert_eq!(err.to_string(), "the batch size is 0: a batch needs at least one example");
    /// assert_eq!(Batches::try_new(10, 4, 7)?.per_epoch(), 3);
    /// # Ok::<(), katachi::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Setting`] if `batch` is 0.
    pub fn try_new(n: usize, batch: usize, seed: u64) -> Result<Self> {
        if batch == 0 {
            return Err(Error::setting(
                "the batch size",
                0,
                "a batch needs at least one example",
            ));
        }
        Ok(Self {
            order: (0..n).collect(),
            batch,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// The number of examples the batches are drawn from.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there are no examples to draw from.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Reshuffles and returns the next epoch's batches.
    pub fn epoch(&mut self) -> impl Iterator<Item = &[usize]> {
        self.shuffle();
        self.order.chunks(self.batch)
    }

    /// Reshuffles for the next epoch, whose batches
    /// [`Batches::current_epoch`] then gives: what [`Batches::epoch`] does,
    /// for a loop that holds on to the batches while it steps.
    pub fn shuffle(&mut self) {
        self.order.shuffle(&mut self.rng);
    }

    /// Batches per epoch.
    pub fn per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch)
    }

    /// The latest epoch's batches again, without reshuffling, from batch
    /// `skip` on: how a resumed run finishes the epoch it was stopped in.
    pub fn current_epoch(&self, skip: usize) -> impl Iterator<Item = &[usize]> {
        self.order.chunks(self.batch).skip(skip)
    }

    /// Where the batches stand: the latest epoch's order and the shuffle's
    /// generator. [`Batches::from_state`] continues from it exactly.
    ///
    /// ```
    /// use katachi::train::Batches;
    /// let mut straight = Batches::new(10, 4, 7);
    /// let mut resumed = Batches::new(10, 4, 7);
    /// straight.epoch();
    /// let second: Vec<Vec<usize>> = straight.epoch().map(<[usize]>::to_vec).collect();
    /// resumed.epoch();
    /// resumed.epoch().next(); // one batch into the second epoch, then stopped
    /// let mut resumed = Batches::from_state(resumed.state())?;
    /// let rest: Vec<Vec<usize>> = resumed.current_epoch(1).map(<[usize]>::to_vec).collect();
    /// assert_eq!(rest, second[1..]);
    /// assert_eq!(resumed.epoch().next(), straight.epoch().next()); // and on, the same
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn state(&self) -> BatchesState {
        BatchesState {
            order: self.order.clone(),
            batch: self.batch,
            rng: RngState::of(&self.rng),
        }
    }

    /// Batches that continue from `state`.
    ///
    /// # Errors
    /// [`Error::Setting`] if the batch size is 0 or the order is not each
    /// of `0..n` once (a state that was not taken by [`Batches::state`]).
    pub fn from_state(state: BatchesState) -> Result<Self> {
        let mut seen = vec![false; state.order.len()];
        let permutation = state
            .order
            .iter()
            .all(|&i| i < seen.len() && !std::mem::replace(&mut seen[i], true));
        if !permutation {
            return Err(Error::setting(
                "the saved batch order",
                format!("{} indices", state.order.len()),
                "it must hold each example once",
            ));
        }
        let mut batches = Self::try_new(0, state.batch, 0)?;
        batches.order = state.order;
        batches.rng = state.rng.restore();
        Ok(batches)
    }
}

/// What [`Batches::state`] returns: the order of the latest epoch, the
/// batch size, and the shuffle generator's position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchesState {
    /// The latest epoch's order of example indices.
    pub order: Vec<usize>,
    /// Examples per batch.
    pub batch: usize,
    /// The shuffle generator.
    pub rng: RngState,
}

/// The samples `rows` of `src` (indices along its first, batch, axis), in
/// that order, as a new batch: rows of a `[n, 784]` matrix, images of a
/// `[n, 1, 28, 28]` stack.
///
/// # Panics
/// If a row index is out of range, or the batch extent of `S` is static.
///
/// ```
/// use katachi::prelude::*;
/// use katachi::train::gather_rows;
/// let images = Tensor::<Nchw<1, 1, 2>>::from_vec((3, Const, Const, Const), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0])?;
/// assert_eq!(gather_rows(&images, &[2, 0]).as_slice(), &[4.0, 5.0, 0.0, 1.0]);
/// # Ok::<(), katachi::Error>(())
/// ```
pub fn gather_rows<S: Shape, E: Element>(src: &Tensor<S, E>, rows: &[usize]) -> Tensor<S, E> {
    let mut dims = src.dims().as_ref().to_vec();
    let n = dims.first().copied().unwrap_or(1);
    let sample = src.numel().checked_div(n).unwrap_or(0);
    let mut data = Vec::with_capacity(rows.len() * sample);
    for &r in rows {
        assert!(r < n, "gather_rows: sample {r} of {n}");
        data.extend_from_slice(&src.as_slice()[r * sample..][..sample]);
    }
    if let Some(batch) = dims.first_mut() {
        *batch = rows.len();
    }
    let shape = S::from_dims(&dims).expect("gather_rows: the batch extent must be a runtime one");
    Tensor::from_vec(shape, data).expect("rows × sample elements")
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
    fn a_state_that_is_not_a_permutation_is_refused() {
        let mut state = Batches::new(5, 2, 1).state();
        state.order[0] = state.order[1];
        assert_eq!(
            Batches::from_state(state).unwrap_err().to_string(),
            "the saved batch order is 5 indices: it must hold each example once"
        );
    }

    #[test]
    fn gather_keeps_row_order() {
        let t = Tensor::<crate::shape::Batch<2>>::from_rows(&[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
            .unwrap();
        assert_eq!(gather_rows(&t, &[2, 0]).as_slice(), &[4.0, 5.0, 0.0, 1.0]);
    }
}
