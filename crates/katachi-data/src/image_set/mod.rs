//! Labelled image sets in MNIST's format: four IDX files, training and
//! test images with their labels. MNIST itself ships with katachi in
//! `data/mnist`; Fashion-MNIST, KMNIST, EMNIST and any other set of
//! grey images with integer labels load the same way, at their own image
//! size and class count.

use std::path::Path;

use katachi_core::Labels;
use katachi_core::shape::{Batch, Shape};
use katachi_core::tensor::Tensor;
use katachi_core::train::{Images, gather_rows};
use katachi_core::{Error, Result};
use katachi_par::Element;

mod load;

use load::load_split;

/// Images (pixels scaled to [0, 1]) as samples of shape `S`, and their
/// labels among `C` classes.
///
/// `S` is the batch of samples a network takes: `Batch<784>` (the default:
/// MNIST's 28×28 images as rows, for an `Affine<784, _>`) or `Nchw<1, 28,
/// 28>` (as images, for a `Conv2d<1, _, _>`); [`Split::reshape`] turns one
/// into the other.
#[derive(Clone, Debug)]
pub struct Split<S: Shape = Batch<784>, const C: usize = 10, E: Element = f32> {
    /// The samples, the batch axis first.
    pub images: Tensor<S, E>,
    /// One label per sample, each below `C`.
    pub labels: Labels<C>,
}

impl<S: Shape, const C: usize, E: Element> Split<S, C, E> {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The same samples as shape `T`: MNIST's rows as `Nchw<1, 28, 28>`
    /// images for a convolutional network, or back.
    ///
    /// # Errors
    /// [`Error::Shape`] if a sample of `T` does not hold as many numbers as
    /// one of `S`.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// use katachi::data::Split;
    /// let rows = Split::<Batch<4>, 2, f32> {
    ///     images: Tensor::from_rows(&[[1.0, 2.0, 3.0, 4.0]])?,
    ///     labels: Labels::new(vec![1])?,
    /// };
    /// let maps = rows.clone().reshape::<Nchw<1, 2, 2>>()?;
    /// assert_eq!(maps.images.dims(), [1, 1, 2, 2]);
    /// assert!(rows.reshape::<Nchw<1, 3, 3>>().is_err());
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn reshape<T: Shape>(self) -> Result<Split<T, C, E>> {
        let n = self.len();
        let found = self.images.shape().describe();
        let sample = self.images.numel().checked_div(n).unwrap_or(0);
        let dims = sample_dims::<T>(n, sample).ok_or_else(|| Error::Shape {
            what: "Split::reshape",
            expected: T::pattern(),
            found: found.clone(),
        })?;
        let shape = T::from_dims(&dims).ok_or(Error::Shape {
            what: "Split::reshape",
            expected: T::pattern(),
            found,
        })?;
        Ok(Split {
            images: Tensor::from_vec(shape, self.images.into_vec())?,
            labels: self.labels,
        })
    }

    /// The examples `rows`, in that order (a subset, or a shuffled copy).
    ///
    /// # Panics
    /// If a row is out of range.
    pub fn select(&self, rows: &[usize]) -> Self {
        let labels = rows.iter().map(|&r| self.labels.as_slice()[r]).collect();
        Self {
            images: gather_rows(&self.images, rows),
            labels: Labels::new(labels).expect("labels of this split are below C"),
        }
    }

    /// The first `n` examples (all of them if there are fewer).
    pub fn head(&self, n: usize) -> Self {
        let rows: Vec<usize> = (0..n.min(self.len())).collect();
        self.select(&rows)
    }

    /// The labels as one-hot rows.
    pub fn one_hot(&self) -> Tensor<Batch<C>, E> {
        self.labels.one_hot()
    }
}

impl<S: Shape, const C: usize, E: Element> Images<S, C, E> for Split<S, C, E> {
    fn parts(&self) -> (&Tensor<S, E>, &Labels<C>) {
        (&self.images, &self.labels)
    }
}

/// A data set in MNIST's format: a training and a test split, each of
/// samples `S` labelled among `C` classes.
#[derive(Clone, Debug)]
pub struct ImageSet<S: Shape = Batch<784>, const C: usize = 10, E: Element = f32> {
    /// 60 000 examples for MNIST.
    pub train: Split<S, C, E>,
    /// 10 000 examples for MNIST.
    pub test: Split<S, C, E>,
}

/// MNIST: 28×28 grey digits as 784-wide rows, ten classes.
pub type Mnist<E = f32> = ImageSet<Batch<784>, 10, E>;

impl<S: Shape, const C: usize, E: Element> ImageSet<S, C, E> {
    /// Loads the four files from `dir`, each under its usual name
    /// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, or with a dot
    /// before `idx`), gzipped (`.gz`) or not. The images' IDX extents
    /// (`[count, height, width]`, or `[count, channels, height, width]`)
    /// must make samples of `S`: 28×28 images fill `Batch<784>` rows or
    /// `Nchw<1, 28, 28>` maps.
    ///
    /// # Errors
    /// [`Error::Io`] if a file is missing or unreadable; [`Error::Format`],
    /// naming the file, if it is malformed, its images do not make samples
    /// of `S`, a label is not below `C`, or images and labels disagree in
    /// number.
    ///
    /// ```no_run
    /// use katachi::data::{ImageSet, Mnist};
    /// use katachi::shape::{Batch, Nchw};
    /// let mnist = Mnist::<f32>::load("data/mnist".as_ref())?;
    /// assert_eq!(mnist.train.len(), 60_000);
    /// // The same files as images, or another set's 32×32 images in 47 classes:
    /// let images = ImageSet::<Nchw<1, 28, 28>, 10>::load("data/mnist".as_ref())?;
    /// let letters = ImageSet::<Batch<1024>, 47>::load("data/letters".as_ref());
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn load(dir: &Path) -> Result<Self> {
        Ok(Self {
            train: load_split(dir, "train")?,
            test: load_split(dir, "t10k")?,
        })
    }
}

/// The extents of `n` samples of `sample` numbers as shape `T` would hold
/// them, given `T`'s rank: rows `[n, sample]`, or maps whose static
/// extents multiply to `sample`.
pub(crate) fn sample_dims<T: Shape>(n: usize, sample: usize) -> Option<Vec<usize>> {
    let pattern = T::STATIC_DIMS;
    match T::RANK {
        2 => Some(vec![n, sample]),
        3 | 4 => {
            let dims: Vec<usize> = pattern[1..T::RANK].iter().map(|d| d.unwrap_or(0)).collect();
            (dims.iter().product::<usize>() == sample).then(|| [vec![n], dims].concat())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
