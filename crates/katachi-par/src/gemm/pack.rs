//! Packing: copying a block of an operand into the order the kernel reads,
//! zero-padded to whole panels so the kernel never sees a ragged edge.
//! Strided and transposed operands are read here, once per block, which is
//! why the kernels only ever see contiguous panels.

use std::ops::Range;

use super::kernel;
use crate::element::Element;
use crate::matrix::MatRef;
use crate::par::Par;
use crate::team;

/// Packs rows `i0..i0+mc`, columns `p0..p0+kc` of `a` into panels of `mr`
/// rows: `dst[panel·mr·kc + p·mr + r] = a[i0 + panel·mr + r, p0 + p]`.
pub(crate) fn pack_a<E: Element>(
    dst: &mut [E],
    a: &MatRef<'_, E>,
    i0: usize,
    mc: usize,
    p0: usize,
    kc: usize,
    mr: usize,
) {
    // The kernels' heights, known to the compiler in the fast paths.
    match mr {
        6 => pack_a_fixed::<E, 6>(dst, a, i0, mc, p0, kc),
        12 => pack_a_fixed::<E, 12>(dst, a, i0, mc, p0, kc),
        _ => {
            for (panel, out) in dst.chunks_exact_mut(mr * kc).enumerate() {
                let row0 = i0 + panel * mr;
                pack_a_panel(out, a, row0, mr.min(i0 + mc - row0), p0, kc, mr);
            }
        }
    }
}

/// [`pack_a`] for a kernel `MR` rows tall.
fn pack_a_fixed<E: Element, const MR: usize>(
    dst: &mut [E],
    a: &MatRef<'_, E>,
    i0: usize,
    mc: usize,
    p0: usize,
    kc: usize,
) {
    if a.rs == 1 {
        // A transposed view (Xᵀ in dW = Xᵀ·dY): each column of `a` is a
        // contiguous run. Reading a run once and dealing it out to every
        // panel touches each cache line once; going panel by panel would
        // fetch every line again for each panel it feeds (19 % of a book-net
        // step, measured).
        deal_columns::<E, MR>(dst, a, i0, mc, p0, kc);
        return;
    }
    for (panel, out) in dst.chunks_exact_mut(MR * kc).enumerate() {
        let row0 = i0 + panel * MR;
        let rows = MR.min(i0 + mc - row0);
        if a.cs == 1 {
            // The common case (row-major A), a whole panel or the ragged
            // last one (its missing rows zero).
            interleave::<E, MR>(out, a.data, row0 * a.rs + p0, a.rs, rows, kc);
        } else {
            pack_a_panel(out, a, row0, rows, p0, kc, MR);
        }
    }
}

/// One panel of [`pack_a`], `rows ≤ mr` of them valid, any strides.
fn pack_a_panel<E: Element>(
    out: &mut [E],
    a: &MatRef<'_, E>,
    row0: usize,
    rows: usize,
    p0: usize,
    kc: usize,
    mr: usize,
) {
    if a.rs == 1 {
        // Columns of `a` are contiguous (a transposed view): one copy per p.
        for (p, lane) in out.chunks_exact_mut(mr).enumerate() {
            let start = row0 + (p0 + p) * a.cs;
            lane[..rows].copy_from_slice(&a.data[start..start + rows]);
            lane[rows..].fill(E::ZERO);
        }
        return;
    }
    for r in 0..mr {
        if r < rows {
            let base = (row0 + r) * a.rs + p0 * a.cs;
            for p in 0..kc {
                out[p * mr + r] = a.data[base + p * a.cs];
            }
        } else {
            for p in 0..kc {
                out[p * mr + r] = E::ZERO;
            }
        }
    }
}

