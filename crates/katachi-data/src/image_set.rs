//! Labelled image sets in MNIST's format: four IDX files, training and
//! test images with their labels. MNIST itself ships with katachi in
//! `data/mnist`; Fashion-MNIST, KMNIST, EMNIST and any other set of
//! grey images with integer labels load the same way, at their own image
//! size and class count.

use std::fs;
use std::path::{Path, PathBuf};

use katachi_core::Labels;
use katachi_core::shape::{Batch, Shape};
use katachi_core::tensor::Tensor;
use katachi_core::train::{Images, gather_rows};
use katachi_core::{Error, Result};
use katachi_par::Element;

use crate::idx::{Idx, not_a_file, read_idx};

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
fn sample_dims<T: Shape>(n: usize, sample: usize) -> Option<Vec<usize>> {
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

/// The path of `stem` (e.g. `train-images-idx3-ubyte`) in `dir`, under any of
/// its usual spellings.
fn find(dir: &Path, stem: &str) -> Result<PathBuf> {
    let dotted = stem.replacen("-idx", ".idx", 1);
    let candidates = [
        format!("{stem}.gz"),
        stem.to_string(),
        format!("{dotted}.gz"),
        dotted,
    ];
    // The first spelling that exists is the one meant: if it is not a
    // readable regular file, say what it is rather than "not found".
    for name in &candidates {
        let path = dir.join(name);
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => return Ok(path),
            Ok(meta) => return Err(not_a_file(&path, &meta)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A dangling symlink is "not found" too, but worth naming.
                if fs::symlink_metadata(&path).is_ok() {
                    return Err(Error::io(&path, e));
                }
            }
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Err(Error::io_problem(
        &dir.join(stem),
        std::io::ErrorKind::NotFound,
        format!("not found (looked for {})", candidates.join(", ")),
    ))
}

fn load_split<S: Shape, const C: usize, E: Element>(
    dir: &Path,
    prefix: &str,
) -> Result<Split<S, C, E>> {
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read_idx(&images_path)?;
    let labels = read_idx(&labels_path)?;
    let (images_name, labels_name) = (
        images_path.display().to_string(),
        labels_path.display().to_string(),
    );
    split_from(&images_name, images, &labels_name, labels)
}

/// Checks and converts parsed files into a split (also for tests).
pub(crate) fn split_from<S: Shape, const C: usize, E: Element>(
    images_name: &str,
    images: Idx,
    labels_name: &str,
    labels: Idx,
) -> Result<Split<S, C, E>> {
    let (n, sample) = match images.dims[..] {
        [0, ..] => {
            return Err(Error::format(
                images_name,
                "holds no images; a data set needs at least one",
            ));
        }
        [n, h, w] => (n, [1, h, w]),
        [n, c, h, w] => (n, [c, h, w]),
        _ => {
            return Err(Error::format(
                images_name,
                format!(
                    "images are {:?}; expected [count, height, width] or [count, channels, height, width]",
                    images.dims
                ),
            ));
        }
    };
    let [c, h, w] = sample;
    let dims = match S::RANK {
        2 => Some(vec![n, c * h * w]),
        3 => (c == 1).then(|| vec![n, h, w]),
        4 => Some(vec![n, c, h, w]),
        _ => None,
    };
    let shape = dims.and_then(|dims| S::from_dims(&dims)).ok_or_else(|| {
        Error::format(
            images_name,
            format!(
                "images are {:?}, which do not make samples of {}",
                images.dims,
                S::pattern()
            ),
        )
    })?;
    let m = match labels.dims[..] {
        [m] => m,
        _ => {
            return Err(Error::format(
                labels_name,
                format!("labels are {:?}; expected [count]", labels.dims),
            ));
        }
    };
    if n != m {
        return Err(Error::format(
            labels_name,
            format!("{m} labels for {n} images in {images_name}; expected one label per image"),
        ));
    }
    let labels = Labels::<C>::new(labels.data.iter().map(|&l| usize::from(l)).collect()).map_err(
        |e| match e {
            Error::LabelOutOfRange { row, label, .. } => Error::format(
                labels_name,
                format!("label {label} at row {row} is not below {C} classes"),
            ),
            other => other,
        },
    )?;
    // Divide in f64 and round once: p / 255 is then the nearest element value.
    let pixels: Vec<E> = images
        .data
        .iter()
        .map(|&p| E::from_f64(f64::from(p) / 255.0))
        .collect();
    let images = Tensor::from_vec(shape, pixels)?;
    Ok(Split { images, labels })
}

#[cfg(test)]
mod tests {
    use super::*;
    use katachi_core::shape::Nchw;

    fn idx(dims: &[usize], data: Vec<u8>) -> Idx {
        Idx {
            dims: dims.to_vec(),
            data,
        }
    }

    /// MNIST's 28×28 pixels per image.
    const PIXELS: usize = 784;

    fn err(result: Result<Split>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn pixels_are_scaled_and_labels_kept() {
        let mut pixels = vec![0u8; 2 * PIXELS];
        pixels[0] = 255;
        pixels[PIXELS + 1] = 51;
        let split: Split = split_from(
            "img",
            idx(&[2, 28, 28], pixels),
            "lab",
            idx(&[2], vec![7, 3]),
        )
        .unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(split.images.row(0)[0], 1.0);
        assert_eq!(split.images.row(1)[1], 0.2);
        assert_eq!(split.labels.as_slice(), &[7, 3]);
        let nchw = split.clone().reshape::<Nchw<1, 28, 28>>().unwrap().images;
        assert_eq!(nchw.dims(), [2, 1, 28, 28]);
        assert_eq!(nchw.as_slice()[PIXELS + 1], 0.2); // image 1, row 0, column 1
        assert_eq!(
            split.one_hot().row(0),
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        );
    }

    #[test]
    fn shape_count_and_label_faults_name_the_file() {
        let img = |n: usize| idx(&[n, 28, 28], vec![0; n * PIXELS]);
        assert_eq!(
            err(split_from(
                "img",
                idx(&[1, 32, 32], vec![0; 1024]),
                "lab",
                idx(&[1], vec![0])
            )),
            "img: images are [1, 32, 32], which do not make samples of [_, 784]"
        );
        assert_eq!(
            err(split_from("img", img(1), "lab", idx(&[1, 1], vec![0]))),
            "lab: labels are [1, 1]; expected [count]"
        );
        assert_eq!(
            err(split_from("img", img(2), "lab", idx(&[3], vec![0, 1, 2]))),
            "lab: 3 labels for 2 images in img; expected one label per image"
        );
        assert_eq!(
            err(split_from("img", img(2), "lab", idx(&[2], vec![4, 10]))),
            "lab: label 10 at row 1 is not below 10 classes"
        );
        assert_eq!(
            err(split_from(
                "img",
                idx(&[1, 784], vec![0; 784]),
                "lab",
                idx(&[1], vec![0])
            )),
            "img: images are [1, 784]; expected [count, height, width] or [count, channels, height, width]"
        );
    }

    #[test]
    fn any_image_size_and_class_count_loads() {
        // Two 4×8 images in 3 classes, as rows and as maps.
        let pixels: Vec<u8> = (0..64).map(|i| i * 4).collect();
        let rows: Split<Batch<32>, 3> = split_from(
            "img",
            idx(&[2, 4, 8], pixels.clone()),
            "lab",
            idx(&[2], vec![2, 0]),
        )
        .unwrap();
        assert_eq!(rows.images.dims(), [2, 32]);
        assert_eq!(rows.images.row(1)[0], 128.0 / 255.0);
        let maps: Split<Nchw<1, 4, 8>, 3> = split_from(
            "img",
            idx(&[2, 4, 8], pixels.clone()),
            "lab",
            idx(&[2], vec![2, 0]),
        )
        .unwrap();
        assert_eq!(maps.images.as_slice(), rows.images.as_slice());
        // Three channels per image in the IDX extents, and a label past C.
        let rgb: Split<Nchw<2, 4, 4>, 3> = split_from(
            "img",
            idx(&[2, 2, 4, 4], pixels.clone()),
            "lab",
            idx(&[2], vec![1, 1]),
        )
        .unwrap();
        assert_eq!(rgb.images.dims(), [2, 2, 4, 4]);
        let wrong: Result<Split<Nchw<1, 8, 4>, 3>> = split_from(
            "img",
            idx(&[2, 4, 8], pixels.clone()),
            "lab",
            idx(&[2], vec![2, 0]),
        );
        assert!(wrong.is_err(), "4×8 images are not 8×4 maps");
        let label: Result<Split<Batch<32>, 2>> =
            split_from("img", idx(&[2, 4, 8], pixels), "lab", idx(&[2], vec![2, 0]));
        assert_eq!(
            label.unwrap_err().to_string(),
            "lab: label 2 at row 0 is not below 2 classes"
        );
    }

    #[test]
    fn head_and_select_keep_labels_with_their_images() {
        let pixels: Vec<u8> = (0..12).collect();
        let split: Split<Batch<4>, 3> = split_from(
            "img",
            idx(&[3, 2, 2], pixels),
            "lab",
            idx(&[3], vec![0, 1, 2]),
        )
        .unwrap();
        let picked = split.select(&[2, 0]);
        assert_eq!(picked.labels.as_slice(), &[2, 0]);
        assert_eq!(picked.images.row(0), split.images.row(2));
        assert_eq!(split.head(2).labels.as_slice(), &[0, 1]);
        assert_eq!(split.head(9).len(), 3);
    }

    #[test]
    fn a_missing_file_lists_the_names_tried() {
        let err = Mnist::<f32>::load(Path::new("/nonexistent-katachi-dir"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("train-images-idx3-ubyte: not found (looked for train-images-idx3-ubyte.gz, train-images-idx3-ubyte, train-images.idx3-ubyte.gz, train-images.idx3-ubyte)"), "{err}");
    }

    #[test]
    fn an_empty_split_is_refused() {
        assert_eq!(
            err(split_from(
                "img",
                idx(&[0, 28, 28], vec![]),
                "lab",
                idx(&[0], vec![])
            )),
            "img: holds no images; a data set needs at least one"
        );
    }

    #[cfg(unix)]
    #[test]
    fn what_stands_under_a_data_files_name_is_named() {
        let dir = std::env::temp_dir().join(format!("katachi-mnist-odd-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let stem = dir.join("train-images-idx3-ubyte");
        fs::create_dir_all(&stem).unwrap();
        let e = err(Mnist::<f32>::load(&dir).map(|m| m.train));
        assert!(
            e.ends_with("train-images-idx3-ubyte: is a folder, not a data file"),
            "{e}"
        );
        fs::remove_dir(&stem).unwrap();
        // A symlink loop: the system's own reason.
        std::os::unix::fs::symlink(dir.join("loop-b"), dir.join("train-images-idx3-ubyte.gz"))
            .unwrap();
        std::os::unix::fs::symlink(dir.join("train-images-idx3-ubyte.gz"), dir.join("loop-b"))
            .unwrap();
        let e = err(Mnist::<f32>::load(&dir).map(|m| m.train));
        assert!(
            e.contains("train-images-idx3-ubyte.gz: ")
                && e.to_lowercase().contains("symbolic links"),
            "{e}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
