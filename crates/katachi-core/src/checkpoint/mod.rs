//! Checkpoints in the safetensors format, one tensor per parameter, named by
//! its dotted path (`affine1.weight`). By default the tensors are laid out
//! as a PyTorch state dict ([`Layout::PyTorch`]): a PyTorch module with the
//! same attribute names loads the file with `load_state_dict(…,
//! strict=True)`, and a state dict PyTorch saved with
//! `safetensors.torch.save_file` loads into the katachi network.
//!
//! Saving is atomic: the file is written under a temporary name in the same
//! folder and renamed over the old one, so a crash mid-save leaves the old
//! checkpoint whole. Loading checks every name, element type and shape
//! before it changes anything, and reports the first mismatch by name.
//!
//! ```
//! use katachi::{checkpoint, prelude::*};
//! let mut a = Affine::<3, 2, f32>::zeros();
//! a.init(Init::He, 1);
//! let path = std::env::temp_dir().join(format!("katachi-doc-{}.safetensors", std::process::id()));
//! checkpoint::save(&a, &path)?;
//! let mut b = Affine::<3, 2, f32>::zeros();
//! checkpoint::load(&mut b, &path)?;
//! assert_eq!(a.weight.value, b.weight.value);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), katachi::Error>(())
//! ```

mod atomic;
mod bytes;
mod file;
mod layout;

pub(crate) use bytes::{dtype, from_bytes, to_bytes};
pub(crate) use file::{Stored, read, write};
pub use layout::Layout;
use layout::legacy_name;

use std::collections::HashMap;
use std::path::Path;

use katachi_par::Element;

use crate::error::{Error, Result};
use crate::param::{FileForm, ParamPath, Parameters};

/// Writes every parameter of `params` to `path` (atomically), in
/// PyTorch's layout: [`save_as`] with [`Layout::PyTorch`].
///
/// The file is written under a temporary name unique to this call, in the
/// same folder (so two saves at once never share one), synced, renamed over
/// `path`, and the folder synced, so that after a crash `path` holds either
/// the old checkpoint or the new one, whole. A temporary file left by a
/// process that was killed mid-save is removed by the next save to the same
/// name (on Linux, where a process can be told dead from alive).
///
/// # Errors
/// [`Error::NonFinite`] naming the parameter, if one holds a NaN or an
/// infinity (nothing is written: a diverged network never replaces a good
/// checkpoint); [`Error::Io`] if the folder cannot be written.
pub fn save<P: Parameters + ?Sized>(params: &P, path: &Path) -> Result<()> {
    save_as(params, path, Layout::PyTorch)
}

/// [`save`] in the layout of your choice; the file's metadata says which
/// (`format`: `pt` or `katachi`), and [`load`] reads either.
///
/// ```
/// use katachi::checkpoint::{self, Layout};
/// use katachi::prelude::*;
/// let mut layer = Affine::<3, 2>::zeros();
/// layer.init(Init::He, 1);
/// let dir = std::env::temp_dir();
/// let (pt, own) = (dir.join("katachi-doc-pt.safetensors"), dir.join("katachi-doc-own.safetensors"));
/// checkpoint::save_as(&layer, &pt, Layout::PyTorch)?;   // weight [2, 3], as nn.Linear(3, 2)
/// checkpoint::save_as(&layer, &own, Layout::Katachi)?;  // weight [3, 2], as in memory
/// for file in [&pt, &own] {
///     let mut back = Affine::<3, 2>::zeros();
///     checkpoint::load(&mut back, file)?;
///     assert_eq!(back.weight.value, layer.weight.value);
/// }
/// # Ok::<(), katachi::Error>(())
/// ```
///
/// # Errors
/// As [`save`].
pub fn save_as<P: Parameters + ?Sized>(params: &P, path: &Path, layout: Layout) -> Result<()> {
    if let Some((name, index, value)) = params.first_non_finite() {
        return Err(Error::NonFinite {
            what: format!("parameter `{name}`"),
            at: format!("element {index}; nothing was saved to {}", path.display()),
            value: format!("{value}"),
        });
    }
    let mut tensors = Vec::new();
    params.visit(&ParamPath::ROOT, &mut |name, p| {
        let stored = layout.write_form(p.form, p.dims.as_slice(), p.value);
        tensors.push((name.to_string(), stored));
    });
    let metadata = HashMap::from([("format".to_string(), layout.format().to_string())]);
    write(path, &tensors, metadata)
}

