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

    /// `N` elements of `T` as a Rust type: `[T; N]` for `Const<N>`, `Vec<T>`
    /// for a runtime extent. Only used to name shapes in compile errors,
    /// where `[f32; 784]` reads better than any generic type.
    type Array<T>;

    /// The extent.
    fn size(&self) -> usize;

    /// The dimension value for `size`, if this type can hold it
    /// (`Const<N>` only holds `N`).
    fn from_size(size: usize) -> Option<Self>;
}

impl Dim for usize {
    const STATIC: Option<usize> = None;
    type Array<T> = Vec<T>;

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
/// use katachi_core::shape::{Const, Dim};
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
    type Array<T> = [T; N];

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
