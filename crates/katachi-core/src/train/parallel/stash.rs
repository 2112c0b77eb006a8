//! The gradients of a rank's groups, kept until every rank knows each
//! tensor's grid, then summed on it.

use super::exact::{accumulate, pow2};
use crate::param::{ParamPath, Parameters};
use katachi_par::{Element, ElementKind};

/// A rank's groups of one step: each group's gradient in the network's own
/// precision (half the memory traffic of widening `f32` to `f64`), its
/// sample count, and each tensor's largest magnitude so far.
#[derive(Default)]
pub(crate) struct Stash {
    /// Each learned tensor's length, in visiting order.
    tensors: Vec<usize>,
    params: usize,
    /// The precision of the network whose gradients are kept.
    kind: Option<ElementKind>,
    narrow: Vec<f32>,
    wide: Vec<f64>,
    counts: Vec<f64>,
    /// Per tensor: the largest |gradient| × samples over the kept groups.
    maxima: Vec<f64>,
}

/// A parameter's value that is not finite: its name, index and value.
pub(crate) type NonFinite = (String, usize, f64);

impl Stash {
    /// A stash for tensors of these lengths, with no group.
    pub(crate) fn for_tensors(tensors: Vec<usize>) -> Self {
        Self {
            params: tensors.iter().sum(),
            maxima: vec![0.0; tensors.len()],
            tensors,
            ..Self::default()
        }
    }

    /// Forgets the groups (their buffers stay allocated).
    pub(crate) fn clear(&mut self) {
        self.counts.clear();
        self.maxima.fill(0.0);
    }

    /// Each tensor's largest |gradient| × samples over the kept groups.
    pub(crate) fn maxima(&self) -> &[f64] {
        &self.maxima
    }

    /// Keeps `net`'s learned gradients as the gradient of a group of
    /// `count` samples. Returns the first value that is not finite, if any.
    pub(crate) fn keep<P: Parameters>(&mut self, net: &P, count: usize) -> Option<NonFinite> {
        let group = self.counts.len();
        self.counts.push(count as f64);
        self.kind = Some(P::Elem::KIND);
        match P::Elem::KIND {
            ElementKind::F32 => keep_in(
                &mut self.narrow,
                group,
                self.params,
                net,
                count,
                &mut self.maxima,
            ),
            ElementKind::F64 => keep_in(
                &mut self.wide,
                group,
                self.params,
                net,
                count,
                &mut self.maxima,
            ),
        }
    }

    /// The kept groups, each on its tensors' grids (`scales`, one per
    /// tensor), summed exactly into `sums` (one per parameter).
    pub(crate) fn sum_into(&self, sums: &mut Vec<f64>, scales: &[i32]) {
        sums.clear();
        sums.resize(self.params, 0.0);
        for (group, &count) in self.counts.iter().enumerate() {
            let start = group * self.params;
            let mut offset = 0;
            for (&len, &scale) in self.tensors.iter().zip(scales) {
                let factor = count * pow2(scale); // exact: a power of two times an integer
                let range = offset..offset + len;
                let sums = &mut sums[range.clone()];
                match self.kind {
                    Some(ElementKind::F32) => {
                        accumulate(sums, &self.narrow[start + offset..][..len], factor)
                    }
                    _ => accumulate(sums, &self.wide[start + offset..][..len], factor),
                }
                offset = range.end;
            }
        }
    }
}

/// A float as kept: `f32` or `f64`.
trait Kept: Copy + Default + Into<f64> {
    /// The bits without the sign, as a signed integer of the same width:
    /// for non-negative floats the bits order as the values do (NaN above
    /// ∞), and a signed integer maximum vectorises on every x86 core where
    /// a float one (NaN rules) or an unsigned one (SSE4) does not.
    type Bits: Copy + Ord + Default;
    /// The bits of +∞: from there up, infinite or NaN.
    const INFINITY_BITS: Self::Bits;
    /// `v` in this precision (exact for a gradient of this precision).
    fn narrowed(v: f64) -> Self;
    /// The magnitude's bits.
    fn magnitude(self) -> Self::Bits;
    /// The magnitude bits back as a value.
    fn from_magnitude(bits: Self::Bits) -> f64;
}

impl Kept for f32 {
    type Bits = i32;
    const INFINITY_BITS: i32 = 0x7f80_0000;

    fn narrowed(v: f64) -> Self {
        v as f32
    }

    fn magnitude(self) -> i32 {
        (self.to_bits() & 0x7fff_ffff) as i32
    }

    fn from_magnitude(bits: i32) -> f64 {
        f64::from(f32::from_bits(bits as u32))
    }
}

impl Kept for f64 {
    type Bits = i64;
    const INFINITY_BITS: i64 = 0x7ff0_0000_0000_0000;

    fn narrowed(v: f64) -> Self {
        v
    }

    fn magnitude(self) -> i64 {
        (self.to_bits() & !(1 << 63)) as i64
    }

    fn from_magnitude(bits: i64) -> f64 {
        f64::from_bits(bits as u64)
    }
}

/// [`Stash::keep`] in the buffer of the network's precision.
fn keep_in<T: Kept, P: Parameters>(
    buf: &mut Vec<T>,
    group: usize,
    params: usize,
    net: &P,
    count: usize,
    maxima: &mut [f64],
) -> Option<NonFinite> {
    let start = group * params;
    if buf.len() < start + params {
        buf.resize(start + params, T::default());
    }
    let values = &mut buf[start..start + params];
    let (mut offset, mut tensor, mut bad) = (0, 0, None);
    net.visit(&ParamPath::ROOT, &mut |path, p| {
        if !p.role.is_learned() {
            return;
        }
        let out = &mut values[offset..offset + p.grad.len()];
        let mut largest = T::Bits::default();
        for (o, g) in out.iter_mut().zip(p.grad) {
            *o = T::narrowed(g.to_f64());
            largest = largest.max(o.magnitude());
        }
        let largest_value = T::from_magnitude(largest) * count as f64;
        maxima[tensor] = maxima[tensor].max(largest_value);
        if largest >= T::INFINITY_BITS && bad.is_none() {
            let at = out.iter().position(|v| v.magnitude() >= T::INFINITY_BITS);
            bad = at.map(|i| (path.to_string(), i, out[i].into()));
        }
        (offset, tensor) = (offset + p.grad.len(), tensor + 1);
    });
    bad
}
