//! Finding a set's files under their usual names and checking what they
//! hold against the samples and classes asked for.

use std::fs;
use std::path::{Path, PathBuf};

use katachi_core::shape::Shape;
use katachi_core::tensor::Tensor;
use katachi_core::{Error, Labels, Result};
use katachi_par::Element;

use super::Split;
use crate::idx::{Idx, read_idx};

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
            Ok(meta) => return Err(Error::not_a_file(&path, &meta, "a data file")),
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

pub(super) fn load_split<S: Shape, const C: usize, E: Element>(
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
