//! Class labels whose number of classes is part of the type.

use crate::shape::{Batch, Const};
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::{Error, Result};

/// Integer class labels, each checked once to be below `N`.
///
/// Because `N` is in the type, a loss over 10 classes only takes
/// `Labels<10>`; and because every label was checked on entry, the kernels
/// behind the losses never see one out of range.
///
/// ```
/// use katachi::Labels;
/// let labels = Labels::<10>::new(vec![3, 1, 4])?;
/// assert_eq!(labels.as_slice(), &[3, 1, 4]);
/// let err = Labels::<10>::new(vec![3, 10]).unwrap_err();
/// assert_eq!(err.to_string(), "label 10 at row 1 is out of range: there are 10 classes (0..10)");
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labels<const N: usize> {
    data: Vec<usize>,
}

impl<const N: usize> Labels<N> {
    /// Checks every label against `N`.
    ///
    /// # Errors
    /// [`Error::LabelOutOfRange`] for the first label `≥ N`.
    pub fn new(data: Vec<usize>) -> Result<Self> {
        match data.iter().enumerate().find(|&(_, &l)| l >= N) {
            Some((row, &label)) => Err(Error::LabelOutOfRange {
                row,
                label,
                classes: N,
            }),
            None => Ok(Self { data }),
        }
    }

    /// The labels.
    pub fn as_slice(&self) -> &[usize] {
        &self.data
    }

    /// Number of labels (rows).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The labels as one-hot rows.
    ///
    /// ```
    /// use katachi::Labels;
    /// let t = Labels::<3>::new(vec![2, 0])?.one_hot::<f32>();
    /// assert_eq!(t.as_slice(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn one_hot<E: Element>(&self) -> Tensor<Batch<N>, E> {
        Tensor::from_fn((self.len(), Const), |i| {
            if self.data[i[0]] == i[1] {
                E::ONE
            } else {
                E::ZERO
            }
        })
    }
}
