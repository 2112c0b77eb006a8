//! Evaluation: how well a network does on a labelled data set, predicting
//! in chunks, with every sample checked for NaN and infinity on the way in.

use super::batches::gather_rows;
use crate::func::accuracy;
use crate::labels::Labels;
use crate::layer::{Layer, Loss};
use crate::shape::{Batch, Shape};
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::{Error, Result};

/// Rows predicted at once by [`evaluate`] and [`measure`]: bounds memory,
/// not results.
const EVAL_CHUNK: usize = 1000;

/// The number of samples, if there are some and every one has a label.
pub(crate) fn samples<S: Shape, E: Element, const C: usize>(
    images: &Tensor<S, E>,
    labels: &Labels<C>,
    what: &str,
) -> Result<usize> {
    let n = images.dims().as_ref().first().copied().unwrap_or(1);
    if n != labels.len() {
        return Err(Error::BatchMismatch {
            what: "a labelled data set",
            input: n,
            target: labels.len(),
        });
    }
    if n == 0 {
        return Err(Error::setting(
            what,
            "empty",
            "it needs at least one sample",
        ));
    }
    Ok(n)
}

/// `Ok` if every sample of `images` is finite; else the error naming the
/// first sample and element that is not.
pub(crate) fn all_finite<S: Shape, E: Element>(images: &Tensor<S, E>, what: &str) -> Result<()> {
    match katachi_par::finite::first_non_finite(images.as_slice()) {
        None => Ok(()),
        Some((i, value)) => {
            let n = images.dims().as_ref().first().copied().unwrap_or(1).max(1);
            let sample = images.numel() / n;
            Err(Error::NonFinite {
                what: what.to_string(),
                at: format!("sample {}, element {}", i / sample, i % sample),
                value: format!("{value}"),
            })
        }
    }
}

/// The samples `rows` of `images` as a batch, refused if one holds a NaN or
/// an infinity: such a sample would spread NaN through the gradients (or,
/// through a ReLU, silently not), so it is reported where it enters.
pub(crate) fn finite_rows<S: Shape, E: Element>(
    images: &Tensor<S, E>,
    rows: &[usize],
    what: &str,
) -> Result<Tensor<S, E>> {
    let x = gather_rows(images, rows);
    match katachi_par::finite::first_non_finite(x.as_slice()) {
        None => Ok(x),
        Some((i, value)) => {
            let sample = x.numel() / rows.len();
            Err(Error::NonFinite {
                what: what.to_string(),
                at: format!("sample {}, element {}", rows[i / sample], i % sample),
                value: format!("{value}"),
            })
        }
    }
}

/// The fraction of `data` that `net` classifies correctly (argmax of its
/// output against the label), predicting in chunks.
///
/// # Errors
/// [`Error::NonFinite`] naming the sample, for a NaN or an infinity in the
/// data (a prediction from it would mean nothing); [`Error::Setting`] for a
/// data set without samples; an error if the labels do not fit the output
/// (they always do for a split of a data set).
pub fn evaluate<S, const C: usize, E, D, N>(net: &N, data: &D) -> Result<f64>
where
    S: Shape,
    E: Element,
    D: Images<S, C, E> + ?Sized,
    N: Layer<Tensor<S, E>, Out = Tensor<Batch<C>, E>>,
{
    let (images, labels) = data.parts();
    let n = samples(images, labels, "the evaluation data")?;
    let mut correct = 0.0;
    let rows: Vec<usize> = (0..n).collect();
    for chunk in rows.chunks(EVAL_CHUNK) {
        let y = net.predict(finite_rows(images, chunk, "the evaluation data")?);
        let t = &labels.as_slice()[chunk[0]..chunk[0] + chunk.len()];
        correct += accuracy(&y, t)? * chunk.len() as f64;
    }
    Ok(correct / n as f64)
}

/// What [`measure`] returns: the mean loss and the accuracy on a data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    /// The loss over all samples (each chunk's mean loss, weighted by its
    /// size: the mean over samples for a loss that averages over its
    /// batch, as every built-in loss does).
    pub loss: f64,
    /// The fraction classified correctly (argmax against the label).
    pub accuracy: f64,
}

/// The loss and the accuracy of `net` on `data`, from one prediction per
/// chunk (what a validation set is checked with after each epoch).
///
/// ```
/// use katachi::prelude::*;
/// use katachi::train::measure;
/// let net = Affine::<2, 2, f64>::zeros(); // uniform softmax: loss ln 2
/// let data = (Tensor::<Batch<2>, f64>::zeros((4, Const)), Labels::<2>::new(vec![0, 1, 1, 0])?);
/// let m = measure(&net, &SoftmaxWithLoss::new(), &data)?;
/// assert!((m.loss - 2f64.ln()).abs() < 1e-12);
/// assert_eq!(m.accuracy, 0.5); // ties go to the first class
/// # Ok::<(), katachi::Error>(())
/// ```
///
/// # Errors
/// As [`evaluate`]; and what the loss returns.
pub fn measure<S, const C: usize, E, D, N, L>(net: &N, loss: &L, data: &D) -> Result<Measured>
where
    S: Shape,
    E: Element,
    D: Images<S, C, E> + ?Sized,
    N: Layer<Tensor<S, E>, Out = Tensor<Batch<C>, E>>,
    L: Loss<Tensor<Batch<C>, E>, Labels<C>, Elem = E>,
{
    let (images, labels) = data.parts();
    let n = samples(images, labels, "the evaluation data")?;
    let (mut correct, mut total) = (0.0, 0.0);
    let rows: Vec<usize> = (0..n).collect();
    for chunk in rows.chunks(EVAL_CHUNK) {
        let y = net.predict(finite_rows(images, chunk, "the evaluation data")?);
        let t = &labels.as_slice()[chunk[0]..chunk[0] + chunk.len()];
        correct += accuracy(&y, t)? * chunk.len() as f64;
        total += loss.loss(y, &Labels::new(t.to_vec())?)?.to_f64() * chunk.len() as f64;
    }
    Ok(Measured {
        loss: total / n as f64,
        accuracy: correct / n as f64,
    })
}

/// A labelled data set: samples of shape `S` (the batch axis first) and
/// their labels among `C` classes: a pair `(images, labels)`, or a split of
/// a data set (`katachi::data::Split`, any sample shape).
pub trait Images<S: Shape, const C: usize, E: Element> {
    /// The samples and their labels.
    fn parts(&self) -> (&Tensor<S, E>, &Labels<C>);
}

impl<S: Shape, const C: usize, E: Element> Images<S, C, E> for (Tensor<S, E>, Labels<C>) {
    fn parts(&self) -> (&Tensor<S, E>, &Labels<C>) {
        (&self.0, &self.1)
    }
}
