//! Sums of gradients whose bits do not depend on how the terms are split
//! between processes or in which order they are added.
//!
//! Floating-point addition is not associative, so an all-reduce that adds
//! the same partial sums along another tree (another number of ranks,
//! another MPI algorithm) gives other bits. Here every group's value is
//! rounded once onto a fixed-point grid that every rank agrees on (the
//! grid's step is a power of two set by the largest value of the tensor over
//! all groups), and the grid points are added as integers, which is exact
//! in any order. The result is turned back into a float once, at the end.

/// The exponent given to a tensor whose values are all zero.
pub(crate) const ZERO: i64 = i64::MIN / 2;

/// Values below 2⁻⁹⁰⁰ of a tensor's scale count as zero: every power of two
/// the grid uses then stays a normal `f64`.
const SMALLEST: i64 = -900;

/// Bits of the grid below the largest value of a tensor, before the
/// headroom for the number of groups: a sum of every group stays below
/// 2⁵⁰, which an `f64` holds exactly and the rounding trick below needs.
const GRID_BITS: i64 = 50;

/// The smallest `e` with `|v| < 2^e`, for a finite `v`; [`ZERO`] for zero.
pub(crate) fn exponent(v: f64) -> i64 {
    if v == 0.0 {
        return ZERO;
    }
    let biased = ((v.to_bits() >> 52) & 0x7ff) as i64;
    match biased {
        0 => -1022, // subnormal: below 2⁻¹⁰²²
        _ => biased - 1022,
    }
}

/// The grid of a tensor whose largest group value (in magnitude) is below
/// `2^e_max`, when `groups` values are added: values are multiplied by
/// `2^scale` and rounded to integers. Every group's integer is below
/// `2^(50 - ⌈log₂ groups⌉)`, so the sum of all groups is below 2⁵⁰.
pub(crate) fn scale(e_max: i64, groups: usize) -> i32 {
    if e_max == ZERO {
        return 0;
    }
    let headroom = i64::from(groups.next_power_of_two().trailing_zeros());
    (GRID_BITS - headroom - e_max.max(SMALLEST)) as i32
}

/// `2^k` for `-1022 <= k <= 1023`.
pub(crate) fn pow2(k: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&k), "2^{k} is not a normal f64");
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `x` rounded to an integer, ties to even, for `|x| < 2⁵¹`.
///
/// Adding and subtracting 1.5 · 2⁵² rounds in the FPU's rounding mode (to
/// nearest, ties to even): exact, branch-free, vectorisable, and the same
/// on every machine (Rust never reassociates float arithmetic).
fn round_to_integer(x: f64) -> f64 {
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 · 2⁵²
    (x + ROUND) - ROUND
}

/// `v` on the grid of `scale`: `round(v · 2^scale)`, ties to even.
pub(crate) fn quantize(v: f64, scale: i32) -> i64 {
    round_to_integer(v * pow2(scale)) as i64
}

/// Adds every `values[i] · factor`, rounded to an integer, to `sums[i]`
/// (`factor` is a group's sample count times its grid's `2^scale`). The
/// sums are integers held in `f64`, below 2⁵⁰ in magnitude, so every
/// addition is exact: the same as adding [`quantize`]d integers, at the
/// cost of one multiplication and three additions per value.
pub(crate) fn accumulate<T: Copy + Into<f64>>(sums: &mut [f64], values: &[T], factor: f64) {
    for (sum, &v) in sums.iter_mut().zip(values) {
        *sum += round_to_integer(v.into() * factor);
    }
}

/// What a sum on the grid of `scale` over `count` samples is multiplied by
/// to give their mean: `2^-scale / count`.
pub(crate) fn mean_factor(scale: i32, count: usize) -> f64 {
    pow2(-scale) / count as f64
}

