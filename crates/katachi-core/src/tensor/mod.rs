//! `Tensor<S, E>`: a contiguous row-major buffer whose shape is a type.

mod debug;
mod ops;

use crate::shape::{Const, ConstShape, Dim, Rank1, Rank2, Shape};
use katachi_par::Element;

use crate::error::{Error, Result};

/// A tensor of shape `S` with elements `E` (`f32` unless said otherwise).
///
/// Storage is one contiguous row-major `Vec<E>`; the shape value holds the
/// runtime extents (and nothing at all for static ones).
///
/// ```
/// use katachi::prelude::*;
///
/// // A batch of 2 rows, 3 wide: the batch extent is a runtime `usize`.
/// let x = Tensor::<Batch<3>>::from_vec((2, Const), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
/// assert_eq!(x.row(1), &[4.0, 5.0, 6.0]);
///
/// // Runtime data of the wrong length is an error naming both sizes.
/// let err = Tensor::<Batch<3>>::from_vec((2, Const), vec![1.0; 5]).unwrap_err();
/// assert_eq!(err.to_string(), "tensor data: expected 6 elements for shape [2, 3], found 5");
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<S: Shape, E: Element = f32> {
    shape: S,
    data: Vec<E>,
}

impl<S: Shape, E: Element> Tensor<S, E> {
    /// A tensor of zeros.
    pub fn zeros(shape: S) -> Self {
        Self::filled(shape, E::ZERO)
    }

    /// A tensor with every element `value`.
    pub fn filled(shape: S, value: E) -> Self {
        Self {
            data: vec![value; shape.numel()],
            shape,
        }
    }

    /// Takes `data` (row-major) as a tensor of `shape`.
    ///
    /// # Errors
    /// [`Error::Length`] if `data.len()` is not the number of elements of `shape`.
    pub fn from_vec(shape: S, data: Vec<E>) -> Result<Self> {
        if data.len() != shape.numel() {
            return Err(Error::Length {
                what: "tensor data",
                shape: shape.describe(),
                expected: shape.numel(),
                found: data.len(),
            });
        }
        Ok(Self { shape, data })
    }

    /// Copies `data` (row-major) into a tensor of `shape`.
    ///
    /// # Errors
    /// As [`Tensor::from_vec`].
    pub fn from_slice(shape: S, data: &[E]) -> Result<Self> {
        Self::from_vec(shape, data.to_vec())
    }

    /// Builds a tensor from runtime extents, checking them against the type:
    /// this is the entry point for data whose shape is only known at run
    /// time (a file, a user's buffer).
    ///
    /// # Errors
    /// [`Error::Shape`] if a static extent or the rank differs;
    /// [`Error::Length`] if `data` does not hold exactly that many elements.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let err = Tensor::<Batch<784>>::from_dims(&[2, 783], vec![0.0; 1566]).unwrap_err();
    /// assert_eq!(err.to_string(), "tensor dims: expected shape [_, 784], found [2, 783]");
    /// ```
    pub fn from_dims(dims: &[usize], data: Vec<E>) -> Result<Self> {
        let shape = S::from_dims(dims).ok_or_else(|| Error::Shape {
            what: "tensor dims",
            expected: S::pattern(),
            found: format!("{dims:?}"),
        })?;
        Self::from_vec(shape, data)
    }

    /// A tensor whose element at multi-index `idx` is `f(idx)`.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let t = Tensor::<Rank2<2, 3>>::from_fn(Default::default(), |i| (10 * i[0] + i[1]) as f32);
    /// assert_eq!(t.as_slice(), &[0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    /// ```
    pub fn from_fn(shape: S, mut f: impl FnMut(&[usize]) -> E) -> Self {
        let dims = shape.dims();
        let dims = dims.as_ref();
        let mut idx = vec![0; dims.len()];
        let mut data = Vec::with_capacity(shape.numel());
        for _ in 0..shape.numel() {
            data.push(f(&idx));
            // Advance the multi-index like an odometer, last axis fastest.
            for axis in (0..dims.len()).rev() {
                idx[axis] += 1;
                if idx[axis] < dims[axis] {
                    break;
                }
                idx[axis] = 0;
            }
        }
        Self { shape, data }
    }

    /// The shape value.
    pub fn shape(&self) -> S {
        self.shape
    }

    /// The extents.
    pub fn dims(&self) -> S::Dims {
        self.shape.dims()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements, row-major.
    pub fn as_slice(&self) -> &[E] {
        &self.data
    }

    /// The elements, row-major, writable.
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        &mut self.data
    }

    /// The buffer.
    pub fn into_vec(self) -> Vec<E> {
        self.data
    }

    /// Number of rows: the product of all extents but the last.
    pub fn num_rows(&self) -> usize {
        self.shape.num_rows()
    }

    /// Length of a row: the last extent.
    pub fn row_len(&self) -> usize {
        self.shape.row_len()
    }

