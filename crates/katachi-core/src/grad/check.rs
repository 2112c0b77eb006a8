//! Gradient check: backprop against central differences, parameter by
//! parameter.

use std::fmt;

use super::numerical::H;
use crate::init::LayerRng;
use crate::layer::{Layer, Loss, backprop};
use crate::param::{ParamPath, Parameters};
use katachi_par::Element;

use crate::error::Result;

/// How one parameter's backprop gradient compares with the numerical one.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamCheck {
    /// Dotted name, e.g. `0.weight` or `affine1.weight`.
    pub name: String,
    /// Number of elements checked.
    pub numel: usize,
    /// The largest element-wise relative error `|a − n| / max(|a|, |n|,
    /// floor)`, where `floor = 100·ε·max(|L|, 1) / h` is the numerical
    /// reference's resolution (`ε` the element type's epsilon, `L` the loss).
    pub max_relative_error: f64,
    /// The largest element-wise absolute error `|a − n|`.
    pub max_abs_error: f64,
    /// Flat index of the element with the largest relative error.
    pub worst_index: usize,
}

/// The result of [`gradient_check`]: one entry per parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientReport {
    /// One entry per parameter, in visiting order.
    pub params: Vec<ParamCheck>,
    /// The stochastic layers (by path) whose random draws were replayed for
    /// every evaluation, so that the loss is one function of the
    /// parameters: a dropout layer in training mode is checked with one
    /// fixed mask.
    pub replayed: Vec<String>,
}

impl GradientReport {
    /// The largest relative error over all parameters.
    pub fn max_relative_error(&self) -> f64 {
        self.params
            .iter()
            .map(|p| p.max_relative_error)
            .fold(0.0, f64::max)
    }

    /// The entry for a parameter by dotted name.
    pub fn get(&self, name: &str) -> Option<&ParamCheck> {
        self.params.iter().find(|p| p.name == name)
    }
}

impl fmt::Display for GradientReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .params
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0)
            .max(9);
        writeln!(
            f,
            "{:width$}  {:>8}  {:>12}  {:>12}",
            "parameter", "elements", "max rel err", "max abs err"
        )?;
        for p in &self.params {
            writeln!(
                f,
                "{:width$}  {:>8}  {:>12.3e}  {:>12.3e}",
                p.name, p.numel, p.max_relative_error, p.max_abs_error
            )?;
        }
        if !self.replayed.is_empty() {
            writeln!(
                f,
                "random draws replayed for every evaluation: {}",
                self.replayed.join(", ")
            )?;
        }
        Ok(())
    }
}

/// `|a − n| / max(|a|, |n|, floor)`.
///
/// The floor is the smallest derivative the numerical reference can tell
/// from zero: rounding alone puts about `ε·|L| / h` into a difference
/// quotient, and `floor` is 100 times that. Below it a relative error only
/// compares two roundings of zero (a bias just before BatchNorm has a true
/// gradient of exactly 0, which backprop computes as 2e-17 and the
/// difference quotient as 0: a "relative error" of 1).
fn relative_error(a: f64, n: f64, floor: f64) -> f64 {
    let scale = a.abs().max(n.abs()).max(floor);
    if scale == 0.0 {
        0.0
    } else {
        (a - n).abs() / scale
    }
}

/// Compares every parameter gradient that backprop computes with the central
/// difference of the loss, and reports the largest error per parameter.
///
/// The network runs `forward`, the loss `forward` and `backward`, then the
/// network `backward`; each parameter element is then probed at `±h` and
/// `±2h` (`h = 1e-4`) with the loss recomputed through `forward`, and
/// restored. The numerical gradient is the fourth-order central difference,
/// accurate enough that any error above rounding is backprop's. Use `f64`:
/// in `f32` rounding alone gives errors near 1e-3.
///
/// The network is left as it was found, but for the gradients: every
/// evaluation starts from the same buffers (a BatchNorm's running averages,
/// which a training-mode forward moves) and the same random draws (a
/// Dropout's masks, listed in [`GradientReport::replayed`]), and both are
/// restored at the end. In training mode the check is then of the function
/// the network computes with those draws, which is what backprop
/// differentiates.
///
/// # Errors
/// Whatever the loss returns for a target that does not fit.
///
/// ```
/// use katachi::prelude::*;
/// let mut rng = katachi::init::seeded_rng(0);
/// let mut net = (Affine::<4, 3, f64>::normal(&mut rng, 1.0), Sigmoid::new());
/// let x = Tensor::<Batch<4>, f64>::from_rows(&[[0.1, -0.2, 0.3, 0.5], [1.0, 0.0, -1.0, 0.25]])?;
/// let t = Labels::<3>::new(vec![2, 0])?;
/// let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &x, &t)?;
/// assert_eq!(report.params.len(), 2);
/// assert!(report.max_relative_error() < 1e-6, "{report}");
/// # Ok::<(), katachi::Error>(())
/// ```
pub fn gradient_check<X, T, N, L>(
    net: &mut N,
    loss: &mut L,
    x: &X,
    target: &T,
) -> Result<GradientReport>
where
    X: Clone,
    T: ?Sized,
    N: Layer<X> + Parameters,
    L: Loss<N::Out, T, Elem = N::Elem>,
{
    let frozen = Frozen::take(net);
    let result = check_frozen(net, loss, x, target, &frozen);
    frozen.restore(net);
    result
}

