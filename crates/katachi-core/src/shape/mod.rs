//! Shapes are types.
//!
//! A shape is a tuple of [`Dim`]s: `(usize, Const<784>)` is a batch of
//! 784-wide rows whose batch size is known at run time; `(Const<2>, Const<3>)`
//! ([`Rank2<2, 3>`]) is fixed entirely. Tensors carry their shape type, so a
//! product whose inner extents differ does not compile.
//!
//! ```
//! use katachi::shape::{Const, Rank2, Shape};
//! let batch: (usize, Const<784>) = (100, Const);
//! assert_eq!(batch.numel(), 78_400);
//! assert_eq!(Shape::describe(&batch), "[100, 784]");
//! assert_eq!(<(usize, Const<784>)>::pattern(), "[_, 784]");
//! let fixed = <Rank2<2, 3>>::default();
//! assert_eq!(fixed.dims(), [2, 3]);
//! ```
//!
//! # Extent arithmetic
//!
//! Output extents that stable const generics cannot compute (convolution,
//! pooling, flatten) are types whose size is an associated constant, which
//! the compiler evaluates: [`Window`] and [`Flat`]. `Conv2d<1, 30, 5>` on
//! 28×28 images gives 24×24 maps, a 2×2 pool 12×12, flattening 4320
//! numbers per image:
//!
//! ```
//! use katachi::shape::{Const, ConstDim, Flat, Shape, Window};
//! type Conv = Window<Const<28>, 5, 1, 0>; // (28 + 2·0 − 5) / 1 + 1
//! type Pool = Window<Conv, 2, 2, 0>; // (24 − 2) / 2 + 1
//! assert_eq!((Conv::SIZE, Pool::SIZE), (24, 12));
//! assert_eq!(<Flat<Const<30>, Pool, Pool>>::SIZE, 4320);
//! // Shapes print plain numbers, whatever their extents' types.
//! assert_eq!(<(usize, Const<30>, Pool, Pool)>::pattern(), "[_, 30, 12, 12]");
//! ```
//!
//! Layers name these types for you: a user writes `Conv2d<1, 30, 5>` and
//! never spells an extent type. Where a layer wants a plain `N` and a
//! computed extent arrives, the sizes are compared by value when a network
//! is compiled ("`affine1` takes [_, 4000] but `flatten` produces
//! [_, 4320]"); how, and what a layer author implements for it, is
//! [`check`](crate::check).
//!
//! (`typenum` could do this arithmetic too, but mapping `Const<N>` to its
//! types stops at 1024, and its errors print `UInt<UInt<UTerm, B1>, B0>`
//! rather than numbers.)

pub(crate) mod dim;
pub(crate) mod extent;

pub use dim::{Const, ConstDim, Dim};
pub use extent::{Flat, Window};

use dim::WindowFault;

use std::fmt::Debug;

/// A tensor shape: a tuple of up to four [`Dim`]s, or `()` for a scalar.
pub trait Shape: Copy + Debug + Eq + Send + Sync + 'static {
    /// Number of axes.
    const RANK: usize;

    /// The extents as an array, `[usize; RANK]`.
    type Dims: AsRef<[usize]> + Copy + Debug;

    /// The extents.
    fn dims(&self) -> Self::Dims;

    /// The shape whose extents are `dims`, if every static extent matches.
    fn from_dims(dims: &[usize]) -> Option<Self>;

    /// The shape pattern of the type: `[_, 784]` for `(usize, Const<784>)`.
    fn pattern() -> String;

    /// Total number of elements.
    fn numel(&self) -> usize {
        self.dims().as_ref().iter().product()
    }

    /// The last extent (1 for a scalar): the length of one row.
    fn row_len(&self) -> usize {
        self.dims().as_ref().last().copied().unwrap_or(1)
    }

    /// Number of rows: all extents but the last, multiplied.
    fn num_rows(&self) -> usize {
        let dims = self.dims();
        let dims = dims.as_ref();
        dims.iter().take(dims.len().saturating_sub(1)).product()
    }

    /// The static extents, `None` for runtime ones, padded with `None` to
    /// four axes: what compile-time shape checks compare.
    const STATIC_DIMS: [Option<usize>; 4];

    /// Whether every extent is well defined (see [`Dim::FITS`]).
    const FITS: bool;

    /// The first window that does not fit, if one of the extents is the
    /// one at fault (see [`Dim::FAULT`]; a [`WindowFault`]).
    const FAULT: Option<WindowFault>;

    /// The extents written as `[100, 784]`.
    fn describe(&self) -> String {
        format_dims(self.dims().as_ref().iter().map(|d| d.to_string()))
    }
}

/// A shape whose extents are all static: it has exactly one value.
pub trait ConstShape: Shape + Default {}

/// A shape with at least one axis; `Rows` is the shape without its last axis.
pub trait HasRows: Shape {
    /// The shape with the last axis removed: `(usize,)` for `(usize, Const<10>)`.
    type Rows: Shape;

