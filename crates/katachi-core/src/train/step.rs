//! The part of a training step every loop shares: the batch gathered and
//! checked, forward, loss, backward; and the check that an update left the
//! parameters finite.

use super::batches::gather_rows;
use super::eval::finite_rows;
use crate::labels::Labels;
use crate::layer::{Layer, Loss, backprop};
use crate::param::Parameters;
use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::{Error, Result};

/// Forward, loss and backward on the samples `rows` of `images`: every
/// gradient is then fresh, and the loss is returned. Each batch is checked
/// for NaN and infinity as it is gathered, unless `checked` says the whole
/// of `images` was checked already. `epoch` and `step` only name the place
/// in an error.
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or an infinity in the batch (before the
/// network sees it); [`Error::Diverged`] if the loss is not finite; what
/// the loss returns for mismatched targets.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward_backward<S, const C: usize, E, N, L>(
    net: &mut N,
    loss: &mut L,
    images: &Tensor<S, E>,
    labels: &Labels<C>,
    rows: &[usize],
    checked: bool,
    epoch: usize,
    step: usize,
) -> Result<f64>
where
    S: Shape,
    E: Element,
    N: Layer<Tensor<S, E>>,
    L: Loss<N::Out, Labels<C>, Elem = E>,
{
    let x = match checked {
        true => gather_rows(images, rows),
        false => finite_rows(images, rows, "the training data")?,
    };
    let t = Labels::new(rows.iter().map(|&r| labels.as_slice()[r]).collect())?;
    let value = backprop(net, loss, x, &t)?.to_f64();
    if !value.is_finite() {
        return Err(Error::Diverged {
            epoch,
            step,
            loss: format!("{value}"),
        });
    }
    Ok(value)
}

/// `Ok` unless an update left a parameter NaN or infinite (the loss is
/// checked before each update; this catches the last one before a pause).
///
/// # Errors
/// [`Error::NonFinite`] naming the parameter and the element.
pub(crate) fn check_parameters<P: Parameters + ?Sized>(
    net: &P,
    epoch: usize,
    step: usize,
) -> Result<()> {
    match net.first_non_finite() {
        None => Ok(()),
        Some((name, index, value)) => Err(Error::NonFinite {
            what: format!("parameter `{name}`"),
            at: format!(
                "element {index} after epoch {epoch}, step {step}: training diverged; try a smaller learning rate"
            ),
            value: format!("{value}"),
        }),
    }
}
