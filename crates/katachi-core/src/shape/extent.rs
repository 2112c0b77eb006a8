//! Extents computed at compile time: sliding windows and flattening (see
//! the module docs of `shape`).

use std::fmt;
use std::marker::PhantomData;

use super::dim::{ConstDim, Derived, Dim, WindowFault};

/// The output extent of a window of `K` sliding with stride `S` over `H`
/// padded by `P` on both sides: `(H + 2P − K) / S + 1` (convolution and
/// pooling).
///
/// A window larger than the padded input has no output: the extent then
/// does not [`FITS`](Dim::FITS), its size is 0, and the layer or the derived
/// network that produces it is a compile error (see [`WindowFault`](crate::check::WindowFault)).
pub struct Window<H, const K: usize, const S: usize, const P: usize>(PhantomData<H>);

/// The number of elements of a `C × H × W` sample, flattened to one row.
pub struct Flat<C, H, W>(PhantomData<(C, H, W)>);

impl<H: ConstDim, const K: usize, const S: usize, const P: usize> Window<H, K, S, P> {
    const OWN_FIT: bool = S > 0 && K > 0 && H::SIZE + 2 * P >= K;
}

macro_rules! marker_traits {
    ($name:ident<$($p:ident),*> $(, const $c:ident)*) => {
        impl<$($p),* $(, const $c: usize)*> Clone for $name<$($p),* $(, $c)*> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($p),* $(, const $c: usize)*> Copy for $name<$($p),* $(, $c)*> {}
        impl<$($p),* $(, const $c: usize)*> Default for $name<$($p),* $(, $c)*> {
            fn default() -> Self {
                Self(PhantomData)
            }
        }
        impl<$($p),* $(, const $c: usize)*> PartialEq for $name<$($p),* $(, $c)*> {
            fn eq(&self, _: &Self) -> bool {
                true
            }
        }
        impl<$($p),* $(, const $c: usize)*> Eq for $name<$($p),* $(, $c)*> {}
        impl<$($p: ConstDim),* $(, const $c: usize)*> fmt::Debug for $name<$($p),* $(, $c)*>
        where
            Self: ConstDim,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", <Self as ConstDim>::SIZE)
            }
        }
    };
}

marker_traits!(Window<H>, const K, const S, const P);
marker_traits!(Flat<C, H, W>);

impl<H: ConstDim, const K: usize, const S: usize, const P: usize> Dim for Window<H, K, S, P> {
    const STATIC: Option<usize> = Some(Self::SIZE);
    type Expect<const N: usize> = Expected<Self, N>;
    const FITS: bool = H::FITS && Self::OWN_FIT;
    const FAULT: Option<WindowFault> = if H::FITS && !Self::OWN_FIT {
        Some(WindowFault {
            window: K,
            input: H::SIZE,
            padding: P,
            stride: S,
        })
    } else {
        None
    };

    fn size(&self) -> usize {
        Self::SIZE
    }

    fn from_size(size: usize) -> Option<Self> {
        (size == Self::SIZE).then(Self::default)
    }
}

impl<H: ConstDim, const K: usize, const S: usize, const P: usize> ConstDim for Window<H, K, S, P> {
    const SIZE: usize = if Self::FITS {
        (H::SIZE + 2 * P - K) / S + 1
    } else {
        0
    };
}

impl<H: ConstDim, const K: usize, const S: usize, const P: usize> Derived for Window<H, K, S, P> {}

impl<C: ConstDim, H: ConstDim, W: ConstDim> Dim for Flat<C, H, W> {
    const STATIC: Option<usize> = Some(Self::SIZE);
    type Expect<const N: usize> = Expected<Self, N>;
    const FITS: bool = C::FITS && H::FITS && W::FITS;

    fn size(&self) -> usize {
        Self::SIZE
    }

    fn from_size(size: usize) -> Option<Self> {
        (size == Self::SIZE).then(Self::default)
    }
}

impl<C: ConstDim, H: ConstDim, W: ConstDim> ConstDim for Flat<C, H, W> {
    const SIZE: usize = C::SIZE * H::SIZE * W::SIZE;
}

impl<C: ConstDim, H: ConstDim, W: ConstDim> Derived for Flat<C, H, W> {}

/// What a layer declares it takes where a computed extent `D` arrives but
/// it wants `N` (see [`Dim::Expect`](super::Dim::Expect)): an extent of `N`, which is what a
/// mismatch message prints. Inside a derived network the data
/// flows as this type once the layer has taken it (the network's checks
/// have compared `D` with `N` by then).
pub struct Expected<D, const N: usize>(PhantomData<D>);

marker_traits!(Expected<D>, const N);

impl<D: ConstDim, const N: usize> Dim for Expected<D, N> {
    const STATIC: Option<usize> = Some(N);
    type Expect<const M: usize> = Expected<D, M>;

    fn size(&self) -> usize {
        N
    }

    fn from_size(size: usize) -> Option<Self> {
        (size == N).then(Self::default)
    }
}

impl<D: ConstDim, const N: usize> ConstDim for Expected<D, N> {
    const SIZE: usize = N;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Const;
    use crate::shape::Shape;

    #[test]
    fn window_sizes_follow_the_formula() {
        assert_eq!(<Window<Const<28>, 5, 1, 0>>::SIZE, 24);
        assert_eq!(<Window<Const<28>, 3, 1, 1>>::SIZE, 28);
        assert_eq!(<Window<Const<7>, 3, 2, 0>>::SIZE, 3);
        assert_eq!(<Window<Const<7>, 2, 2, 0>>::SIZE, 3); // the last column is dropped
        assert_eq!(<Window<Const<5>, 5, 1, 0>>::SIZE, 1);
        type Twice = Window<Window<Const<28>, 5, 1, 0>, 2, 2, 0>;
        assert_eq!(<Flat<Const<30>, Twice, Twice>>::SIZE, 4320);
    }

    #[test]
    fn a_window_larger_than_its_input_is_a_fault_of_that_extent_only() {
        type TooBig = Window<Const<4>, 5, 1, 0>;
        const { assert!(!TooBig::FITS) };
        assert_eq!(TooBig::SIZE, 0);
        let fault = WindowFault {
            window: 5,
            input: 4,
            padding: 0,
            stride: 1,
        };
        assert_eq!(TooBig::FAULT, Some(fault));
        // Padding can make it fit.
        const { assert!(<Window<Const<4>, 5, 1, 1>>::FITS) };
        // What is computed from it does not fit either, but the fault is not its own.
        type After = Window<TooBig, 2, 2, 0>;
        const { assert!(!After::FITS) };
        assert_eq!(After::FAULT, None);
        const { assert!(!<Flat<Const<1>, TooBig, Const<3>>>::FITS) };
    }

    #[test]
    fn computed_shapes_print_plain_numbers() {
        type H = Window<Const<28>, 5, 1, 0>;
        let shape = (7usize, Const::<30>, H::default(), H::default());
        assert_eq!(shape.describe(), "[7, 30, 24, 24]");
        assert_eq!(<(usize, Const<30>, H, H)>::pattern(), "[_, 30, 24, 24]");
        assert_eq!(format!("{:?}", H::default()), "24");
        assert_eq!(
            <(usize, Flat<Const<30>, H, H>)>::from_dims(&[2, 17_280]).map(|s| s.0),
            Some(2)
        );
        assert!(<(usize, Flat<Const<30>, H, H>)>::from_dims(&[2, 17_281]).is_none());
    }
}
