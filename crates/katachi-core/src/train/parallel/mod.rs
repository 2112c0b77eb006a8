//! Data-parallel training: every process (rank) holds the whole network,
//! computes the gradient of its share of each global batch, and all of them
//! apply the same update.
//!
//! The communication is behind [`Collective`], so the same code runs in one
//! process ([`Local`]) and over MPI (`katachi::dist::World`, cargo feature
//! `mpi`). [`DataParallel`] is the step;
//! [`Trainer::data_parallel`](crate::train::Trainer::data_parallel) runs a
//! whole training run with it.
//!
//! # What is guaranteed
//!
//! With a global batch of `B` samples cut into `G` **groups** (contiguous,
//! sizes differing by at most one; [`DataParallel::groups`], 6 by default)
//! and `P ≤ G` ranks each computing whole groups, the parameters after any
//! number of steps are **bit-identical on every rank, for every `P` from 1
//! to `G`, on any number of threads per rank**: one process running the
//! same data-parallel step (`P = 1`, or [`Local`]) gives the same bits as
//! 2, 3 or 6 processes. This holds because
//!
//! - a group's gradient depends only on its samples (katachi's kernels give
//!   the same bits on any number of threads), whichever rank computes it;
//! - the group gradients are summed exactly: each is rounded once onto a
//!   fixed-point grid that every rank agrees on, per tensor, and the grid
//!   points are added as 64-bit integers, so neither the number of ranks
//!   nor the tree MPI adds along changes a bit;
//! - dropout draws each group's masks from a stream fixed by the step and
//!   the group, not by the rank.
//!
//! The grid's step is 2^(e − 50 + ⌈log₂ G⌉) for a tensor whose largest
//! group sum (gradient × group size) is below 2^e: the summed gradient is
//! the exact sum of the groups to within 2⁻⁴⁸ of the tensor's largest
//! magnitude (for `G = 6`), about 2²⁴ times finer than the `f32` rounding of
//! that largest element. What changes with `G` is the grouping itself, so a
//! run with `G = 6` is reproducible on 1, 2, 3 or 6 ranks, but is not the
//! bit pattern of an ordinary single-batch step ([`backprop`](crate::layer::backprop)),
//! which sums the batch in one pass; both are the same gradient to within
//! rounding.
//!
//! Not supported yet: layers whose running statistics are updated from the
//! samples a rank sees (`BatchNorm`): they are refused by name, since the
//! ranks would drift apart.
//!
//! # Failures
//!
//! Every step begins with one small message in which each rank says whether
//! its part failed (bad data, a diverged loss, a non-finite gradient): if
//! one did, every rank returns [`Error::Rank`](crate::Error::Rank) naming it
//! and its error, together, instead of waiting for a gradient that never
//! comes.

mod agree;
mod data_parallel;
mod exact;
mod shard;
mod stash;

pub(crate) use data_parallel::Place;
pub use data_parallel::{DataParallel, Traffic};

/// The collective operations data-parallel training needs, between the
/// ranks `0..size()` of one job. Every rank must call the same operations
/// in the same order with buffers of the same length.
///
/// `katachi::dist::World` implements it over MPI; [`Local`] is one process
/// on its own.
pub trait Collective {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn size(&self) -> usize;

    /// `recv[i]` becomes the sum of `send[i]` over all ranks. Integer
    /// addition is exact, so the result does not depend on the order the
    /// implementation adds in.
    fn all_reduce_sum(&self, send: &[i64], recv: &mut [i64]);

    /// `buf[i]` becomes the largest `buf[i]` over all ranks.
    fn all_reduce_max(&self, buf: &mut [i64]);

    /// `buf` becomes rank `root`'s `buf` on every rank.
    fn broadcast(&self, buf: &mut [i64], root: usize);
}

/// One process on its own: rank 0 of 1, every collective a copy.
///
/// A data-parallel run on `Local` is the reference the ranks of a real job
/// reproduce bit for bit.
///
/// ```
/// use katachi::train::parallel::{Collective, Local};
/// let mut sum = [0; 2];
/// Local.all_reduce_sum(&[3, -4], &mut sum);
/// assert_eq!((Local.rank(), Local.size(), sum), (0, 1, [3, -4]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Local;

impl Collective for Local {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_reduce_sum(&self, send: &[i64], recv: &mut [i64]) {
        recv.copy_from_slice(send);
    }

    fn all_reduce_max(&self, _buf: &mut [i64]) {}

    fn broadcast(&self, _buf: &mut [i64], _root: usize) {}
}