/// `dst[panel·MR·kc + p·MR + r] = a[i0 + panel·MR + r, p0 + p]` for an `a`
/// with contiguous columns (`rs = 1`), one column at a time.
fn deal_columns<E: Element, const MR: usize>(
    dst: &mut [E],
    a: &MatRef<'_, E>,
    i0: usize,
    mc: usize,
    p0: usize,
    kc: usize,
) {
    let whole = mc / MR;
    let panel_len = MR * kc;
    for p in 0..kc {
        let start = i0 + (p0 + p) * a.cs;
        let column = &a.data[start..start + mc];
        for (panel, chunk) in column.chunks_exact(MR).enumerate() {
            let lane: &mut [E; MR] = (&mut dst[panel * panel_len + p * MR..][..MR])
                .try_into()
                .expect("MR elements");
            *lane = chunk.try_into().expect("MR elements");
        }
        if whole * MR < mc {
            let lane = &mut dst[whole * panel_len + p * MR..][..MR];
            let tail = &column[whole * MR..];
            lane[..tail.len()].copy_from_slice(tail);
            lane[tail.len()..].fill(E::ZERO);
        }
    }
}

/// `out[p·N + j] = data[first + j·step + p]` for `p < kc`: `valid` runs of
/// `kc` contiguous elements, `step` apart, interleaved into lanes of `N`
/// (zero for `valid ≤ j < N`). Packing A from rows (`step = rs`) and B from
/// columns (a transposed `b`, `step = cs`) are both this.
///
/// Works in chunks of 8 elements of each run. Runs in whole groups of 8
/// are transposed a block at a time ([`kernel::transpose`]: AVX shuffles
/// where the CPU has them); the others are read into a small block, then
/// written out lane by lane, so `out` is written sequentially. The
/// straightforward loop stores with a stride of `N`, which stalls against
/// the reads (8 % of a 1024³ product, measured) and, for B, touched a new
/// cache line per element (packing `Wᵀ` took as long as the product in a
/// CNN training step).
fn interleave<E: Element, const N: usize>(
    out: &mut [E],
    data: &[E],
    first: usize,
    step: usize,
    valid: usize,
    kc: usize,
) {
    const CHUNK: usize = 8;
    let run = |j: usize| &data[first + j * step..first + j * step + kc];
    let whole = kc / CHUNK * CHUNK;
    let grouped = valid / CHUNK * CHUNK;
    let transpose = kernel::transpose::<E>();
    let mut block = [[E::ZERO; CHUNK]; N];
    // A whole panel of a height that is not a multiple of 8 (the 6 and 12
    // rows of the AVX-512 kernels): its last `N % 8` runs go through one
    // more transpose, of a block padded with zero rows, and land in each
    // lane as a copy of constant length (lane by lane, they were a twentieth
    // of a 1024³ product).
    let (rest, mut left, mut dealt) = (
        N % CHUNK,
        [E::ZERO; CHUNK * CHUNK],
        [E::ZERO; CHUNK * CHUNK],
    );
    for (c, out_chunk) in out[..whole * N].chunks_exact_mut(CHUNK * N).enumerate() {
        for j0 in (0..grouped).step_by(CHUNK) {
            let src = &data[first + j0 * step + c * CHUNK..];
            transpose(src, step, &mut out_chunk[j0..], N);
        }
        if valid == N && rest != 0 {
            for (j, row) in left.chunks_exact_mut(CHUNK).take(rest).enumerate() {
                row.copy_from_slice(&run(grouped + j)[c * CHUNK..(c + 1) * CHUNK]);
            }
            transpose(&left, CHUNK, &mut dealt, CHUNK);
            for (lane, column) in out_chunk.chunks_exact_mut(N).zip(dealt.chunks_exact(CHUNK)) {
                lane[N - rest..].copy_from_slice(&column[..rest]);
            }
            continue;
        }
        for (j, dst) in block.iter_mut().enumerate().take(valid).skip(grouped) {
            dst.copy_from_slice(&run(j)[c * CHUNK..(c + 1) * CHUNK]);
        }
        for (q, lane) in out_chunk.chunks_exact_mut(N).enumerate() {
            for (v, src) in lane[grouped..valid].iter_mut().zip(&block[grouped..valid]) {
                *v = src[q];
            }
            lane[valid..].fill(E::ZERO);
        }
    }
    for (p, lane) in out[whole * N..kc * N].chunks_exact_mut(N).enumerate() {
        for (j, v) in lane.iter_mut().enumerate() {
            *v = if j < valid {
                run(j)[whole + p]
            } else {
                E::ZERO
            };
        }
    }
}