    /// Row `i` (the elements along the last axis at row-index `i`).
    ///
    /// # Panics
    /// If `i ≥ num_rows()`.
    #[track_caller]
    pub fn row(&self, i: usize) -> &[E] {
        let n = self.row_len();
        assert!(
            i < self.num_rows(),
            "row {i} of a tensor with {} rows",
            self.num_rows()
        );
        &self.data[i * n..(i + 1) * n]
    }

    /// Row `i`, writable.
    ///
    /// # Panics
    /// If `i ≥ num_rows()`.
    #[track_caller]
    pub fn row_mut(&mut self, i: usize) -> &mut [E] {
        let n = self.row_len();
        assert!(
            i < self.num_rows(),
            "row {i} of a tensor with {} rows",
            self.num_rows()
        );
        &mut self.data[i * n..(i + 1) * n]
    }

    /// The rows, in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[E]> {
        // A zero-width row still counts as a row; chunks_exact(0) would panic.
        let n = self.row_len().max(1);
        self.data.chunks_exact(n).take(self.num_rows())
    }

    /// Applies `f` to every element.
    pub fn map(&self, f: impl FnMut(E) -> E) -> Self {
        Self {
            shape: self.shape,
            data: self.data.iter().copied().map(f).collect(),
        }
    }

    /// Combines two tensors of the same shape element by element.
    ///
    /// # Errors
    /// [`Error::Shape`] if runtime extents differ (static ones cannot).
    pub fn zip_map(&self, other: &Self, mut f: impl FnMut(E, E) -> E) -> Result<Self> {
        self.check_same_shape("zip_map", other)?;
        let data = self
            .data
            .iter()
            .zip(&other.data)
            .map(|(&a, &b)| f(a, b))
            .collect();
        Ok(Self {
            shape: self.shape,
            data,
        })
    }

    /// `Ok` when `other` has the same runtime extents.
    pub(crate) fn check_same_shape<S2: Shape, E2: Element>(
        &self,
        what: &'static str,
        other: &Tensor<S2, E2>,
    ) -> Result<()> {
        if self.dims().as_ref() == other.dims().as_ref() {
            Ok(())
        } else {
            Err(Error::Shape {
                what,
                expected: self.shape.describe(),
                found: other.shape.describe(),
            })
        }
    }

    /// Sum of all elements.
    pub fn sum(&self) -> E {
        self.data.iter().copied().sum()
    }

    /// The same elements, row-major, under another shape with as many.
    ///
    /// # Errors
    /// [`Error::Length`] if the new shape holds a different number of
    /// elements.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let flat = Tensor::<Batch<4>>::from_rows(&[[1.0, 2.0, 3.0, 4.0]])?;
    /// let square: Tensor<(usize, Const<2>, Const<2>)> = flat.reshape((1, Const, Const))?;
    /// assert_eq!(square.dims(), [1, 2, 2]);
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn reshape<S2: Shape>(self, shape: S2) -> Result<Tensor<S2, E>> {
        Tensor::from_vec(shape, self.data).map_err(|e| match e {
            Error::Length {
                shape,
                expected,
                found,
                ..
            } => Error::Length {
                what: "reshape",
                shape,
                expected,
                found,
            },
            other => other,
        })
    }

    /// The same values as another element type.
    pub fn cast<E2: Element>(&self) -> Tensor<S, E2> {
        Tensor {
            shape: self.shape,
            data: self.data.iter().map(|x| E2::from_f64(x.to_f64())).collect(),
        }
    }
}

impl<S: ConstShape, E: Element> Default for Tensor<S, E> {
    /// Zeros: a shape with only static extents has exactly one value.
    fn default() -> Self {
        Self::zeros(S::default())
    }
}

impl<const N: usize, E: Element> From<[E; N]> for Tensor<Rank1<N>, E> {
    fn from(v: [E; N]) -> Self {
        Self {
            shape: (Const,),
            data: v.to_vec(),
        }
    }
}

impl<const M: usize, const N: usize, E: Element> From<[[E; N]; M]> for Tensor<Rank2<M, N>, E> {
    fn from(v: [[E; N]; M]) -> Self {
        Self {
            shape: (Const, Const),
            data: v.iter().flatten().copied().collect(),
        }
    }
}

impl<B: Dim, const N: usize, E: Element> Tensor<(B, Const<N>), E> {
    /// Builds a batch from rows given as arrays; the row width is checked by
    /// the type, the batch extent must accept `rows.len()`.
    ///
    /// # Errors
    /// [`Error::Shape`] when the batch extent is static and differs.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let x = Tensor::<Batch<2>>::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])?;
    /// assert_eq!(x.dims(), [3, 2]);
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn from_rows(rows: &[[E; N]]) -> Result<Self> {
        let batch = B::from_size(rows.len()).ok_or_else(|| Error::Shape {
            what: "from_rows",
            expected: <(B, Const<N>)>::pattern(),
            found: format!("[{}, {N}]", rows.len()),
        })?;
        Ok(Self {
            shape: (batch, Const),
            data: rows.iter().flatten().copied().collect(),
        })
    }

    /// Batch size.
    pub fn batch(&self) -> usize {
        self.shape.0.size()
    }
}
