//! How much parallelism a kernel may use.

/// Parallelism for one kernel call.
///
/// Kernels split their output by rows; each row is computed by exactly one
/// thread with the same sequence of operations whatever the split, so the
/// result is bit-identical for every choice here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Par {
    /// Run on the calling thread.
    Seq,
    /// Use the threads of the current rayon pool when the work is large enough
    /// to pay for the hand-off (small work stays on the calling thread).
    /// The pool, and so the thread count, is the caller's to choose, e.g. with
    /// `rayon::ThreadPoolBuilder::install`.
    #[default]
    Rayon,
}

/// Below this many multiply-adds a kernel stays on one thread: handing rows to
/// other threads costs a few microseconds, which is the time one core needs
/// for roughly this much work.
pub(crate) const PARALLEL_THRESHOLD_FLOPS: usize = 1 << 17;

impl Par {
    /// Whether work of `flops` multiply-adds should be split across threads.
    pub(crate) fn split(self, flops: usize) -> bool {
        match self {
            Par::Seq => false,
            Par::Rayon => flops >= PARALLEL_THRESHOLD_FLOPS && rayon::current_num_threads() > 1,
        }
    }
}
