//! `BatchNorm2d<C>`: batch normalisation of each of `C` channels over the
//! batch and every position of its maps.

use super::{BatchNorm, Layer};
use crate::check::Signature;
use crate::param::{Mode, ParamMut, ParamPath, ParamView, Parameters};
use crate::shape::{Const, ConstDim, Dim};
use crate::tensor::Tensor;
use katachi_par::Element;

/// Batch normalisation for convolutional maps: each channel is normalised
/// over the batch and all `H × W` positions, then scaled and shifted by its
/// own learned `γ` and `β` (PyTorch's `nn.BatchNorm2d`).
///
/// # Shapes
/// - input `x`: `[batch, C, H, W]`
/// - `γ`, `β`, running mean and variance: `[C]`
/// - output: `[batch, C, H, W]`
///
/// Everything else is [`BatchNorm`]'s, which it holds as [`BatchNorm2d::norm`]
/// (the parameters, `momentum`, `eps`): training normalises by the
/// statistics of the `batch · H · W` values of each channel and moves the
/// running averages (with the unbiased variance, as PyTorch does),
/// inference uses the running averages. The parameters are named as
/// PyTorch names them (`weight`, `bias`, `running_mean`, `running_var`,
/// `num_batches_tracked`), so checkpoints load in both directions, and the
/// ONNX export is a `BatchNormalization` node.
///
/// ```
/// use katachi::prelude::*;
/// let mut bn = BatchNorm2d::<2, f64>::new();
/// // Channel 0 holds 1, 3, 5, 7; channel 1 holds 10 everywhere.
/// let x = Tensor::<Nchw<2, 1, 2>, f64>::from_vec(
///     (2, Const, Const, Const),
///     vec![1.0, 3.0, 10.0, 10.0, 5.0, 7.0, 10.0, 10.0],
/// )?;
/// let y = bn.forward(x);
/// let scale = 1.0 / (5.0f64 + 1e-5).sqrt(); // channel 0: mean 4, variance 5
/// assert!((y.as_slice()[0] + 3.0 * scale).abs() < 1e-12);
/// assert_eq!(y.as_slice()[2], 0.0); // a constant channel normalises to β = 0
/// assert!((bn.norm.running_mean.value.as_slice()[0] - 0.4).abs() < 1e-12);
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BatchNorm2d<const C: usize, E: Element = f32> {
    /// The per-channel normalisation: `γ` (`norm.gamma`), `β`, the running
    /// averages, `momentum` and `eps`.
    pub norm: BatchNorm<C, E>,
    /// A buffer for the maps laid out as rows of `C` (one per position),
    /// reused between steps.
    spare: Vec<E>,
}

impl<const C: usize, E: Element> BatchNorm2d<C, E> {
    /// γ = 1, β = 0, running mean 0 and variance 1, momentum 0.1, ε = 1e-5.
    pub fn new() -> Self {
        Self {
            norm: BatchNorm::new(),
            spare: Vec::new(),
        }
    }
}

impl<const C: usize, E: Element> Default for BatchNorm2d<C, E> {
    fn default() -> Self {
        Self::new()
    }
}

/// `[batch, C, H, W]` as rows of `C` values, one row per (sample,
/// position), into `rows` (the layout `BatchNorm` normalises by column).
fn to_rows<E: Element>(maps: &[E], channels: usize, plane: usize, rows: &mut Vec<E>) {
    rows.resize(maps.len(), E::ZERO);
    for (sample, rows) in maps
        .chunks_exact(channels * plane)
        .zip(rows.chunks_exact_mut(channels * plane))
    {
        for (c, map) in sample.chunks_exact(plane).enumerate() {
            for (s, &v) in map.iter().enumerate() {
                rows[s * channels + c] = v;
            }
        }
    }
}

/// [`to_rows`] undone: rows of `C` back into `maps`.
fn to_maps<E: Element>(rows: &[E], channels: usize, plane: usize, maps: &mut [E]) {
    for (sample, rows) in maps
        .chunks_exact_mut(channels * plane)
        .zip(rows.chunks_exact(channels * plane))
    {
        for (c, map) in sample.chunks_exact_mut(plane).enumerate() {
            for (s, v) in map.iter_mut().enumerate() {
                *v = rows[s * channels + c];
            }
        }
    }
}

impl<const C: usize, E: Element> BatchNorm2d<C, E> {
    /// `x` as rows, through `f`, and back into `x`'s buffer.
    fn through_rows<B: Dim, H: ConstDim, W: ConstDim>(
        &mut self,
        mut x: Tensor<(B, Const<C>, H, W), E>,
        f: impl FnOnce(
            &mut BatchNorm<C, E>,
            Tensor<(usize, Const<C>), E>,
        ) -> Tensor<(usize, Const<C>), E>,
    ) -> Tensor<(B, Const<C>, H, W), E> {
        let plane = H::SIZE * W::SIZE;
        let mut rows = std::mem::take(&mut self.spare);
        to_rows(x.as_slice(), C, plane, &mut rows);
        let count = rows.len() / C;
        let rows = Tensor::from_vec((count, Const), rows).expect("rows of C");
        let rows = f(&mut self.norm, rows);
        to_maps(rows.as_slice(), C, plane, x.as_mut_slice());
        self.spare = rows.into_vec();
        x
    }
}

impl<B, H, W, const C: usize, E> Layer<Tensor<(B, Const<C>, H, W), E>> for BatchNorm2d<C, E>
where
    B: Dim,
    H: ConstDim,
    W: ConstDim,
    E: Element,
{
    type Out = Tensor<(B, Const<C>, H, W), E>;

    fn forward(&mut self, x: Tensor<(B, Const<C>, H, W), E>) -> Self::Out {
        self.through_rows(x, |norm, rows| norm.forward(rows))
    }

    fn backward(&mut self, dy: Self::Out) -> Tensor<(B, Const<C>, H, W), E> {
        self.through_rows(dy, |norm, rows| norm.backward(rows))
    }

    fn predict(&self, x: Tensor<(B, Const<C>, H, W), E>) -> Self::Out {
        let plane = H::SIZE * W::SIZE;
        let mut rows = Vec::new();
        to_rows(x.as_slice(), C, plane, &mut rows);
        let count = rows.len() / C;
        let rows = Tensor::from_vec((count, Const), rows).expect("rows of C");
        let rows = self.norm.predict(rows);
        let mut x = x;
        to_maps(rows.as_slice(), C, plane, x.as_mut_slice());
        x
    }
}

impl<B, D, H, W, E2, const C: usize, E> Signature<Tensor<(B, D, H, W), E2>> for BatchNorm2d<C, E>
where
    B: Dim,
    D: Dim,
    H: ConstDim,
    W: ConstDim,
    E2: Element,
    E: Element,
{
    type Input = Tensor<(B, D::Expect<C>, H, W), E>;
    type Output = Tensor<(B, D::Expect<C>, H, W), E>;
}

impl<const C: usize, E: Element> Parameters for BatchNorm2d<C, E> {
    type Elem = E;

    fn visit(&self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, E>)) {
        self.norm.visit(path, f);
    }

    fn visit_mut(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, E>),
    ) {
        self.norm.visit_mut(path, f);
    }

    fn set_mode(&mut self, mode: Mode) {
        self.norm.set_mode(mode);
    }
}
