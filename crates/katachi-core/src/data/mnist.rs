//! Data sets in MNIST's format: four IDX files of 28×28 grey images and
//! labels 0..10, for training and testing. MNIST itself ships with katachi
//! in `data/mnist`; Fashion-MNIST and other sets in the same format load the
//! same way.

use std::fs;
use std::path::{Path, PathBuf};

use super::idx::{Idx, not_a_file, read_idx};
use crate::labels::Labels;
use crate::shape::{Batch, Const};
use crate::tensor::Tensor;
use katachi_par::Element;

use crate::error::{Error, Result};

/// Pixels per image.
const PIXELS: usize = 28 * 28;
/// Classes.
const CLASSES: usize = 10;

/// Images (pixels scaled to [0, 1], each image flattened to 784 values) and
/// their labels.
#[derive(Clone, Debug)]
pub struct Split<E: Element = f32> {
    /// One image per row.
    pub images: Tensor<Batch<784>, E>,
    /// One label per image, each below 10.
    pub labels: Labels<10>,
}

impl<E: Element> Split<E> {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images kept as 1×28×28 (batch, channel, height, width), for
    /// convolutional networks.
    pub fn images_nchw(&self) -> Tensor<(usize, Const<1>, Const<28>, Const<28>), E> {
        self.images
            .clone()
            .reshape((self.len(), Const, Const, Const))
            .expect("784 = 1 × 28 × 28 per image")
    }

    /// The labels as one-hot rows.
    pub fn one_hot(&self) -> Tensor<Batch<10>, E> {
        self.labels.one_hot()
    }
}

/// A data set in MNIST's format: a training and a test split.
#[derive(Clone, Debug)]
pub struct Mnist<E: Element = f32> {
    /// 60 000 examples for MNIST.
    pub train: Split<E>,
    /// 10 000 examples for MNIST.
    pub test: Split<E>,
}

impl<E: Element> Mnist<E> {
    /// Loads the four files from `dir`, each under its usual name
    /// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, or with a dot
    /// before `idx`), gzipped (`.gz`) or not.
    ///
    /// # Errors
    /// [`Error::Io`] if a file is missing or unreadable; [`Error::Format`],
    /// naming the file, if it is malformed, its images are not 28×28, a label
    /// is not below 10, or images and labels disagree in number.
    ///
    /// ```no_run
    /// let mnist = katachi::data::Mnist::<f32>::load("data/mnist".as_ref())?;
    /// assert_eq!(mnist.train.len(), 60_000);
    /// # Ok::<(), katachi::Error>(())
    /// ```
    pub fn load(dir: &Path) -> Result<Self> {
        Ok(Self {
            train: load_split(dir, "train")?,
            test: load_split(dir, "t10k")?,
        })
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

fn load_split<E: Element>(dir: &Path, prefix: &str) -> Result<Split<E>> {
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
pub(crate) fn split_from<E: Element>(
    images_name: &str,
    images: Idx,
    labels_name: &str,
    labels: Idx,
) -> Result<Split<E>> {
    let n = match images.dims[..] {
        [0, 28, 28] => {
            return Err(Error::format(
                images_name,
                "holds no images; a data set needs at least one",
            ));
        }
        [n, 28, 28] => n,
        _ => {
            return Err(Error::format(
                images_name,
                format!("images are {:?}; expected [count, 28, 28]", images.dims),
            ));
        }
    };
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
    let labels =
        Labels::<10>::new(labels.data.iter().map(|&l| usize::from(l)).collect()).map_err(|e| {
            match e {
                Error::LabelOutOfRange { row, label, .. } => Error::format(
                    labels_name,
                    format!("label {label} at row {row} is not below {CLASSES} classes"),
                ),
                other => other,
            }
        })?;
    // Divide in f64 and round once: p / 255 is then the nearest element value.
    let pixels: Vec<E> = images
        .data
        .iter()
        .map(|&p| E::from_f64(f64::from(p) / 255.0))
        .collect();
    debug_assert_eq!(pixels.len(), n * PIXELS);
    let images = Tensor::from_vec((n, Const), pixels)?;
    Ok(Split { images, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[usize], data: Vec<u8>) -> Idx {
        Idx {
            dims: dims.to_vec(),
            data,
        }
    }

    fn err(result: Result<Split<f32>>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn pixels_are_scaled_and_labels_kept() {
        let mut pixels = vec![0u8; 2 * PIXELS];
        pixels[0] = 255;
        pixels[PIXELS + 1] = 51;
        let split: Split<f32> = split_from(
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
        let nchw = split.images_nchw();
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
            "img: images are [1, 32, 32]; expected [count, 28, 28]"
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
