//! Finding a non-finite number (NaN, ±∞) in a slice, cheaply enough to run
//! on every batch that enters training.

use crate::compiled::compiled_here;
use crate::element::Element;

compiled_here!(
    /// This module's kernels, compiled here for `f32` and `f64`.
    Compiled {
        first_non_finite: fn(&[E]) -> Option<(usize, E)> = first_non_finite_impl,
    }
);

/// Independent accumulators: the scan is one multiply-add per element in
/// `LANES` lanes, which the compiler keeps in vector registers.
const LANES: usize = 16;

/// The index and value of the first element of `values` that is NaN or
/// infinite, or `None` when every element is finite.
///
/// The common case (all finite) costs one pass with no branch per element:
/// `v · 0` is `0` for a finite `v` and NaN otherwise, and NaN survives
/// addition, so the lanes' sums say whether a block holds one. Only a block
/// that does is searched element by element.
///
/// ```
/// use katachi::par::finite::first_non_finite;
/// assert_eq!(first_non_finite(&[1.0_f32, 2.0, 3.0]), None);
/// let (i, v) = first_non_finite(&[0.0_f64, f64::INFINITY, f64::NAN]).unwrap();
/// assert_eq!((i, v), (1, f64::INFINITY));
/// ```
pub fn first_non_finite<E: Element>(values: &[E]) -> Option<(usize, E)> {
    (Compiled::<E>::get().first_non_finite)(values)
}

/// The body of [first_non_finite], instantiated here for each element type.
pub(crate) fn first_non_finite_impl<E: Element>(values: &[E]) -> Option<(usize, E)> {
    /// Elements per block: small enough that the block a bad value is in
    /// is searched at once, large enough to amortise the lane check.
    const BLOCK: usize = 64 * LANES;
    for (b, block) in values.chunks(BLOCK).enumerate() {
        let mut lanes = [E::ZERO; LANES];
        let mut chunks = block.chunks_exact(LANES);
        for chunk in &mut chunks {
            for (lane, &v) in lanes.iter_mut().zip(chunk) {
                *lane += v * E::ZERO;
            }
        }
        let tail = chunks
            .remainder()
            .iter()
            .fold(E::ZERO, |acc, &v| acc + v * E::ZERO);
        let clean = tail == E::ZERO && lanes.iter().all(|&l| l == E::ZERO);
        if !clean {
            let (i, &v) = block.iter().enumerate().find(|(_, v)| !v.is_finite())?;
            return Some((b * BLOCK + i, v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_bad_value_wherever_it_is() {
        let n = 3 * 64 * LANES + 7;
        assert_eq!(first_non_finite(&vec![1.5_f32; n]), None);
        assert_eq!(first_non_finite::<f64>(&[]), None);
        for at in [
            0,
            1,
            LANES - 1,
            LANES,
            64 * LANES - 1,
            64 * LANES,
            n - 8,
            n - 1,
        ] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut v = vec![-2.0_f32; n];
                if at + 1 < n {
                    v[n - 1] = f32::NAN; // a later one is not the one reported
                }
                v[at] = bad;
                let (i, found) = first_non_finite(&v).unwrap();
                assert_eq!(i, at);
                assert_eq!(found.to_bits(), bad.to_bits());
            }
        }
        // The largest finite values stay finite when multiplied by zero.
        assert_eq!(
            first_non_finite(&[f64::MAX, f64::MIN, f64::MIN_POSITIVE]),
            None
        );
    }
}
