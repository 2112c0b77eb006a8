//! The grid of (LOOP 5, LOOP 4) blocks a product is cut into, and where
//! each block lies in a packed B~.

/// The (LOOP 5, LOOP 4) blocks of B~, in packing order, and where each lies
/// in the packed buffer.
#[derive(Clone, Copy)]
pub(super) struct BlockGrid {
    /// Columns of the product.
    pub(super) n: usize,
    /// Its depth.
    pub(super) k: usize,
    /// Columns per column block (LOOP 5).
    pub(super) nc: usize,
    /// Depth per depth block (LOOP 4).
    pub(super) kc: usize,
    /// The kernel's panel width.
    pub(super) nr: usize,
}

impl BlockGrid {
    /// `(jc, pc, offset, len)` for every block: LOOP 5 over column blocks,
    /// LOOP 4 over depth blocks.
    pub(super) fn iter(self) -> impl Iterator<Item = (usize, usize, usize, usize)> {
        let mut offset = 0;
        (0..self.n)
            .step_by(self.nc)
            .flat_map(move |jc| (0..self.k).step_by(self.kc).map(move |pc| (jc, pc)))
            .map(move |(jc, pc)| {
                let len =
                    self.nc.min(self.n - jc).div_ceil(self.nr) * self.nr * self.kc.min(self.k - pc);
                let start = offset;
                offset += len;
                (jc, pc, start, len)
            })
    }

    /// Elements of the whole packed B~: the blocks' lengths added up (a
    /// column block narrower than a whole number of panels is padded on its
    /// own, so this is not simply `ceil(n / NR)·NR·k`).
    pub(super) fn packed_len(self) -> usize {
        self.iter().map(|(_, _, _, len)| len).sum()
    }
}
