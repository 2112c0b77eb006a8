//! Cache blocking: how big a piece of each operand the loops work on,
//! sized from the kernel's tile and the caches the CPU reports
//! ([`crate::caches`]).
//!
//! Only the row and column blocks follow the caches. The depth block is
//! the same on every CPU: a product's sums are cut into the same pieces, in
//! the same order, whatever the machine, so every kernel on every CPU gives
//! the same bits (tested in `harness.rs`).

/// The depth of a block, loop 4: a 16 KiB `B` micro-panel for a 16-wide
/// `f32` kernel, half of a 32 KiB L1; 32 KiB for the 32-wide AVX-512
/// kernels, two thirds of the 48 KiB L1 the cores that have them carry.
pub const DEPTH: usize = 256;

use crate::caches::CacheSizes;

/// Block sizes for one kernel and element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// The deepest block of the product's depth, loop 4: a `KC × NR`
    /// micro-panel of `B` stays in L1 while a kernel streams `A` past it.
    /// A product `k` deep is cut into equal blocks no deeper than this
    /// ([`Blocking::depth`]). Always [`DEPTH`]: where the depth is cut
    /// decides how each element is rounded, so it must not follow the CPU.
    pub kc: usize,
    /// Rows of `A` per block, loop 3: the packed `MC × KC` block of `A`
    /// stays in L2. A multiple of the kernel's `MR`.
    pub mc: usize,
    /// Columns of `B` per block, loop 5: the packed `KC × NC` block of `B`
    /// stays in the core's share of L3. A multiple of the kernel's `NR`.
    pub nc: usize,
    /// Up to this many columns of C, A is read in place instead of packed:
    /// each element of A then feeds at most `direct_a_max_n / NR` tiles,
    /// too few to repay the copy.
    pub direct_a_max_n: usize,
    /// Up to this many rows of C, B is read in place instead of packed
    /// when its rows are contiguous: each element of B then feeds at most
    /// `direct_b_max_m / MR` tiles, too few to repay the copy.
    pub direct_b_max_m: usize,
    /// Whether a ragged last panel that a half and a quarter of the kernel
    /// cover is computed as those two, not as one whole panel: fewer FMAs
    /// but the broadcasts of `A` twice. It pays only where 512-bit FMAs
    /// cost two 256-bit ones (Zen 4: [`crate::caches::avx512_in_halves`]);
    /// on Zen 5 the whole panel made 100×784×50 12–17 % faster.
    pub split_ragged_panel: bool,
}

impl Blocking {
    /// The blocks for an `mr × nr` kernel on elements of `bytes` bytes,
    /// with `caches`.
    ///
    /// The packed blocks of `A` and `B` each take about half of the cache
    /// they live in (L2 and the core's share of L3), leaving the rest for
    /// what streams past them: the `B` micro-panel and `C`.
    pub fn for_kernel(mr: usize, nr: usize, bytes: usize, caches: CacheSizes) -> Blocking {
        let kc = DEPTH;
        let mc = (caches.l2 / 2 / (kc * bytes)).clamp(4 * mr, 128 * mr) / mr * mr;
        let nc = (caches.l3 / 2 / (kc * bytes)).clamp(16 * nr, 8192) / nr * nr;
        Blocking {
            kc,
            mc,
            nc,
            // 128 `f32` or 64 `f64` columns (512 bytes of a row of C: four
            // AVX-512 panels). Measured on SimpleConvNet's hidden layer
            // (n = 100): reading A in place made 100×4320×100 and its dW
            // 4320×100×100 10-20 % faster than packing it for four panels;
            // the book net's 50 columns were read in place already (the
            // cut was at 64).
            direct_a_max_n: 512 / bytes,
            // 32 rows, as measured on a convolution's products: reading B
            // in place made those of 16 and 30 filters 10-25 % faster (the
            // im2col matrix is not copied again) and a 32×784×1024 affine
            // step 10 %; at 64 rows it won or lost by turns, and on 1024³
            // it lost 20 % (each B panel then serves many tiles, and only a
            // packed one stays in L1 for all of them).
            direct_b_max_m: 32,
            split_ragged_panel: false,
        }
    }

