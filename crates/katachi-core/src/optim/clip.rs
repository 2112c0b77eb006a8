//! Gradient clipping by global norm: one long step, from a bad batch or a
//! spike in the loss, is shortened instead of throwing the network away.

use katachi_par::Element;

use crate::error::{Error, Result, require_positive};
use crate::param::{ParamPath, Parameters};

/// Scales every learned parameter's gradient by `max_norm / ‖g‖` when the
/// global norm `‖g‖` (the Euclidean norm of all of them together, as one
/// vector) exceeds `max_norm`, and returns `‖g‖` as it was. Buffers
/// (BatchNorm's running statistics) are neither counted nor changed.
///
/// The sum of squares runs in `f64` over the parameters in their visiting
/// order, so the result is the same on every run. Call it between
/// `backprop` and the optimiser's `step`.
///
/// ```
/// use katachi::optim::clip_grad_norm;
/// use katachi::prelude::*;
/// let mut layer = Affine::<1, 2, f64>::zeros();
/// layer.weight.grad = Tensor::from([[3.0, 0.0]]);
/// layer.bias.grad = Tensor::from([0.0, 4.0]);
/// let norm = clip_grad_norm(&mut layer, 2.5)?; // ‖(3, 0, 0, 4)‖ = 5: halved
/// assert_eq!(norm, 5.0);
/// assert_eq!(layer.weight.grad.as_slice(), &[1.5, 0.0]);
/// assert_eq!(layer.bias.grad.as_slice(), &[0.0, 2.0]);
/// # Ok::<(), katachi::Error>(())
/// ```
///
/// # Errors
/// [`Error::Setting`] if `max_norm` is not a finite number above 0;
/// [`Error::NonFinite`] if a gradient holds NaN or an infinity (there is no
/// direction to keep), naming the parameter. Nothing is changed then.
pub fn clip_grad_norm<E: Element>(
    params: &mut dyn Parameters<Elem = E>,
    max_norm: f64,
) -> Result<f64> {
    require_positive("the gradient norm limit", max_norm)?;
    let mut squares = 0.0_f64;
    let mut bad = None;
    params.visit_mut(&ParamPath::ROOT, &mut |path, p| {
        if !p.role.is_learned() || bad.is_some() {
            return;
        }
        for (i, &g) in p.grad.iter().enumerate() {
            if !g.is_finite() {
                bad = Some((path.to_string(), i, g.to_f64()));
                return;
            }
            squares += g.to_f64() * g.to_f64();
        }
    });
    if let Some((name, at, value)) = bad {
        return Err(Error::NonFinite {
            what: format!("the gradient of `{name}`"),
            at: format!("element {at}"),
            value: format!("{value}"),
        });
    }
    let norm = squares.sqrt();
    if norm > max_norm {
        let scale = E::from_f64(max_norm / norm);
        params.visit_mut(&ParamPath::ROOT, &mut |_, p| {
            if p.role.is_learned() {
                p.grad.iter_mut().for_each(|g| *g *= scale);
            }
        });
    }
    Ok(norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{Affine, BatchNorm};
    use crate::tensor::Tensor;

    #[test]
    fn a_norm_within_the_limit_leaves_the_gradients_alone() {
        let mut layer = Affine::<2, 1, f64>::zeros();
        layer.weight.grad = Tensor::from([[0.3], [0.4]]);
        assert_eq!(clip_grad_norm(&mut layer, 0.5).unwrap(), 0.5);
        assert_eq!(layer.weight.grad.as_slice(), &[0.3, 0.4]);
    }

    #[test]
    fn the_norm_is_global_over_layers_and_skips_buffers() {
        // (affine: 1, 2, 2 | bias 0) and (bn: γ 4, β 0 | buffers ignored): ‖g‖ = 5.
        let mut net = (Affine::<1, 2, f64>::zeros(), BatchNorm::<2, f64>::new());
        net.0.weight.grad = Tensor::from([[1.0, 2.0]]);
        net.0.bias.grad = Tensor::from([2.0, 0.0]);
        net.1.gamma.grad = Tensor::from([4.0, 0.0]);
        net.1.running_mean.grad = Tensor::from([100.0, 100.0]);
        assert_eq!(clip_grad_norm(&mut net, 2.5).unwrap(), 5.0);
        assert_eq!(net.0.weight.grad.as_slice(), &[0.5, 1.0]);
        assert_eq!(net.0.bias.grad.as_slice(), &[1.0, 0.0]);
        assert_eq!(net.1.gamma.grad.as_slice(), &[2.0, 0.0]);
        assert_eq!(net.1.running_mean.grad.as_slice(), &[100.0, 100.0]);
    }

    #[test]
    fn bad_limits_and_non_finite_gradients_are_refused_and_change_nothing() {
        let mut layer = Affine::<2, 1, f32>::zeros();
        layer.weight.grad = Tensor::from([[3.0], [f32::NAN]]);
        layer.bias.grad = Tensor::from([7.0]);
        assert_eq!(
            clip_grad_norm(&mut layer, 1.0).unwrap_err().to_string(),
            "the gradient of `weight` holds NaN at element 1"
        );
        assert_eq!(layer.bias.grad.as_slice(), &[7.0]);
        assert_eq!(
            clip_grad_norm(&mut layer, 0.0).unwrap_err().to_string(),
            "the gradient norm limit is 0: it must be a finite number above 0"
        );
    }
}
