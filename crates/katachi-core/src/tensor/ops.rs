//! Reductions along rows and the matrix product.

use katachi_par::{Accum, MatMut, MatRef, Par, gemm};

use super::Tensor;
use crate::shape::{Const, Dim, HasRows};
use katachi_par::Element;

impl<S: HasRows, E: Element> Tensor<S, E> {
    /// The sum of each row (along the last axis).
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let t = Tensor::<Rank2<2, 3>>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(t.sum_rows().as_slice(), &[6.0, 15.0]);
    /// ```
    pub fn sum_rows(&self) -> Tensor<S::Rows, E> {
        let data = self.rows().map(|r| r.iter().copied().sum()).collect();
        Tensor {
            shape: self.shape.rows_shape(),
            data,
        }
    }

    /// The index of the largest element of each row (the first, on ties).
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let t = Tensor::<Rank2<2, 3>>::from([[0.1, 0.8, 0.1], [0.3, 0.1, 0.6]]);
    /// assert_eq!(t.argmax_rows(), vec![1, 2]);
    /// ```
    pub fn argmax_rows(&self) -> Vec<usize> {
        self.rows()
            .map(|r| {
                let mut best = 0;
                for (j, &v) in r.iter().enumerate() {
                    if v > r[best] {
                        best = j;
                    }
                }
                best
            })
            .collect()
    }
}

impl<M: Dim, const K: usize, E: Element> Tensor<(M, Const<K>), E> {
    /// The matrix product `self · rhs`. The inner extents are both `K` in the
    /// type, so a mismatch is a compile error, not a runtime check.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let a = Tensor::<Rank2<2, 3>>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let b = Tensor::<Rank2<3, 1>>::from([[1.0], [0.0], [-1.0]]);
    /// assert_eq!(a.matmul(&b).as_slice(), &[-2.0, -2.0]);
    /// ```
    ///
    /// ```compile_fail
    /// use katachi::prelude::*;
    /// let a = Tensor::<Rank2<2, 3>>::default();
    /// let b = Tensor::<Rank2<2, 3>>::default();
    /// let _ = a.matmul(&b); // 2×3 · 2×3: inner extents 3 and 2 differ
    /// ```
    pub fn matmul<N: Dim>(&self, rhs: &Tensor<(Const<K>, N), E>) -> Tensor<(M, N), E> {
        let (m, n) = (self.shape.0, rhs.shape.1);
        let mut out = Tensor::zeros((m, n));
        gemm(
            MatMut::row_major(&mut out.data, m.size(), n.size()),
            Accum::Replace,
            MatRef::row_major(&self.data, m.size(), K),
            MatRef::row_major(&rhs.data, K, n.size()),
            Par::Rayon,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::shape::{Batch, Const, Rank2, Rank3};
    use crate::tensor::Tensor;

    #[test]
    fn matmul_with_runtime_outer_extents() {
        let a = Tensor::<Batch<2>, f64>::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).unwrap();
        let b = Tensor::<(Const<2>, usize), f64>::from_vec((Const, 1), vec![1.0, 1.0]).unwrap();
        let c = a.matmul(&b);
        assert_eq!(c.dims(), [3, 1]);
        assert_eq!(c.as_slice(), &[3.0, 7.0, 11.0]);
    }

    #[test]
    fn zip_map_rejects_runtime_mismatch() {
        let a = Tensor::<Batch<2>>::zeros((2, Const));
        let b = Tensor::<Batch<2>>::zeros((3, Const));
        let err = a.zip_map(&b, |x, y| x + y).unwrap_err();
        assert_eq!(
            err.to_string(),
            "zip_map: expected shape [2, 2], found [3, 2]"
        );
    }

    #[test]
    fn argmax_takes_the_first_of_ties_and_sum_rows_sums() {
        let t = Tensor::<Rank2<1, 3>>::from([[2.0, 5.0, 5.0]]);
        assert_eq!(t.argmax_rows(), vec![1]);
        assert_eq!(t.sum_rows().as_slice(), &[12.0]);
        assert_eq!(t.sum(), 12.0);
    }

    #[test]
    fn from_fn_walks_indices_in_row_major_order() {
        let t = Tensor::<Rank3<2, 2, 2>>::from_fn(Default::default(), |i| {
            (i[0] * 4 + i[1] * 2 + i[2]) as f32
        });
        assert_eq!(t.as_slice(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    }
}
