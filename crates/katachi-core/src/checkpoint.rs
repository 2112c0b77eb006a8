//! Checkpoints in the safetensors format, one tensor per parameter, named by
//! its dotted path (`affine1.weight`), so PyTorch and candle read them too.
//!
//! Saving is atomic: the file is written under a temporary name in the same
//! folder and renamed over the old one, so a crash mid-save leaves the old
//! checkpoint whole. Loading checks every name, element type and shape
//! before it changes anything, and reports the first mismatch by name.
//!
//! ```
//! use katachi_core::{checkpoint, prelude::*};
//! let mut a = Affine::<3, 2, f32>::zeros();
//! a.init(Init::He, 1);
//! let path = std::env::temp_dir().join(format!("katachi-doc-{}.safetensors", std::process::id()));
//! checkpoint::save(&a, &path)?;
//! let mut b = Affine::<3, 2, f32>::zeros();
//! checkpoint::load(&mut b, &path)?;
//! assert_eq!(a.weight.value, b.weight.value);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), katachi_core::Error>(())
//! ```

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};

use crate::param::{ParamPath, Parameters};
use crate::{Element, Error, Result};

fn dtype<E: Element>() -> Dtype {
    if E::NAME == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

fn to_bytes<E: Element>(values: &[E]) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_of_val(values));
    for &v in values {
        match dtype::<E>() {
            Dtype::F32 => out.extend_from_slice(&(v.to_f64() as f32).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_f64().to_le_bytes()),
        }
    }
    out
}

fn from_bytes<E: Element>(bytes: &[u8], out: &mut [E]) {
    match dtype::<E>() {
        Dtype::F32 => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = E::from_f64(f64::from(f32::from_le_bytes(
                    b.try_into().expect("4 bytes"),
                )));
            }
        }
        _ => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                *o = E::from_f64(f64::from_le_bytes(b.try_into().expect("8 bytes")));
            }
        }
    }
}

/// Writes every parameter of `params` to `path` (atomically).
///
/// # Errors
/// [`Error::Io`] if the folder cannot be written.
pub fn save<P: Parameters + ?Sized>(params: &P, path: &Path) -> Result<()> {
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    params.visit(&ParamPath::ROOT, &mut |name, p| {
        tensors.push((name.to_string(), p.dims.clone(), to_bytes(p.value)))
    });
    let views = tensors
        .iter()
        .map(|(name, dims, bytes)| {
            let view = TensorView::new(dtype::<P::Elem>(), dims.clone(), bytes)
                .map_err(|e| Error::format(name, format!("cannot be stored: {e}")))?;
            Ok((name.clone(), view))
        })
        .collect::<Result<Vec<_>>>()?;
    let metadata = Some(HashMap::from([(
        "format".to_string(),
        "katachi".to_string(),
    )]));
    let bytes = safetensors::serialize(views, metadata).map_err(|e| {
        Error::format(
            &path.display().to_string(),
            format!("cannot be serialised: {e}"),
        )
    })?;

    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, &e)
    })
}

