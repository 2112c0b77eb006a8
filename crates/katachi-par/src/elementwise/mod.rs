//! Element-wise kernels: the activations and their gradients (ReLU's also
//! through a mask of where its output is positive), and the optimisers'
//! updates. Each element is computed alone, so results never
//! depend on how the work is split.

use crate::compiled::compiled_here;
use crate::element::Element;
use crate::par::ELEMENTS_PER_TASK;
use crate::par::Par;
use crate::team;

mod relu_mask;
mod update;

pub use relu_mask::{relu_grad_from_mask, relu_keeping_mask};
pub use update::{Update, update};

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        activate: fn(Activation, &mut [E], Option<&mut [E]>, Par) = activate_impl,
        activation_grad: fn(Activation, &mut [E], &[E], Par) = activation_grad_impl,
        multiply: fn(&mut [E], &[E], Par) = multiply_impl,
    }
);

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
    (Compiled::<E>::get().activate)(kind, x, copy, par)
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
            None if par.split_elements(x.len()) => {
                team::for_each(par.threads(), x.chunks_mut(ELEMENTS_PER_TASK), apply)
            }
            None => apply(x),
            Some(y) => {
                assert_eq!(x.len(), y.len(), "activate: the copy's length");
                if par.split_elements(x.len()) {
                    let chunks = x.chunks_mut(ELEMENTS_PER_TASK);
                    let chunks = chunks.zip(y.chunks_mut(ELEMENTS_PER_TASK));
                    team::for_each(par.threads(), chunks, apply_copy);
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
    (Compiled::<E>::get().activation_grad)(kind, dy, y, par)
}

/// The body of [activation_grad], instantiated here for each element type.
pub(crate) fn activation_grad_impl<E: Element>(kind: Activation, dy: &mut [E], y: &[E], par: Par) {
    fn run<E: Element>(dy: &mut [E], y: &[E], par: Par, df: impl Fn(E) -> E + Sync) {
        let each = |(d, y): (&mut [E], &[E])| d.iter_mut().zip(y).for_each(|(d, &y)| *d *= df(y));
        if par.split_elements(dy.len()) {
            let chunks = dy.chunks_mut(ELEMENTS_PER_TASK);
            team::for_each(par.threads(), chunks.zip(y.chunks(ELEMENTS_PER_TASK)), each);
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

/// `x ← x · by` element-wise: a dropout mask applied forward, or to the
/// gradient backward.
///
/// # Panics
/// If `x` and `by` differ in length.
///
/// ```
/// use katachi::par::{Par, elementwise::multiply};
/// let mut x = [1.0_f32, 2.0, 3.0];
/// multiply(&mut x, &[2.0, 0.0, 2.0], Par::Seq);
/// assert_eq!(x, [2.0, 0.0, 6.0]);
/// ```
#[track_caller]
pub fn multiply<E: Element>(x: &mut [E], by: &[E], par: Par) {
    (Compiled::<E>::get().multiply)(x, by, par)
}

/// The body of [multiply], instantiated here for each element type.
pub(crate) fn multiply_impl<E: Element>(x: &mut [E], by: &[E], par: Par) {
    assert_eq!(x.len(), by.len(), "multiply: the factors' length");
    let each = |(x, by): (&mut [E], &[E])| x.iter_mut().zip(by).for_each(|(x, &b)| *x *= b);
    if par.split_elements(x.len()) {
        let chunks = x.chunks_mut(ELEMENTS_PER_TASK);
        team::for_each(
            par.threads(),
            chunks.zip(by.chunks(ELEMENTS_PER_TASK)),
            each,
        );
    } else {
        each((x, by));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::par::on_pool;

    #[test]
    fn products_on_many_threads_equal_one() {
        let x: Vec<f64> = (0..300_000).map(|i| (i % 97) as f64 - 48.0).collect();
        let by: Vec<f64> = (0..300_000)
            .map(|i| if i % 3 == 0 { 0.0 } else { 2.0 })
            .collect();
        let run = |threads| {
            on_pool(threads, || {
                let mut v = x.clone();
                multiply(&mut v, &by, Par::Rayon);
                v
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert!(one.iter().zip(&x).zip(&by).all(|((&p, &a), &b)| p == a * b));
    }

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
}
