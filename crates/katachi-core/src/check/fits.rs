//! Widths compared by trait bounds, for the losses: one error naming both
//! numbers when a network gives a loss the wrong number of columns.

/// Holds when a loss over `WANT` numbers per sample gets `GOT`: how the
/// losses' impls compare widths, so that a network with the wrong number
/// of outputs is one error naming both numbers (their impls take any
/// width, and this bound refuses the wrong ones).
#[diagnostic::on_unimplemented(
    message = "the loss takes {WANT} numbers per sample but the network gives {GOT}",
    label = "the network's output has {GOT} columns; the loss is over {WANT}",
    note = "a loss over N classes (`SoftmaxWithLoss<N>`) takes [_, N] scores: make the last layer `Affine<_, N>`"
)]
pub trait InputFits<const GOT: usize, const WANT: usize> {}

impl<const N: usize> InputFits<N, N> for () {}

/// Holds when a loss over `WANT` numbers per sample gets a target of
/// `GOT` (classes for labels, columns for one-hot or regression rows).
#[diagnostic::on_unimplemented(
    message = "the loss is over {WANT} classes or outputs but the target has {GOT}",
    label = "the target has {GOT}; the loss is over {WANT}",
    note = "a loss over N classes takes `Labels<N>`, or rows of N numbers"
)]
pub trait TargetFits<const GOT: usize, const WANT: usize> {}

impl<const N: usize> TargetFits<N, N> for () {}
