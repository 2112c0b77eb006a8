//! Element-wise kernels: the activations and their gradients, and the
//! optimisers' updates. Each element is computed alone, so results never
//! depend on how the work is split.

use rayon::prelude::*;

use crate::{Element, Par};

/// Elements per task when element-wise work is split across threads: large
/// tensors only (a convolution's maps, 1.7 M elements per batch of 100), so
/// a book-net step never pays for the hand-off.
const PARALLEL_CHUNK: usize = 1 << 16;

fn split(par: Par, len: usize) -> bool {
    par != Par::Seq && len > 2 * PARALLEL_CHUNK && rayon::current_num_threads() > 1
}

/// The book's activation functions, each with its derivative written through
/// its output (`y = f(x)`), which is all a layer keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `max(0, x)`; derivative 1 where `y > 0`, else 0 (0 at `x = 0`, as
    /// the book takes it).
    Relu,
    /// `1 / (1 + e^-x)`, computed without overflow for any `x`;
    /// derivative `y (1 − y)`.
    Sigmoid,
    /// `tanh(x)`; derivative `1 − y²`.
    Tanh,
    /// `x`; derivative 1.
    Identity,
}

impl Activation {
    /// `f(x)`.
    ///
    /// ```
    /// use katachi::par::elementwise::Activation;
    /// assert_eq!(Activation::Relu.f(-2.0_f32), 0.0);
    /// assert_eq!(Activation::Sigmoid.f(1000.0_f64), 1.0);
    /// assert_eq!(Activation::Sigmoid.f(-1000.0_f64), 0.0);
    /// ```
    #[inline]
    pub fn f<E: Element>(self, x: E) -> E {
        match self {
            Activation::Relu => {
                if x > E::ZERO {
                    x
                } else {
                    E::ZERO
                }
            }
            // Both branches only ever exponentiate a non-positive number,
            // so neither overflows: sigmoid(±1000) is exactly 1 or 0.
            Activation::Sigmoid => {
                if x >= E::ZERO {
                    E::ONE / (E::ONE + (-x).exp())
                } else {
                    let e = x.exp();
                    e / (E::ONE + e)
                }
            }
            Activation::Tanh => x.tanh(),
            Activation::Identity => x,
        }
    }

    /// `f'(x)`, given `y = f(x)`.
    #[inline]
    pub fn df_from_output<E: Element>(self, y: E) -> E {
        match self {
            Activation::Relu => {
                if y > E::ZERO {
                    E::ONE
                } else {
                    E::ZERO
                }
            }
            Activation::Sigmoid => y * (E::ONE - y),
            Activation::Tanh => E::ONE - y * y,
            Activation::Identity => E::ONE,
        }
    }
}

/// `x ← f(x)` element-wise; with `copy`, the result is written there too
/// (the output a layer keeps for its backward).
///
/// # Panics
/// If `copy` has another length than `x`.
///
/// ```
/// use katachi::par::{Par, elementwise::{activate, Activation}};
/// let mut x = [-1.0_f32, 2.0];
/// let mut kept = [0.0_f32; 2];
/// activate(Activation::Relu, &mut x, Some(&mut kept), Par::Seq);
/// assert_eq!((x, kept), ([0.0, 2.0], [0.0, 2.0]));
/// ```
#[track_caller]
pub fn activate<E: Element>(kind: Activation, x: &mut [E], copy: Option<&mut [E]>, par: Par) {
    (E::kernels().activate)(kind, x, copy, par)
}

/// The body of [activate], instantiated here for each element type.
pub(crate) fn activate_impl<E: Element>(
    kind: Activation,
    x: &mut [E],
    copy: Option<&mut [E]>,
    par: Par,
) {
    // One loop per kind, so the match is outside it.
    fn run<E: Element>(x: &mut [E], copy: Option<&mut [E]>, par: Par, f: impl Fn(E) -> E + Sync) {
        let apply = |x: &mut [E]| x.iter_mut().for_each(|v| *v = f(*v));
        let apply_copy = |(x, y): (&mut [E], &mut [E])| {
            x.iter_mut().zip(y).for_each(|(v, y)| {
                *v = f(*v);
                *y = *v;
            })
        };
        match copy {
            None if split(par, x.len()) => x.par_chunks_mut(PARALLEL_CHUNK).for_each(apply),
            None => apply(x),
            Some(y) => {
                assert_eq!(x.len(), y.len(), "activate: the copy's length");
                if split(par, x.len()) {
                    x.par_chunks_mut(PARALLEL_CHUNK)
                        .zip(y.par_chunks_mut(PARALLEL_CHUNK))
                        .for_each(apply_copy);
                } else {
                    apply_copy((x, y));
                }
            }
        }
    }
    match kind {
        Activation::Relu => run(x, copy, par, |v| Activation::Relu.f(v)),
        Activation::Sigmoid => run(x, copy, par, |v| Activation::Sigmoid.f(v)),
        Activation::Tanh => run(x, copy, par, |v| Activation::Tanh.f(v)),
        Activation::Identity => {
            if let Some(y) = copy {
                y.copy_from_slice(x);
            }
        }
    }
}

