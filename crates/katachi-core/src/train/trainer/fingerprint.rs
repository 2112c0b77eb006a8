//! What a checkpoint says it was written for, so that one from another
//! network or data set is refused rather than continued.

use crate::labels::Labels;
use crate::param::{ParamPath, Parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;
use katachi_par::Element;

/// A 64-bit hash of a data set's labels and the bits of every sample
/// value (FNV-1a over 64-bit words): two data sets that differ anywhere
/// almost surely differ here.
pub(super) fn data<S: Shape, E: Element, const C: usize>(
    images: &Tensor<S, E>,
    labels: &Labels<C>,
) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |word: u64| {
        hash ^= word;
        hash = hash.wrapping_mul(PRIME);
    };
    labels.as_slice().iter().for_each(|&l| mix(l as u64));
    images
        .as_slice()
        .iter()
        .for_each(|v| mix(v.to_f64().to_bits()));
    hash
}

/// Every parameter's dotted path and shape, in visiting order.
pub(super) fn network<P: Parameters + ?Sized>(net: &P) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    net.visit(&ParamPath::ROOT, &mut |name, p| {
        out.push((name.to_string(), p.dims.to_vec()))
    });
    out
}

/// The first difference between the network a checkpoint was written for
/// and this one, in words.
pub(super) fn network_difference(
    saved: &[(String, Vec<usize>)],
    here: &[(String, Vec<usize>)],
) -> Option<String> {
    let pairs = saved.iter().map(Some).chain(std::iter::repeat(None));
    let mut pairs = pairs.zip(here.iter().map(Some).chain(std::iter::repeat(None)));
    pairs.find_map(|pair| match pair {
        (None, None) => Some(None),
        (Some(a), Some(b)) if a == b => None,
        (Some((an, ad)), Some((bn, bd))) => Some(Some(format!(
            "it has `{an}` {ad:?} where this one has `{bn}` {bd:?}"
        ))),
        (Some((an, ad)), None) => Some(Some(format!(
            "it has `{an}` {ad:?}, which this one does not"
        ))),
        (None, Some((bn, bd))) => Some(Some(format!(
            "this one has `{bn}` {bd:?}, which it does not"
        ))),
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, dims: &[usize]) -> (String, Vec<usize>) {
        (name.to_string(), dims.to_vec())
    }

    #[test]
    fn the_first_difference_is_named_with_both_shapes() {
        let a = [p("fc.weight", &[4, 2]), p("fc.bias", &[2])];
        let b = [p("fc.weight", &[4, 3]), p("fc.bias", &[3])];
        assert_eq!(network_difference(&a, &a), None);
        assert_eq!(
            network_difference(&a, &b).unwrap(),
            "it has `fc.weight` [4, 2] where this one has `fc.weight` [4, 3]"
        );
        assert_eq!(
            network_difference(&a, &a[..1]).unwrap(),
            "it has `fc.bias` [2], which this one does not"
        );
        assert_eq!(
            network_difference(&a[..1], &a).unwrap(),
            "this one has `fc.bias` [2], which it does not"
        );
    }
}
