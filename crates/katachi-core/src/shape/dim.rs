//! Extents: one per axis, static (`Const<N>`) or known at run time (`usize`).

use std::fmt;

/// One extent of a shape.
///
/// `Const<N>` fixes the extent in the type, so a mismatch is a compile error;
/// `usize` leaves it to run time, which is how one network takes a batch of
/// 100 in training and a batch of 1 in inference.
pub trait Dim: Copy + fmt::Debug + Eq + Send + Sync + 'static {
    /// `Some(N)` for `Const<N>`, `None` for a runtime extent.
    const STATIC: Option<usize>;

    /// What a layer that wants `N` here declares it takes, where this extent
    /// arrives: `Const<N>` for a plain extent; for a computed one,
    /// [`Expected`](crate::check::Expected), which remembers what was computed.
    /// Either way the sizes are compared by value when a network is checked
    /// (see [`Derived`](crate::check::Derived)).
    type Expect<const N: usize>: Dim;

    /// Whether the extent is well defined: false for a window larger than
    /// its (padded) input, or anything computed from such an extent.
    const FITS: bool = true;

    /// The window that does not fit, when this extent is the one at fault.
    const FAULT: Option<WindowFault> = None;

    /// The extent.
    fn size(&self) -> usize;

    /// The dimension value for `size`, if this type can hold it
    /// (`Const<N>` only holds `N`).
    fn from_size(size: usize) -> Option<Self>;
}

impl Dim for usize {
    const STATIC: Option<usize> = None;
    type Expect<const N: usize> = Const<N>;

    fn size(&self) -> usize {
        *self
    }

    fn from_size(size: usize) -> Option<Self> {
        Some(size)
    }
}

/// An extent fixed at compile time.
///
/// ```
/// use katachi::shape::{Const, Dim};
/// assert_eq!(Const::<50>.size(), 50);
/// assert_eq!(Const::<50>::from_size(49), None);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Const<const N: usize>;

impl<const N: usize> fmt::Debug for Const<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Const<{N}>")
    }
}

impl<const N: usize> Dim for Const<N> {
    const STATIC: Option<usize> = Some(N);
    type Expect<const M: usize> = Const<M>;

    fn size(&self) -> usize {
        N
    }

    fn from_size(size: usize) -> Option<Self> {
        (size == N).then_some(Const)
    }
}

/// An extent known at compile time.
pub trait ConstDim: Dim + Default {
    /// The extent.
    const SIZE: usize;
}

impl<const N: usize> ConstDim for Const<N> {
    const SIZE: usize = N;
}

/// An extent computed from others at compile time (a convolution's output,
/// a flattened sample), as opposed to one written as `Const<N>`.
///
/// Stable Rust cannot turn `(H + 2P − K) / S + 1` back into a `Const<_>`, so
/// such extents stay types ([`Window`](super::Window), [`Flat`](super::Flat))
/// whose size is an associated constant. A layer that wants `N` where one
/// arrives accepts it and compares the sizes when the network is checked.
pub trait Derived: ConstDim {}

/// A window that does not fit the input it slides over (or cannot slide:
/// an empty window, a stride of 0), as found at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowFault {
    /// The window (kernel) extent.
    pub window: usize,
    /// The input extent, before padding.
    pub input: usize,
    /// The padding on each side.
    pub padding: usize,
    /// The step between windows (a window that fits still has no output
    /// with a stride of 0).
    pub stride: usize,
}
