//! The two ways a checkpoint can lay out a network's tensors: PyTorch's
//! state dict, and katachi's own memory layout (what files written before
//! the PyTorch layout existed hold).

use katachi_par::Element;
use safetensors::tensor::Dtype;

use super::bytes::{dtype, from_bytes, to_bytes};
use super::file::Stored;
use crate::param::FileForm;

/// How a checkpoint lays out its tensors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// A PyTorch state dict: a module with the same attribute names
    /// (`nn.Linear`, `nn.Conv2d`, `nn.BatchNorm1d`, …) loads it with
    /// `load_state_dict(…, strict=True)`. `Affine` weights are written
    /// `[out, in]` (transposed from katachi's `[in, out]`), BatchNorm's
    /// `num_batches_tracked` as an `int64` scalar. The default.
    #[default]
    PyTorch,
    /// katachi's memory layout, tensor for tensor (`Affine` weights
    /// `[in, out]`).
    Katachi,
}

impl Layout {
    /// The `format` a file of this layout says it is in its metadata
    /// (`"pt"` is what `safetensors.torch.save_file` writes).
    pub(super) fn format(self) -> &'static str {
        match self {
            Layout::PyTorch => "pt",
            Layout::Katachi => "katachi",
        }
    }

    /// The layout of a file whose metadata says `format`: katachi's own
    /// only when it says so; PyTorch's for `"pt"`, anything else, or none.
    pub(super) fn of_format(format: Option<&str>) -> Self {
        match format {
            Some("katachi") => Layout::Katachi,
            _ => Layout::PyTorch,
        }
    }

    /// The element type and extents a parameter has in a file of this layout.
    pub(super) fn file_shape<E: Element>(
        self,
        form: FileForm,
        dims: &[usize],
    ) -> (Dtype, Vec<usize>) {
        match (self, form) {
            (Layout::PyTorch, FileForm::Transposed) => {
                (dtype::<E>(), dims.iter().rev().copied().collect())
            }
            (Layout::PyTorch, FileForm::Count) => (Dtype::I64, Vec::new()),
            _ => (dtype::<E>(), dims.to_vec()),
        }
    }

    /// A parameter's values as this layout stores them.
    pub(super) fn write_form<E: Element>(
        self,
        form: FileForm,
        dims: &[usize],
        values: &[E],
    ) -> Stored {
        let (dtype, file_dims) = self.file_shape::<E>(form, dims);
        let bytes = match (self, form) {
            (Layout::PyTorch, FileForm::Transposed) => {
                to_bytes(&transpose(values, dims[0], dims[1]))
            }
            (Layout::PyTorch, FileForm::Count) => {
                (values[0].to_f64() as i64).to_le_bytes().to_vec()
            }
            _ => to_bytes(values),
        };
        Stored {
            dtype,
            dims: file_dims,
            bytes,
        }
    }

    /// Fills `out` (katachi's layout, extents `dims`) from `bytes` as this
    /// layout stores them; returns the first value that is not finite, by
    /// its index in the file.
    pub(super) fn read_into<E: Element>(
        self,
        form: FileForm,
        dims: &[usize],
        bytes: &[u8],
        out: &mut [E],
    ) -> Option<(usize, E)> {
        if (self, form) == (Layout::PyTorch, FileForm::Count) {
            let count = i64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
            out[0] = E::from_f64(count as f64);
            return None;
        }
        let mut stored = vec![E::ZERO; out.len()];
        from_bytes(bytes, &mut stored);
        let bad = katachi_par::finite::first_non_finite(&stored);
        match (self, form) {
            (Layout::PyTorch, FileForm::Transposed) => {
                out.copy_from_slice(&transpose(&stored, dims[1], dims[0]))
            }
            _ => out.copy_from_slice(&stored),
        }
        bad
    }
}

/// The `cols × rows` transpose of a row-major `rows × cols` matrix.
fn transpose<E: Element>(values: &[E], rows: usize, cols: usize) -> Vec<E> {
    let mut out = vec![E::ZERO; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

/// The name a parameter had in katachi-layout files written before
/// BatchNorm took PyTorch's names (`γ` was `gamma`, `β` was `beta`).
pub(super) fn legacy_name(name: &str) -> Option<String> {
    let (layer, field) = name.rsplit_once('.').unwrap_or(("", name));
    let old = match field {
        "weight" => "gamma",
        "bias" => "beta",
        _ => return None,
    };
    Some(match layer {
        "" => old.to_string(),
        _ => format!("{layer}.{old}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_goes_out_transposed_and_comes_back() {
        let m = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 × 3
        let stored = Layout::PyTorch.write_form(FileForm::Transposed, &[2, 3], &m);
        assert_eq!(stored.dims, [3, 2]);
        let mut t = [0.0f32; 6];
        from_bytes(&stored.bytes, &mut t);
        assert_eq!(t, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let mut back = [0.0f32; 6];
        let bad =
            Layout::PyTorch.read_into(FileForm::Transposed, &[2, 3], &stored.bytes, &mut back);
        assert_eq!(bad, None);
        assert_eq!(back, m);
        let count = Layout::PyTorch.write_form(FileForm::Count, &[1], &[12.0f64]);
        assert_eq!((count.dtype, count.dims.len()), (Dtype::I64, 0));
        assert_eq!(count.bytes, 12i64.to_le_bytes());
        assert_eq!(legacy_name("norm1.weight").as_deref(), Some("norm1.gamma"));
        assert_eq!(legacy_name("running_var"), None);
    }
}
