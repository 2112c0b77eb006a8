//! The five loops around the micro-kernel (the BLIS structure), labelled as
//! in the literature.
//!
//! Results do not depend on the thread count: threads split the rows of `C`
//! (loop 3), never the depth `k`, and the depth is cut into `KC` blocks the
//! same way whatever the split. Every element of `C` therefore sees the same
//! multiply-adds in the same order.

use std::ops::Range;

use super::blocking::Blocking;
use super::grid::BlockGrid;
use super::kernel::MicroKernel;
use super::pack::{pack_a, pack_b};
use super::tile::{ASource, BSource, Block, MAX_TILE, MacroTile, macro_tile};
use super::{Accum, GemmScratch, Product, TaskScratch, with_scratch};
use crate::element::Element;
use crate::matrix::MatRef;
use crate::par::Par;
use crate::team;

/// Packing B~ is split across threads only from this many elements: less
/// packs in less time than it takes to hand it out.
const PARALLEL_PACK: usize = 1 << 18;

/// Below this many packed elements of B~, each thread packs its own copy
/// instead of waiting for one shared copy (see `gemm_packed`).
const SHARED_PACK_FROM: usize = 1 << 17;

/// From this many rows per row block, each packs its own blocks of B~ (see
/// `drive`): at most one copied element per 192 FLOPs of the block.
const OWN_B_BLOCKS_FROM_ROWS: usize = 96;

/// A [`Product`] with `kernel` under `blocking`: the trivial cases, then
/// the plan (row-block height, thread count), then the thread driver.
pub(crate) fn gemm_packed<E: Element>(
    kernel: &MicroKernel<E>,
    blocking: Blocking,
    product: Product<'_, E>,
    par: Par,
    packing: Option<&mut GemmScratch<E>>,
) {
    let Product {
        dst,
        accum,
        bias,
        lhs,
        rhs,
    } = product;
    let (m, n, k) = (dst.rows, dst.cols, lhs.cols);
    let (mr, nr, rs) = (kernel.mr, kernel.nr, dst.rs);
    assert!(
        mr * nr <= MAX_TILE,
        "kernel tile {mr}×{nr} exceeds the edge scratch"
    );
    if m == 0 || n == 0 {
        return;
    }
    let c = &mut dst.data[..(m - 1) * rs + n];
    if k == 0 {
        if accum == Accum::Replace {
            fill_rows(c, rs, n, bias);
        }
        return;
    }
    let threads = if par.split(m * n * k) {
        par.threads()
    } else {
        1
    };
    let plan = Plan {
        kernel,
        mc: blocking.rows(m, mr, threads),
        blocks: BlockGrid {
            n,
            k,
            nc: blocking.nc,
            kc: blocking.depth(k),
            nr,
        },
        // A is read in place when the product is narrow: each element of A
        // then feeds only n/NR tiles, too few to repay copying it (packing A
        // took a fifth of a book-net step, measured).
        direct_a: n <= blocking.direct_a_max_n,
        // B is read in place when the product has few rows: each element
        // of B then feeds only m/MR tiles, and the copy would cost a good
        // part of the product (a convolution's im2col matrix, packed for
        // 16 or 30 filters). Only rows that are contiguous and apart (not
        // the one row of a transposed column), so a panel row is one or two
        // vector loads.
        direct_b: rhs.cs == 1 && rhs.rs >= n && m <= blocking.direct_b_max_m,
        split_ragged: blocking.split_ragged_panel,
        accum,
        bias,
        lhs,
        rhs,
        m,
        rs,
    };
    match packing {
        Some(scratch) => drive(&plan, c, threads, scratch),
        None => with_scratch(|scratch| drive(&plan, c, threads, scratch)),
    }
}

/// `C ← 0` (or every row `← bias`): a product with no depth.
fn fill_rows<E: Element>(c: &mut [E], rs: usize, n: usize, bias: Option<&[E]>) {
    for row in c.chunks_mut(rs) {
        let row = &mut row[..n];
        match bias {
            Some(b) => row.copy_from_slice(b),
            None => row.fill(E::ZERO),
        }
    }
}

/// One product, cut into blocks: everything the steps below share.
struct Plan<'a, E: 'static> {
    kernel: &'a MicroKernel<E>,
    /// Rows per row block (LOOP 3).
    mc: usize,
    blocks: BlockGrid,
    direct_a: bool,
    direct_b: bool,
    /// [`Blocking::split_ragged_panel`].
    split_ragged: bool,
    accum: Accum,
    bias: Option<&'a [E]>,
    lhs: MatRef<'a, E>,
    rhs: MatRef<'a, E>,
    m: usize,
    /// Row stride of C.
    rs: usize,
}

