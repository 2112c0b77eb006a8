//! The five loops around the micro-kernel (the BLIS structure), labelled as
//! in the literature.
//!
//! Results do not depend on the thread count: threads split the rows of `C`
//! (loop 3), never the depth `k`, and the depth is cut into `KC` blocks the
//! same way whatever the split. Every element of `C` therefore sees the same
//! multiply-adds in the same order.

use rayon::prelude::*;

use super::blocking::Blocking;
use super::kernel::{MicroKernel, WriteBack};
use super::pack::{pack_a, pack_b};
use super::{Accum, Scratch};
use crate::{Float, MatMut, MatRef, Par};

/// The largest tile any kernel computes, for the edge scratch tile.
const MAX_TILE: usize = 128;

/// `dst ← (dst +) lhs·rhs (+ bias)` with `kernel`; shapes already checked.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_packed<E: Float>(
    kernel: &MicroKernel<E>,
    blocking: Blocking,
    dst: MatMut<'_, E>,
    accum: Accum,
    bias: Option<&[E]>,
    lhs: MatRef<'_, E>,
    rhs: MatRef<'_, E>,
    par: Par,
) {
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
            for row in c.chunks_mut(rs) {
                let row = &mut row[..n];
                match bias {
                    Some(b) => row.copy_from_slice(b),
                    None => row.fill(E::ZERO),
                }
            }
        }
        return;
    }
    let threads = if par.split(m * n * k) {
        rayon::current_num_threads()
    } else {
        1
    };
    // With several threads, shrink the row blocks so each thread gets one.
    // Only the row split changes: the arithmetic per element does not.
    let mc = if threads > 1 {
        blocking.mc.min((m.div_ceil(threads)).next_multiple_of(mr))
    } else {
        blocking.mc
    };

    // LOOP 5: split n into NC-wide column blocks (B, C).
    for jc in (0..n).step_by(blocking.nc) {
        let nc = blocking.nc.min(n - jc);
        // LOOP 4: split k into KC-deep blocks (A, B). Not parallel: every
        // block adds into the same tile of C.
        for pc in (0..k).step_by(blocking.kc) {
            let kc = blocking.kc.min(k - pc);
            let first = match (pc, accum, bias) {
                (0, Accum::Replace, Some(b)) => Block::FirstWithBias(b),
                (0, Accum::Replace, None) => Block::First,
                _ => Block::Later,
            };
            E::with_scratch(Scratch::B, |bbuf| {
                let bpack = aligned(bbuf, nc.div_ceil(nr) * nr * kc);
                // Pack B~ (loop 5/4 block), panel by panel.
                pack_b(bpack, &rhs, pc, kc, jc, nc, nr, threads > 1);
                let bpack: &[E] = bpack;
                // LOOP 3: split m into MC-tall row blocks (A, C): the parallel loop.
                let row_block = |(ib, c_rows): (usize, &mut [E])| {
                    let ic = ib * mc;
                    let mc_here = mc.min(m - ic);
                    E::with_scratch(Scratch::A, |abuf| {
                        let apack = aligned(abuf, mc_here.div_ceil(mr) * mr * kc);
                        pack_a(apack, &lhs, ic, mc_here, pc, kc, mr);
                        macro_tile(kernel, apack, bpack, c_rows, rs, jc, nc, mc_here, kc, first);
                    });
                };
                if threads > 1 {
                    c.par_chunks_mut(mc * rs).enumerate().for_each(row_block);
                } else {
                    c.chunks_mut(mc * rs).enumerate().for_each(row_block);
                }
            });
        }
    }
}

/// Cache-line alignment for packed panels: a 256-bit load from a panel row
/// then never straddles two lines (a split load costs a second access).
const PANEL_ALIGN: usize = 64;

/// `len` elements of `buf`, starting at a `PANEL_ALIGN`-byte boundary.
/// Every element is overwritten by packing, so stale contents do not matter.
fn aligned<E: Float>(buf: &mut Vec<E>, len: usize) -> &mut [E] {
    let slack = PANEL_ALIGN / std::mem::size_of::<E>();
    if buf.len() < len + slack {
        buf.resize(len + slack, E::ZERO);
    }
    let offset = buf.as_ptr().align_offset(PANEL_ALIGN).min(slack);
    &mut buf[offset..offset + len]
}

/// Which KC block of the product a macro-tile belongs to.
#[derive(Clone, Copy)]
enum Block<'a, E> {
    /// The first, with `Accum::Replace`: overwrite.
    First,
    /// The first, with `Accum::Replace` and a bias: overwrite with `T + b`.
    FirstWithBias(&'a [E]),
    /// Any other (or `Accum::Add`): add.
    Later,
}

/// LOOPS 2 and 1: every micro-tile of one `mc × nc` block of C.
#[allow(clippy::too_many_arguments)]
fn macro_tile<E: Float>(
    kernel: &MicroKernel<E>,
    apack: &[E],
    bpack: &[E],
    c_rows: &mut [E],
    rs: usize,
    jc: usize,
    nc: usize,
    mc: usize,
    kc: usize,
    block: Block<'_, E>,
) {
    let (mr, nr) = (kernel.mr, kernel.nr);
    // LOOP 2: micro-panels of B~.
    for (jr, bpanel) in bpack.chunks_exact(nr * kc).enumerate() {
        let col = jc + jr * nr;
        let cols = nr.min(jc + nc - col);
        let tile_bias = match block {
            Block::FirstWithBias(b) => Some(&b[col..col + cols]),
            _ => None,
        };
        // LOOP 1: micro-panels of A~.
        for (ir, apanel) in apack.chunks_exact(mr * kc).enumerate() {
            let rows = mr.min(mc - ir * mr);
            let origin = ir * mr * rs + col;
            if rows == mr && cols == nr {
                let wb = match (block, tile_bias) {
                    (Block::First, _) => WriteBack::Replace,
                    (Block::FirstWithBias(_), Some(b)) => WriteBack::ReplaceWithBias(b),
                    _ => WriteBack::Add,
                };
                (kernel.run)(kc, apanel, bpanel, &mut c_rows[origin..], rs, wb);
            } else {
                // Ragged edge: the same kernel on a scratch tile, then the
                // valid part written back with the same additions.
                let mut tile = [E::ZERO; MAX_TILE];
                (kernel.run)(
                    kc,
                    apanel,
                    bpanel,
                    &mut tile[..mr * nr],
                    nr,
                    WriteBack::Replace,
                );
                for i in 0..rows {
                    let out = &mut c_rows[origin + i * rs..origin + i * rs + cols];
                    let t = &tile[i * nr..i * nr + cols];
                    match (block, tile_bias) {
                        (Block::First, _) => out.copy_from_slice(t),
                        (Block::FirstWithBias(_), Some(b)) => out
                            .iter_mut()
                            .zip(t)
                            .zip(b)
                            .for_each(|((o, &t), &b)| *o = t + b),
                        _ => out.iter_mut().zip(t).for_each(|(o, &t)| *o += t),
                    }
                }
            }
        }
    }
}
