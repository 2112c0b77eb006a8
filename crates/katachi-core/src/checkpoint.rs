//! Checkpoints in the safetensors format, one tensor per parameter, named by
//! its dotted path (`affine1.weight`), so PyTorch and candle read them too.
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

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};

use katachi_par::{Element, ElementKind};

use crate::error::{Error, Result};
use crate::param::{ParamPath, Parameters};

fn dtype<E: Element>() -> Dtype {
    match E::KIND {
        ElementKind::F32 => Dtype::F32,
        ElementKind::F64 => Dtype::F64,
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
    if let Some((name, index, value)) = params.first_non_finite() {
        return Err(Error::NonFinite {
            what: format!("parameter `{name}`"),
            at: format!("element {index}; nothing was saved to {}", path.display()),
            value: format!("{value}"),
        });
    }
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
    atomic::write(path, &bytes).map_err(|e| Error::io(path, e))
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
    let bytes = read_bounded(path, limit)?;
    if let Some(name) = duplicate_name(&bytes) {
        return Err(Error::format(
            &file,
            format!("has the tensor name `{name}` twice"),
        ));
    }
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::format(&file, format!("not a safetensors file: {e}")))?;

    // Check everything first, decoding into staging buffers.
    let mut problem: Option<String> = None;
    let mut staged: Vec<Vec<P::Elem>> = Vec::new();
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
                Ok(t) => {
                    let mut values = vec![P::Elem::ZERO; p.value.len()];
                    from_bytes(t.data(), &mut values);
                    let bad = katachi_par::finite::first_non_finite(&values);
                    staged.push(values);
                    bad.map(|(i, v)| format!("tensor `{name}` holds {v} at element {i}"))
                }
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

    let mut staged = staged.into_iter();
    params.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        p.value
            .copy_from_slice(&staged.next().expect("one staged tensor per parameter"));
    });
    Ok(())
}

