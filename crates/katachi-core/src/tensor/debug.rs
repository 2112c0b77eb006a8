//! `Debug` that shows the shape first, then the values, abbreviated.

use std::fmt;

use super::Tensor;
use crate::shape::Shape;
use katachi_par::Element;

/// Rows and columns shown before eliding with `…`.
const SHOW: usize = 6;

impl<S: Shape, E: Element> fmt::Debug for Tensor<S, E> {
    /// `Tensor[2, 3] f32 [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor{} {} ", self.shape().describe(), E::NAME)?;
        if S::RANK == 0 {
            return write!(f, "{:?}", self.as_slice()[0]);
        }
        let row = |f: &mut fmt::Formatter<'_>, r: &[E]| -> fmt::Result {
            f.write_str("[")?;
            for (j, v) in r.iter().take(SHOW).enumerate() {
                if j > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v:?}")?;
            }
            if r.len() > SHOW {
                write!(f, ", … {} more", r.len() - SHOW)?;
            }
            f.write_str("]")
        };
        if S::RANK == 1 {
            return row(f, self.as_slice());
        }
        f.write_str("[")?;
        for (i, r) in self.rows().take(SHOW).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            row(f, r)?;
        }
        if self.num_rows() > SHOW {
            write!(f, ", … {} more rows", self.num_rows() - SHOW)?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use crate::shape::{Batch, Const, Rank1, Rank2};
    use crate::tensor::Tensor;

    #[test]
    fn debug_starts_with_the_shape() {
        let t = Tensor::<Rank2<2, 3>>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(
            format!("{t:?}"),
            "Tensor[2, 3] f32 [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]"
        );
        let v = Tensor::<Rank1<8>, f64>::default();
        assert_eq!(
            format!("{v:?}"),
            "Tensor[8] f64 [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, … 2 more]"
        );
        let big = Tensor::<Batch<1>>::zeros((7, Const));
        assert!(format!("{big:?}").ends_with("[0.0], … 1 more rows]"));
    }
}