/// Writes `bytes` to `path` the way checkpoints are written: through a
/// temporary file in the same folder, synced and renamed over `path`, so a
/// crash leaves the old file or the new one, whole (what the ONNX export
/// writes with too).
///
/// # Errors
/// [`Error::Io`] if the folder cannot be written.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// Header bytes allowed beyond what the tensors' entries need: room for
/// metadata a writer adds (PyTorch's `format`, a user's notes).
const HEADER_SLACK: u64 = 1 << 20;

/// Header bytes allowed per tensor besides its name: dtype, shape, offsets.
const HEADER_PER_TENSOR: u64 = 256;

/// Reads `path` into the parameters of `params`, which must match it name
/// for name, in element type and shape. Nothing changes unless all match.
///
/// What is read is bounded by what the network can need (its parameters in
/// the widest element type, and a header of reasonable size): a file that
/// is larger, or not a regular file (a folder, a FIFO, a device), is refused
/// before it is read.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read or is not a regular file;
/// [`Error::Format`] if it is larger than this network's checkpoint can be,
/// has a tensor name twice, or names the first missing, extra or mismatched
/// tensor (with both shapes) or the first tensor holding a NaN or an
/// infinity.
pub fn load<P: Parameters + ?Sized>(params: &mut P, path: &Path) -> Result<()> {
    let file = path.display().to_string();
    let mut limit = 8 + HEADER_SLACK;
    params.visit(&ParamPath::ROOT, &mut |name, p| {
        limit += HEADER_PER_TENSOR + name.to_string().len() as u64 + 8 * p.value.len() as u64;
    });
    let (tensors, metadata) = read(path, limit)?;
    let layout = Layout::of_format(metadata.get("format").map(String::as_str));

    // Check everything first, decoding into staging buffers (`None`: a
    // count an old katachi file does not have, left as it is).
    let mut problem: Option<String> = None;
    let mut staged: Vec<Option<Vec<P::Elem>>> = Vec::new();
    let mut expected = Vec::new();
    params.visit(&ParamPath::ROOT, &mut |name, p| {
        let mut name = name.to_string();
        if layout == Layout::Katachi && !tensors.contains_key(&name) {
            // Files from before BatchNorm took PyTorch's names.
            name = legacy_name(&name)
                .filter(|old| tensors.contains_key(old))
                .unwrap_or(name);
        }
        let (want_dtype, want_dims) = layout.file_shape::<P::Elem>(p.form, p.dims.as_slice());
        if problem.is_none() {
            problem = match tensors.get(&name) {
                None if layout == Layout::Katachi && p.form == FileForm::Count => {
                    staged.push(None);
                    None
                }
                None => Some(format!(
                    "has no tensor `{name}` (the network's is {want_dims:?})"
                )),
                Some(t) if t.dtype != want_dtype => Some(format!(
                    "tensor `{name}` is {:?}; the network's is {want_dtype:?}",
                    t.dtype,
                )),
                Some(t) if t.dims != want_dims => Some(format!(
                    "tensor `{name}` has shape {:?}; the network's has {want_dims:?}",
                    t.dims,
                )),
                Some(t) => {
                    let mut values = vec![P::Elem::ZERO; p.value.len()];
                    let bad = layout.read_into(p.form, p.dims.as_slice(), &t.bytes, &mut values);
                    staged.push(Some(values));
                    bad.map(|(i, v)| format!("tensor `{name}` holds {v} at element {i}"))
                }
            };
        }
        expected.push(name);
    });
    if let Some(problem) = problem {
        return Err(Error::format(&file, problem));
    }
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    if let Some(extra) = names.iter().find(|n| !expected.iter().any(|e| e == **n)) {
        return Err(Error::format(
            &file,
            format!("has a tensor `{extra}` the network does not"),
        ));
    }

    let mut staged = staged.into_iter();
    params.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        if let Some(values) = staged.next().expect("one staged tensor per parameter") {
            p.value.copy_from_slice(&values);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests;
