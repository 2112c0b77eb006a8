//! The element types kernels work on.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    /// Only `f32` and `f64` implement [`Element`](super::Element): kernels
    /// are written and tested for exactly these two types.
    pub trait Sealed {}

    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point element: `f32` or `f64`.
///
/// The trait is sealed: kernels are written and tested for exactly these two
/// types. The methods are the handful of math functions the book's layers
/// need, so generic code never has to name `f32` or `f64`.
pub trait Element:
    sealed::Sealed
    + Copy
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// The type's name, `"f32"` or `"f64"`, for messages.
    const NAME: &'static str;
    /// Which of the two types this is, for code that stores or converts
    /// elements (a file format's type tag).
    const KIND: ElementKind;
    /// The machine epsilon: the gap between 1 and the next value.
    const EPSILON: f64;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// `e^self`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// The larger of two values; NaN-ignoring like [`f64::max`].
    fn max(self, other: Self) -> Self;
    /// `self * a + b` with a single rounding where the hardware allows.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// Neither infinite nor NaN.
    fn is_finite(self) -> bool;
}

/// Which element type a generic `E: Element` is (see [`Element::KIND`]).
///
/// ```
/// use katachi::par::{Element, ElementKind};
/// assert_eq!(<f64 as Element>::KIND, ElementKind::F64);
/// assert_eq!(ElementKind::F32.bytes(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementKind {
    /// `f32`, IEEE 754 single precision.
    F32,
    /// `f64`, IEEE 754 double precision.
    F64,
}

impl ElementKind {
    /// Bytes one element takes.
    pub const fn bytes(self) -> usize {
        match self {
            ElementKind::F32 => 4,
            ElementKind::F64 => 8,
        }
    }
}

macro_rules! impl_float {
    ($t:ident, $kind:ident) => {
        impl Element for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = stringify!($t);
            const KIND: ElementKind = ElementKind::$kind;
            const EPSILON: f64 = $t::EPSILON as f64;

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
        }
    };
}

impl_float!(f32, F32);
impl_float!(f64, F64);
