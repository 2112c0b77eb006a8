//! LOOPS 2 and 1 around the micro-kernel: every micro-tile of one
//! macro-tile of C, with the ragged edges computed on a scratch tile.

use super::kernel::{APanel, BPanel, MicroKernel, WriteBack};
use crate::element::Element;
use crate::matrix::MatRef;

/// The largest tile any kernel computes, for the edge scratch tile.
pub(super) const MAX_TILE: usize = 384;

/// Which KC block of the product a macro-tile belongs to.
#[derive(Clone, Copy)]
pub(super) enum Block<'a, E> {
    /// The first, with `Accum::Replace`: overwrite.
    First,
    /// The first, with `Accum::Replace` and a bias: overwrite with `T + b`.
    FirstWithBias(&'a [E]),
    /// Any other (or `Accum::Add`): add.
    Later,
}

/// Where the `MR`-row panels of a row block of A come from.
#[derive(Clone, Copy)]
pub(super) enum ASource<'a, E> {
    /// Packed: panel `ir` is `data[ir·MR·kc..][..MR·kc]`.
    Packed(&'a [E]),
    /// Read in place from `lhs` (rows from `row0`, columns from `col0`) for
    /// the `whole` full panels; a ragged last one is packed in `tail`.
    Direct {
        lhs: MatRef<'a, E>,
        row0: usize,
        col0: usize,
        whole: usize,
        tail: &'a [E],
    },
}

impl<'a, E: Copy> ASource<'a, E> {
    /// Panel `ir` of a block `kc` deep, for a kernel `mr` rows tall.
    fn panel(&self, ir: usize, kc: usize, mr: usize) -> APanel<'a, E> {
        match *self {
            ASource::Packed(data) => APanel::packed(&data[ir * mr * kc..(ir + 1) * mr * kc], mr),
            ASource::Direct { tail, whole, .. } if ir == whole => APanel::packed(tail, mr),
            ASource::Direct {
                lhs, row0, col0, ..
            } => {
                let start = (row0 + ir * mr) * lhs.rs + col0 * lhs.cs;
                APanel {
                    data: &lhs.data[start..],
                    rs: lhs.rs,
                    cs: lhs.cs,
                }
            }
        }
    }
}

/// Where the `NR`-column panels of a `kc × nc` block of B come from.
#[derive(Clone, Copy)]
pub(super) enum BSource<'a, E> {
    /// Packed: panel `jr` is `data[jr·NR·kc..][..NR·kc]`.
    Packed(&'a [E]),
    /// Read in place from a `rhs` with contiguous rows (rows from `row0`,
    /// columns from `col0`) for the `whole` full panels; a ragged last one
    /// is packed in `tail`.
    Direct {
        rhs: MatRef<'a, E>,
        row0: usize,
        col0: usize,
        whole: usize,
        tail: &'a [E],
    },
}

impl<'a, E: Copy> BSource<'a, E> {
    /// Panel `jr` of a block `kc` deep, for a kernel `nr` columns wide.
    fn panel(&self, jr: usize, kc: usize, nr: usize) -> BPanel<'a, E> {
        match *self {
            BSource::Packed(data) => BPanel::packed(&data[jr * nr * kc..(jr + 1) * nr * kc], nr),
            BSource::Direct { tail, whole, .. } if jr == whole => BPanel::packed(tail, nr),
            BSource::Direct {
                rhs, row0, col0, ..
            } => BPanel {
                data: &rhs.data[row0 * rhs.rs + col0 + jr * nr..],
                rs: rhs.rs,
            },
        }
    }
}

/// One `mc × nc` block of C, `kc` deep: rows of `c_rows` (row stride
/// `rs`) from column `jc`.
pub(super) struct MacroTile<'c, E> {
    pub(super) c_rows: &'c mut [E],
    pub(super) rs: usize,
    pub(super) jc: usize,
    pub(super) nc: usize,
    pub(super) mc: usize,
    pub(super) kc: usize,
    /// [`Blocking::split_ragged_panel`](super::blocking::Blocking).
    pub(super) split_ragged: bool,
}

/// LOOPS 2 and 1: every micro-tile of one macro-tile of C.
pub(super) fn macro_tile<E: Element>(
    kernel: &MicroKernel<E>,
    a: &ASource<'_, E>,
    b: &BSource<'_, E>,
    tile: MacroTile<'_, E>,
    block: Block<'_, E>,
) {
    let MacroTile {
        c_rows,
        rs,
        jc,
        nc,
        mc,
        kc,
        split_ragged,
    } = tile;
    let (mr, nr) = (kernel.mr, kernel.nr);
    // LOOP 2: micro-panels of B~.
    for jr in 0..nc.div_ceil(nr) {
        let bpanel = b.panel(jr, kc, nr);
        let col = jc + jr * nr;
        let cols = nr.min(jc + nc - col);
        let tile_bias = match block {
            Block::FirstWithBias(b) => Some(&b[col..col + cols]),
            _ => None,
        };
        // LOOP 1: micro-panels of A~.
        for ir in 0..mc.div_ceil(mr) {
            let apanel = a.panel(ir, kc, mr);
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
                // Ragged edge: the same kernel (or its shorter twin, when
                // the valid rows fit it) on a scratch tile, then the valid
                // part written back with the same additions. Only as much
                // of the panel as covers the valid columns is computed: a
                // quarter (the last 4 of SimpleConvNet's 100 columns), a
                // half, or a half and the quarter beside it (the last 18 of
                // the book net's 50). Every part gives each element the
                // multiply-adds of the whole kernel. A half and a quarter
                // are two passes over A, which beat one whole pass only
                // where FMAs are dear (`split_ragged`).
                let edge = match kernel.short {
                    Some(short) if rows <= short.mr => short,
                    _ => kernel,
                };
                let (left, right_quarter) = if cols <= nr / 4 {
                    (edge.quarter, None)
                } else if cols <= nr / 2 {
                    (edge.half, None)
                } else if split_ragged && cols <= nr / 4 * 3 {
                    (edge.half, Some(edge.quarter))
                } else {
                    (edge.run, None)
                };
                let mut tile = [E::ZERO; MAX_TILE];
                let tile = &mut tile[..edge.mr * nr];
                left(kc, apanel, bpanel, tile, nr, WriteBack::Replace);
                if let Some(quarter) = right_quarter {
                    let right = BPanel {
                        data: &bpanel.data[nr / 2..],
                        rs: bpanel.rs,
                    };
                    let tile = &mut tile[nr / 2..];
                    quarter(kc, apanel, right, tile, nr, WriteBack::Replace);
                }
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
