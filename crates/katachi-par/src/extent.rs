//! What every kernel checks at its entry, and the extent arithmetic the
//! windowed kernels (convolution, pooling) share.

/// Panics unless a slice holds `expected` elements, naming the kernel and
/// the slice: "convolution: w must have 216 elements, has 215".
#[track_caller]
pub(crate) fn check_len(kernel: &str, what: &str, len: usize, expected: usize) {
    assert_eq!(
        len, expected,
        "{kernel}: {what} must have {expected} elements, has {len}"
    );
}

/// As [`check_len`] for a `rows × cols` matrix, which the message spells
/// out: "affine: w must have 2×3 = 6 elements, has 5".
#[track_caller]
pub(crate) fn check_matrix_len(kernel: &str, what: &str, len: usize, rows: usize, cols: usize) {
    assert_eq!(
        len,
        rows * cols,
        "{kernel}: {what} must have {rows}×{cols} = {} elements, has {len}",
        rows * cols
    );
}

/// The output extent of a window of `kernel` sliding by `stride` over
/// `input` padded by `padding` on both sides: `(input + 2·padding −
/// kernel) / stride + 1`.
///
/// # Panics
/// If the window is larger than the padded input or `stride` is 0.
///
/// ```
/// use katachi::par::conv::out_extent;
/// assert_eq!(out_extent(28, 5, 1, 0), 24);
/// assert_eq!(out_extent(24, 2, 2, 0), 12);
/// assert_eq!(out_extent(7, 3, 2, 1), 4);
/// ```
pub fn out_extent(input: usize, kernel: usize, stride: usize, padding: usize) -> usize {
    assert!(stride > 0, "sliding window: stride must be positive");
    assert!(
        kernel > 0 && input + 2 * padding >= kernel,
        "sliding window: a {kernel}-wide window does not fit an input of {input} padded by {padding}"
    );
    (input + 2 * padding - kernel) / stride + 1
}