    /// The depth of every block (the last may be shallower) of a product `k`
    /// deep: the fewest blocks of at most `kc`, as equal as they can be, so
    /// no kernel call runs a short tail (784 = 4 × 196, not 3 × 256 + 16).
    /// It depends on `k` alone, never on the thread count, so the sums
    /// every element sees do not either.
    pub fn depth(&self, k: usize) -> usize {
        k.div_ceil(k.div_ceil(self.kc).max(1)).max(1)
    }

    /// The height of each row block of an `m`-row product on `threads`
    /// threads: as few blocks of at most `mc` rows as cover `m`, rounded up
    /// to a multiple of the thread count, of equal height in whole `mr`
    /// panels (256 rows with `mc` 252: 132 + 124, not 252 + 4). Only the row
    /// split changes with the thread count, never the arithmetic per element.
    pub fn rows(&self, m: usize, mr: usize, threads: usize) -> usize {
        let blocks = m.div_ceil(self.mc).next_multiple_of(threads.max(1));
        m.div_ceil(blocks).next_multiple_of(mr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZEN3: CacheSizes = CacheSizes {
        l1d: 32 << 10,
        l2: 512 << 10,
        l3: 16 << 20,
        detected: true,
    };
    const SAPPHIRE_RAPIDS: CacheSizes = CacheSizes {
        l1d: 48 << 10,
        l2: 2 << 20,
        l3: 1875 << 10,
        detected: true,
    };

    #[test]
    fn blocks_follow_the_caches() {
        // AVX2 f32 (6×16) on Zen 3: a 16 KiB B panel, a 252 KiB A block.
        let b = Blocking::for_kernel(6, 16, 4, ZEN3);
        assert_eq!((b.kc, b.mc, b.nc, b.direct_a_max_n), (256, 252, 8192, 128));
        assert_eq!(b.direct_b_max_m, 32);
        // AVX-512 f32 (12×32) on Sapphire Rapids: a 1 MiB A block, a
        // 928 KiB B block.
        let b = Blocking::for_kernel(12, 32, 4, SAPPHIRE_RAPIDS);
        assert_eq!((b.kc, b.mc, b.nc), (256, 1020, 928));
        // The fallback caches still give sane blocks.
        let b = Blocking::for_kernel(6, 8, 8, CacheSizes::FALLBACK);
        assert_eq!((b.kc, b.mc, b.nc), (256, 60, 256));
    }

    #[test]
    fn depth_blocks_are_even() {
        let b = Blocking::for_kernel(6, 16, 4, ZEN3);
        assert_eq!(b.depth(784), 196);
        assert_eq!(b.depth(256), 256);
        assert_eq!(b.depth(257), 129);
        assert_eq!(b.depth(25), 25);
        assert_eq!(b.depth(0), 1);
        for k in 1..2000 {
            let d = b.depth(k);
            assert!(
                d <= b.kc && k.div_ceil(d) == k.div_ceil(b.kc),
                "k = {k}: {d}"
            );
        }
    }

    #[test]
    fn row_blocks_are_even_and_whole_panels() {
        let b = Blocking::for_kernel(6, 16, 4, ZEN3);
        assert_eq!(b.rows(256, 6, 1), 132);
        assert_eq!(b.rows(100, 6, 1), 102);
        assert_eq!(b.rows(100, 6, 2), 54);
        assert_eq!(b.rows(1024, 6, 2), 174);
        for m in 1..1500 {
            for threads in 1..5 {
                let h = b.rows(m, 6, threads);
                assert!(h.is_multiple_of(6) && h <= b.mc.max(6), "m = {m}: {h}");
                let blocks = m.div_ceil(h);
                assert!(blocks >= m.div_ceil(b.mc), "m = {m}: {blocks} blocks");
            }
        }
    }
}