/// Reads `path` into the parameters of `params`, which must match it name
/// for name, in element type and shape. Nothing changes unless all match.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`] naming the
/// first missing, extra or mismatched tensor, with both shapes.
pub fn load<P: Parameters + ?Sized>(params: &mut P, path: &Path) -> Result<()> {
    let file = path.display().to_string();
    let bytes = fs::read(path).map_err(|e| Error::io(path, &e))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::format(&file, format!("not a safetensors file: {e}")))?;

    // Check everything first.
    let mut problem: Option<String> = None;
    let mut expected = Vec::new();
    params.visit(&ParamPath::ROOT, &mut |name, p| {
        let name = name.to_string();
        if problem.is_none() {
            problem = match st.tensor(&name) {
                Err(_) => Some(format!(
                    "has no tensor `{name}` (the network's is {:?})",
                    p.dims
                )),
                Ok(t) if t.dtype() != dtype::<P::Elem>() => Some(format!(
                    "tensor `{name}` is {:?}; the network's is {:?}",
                    t.dtype(),
                    dtype::<P::Elem>()
                )),
                Ok(t) if t.shape() != p.dims.as_slice() => Some(format!(
                    "tensor `{name}` has shape {:?}; the network's has {:?}",
                    t.shape(),
                    p.dims
                )),
                Ok(_) => None,
            };
        }
        expected.push(name);
    });
    if let Some(problem) = problem {
        return Err(Error::format(&file, problem));
    }
    let mut names = st.names();
    names.sort();
    if let Some(extra) = names.iter().find(|n| !expected.iter().any(|e| e == **n)) {
        return Err(Error::format(
            &file,
            format!("has a tensor `{extra}` the network does not"),
        ));
    }

    params.visit_mut(&ParamPath::ROOT, &mut |name, p| {
        let t = st.tensor(&name.to_string()).expect("checked above");
        from_bytes(t.data(), p.value);
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "katachi-ckpt-{}-{name}.safetensors",
            std::process::id()
        ))
    }

    #[test]
    fn save_then_load_restores_every_parameter_in_f64() {
        let mut a = (
            Affine::<4, 3, f64>::zeros(),
            Relu::new(),
            Affine::<3, 2, f64>::zeros(),
        );
        a.init(Init::Xavier, 5);
        let path = temp("roundtrip");
        save(&a, &path).unwrap();
        let mut b = (
            Affine::<4, 3, f64>::zeros(),
            Relu::new(),
            Affine::<3, 2, f64>::zeros(),
        );
        load(&mut b, &path).unwrap();
        assert_eq!(a.0.weight.value, b.0.weight.value);
        assert_eq!(a.2.bias.value, b.2.bias.value);
        // The file is plain safetensors, readable by anyone.
        let bytes = fs::read(&path).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let mut names = st.names();
        names.sort();
        assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);
        assert_eq!(st.tensor("0.weight").unwrap().shape(), &[4, 3]);
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn mismatches_are_named_with_both_shapes_and_change_nothing() {
        let path = temp("mismatch");
        save(&Affine::<4, 3, f32>::zeros(), &path).unwrap();
        let mut wrong = Affine::<4, 5, f32>::zeros();
        wrong.init(Init::He, 1);
        let before = wrong.weight.value.clone();
        let err = load(&mut wrong, &path).unwrap_err().to_string();
        assert!(
            err.ends_with("tensor `weight` has shape [4, 3]; the network's has [4, 5]"),
            "{err}"
        );
        assert_eq!(wrong.weight.value, before);
        let err = load(&mut Affine::<4, 3, f64>::zeros(), &path)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("tensor `weight` is F32; the network's is F64"),
            "{err}"
        );
        let err = load(
            &mut (Affine::<4, 3, f32>::zeros(), Relu::<f32>::new()),
            &path,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.ends_with("has no tensor `0.weight` (the network's is [4, 3])"),
            "{err}"
        );
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_failed_save_leaves_the_old_file_whole() {
        let path = temp("atomic");
        let mut a = Affine::<2, 2, f32>::zeros();
        a.init(Init::He, 1);
        save(&a, &path).unwrap();
        let old = fs::read(&path).unwrap();
        // Saving into a folder that does not exist fails before touching anything.
        let elsewhere = path.with_file_name("no-such-dir").join("x.safetensors");
        assert!(matches!(
            save(&a, &elsewhere).unwrap_err(),
            Error::Io { .. }
        ));
        assert_eq!(fs::read(&path).unwrap(), old);
        // No temporary file is left beside the checkpoint.
        let dir = path.parent().unwrap();
        let stray = fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(".katachi-ckpt") && n.ends_with(".tmp")
        });
        assert!(!stray);
        fs::remove_file(&path).unwrap();
    }
}
