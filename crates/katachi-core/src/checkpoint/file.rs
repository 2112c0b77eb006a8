//! A safetensors file as named tensors of bytes and a metadata map: what
//! both checkpoint kinds (the weights, and a training run's whole state)
//! are written as and read from.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};

use super::atomic;
use crate::error::{Error, Result};

/// One tensor to write or that was read: its element type, shape and
/// little-endian bytes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stored {
    pub(crate) dtype: Dtype,
    pub(crate) dims: Vec<usize>,
    pub(crate) bytes: Vec<u8>,
}

impl Stored {
    /// A vector of `f64`s.
    pub(crate) fn f64s(values: &[f64]) -> Self {
        Self {
            dtype: Dtype::F64,
            dims: vec![values.len()],
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// A vector of indices, as `u64`s.
    pub(crate) fn indices(values: &[usize]) -> Self {
        Self {
            dtype: Dtype::U64,
            dims: vec![values.len()],
            bytes: values
                .iter()
                .flat_map(|&v| (v as u64).to_le_bytes())
                .collect(),
        }
    }

    /// The `f64`s of a vector written by [`Stored::f64s`].
    pub(crate) fn to_f64s(&self) -> Option<Vec<f64>> {
        (self.dtype == Dtype::F64 && self.dims.len() == 1).then(|| {
            let words = self.bytes.chunks_exact(8);
            words
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect()
        })
    }

    /// The indices of a vector written by [`Stored::indices`].
    pub(crate) fn to_indices(&self) -> Option<Vec<usize>> {
        if self.dtype != Dtype::U64 || self.dims.len() != 1 {
            return None;
        }
        let words = self.bytes.chunks_exact(8);
        words
            .map(|b| usize::try_from(u64::from_le_bytes(b.try_into().expect("8 bytes"))).ok())
            .collect()
    }
}

/// Writes `tensors` and `metadata` to `path`, atomically (see
/// [`super::save`]).
pub(crate) fn write(
    path: &Path,
    tensors: &[(String, Stored)],
    metadata: HashMap<String, String>,
) -> Result<()> {
    let views = tensors
        .iter()
        .map(|(name, t)| {
            let view = TensorView::new(t.dtype, t.dims.clone(), &t.bytes)
                .map_err(|e| Error::format(name, format!("cannot be stored: {e}")))?;
            Ok((name.clone(), view))
        })
        .collect::<Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(views, Some(metadata)).map_err(|e| {
        Error::format(
            &path.display().to_string(),
            format!("cannot be serialised: {e}"),
        )
    })?;
    atomic::write(path, &bytes).map_err(|e| Error::io(path, e))
}

/// The tensors and metadata of the safetensors file `path`, if it is a
/// regular file of at most `limit` bytes with each tensor name once.
pub(crate) fn read(
    path: &Path,
    limit: u64,
) -> Result<(HashMap<String, Stored>, HashMap<String, String>)> {
    let file = path.display().to_string();
    let bytes = read_bounded(path, limit)?;
    if let Some(name) = duplicate_name(&bytes) {
        return Err(Error::format(
            &file,
            format!("has the tensor name `{name}` twice"),
        ));
    }
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::format(&file, format!("not a safetensors file: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| Error::format(&file, format!("not a safetensors file: {e}")))?;
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let stored = Stored {
                dtype: view.dtype(),
                dims: view.shape().to_vec(),
                bytes: view.data().to_vec(),
            };
            (name, stored)
        })
        .collect();
    Ok((tensors, meta.metadata().clone().unwrap_or_default()))
}

/// The bytes of `path`, if it is a regular file of at most `limit` bytes.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::not_a_file(path, &meta, "a checkpoint"));
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