/// The bytes of `path`, if it is a regular file of at most `limit` bytes.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        let (kind, what) = if meta.is_dir() {
            (std::io::ErrorKind::IsADirectory, "a folder")
        } else {
            (
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a FIFO, a socket or a device)",
            )
        };
        return Err(Error::io_problem(
            path,
            kind,
            format!("is {what}, not a checkpoint"),
        ));
    }
    let too_large = |len: u64| {
        Error::format(
            &file,
            format!(
                "is {len} bytes, more than a checkpoint of this network can be ({limit} bytes at most)"
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// A tensor name that the safetensors header of `bytes` holds twice.
/// (`SafeTensors::deserialize` reads the header into a map, which keeps one
/// of the two silently.) A malformed header gives `None`, for the
/// deserialiser to report.
fn duplicate_name(bytes: &[u8]) -> Option<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    struct FirstDuplicate;

    impl<'de> Visitor<'de> for FirstDuplicate {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a safetensors header")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if !seen.insert(key.clone()) {
                    return Ok(Some(key));
                }
            }
            Ok(None)
        }
    }

    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let header = bytes.get(8..8usize.checked_add(usize::try_from(len).ok()?)?)?;
    serde_json::Deserializer::from_slice(header)
        .deserialize_map(FirstDuplicate)
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::init::Init;
    use crate::layer::{Affine, Relu};

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

    /// A safetensors file holding exactly the tensors given, f32.
    fn raw_file(path: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
        let bytes: Vec<Vec<u8>> = tensors.iter().map(|(_, _, v)| to_bytes(v)).collect();
        let views = tensors.iter().zip(&bytes).map(|((name, dims, _), b)| {
            (
                name.to_string(),
                TensorView::new(Dtype::F32, dims.clone(), b).unwrap(),
            )
        });
        fs::write(path, safetensors::serialize(views, None).unwrap()).unwrap();
    }

    #[test]
    fn non_finite_parameters_are_never_saved_or_loaded() {
        let path = temp("nonfinite");
        let mut a = Affine::<2, 2, f32>::zeros();
        a.init(Init::He, 1);
        save(&a, &path).unwrap();
        let good = fs::read(&path).unwrap();
        a.weight.value.as_mut_slice()[3] = f32::INFINITY;
        let err = save(&a, &path).unwrap_err().to_string();
        assert!(
            err.starts_with("parameter `weight` holds inf at element 3; nothing was saved"),
            "{err}"
        );
        assert_eq!(fs::read(&path).unwrap(), good);

        raw_file(
            &path,
            &[
                ("weight", vec![2, 2], vec![0.0, f32::NAN, 1.0, 2.0]),
                ("bias", vec![2], vec![0.0; 2]),
            ],
        );
        let mut b = Affine::<2, 2, f32>::zeros();
        let err = load(&mut b, &path).unwrap_err().to_string();
        assert!(
            err.ends_with("tensor `weight` holds NaN at element 1"),
            "{err}"
        );
        assert_eq!(b.weight.value.as_slice(), &[0.0; 4]);
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_tensor_name_given_twice_is_refused() {
        let path = temp("duplicate");
        let entry = r#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#;
        let header = format!(
            r#"{{"bias":{entry},"weight":{{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}},"bias":{entry}}}"#
        );
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[0; 24]);
        fs::write(&path, &bytes).unwrap();
        let err = load(&mut Affine::<2, 2, f32>::zeros(), &path)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("has the tensor name `bias` twice"), "{err}");
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn what_is_read_is_bounded_by_what_the_network_needs() {
        let path = temp("huge");
        // A sparse file of 3 GiB is refused from its size, without reading it.
        File::create(&path).unwrap().set_len(3 << 30).unwrap();
        let err = load(&mut Affine::<2, 2, f32>::zeros(), &path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is 3221225472 bytes, more than a checkpoint of this network can be"),
            "{err}"
        );
        fs::remove_file(&path).unwrap();

        let dir = temp("a-folder");
        fs::create_dir_all(&dir).unwrap();
        let err = load(&mut Affine::<2, 2, f32>::zeros(), &dir)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("is a folder, not a checkpoint"), "{err}");
        fs::remove_dir(&dir).unwrap();
        #[cfg(unix)]
        {
            let err = load(&mut Affine::<2, 2, f32>::zeros(), Path::new("/dev/zero")).unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
    }

    #[test]
    fn saves_at_once_to_one_path_each_write_a_whole_network() {
        let path = temp("concurrent");
        let nets: Vec<Affine<8, 8, f32>> = (0..8)
            .map(|seed| {
                let mut a = Affine::zeros();
                a.init(Init::He, seed);
                a
            })
            .collect();
        std::thread::scope(|s| {
            for net in &nets {
                s.spawn(|| {
                    for _ in 0..5 {
                        save(net, &path).unwrap();
                    }
                });
            }
        });
        let mut back = Affine::<8, 8, f32>::zeros();
        load(&mut back, &path).unwrap();
        assert!(
            nets.iter()
                .any(|n| n.weight.value == back.weight.value && n.bias.value == back.bias.value)
        );
        let dir = path.parent().unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let left = fs::read_dir(dir).unwrap().flatten().filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&format!(".{name}")) && n.ends_with(".tmp")
        });
        assert_eq!(left.count(), 0);
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_killed_saves_temporary_file_is_removed_by_the_next_save() {
        let path = temp("killed");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // A process that has exited: its pid names no live process.
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = path.with_file_name(format!(".{name}.{dead}-0.tmp"));
        fs::write(&stale, b"half a checkpoint").unwrap();
        let ours = path.with_file_name(format!(".{name}.{}-999999.tmp", std::process::id()));
        fs::write(&ours, b"a save in flight").unwrap();
        save(&Affine::<2, 2, f32>::zeros(), &path).unwrap();
        assert_eq!(stale.exists(), !cfg!(target_os = "linux"));
        assert!(ours.exists(), "a live process's file is left alone");
        for p in [&path, &ours] {
            fs::remove_file(p).unwrap();
        }
        let _ = fs::remove_file(&stale);
    }

    #[test]
    fn a_long_valid_file_name_saves() {
        let name = format!("{}.safetensors", "w".repeat(250 - ".safetensors".len()));
        let dir = temp("long-name");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(&name);
        assert_eq!(name.len(), 250);
        save(&Affine::<2, 2, f32>::zeros(), &path).unwrap();
        load(&mut Affine::<2, 2, f32>::zeros(), &path).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