/// The mean of `count` samples whose values on the grid of `scale` add up
/// to `sum`. `sum` is below 2⁵⁰, so it converts to `f64` exactly; the
/// multiplication is the one rounding (and the cast to `f32`, if that is
/// the element).
pub(crate) fn mean(sum: i64, scale: i32, count: usize) -> f64 {
    sum as f64 * mean_factor(scale, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_bounds_the_value_from_above() {
        assert_eq!(exponent(1.0), 1); // 1 < 2¹
        assert_eq!(exponent(0.75), 0);
        assert_eq!(exponent(-3.0), 2);
        assert_eq!(exponent(0.0), ZERO);
        assert_eq!(exponent(f64::MIN_POSITIVE / 4.0), -1022);
        for v in [1e-30, 3.7, 123456.0, -8.0] {
            let e = exponent(v);
            assert!(v.abs() < 2f64.powi(e as i32) && v.abs() >= 2f64.powi(e as i32 - 1));
        }
    }

    #[test]
    fn quantize_rounds_to_nearest_even_on_the_grid() {
        assert_eq!(quantize(2.5, 0), 2);
        assert_eq!(quantize(3.5, 0), 4);
        assert_eq!(quantize(-2.5, 0), -2);
        assert_eq!(quantize(0.3, 4), 5); // 4.8
        assert_eq!(quantize(1.0, 40), 1 << 40);
    }

    #[test]
    fn a_grouped_sum_is_the_same_in_any_order_and_split() {
        // Values of very different sizes, whose float sum depends on order.
        let values = [1.0e-3, 3.0, -2.999_999, 7.0e-9, 0.5, -1.25e-4];
        let groups = values.len();
        let e_max = values.iter().map(|&v| exponent(v)).max().unwrap();
        let s = scale(e_max, groups);
        let q: Vec<i64> = values.iter().map(|&v| quantize(v, s)).collect();
        let forward: i64 = q.iter().sum();
        let backward: i64 = q.iter().rev().sum();
        let split = (q[0] + q[3]) + (q[1] + q[4] + q[2]) + q[5];
        assert_eq!((forward, backward), (split, split));
        // And the grid is fine: the mean is the exact one to f64 precision.
        // And the grid is fine: each value is within half a step of its
        // grid point, so the mean is within half a step of the exact one.
        let exact = values.iter().sum::<f64>() / groups as f64;
        assert!((mean(forward, s, groups) - exact).abs() <= pow2(-s) / 2.0);
        assert!(pow2(-s) < 1e-13);
        assert_eq!(
            mean(forward, s, groups),
            forward as f64 * mean_factor(s, groups)
        );
        // The sum of the floats in two orders differs; the grid's does not.
        let f1: f64 = values.iter().sum();
        let f2: f64 = values.iter().rev().sum();
        assert_ne!(f1.to_bits(), f2.to_bits());
    }

    #[test]
    fn the_largest_values_leave_headroom_for_every_group() {
        let groups = 6;
        let v = -(2f64.powi(10) - 1.0); // just below 2¹⁰
        let s = scale(exponent(v), groups);
        let q = quantize(v, s);
        assert!(q.unsigned_abs() < 1 << (GRID_BITS - 3));
        assert!((q.unsigned_abs() * groups as u64) < 1 << GRID_BITS);
        assert_eq!(mean(q * groups as i64, s, groups), v);
    }

    #[test]
    fn accumulating_in_floats_is_adding_the_integers() {
        let values = [0.1, -0.25, 3.0e-7, 0.7];
        let s = scale(exponent(0.7), 3);
        let mut sums = [0.0; 4];
        for _ in 0..3 {
            accumulate(&mut sums, &values, pow2(s));
        }
        for (sum, &v) in sums.iter().zip(&values) {
            assert_eq!(*sum as i64, 3 * quantize(v, s));
            assert_eq!(sum.fract(), 0.0);
        }
    }

    #[test]
    fn a_zero_tensor_sums_to_zero() {
        let s = scale(ZERO, 4);
        assert_eq!(quantize(0.0, s), 0);
        assert_eq!(mean(0, s, 7), 0.0);
    }
}