    /// The shape with the last axis removed.
    fn rows_shape(&self) -> Self::Rows;
}

const fn first_fault(faults: &[Option<WindowFault>]) -> Option<WindowFault> {
    let mut i = 0;
    while i < faults.len() {
        if faults[i].is_some() {
            return faults[i];
        }
        i += 1;
    }
    None
}

fn format_dims(dims: impl Iterator<Item = String>) -> String {
    format!("[{}]", dims.collect::<Vec<_>>().join(", "))
}

fn pattern_of<D: Dim>() -> String {
    D::STATIC.map_or_else(|| "_".to_string(), |n| n.to_string())
}

impl Shape for () {
    const RANK: usize = 0;
    type Dims = [usize; 0];
    const STATIC_DIMS: [Option<usize>; 4] = [None; 4];
    const FITS: bool = true;
    const FAULT: Option<WindowFault> = None;

    fn dims(&self) -> [usize; 0] {
        []
    }

    fn from_dims(dims: &[usize]) -> Option<Self> {
        dims.is_empty().then_some(())
    }

    fn pattern() -> String {
        "[]".to_string()
    }
}

impl ConstShape for () {}

macro_rules! tuple_shape {
    ($rank:literal; $($D:ident $i:tt),+; rows = ($($R:ident $ri:tt),*)) => {
        impl<$($D: Dim),+> Shape for ($($D,)+) {
            const RANK: usize = $rank;
            type Dims = [usize; $rank];
            const STATIC_DIMS: [Option<usize>; 4] = {
                let mut dims = [None; 4];
                $(dims[$i] = $D::STATIC;)+
                dims
            };
            const FITS: bool = $($D::FITS)&&+;
            const FAULT: Option<WindowFault> = first_fault(&[$($D::FAULT),+]);

            fn dims(&self) -> [usize; $rank] {
                [$(self.$i.size()),+]
            }

            fn from_dims(dims: &[usize]) -> Option<Self> {
                if dims.len() != $rank {
                    return None;
                }
                Some(($($D::from_size(dims[$i])?,)+))
            }

            fn pattern() -> String {
                format_dims([$(pattern_of::<$D>()),+].into_iter())
            }
        }

        impl<$($D: ConstDim),+> ConstShape for ($($D,)+) {}

        impl<$($D: Dim),+> HasRows for ($($D,)+) {
            type Rows = ($($R,)*);

            // For rank 1 the row shape is `()`, which clippy sees as a unit expression.
            #[allow(clippy::unused_unit)]
            fn rows_shape(&self) -> Self::Rows {
                ($(self.$ri,)*)
            }
        }
    };
}

tuple_shape!(1; A 0; rows = ());
tuple_shape!(2; A 0, B 1; rows = (A 0));
tuple_shape!(3; A 0, B 1, C 2; rows = (A 0, B 1));
tuple_shape!(4; A 0, B 1, C 2, D 3; rows = (A 0, B 1, C 2));

/// A scalar shape.
pub type Rank0 = ();
/// A vector of `N` elements.
pub type Rank1<const N: usize> = (Const<N>,);
/// An `M × N` matrix.
pub type Rank2<const M: usize, const N: usize> = (Const<M>, Const<N>);
/// A rank-3 shape with static extents.
pub type Rank3<const M: usize, const N: usize, const O: usize> = (Const<M>, Const<N>, Const<O>);
/// A rank-4 shape with static extents, e.g. (batch, channel, height, width).
pub type Rank4<const M: usize, const N: usize, const O: usize, const P: usize> =
    (Const<M>, Const<N>, Const<O>, Const<P>);
/// A batch of `N`-wide rows whose batch size is known at run time.
pub type Batch<const N: usize> = (usize, Const<N>);
/// A batch of `C × H × W` images (NCHW) whose batch size is known at run
/// time: `Nchw<1, 28, 28>` for MNIST as a convolutional network takes it.
pub type Nchw<const C: usize, const H: usize, const W: usize> =
    (usize, Const<C>, Const<H>, Const<W>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_show_plain_numbers_and_underscores() {
        assert_eq!(<Batch<50>>::pattern(), "[_, 50]");
        assert_eq!(<Rank3<1, 28, 28>>::pattern(), "[1, 28, 28]");
        assert_eq!(<()>::pattern(), "[]");
    }

    #[test]
    fn from_dims_rejects_wrong_static_extents_and_ranks() {
        assert_eq!(<Batch<3>>::from_dims(&[5, 3]), Some((5, Const)));
        assert_eq!(<Batch<3>>::from_dims(&[5, 4]), None);
        assert_eq!(<Batch<3>>::from_dims(&[5]), None);
    }

    #[test]
    fn rows_split_off_the_last_axis() {
        let s: Rank3<2, 3, 4> = Default::default();
        assert_eq!((s.num_rows(), s.row_len()), (6, 4));
        assert_eq!(().num_rows(), 1);
        assert_eq!((7usize, Const::<3>).rows_shape(), (7usize,));
    }
}
