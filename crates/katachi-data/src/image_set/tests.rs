//! Loading image sets: what is accepted, and what each refusal says.

use std::fs;
use std::path::Path;

use super::load::split_from;
use super::*;
use crate::idx::Idx;
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
    std::os::unix::fs::symlink(dir.join("loop-b"), dir.join("train-images-idx3-ubyte.gz")).unwrap();
    std::os::unix::fs::symlink(dir.join("train-images-idx3-ubyte.gz"), dir.join("loop-b")).unwrap();
    let e = err(Mnist::<f32>::load(&dir).map(|m| m.train));
    assert!(
        e.contains("train-images-idx3-ubyte.gz: ") && e.to_lowercase().contains("symbolic links"),
        "{e}"
    );
    fs::remove_dir_all(&dir).unwrap();
}