/// `out[p·N .. p·N + cols] = src[p·stride .. p·stride + cols]` for `p <
/// count`, the rest of each lane of `N` zero. With `N` a constant each
/// whole row is a couple of vector moves, and a ragged one a vector store of
/// zeros and `cols` moves: a slice copy and fill of run-time length are a
/// call to `memcpy` and `memset` per row (4 % of a 1024³ product; packing
/// the 4-column last panel of a 100-column `B`, one call of each for each of
/// its 4320 rows, took longer than the other three panels).
fn copy_rows<E: Element, const N: usize>(
    out: &mut [E],
    src: &[E],
    stride: usize,
    count: usize,
    cols: usize,
) {
    for (p, lane) in out.chunks_exact_mut(N).take(count).enumerate() {
        let lane: &mut [E; N] = lane.try_into().expect("N elements");
        if cols == N {
            let row: &[E; N] = src[p * stride..p * stride + N]
                .try_into()
                .expect("N elements");
            *lane = *row;
        } else {
            *lane = [E::ZERO; N];
            let row = &src[p * stride..p * stride + cols];
            lane.iter_mut().zip(row).for_each(|(v, &x)| *v = x);
        }
    }
}

/// Packs `rows` (`p0..p0+kc`) and `cols` (`j0..j0+nc`) of `b` into panels of
/// `nr` columns: `dst[panel·nr·kc + p·nr + j] = b[p0 + p, j0 + panel·nr + j]`.
/// With `Par::Rayon` the panels are packed in parallel.
pub(crate) fn pack_b<E: Element>(
    dst: &mut [E],
    b: &MatRef<'_, E>,
    rows: Range<usize>,
    cols: Range<usize>,
    nr: usize,
    par: Par,
) {
    let (p0, kc, j0, nc) = (rows.start, rows.len(), cols.start, cols.len());
    let pack_panel = |(panel, out): (usize, &mut [E])| {
        let col0 = j0 + panel * nr;
        let cols = nr.min(j0 + nc - col0);
        if b.cs == 1 && nr == 32 {
            copy_rows::<E, 32>(out, &b.data[p0 * b.rs + col0..], b.rs, kc, cols);
        } else if b.cs == 1 && nr == 16 {
            copy_rows::<E, 16>(out, &b.data[p0 * b.rs + col0..], b.rs, kc, cols);
        } else if b.cs == 1 && nr == 8 {
            copy_rows::<E, 8>(out, &b.data[p0 * b.rs + col0..], b.rs, kc, cols);
        } else if b.cs == 1 {
            // Rows of `b` are contiguous: one copy per p.
            for (p, lane) in out.chunks_exact_mut(nr).enumerate() {
                let start = (p0 + p) * b.rs + col0;
                lane[..cols].copy_from_slice(&b.data[start..start + cols]);
                lane[cols..].fill(E::ZERO);
            }
        } else if b.rs == 1 && nr == 32 {
            interleave::<E, 32>(out, b.data, p0 + col0 * b.cs, b.cs, cols, kc);
        } else if b.rs == 1 && nr == 16 {
            interleave::<E, 16>(out, b.data, p0 + col0 * b.cs, b.cs, cols, kc);
        } else if b.rs == 1 && nr == 8 {
            interleave::<E, 8>(out, b.data, p0 + col0 * b.cs, b.cs, cols, kc);
        } else {
            for j in 0..nr {
                if j < cols {
                    let base = p0 * b.rs + (col0 + j) * b.cs;
                    for p in 0..kc {
                        out[p * nr + j] = b.data[base + p * b.rs];
                    }
                } else {
                    for p in 0..kc {
                        out[p * nr + j] = E::ZERO;
                    }
                }
            }
        }
    };
    let panels = dst.chunks_exact_mut(nr * kc);
    team::for_each(par.threads(), panels.enumerate(), pack_panel);
}
