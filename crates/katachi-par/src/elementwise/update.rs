//! The optimisers' updates, element by element (the book's chapter 6).

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::wide::wide;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        update: fn(&mut [E], &[E], Option<E>, Update<'_, E>) = update_impl,
    }
);

/// One optimiser update of a parameter `w` from its gradient `g`, with the
/// optimiser's per-element state and its hyperparameters already in the
/// element type. The formulas are the book's (chapter 6).
#[derive(Debug)]
pub enum Update<'a, E> {
    /// `w ← w − lr·g`.
    Sgd {
        /// Learning rate.
        lr: E,
    },
    /// `v ← α·v − lr·g`, `w ← w + v`.
    Momentum {
        /// Learning rate.
        lr: E,
        /// `α`.
        alpha: E,
        /// The velocity.
        v: &'a mut [E],
    },
    /// `h ← ρ·h + κ·g²`, `w ← w − lr·g / (√h + ε)`: AdaGrad with
    /// `ρ = κ = 1`, RMSProp with `κ = 1 − ρ`.
    Scaled {
        /// Learning rate.
        lr: E,
        /// `ρ`, how much of `h` is kept (1 for AdaGrad).
        keep: E,
        /// `κ`, the weight of `g²` (1 for AdaGrad).
        add: E,
        /// `ε`.
        eps: E,
        /// The accumulated squares. (With `ρ = κ = 1` this is exactly
        /// AdaGrad's `h + g²`: multiplying by 1 rounds nothing.)
        h: &'a mut [E],
    },
    /// `m ← m + β₁'·(g − m)`, `v ← v + β₂'·(g² − v)`,
    /// `w ← w − lr_t·m / (√v + ε)`, with `β' = 1 − β`.
    Adam {
        /// The step's learning rate, bias-corrected.
        lr_t: E,
        /// `1 − β₁`.
        b1: E,
        /// `1 − β₂`.
        b2: E,
        /// `ε`.
        eps: E,
        /// The first moment.
        m: &'a mut [E],
        /// The second moment.
        v: &'a mut [E],
    },
}

/// Applies `update` to `w` with gradient `g`; with `decay`, the update
/// uses `g + decay·w` (weight decay, `w` before the update) in place of
/// `g`. `g` itself is only read.
///
/// Each element is updated in one pass over `w`, `g` and the state: for
/// Adam that reads four arrays and writes three, where a pass per formula
/// (and a copy of `g` to add the decay into) moved twice the bytes.
///
/// # Panics
/// If `w`, `g` and the update's state differ in length.
///
/// ```
/// use katachi::par::elementwise::{update, Update};
/// let mut w = [1.0_f64, -2.0];
/// let g = [0.5, -1.0];
/// update(&mut w, &g, None, Update::Sgd { lr: 0.1 });
/// assert_eq!(w, [0.95, -1.9]);
/// // Weight decay 0.5: the step uses g + 0.5·w = [1.0, -2.0].
/// update(&mut w, &g, Some(0.5), Update::Sgd { lr: 0.1 });
/// assert_eq!(w, [0.95 - 0.1 * (0.5 + 0.5 * 0.95), -1.9 - 0.1 * (-1.0 + 0.5 * -1.9)]);
/// ```
#[track_caller]
pub fn update<E: Element>(w: &mut [E], g: &[E], decay: Option<E>, update: Update<'_, E>) {
    (Compiled::<E>::get().update)(w, g, decay, update)
}

/// The body of [update], instantiated here for each element type.
pub(crate) fn update_impl<E: Element>(
    w: &mut [E],
    g: &[E],
    decay: Option<E>,
    update: Update<'_, E>,
) {
    assert_eq!(w.len(), g.len(), "update: the gradient's length");
    // One loop body per case, so each compiles to straight vector code
    // without a per-element branch on the decay.
    wide(|| match decay {
        Some(decay) => apply(w, g, update, |g, w| g + decay * w),
        None => apply(w, g, update, |g, _| g),
    })
}