/// `dy ← dy · f'(x)` element-wise, from the kept output `y = f(x)`.
///
/// # Panics
/// If `dy` and `y` differ in length.
#[track_caller]
pub fn activation_grad<E: Element>(kind: Activation, dy: &mut [E], y: &[E], par: Par) {
    (E::kernels().activation_grad)(kind, dy, y, par)
}

/// The body of [activation_grad], instantiated here for each element type.
pub(crate) fn activation_grad_impl<E: Element>(kind: Activation, dy: &mut [E], y: &[E], par: Par) {
    fn run<E: Element>(dy: &mut [E], y: &[E], par: Par, df: impl Fn(E) -> E + Sync) {
        let each = |(d, y): (&mut [E], &[E])| d.iter_mut().zip(y).for_each(|(d, &y)| *d *= df(y));
        if split(par, dy.len()) {
            dy.par_chunks_mut(PARALLEL_CHUNK)
                .zip(y.par_chunks(PARALLEL_CHUNK))
                .for_each(each);
        } else {
            each((dy, y));
        }
    }
    assert_eq!(dy.len(), y.len(), "activation_grad: the output's length");
    match kind {
        Activation::Relu => run(dy, y, par, |y| Activation::Relu.df_from_output(y)),
        Activation::Sigmoid => run(dy, y, par, |y| Activation::Sigmoid.df_from_output(y)),
        Activation::Tanh => run(dy, y, par, |y| Activation::Tanh.df_from_output(y)),
        Activation::Identity => {}
    }
}

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

/// Applies `update` to `w` with gradient `g`; with `decay`, `decay·w` is
/// added to `g` first (weight decay), in place.
///
/// # Panics
/// If `w`, `g` and the update's state differ in length.
///
/// ```
/// use katachi::par::elementwise::{update, Update};
/// let mut w = [1.0_f64, -2.0];
/// let mut g = [0.5, -1.0];
/// update(&mut w, &mut g, None, Update::Sgd { lr: 0.1 });
/// assert_eq!(w, [0.95, -1.9]);
/// ```
#[track_caller]
pub fn update<E: Element>(w: &mut [E], g: &mut [E], decay: Option<E>, update: Update<'_, E>) {
    (E::kernels().update)(w, g, decay, update)
}

/// The body of [update], instantiated here for each element type.
pub(crate) fn update_impl<E: Element>(
    w: &mut [E],
    g: &mut [E],
    decay: Option<E>,
    update: Update<'_, E>,
) {
    assert_eq!(w.len(), g.len(), "update: the gradient's length");
    if let Some(decay) = decay {
        g.iter_mut()
            .zip(w.iter())
            .for_each(|(g, &w)| *g += decay * w);
    }
    match update {
        Update::Sgd { lr } => w.iter_mut().zip(g.iter()).for_each(|(w, &g)| *w -= lr * g),
        Update::Momentum { lr, alpha, v } => {
            assert_eq!(v.len(), w.len(), "update: the velocity's length");
            for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g.iter()) {
                *v = alpha * *v - lr * g;
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
            for ((w, h), &g) in w.iter_mut().zip(h.iter_mut()).zip(g.iter()) {
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
            for (m, &g) in m.iter_mut().zip(g.iter()) {
                *m += b1 * (g - *m);
            }
            for (v, &g) in v.iter_mut().zip(g.iter()) {
                *v += b2 * (g * g - *v);
            }
            for ((w, &m), &v) in w.iter_mut().zip(m.iter()).zip(v.iter()) {
                *w -= lr_t * m / (v.sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::par::on_pool;

    #[test]
    fn activations_on_many_threads_equal_one() {
        let x: Vec<f32> = (0..300_000)
            .map(|i| ((i * 37) % 101) as f32 / 25.0 - 2.0)
            .collect();
        for kind in [Activation::Relu, Activation::Sigmoid, Activation::Tanh] {
            let run = |threads| {
                on_pool(threads, || {
                    let (mut v, mut y) = (x.clone(), vec![0.0; x.len()]);
                    activate(kind, &mut v, Some(&mut y), Par::Rayon);
                    let mut d = vec![1.5; x.len()];
                    activation_grad(kind, &mut d, &y, Par::Rayon);
                    (v, y, d)
                })
            };
            let (one, two) = (run(1), run(2));
            assert_eq!(one, two);
            assert_eq!(one.0, one.1);
            for (i, &v) in x.iter().enumerate().step_by(997) {
                assert_eq!(one.0[i], kind.f(v));
                assert_eq!(one.2[i], 1.5 * kind.df_from_output(kind.f(v)));
            }
        }
    }

    #[test]
    fn updates_follow_the_formulas() {
        let g0 = [0.5_f64, -1.0];
        let step = |u: &mut dyn FnMut(&mut [f64], &mut [f64])| {
            let (mut w, mut g) = ([1.0, -2.0], g0);
            u(&mut w, &mut g);
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
}