impl<E: Element> Plan<'_, E> {
    /// Packs all of B~ into `bbuf`, every (LOOP 5, LOOP 4) block one after
    /// another, and says where it lies. With `Par::Rayon`, a B~ large
    /// enough to pay for it is packed in parallel.
    fn pack_b(&self, bbuf: &mut Vec<E>, par: Par) -> Range<usize> {
        let (n, k) = (self.blocks.n, self.blocks.k);
        let total = self.blocks.packed_len();
        let range = aligned_range(bbuf, total);
        let bpack = &mut bbuf[range.clone()];
        // Decided on the whole of B~, not per block: a product cut into
        // many shallow blocks has as much to pack as one cut into few.
        let par = if total >= PARALLEL_PACK {
            par
        } else {
            Par::Seq
        };
        for (jc, pc, offset, len) in self.blocks.iter() {
            let (nc, kc) = (self.blocks.nc.min(n - jc), self.blocks.kc.min(k - pc));
            let panel = &mut bpack[offset..offset + len];
            pack_b(
                panel,
                &self.rhs,
                pc..pc + kc,
                jc..jc + nc,
                self.blocks.nr,
                par,
            );
        }
        range
    }

    /// LOOP 5 and LOOP 4 for row block `ib` of C (`c_rows`), with B~ as
    /// `b` has it and `abuf` for packing A. LOOP 4 is never split: every
    /// KC block adds into the same tile of C.
    fn row_block(&self, mut b: BBlocks<'_, E>, ib: usize, c_rows: &mut [E], abuf: &mut Vec<E>) {
        let (n, k, nr) = (self.blocks.n, self.blocks.k, self.blocks.nr);
        let ic = ib * self.mc;
        let mc_here = self.mc.min(self.m - ic);
        for (jc, pc, offset, len) in self.blocks.iter() {
            let (nc, kc) = (self.blocks.nc.min(n - jc), self.blocks.kc.min(k - pc));
            let a = self.a_source(abuf, ic, mc_here, pc, kc);
            let block = match (pc, self.accum, self.bias) {
                (0, Accum::Replace, Some(b)) => Block::FirstWithBias(b),
                (0, Accum::Replace, None) => Block::First,
                _ => Block::Later,
            };
            let bblock = match &mut b {
                BBlocks::Packed(bpack) => BSource::Packed(&bpack[offset..offset + len]),
                BBlocks::InPlace(tail) => self.b_source(tail, jc, nc, pc, kc),
                BBlocks::EachBlock(buf) => {
                    let block = aligned(buf, len);
                    pack_b(block, &self.rhs, pc..pc + kc, jc..jc + nc, nr, Par::Seq);
                    BSource::Packed(block)
                }
            };
            let tile = MacroTile {
                c_rows,
                rs: self.rs,
                jc,
                nc,
                mc: mc_here,
                kc,
                split_ragged: self.split_ragged,
            };
            macro_tile(self.kernel, &a, &bblock, tile, block);
        }
    }

    /// The `kc × nc` block of B at `(pc, jc)` read in place, with only a
    /// ragged last panel packed into `tail` (zero-padded, so the kernel
    /// never reads past the last column).
    fn b_source<'b>(
        &'b self,
        tail: &'b mut Vec<E>,
        jc: usize,
        nc: usize,
        pc: usize,
        kc: usize,
    ) -> BSource<'b, E> {
        let nr = self.kernel.nr;
        let whole = nc / nr;
        let tail = aligned(tail, if whole * nr < nc { nr * kc } else { 0 });
        if !tail.is_empty() {
            let cols = jc + whole * nr..jc + nc;
            pack_b(tail, &self.rhs, pc..pc + kc, cols, nr, Par::Seq);
        }
        BSource::Direct {
            rhs: self.rhs,
            row0: pc,
            col0: jc,
            whole,
            tail,
        }
    }

    /// The `mc × kc` block of A at `(ic, pc)`: packed into `abuf`, or read
    /// in place with only a ragged last panel packed (zero-padded, so the
    /// kernel never reads past the last row).
    fn a_source<'b>(
        &'b self,
        abuf: &'b mut Vec<E>,
        ic: usize,
        mc: usize,
        pc: usize,
        kc: usize,
    ) -> ASource<'b, E> {
        let mr = self.kernel.mr;
        if !self.direct_a {
            let apack = aligned(abuf, mc.div_ceil(mr) * mr * kc);
            pack_a(apack, &self.lhs, ic, mc, pc, kc, mr);
            return ASource::Packed(apack);
        }
        let whole = mc / mr;
        let tail = aligned(abuf, if whole * mr < mc { mr * kc } else { 0 });
        if !tail.is_empty() {
            pack_a(
                tail,
                &self.lhs,
                ic + whole * mr,
                mc - whole * mr,
                pc,
                kc,
                mr,
            );
        }
        ASource::Direct {
            lhs: self.lhs,
            row0: ic,
            col0: pc,
            whole,
            tail,
        }
    }
}

