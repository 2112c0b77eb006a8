//! The MNIST files shipped in `data/mnist` load, and hold what they should.

use std::path::Path;

use katachi::data::Mnist;

#[test]
fn shipped_mnist_has_the_published_content() {
    let mnist = Mnist::<f64>::load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/mnist")
            .as_path(),
    )
    .unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
    assert_eq!(
        &mnist.train.labels.as_slice()[..10],
        &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    );
    assert_eq!(
        &mnist.test.labels.as_slice()[..10],
        &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    );
    let mut counts = [0usize; 10];
    mnist
        .train
        .labels
        .as_slice()
        .iter()
        .for_each(|&l| counts[l] += 1);
    assert_eq!(
        counts,
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    // Σ pixels = 1 567 298 545 on the 0–255 scale.
    let sum: f64 = mnist.train.images.as_slice().iter().sum();
    assert!(
        (sum * 255.0 - 1_567_298_545.0).abs() < 1.0,
        "{}",
        sum * 255.0
    );
    assert!(
        mnist
            .train
            .images
            .as_slice()
            .iter()
            .all(|&p| (0.0..=1.0).contains(&p))
    );
}
