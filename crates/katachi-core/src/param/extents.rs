//! A parameter's extents, without a heap allocation per visit.

use std::fmt;

/// A parameter's extents, up to four, held inline; reads as a `&[usize]`.
///
/// ```
/// use katachi::param::Extents;
/// let dims = Extents::of(&[784, 50]);
/// assert_eq!(dims.as_slice(), &[784, 50]);
/// assert_eq!(dims, [784, 50]);
/// assert_eq!(format!("{dims:?}"), "[784, 50]");
/// assert_eq!(dims.iter().product::<usize>(), 39_200);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extents {
    dims: [usize; 4],
    rank: usize,
}

impl Extents {
    /// The extents `dims` (a tensor has at most four).
    ///
    /// # Panics
    /// If there are more than four.
    pub fn of(dims: &[usize]) -> Self {
        assert!(
            dims.len() <= 4,
            "a tensor has at most 4 axes, not {}",
            dims.len()
        );
        let mut out = [0; 4];
        out[..dims.len()].copy_from_slice(dims);
        Self {
            dims: out,
            rank: dims.len(),
        }
    }

    /// The extents as a slice.
    pub fn as_slice(&self) -> &[usize] {
        &self.dims[..self.rank]
    }
}

impl std::ops::Deref for Extents {
    type Target = [usize];

    fn deref(&self) -> &[usize] {
        self.as_slice()
    }
}

impl fmt::Debug for Extents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Extents {
    fn eq(&self, other: &[usize; N]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<[usize]> for Extents {
    fn eq(&self, other: &[usize]) -> bool {
        self.as_slice() == other
    }
}