/// The thread driver: LOOP 3 over row blocks, on `threads` threads.
///
/// Every row block gets buffers of its own in `scratch` (the calling
/// thread's, or those of the task that called), lent to whichever thread
/// runs the block. They are reused from one product to the next whichever
/// thread takes which block, so a warm training step allocates nothing (a
/// buffer owned by each thread would be sized the first time that thread
/// happened to take a block).
fn drive<E: Element>(
    plan: &Plan<'_, E>,
    c: &mut [E],
    threads: usize,
    scratch: &mut GemmScratch<E>,
) {
    let (mc, rs) = (plan.mc, plan.rs);
    let row_blocks = plan.m.div_ceil(mc);
    if scratch.tasks.len() < row_blocks {
        scratch.tasks.resize_with(row_blocks, TaskScratch::default);
    }
    let tasks = &mut scratch.tasks[..row_blocks];
    if row_blocks == 1 && !plan.direct_b {
        // One row block (one thread, or too few rows to split): each block
        // of B~ is packed just before its macro-tile, into one block-sized
        // buffer. Packed all at once, B~ would be written out to memory and
        // read back (a 100-column B of depth 4320 packs to 2.2 MB, twice a
        // Zen 4 core's L2); a block at a time, it is read while its lines
        // are still in cache.
        let task = &mut tasks[0];
        plan.row_block(BBlocks::EachBlock(&mut task.b), 0, c, &mut task.a);
        return;
    }
    let blocks = c.chunks_mut(mc * rs).zip(tasks.iter_mut()).enumerate();
    if plan.direct_b {
        // B read in place: each row block packs only its ragged panels.
        team::for_each(threads, blocks, |(ib, (c_rows, task))| {
            plan.row_block(BBlocks::InPlace(&mut task.b), ib, c_rows, &mut task.a);
        });
        return;
    }
    if threads > 1 && plan.blocks.packed_len() < SHARED_PACK_FROM {
        // A small B~: every row block packs its own copy. That costs no
        // wall time (the copies are packed side by side) and starts the
        // parallel region at once, with no single-threaded step before it.
        team::for_each(threads, blocks, |(ib, (c_rows, task))| {
            let range = plan.pack_b(&mut task.b, Par::Seq);
            plan.row_block(BBlocks::Packed(&task.b[range]), ib, c_rows, &mut task.a);
        });
        return;
    }
    if threads > 1 && mc >= OWN_B_BLOCKS_FROM_ROWS {
        // Tall row blocks each pack B~ a block at a time for themselves, as
        // one row block does: read from this core's cache, not from a B~
        // packed by all (2 threads, Zen 5: 256×784×1024 and 256×1024×1024
        // 10–25 % faster, 1024³ 7 %). One thread packs B~ once instead.
        team::for_each(threads, blocks, |(ib, (c_rows, task))| {
            plan.row_block(BBlocks::EachBlock(&mut task.b), ib, c_rows, &mut task.a);
        });
        return;
    }
    // A large B~ is packed once (across threads when large) and shared.
    let par = if threads > 1 { Par::Rayon } else { Par::Seq };
    let range = plan.pack_b(&mut scratch.shared_b, par);
    let bpack: &[E] = &scratch.shared_b[range];
    team::for_each(threads, blocks, |(ib, (c_rows, task))| {
        plan.row_block(BBlocks::Packed(bpack), ib, c_rows, &mut task.a)
    });
}

/// B~ as a row block sees it.
enum BBlocks<'a, E> {
    /// All of it packed, every (LOOP 5, LOOP 4) block in turn.
    Packed(&'a [E]),
    /// Read in place; the buffer is for each block's ragged last panel.
    InPlace(&'a mut Vec<E>),
    /// Packed a block at a time into this buffer, just before its use.
    EachBlock(&'a mut Vec<E>),
}

/// Cache-line alignment for packed panels: a 256-bit load from a panel row
/// then never straddles two lines (a split load costs a second access).
const PANEL_ALIGN: usize = 64;

/// Where in `buf` a run of `len` elements starting at a `PANEL_ALIGN`-byte
/// boundary lies (growing `buf` if needed). Every element of the run is
/// overwritten by packing, so stale contents do not matter.
fn aligned_range<E: Element>(buf: &mut Vec<E>, len: usize) -> Range<usize> {
    let slack = PANEL_ALIGN / size_of::<E>();
    if buf.len() < len + slack {
        buf.resize(len + slack, E::ZERO);
    }
    let offset = buf.as_ptr().align_offset(PANEL_ALIGN).min(slack);
    offset..offset + len
}

/// The aligned run of [`aligned_range`], borrowed.
fn aligned<E: Element>(buf: &mut Vec<E>, len: usize) -> &mut [E] {
    let range = aligned_range(buf, len);
    &mut buf[range]
}