fn check_frozen<X, T, N, L>(
    net: &mut N,
    loss: &mut L,
    x: &X,
    target: &T,
    frozen: &Frozen<N::Elem>,
) -> Result<GradientReport>
where
    X: Clone,
    T: ?Sized,
    N: Layer<X> + Parameters,
    L: Loss<N::Out, T, Elem = N::Elem>,
{
    let base = backprop(net, loss, x.clone(), target)?.to_f64();
    let floor = 100.0 * N::Elem::EPSILON * base.abs().max(1.0) / H;

    // Learned parameters only, each with its index in visiting order
    // (buffers such as running averages have no gradient to check).
    let mut analytic: Vec<(usize, String, Vec<N::Elem>)> = Vec::new();
    let mut visited = 0;
    net.visit(&ParamPath::ROOT, &mut |path, p| {
        if p.role.is_learned() {
            analytic.push((visited, path.to_string(), p.grad.to_vec()));
        }
        visited += 1;
    });

    let h = N::Elem::from_f64(H);
    let mut params = Vec::with_capacity(analytic.len());
    for (index, name, grads) in analytic {
        let mut check = ParamCheck {
            name,
            numel: grads.len(),
            max_relative_error: 0.0,
            max_abs_error: 0.0,
            worst_index: 0,
        };
        for (element, &a) in grads.iter().enumerate() {
            let original = set_element(net, index, element, None);
            let mut loss_at = |offset: N::Elem| -> Result<f64> {
                set_element(net, index, element, Some(original + offset));
                frozen.restore(net);
                Ok(loss.forward(net.forward(x.clone()), target)?.to_f64())
            };
            let (p1, m1) = (loss_at(h)?, loss_at(-h)?);
            let (p2, m2) = (loss_at(h + h)?, loss_at(-(h + h))?);
            set_element(net, index, element, Some(original));
            let numeric = fourth_order_difference(p1, m1, p2, m2, H);
            let rel = relative_error(a.to_f64(), numeric, floor);
            check.max_abs_error = check.max_abs_error.max((a.to_f64() - numeric).abs());
            if rel > check.max_relative_error {
                check.max_relative_error = rel;
                check.worst_index = element;
            }
        }
        params.push(check);
    }
    Ok(GradientReport {
        params,
        replayed: frozen.rng_names.clone(),
    })
}

/// What a forward pass changes besides its cache, as the check found it:
/// the buffers (by visiting index) and the stochastic layers' generators.
struct Frozen<E> {
    buffers: Vec<(usize, Vec<E>)>,
    rngs: Vec<LayerRng>,
    rng_names: Vec<String>,
}

impl<E: Element> Frozen<E> {
    fn take<N: Parameters<Elem = E>>(net: &mut N) -> Self {
        let mut buffers = Vec::new();
        let mut index = 0;
        net.visit(&ParamPath::ROOT, &mut |_, p| {
            if !p.role.is_learned() {
                buffers.push((index, p.value.to_vec()));
            }
            index += 1;
        });
        let (mut rngs, mut rng_names) = (Vec::new(), Vec::new());
        net.visit_rngs(&ParamPath::ROOT, &mut |path, rng| {
            rngs.push(rng.clone());
            rng_names.push(path.to_string());
        });
        Self {
            buffers,
            rngs,
            rng_names,
        }
    }

    fn restore<N: Parameters<Elem = E>>(&self, net: &mut N) {
        let (mut index, mut next) = (0, self.buffers.iter().peekable());
        net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
            if let Some((_, values)) = next.next_if(|(i, _)| *i == index) {
                p.value.copy_from_slice(values);
            }
            index += 1;
        });
        let mut saved = self.rngs.iter();
        net.visit_rngs(&ParamPath::ROOT, &mut |_, rng| {
            *rng = saved.next().expect("the same layers as when taken").clone();
        });
    }
}

/// The fourth-order central difference
/// `(8 (f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))) / 12h`.
///
/// The book's two-point formula is off by `h² f‴ / 6`, about 1e-9 here:
/// enough to read as a relative error above 1e-6 on a gradient of 1e-3,
/// which would blame backprop for the reference's own error. This one is off
/// by `h⁴ f⁽⁵⁾ / 30`, far below rounding, so what the check measures is
/// backprop.
fn fourth_order_difference(p1: f64, m1: f64, p2: f64, m2: f64, h: f64) -> f64 {
    (8.0 * (p1 - m1) - (p2 - m2)) / (12.0 * h)
}

/// Reads element `element` of the `index`-th parameter and, if `value` is
/// given, overwrites it. Returns the value it held before.
fn set_element<N: Parameters>(
    net: &mut N,
    index: usize,
    element: usize,
    value: Option<N::Elem>,
) -> N::Elem {
    let mut seen = 0;
    let mut old = None;
    net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        if seen == index {
            old = Some(p.value[element]);
            if let Some(v) = value {
                p.value[element] = v;
            }
        }
        seen += 1;
    });
    old.expect("parameter index from the same network's visit")
}
