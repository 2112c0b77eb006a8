//! Strided matrix views over slices.
//!
//! Element `(i, j)` of a view lives at `offset i·rs + j·cs` of its slice
//! (`rs`, `cs`: row and column stride). A row-major `m × n` matrix has
//! `rs = n, cs = 1`; its transpose is the same slice with the strides swapped,
//! which is how the affine backward products avoid materialising `Xᵀ` and `Wᵀ`.

/// A read-only strided matrix view.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, E> {
    pub(crate) data: &'a [E],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

/// A writable matrix view whose rows are contiguous (`cs = 1`), possibly with
/// padding between rows (`rs ≥ cols`), so rows can be handed to different
/// threads without aliasing.
#[derive(Debug)]
pub struct MatMut<'a, E> {
    pub(crate) data: &'a mut [E],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) rs: usize,
}

/// The length a slice needs to hold every element a view addresses.
fn span(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    }
}

impl<'a, E> MatRef<'a, E> {
    /// A row-major `rows × cols` view of `data`.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    #[track_caller]
    pub fn row_major(data: &'a [E], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "row-major {rows}×{cols} matrix needs {} elements, the slice has {}",
            rows * cols,
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// A view with explicit row and column strides.
    ///
    /// # Panics
    /// If the slice is too short for the last element the view addresses.
    #[track_caller]
    pub fn strided(data: &'a [E], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        let need = span(rows, cols, rs, cs);
        assert!(
            data.len() >= need,
            "{rows}×{cols} view with strides ({rs}, {cs}) needs {need} elements, the slice has {}",
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }

    /// The transpose: the same elements with rows and columns swapped.
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `i ≥ rows` or `j ≥ cols`.
    #[inline]
    #[track_caller]
    pub fn at(&self, i: usize, j: usize) -> E
    where
        E: Copy,
    {
        assert!(
            i < self.rows && j < self.cols,
            "({i}, {j}) outside {}×{}",
            self.rows,
            self.cols
        );
        self.data[i * self.rs + j * self.cs]
    }

    /// Row `i` as a contiguous slice, when columns are contiguous.
    #[inline]
    pub(crate) fn row_slice(&self, i: usize) -> Option<&'a [E]> {
        (self.cs == 1).then(|| &self.data[i * self.rs..i * self.rs + self.cols])
    }

    /// Column `j` as a contiguous slice, when rows are contiguous.
    #[inline]
    pub(crate) fn col_slice(&self, j: usize) -> Option<&'a [E]> {
        (self.rs == 1).then(|| &self.data[j * self.cs..j * self.cs + self.rows])
    }
}

impl<'a, E> MatMut<'a, E> {
    /// A row-major `rows × cols` writable view of `data`.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    #[track_caller]
    pub fn row_major(data: &'a mut [E], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "row-major {rows}×{cols} matrix needs {} elements, the slice has {}",
            rows * cols,
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            rs: cols,
        }
    }

    /// A writable view whose rows start `rs` elements apart (`rs ≥ cols`).
    ///
    /// # Panics
    /// If `rs < cols` (rows would overlap) or the slice is too short.
    #[track_caller]
    pub fn with_row_stride(data: &'a mut [E], rows: usize, cols: usize, rs: usize) -> Self {
        assert!(
            rs >= cols || rows <= 1,
            "row stride {rs} < {cols} columns: rows would overlap"
        );
        let need = span(rows, cols, rs, 1);
        assert!(
            data.len() >= need,
            "{rows}×{cols} view with row stride {rs} needs {need} elements, the slice has {}",
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
}