/// [`update_impl`] with the gradient each element uses given by
/// `grad(g, w)`, `w` the value before the update.
#[inline(always)]
fn apply<E: Element>(w: &mut [E], g: &[E], update: Update<'_, E>, grad: impl Fn(E, E) -> E) {
    match update {
        Update::Sgd { lr } => {
            for (w, &g) in w.iter_mut().zip(g) {
                *w -= lr * grad(g, *w);
            }
        }
        Update::Momentum { lr, alpha, v } => {
            assert_eq!(v.len(), w.len(), "update: the velocity's length");
            for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g) {
                *v = alpha * *v - lr * grad(g, *w);
                *w += *v;
            }
        }
        Update::Scaled {
            lr,
            keep,
            add,
            eps,
            h,
        } => {
            assert_eq!(h.len(), w.len(), "update: the accumulator's length");
            for ((w, h), &g) in w.iter_mut().zip(h.iter_mut()).zip(g) {
                let g = grad(g, *w);
                *h = keep * *h + add * (g * g);
                *w -= lr * g / (h.sqrt() + eps);
            }
        }
        Update::Adam {
            lr_t,
            b1,
            b2,
            eps,
            m,
            v,
        } => {
            assert!(
                m.len() == w.len() && v.len() == w.len(),
                "update: the moments' lengths"
            );
            for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
                let g = grad(g, *w);
                *m += b1 * (g - *m);
                *v += b2 * (g * g - *v);
                *w -= lr_t * *m / (v.sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_follow_the_formulas() {
        let g0 = [0.5_f64, -1.0];
        let step = |u: &mut dyn FnMut(&mut [f64], &[f64])| {
            let mut w = [1.0, -2.0];
            u(&mut w, &g0);
            w
        };
        assert_eq!(
            step(&mut |w, g| update(w, g, Some(0.1), Update::Sgd { lr: 1.0 })),
            [0.4, -0.8]
        );
        let mut v = [0.2, 0.0];
        let w = step(&mut |w, g| {
            update(
                w,
                g,
                None,
                Update::Momentum {
                    lr: 0.1,
                    alpha: 0.5,
                    v: &mut v,
                },
            )
        });
        assert_eq!(v, [0.5 * 0.2 - 0.1 * 0.5, 0.1]);
        assert_eq!(w, [1.0 + v[0], -2.0 + 0.1]);
        let mut h = [1.0, 0.0];
        let w = step(&mut |w, g| {
            update(
                w,
                g,
                None,
                Update::Scaled {
                    lr: 0.1,
                    keep: 1.0,
                    add: 1.0,
                    eps: 0.0,
                    h: &mut h,
                },
            )
        });
        assert_eq!(h, [1.25, 1.0]);
        assert_eq!(w, [1.0 - 0.05 / 1.25_f64.sqrt(), -2.0 + 0.1]);
        let (mut m, mut v) = ([0.0; 2], [0.0; 2]);
        let w = step(&mut |w, g| {
            update(
                w,
                g,
                None,
                Update::Adam {
                    lr_t: 0.01,
                    b1: 0.1,
                    b2: 0.001,
                    eps: 0.0,
                    m: &mut m,
                    v: &mut v,
                },
            )
        });
        assert_eq!(m, [0.05, -0.1]);
        assert_eq!(v, [0.001 * 0.25, 0.001]);
        assert_eq!(
            w,
            [
                1.0 - 0.01 * 0.05 / (0.001_f64 * 0.25).sqrt(),
                -2.0 + 0.01 * 0.1 / 0.001_f64.sqrt()
            ]
        );
    }

    /// Update `kind` (0 SGD, 1 momentum, 2 RMSProp-style scaled, 3 Adam)
    /// with `a` as its first state vector and `b` as Adam's second.
    fn update_of_kind<'s>(kind: usize, a: &'s mut [f32], b: &'s mut [f32]) -> Update<'s, f32> {
        match kind {
            0 => Update::Sgd { lr: 0.1 },
            1 => Update::Momentum {
                lr: 0.1,
                alpha: 0.9,
                v: a,
            },
            2 => Update::Scaled {
                lr: 0.01,
                keep: 0.99,
                add: 0.01,
                eps: 1e-7,
                h: a,
            },
            _ => Update::Adam {
                lr_t: 0.001,
                b1: 0.1,
                b2: 0.001,
                eps: 1e-7,
                m: a,
                v: b,
            },
        }
    }

    /// The bits of a weight vector and two state vectors, for comparing.
    fn bits(vectors: [Vec<f32>; 3]) -> [Vec<u32>; 3] {
        vectors.map(|v| v.iter().map(|x| x.to_bits()).collect())
    }

    /// With a decay, every update equals the same update without one given
    /// `g + decay·w` as its gradient, bit for bit (weights and state).
    #[test]
    fn decay_is_the_update_of_the_decayed_gradient() {
        let w0: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
        let g0: Vec<f32> = (0..37).map(|i| (i as f32 * 0.91).cos() * 0.2).collect();
        let s0: Vec<f32> = (0..37)
            .map(|i| (i as f32 * 0.13).sin().abs() * 0.1)
            .collect();
        let decay = 0.03_f32;
        let decayed: Vec<f32> = g0.iter().zip(&w0).map(|(&g, &w)| g + decay * w).collect();
        // Runs update `kind` from fresh state; returns w and both states.
        let run = |kind: usize, g: &[f32], decay: Option<f32>| {
            let (mut w, mut a, mut b) = (w0.clone(), s0.clone(), s0.clone());
            update(&mut w, g, decay, update_of_kind(kind, &mut a, &mut b));
            bits([w, a, b])
        };
        for kind in 0..4 {
            let with = run(kind, &g0, Some(decay));
            assert_eq!(with, run(kind, &decayed, None), "update {kind}");
            assert_ne!(
                with,
                run(kind, &g0, None),
                "update {kind} ignored the decay"
            );
        }
    }

    /// The kernel runs inside [`wide`] (AVX2 where the CPU has it); the
    /// loops called as this crate is compiled give the same bits, on
    /// lengths that leave every vector tail and on zeros, infinities and
    /// NaN.
    #[test]
    fn the_wide_loops_give_the_baseline_bits() {
        let special = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e-40];
        let value = |i: usize, salt: usize| match (i * 7 + salt) % 41 {
            k @ 0..6 => special[k],
            _ => (((i * 31 + salt * 17) % 97) as f32 - 48.0) / 13.0,
        };
        for n in [1, 7, 8, 9, 31, 64, 1001] {
            let w0: Vec<f32> = (0..n).map(|i| value(i, 1)).collect();
            let g: Vec<f32> = (0..n).map(|i| value(i, 2)).collect();
            let s0: Vec<f32> = (0..n).map(|i| value(i, 3).abs()).collect();
            for decay in [None, Some(0.01_f32)] {
                for kind in 0..4 {
                    let run = |through_wide: bool| {
                        let (mut w, mut a, mut b) = (w0.clone(), s0.clone(), s0.clone());
                        let u = update_of_kind(kind, &mut a, &mut b);
                        match (through_wide, decay) {
                            (true, _) => update(&mut w, &g, decay, u),
                            (false, Some(d)) => apply(&mut w, &g, u, |g, w| g + d * w),
                            (false, None) => apply(&mut w, &g, u, |g, _| g),
                        }
                        bits([w, a, b])
                    };
                    assert_eq!(run(true), run(false), "update {kind}, n = {n}, {decay:?}");
                }
            }
        }
    }
}
