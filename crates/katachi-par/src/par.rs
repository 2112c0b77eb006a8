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
    /// Split work large enough to pay for it (small work stays on the
    /// calling thread) across as many threads as the current rayon pool
    /// has: the thread count is the caller's to choose, with
    /// `RAYON_NUM_THREADS` or `rayon::ThreadPoolBuilder::install`. The work
    /// itself runs on katachi's own team of threads, the calling thread
    /// among them, which spin for about a millisecond after each kernel
    /// before they sleep, so the kernels of one training step do not each
    /// pay to wake a sleeping thread. One kernel at a time has the team:
    /// a kernel started while another has it (from another thread of
    /// yours, or inside one of its tasks) runs on its calling thread
    /// alone, never waiting for the team.
    #[default]
    Rayon,
}

/// Below this many multiply-adds a kernel stays on one thread.
///
/// Measured on a 2-core Zen 4 machine with the team of threads (median of
/// 3500 products, each after 30 µs of one-threaded work, as in a training
/// step; one thread against two): at 0.26 M multiply-adds (64³) two
/// threads lose, 9.7 µs against 5.5–7.2; at 0.32 M (100×64×50) they tie,
/// 9.3–10.0 against 8.9–11.4; at 0.64 M (100×128×50) they win by under
/// 10 %, 15.4 against 16.6; at 1.05 M
/// (128×64×128) by 1.4–1.6×; at 1.3 M (100×256×50) by 1.7–1.8×; at 3.9 M
/// (the book net's 100×784×50) by 1.7–1.8×. Handing work to a thread and
/// filling its caches costs a few microseconds, which smaller products do
/// not repay. (With rayon's workers, which sleep between products, two
/// threads only tied at 1.05 M.)
pub(crate) const PARALLEL_THRESHOLD_FLOPS: usize = 1 << 20;

/// Elements per task when element-wise work (activations, their
/// gradients) is split across threads: large tensors only (a
/// convolution's maps, 1.7 M elements per batch of 100), so a book-net
/// step never pays for the hand-off.
pub(crate) const ELEMENTS_PER_TASK: usize = 1 << 16;

impl Par {
    /// Whether work of `flops` multiply-adds should be split across threads.
    pub(crate) fn split(self, flops: usize) -> bool {
        match self {
            Par::Seq => false,
            Par::Rayon => flops >= PARALLEL_THRESHOLD_FLOPS && rayon::current_num_threads() > 1,
        }
    }

    /// The threads a split region may use: the current rayon pool's
    /// count (1 for [`Par::Seq`]).
    pub(crate) fn threads(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon => rayon::current_num_threads(),
        }
    }

    /// Whether element-wise work over `len` elements should be split
    /// across threads, in tasks of [`ELEMENTS_PER_TASK`].
    pub(crate) fn split_elements(self, len: usize) -> bool {
        match self {
            Par::Seq => false,
            Par::Rayon => len > 2 * ELEMENTS_PER_TASK && rayon::current_num_threads() > 1,
        }
    }
}

/// Runs `f` on a fresh rayon pool of `threads` threads: how the tests show
/// that results do not depend on the thread count.
#[cfg(test)]
pub(crate) fn on_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
        .install(f)
}
