//! The portable kernels: plain Rust over fixed-size arrays, which the
//! compiler vectorises for whatever the target has. Same tile sizes as the
//! x86 kernels, so both run on the same packed panels.

use super::{APanel, BPanel, MicroKernel, WriteBack, check_block, check_tile};
use crate::element::Element;

pub(super) static F32: MicroKernel<f32> = MicroKernel {
    mr: 6,
    nr: 16,
    name: "portable",
    run: tile::<f32, 6, 16, 16>,
    half: tile::<f32, 6, 16, 8>,
    quarter: tile::<f32, 6, 16, 4>,
    short: None,
};
pub(super) static F64: MicroKernel<f64> = MicroKernel {
    mr: 6,
    nr: 8,
    name: "portable",
    run: tile::<f64, 6, 8, 8>,
    half: tile::<f64, 6, 8, 4>,
    quarter: tile::<f64, 6, 8, 2>,
    short: None,
};

/// The left `W` of the `NR` columns: all of them for `run`, half for
/// `half`, a quarter for `quarter`.
fn tile<E: Element, const MR: usize, const NR: usize, const W: usize>(
    k: usize,
    a: APanel<'_, E>,
    b: BPanel<'_, E>,
    c: &mut [E],
    rs: usize,
    wb: WriteBack<'_, E>,
) {
    check_tile(k, &a, &b, c, rs, &wb, (MR, NR, W));
    let mut acc = [[E::ZERO; W]; MR];
    for p in 0..k {
        let bp = &b.data[p * b.rs..p * b.rs + W];
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = a.data[i * a.rs + p * a.cs];
            for (t, &bj) in row.iter_mut().zip(bp) {
                // Fused, as the SIMD kernels are: every kernel gives the same bits.
                *t = ai.mul_add(bj, *t);
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        let out = &mut c[i * rs..i * rs + W];
        match wb {
            WriteBack::Replace => out.copy_from_slice(row),
            WriteBack::Add => out.iter_mut().zip(row).for_each(|(o, &t)| *o += t),
            WriteBack::ReplaceWithBias(bias) => out
                .iter_mut()
                .zip(row)
                .zip(bias)
                .for_each(|((o, &t), &b)| *o = t + b),
        }
    }
}

/// The portable [`TransposeFn`](super::TransposeFn): one element at a time,
/// the destination written row by row.
pub(super) fn transpose8<E: Copy>(src: &[E], src_rs: usize, out: &mut [E], out_rs: usize) {
    check_block(src, src_rs, out, out_rs);
    for q in 0..8 {
        for r in 0..8 {
            out[q * out_rs + r] = src[r * src_rs + q];
        }
    }
}
